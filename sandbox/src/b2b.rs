//! B2B Edition API handlers under `/api/v3/io`, one module per resource family: companies
//! (with their bulk writes), users, addresses, quotes (`/rfq`), countries, and orders with
//! their products; `requests` holds how they all read a request.
//!
//! This file only assembles their routes and re-exports their public items; the modules import
//! `requests` and the layers below (`reply`, `state`, `model`, `store`), never this file. Company
//! bulk updates use the company update of `companies`.

use std::sync::Arc;

use axum::Router;

use crate::state::App;

mod addresses;
mod companies;
mod company_bulk;
mod countries;
mod orders;
mod quotes;
mod requests;
mod users;

pub use countries::COUNTRIES;
pub use requests::BULK_MAX;

/// The B2B routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .merge(companies::routes())
        .merge(company_bulk::routes())
        .merge(users::routes())
        .merge(countries::routes())
        .merge(addresses::routes())
        .merge(quotes::routes())
        .merge(orders::routes())
}
