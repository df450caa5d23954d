//! The Aliyun front's answers: Aliyun's JSON envelope and error codes, with
//! its request id in the body and the `x-acs-request-id` header.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An Aliyun error answer.
#[derive(Debug)]
pub struct AliyunError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

pub(super) fn err(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> AliyunError {
    AliyunError {
        status,
        code,
        message: message.into(),
    }
}

pub(super) fn business(code: &'static str, message: impl Into<String>) -> AliyunError {
    err(StatusCode::OK, code, message)
}

/// 503 `ServiceUnavailable`: something of ours did not answer.
pub(super) fn service_unavailable() -> AliyunError {
    err(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        "The request has failed due to a temporary failure of the server.",
    )
}

pub(super) fn signature_mismatch() -> AliyunError {
    err(
        StatusCode::BAD_REQUEST,
        "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation.",
    )
}

pub(super) fn request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

pub(super) fn answer(status: StatusCode, rid: &str, body: Value) -> Response {
    (
        status,
        [
            ("content-type", "application/json;charset=utf-8"),
            ("x-acs-request-id", rid),
        ],
        body.to_string(),
    )
        .into_response()
}

impl AliyunError {
    pub(super) fn into_response_with(self, rid: &str) -> Response {
        answer(
            self.status,
            rid,
            json!({"RequestId": rid, "HostId": "dypnsapi.aliyuncs.com", "Code": self.code,
                "Message": self.message, "Recommend": ""}),
        )
    }
}
