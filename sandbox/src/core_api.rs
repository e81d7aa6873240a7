//! Core management API handlers under `/stores/{store_hash}`, one module per resource family:
//! price lists, their records (batch upsert with the concurrency cap) and assignments, v2
//! customer groups, v3 customers, v2 orders, the lists each order keeps (products, shipping
//! addresses; v3 metafields) and webhooks (`/v3/hooks`).
//!
//! This file only assembles their routes and re-exports their limits; the modules import the
//! layers below (`reply`, `state`, `model`, `store`), never this file or each other.

use std::sync::Arc;

use axum::Router;

use crate::state::App;

mod assignments;
mod customer_groups;
mod customers;
mod hooks;
pub(crate) mod order_subresources;
mod orders;
mod pricelists;
mod records;

pub use assignments::ASSIGNMENTS_MAX;
pub use customers::CUSTOMERS_MAX;
pub use records::{RECORDS_MAX, UPSERTS_CONCURRENT};

/// The core routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .merge(pricelists::routes())
        .merge(records::routes())
        .merge(assignments::routes())
        .merge(customer_groups::routes())
        .merge(customers::routes())
        .merge(orders::routes())
        .merge(order_subresources::routes())
        .merge(hooks::routes())
}
