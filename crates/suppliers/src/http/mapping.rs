//! Response mappings: JSON pointers into the vendor's answer and value tables
//! from the vendor's codes to ours. Each mapping is data, checked when the
//! supplier is configured, so a bad table is a 422 at the admin API rather
//! than a failure at the first call.
//!
//! ```json
//! {"success": {"pointer": "/code", "equals": [200]},
//!  "error_code": "/code", "error_message": "/msg",
//!  "result": {"pointer": "/data/result", "map": {"0": "cancelled", "1": "normal"}},
//!  "carrier": {"pointer": "/data/channel", "map": {"移动": "cmcc"}},
//!  "name": {"pointer": "/data/nameCheck", "map": {"1": "match", "0": "mismatch"}}}
//! ```
//!
//! A vendor value missing from `result.map`, or mapped to `"error"`, is a
//! business failure carrying the vendor's code and message (the router moves
//! on); a pointer that finds nothing is a bad response.

use std::collections::BTreeMap;

use phoneguard_core::suppliers::{
    Answer, Capability, CarrierAnswer, CarrierVerdict, FieldCheck, IdentityAnswer, LineStatus,
    MatchResult, PortabilityAnswer, StatusAnswer, SupplierError, TenureAnswer, TenureBucket,
    TokenProblem,
};
use serde::Deserialize;
use serde_json::Value;

use crate::BuildError;

/// A business-success condition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// JSON pointer (RFC 6901).
    pub pointer: String,
    /// Values meaning success.
    pub equals: Vec<Value>,
}

/// A value found by pointer, translated by a table (no table: used as is).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// JSON pointer (RFC 6901).
    pub pointer: String,
    /// Vendor value (as text) → our code.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
}

/// How to read one endpoint's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// When present and not satisfied, the call is a business failure.
    #[serde(default)]
    pub success: Option<Check>,
    /// Pointer to the vendor's error code (for call records and logs).
    #[serde(default)]
    pub error_code: Option<String>,
    /// Pointer to the vendor's error message.
    #[serde(default)]
    pub error_message: Option<String>,
    /// The answer: status code, tenure bucket (or months without a map),
    /// `true`/`false` for ported, or `match`/`mismatch`/`not_found`.
    pub result: Lookup,
    /// Carrier now serving the number (our codes).
    #[serde(default)]
    pub carrier: Option<Lookup>,
    /// Per-field name check (identity).
    #[serde(default)]
    pub name: Option<Lookup>,
    /// Per-field ID-number check (identity).
    #[serde(default)]
    pub id_number: Option<Lookup>,
    /// The number of a carrier token (`carrier_auth`; any usual form).
    #[serde(default)]
    pub phone: Option<String>,
}

/// `carrier_auth` codes a `result.map` may name: `ok` (the number is at
/// `phone`) or a token problem.
const CARRIER_CODES: [&str; 4] = ["ok", "token_invalid", "token_expired", "token_used"];

/// A VerifyMobile query answered with the token's number: the verdict is
/// whether it is the subject's number. Other answers pass through.
pub fn verdict_of_number(q: &phoneguard_core::suppliers::Query, a: Answer) -> Answer {
    match (a, &q.carrier) {
        (Answer::Carrier(CarrierAnswer::Number { e164, .. }), Some(cq)) if cq.verify => {
            Answer::Carrier(CarrierAnswer::Verdict(if e164 == q.subject.e164 {
                CarrierVerdict::Pass
            } else {
                CarrierVerdict::Reject
            }))
        }
        (other, _) => other,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn valid_for(cap: Capability, code: &str) -> bool {
    code == "error"
        || match cap {
            Capability::Status => LineStatus::from_code(code).is_some(),
            Capability::Tenure => TenureBucket::from_code(code).is_some(),
            Capability::Portability => matches!(code, "true" | "false"),
            Capability::Identity => MatchResult::from_code(code).is_some(),
            Capability::CarrierAuth => CARRIER_CODES.contains(&code),
            Capability::Sms | Capability::Voice => false,
        }
}

impl Mapping {
    /// Checks pointers and that every table value is one of our codes.
    pub fn validate(&self, cap: Capability, field: &str) -> Result<(), BuildError> {
        let ptr_ok = |p: &str| p.is_empty() || p.starts_with('/');
        let mut pointers = vec![("result.pointer", self.result.pointer.as_str())];
        if let Some(c) = &self.success {
            pointers.push(("success.pointer", &c.pointer));
        }
        for (k, l) in [
            ("carrier", &self.carrier),
            ("name", &self.name),
            ("id_number", &self.id_number),
        ] {
            if let Some(l) = l {
                pointers.push((k, &l.pointer));
            }
        }
        if let Some(p) = &self.phone {
            pointers.push(("phone", p.as_str()));
        }
        if cap == Capability::CarrierAuth && self.phone.is_none() {
            return Err(BuildError::new(
                format!("{field}.phone"),
                "carrier_auth needs the pointer to the number",
            ));
        }
        if let Some((k, _)) = pointers.iter().find(|(_, p)| !ptr_ok(p)) {
            return Err(BuildError::new(
                format!("{field}.{k}"),
                "a JSON pointer starts with /",
            ));
        }
        let bad = |m: &BTreeMap<String, String>, ok: &dyn Fn(&str) -> bool| {
            m.values().find(|v| !ok(v)).cloned()
        };
        if let Some(v) = bad(&self.result.map, &|v| valid_for(cap, v)) {
            return Err(BuildError::new(
                format!("{field}.result.map"),
                format!("{v:?} is not a {} code", cap.as_str()),
            ));
        }
        for (k, l) in [("name", &self.name), ("id_number", &self.id_number)] {
            if let Some(v) = l
                .as_ref()
                .and_then(|l| bad(&l.map, &|v| MatchResult::from_code(v).is_some()))
            {
                return Err(BuildError::new(
                    format!("{field}.{k}.map"),
                    format!("{v:?} is not match, mismatch or not_found"),
                ));
            }
        }
        if let Some(v) = self
            .carrier
            .as_ref()
            .and_then(|l| bad(&l.map, &|v| ["cmcc", "cucc", "ctcc", "cbn"].contains(&v)))
        {
            return Err(BuildError::new(
                format!("{field}.carrier.map"),
                format!("{v:?} is not a carrier code"),
            ));
        }
        Ok(())
    }

    fn business(&self, body: &Value, code: Option<String>) -> SupplierError {
        let get = |p: &Option<String>| p.as_ref().and_then(|p| body.pointer(p)).map(text);
        SupplierError::Business {
            code: code
                .or_else(|| get(&self.error_code))
                .unwrap_or_default()
                .chars()
                .take(64)
                .collect(),
            message: get(&self.error_message)
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        }
    }

    fn lookup(
        &self,
        l: &Lookup,
        body: &Value,
        required: bool,
    ) -> Result<Option<String>, SupplierError> {
        let Some(v) = body.pointer(&l.pointer).filter(|v| !v.is_null()) else {
            return if required {
                Err(SupplierError::BadResponse(format!(
                    "nothing at {}",
                    l.pointer
                )))
            } else {
                Ok(None)
            };
        };
        let key = text(v);
        if l.map.is_empty() {
            return Ok(Some(key));
        }
        match l.map.get(&key).map(String::as_str) {
            Some("error") | None => Err(self.business(body, Some(key))),
            Some(ours) => Ok(Some(ours.to_string())),
        }
    }

    /// Reads the answer of capability `cap` from the vendor's JSON.
    pub fn apply(
        &self,
        cap: Capability,
        body: &Value,
        segment_carrier: Option<&str>,
    ) -> Result<Answer, SupplierError> {
        if let Some(c) = &self.success
            && !body
                .pointer(&c.pointer)
                .is_some_and(|v| c.equals.iter().any(|e| e == v || text(e) == text(v)))
        {
            return Err(self.business(body, None));
        }
        let result = self.lookup(&self.result, body, true)?.unwrap_or_default();
        let carrier = match &self.carrier {
            Some(l) => self.lookup(l, body, false)?,
            None => None,
        };
        let bad =
            || SupplierError::BadResponse(format!("{result:?} is not a {} answer", cap.as_str()));
        Ok(match cap {
            Capability::Status => Answer::Status(StatusAnswer {
                status: LineStatus::from_code(&result).ok_or_else(bad)?,
                ported: carrier.as_deref().zip(segment_carrier).map(|(a, b)| a != b),
                carrier,
            }),
            Capability::Tenure => Answer::Tenure(TenureAnswer {
                bucket: match TenureBucket::from_code(&result) {
                    Some(b) => b,
                    None => TenureBucket::from_months(result.trim().parse().map_err(|_| bad())?),
                },
            }),
            Capability::Portability => {
                let ported = result.parse::<bool>().map_err(|_| bad())?;
                Answer::Portability(PortabilityAnswer {
                    ported,
                    original: segment_carrier.map(str::to_string),
                    current: carrier.or_else(|| {
                        (!ported)
                            .then(|| segment_carrier.map(str::to_string))
                            .flatten()
                    }),
                })
            }
            Capability::Identity => {
                let field = |l: &Option<Lookup>| -> Result<Option<MatchResult>, SupplierError> {
                    Ok(match l {
                        Some(l) => self
                            .lookup(l, body, false)?
                            .and_then(|v| MatchResult::from_code(&v)),
                        None => None,
                    })
                };
                Answer::Identity(IdentityAnswer {
                    result: MatchResult::from_code(&result).ok_or_else(bad)?,
                    checks: FieldCheck {
                        name: field(&self.name)?,
                        id_number: field(&self.id_number)?,
                    },
                })
            }
            Capability::CarrierAuth => Answer::Carrier(match result.as_str() {
                "token_invalid" => CarrierAnswer::Token(TokenProblem::Invalid),
                "token_expired" => CarrierAnswer::Token(TokenProblem::Expired),
                "token_used" => CarrierAnswer::Token(TokenProblem::Used),
                _ => {
                    let raw = self
                        .phone
                        .as_ref()
                        .and_then(|p| body.pointer(p))
                        .map(text)
                        .ok_or_else(|| {
                            SupplierError::BadResponse("no phone in the answer".into())
                        })?;
                    let info = phoneguard_numbering::lookup(
                        phoneguard_numbering::NumberTable::embedded(),
                        &raw,
                    )
                    .map_err(|_| SupplierError::BadResponse("phone is not a number".into()))?;
                    CarrierAnswer::Number {
                        e164: info.number.clone(),
                        carrier: carrier.or_else(|| {
                            info.carrier
                                .and_then(|c| c.code)
                                .map(|c| c.code().to_string())
                        }),
                    }
                }
            }),
            Capability::Sms | Capability::Voice => return Err(bad()),
        })
    }
}
