//! auth-callback's Lambda entry point.

use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    b2b_shared::telemetry::init_logging();
    lambda_http::run(service_fn(|_req: Request| async move {
        Ok::<_, Error>(
            Response::builder()
                .status(501)
                .header("content-type", "text/html; charset=utf-8")
                .body(Body::Text("<h1>Not implemented yet</h1>".into()))?,
        )
    }))
    .await
}
