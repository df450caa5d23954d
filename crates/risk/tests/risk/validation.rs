//! Reading bodies leniently and naming every bad field.

use phoneguard_risk::{FieldError, RiskEvent, geyan_field_name};

fn parse(body: &str) -> RiskEvent {
    serde_json::from_str(body).expect("bodies never fail to deserialize on field values")
}

fn errors(body: &str) -> Vec<FieldError> {
    parse(body).validate().expect_err("should be invalid")
}

fn fields(body: &str) -> Vec<&'static str> {
    errors(body).iter().map(|e| e.field).collect()
}

#[test]
fn numbers_may_be_numbers_or_numeric_strings_and_empty_means_absent() {
    let e = parse(
        r#"{"account":"a","run_env":"5","move_count":3,"click_count":" 4 ","key_count":2.0,"operating_time":"","mac":""}"#,
    );
    assert!(e.validate().is_ok(), "{:?}", e.validate());
    assert_eq!(
        (e.run_env, e.move_count, e.click_count, e.key_count),
        (Some(5), Some(3), Some(4), Some(2))
    );
    assert_eq!((e.operating_time, e.mac), (None, None));
    let e = parse(r#"{"account": 12345, "ip": "::1"}"#);
    assert_eq!(e.account, "12345");
}

#[test]
fn the_account_is_required_and_bounded() {
    assert_eq!(fields(r#"{"pn":"13800138000"}"#), ["account"]);
    assert_eq!(fields(r#"{"account":"  "}"#), ["account"]);
    let long = format!(r#"{{"account":"{}"}}"#, "x".repeat(129));
    assert_eq!(errors(&long)[0].message, "must be at most 128 characters");
    let ok = format!(r#"{{"account":"{}"}}"#, "字".repeat(128));
    assert!(parse(&ok).validate().is_ok());
}

#[test]
fn each_bad_field_is_named_with_what_is_wrong() {
    let cases = [
        (
            r#""run_env":"13""#,
            "run_env",
            "must be an integer from 2 to 12",
        ),
        (r#""run_env":"abc""#, "run_env", "must be an integer"),
        (r#""run_env":{"a":1}"#, "run_env", "must be an integer"),
        (
            r#""pwd":"123456""#,
            "pwd",
            "must be the 32-hex MD5 of the password",
        ),
        (
            r#""pn":"call me""#,
            "pn",
            "must be a phone number or the 32-hex MD5 of one",
        ),
        (
            r#""email":"nobody""#,
            "email",
            "must be an e-mail address or its 32-hex MD5",
        ),
        (
            r#""ip":"300.1.2.3""#,
            "ip",
            "must be an IPv4 or IPv6 address",
        ),
        (
            r#""register_time":1521440310000"#,
            "register_time",
            "must be a Unix time in seconds, from 0 to 4102444800",
        ),
        (
            r#""login_time":-1"#,
            "login_time",
            "must be a Unix time in seconds, from 0 to 4102444800",
        ),
        (
            r#""move_count":-3"#,
            "move_count",
            "must be an integer from 0 to 1000000",
        ),
        (
            r#""click_count":1000001"#,
            "click_count",
            "must be an integer from 0 to 1000000",
        ),
        (r#""key_count":true"#, "key_count", "must be an integer"),
        (
            r#""operating_time":86401"#,
            "operating_time",
            "must be seconds, from 0 to 86400",
        ),
        (
            r#""result":"2""#,
            "result",
            "must be 0 (failure) or 1 (success)",
        ),
        (
            r#""reason":"4""#,
            "reason",
            "must be an integer from 0 to 3",
        ),
        (
            r#""login_type":"3""#,
            "login_type",
            "must be an integer from 0 to 2",
        ),
        (
            r#""nick_name":["x"]"#,
            "nick_name",
            "must be a string, not an array",
        ),
        (
            r#""kind":"logout""#,
            "kind",
            "must be `register` or `login`",
        ),
    ];
    for (field_json, field, message) in cases {
        let errs = errors(&format!(r#"{{"account":"a",{field_json}}}"#));
        assert_eq!(errs, [FieldError::new(field, message)], "{field_json}");
    }
}

#[test]
fn long_strings_are_refused_per_field() {
    for (field, max) in [
        ("nick_name", 64),
        ("app_ver", 64),
        ("mac", 64),
        ("idfa", 64),
        ("device_id", 128),
        ("referrer", 2048),
        ("user_agent", 1024),
        ("x_forward_for", 2048),
    ] {
        let body = format!(r#"{{"account":"a","{field}":"{}"}}"#, "y".repeat(max + 1));
        assert_eq!(
            errors(&body),
            [FieldError::new(
                field,
                format!("must be at most {max} characters")
            )]
        );
        let body = format!(r#"{{"account":"a","{field}":"{}"}}"#, "y".repeat(max));
        assert!(parse(&body).validate().is_ok(), "{field}");
    }
}

#[test]
fn hashes_are_accepted_in_either_case_and_phones_in_any_writing() {
    let md5 = "E10ADC3949BA59ABBE56E057F20F883E";
    for body in [
        format!(r#"{{"account":"a","pwd":"{md5}","pn":"{md5}","email":"{md5}"}}"#),
        format!(
            r#"{{"account":"a","pwd":"{}","pn":"+86 138-0013-8000","email":"a@b.cn"}}"#,
            md5.to_lowercase()
        ),
        r#"{"account":"a","pn":"(010) 1234 5678","ip":" 2408:8000::1 "}"#.to_owned(),
    ] {
        assert!(parse(&body).validate().is_ok(), "{body}");
    }
}

#[test]
fn all_errors_are_reported_at_once_in_field_order() {
    let got = fields(r#"{"run_env":"1","pwd":"x","ip":"nope","result":"7"}"#);
    assert_eq!(got, ["account", "pwd", "run_env", "ip", "result"]);
    assert_eq!(geyan_field_name(got[2]), "runEnv");
}

#[test]
fn unknown_fields_are_ignored_and_a_non_object_is_an_error() {
    assert!(
        parse(r#"{"account":"a","gyuid":"d","extra":{"x":1}}"#)
            .validate()
            .is_ok()
    );
    assert_eq!(
        parse(r#"{"account":"a","gyuid":"d"}"#).device_id.as_deref(),
        Some("d")
    );
    assert!(serde_json::from_str::<RiskEvent>("[1,2]").is_err());
}
