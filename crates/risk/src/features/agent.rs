//! User-agent classification in one pass (Aho–Corasick, ASCII case
//! insensitive): automation tools, emulators, operating system, family.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

/// What a `User-Agent` header says about its client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AgentInfo {
    /// `headless_chrome`, `curl`, … for automation; else `wechat`, `edge`,
    /// `firefox`, `chrome`, `safari`, `app` (an HTTP library apps use), or
    /// `other`; `""` for an empty header.
    pub family: &'static str,
    /// Names an automation tool or a scripting HTTP library.
    pub automation: bool,
    /// Carries an emulator marker.
    pub emulator: bool,
    /// Is of a phone or tablet.
    pub mobile: bool,
    /// Operating system named: `ios`, `android`, `windows_phone`,
    /// `windows`, `mac`, `linux`, or `""`.
    pub os: &'static str,
}

#[derive(Clone, Copy)]
enum Tag {
    /// An automation tool, with its family name.
    Bot(&'static str),
    Emulator,
    Os(&'static str, bool),
    /// A browser or in-app family, with its precedence (higher wins).
    Family(&'static str, u8),
}

const PATTERNS: &[(&str, Tag)] = &[
    ("headlesschrome", Tag::Bot("headless_chrome")),
    ("phantomjs", Tag::Bot("phantomjs")),
    ("slimerjs", Tag::Bot("slimerjs")),
    ("htmlunit", Tag::Bot("htmlunit")),
    ("python-requests", Tag::Bot("python_requests")),
    ("python-urllib", Tag::Bot("python_urllib")),
    ("python-httpx", Tag::Bot("python_httpx")),
    ("aiohttp", Tag::Bot("aiohttp")),
    ("scrapy", Tag::Bot("scrapy")),
    ("curl/", Tag::Bot("curl")),
    ("wget/", Tag::Bot("wget")),
    ("go-http-client", Tag::Bot("go_http_client")),
    ("selenium", Tag::Bot("selenium")),
    ("webdriver", Tag::Bot("webdriver")),
    ("puppeteer", Tag::Bot("puppeteer")),
    ("playwright", Tag::Bot("playwright")),
    ("cypress", Tag::Bot("cypress")),
    ("nightmare", Tag::Bot("nightmare")),
    ("apache-httpclient", Tag::Bot("apache_httpclient")),
    ("java/", Tag::Bot("java")),
    ("libwww-perl", Tag::Bot("perl")),
    ("node-fetch", Tag::Bot("node_fetch")),
    ("axios/", Tag::Bot("axios")),
    ("undici", Tag::Bot("undici")),
    ("postmanruntime", Tag::Bot("postman")),
    ("insomnia/", Tag::Bot("insomnia")),
    ("spider", Tag::Bot("crawler")),
    ("crawler", Tag::Bot("crawler")),
    ("sdk_gphone", Tag::Emulator),
    ("android sdk built for", Tag::Emulator),
    ("generic_x86", Tag::Emulator),
    ("android_x86", Tag::Emulator),
    ("google_sdk", Tag::Emulator),
    ("genymotion", Tag::Emulator),
    ("bluestacks", Tag::Emulator),
    ("vbox86", Tag::Emulator),
    ("ldplayer", Tag::Emulator),
    ("mumu", Tag::Emulator),
    ("emulator", Tag::Emulator),
    ("iphone", Tag::Os("ios", true)),
    ("ipad", Tag::Os("ios", true)),
    ("ios ", Tag::Os("ios", true)),
    ("android", Tag::Os("android", true)),
    ("windows phone", Tag::Os("windows_phone", true)),
    ("windows nt", Tag::Os("windows", false)),
    ("macintosh", Tag::Os("mac", false)),
    ("x11; linux", Tag::Os("linux", false)),
    ("x11; ubuntu", Tag::Os("linux", false)),
    ("mobile", Tag::Os("", true)),
    ("micromessenger", Tag::Family("wechat", 9)),
    ("alipayclient", Tag::Family("alipay", 9)),
    ("edg/", Tag::Family("edge", 8)),
    ("firefox/", Tag::Family("firefox", 7)),
    ("fxios/", Tag::Family("firefox", 7)),
    ("crios/", Tag::Family("chrome", 6)),
    ("chrome/", Tag::Family("chrome", 5)),
    ("safari/", Tag::Family("safari", 4)),
    ("okhttp/", Tag::Family("app", 3)),
    ("cfnetwork/", Tag::Family("app", 3)),
    ("dalvik/", Tag::Family("app", 3)),
];

fn automaton() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PATTERNS.iter().map(|(p, _)| p))
            .expect("the user-agent patterns are valid literals")
    })
}

/// Classifies a `User-Agent` header.
pub fn classify_user_agent(ua: &str) -> AgentInfo {
    if ua.trim().is_empty() {
        return AgentInfo::default();
    }
    let mut info = AgentInfo {
        family: "other",
        ..AgentInfo::default()
    };
    let mut os_rank = 0u8;
    let mut family_rank = 0u8;
    let mut bot = None;
    for m in automaton().find_overlapping_iter(ua) {
        match PATTERNS[m.pattern().as_usize()].1 {
            Tag::Bot(name) => bot = bot.or(Some(name)),
            Tag::Emulator => info.emulator = true,
            Tag::Os(os, mobile) => {
                info.mobile |= mobile;
                // Phones' user agents also say `Linux`, `Mac OS X`: the most
                // specific system wins (mobile first, then desktop).
                let rank = if os.is_empty() {
                    0
                } else if mobile {
                    2
                } else {
                    1
                };
                if rank > os_rank {
                    os_rank = rank;
                    info.os = os;
                }
            }
            Tag::Family(name, rank) if rank > family_rank => {
                family_rank = rank;
                info.family = name;
            }
            Tag::Family(..) => {}
        }
    }
    if let Some(name) = bot {
        info.automation = true;
        info.family = name;
    }
    info
}

/// The operating system a `run_env` implies, `""` for web and WAP.
pub(crate) fn expected_os(run_env: i64) -> &'static str {
    match run_env {
        4 | 7 => "ios",
        5 | 8 => "android",
        6 => "windows_phone",
        9 | 10 => "windows",
        11 => "mac",
        12 => "linux",
        _ => "",
    }
}

/// Whether `run_env` and the user agent's system disagree. iPads ask for
/// desktop sites as `Macintosh`, so an iOS tablet may say `mac`.
pub(crate) fn platform_mismatch(run_env: i64, os: &str) -> bool {
    let expected = expected_os(run_env);
    let ipad_as_mac = run_env == 7 && os == "mac";
    !(expected.is_empty() || os.is_empty() || expected == os || ipad_as_mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automation_tools_are_named() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
                "headless_chrome",
            ),
            ("python-requests/2.31.0", "python_requests"),
            ("curl/8.4.0", "curl"),
            ("Go-http-client/1.1", "go_http_client"),
            (
                "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
                "phantomjs",
            ),
        ];
        for (ua, family) in cases {
            let info = classify_user_agent(ua);
            assert!(info.automation, "{ua}");
            assert_eq!(info.family, family);
        }
    }

    #[test]
    fn real_browsers_and_apps_are_not_automation() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
        let info = classify_user_agent(iphone);
        assert_eq!(
            (info.family, info.os, info.mobile, info.automation),
            ("safari", "ios", true, false)
        );
        let wechat = "Mozilla/5.0 (Linux; Android 13; V2171A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0 Mobile Safari/537.36 MicroMessenger/8.0.43";
        assert_eq!(classify_user_agent(wechat).family, "wechat");
        assert_eq!(classify_user_agent(wechat).os, "android");
        assert_eq!(classify_user_agent("okhttp/4.11.0").family, "app");
        assert_eq!(classify_user_agent("").family, "");
    }

    #[test]
    fn emulators_and_platform_mismatches_are_seen() {
        let emu = "Mozilla/5.0 (Linux; Android 11; sdk_gphone_x86 Build/RSR1.201013.001) AppleWebKit/537.36";
        assert!(classify_user_agent(emu).emulator);
        assert!(platform_mismatch(4, "android"));
        assert!(!platform_mismatch(5, "android"));
        assert!(!platform_mismatch(2, "windows"));
        assert!(!platform_mismatch(7, "mac"));
        assert!(!platform_mismatch(4, ""));
    }
}
