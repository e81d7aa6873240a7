//! B2B quotes (requests for quote): the quote model and detail, the create and update bodies,
//! the list filter, and the `/rfq` calls.

use futures_util::{Stream, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::ListQuery;
use super::request::{data, found, post, put, B2b};
use crate::client::ApiRequest;
use crate::error::{Api, BcError};
use crate::lenient;
use crate::pagination::{b2b_quote_page, b2b_quote_pages, items, B2B_MAX_LIMIT};

/// The currency of a quote (`POST /rfq`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteCurrency {
    /// ISO 4217 code, upper case.
    pub currency_code: String,
}

/// Who a quote is for (`POST /rfq`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteContact {
    /// The buyer's name.
    pub name: String,
    /// The buyer's email.
    pub email: String,
}

/// One line of a quote (`POST /rfq` `productList[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteLineFields {
    /// The variant's SKU.
    pub sku: String,
    /// The product.
    pub product_id: i64,
    /// The variant, when the product has several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// Catalog price per unit.
    pub base_price: f64,
    /// Offered price per unit.
    pub offered_price: f64,
    /// `base_price - offered_price`.
    pub discount: f64,
    /// Quantity.
    pub quantity: i64,
}

/// The body of `POST /rfq`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteFields {
    /// The company the quote is for.
    pub company_id: i64,
    /// The integrating system's reference (the toolkit puts the external id here).
    pub reference_number: String,
    /// Title.
    pub quote_title: String,
    /// Notes to the buyer.
    pub notes: String,
    /// Expiry date, `MM/DD/YYYY`.
    pub expired_at: String,
    /// Currency.
    pub currency: QuoteCurrency,
    /// The buyer.
    pub contact_info: QuoteContact,
    /// Sum of base prices.
    pub subtotal: f64,
    /// `subtotal - grand_total`.
    pub discount: f64,
    /// Sum of offered prices.
    pub grand_total: f64,
    /// The amount to pay.
    pub total_amount: f64,
    /// The lines.
    pub product_list: Vec<QuoteLineFields>,
}

/// The body of `PUT /rfq/{id}`: only the fields that are set are sent. The spec's update has no
/// status (an order is linked with [`B2b::quote_ordered`]); lines are replaced as a whole, so
/// `product_list` holds every line to keep, with the totals that go with them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteUpdate {
    /// New expiry date, `MM/DD/YYYY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<String>,
    /// Every line the quote keeps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_list: Option<Vec<QuoteLineFields>>,
    /// Sum of base prices of `product_list`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtotal: Option<f64>,
    /// `subtotal - grand_total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<f64>,
    /// Sum of offered prices of `product_list`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grand_total: Option<f64>,
}

impl QuoteUpdate {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self == &QuoteUpdate::default()
    }
}

/// A quote (request for quote). Fields beyond the ones named are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The quote id.
    #[serde(alias = "id", deserialize_with = "lenient::i64")]
    pub quote_id: i64,
    /// 0 New, 2 In process, 3 Updated by customer, 4 Ordered, 5 Expired, 6 Archived, 7 Draft.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub status: Option<i64>,
    /// Display number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub quote_number: Option<String>,
    /// The BigCommerce order it became, if any.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub bc_order_id: Option<i64>,
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

/// One line of a quote detail (`GET /rfq/{id}` `productList[]`), numbers read leniently.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteDetailLine {
    /// The variant's SKU.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sku: Option<String>,
    /// Quantity.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub quantity: Option<i64>,
    /// Catalog price per unit.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub base_price: Option<f64>,
    /// Offered price per unit.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub offered_price: Option<f64>,
}

/// What the toolkit reads of a quote detail (`GET /rfq/{id}`), which carries no id of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteDetail {
    /// The lines.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub product_list: Vec<QuoteDetailLine>,
    /// Expiry: unix seconds or `MM/DD/YYYY`, as answers differ.
    #[serde(default)]
    pub expired_at: Option<Value>,
}

impl QuoteDetail {
    /// Reads the detail of quote `id`; an answer that does not read is a decode error naming it.
    pub fn read(id: i64, detail: &Value) -> Result<QuoteDetail, BcError> {
        QuoteDetail::deserialize(detail).map_err(|e| BcError::Decode {
            api: Api::B2b,
            what: format!("GET /rfq/{id}"),
            reason: e.to_string(),
        })
    }

    /// The expiry day, when the answer gives one that reads.
    pub fn expires_on(&self) -> Option<chrono::NaiveDate> {
        match self.expired_at.as_ref()? {
            Value::Number(n) => {
                chrono::DateTime::from_timestamp(n.as_i64()?, 0).map(|t| t.date_naive())
            }
            Value::String(s) => chrono::NaiveDate::parse_from_str(s, "%m/%d/%Y")
                .ok()
                .or_else(|| {
                    let secs = s.trim().parse().ok()?;
                    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.date_naive())
                }),
            _ => None,
        }
    }
}

/// Filters of `GET /rfq`.
#[derive(Debug, Clone, Default)]
pub struct QuoteFilter {
    /// Modified at or after (unix seconds).
    pub min_modified: Option<i64>,
    /// Modified at or before (unix seconds).
    pub max_modified: Option<i64>,
    /// Created at or after (unix seconds).
    pub min_created: Option<i64>,
    /// Created at or before (unix seconds).
    pub max_created: Option<i64>,
    /// Only this status.
    pub status: Option<i64>,
    /// Only quotes of companies whose name contains this (BigCommerce matches partially).
    pub company: Option<String>,
    /// Sort by `updatedAt` ascending (for incremental reads).
    pub oldest_first: bool,
}

/// A quote's creation time as the `date` that `GET /rfq/{id}` requires: the UTC day, `%m/%d/%Y`.
pub fn quote_date(created_at: i64) -> Result<String, BcError> {
    chrono::DateTime::from_timestamp(created_at, 0)
        .map(|t| t.format("%m/%d/%Y").to_string())
        .ok_or_else(|| {
            BcError::InvalidRequest(format!("quote creation time {created_at} is not a date"))
        })
}

impl QuoteFilter {
    fn query(&self) -> Vec<(String, String)> {
        ListQuery::default()
            .set("minModified", self.min_modified)
            .set("maxModified", self.max_modified)
            .set("minCreated", self.min_created)
            .set("maxCreated", self.max_created)
            .set("status", self.status)
            .set("company", self.company.as_ref())
            .flag("sortBy", self.oldest_first, "updatedAt")
            .flag("orderBy", self.oldest_first, "asc")
            .into_pairs()
    }
}

impl B2b<'_> {
    /// `GET /rfq` as a stream of quotes.
    pub fn quotes(
        &self,
        filter: &QuoteFilter,
    ) -> impl Stream<Item = Result<Quote, BcError>> + Send + 'static {
        items(b2b_quote_pages(self.client, filter.query(), B2B_MAX_LIMIT))
    }

    /// One page of `GET /rfq` starting at `offset`, in the filter's order: for callers that keep
    /// their own position between runs.
    pub async fn quotes_page(
        &self,
        filter: &QuoteFilter,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<Quote>, BcError> {
        Ok(b2b_quote_page(self.client, &filter.query(), offset, limit)
            .await?
            .0)
    }

    /// `GET /rfq/{id}?date=MM/DD/YYYY` (the full quote, as JSON); `None` when it does not exist.
    ///
    /// The spec requires the quote's creation date (`created_at`, unix seconds, as its list
    /// entry gives it), written as the UTC day. The answer carries no id: keep `id`.
    pub async fn quote(&self, id: i64, created_at: i64) -> Result<Option<Value>, BcError> {
        let req =
            ApiRequest::get(Api::B2b, format!("/rfq/{id}")).query("date", quote_date(created_at)?);
        found(data(self.client, req).await)
    }

    /// The full quote for its list entry ([`quote`](Self::quote) with the entry's
    /// `createdAt`); an entry without one is a decode error naming the quote.
    pub async fn quote_detail(&self, listed: &Quote) -> Result<Option<Value>, BcError> {
        let created = listed.created_at.ok_or_else(|| BcError::Decode {
            api: Api::B2b,
            what: format!("GET /rfq (quote {})", listed.quote_id),
            reason: "the list entry has no createdAt, which GET /rfq/{id} requires as `date`"
                .into(),
        })?;
        self.quote(listed.quote_id, created).await
    }

    /// The list entry of quote `id`, looked for among the quotes modified since
    /// `modified_since` (unix seconds), oldest change first, so a quote just changed (a webhook)
    /// is found in a page or two rather than by listing every quote. `None` when it is not there.
    pub async fn find_quote(&self, id: i64, modified_since: i64) -> Result<Option<Quote>, BcError> {
        let filter = QuoteFilter {
            min_modified: Some(modified_since),
            oldest_first: true,
            ..QuoteFilter::default()
        };
        self.listed_quote(&filter, id).await
    }

    /// The list entry of quote `id` created at `created_at` (unix seconds): one narrow
    /// `GET /rfq?minCreated&maxCreated` page. `None` when it is not there.
    pub async fn quote_created_at(
        &self,
        id: i64,
        created_at: i64,
    ) -> Result<Option<Quote>, BcError> {
        let filter = QuoteFilter {
            min_created: Some(created_at - 1),
            max_created: Some(created_at + 1),
            oldest_first: true,
            ..QuoteFilter::default()
        };
        self.listed_quote(&filter, id).await
    }

    /// The first entry of quote `id` among the quotes `filter` lists.
    async fn listed_quote(&self, filter: &QuoteFilter, id: i64) -> Result<Option<Quote>, BcError> {
        let mut quotes = std::pin::pin!(self.quotes(filter));
        while let Some(q) = quotes.try_next().await? {
            if q.quote_id == id {
                return Ok(Some(q));
            }
        }
        Ok(None)
    }

    /// `POST /rfq`; returns the new quote id.
    pub async fn create_quote(&self, body: &QuoteFields) -> Result<i64, BcError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            #[serde(alias = "id", deserialize_with = "lenient::i64")]
            quote_id: i64,
        }
        let c: Created = post(self.client, "/rfq", body).await?;
        Ok(c.quote_id)
    }

    /// `PUT /rfq/{id}`.
    pub async fn update_quote(&self, id: i64, body: &QuoteUpdate) -> Result<(), BcError> {
        put(self.client, format!("/rfq/{id}"), body).await
    }

    /// `POST /rfq/{id}/ordered`: links the BigCommerce order `order_id` to the quote (which
    /// must be new, in process or updated by customer); the quote becomes Ordered.
    pub async fn quote_ordered(&self, id: i64, order_id: i64) -> Result<(), BcError> {
        // The spec types `orderId` a string.
        let body = serde_json::json!({ "orderId": order_id.to_string() });
        let req =
            ApiRequest::new(Api::B2b, Method::POST, format!("/rfq/{id}/ordered")).json(&body)?;
        self.client.execute(&req).await.map(drop)
    }
}
