//! `application/x-www-form-urlencoded` bodies of the dashboard's forms.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

use crate::error::{ApiError, ProblemCode};

/// The fields of a posted form (the first value of each name).
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Parses a urlencoded body.
    pub fn parse(body: &[u8]) -> Form {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let body = Bytes::from_request(req, state).await.map_err(rejection)?;
        Ok(Form::parse(&body))
    }
}

/// 413 for a form over the body limit, else 400, as problem+json.
fn rejection(e: BytesRejection) -> ApiError {
    let status = e.status();
    let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "the form is larger than the request body limit (http.max_body_bytes)".to_string()
    } else {
        format!("cannot read the form: {e}")
    };
    ApiError::new(status, ProblemCode::for_status(status), detail)
}
