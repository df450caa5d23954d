//! Number intelligence: `GET /v1/numbers/{number}`, `POST /v1/numbers/batch`.
//! `location` is local; `status`, `tenure` and `portability` are asked of
//! suppliers through the router (see [`crate::routes::supply`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use phoneguard_core::tenants::Principal;
use phoneguard_numbering::{ParseError, lookup};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Semaphore;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::{ApiError, ProblemCode};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::number_out::{BatchItem, BatchItemError, BatchOut, NumberOut};
use crate::routes::supply::{Field, enrich};
use crate::state::AppState;

/// Most numbers in one batch.
pub const MAX_BATCH: usize = 1000;
/// Numbers of one batch asked of suppliers at the same time.
const BATCH_CONCURRENCY: usize = 32;

/// `/v1/numbers/…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_number))
        .routes(routes!(post_numbers_batch))
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

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// The 422 for an unparseable number.
pub fn invalid_number(e: &ParseError) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::InvalidNumber,
        e.to_string(),
    )
    .with(|x| x.reason = Some(e.code().into()))
}

/// Query of `GET /v1/numbers/{number}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NumberQuery {
    /// Comma-separated: `location` (local, the default), `status`, `tenure`,
    /// `portability` (asked of suppliers).
    #[param(example = "location,status")]
    #[serde(default)]
    fields: Option<String>,
}

/// Looks a number up: location and carrier from local data, the asked
/// `fields` from suppliers.
#[utoipa::path(get, path = "/v1/numbers/{number}", tag = "numbers", security(("api_key" = [])),
    params(
        ("number" = String, Path, description = "Any format: `13800138000`, `+8613800138000`, \
            `008613800138000`, `+86 138-0013-8000`, or any E.164 number.", example = "13800138000"),
        NumberQuery,
    ),
    responses(
        (status = 200, description = "What is known about the number.", body = NumberOut),
        (status = 422, response = crate::openapi::problem::InvalidNumber),
        (status = 503, response = crate::openapi::problem::SupplierUnavailable),
    ))]
async fn get_number(
    Caller(caller): Caller,
    State(s): State<AppState>,
    Path(number): Path<String>,
    ApiQuery(q): ApiQuery<NumberQuery>,
) -> Result<Response, ApiError> {
    let fields = parse_fields(q.fields.as_deref().unwrap_or("").split(','))?;
    if fields == [Field::Location] {
        // Location only: written straight from the table, no serde_json::Value.
        let mut body = Vec::with_capacity(320);
        s.numbers
            .write_json(&number, &mut body)
            .map_err(|e| invalid_number(&e))?;
        crate::limits::admit(&s, &caller, crate::limits::numbers_capability(&fields), 1).await?;
        let json = HeaderValue::from_static("application/json");
        return Ok(([(header::CONTENT_TYPE, json)], body).into_response());
    }
    let info = lookup(s.numbers, &number).map_err(|e| invalid_number(&e))?;
    crate::limits::admit(&s, &caller, crate::limits::numbers_capability(&fields), 1).await?;
    let mut out = NumberOut::from(&info);
    for (_, r) in enrich(&s, &caller, &info, &fields).await {
        out.set(r?);
    }
    Ok(Json(out).into_response())
}

/// Body of `POST /v1/numbers/batch`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"numbers": ["13800138000", "+14155552671", "123"], "fields": ["location"]}))]
pub struct BatchIn {
    /// 1 to 1,000 numbers in any format (an item that is not a string gets an `invalid_type` item).
    #[schema(value_type = Vec<String>, min_items = 1, max_items = 1000)]
    numbers: Vec<Value>,
    /// As `fields` of `GET /v1/numbers/{number}`; default `location`.
    #[serde(default)]
    fields: Vec<String>,
}

async fn batch_item(
    s: AppState,
    caller: Arc<Principal>,
    item: Value,
    fields: Arc<Vec<Field>>,
) -> BatchItem {
    let n = match item {
        Value::String(n) => n,
        other => {
            return BatchItem::Invalid(BatchItemError::new(
                other,
                "invalid_type",
                "each item of numbers must be a string".into(),
            ));
        }
    };
    match lookup(s.numbers, &n) {
        Ok(info) => {
            let mut out = NumberOut::from(&info);
            for (field, r) in enrich(&s, &caller, &info, &fields).await {
                match r {
                    Ok(v) => out.set(v),
                    Err(e) => out.set_failed(field, e.code.as_str()),
                }
            }
            BatchItem::Number(Box::new(out))
        }
        Err(e) => BatchItem::Invalid(BatchItemError::new(
            Value::String(truncate(&n)),
            e.code(),
            e.to_string(),
        )),
    }
}

/// Looks up to 1,000 numbers up at once; an invalid number gets an item with
/// `valid: false`, never a failed batch.
#[utoipa::path(post, path = "/v1/numbers/batch", tag = "numbers", security(("api_key" = [])),
    request_body = BatchIn,
    responses((status = 200, description = "One item per number, in request order.", body = BatchOut)))]
async fn post_numbers_batch(
    Caller(caller): Caller,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<BatchIn>,
) -> Result<Json<BatchOut>, ApiError> {
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
    let fields = Arc::new(parse_fields(body.fields.iter().map(String::as_str))?);
    crate::limits::admit(
        &s,
        &caller,
        crate::limits::numbers_capability(&fields),
        body.numbers.len() as u64,
    )
    .await?;
    let caller = Arc::new(caller);
    if fields.iter().all(|f| *f == Field::Location) {
        let mut results = Vec::with_capacity(body.numbers.len());
        for item in body.numbers {
            results.push(batch_item(s.clone(), caller.clone(), item, fields.clone()).await);
        }
        return Ok(Json(BatchOut { results }));
    }
    let permits = Arc::new(Semaphore::new(BATCH_CONCURRENCY));
    let handles: Vec<_> = body
        .numbers
        .into_iter()
        .map(|item| {
            let (s, caller, fields, permits) =
                (s.clone(), caller.clone(), fields.clone(), permits.clone());
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                batch_item(s, caller, item, fields).await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(handles.len());
    for h in handles {
        results.push(
            h.await
                .map_err(|e| ApiError::internal("batch item task", e))?,
        );
    }
    Ok(Json(BatchOut { results }))
}
