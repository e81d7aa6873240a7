//! The whole HTTP surface assembled: the B2B and core API routes behind the API middleware, the
//! admin endpoints without it, and the fallback answering unknown routes in each family's error
//! shape. The top of the module graph: it imports the handlers; nothing imports it but `lib.rs`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use serde_json::json;
use tower::ServiceExt as _;

use crate::reply;
use crate::state::App;
use crate::{
    admin, b2b, company_terms, core_api, fulfillment, hierarchy, middleware, receivables, roles,
    shopping_lists, staff, storefront,
};

/// One router serving every store of `apps`: a request goes to the store its core path
/// (`/stores/{hash}/...`) or its `X-Store-Hash` header names, and to the first store otherwise.
pub fn stores_router(apps: &[Arc<App>]) -> Router {
    if let [only] = apps {
        return router(only.clone());
    }
    let routers: Vec<(String, Router)> = apps
        .iter()
        .map(|a| (a.opts.store_hash.clone(), router(a.clone())))
        .collect();
    let routers = Arc::new(routers);
    Router::new().fallback(move |req: Request| {
        let routers = routers.clone();
        async move {
            let named = store_named(&req);
            let chosen = routers
                .iter()
                .find(|(hash, _)| Some(hash.as_str()) == named.as_deref())
                .unwrap_or(&routers[0]);
            match chosen.1.clone().oneshot(req).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    })
}

/// The store a request names: the hash in a core path, else the `X-Store-Hash` header.
fn store_named(req: &Request) -> Option<String> {
    let path = req.uri().path();
    if let Some(rest) = path.strip_prefix("/stores/") {
        return rest.split('/').next().map(str::to_owned);
    }
    req.headers()
        .get("x-store-hash")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The whole router: B2B and core APIs behind the API middleware, admin endpoints without it.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .merge(b2b::routes())
        .merge(core_api::routes())
        .merge(fulfillment::routes())
        .merge(hierarchy::routes())
        .merge(company_terms::routes())
        .merge(staff::routes())
        .merge(shopping_lists::routes())
        .merge(roles::routes())
        .merge(receivables::routes())
        .merge(storefront::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::api,
        ));
    api.merge(admin::routes())
        .merge(storefront::storefront_routes())
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
        reply::v2_not_found()
    } else {
        reply::v3_err(
            StatusCode::NOT_FOUND,
            &format!("No route for {} {path}", req.method()),
            json!({}),
        )
    }
}
