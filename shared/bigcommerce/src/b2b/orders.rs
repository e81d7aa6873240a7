//! The B2B view of core orders: the B2B order model, its list filter, and the B2B `/orders`
//! calls (PO number, list, one order, its products).

use futures_util::Stream;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::ListQuery;
use super::request::{data, found, B2b};
use crate::client::ApiRequest;
use crate::error::{Api, BcError};
use crate::lenient;
use crate::pagination::{b2b_pages, items};

/// The B2B view of a core order, addressed by `bcOrderId`. Other fields are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct B2bOrder {
    /// The core order id.
    #[serde(deserialize_with = "lenient::i64")]
    pub bc_order_id: i64,
    /// The company that placed it.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub company_id: Option<i64>,
    /// Purchase order number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub po_number: Option<String>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub created_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub updated_at: Option<i64>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Filters of `GET /orders` (B2B). Ask for ascending order: the API defaults to newest first.
#[derive(Debug, Clone, Default)]
pub struct B2bOrderFilter {
    /// Only this company's orders.
    pub company_id: Option<i64>,
    /// Modified at or after (unix seconds).
    pub min_modified: Option<i64>,
    /// Modified at or before (unix seconds).
    pub max_modified: Option<i64>,
    /// Sort by `updatedAt` ascending.
    pub oldest_first: bool,
}

impl B2bOrderFilter {
    fn query(&self) -> Vec<(String, String)> {
        ListQuery::default()
            .set("companyId", self.company_id)
            .set("minModified", self.min_modified)
            .set("maxModified", self.max_modified)
            .flag("sortBy", self.oldest_first, "updatedAt")
            .flag("orderBy", self.oldest_first, "ASC")
            .into_pairs()
    }
}

impl B2b<'_> {
    /// `PUT /orders/{bcOrderId}` (B2B) `{poNumber}`: records the buyer's PO number on the
    /// order's B2B record. `false` when the order has no B2B record (yet: B2B Edition makes it
    /// shortly after a company buyer's order is created).
    pub async fn set_order_po_number(
        &self,
        bc_order_id: i64,
        po_number: &str,
    ) -> Result<bool, BcError> {
        let body = serde_json::json!({ "poNumber": po_number });
        let req =
            ApiRequest::new(Api::B2b, Method::PUT, format!("/orders/{bc_order_id}")).json(&body)?;
        match self.client.execute(&req).await {
            Ok(_) => Ok(true),
            Err(BcError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET /orders` (B2B) as a stream; at most 200 per page.
    pub fn orders(
        &self,
        filter: &B2bOrderFilter,
    ) -> impl Stream<Item = Result<B2bOrder, BcError>> + Send + 'static {
        items(b2b_pages(self.client, "/orders", filter.query(), 200))
    }

    /// `GET /orders/{bcOrderId}` (B2B); `None` when the order has no B2B record. The spec wraps
    /// the order in a one-element array, other single-resource answers are objects: both decode.
    pub async fn order(&self, bc_order_id: i64) -> Result<Option<B2bOrder>, BcError> {
        let what = format!("/orders/{bc_order_id}");
        let req = ApiRequest::get(Api::B2b, what.clone());
        let Some(value) = found(data::<Value>(self.client, req).await)? else {
            return Ok(None);
        };
        let value = match value {
            Value::Array(mut items) if items.len() <= 1 => match items.pop() {
                Some(v) => v,
                None => return Ok(None),
            },
            other => other,
        };
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| BcError::Decode {
                api: Api::B2b,
                what: format!("GET {what}"),
                reason: e.to_string(),
            })
    }

    /// `GET /orders/{bcOrderId}/products` (B2B), as JSON.
    pub async fn order_products(&self, bc_order_id: i64) -> Result<Vec<Value>, BcError> {
        data(
            self.client,
            ApiRequest::get(Api::B2b, format!("/orders/{bc_order_id}/products")),
        )
        .await
    }
}
