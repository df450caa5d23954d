//! Lenient reading of event bodies: every field is taken as a scalar first
//! (string, number, bool), then converted, and what cannot be converted is
//! kept as a [`FieldError`] instead of failing the whole body.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::event::{EventKind, FieldError, RiskEvent};

/// One JSON value as sent, before conversion.
#[derive(Debug)]
pub(crate) enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool,
    /// An object or an array: never valid for a field of the event.
    Compound(&'static str),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound("an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound("an array"))
    }
}

/// Deserializes `T` from a JSON object only (a derived struct would also
/// take an array, field by field).
pub(crate) fn object<'de, T: Deserialize<'de>, D: de::Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectOnly(PhantomData))
}

struct ObjectOnly<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

impl<'de> Deserialize<'de> for RiskEvent {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        object::<RawEvent, D>(deserializer).map(RiskEvent::from)
    }
}

/// A string field: numbers are taken as their decimal text, `""` as absent.
pub(crate) fn text(
    field: &'static str,
    value: Option<Scalar>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match value? {
        Scalar::Text(s) if s.is_empty() => None,
        Scalar::Text(s) => Some(s),
        Scalar::Int(i) => Some(i.to_string()),
        Scalar::Float(f) => Some(f.to_string()),
        Scalar::Bool => {
            errors.push(FieldError::new(field, "must be a string, not a boolean"));
            None
        }
        Scalar::Compound(what) => {
            errors.push(FieldError::new(
                field,
                format!("must be a string, not {what}"),
            ));
            None
        }
    }
}

/// An integer field: numbers or numeric strings, `""` as absent.
pub(crate) fn int(
    field: &'static str,
    value: Option<Scalar>,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    let parsed = match value? {
        Scalar::Int(i) => Some(i),
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
        Scalar::Text(s) if s.trim().is_empty() => return None,
        Scalar::Text(s) => s.trim().parse::<i64>().ok(),
        Scalar::Float(_) | Scalar::Bool | Scalar::Compound(_) => None,
    };
    if parsed.is_none() {
        errors.push(FieldError::new(field, "must be an integer"));
    }
    parsed
}

/// The event kind from its text, `register` when absent.
pub(crate) fn kind_of(value: Option<Scalar>, errors: &mut Vec<FieldError>) -> EventKind {
    match text("kind", value, errors).as_deref() {
        None | Some("register") => EventKind::Register,
        Some("login") => EventKind::Login,
        Some(_) => {
            errors.push(FieldError::new("kind", "must be `register` or `login`"));
            EventKind::Register
        }
    }
}

/// Declares a raw body struct with every field of the event, named in
/// `$case`, and its conversion into [`RiskEvent`]. With the `openapi`
/// feature the struct is also the schema of the body: what it reads is what
/// the API document says.
macro_rules! raw_event {
    ($(#[$meta:meta])* $name:ident, $case:tt) => {
        #[derive(Debug, Default, Deserialize)]
        $(#[$meta])*
        #[serde(rename_all = $case)]
        pub struct $name {
            /// Set by the endpoint, not read from the body.
            #[cfg_attr(feature = "openapi", schema(ignore))]
            kind: Option<Scalar>,
            /// The user's unique id (the MD5 of it when it is a phone or e-mail); required.
            #[cfg_attr(feature = "openapi", schema(value_type = String, required = true))]
            account: Option<Scalar>,
            /// E-mail address, or its MD5.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            email: Option<Scalar>,
            /// Phone number (any common format) or the 32-hex MD5 of its 11 digits.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            pn: Option<Scalar>,
            /// 32-hex MD5 of the password.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            pwd: Option<Scalar>,
            /// Nickname.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            #[serde(alias = "nick_name", alias = "nickName")]
            nick_name: Option<Scalar>,
            /// Registration time, Unix seconds.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            #[serde(alias = "register_time", alias = "registerTime")]
            register_time: Option<Scalar>,
            /// Login time, Unix seconds.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            #[serde(alias = "login_time", alias = "loginTime")]
            login_time: Option<Scalar>,
            /// Client environment, 2–12.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            #[serde(alias = "run_env", alias = "runEnv")]
            run_env: Option<Scalar>,
            /// Pointer or touch moves during the form.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            #[serde(alias = "move_count", alias = "moveCount")]
            move_count: Option<Scalar>,
            /// Clicks during the form.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            #[serde(alias = "click_count", alias = "clickCount")]
            click_count: Option<Scalar>,
            /// Key presses during the form.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            #[serde(alias = "key_count", alias = "keyCount")]
            key_count: Option<Scalar>,
            /// Seconds spent on the form.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            #[serde(alias = "operating_time", alias = "operatingTime")]
            operating_time: Option<Scalar>,
            /// The client's public IP address.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            ip: Option<Scalar>,
            /// App version.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            #[serde(alias = "app_ver", alias = "appVer")]
            app_ver: Option<Scalar>,
            /// Device MAC address.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            mac: Option<Scalar>,
            /// iOS advertising identifier.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            idfa: Option<Scalar>,
            /// Terminal id (`gyuid` is read as well).
            #[serde(alias = "gyuid", alias = "device_id", alias = "deviceId")]
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            device_id: Option<Scalar>,
            /// Device token from `POST /v1/devices`.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            #[serde(alias = "device_token", alias = "deviceToken")]
            device_token: Option<Scalar>,
            /// HTTP `Referer`.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            referrer: Option<Scalar>,
            /// HTTP `User-Agent`.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            #[serde(alias = "user_agent", alias = "userAgent")]
            user_agent: Option<Scalar>,
            /// HTTP `X-Forwarded-For`.
            #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
            #[serde(alias = "x_forward_for", alias = "xForwardFor")]
            x_forward_for: Option<Scalar>,
            /// Outcome: 0 failure, 1 success.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            result: Option<Scalar>,
            /// Failure reason: 0 other, 1 bad parameters, 2 account conflict, 3 verification error.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            reason: Option<Scalar>,
            /// Login method: 0 password, 1 QR code, 2 SMS code.
            #[cfg_attr(feature = "openapi", schema(schema_with = crate::wire::int_or_string))]
            #[serde(alias = "login_type", alias = "loginType")]
            login_type: Option<Scalar>,
        }

        impl From<$name> for RiskEvent {
            fn from(raw: $name) -> RiskEvent {
                use crate::wire::{int, text};
                let e = &mut Vec::new();
                let event = RiskEvent {
                    kind: crate::wire::kind_of(raw.kind, e),
                    account: text("account", raw.account, e).unwrap_or_default(),
                    email: text("email", raw.email, e),
                    pn: text("pn", raw.pn, e),
                    pwd: text("pwd", raw.pwd, e),
                    nick_name: text("nick_name", raw.nick_name, e),
                    register_time: int("register_time", raw.register_time, e),
                    login_time: int("login_time", raw.login_time, e),
                    run_env: int("run_env", raw.run_env, e),
                    move_count: int("move_count", raw.move_count, e),
                    click_count: int("click_count", raw.click_count, e),
                    key_count: int("key_count", raw.key_count, e),
                    operating_time: int("operating_time", raw.operating_time, e),
                    ip: text("ip", raw.ip, e),
                    app_ver: text("app_ver", raw.app_ver, e),
                    mac: text("mac", raw.mac, e),
                    idfa: text("idfa", raw.idfa, e),
                    device_id: text("device_id", raw.device_id, e),
                    device_token: text("device_token", raw.device_token, e),
                    device: crate::event::DeviceCheck::Absent,
                    referrer: text("referrer", raw.referrer, e),
                    user_agent: text("user_agent", raw.user_agent, e),
                    x_forward_for: text("x_forward_for", raw.x_forward_for, e),
                    result: int("result", raw.result, e),
                    reason: int("reason", raw.reason, e),
                    login_type: int("login_type", raw.login_type, e),
                    unreadable: Vec::new(),
                };
                RiskEvent {
                    unreadable: std::mem::take(e),
                    ..event
                }
            }
        }
    };
}

pub(crate) use raw_event;

raw_event!(
    /// Body of `POST /v1/risk/register|login`: the anti-fraud seed's fields in
    /// snake_case (a multi-word field is also read in the seed's camelCase,
    /// `runEnv` for `run_env`); only `account` is required, unknown fields are
    /// ignored.
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RiskEventIn,
        example = json!({"account": "u-1001", "pn": "13800138000", "ip": "203.0.113.7",
            "device_id": "dev-42", "run_env": 4, "operating_time": 35})))]
    RawEvent,
    "snake_case"
);

/// The schema of an integer field: a number, or a string holding one.
#[cfg(feature = "openapi")]
pub(crate) fn int_or_string() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let one_of = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^\s*(-?[0-9]+)?\s*$")),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "A number, or a string holding one (the seed's SDK sends every field as a \
             string); an empty string counts as absent.",
        ))
        .build();
    utoipa::openapi::schema::Schema::OneOf(one_of).into()
}

/// An event is read from its raw body, so the raw body is its schema.
#[cfg(feature = "openapi")]
mod schema {
    use std::borrow::Cow;

    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;
    use utoipa::{PartialSchema, ToSchema};

    use super::RawEvent;
    use crate::event::RiskEvent;
    use crate::geyan::{GeyanEvent, RawGeyan};

    impl PartialSchema for RiskEvent {
        fn schema() -> RefOr<Schema> {
            RawEvent::schema()
        }
    }
    impl ToSchema for RiskEvent {
        fn name() -> Cow<'static, str> {
            RawEvent::name()
        }
    }

    impl PartialSchema for GeyanEvent {
        fn schema() -> RefOr<Schema> {
            RawGeyan::schema()
        }
    }
    impl ToSchema for GeyanEvent {
        fn name() -> Cow<'static, str> {
            RawGeyan::name()
        }
    }
}
