//! Typed B2B Edition resources: companies, users (buyers), addresses, quotes and orders.
//!
//! Models decode leniently: ids and statuses may come as strings or numbers, unknown fields are
//! ignored (or kept in `extra` where an export passes them on), and `null` lists are empty.
//!
//! Every call is a method of the one [`B2b`] handle ([`BcClient::b2b`](crate::BcClient::b2b));
//! each resource keeps its models and calls in a file of its own, and every item is reachable
//! from here:
//! - `companies`: [`Company`], [`CompanyFields`], [`CompanyFilter`], extra fields and roles.
//! - `users`: [`User`] (buyers), [`UserFields`], [`UserFilter`].
//! - `addresses`: [`Address`], [`AddressFields`], [`Country`].
//! - `quotes`: [`Quote`], [`QuoteDetail`], [`QuoteFields`], [`QuoteUpdate`], [`QuoteFilter`].
//! - `orders`: [`B2bOrder`], [`B2bOrderFilter`].
//! - `common`: [`SortOrder`] and [`ExtraField`], which several resources share.
//! - `request`: the handle, the `{data}` envelope and the bulk size limit.

mod addresses;
mod common;
mod companies;
mod orders;
mod quotes;
pub(crate) mod request;
mod users;

pub use addresses::{Address, AddressFields, Country, ADDRESSES_MAX_LIMIT};
pub use common::{ExtraField, SortOrder};
pub use companies::{
    Company, CompanyCreated, CompanyFields, CompanyFilter, CompanyRole, CompanyStatus,
    ExtraFieldConfig, ParentCompany, PriceListAssign, EXTRA_FIELD_SEARCH_SEPARATORS,
};
pub use orders::{B2bOrder, B2bOrderFilter};
pub use quotes::{
    quote_date, Quote, QuoteContact, QuoteCurrency, QuoteDetail, QuoteDetailLine, QuoteFields,
    QuoteFilter, QuoteLineFields, QuoteUpdate,
};
pub use request::{B2b, B2B_BULK_MAX};
pub use users::{BuyerRole, User, UserCreated, UserFields, UserFilter};
