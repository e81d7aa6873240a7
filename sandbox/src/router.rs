//! The whole HTTP surface assembled: the B2B and core API routes behind the API middleware, the
//! admin endpoints without it, and the fallback answering unknown routes in each family's error
//! shape. The top of the module graph: it imports the handlers; nothing imports it but `lib.rs`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use serde_json::json;

use crate::reply;
use crate::state::App;
use crate::{admin, b2b, core_api, middleware};

/// The whole router: B2B and core APIs behind the API middleware, admin endpoints without it.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .merge(b2b::routes())
        .merge(core_api::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::api,
        ));
    api.merge(admin::routes())
        .fallback(fallback)
        .with_state(app)
}

async fn fallback(State(_app): State<Arc<App>>, req: Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/v3/io") {
        reply::b2b_err(
            StatusCode::NOT_FOUND,
            "Not found",
            json!({"errMsg": format!("No route for {} {path}", req.method())}),
        )
    } else if path.contains("/v2/") {
        reply::v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        )
    } else {
        reply::v3_err(
            StatusCode::NOT_FOUND,
            &format!("No route for {} {path}", req.method()),
            json!({}),
        )
    }
}
