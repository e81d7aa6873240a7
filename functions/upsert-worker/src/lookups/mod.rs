//! What several families look up, each in its own module, each built on the engine's
//! [`Context`](crate::engine::context::Context) and nothing of any family:
//!
//! - [`mirror`]: the store mirror (companies, buyers and addresses as the last delta read saw
//!   them), so the B2B quota is spent on changes, not on lookups;
//! - [`companies`]: a company by its external id (mirror, id map, search), once per batch;
//! - [`buyers`]: a company's buyer by email;
//! - [`definitions`]: the store's company extra fields and roles;
//! - [`catalog`]: variants by SKU, the product and price of each line.

pub mod buyers;
pub mod catalog;
pub mod companies;
pub mod definitions;
pub mod mirror;
