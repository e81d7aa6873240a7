//! Request routing of webhook-intake.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

fn json(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))
        .unwrap_or_default()
}

/// Answers one request.
pub fn handle(req: &Request) -> Response<Body> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => json(
            StatusCode::OK,
            serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
        ),
        (_, "/health") => json(
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({ "error": "method not allowed" }),
        ),
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": "not found" }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> Request {
        lambda_http::http::Request::builder()
            .method(method)
            .uri(path)
            .body(Body::Empty)
            .unwrap()
    }

    #[test]
    fn health_reports_the_version() {
        let resp = handle(&request("GET", "/health"));
        assert_eq!(resp.status(), StatusCode::OK);
        let Body::Text(text) = resp.body() else {
            panic!("text body")
        };
        assert!(text.contains(env!("CARGO_PKG_VERSION")));
        assert_eq!(
            handle(&request("POST", "/health")).status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            handle(&request("GET", "/nope")).status(),
            StatusCode::NOT_FOUND
        );
    }
}
