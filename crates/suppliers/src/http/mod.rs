//! The `http` supplier: zero-code integration of a vendor's HTTP API.
//!
//! Options hold one endpoint per capability it answers:
//!
//! ```json
//! {"identity": {
//!    "method": "POST", "url": "https://vendor.example/v1/two-factor",
//!    "headers": {"Authorization": "APPCODE {{credentials.appcode}}"},
//!    "json": {"name": "{{name}}", "phoneNumber": "{{phone}}"},
//!    "timeout_ms": 3000,
//!    "response": {"result": {"pointer": "/code",
//!                 "map": {"FP00000": "match", "FP03333": "mismatch", "KYC1101": "not_found"}},
//!                 "error_message": "/message"}}}
//! ```
//!
//! The body is `json` (a JSON template: string leaves are rendered), `form`
//! (name → template, sent url-encoded) or neither; `query` adds URL parameters.
//! See [`template`] for the variables and filters, [`mapping`] for the response side.

pub mod mapping;
pub mod template;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use minijinja::Environment;
use phoneguard_core::suppliers::{Answer, Capability, Query, Supplier, SupplierError};
use serde::Deserialize;
use serde_json::Value;

use crate::aliyun::transport;
use crate::{AdapterContext, BuildError};
use mapping::Mapping;

fn post() -> String {
    "POST".into()
}

/// One endpoint: request template and response mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// `GET` or `POST` (default).
    #[serde(default = "post")]
    pub method: String,
    /// URL template.
    pub url: String,
    /// Header name → value template.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// URL parameter → value template.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Form field → value template (url-encoded body).
    #[serde(default)]
    pub form: Option<BTreeMap<String, String>>,
    /// JSON body template.
    #[serde(default)]
    pub json: Option<Value>,
    /// Timeout of the HTTP call (default 5000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// How to read the answer.
    pub response: Mapping,
}

/// The adapter.
pub struct HttpSupplier {
    http: reqwest::Client,
    env: Environment<'static>,
    endpoints: BTreeMap<Capability, Endpoint>,
    credentials: Value,
}

fn check_templates(env: &Environment<'_>, field: &str, sources: &[&str]) -> Result<(), BuildError> {
    for s in sources {
        env.template_from_str(s)
            .map_err(|e| BuildError::new(field, format!("template error: {e}")))?;
    }
    Ok(())
}

impl HttpSupplier {
    /// Parses and checks the endpoints (templates compile, mappings name our codes).
    pub fn new(
        options: &Value,
        credentials: Value,
        ctx: &AdapterContext,
    ) -> Result<Self, BuildError> {
        let env = template::environment();
        let obj = options
            .as_object()
            .ok_or_else(|| BuildError::new("options", "must be an object"))?;
        let mut endpoints = BTreeMap::new();
        for (key, spec) in obj {
            let cap = Capability::parse(key)
                .filter(|c| !matches!(c, Capability::Sms | Capability::Voice))
                .ok_or_else(|| {
                    BuildError::new(
                        format!("options.{key}"),
                        "expected status, tenure, portability, identity or carrier_auth",
                    )
                })?;
            let field = format!("options.{key}");
            let ep: Endpoint = serde_json::from_value(spec.clone())
                .map_err(|e| BuildError::new(&field, e.to_string()))?;
            if !matches!(ep.method.as_str(), "GET" | "POST") {
                return Err(BuildError::new(format!("{field}.method"), "GET or POST"));
            }
            if ep.form.is_some() && ep.json.is_some() {
                return Err(BuildError::new(&field, "either form or json, not both"));
            }
            let mut sources: Vec<&str> = vec![&ep.url];
            sources.extend(ep.headers.values().map(String::as_str));
            sources.extend(ep.query.values().map(String::as_str));
            sources.extend(ep.form.iter().flat_map(|f| f.values().map(String::as_str)));
            check_templates(&env, &field, &sources)?;
            ep.response.validate(cap, &format!("{field}.response"))?;
            endpoints.insert(cap, ep);
        }
        if endpoints.is_empty() {
            return Err(BuildError::new(
                "options",
                "declare at least one endpoint, e.g. options.status",
            ));
        }
        Ok(HttpSupplier {
            http: ctx.http.clone(),
            env,
            endpoints,
            credentials,
        })
    }

    /// Capabilities this configuration declares endpoints for.
    pub fn capabilities(&self) -> Vec<Capability> {
        self.endpoints.keys().copied().collect()
    }
}

fn unsupported(e: minijinja::Error) -> SupplierError {
    SupplierError::Unsupported(format!("request template: {}", e.kind()))
}

#[async_trait]
impl Supplier for HttpSupplier {
    async fn call(&self, q: &Query) -> Result<Answer, SupplierError> {
        let ep = self.endpoints.get(&q.capability).ok_or_else(|| {
            SupplierError::Unsupported(format!("no endpoint for {}", q.capability.as_str()))
        })?;
        let mut vars = template::variables(q, &self.credentials);
        let url = self.env.render_str(&ep.url, &vars).map_err(unsupported)?;
        let (body, content_type) = match (&ep.json, &ep.form) {
            (Some(tpl), _) => {
                let v = template::render_json(&self.env, tpl, &vars).map_err(unsupported)?;
                (v.to_string(), Some("application/json; charset=utf-8"))
            }
            (None, Some(form)) => {
                let mut ser = form_urlencoded::Serializer::new(String::new());
                for (k, t) in form {
                    ser.append_pair(k, &self.env.render_str(t, &vars).map_err(unsupported)?);
                }
                (
                    ser.finish(),
                    Some("application/x-www-form-urlencoded; charset=UTF-8"),
                )
            }
            (None, None) => (String::new(), None),
        };
        vars.insert("body".into(), Value::String(body.clone()));
        let timeout = Duration::from_millis(ep.timeout_ms.unwrap_or(5000).clamp(50, 60_000));
        let mut req = match ep.method.as_str() {
            "GET" => self.http.get(&url),
            _ => self.http.post(&url),
        }
        .timeout(timeout);
        if !ep.query.is_empty() {
            let mut pairs = Vec::with_capacity(ep.query.len());
            for (k, t) in &ep.query {
                pairs.push((
                    k.as_str(),
                    self.env.render_str(t, &vars).map_err(unsupported)?,
                ));
            }
            req = req.query(&pairs);
        }
        let mut has_ct = false;
        for (k, t) in &ep.headers {
            has_ct |= k.eq_ignore_ascii_case("content-type");
            req = req.header(
                k.as_str(),
                self.env.render_str(t, &vars).map_err(unsupported)?,
            );
        }
        if let (Some(ct), false) = (content_type, has_ct) {
            req = req.header("Content-Type", ct);
        }
        if !body.is_empty() {
            req = req.body(body);
        }
        let resp = req.send().await.map_err(|e| transport(e, timeout))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(SupplierError::HttpStatus(status.as_u16()));
        }
        let json: Value = resp
            .json()
            .await
            .map_err(|e| SupplierError::BadResponse(e.without_url().to_string()))?;
        let answer = ep
            .response
            .apply(q.capability, &json, q.subject.carrier.as_deref())?;
        Ok(mapping::verdict_of_number(q, answer))
    }
}
