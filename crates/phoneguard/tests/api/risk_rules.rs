//! The rules file: replaced live over the admin API, reloaded on request and on
//! SIGHUP, and a broken file refused by its rule id with the old rules kept.

use reqwest::Method;

use crate::harness::{TestServer, json, problem};
use crate::risk::human;

/// The shipped rules with one more rule that fires on every event with a score of
/// 100, so every event is at level 4 (`deny`).
fn rules_denying_everything() -> String {
    phoneguard_risk::DEFAULT_RULES_TOML.replacen(
        "\n[[rule]]\n",
        "\n[[rule]]\nid = \"everything\"\ndescription = \"all\"\nrisk_type = 4\nscore = 100\nwhen = \"true\"\nreason = \"everything is risky\"\n\n[[rule]]\n",
        1,
    )
}

/// The shipped rules with one more rule, `broken_rule`, that does not compile.
fn rules_with_a_broken_rule() -> String {
    format!(
        "{}\n[[rule]]\nid = \"broken_rule\"\ndescription = \"x\"\nrisk_type = 1\nscore = 10\nwhen = \"account ==\"\nreason = \"x\"\n",
        phoneguard_risk::DEFAULT_RULES_TOML
    )
}

/// An address of its own for each account, so that the sign-ups of one test do
/// not build up a velocity on one IP.
fn ip_of(account: &str) -> String {
    let sum: u32 = account.bytes().map(u32::from).sum();
    format!("58.30.{}.{}", account.len() % 250, sum % 250 + 1)
}

/// Level and decision of a fresh ordinary sign-up.
async fn signup_level(s: &TestServer, account: &str) -> (Option<u64>, Option<String>) {
    let (st, r) = json(
        s.post("/v1/risk/register", &human(account, &ip_of(account)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    (r["level"].as_u64(), r["decision"].as_str().map(Into::into))
}

fn allowed() -> (Option<u64>, Option<String>) {
    (Some(0), Some("allow".into()))
}

fn denied() -> (Option<u64>, Option<String>) {
    (Some(4), Some("deny".into()))
}

#[tokio::test]
async fn the_rules_file_is_reloaded_on_request_and_a_broken_one_is_refused_by_rule_id() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    std::fs::write(&file, phoneguard_risk::DEFAULT_RULES_TOML).unwrap();
    let mut config = crate::harness::test_config(&dir.path().join("pg.db"));
    config.risk.rules_file = Some(file.display().to_string());
    let s = TestServer::start_with(config, dir).await;
    let reload = || async {
        s.admin(Method::POST, "/v1/admin/risk/rules/reload")
            .send()
            .await
            .unwrap()
    };
    assert_eq!(signup_level(&s, "u-before").await, allowed());

    // Rewritten: nothing changes until the reload, then the next event sees it.
    std::fs::write(&file, rules_denying_everything()).unwrap();
    assert_eq!(signup_level(&s, "u-written").await, allowed());
    let (st, body) = json(reload().await).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["status"], "reloaded");
    let shipped = phoneguard_risk::RuleSet::from_toml(phoneguard_risk::DEFAULT_RULES_TOML)
        .unwrap()
        .rules
        .len();
    assert_eq!(body["rules"].as_u64(), Some(shipped as u64 + 1), "{body}");
    assert_eq!(signup_level(&s, "u-reloaded").await, denied());
    let source = s
        .admin(Method::GET, "/v1/admin/risk/rules")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(source, rules_denying_everything(), "the file is in force");

    // A rule that does not compile: refused by its id, the old rules stay.
    std::fs::write(&file, rules_with_a_broken_rule()).unwrap();
    let b = problem(reload().await, 422, "invalid_rules").await;
    assert!(b["detail"].as_str().unwrap().contains("broken_rule"), "{b}");
    assert_eq!(signup_level(&s, "u-after-broken").await, denied());

    // A file gone: refused, naming the file; the old rules stay.
    std::fs::remove_file(&file).unwrap();
    let b = problem(reload().await, 422, "invalid_rules").await;
    assert!(b["detail"].as_str().unwrap().contains("rules.toml"), "{b}");
    assert_eq!(signup_level(&s, "u-after-missing").await, denied());

    // Fixed: the file's rules are in force again.
    std::fs::write(&file, phoneguard_risk::DEFAULT_RULES_TOML).unwrap();
    assert_eq!(reload().await.status(), 200);
    assert_eq!(signup_level(&s, "u-restored").await, allowed());
    s.stop().await;
}

/// The real binary serving on a SQLite file of its own, with `rules` as its
/// rules file; its standard error, line by line.
struct Binary {
    child: std::process::Child,
    base: String,
    key: String,
    client: reqwest::Client,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Binary {
    async fn start(dir: &std::path::Path, rules: &std::path::Path) -> Binary {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;

        let port = crate::binary::free_port();
        let mut child = crate::binary::serve_sqlite(&dir.join("pg.db"), port)
            .env("PHONEGUARD_ADMIN_TOKEN", crate::harness::ADMIN)
            .env("PHONEGUARD_RISK__RULES_FILE", rules)
            .env("PHONEGUARD_LOG__FORMAT", "text")
            .env("PHONEGUARD_LOG__LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stderr) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // A first start prints the sandbox key on standard output.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let key = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                l.trim()
                    .starts_with("pk_test_")
                    .then(|| l.trim().to_string())
            })
            .expect("the first start prints a key");
        std::thread::spawn(move || for _ in lines {});
        let binary = Binary {
            child,
            base: format!("http://127.0.0.1:{port}"),
            key,
            client: reqwest::Client::new(),
            stderr,
        };
        crate::binary::wait_answering(&binary.client, &binary.base, "/healthz").await;
        binary
    }

    async fn signup_level(&self, account: &str) -> (Option<u64>, Option<String>) {
        let resp = self
            .client
            .post(format!("{}/v1/risk/register", self.base))
            .bearer_auth(&self.key)
            .json(&human(account, &ip_of(account)))
            .send()
            .await
            .unwrap();
        let (st, r) = json(resp).await;
        assert_eq!(st, 200, "{r}");
        (r["level"].as_u64(), r["decision"].as_str().map(Into::into))
    }

    /// Sends SIGHUP and waits for the log line saying what came of it.
    fn hangup(&mut self) -> String {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains("SIGHUP") => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "no SIGHUP log line (server exited: {:?})",
                    self.child.try_wait().unwrap()
                ),
            }
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn sighup_reloads_the_rules_file_and_a_broken_one_leaves_the_old_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, phoneguard_risk::DEFAULT_RULES_TOML).unwrap();
    let mut server = Binary::start(dir.path(), &rules).await;
    assert_eq!(server.signup_level("u-before").await, allowed());

    std::fs::write(&rules, rules_denying_everything()).unwrap();
    let line = server.hangup();
    assert!(line.contains("risk rules reloaded"), "{line}");
    assert_eq!(server.signup_level("u-reloaded").await, denied());

    std::fs::write(&rules, rules_with_a_broken_rule()).unwrap();
    let line = server.hangup();
    assert!(line.contains("NOT reloaded"), "{line}");
    assert!(
        line.contains("broken_rule"),
        "the log names the rule: {line}"
    );
    assert_eq!(
        server.signup_level("u-after-broken").await,
        denied(),
        "the old rules stay"
    );
    assert_eq!(server.child.try_wait().unwrap(), None, "still serving");
}
