//! Request templates: minijinja with strict undefined variables and a few
//! filters for request signing (`md5`, `sha256`, `hmac_sha256`,
//! `hmac_sha256_hexkey`, `base64`).
//!
//! Variables: `phone` (national), `phone_e164`, `phone_md5`, `phone_sha256`,
//! `carrier`, `name`, `name_md5`, `name_sha256`, `id_number`, `id_number_md5`,
//! `id_number_sha256`, `credentials.<key>`, `timestamp` (Unix seconds),
//! `timestamp_ms`, `date` (UTC `YYYY-MM-DD`), `nonce` (32 hex), and in header
//! templates `body` (the rendered body, to sign it). A template that uses a
//! variable the query does not have (a clear name when only its hash was
//! given) fails, and the supplier is skipped for that query.

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest as _, Md5};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use phoneguard_core::suppliers::Query;
use serde_json::{Map, Value, json};
use sha2::Sha256;

fn hmac_hex(key: &[u8], msg: &str) -> String {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    m.update(msg.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// The template environment with strict undefined and the signing filters.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("md5", |s: String| hex::encode(Md5::digest(s.as_bytes())));
    env.add_filter("sha256", |s: String| {
        hex::encode(Sha256::digest(s.as_bytes()))
    });
    env.add_filter("hmac_sha256", |msg: String, key: String| {
        hmac_hex(key.as_bytes(), &msg)
    });
    env.add_filter("hmac_sha256_hexkey", |msg: String, key: String| {
        hex::decode(&key).map(|k| hmac_hex(&k, &msg)).map_err(|_| {
            Error::new(
                ErrorKind::InvalidOperation,
                "hmac_sha256_hexkey: key is not hex",
            )
        })
    });
    env.add_filter("base64", |s: String| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
    });
    env
}

/// The variables of one query. Personal fields are present only in the forms
/// the caller gave.
pub fn variables(q: &Query, credentials: &Value) -> Map<String, Value> {
    let s = &q.subject;
    let now = chrono::Utc::now();
    let mut v = Map::new();
    v.insert("phone".into(), json!(s.national));
    v.insert("phone_e164".into(), json!(s.e164));
    v.insert(
        "phone_md5".into(),
        json!(hex::encode(Md5::digest(s.national.as_bytes()))),
    );
    v.insert(
        "phone_sha256".into(),
        json!(hex::encode(Sha256::digest(s.national.as_bytes()))),
    );
    v.insert(
        "carrier".into(),
        json!(s.carrier.clone().unwrap_or_default()),
    );
    v.insert("credentials".into(), credentials.clone());
    v.insert("timestamp".into(), json!(now.timestamp()));
    v.insert("timestamp_ms".into(), json!(now.timestamp_millis()));
    v.insert("date".into(), json!(now.format("%Y-%m-%d").to_string()));
    v.insert(
        "nonce".into(),
        json!(uuid::Uuid::new_v4().simple().to_string()),
    );
    if let Some(c) = &q.carrier {
        v.insert("token".into(), json!(c.token.expose()));
    }
    if let Some(id) = &q.identity {
        let mut put = |prefix: &str, p: &phoneguard_core::suppliers::Personal| {
            if let Some(c) = &p.clear {
                v.insert(prefix.into(), json!(c));
            }
            if let Some(h) = &p.md5 {
                v.insert(format!("{prefix}_md5"), json!(h));
            }
            if let Some(h) = &p.sha256 {
                v.insert(format!("{prefix}_sha256"), json!(h));
            }
        };
        put("name", &id.name);
        if let Some(n) = &id.id_number {
            put("id_number", n);
        }
    }
    v
}

/// Renders every string leaf of a JSON template (so values are escaped as JSON,
/// never spliced into JSON text).
pub fn render_json(
    env: &Environment<'_>,
    tpl: &Value,
    vars: &Map<String, Value>,
) -> Result<Value, Error> {
    Ok(match tpl {
        Value::String(s) => Value::String(env.render_str(s, vars)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| render_json(env, x, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, x) in o {
                out.insert(k.clone(), render_json(env, x, vars)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}
