//! Number intelligence: `GET /v1/numbers/{number}`, `POST /v1/numbers/batch`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use phoneguard_numbering::{NumberInfo, ParseError, lookup};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

/// Most numbers in one batch.
pub const MAX_BATCH: usize = 1000;

/// `/v1/numbers/…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/numbers/batch", post(post_numbers_batch))
        .route("/v1/numbers/{number}", get(get_number))
}

/// What a lookup may return besides the local location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Location,
    Status,
    Tenure,
    Portability,
}

impl Field {
    fn parse(s: &str) -> Option<Field> {
        match s.trim() {
            "location" => Some(Field::Location),
            "status" => Some(Field::Status),
            "tenure" => Some(Field::Tenure),
            "portability" => Some(Field::Portability),
            _ => None,
        }
    }

    fn capability(self) -> &'static str {
        match self {
            Field::Location => "location",
            Field::Status => "status",
            Field::Tenure => "tenure",
            Field::Portability => "portability",
        }
    }
}

/// Parses the `fields` list; empty means location only.
fn parse_fields<'a>(items: impl Iterator<Item = &'a str>) -> Result<Vec<Field>, ApiError> {
    let mut out = vec![];
    for item in items.filter(|s| !s.trim().is_empty()) {
        let f = Field::parse(item).ok_or_else(|| {
            ApiError::invalid_field(
                "fields",
                format!(
                    "unknown field {:?}; expected any of location, status, tenure, portability",
                    truncate(item)
                ),
            )
        })?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    if out.is_empty() {
        out.push(Field::Location);
    }
    Ok(out)
}

/// Supplier-backed fields need a supplier with that capability; until one is
/// configured they are refused clearly rather than silently left out.
fn require_local(fields: &[Field]) -> Result<(), ApiError> {
    if let Some(f) = fields.iter().find(|f| **f != Field::Location) {
        let cap = f.capability();
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "supplier_unavailable",
            format!(
                "no supplier with capability {cap} is configured; only location is answered locally"
            ),
        )
        .with("capability", cap));
    }
    Ok(())
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// The 422 for an unparseable number.
pub fn invalid_number(e: &ParseError) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_number",
        e.to_string(),
    )
    .with("reason", e.code())
}

/// Query of `GET /v1/numbers/{number}`.
#[derive(Deserialize)]
pub struct NumberQuery {
    #[serde(default)]
    fields: Option<String>,
}

async fn get_number(
    _caller: Caller,
    State(s): State<AppState>,
    Path(number): Path<String>,
    ApiQuery(q): ApiQuery<NumberQuery>,
) -> Result<Json<NumberInfo>, ApiError> {
    let fields = parse_fields(q.fields.as_deref().unwrap_or("").split(','))?;
    require_local(&fields)?;
    lookup(s.numbers, &number)
        .map(Json)
        .map_err(|e| invalid_number(&e))
}

/// Body of `POST /v1/numbers/batch`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchIn {
    numbers: Vec<Value>,
    #[serde(default)]
    fields: Vec<String>,
}

async fn post_numbers_batch(
    _caller: Caller,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<BatchIn>,
) -> Result<Json<Value>, ApiError> {
    if body.numbers.is_empty() {
        return Err(ApiError::invalid_field(
            "numbers",
            "numbers must hold at least one number",
        ));
    }
    if body.numbers.len() > MAX_BATCH {
        return Err(ApiError::invalid_field(
            "numbers",
            format!(
                "numbers holds {} items; at most {MAX_BATCH} per batch",
                body.numbers.len()
            ),
        ));
    }
    let fields = parse_fields(body.fields.iter().map(String::as_str))?;
    require_local(&fields)?;
    let results: Vec<Value> = body
        .numbers
        .iter()
        .map(|item| match item {
            Value::String(n) => match lookup(s.numbers, n) {
                Ok(info) => serde_json::to_value(info).unwrap_or(Value::Null),
                Err(e) => json!({"number": truncate(n), "valid": false, "error": e.code(), "detail": e.to_string()}),
            },
            other => json!({"number": other, "valid": false, "error": "invalid_type",
                            "detail": "each item of numbers must be a string"}),
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}
