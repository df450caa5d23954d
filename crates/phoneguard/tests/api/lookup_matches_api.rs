//! `phoneguard lookup --file` answers exactly what `GET /v1/numbers/{n}` answers.

use std::process::Command;

use serde_json::Value;

use crate::harness::{TestServer, json};

use crate::binary::BIN;

/// Numbers of every kind the table and the rules distinguish, and refused ones.
const NUMBERS: &[&str] = &[
    "13800138000",
    "+8613800138000",
    "17030001234",
    "13490001234",
    "17406001234",
    "1410123456789",
    "19200000000",
    "16100000000",
    "010-12345678",
    "+14155552671",
    "abc",
    "10012345678",
    "1380013800",
];

/// The CSV columns of a valid row, from the API's answer (JSON pointers).
const CSV_POINTERS: &[&str] = &[
    "/number",
    "/national",
    "/country",
    "/type",
    "/location/province",
    "/location/city",
    "/location/area_code",
    "/location/zip",
    "/carrier/code",
    "/carrier/name",
    "/carrier/network",
    "/carrier/segment",
];

fn lookup_file(path: &std::path::Path, json: bool) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(["lookup", "--file"]).arg(path);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn lookup_file_rows_in_json_and_csv_are_what_the_api_answers_for_each_number() {
    let s = TestServer::start().await;
    let path = s.dir.path().join("numbers.txt");
    std::fs::write(&path, NUMBERS.join("\n") + "\n").unwrap();
    let json_lines = lookup_file(&path, true);
    let csv = lookup_file(&path, false);
    let json_lines: Vec<&str> = json_lines.lines().collect();
    let csv_rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(
        (json_lines.len(), csv_rows.len()),
        (NUMBERS.len(), NUMBERS.len())
    );

    for (i, number) in NUMBERS.iter().enumerate() {
        let (status, api) = json(
            s.get(&format!("/v1/numbers/{number}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let line: Value = serde_json::from_str(json_lines[i]).unwrap();
        let fields: Vec<&str> = csv_rows[i].split(',').collect();
        assert_eq!(fields.len(), 15, "{number}: {}", csv_rows[i]);
        assert_eq!(fields[0], *number);
        if status == 200 {
            assert_eq!(line, api, "{number}: the JSON line is the API's answer");
            let expected: Vec<String> = CSV_POINTERS
                .iter()
                .map(|p| {
                    api.pointer(p)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                })
                .collect();
            assert_eq!(fields[1], "true", "{number}");
            assert_eq!(&fields[2..14], &expected[..], "{number}: CSV columns");
            assert_eq!(fields[14], "", "{number}: no error");
        } else {
            assert_eq!(status, 422, "{number}: {api}");
            assert_eq!(line["valid"], false, "{number}");
            assert_eq!(line["error"], api["reason"], "{number}");
            assert_eq!(line["reason"], api["reason"], "{number}");
            assert_eq!(line["input"], *number);
            assert_eq!(fields[1], "false", "{number}");
            assert_eq!(Some(fields[14]), api["reason"].as_str(), "{number}");
        }
    }
    s.stop().await;
}
