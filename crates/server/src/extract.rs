//! Body and query extractors whose rejections are problem+json naming the problem.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ProblemCode};

/// `Json<T>` whose errors are problem+json: 400 for bad syntax, 422 naming the
/// field for a wrong type or missing field, 413 past the body limit, 415 for a
/// missing JSON content type.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> ApiError {
    let status = rej.status();
    let detail = match &rej {
        JsonRejection::JsonDataError(e) => format!(
            "invalid body: {}",
            e.body_text()
                .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        ),
        JsonRejection::JsonSyntaxError(e) => format!(
            "body is not valid JSON: {}",
            e.body_text()
                .trim_start_matches("Failed to parse the request body as JSON: ")
        ),
        JsonRejection::MissingJsonContentType(_) => {
            "expected Content-Type: application/json".to_string()
        }
        _ if status.as_u16() == 413 => {
            "the request body is larger than the limit (64 KiB)".to_string()
        }
        other => other.body_text(),
    };
    ApiError::new(status, ProblemCode::for_status(status), detail)
}

/// `Query<T>` whose errors are 422 problem+json naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::InvalidRequest,
                format!(
                    "invalid query: {}",
                    e.body_text()
                        .trim_start_matches("Failed to deserialize query string: ")
                ),
            )),
            Err(other) => Err(ApiError::bad_request(other.body_text())),
        }
    }
}
