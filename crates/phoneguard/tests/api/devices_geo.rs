//! Device identity (issue 21): the browser's time zone against the country of
//! the event's IP (`risk.geoip_file`), and a bad table stopping the start.

use serde_json::{Value, json};

use crate::devices::{ORIGIN, browser, codes, publishable, register};
use crate::harness::{TestServer, json, test_config};

const TABLE: &str = "# first,last,country\n\
    58.30.0.0,58.31.255.255,CN\n\
    \"8.8.8.0\",\"8.8.8.255\",\"US\"\n\
    2001:db8::,2001:db8:0:ffff:ffff:ffff:ffff:ffff,DE\n";

fn config_with_table(table: &str) -> (phoneguard::config::Config, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let geo = dir.path().join("geo.csv");
    std::fs::write(&geo, table).unwrap();
    let mut config = test_config(&dir.path().join("pg.db"));
    config.risk.geoip_file = Some(geo.display().to_string());
    (config, dir)
}

async fn server_with_table(table: &str) -> TestServer {
    let (config, dir) = config_with_table(table);
    TestServer::start_with(config, dir).await
}

async fn assess(s: &TestServer, token: &Value, ip: &str, account: &str) -> Vec<String> {
    let (st, r) = json(
        s.post(
            "/v1/risk/register",
            &json!({"account": account, "ip": ip,
            "run_env": 2, "move_count": 80, "click_count": 5, "key_count": 20, "operating_time": 30,
            "device_token": token}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    codes(&r)
}

#[tokio::test]
async fn a_browser_in_another_countrys_time_zone_than_its_ip_is_flagged() {
    let s = server_with_table(TABLE).await;
    let (_, key) = publishable(&s, None, &[ORIGIN]).await;
    let (st, d) = register(&s, &key, &browser()).await;
    assert_eq!(st, 200, "{d}");
    let shanghai = d["device_token"].clone();
    let mismatch = "timezone_ip_mismatch".to_string();

    assert!(
        !assess(&s, &shanghai, "58.30.7.9", "tz-1")
            .await
            .contains(&mismatch)
    );
    assert!(
        assess(&s, &shanghai, "8.8.8.8", "tz-2")
            .await
            .contains(&mismatch)
    );
    assert!(
        assess(&s, &shanghai, "2001:db8::7", "tz-3")
            .await
            .contains(&mismatch),
        "IPv6 ranges count too"
    );
    assert!(
        !assess(&s, &shanghai, "9.9.9.9", "tz-4")
            .await
            .contains(&mismatch),
        "an address in no range has no country"
    );

    let mut utc = browser();
    utc["timezone"] = json!("UTC");
    utc["canvas_hash"] = json!("0000000000000001");
    let (_, d) = register(&s, &key, &utc).await;
    assert!(
        !assess(&s, &d["device_token"], "8.8.8.8", "tz-5")
            .await
            .contains(&mismatch),
        "UTC is of no country"
    );
    let mut calcutta = browser();
    calcutta["timezone"] = json!("Asia/Calcutta");
    calcutta["canvas_hash"] = json!("0000000000000002");
    let (_, d) = register(&s, &key, &calcutta).await;
    assert!(
        assess(&s, &d["device_token"], "58.30.7.9", "tz-6")
            .await
            .contains(&mismatch),
        "an old zone name is known (India against China)"
    );
    s.stop().await;
}

#[tokio::test]
async fn without_a_table_no_ip_has_a_country() {
    let s = TestServer::start().await;
    let (_, key) = publishable(&s, None, &[ORIGIN]).await;
    let (_, d) = register(&s, &key, &browser()).await;
    assert!(
        !assess(&s, &d["device_token"], "8.8.8.8", "tz-1")
            .await
            .contains(&"timezone_ip_mismatch".to_string())
    );
    s.stop().await;
}

#[tokio::test]
async fn a_malformed_table_stops_the_start_naming_the_key_and_the_line() {
    for (table, want) in [
        ("1.0.0.0,1.0.0.255,AU\n1.0.0.0,banana,AU\n", "line 2"),
        ("1.0.0.0,1.0.0.255,AU\n1.0.0.9,1.0.1.0,NZ\n", "overlap"),
        ("1.0.0.0,1.0.0.255,Australia\n", "country"),
    ] {
        let (config, _dir) = config_with_table(table);
        let err = match phoneguard::start::prepare(&config).await {
            Ok(_) => panic!("{table:?} was accepted"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("risk.geoip_file"), "{err}");
        assert!(err.contains(want), "{table:?}: {err}");
    }
}
