//! The countries the B2B API knows (`/countries`): one found by name or ISO code.

use std::sync::Arc;

use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::reply::{b2b_err, b2b_ok, Params};
use crate::state::App;

/// The country routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route("/api/v3/io/countries", get(country))
}

/// The countries `GET /countries` knows here (ISO code, name), a sample of BigCommerce's list.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("US", "United States"),
    ("CA", "Canada"),
    ("MX", "Mexico"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("AU", "Australia"),
    ("NZ", "New Zealand"),
    ("JP", "Japan"),
];

/// `GET /countries?searchType=0|1&q=`: one country by name (0) or ISO code (1); 404 otherwise.
async fn country(RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    let wanted = p.get("q").unwrap_or("").trim().to_lowercase();
    let by_code = p.get("searchType") == Some("1");
    let found = COUNTRIES.iter().find(|(code, name)| {
        let key = if by_code { code } else { name };
        key.to_lowercase() == wanted
    });
    match found {
        Some((code, name)) => b2b_ok(json!({"countryCode": code, "countryName": name})),
        None => b2b_err(StatusCode::NOT_FOUND, "Country not found", json!({})),
    }
}
