//! Entity constructors and state mutations shared by the API handlers, the seeder and the admin
//! endpoints, one module per entity: each validates its input, builds the JSON object the API
//! returns, links related entities (company → customer group, admin user, core customer; order
//! → B2B order) and records the webhook events to fire. Knows only the store, never HTTP or the
//! shared state.
//!
//! This file only declares the entity modules and re-exports their main items (callers write
//! `model::create_company`). Within `model`, a module imports only its siblings, never this
//! file, and only those listed before it here: `events` and `fields` (what every change hands
//! back and reads); `roles`, `customers`, `users` (which makes customers), `companies` (which
//! makes users), `addresses`, `quotes`, `orders`, `inventory`, `pricelists`, `staff`,
//! `hierarchy`, `company_terms`; `batch` (all-or-nothing bulk creates of any of them); and the
//! modules built on orders, `shipments` and `receivables`.

pub mod addresses;
pub mod batch;
pub mod companies;
pub mod company_terms;
pub mod customers;
pub mod events;
pub mod fields;
pub mod hierarchy;
pub mod inventory;
pub mod orders;
mod pricelists;
pub mod quotes;
pub mod receivables;
pub mod roles;
pub mod shipments;
pub mod staff;
pub mod users;

pub use addresses::create_address;
pub use companies::{create_company, update_company, CompanyIds};
pub use customers::{create_customer, create_customer_group};
pub use events::Events;
pub use fields::{FieldErrors, REQUIRED};
pub use orders::{
    create_order, create_priced_order, currency_id, link_b2b_order, set_order_currency,
    set_order_status, status_name, Line, NewOrder, PricedLine, CURRENCIES,
};
pub use pricelists::{insert_assignment, insert_pricelist};
pub use quotes::{create_quote, QUOTE_STATUSES};
pub use users::{create_user, validate_user};
