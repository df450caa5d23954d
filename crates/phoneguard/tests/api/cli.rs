//! The real binary, as a user runs it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::binary::{BIN, clean_env};

/// Runs a command that is expected to exit; kills it (and fails) if it is still
/// running after `limit`, so a start that wrongly succeeds cannot hang the suite.
fn output_within(cmd: &mut Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn lookup_prints_one_json_line_per_number_and_flags_invalid_ones() {
    let out = Command::new(BIN)
        .args(["lookup", "13800138000", "abc", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["location"]["city"], "北京");
    assert_eq!(
        (lines[1]["valid"].as_bool(), lines[1]["error"].as_str()),
        (Some(false), Some("not_a_number"))
    );
}

#[test]
fn lookup_of_a_file_writes_csv_with_a_row_per_input_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("numbers.txt");
    let mut f = std::fs::File::create(&path).unwrap();
    write!(f, "13800138000\r\n\nnot,a number\n+8618612345678\n").unwrap();
    let out = Command::new(BIN)
        .args(["lookup", "--file"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 5, "header + 4 rows: {text}");
    assert!(rows[0].starts_with("input,valid,number"));
    assert!(
        rows[1].starts_with("13800138000,true,+8613800138000,13800138000,CN"),
        "{}",
        rows[1]
    );
    assert!(
        rows[2].starts_with(",false,") && rows[2].ends_with(",empty"),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].starts_with("\"not,a number\",false,"),
        "{}",
        rows[3]
    );
    assert!(rows[4].contains(",cucc,"), "{}", rows[4]);
}

#[test]
fn lookup_of_a_missing_file_fails_with_its_name() {
    let out = Command::new(BIN)
        .args(["lookup", "--file", "/nonexistent/x.txt"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.txt"));
}

#[test]
fn a_bad_config_value_stops_the_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value, named) in [
        ("PHONEGUARD_VERIFY__CODE_TTL_S", "soon", "verify.code_ttl_s"),
        ("PHONEGUARD_VERIFY__CODE_TTL_S", "5", "verify.code_ttl_s"),
        ("PHONEGUARD_VERIFY__CODE_TTL", "600", "code_ttl"),
        ("PHONEGUARD_LOG__FORMAT", "xml", "log.format"),
        ("PHONEGUARD_LISTEN", "nowhere", "listen"),
        // Issue 18 item 10: a guessable admin token is refused, naming its variable.
        (
            "PHONEGUARD_ADMIN_TOKEN",
            "aaaaaaaaaaaaaaaa",
            "PHONEGUARD_ADMIN_TOKEN",
        ),
        (
            "PHONEGUARD_ADMIN_TOKEN",
            "abababababababababababababab",
            "PHONEGUARD_ADMIN_TOKEN",
        ),
    ] {
        let mut cmd = Command::new(BIN);
        clean_env(&mut cmd);
        cmd.current_dir(dir.path()).arg("serve").env(var, value);
        let out = output_within(&mut cmd, Duration::from_secs(20));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value} must fail");
        assert!(err.contains(named), "{var}={value}: {err}");
    }
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[http]\nmax_body_bytes = \"big\"\n").unwrap();
    let mut cmd = Command::new(BIN);
    clean_env(&mut cmd);
    cmd.current_dir(dir.path())
        .args(["serve", "--config"])
        .arg(&cfg);
    let out = output_within(&mut cmd, Duration::from_secs(20));
    assert!(String::from_utf8_lossy(&out.stderr).contains("http.max_body_bytes"));
}

#[test]
fn serve_reads_digit_strings_as_strings_and_ignores_the_test_variables() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = clean_env(&mut Command::new(BIN))
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("PHONEGUARD_LOG__LEVEL", "warn")
        .env("PHONEGUARD_VERIFY__APP_NAME", "12306")
        .env("PHONEGUARD_ADMIN_TOKEN", "123456789012345678901234")
        .env(
            "PHONEGUARD_TEST_POSTGRES_URL",
            "postgres://u:p@127.0.0.1:1/none",
        )
        .env("PHONEGUARD_TEST_REDIS_URL", "redis://127.0.0.1:1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = lines
        .map_while(Result::ok)
        .any(|l| l.starts_with("phoneguard: listening on http://"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(started, "serve started with these variables");

    // An unknown key is still refused, naming the variable.
    let mut cmd = Command::new(BIN);
    clean_env(&mut cmd);
    cmd.current_dir(dir.path())
        .arg("serve")
        .env("PHONEGUARD_NO_SUCH_KEY", "1");
    let out = output_within(&mut cmd, Duration::from_secs(20));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("PHONEGUARD_NO_SUCH_KEY"), "{err}");
}

#[test]
fn serve_prints_the_key_once_answers_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        clean_env(&mut Command::new(BIN))
            .current_dir(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("PHONEGUARD_LOG__LEVEL", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = start();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = vec![];
    let addr = loop {
        let line = lines.next().expect("serve prints its address").unwrap();
        if let Some(a) = line.strip_prefix("phoneguard: listening on http://") {
            break a.to_string();
        }
        printed.push(line);
    };
    let key = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("pk_test_"))
        .map(|k| format!("pk_test_{k}"));
    let key = key.expect("the default key is printed on first start");
    assert!(
        printed.iter().any(|l| l.trim().starts_with("adm_")),
        "admin token printed: {printed:?}"
    );

    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(stream, "GET /v1/numbers/13800138000 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    std::io::Read::read_to_string(&mut stream, &mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("中国移动"));

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");

    // Second start on the same database: no new key is printed.
    let mut child = start();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("phoneguard: listening on"),
        "nothing printed before the address: {first}"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn risk_eval_explains_the_seed_example_and_refuses_a_broken_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(&event, r#"{"account": "69B64959969AF7DB11C5ED182495FB2E", "pwd": "E10ADC3949BA59ABBE56E057F20F883E", "ip": "58.30.1.7"}"#).unwrap();
    let out = Command::new(BIN)
        .args(["risk", "eval", "--event"])
        .arg(&event)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("common_password"), "{text}");
    assert!(text.contains("level"), "{text}");

    let rules = dir.path().join("rules.toml");
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../risk/rules/default.toml"
    ))
    .unwrap();
    std::fs::write(&rules, shipped + "\n[[rule]]\nid = \"bad_one\"\ndescription = \"x\"\nrisk_type = 1\nscore = 5\nwhen = \"(((\"\nreason = \"x\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["risk", "eval", "--rules"])
        .arg(&rules)
        .arg("--event")
        .arg(&event)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad_one"));
}

#[test]
fn risk_eval_help_says_the_event_is_a_path_to_a_file() {
    let out = Command::new(BIN)
        .args(["risk", "eval", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Path of a file"), "{help}");
    assert!(help.contains("JSON lines"), "{help}");
}

#[test]
fn a_start_that_cannot_listen_creates_nothing_so_the_next_start_shows_the_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut cmd = Command::new(BIN);
    clean_env(&mut cmd).current_dir(dir.path()).args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let out = output_within(&mut cmd, Duration::from_secs(20));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("cannot listen"), "{stderr}");
    assert!(
        !stdout.contains("adm_") && !stdout.contains("pk_test_"),
        "no secret made (and shown) by a start that failed: {stdout}"
    );
    drop(taken);

    let mut child = clean_env(&mut Command::new(BIN))
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("PHONEGUARD_LOG__LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let printed: Vec<String> = lines
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("phoneguard: listening on"))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        printed.iter().any(|l| l.trim().starts_with("adm_")),
        "the next start shows the admin token: {printed:?}"
    );
    assert!(
        printed.iter().any(|l| l.trim().starts_with("pk_test_")),
        "and the default key: {printed:?}"
    );
}
