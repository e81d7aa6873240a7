//! `GET /health`: the function is up, and which version it is.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::json;

use crate::http::answer;

/// The answer to `GET /health`: `{"status": "ok", "version": ...}`.
pub fn status() -> Response<Body> {
    answer(
        StatusCode::OK,
        json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
    )
}
