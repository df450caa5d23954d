//! The seed's own wire format (`GyCheckModel`, camelCase field names) for the
//! compat endpoints `/compat/geyan/check-register` and `/check-login`.

use serde::{Deserialize, Deserializer};

use crate::event::RiskEvent;
use crate::wire::{Scalar, object, raw_event};

raw_event!(
    /// Body of `POST /compat/geyan/check-register|check-login`: the seed's
    /// `GyCheckModel` with its camelCase names (a multi-word field is also read
    /// in snake_case, `run_env` for `runEnv`); only `account` is required.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = GeyanEventIn,
        example = json!({"account": "u-1001", "pn": "13800138000", "ip": "203.0.113.7",
            "deviceId": "dev-42", "runEnv": "4", "operatingTime": "35"})))]
    RawGeyan,
    "camelCase"
);

/// An event in the seed's camelCase field names (`nickName`, `runEnv`,
/// `xForwardFor`, …; `gyuid` or `deviceId` for the terminal id), read with the
/// same leniency as [`RiskEvent`] and converted into it.
///
/// ```
/// let body = r#"{"account": "a1", "runEnv": "4", "nickName": "n"}"#;
/// let event = serde_json::from_str::<phoneguard_risk::GeyanEvent>(body)
///     .unwrap()
///     .into_event();
/// assert_eq!(event.run_env, Some(4));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GeyanEvent(pub RiskEvent);

impl<'de> Deserialize<'de> for GeyanEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        object::<RawGeyan, D>(deserializer).map(|raw| GeyanEvent(raw.into()))
    }
}

impl GeyanEvent {
    /// The event in our model.
    pub fn into_event(self) -> RiskEvent {
        self.0
    }
}

impl From<GeyanEvent> for RiskEvent {
    fn from(event: GeyanEvent) -> Self {
        event.0
    }
}

/// The seed's camelCase name of a snake_case event field, for error
/// messages of the compat endpoints (`run_env` → `runEnv`); unknown names
/// are returned unchanged.
pub fn geyan_field_name(field: &str) -> &str {
    match field {
        "nick_name" => "nickName",
        "register_time" => "registerTime",
        "login_time" => "loginTime",
        "run_env" => "runEnv",
        "move_count" => "moveCount",
        "click_count" => "clickCount",
        "key_count" => "keyCount",
        "operating_time" => "operatingTime",
        "app_ver" => "appVer",
        "device_id" => "deviceId",
        "device_token" => "deviceToken",
        "user_agent" => "userAgent",
        "x_forward_for" => "xForwardFor",
        "login_type" => "loginType",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_in_the_other_case_is_read_not_dropped() {
        let geyan = serde_json::from_str::<GeyanEvent>(
            r#"{"account":"a","run_env":"4","nick_name":"n","device_id":"d","x_forward_for":"1.2.3.4"}"#,
        )
        .unwrap()
        .into_event();
        assert_eq!(geyan.run_env, Some(4));
        assert_eq!(geyan.nick_name.as_deref(), Some("n"));
        assert_eq!(geyan.device_id.as_deref(), Some("d"));
        assert_eq!(geyan.x_forward_for.as_deref(), Some("1.2.3.4"));
        let v1 = serde_json::from_str::<RiskEvent>(
            r#"{"account":"a","runEnv":5,"operatingTime":"60","loginType":"2","deviceId":"d"}"#,
        )
        .unwrap();
        assert_eq!(
            (v1.run_env, v1.operating_time, v1.login_type),
            (Some(5), Some(60), Some(2))
        );
        assert_eq!(v1.device_id.as_deref(), Some("d"));
        // Both spellings at once is ambiguous: refused, naming the field.
        let both = serde_json::from_str::<RiskEvent>(r#"{"account":"a","run_env":4,"runEnv":5}"#)
            .unwrap_err()
            .to_string();
        assert!(both.contains("run_env"), "{both}");
    }

    #[test]
    fn every_camel_case_field_lands_in_its_snake_case_twin() {
        let body = r#"{"account":"a","email":"e@x.io","pn":"13800138000","pwd":"E10ADC3949BA59ABBE56E057F20F883E",
            "nickName":"n","registerTime":"1521440310","loginTime":1521440311,"runEnv":"5","moveCount":"1",
            "clickCount":"3","keyCount":"10","operatingTime":"60","ip":"1.2.3.4","appVer":"1.1.0","mac":"",
            "idfa":"X","gyuid":"dev","referrer":"r","userAgent":"ua","xForwardFor":"1.2.3.4","result":"1",
            "reason":"0","loginType":"2"}"#;
        let e = serde_json::from_str::<GeyanEvent>(body)
            .unwrap()
            .into_event();
        assert!(e.unreadable.is_empty(), "{:?}", e.unreadable);
        assert_eq!(e.nick_name.as_deref(), Some("n"));
        assert_eq!(e.register_time, Some(1_521_440_310));
        assert_eq!(e.login_time, Some(1_521_440_311));
        assert_eq!(e.run_env, Some(5));
        assert_eq!(
            (e.move_count, e.click_count, e.key_count),
            (Some(1), Some(3), Some(10))
        );
        assert_eq!(e.operating_time, Some(60));
        assert_eq!(e.app_ver.as_deref(), Some("1.1.0"));
        assert_eq!(e.mac, None);
        assert_eq!(e.device_id.as_deref(), Some("dev"));
        assert_eq!(e.user_agent.as_deref(), Some("ua"));
        assert_eq!(e.x_forward_for.as_deref(), Some("1.2.3.4"));
        assert_eq!(
            (e.result, e.reason, e.login_type),
            (Some(1), Some(0), Some(2))
        );
    }

    #[test]
    fn camel_case_names_are_given_for_error_messages() {
        assert_eq!(geyan_field_name("run_env"), "runEnv");
        assert_eq!(geyan_field_name("account"), "account");
    }
}
