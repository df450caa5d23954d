//! Events and helpers shared by the tests.

use md5::{Digest, Md5};
use phoneguard_risk::{
    Assessment, CounterReading, CounterValues, Engine, PhoneFacts, RiskEvent, Slot,
};

/// The time every test runs at.
pub const NOW: u64 = 1_700_000_000;

/// The lower-case hex MD5 of `text`.
pub fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

pub const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
pub const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
pub const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 13; V2171A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Mobile Safari/537.36";

/// Everything the engine takes besides the time.
#[derive(Clone, Debug)]
pub struct Input {
    pub event: RiskEvent,
    pub phone: PhoneFacts,
    pub counters: CounterValues,
}

impl Input {
    /// A careful person registering on the web: no rule should fire.
    pub fn clean() -> Input {
        let mut e = RiskEvent::register("alice");
        e.pwd = Some(md5_hex("Tr0ub4dor&3-horse-staple"));
        e.pn = Some(md5_hex("13912345678"));
        e.ip = Some("58.30.1.7".into());
        e.x_forward_for = Some("58.30.1.7".into());
        e.user_agent = Some(CHROME_WINDOWS.into());
        e.run_env = Some(2);
        e.move_count = Some(120);
        e.click_count = Some(6);
        e.key_count = Some(25);
        e.operating_time = Some(40);
        e.device_id = Some("dev-1".into());
        e.register_time = Some(NOW as i64);
        Input {
            event: e,
            phone: PhoneFacts::default(),
            counters: CounterValues::new(),
        }
    }

    /// The same person logging in.
    pub fn clean_login() -> Input {
        let mut input = Input::clean();
        input.event.kind = phoneguard_risk::EventKind::Login;
        input.event.login_time = Some(NOW as i64);
        input.event.register_time = Some(NOW as i64 - 86_400 * 90);
        input.event.result = Some(1);
        input
    }

    /// Sets one counter reading (`windows` = 10 min, 1 h, 24 h).
    pub fn count(&mut self, slot: Slot, windows: [u64; 3]) -> &mut Self {
        self.counters.push(slot, CounterReading::Windows(windows));
        self
    }

    pub fn assess(&self) -> Assessment {
        engine().assess(&self.event, &self.phone, &self.counters, NOW)
    }
}

/// The default engine, built once.
pub fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(Engine::default)
}

/// Ids of the rules that fired.
pub fn fired(a: &Assessment) -> Vec<&str> {
    a.reasons.iter().map(|r| r.code.as_str()).collect()
}
