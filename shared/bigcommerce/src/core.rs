//! Typed management-API resources: price lists and their records and assignments, customer
//! groups (v2), orders (v2) and webhook subscriptions (`/v3/hooks`, `/v3/hooks/admin`).

use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::{decode, ApiRequest, BcClient};
use super::error::{Api, ApiError, BatchItemError, BcError};
use super::lenient;
use super::pagination::{items, v2_page, v2_pages, v3_pages, CORE_LIMIT};

/// Most records one `PUT /v3/pricelists/{id}/records` may carry.
pub const PRICE_RECORDS_PER_BATCH: usize = 1_000;
/// Most assignments one `POST /v3/pricelists/assignments` may carry.
pub const ASSIGNMENTS_PER_BATCH: usize = 25;

/// `{data}`: the envelope of a v3 single-object answer.
#[derive(Debug, Deserialize)]
pub(crate) struct Data<T> {
    pub(crate) data: T,
}

/// `min_date_modified` and ascending order by modification, for incremental order reads.
fn orders_since_query(since: DateTime<Utc>) -> Vec<(String, String)> {
    vec![
        (
            "min_date_modified".to_owned(),
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        ("sort".to_owned(), "date_modified:asc".to_owned()),
    ]
}

/// A price list.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PriceList {
    /// Id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether it applies.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A bulk-pricing tier of a price record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkPricingTier {
    /// Smallest quantity of the tier.
    pub quantity_min: i64,
    /// Largest quantity of the tier (0: no limit).
    #[serde(default)]
    pub quantity_max: i64,
    /// `price`, `percent` or `fixed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The tier's amount.
    pub amount: f64,
}

/// One price record: the price of a variant (by id or SKU) in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceRecord {
    /// The variant, by id...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// ...or by SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// ISO currency code.
    pub currency: String,
    /// The price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// Sale price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_price: Option<f64>,
    /// Retail price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retail_price: Option<f64>,
    /// Minimum advertised price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_price: Option<f64>,
    /// Quantity tiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bulk_pricing_tiers: Vec<BulkPricingTier>,
}

/// What a records upsert did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordsUpsert {
    /// Batch requests sent.
    pub batches: usize,
    /// Records sent.
    pub records: usize,
    /// Records BigCommerce rejected (a 422 naming them in `batch_errors`, or a 207), with its
    /// reasons; the batch's other records were written.
    pub rejected: Vec<BatchItemError>,
}

/// A price-list assignment to a customer group on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceListAssignment {
    /// The price list.
    pub price_list_id: i64,
    /// The customer group.
    pub customer_group_id: i64,
    /// The channel.
    pub channel_id: i64,
}

/// A customer group (v2). Fields beyond the ones named are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CustomerGroup {
    /// Id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Everything else (`is_default`, `category_access`, `discount_rules`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A v2 order. Fields beyond the ones named are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Order {
    /// Id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// RFC 2822, e.g. `Tue, 20 Nov 2012 00:00:00 +0000`.
    #[serde(default)]
    pub date_modified: Option<String>,
    /// RFC 2822.
    #[serde(default)]
    pub date_created: Option<String>,
    /// Status id 0..14.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub status_id: Option<i64>,
    /// The customer (0 for guests).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub customer_id: Option<i64>,
    /// The transactional currency the order is in (ISO 4217; writable on create when the
    /// store has multi-currency on, else the store's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_currency_code: Option<String>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Order {
    /// `date_modified` parsed, when it is a valid RFC 2822 date.
    pub fn modified_at(&self) -> Option<DateTime<Utc>> {
        parse_rfc2822(self.date_modified.as_deref()?)
    }
}

/// Parses a v2 date (RFC 2822).
pub fn parse_rfc2822(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A webhook subscription.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Hook {
    /// Id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// E.g. `store/order/created`.
    pub scope: String,
    /// Delivery URL.
    pub destination: String,
    /// Whether BigCommerce delivers to it.
    #[serde(default)]
    pub is_active: bool,
    /// Headers echoed on each delivery.
    #[serde(default)]
    pub headers: Option<Map<String, Value>>,
    /// `active`, `inactive` or `deactivated` (admin list only).
    #[serde(default)]
    pub status: Option<String>,
}

/// A subscription to create or update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookFields {
    /// E.g. `store/order/created`.
    pub scope: String,
    /// Delivery URL (https, port 443).
    pub destination: String,
    /// Whether BigCommerce delivers to it.
    pub is_active: bool,
    /// Headers echoed on each delivery (our authentication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Map<String, Value>>,
}

/// A destination domain BigCommerce stopped delivering to.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct BlockedDomain {
    /// The destination.
    pub destination: String,
    /// Seconds until it is unblocked.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub time_left: Option<i64>,
}

/// `GET /v3/hooks/admin`: deactivated hooks and blocked domains.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct HooksAdmin {
    /// Subscriptions with their status.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub hooks_list: Vec<Hook>,
    /// Blocked destinations.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub blocked_domains: Vec<BlockedDomain>,
}

/// Management API calls.
#[derive(Debug, Clone)]
pub struct Core<'a> {
    client: &'a BcClient,
}

impl BcClient {
    /// The management API (v2/v3) of this store.
    pub fn core(&self) -> Core<'_> {
        Core { client: self }
    }
}

impl<'a> Core<'a> {
    /// The client calls go through.
    pub(crate) fn client(&self) -> &'a BcClient {
        self.client
    }
}

impl Core<'_> {
    /// `GET /v3/pricelists/{id}`; `None` when it does not exist.
    pub async fn price_list(&self, id: i64) -> Result<Option<PriceList>, BcError> {
        let req = ApiRequest::get(Api::Core, format!("/v3/pricelists/{id}"));
        match self.client.send::<Data<PriceList>>(req).await {
            Ok(d) => Ok(Some(d.data)),
            Err(BcError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Upserts any number of records of one price list: batches of at most 1,000, at most 2 in
    /// flight per store (shared by every caller of this client). Stops at the first failed batch.
    pub async fn upsert_price_records(
        &self,
        price_list_id: i64,
        records: &[PriceRecord],
    ) -> Result<RecordsUpsert, BcError> {
        let slots = self.client.pricelist_upsert_slots();
        let path = format!("/v3/pricelists/{price_list_id}/records");
        // The batches go by their first index, not as borrowed chunks: a closure taking a
        // borrowed chunk is inferred for one lifetime only, and the caller's future could then
        // not be shown `Send` in generic code (rust-lang/rust#110338).
        let starts = (0..records.len()).step_by(PRICE_RECORDS_PER_BATCH);
        let batches = futures_util::stream::iter(starts)
            .map(|start| {
                let end = (start + PRICE_RECORDS_PER_BATCH).min(records.len());
                let chunk = &records[start..end];
                let path = path.clone();
                async move {
                    let req = ApiRequest::new(Api::Core, Method::PUT, path).json(chunk)?;
                    let _slot = slots
                        .acquire()
                        .await
                        .map_err(|_| BcError::InvalidRequest("client is shut down".into()))?;
                    let shared = self.store_wide_permit().await?;
                    let answer = self.client.execute(&req).await;
                    if let Some(permit) = shared {
                        permit.release().await;
                    }
                    // A 422 naming records (`batch_errors`) rejects those records only: in
                    // BigCommerce's default, non-strict mode the rest of the batch is written.
                    let rejected = match answer {
                        Ok(resp) if resp.status == StatusCode::MULTI_STATUS => {
                            match ApiError::parse(Api::Core, &resp.body) {
                                ApiError::Batch(items) => items,
                                _ => Vec::new(),
                            }
                        }
                        Ok(_) => Vec::new(),
                        Err(BcError::Rejected {
                            status: 422,
                            body: ApiError::Batch(items),
                            ..
                        }) if !items.is_empty() => items,
                        Err(e) => return Err(e),
                    };
                    Ok::<_, BcError>((chunk.len(), rejected))
                }
            })
            .buffer_unordered(2);
        let mut report = RecordsUpsert::default();
        futures_util::pin_mut!(batches);
        while let Some((n, rejected)) = batches.try_next().await? {
            report.batches += 1;
            report.records += n;
            report.rejected.extend(rejected);
        }
        Ok(report)
    }

    /// One of the store's price-list upsert permits shared with every process, when the client
    /// has [`StorePermits`](crate::permits::StorePermits).
    async fn store_wide_permit(&self) -> Result<Option<SharedPermit>, BcError> {
        let Some(permits) = self.client.store_permits() else {
            return Ok(None);
        };
        let store = self.client.store_hash().await?.to_string();
        let permit = permits
            .acquire(
                &store,
                crate::permits::PRICELIST_UPSERTS,
                self.client.deadline(),
            )
            .await?;
        Ok(Some(SharedPermit {
            permits: permits.clone(),
            permit,
        }))
    }

    /// Creates price-list assignments in batches of 25.
    pub async fn assign_price_lists(
        &self,
        assignments: &[PriceListAssignment],
    ) -> Result<usize, BcError> {
        let mut batches = 0;
        for chunk in assignments.chunks(ASSIGNMENTS_PER_BATCH) {
            let req = ApiRequest::new(Api::Core, Method::POST, "/v3/pricelists/assignments")
                .json(chunk)?;
            self.client.execute(&req).await?;
            batches += 1;
        }
        Ok(batches)
    }

    /// The records of price list `price_list_id` in `currency` for these variants
    /// (`GET /v3/pricelists/{id}/records?variant_id:in=`, every page; at most 250 ids a
    /// request).
    pub async fn price_records_for(
        &self,
        price_list_id: i64,
        variant_ids: &[i64],
        currency: &str,
    ) -> Result<Vec<PriceRecord>, BcError> {
        let mut out = Vec::new();
        for chunk in variant_ids.chunks(250) {
            let ids: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let query = vec![
                ("variant_id:in".to_owned(), ids.join(",")),
                ("currency".to_owned(), currency.to_ascii_lowercase()),
            ];
            let path = format!("/v3/pricelists/{price_list_id}/records");
            let page: Vec<PriceRecord> = items(v3_pages(self.client, path, query))
                .try_collect()
                .await?;
            out.extend(page);
        }
        Ok(out)
    }

    /// Assignments of customer group `customer_group_id` on `channel_id`
    /// (`GET /v3/pricelists/assignments`).
    pub async fn price_list_assignments(
        &self,
        customer_group_id: i64,
        channel_id: i64,
    ) -> Result<Vec<PriceListAssignment>, BcError> {
        let query = vec![
            (
                "customer_group_id".to_owned(),
                customer_group_id.to_string(),
            ),
            ("channel_id".to_owned(), channel_id.to_string()),
        ];
        items(v3_pages(self.client, "/v3/pricelists/assignments", query))
            .try_collect()
            .await
    }

    /// `GET /v2/customer_groups` as a stream.
    pub fn customer_groups(
        &self,
    ) -> impl Stream<Item = Result<CustomerGroup, BcError>> + Send + 'static {
        items(v2_pages(
            self.client,
            "/v2/customer_groups",
            Vec::new(),
            CORE_LIMIT,
        ))
    }

    /// The customer group named exactly `name` (`GET /v2/customer_groups?name=`; names are
    /// unique in a store); `None` when there is none.
    pub async fn customer_group_named(&self, name: &str) -> Result<Option<CustomerGroup>, BcError> {
        let query = vec![("name".to_owned(), name.to_owned())];
        let groups: Vec<CustomerGroup> = items(v2_pages(
            self.client,
            "/v2/customer_groups",
            query,
            CORE_LIMIT,
        ))
        .try_collect()
        .await?;
        Ok(groups.into_iter().find(|g| g.name.as_deref() == Some(name)))
    }

    /// `GET /v2/customer_groups/{id}`; `None` when it does not exist.
    pub async fn customer_group(&self, id: i64) -> Result<Option<CustomerGroup>, BcError> {
        let req = ApiRequest::get(Api::Core, format!("/v2/customer_groups/{id}"));
        match self.client.send_optional(req).await {
            Err(BcError::NotFound { .. }) => Ok(None),
            other => other,
        }
    }

    /// `POST /v2/customer_groups` with the group's fields as the API names them.
    pub async fn create_customer_group(&self, body: &Value) -> Result<CustomerGroup, BcError> {
        let req = ApiRequest::new(Api::Core, Method::POST, "/v2/customer_groups").json(body)?;
        self.client.send(req).await
    }

    /// `PUT /v2/customer_groups/{id}` (a `discount_rules` list replaces all rules).
    pub async fn update_customer_group(
        &self,
        id: i64,
        body: &Value,
    ) -> Result<CustomerGroup, BcError> {
        let req = ApiRequest::new(Api::Core, Method::PUT, format!("/v2/customer_groups/{id}"))
            .json(body)?;
        self.client.send(req).await
    }

    /// Orders modified at or after `since`, oldest first (`sort=date_modified:asc`), `limit` per page.
    pub fn orders_modified_since(
        &self,
        since: DateTime<Utc>,
        limit: u32,
    ) -> impl Stream<Item = Result<Order, BcError>> + Send + 'static {
        items(v2_pages(
            self.client,
            "/v2/orders",
            orders_since_query(since),
            limit,
        ))
    }

    /// Page `page` (from 1) of the orders modified at or after `since`, oldest first: for
    /// callers that keep their own position between runs.
    pub async fn orders_page(
        &self,
        since: DateTime<Utc>,
        page: u64,
        limit: u32,
    ) -> Result<Vec<Order>, BcError> {
        let query = orders_since_query(since);
        Ok(v2_page(self.client, "/v2/orders", &query, page, limit)
            .await?
            .0)
    }

    /// The orders created with `external_order_id` (`GET /v2/orders?external_order_id=`),
    /// oldest first: how a create whose answer was lost is found before it is tried again.
    pub async fn orders_with_external_id(
        &self,
        external_order_id: &str,
    ) -> Result<Vec<Order>, BcError> {
        let query = vec![
            ("external_order_id".to_owned(), external_order_id.to_owned()),
            ("sort".to_owned(), "id:asc".to_owned()),
        ];
        items(v2_pages(self.client, "/v2/orders", query, CORE_LIMIT))
            .try_collect()
            .await
    }

    /// `POST /v2/orders`. Like every `POST`, it is not repeated once it may have reached
    /// BigCommerce: look the order up by its `external_order_id` before trying again.
    pub async fn create_order(&self, body: &Value) -> Result<Order, BcError> {
        let req = ApiRequest::new(Api::Core, Method::POST, "/v2/orders").json(body)?;
        self.client.send(req).await
    }

    /// `GET /v2/orders/{id}`; `None` when it does not exist.
    pub async fn order(&self, id: i64) -> Result<Option<Order>, BcError> {
        let req = ApiRequest::get(Api::Core, format!("/v2/orders/{id}"));
        match self.client.send_optional(req).await {
            Err(BcError::NotFound { .. }) => Ok(None),
            other => other,
        }
    }

    /// All line items of an order (`/v2/orders/{id}/products`, every page).
    pub async fn order_products(&self, id: i64) -> Result<Vec<Value>, BcError> {
        items(v2_pages(
            self.client,
            format!("/v2/orders/{id}/products"),
            Vec::new(),
            CORE_LIMIT,
        ))
        .try_collect()
        .await
    }

    /// All shipping addresses of an order (`/v2/orders/{id}/shipping_addresses`).
    pub async fn order_shipping_addresses(&self, id: i64) -> Result<Vec<Value>, BcError> {
        items(v2_pages(
            self.client,
            format!("/v2/orders/{id}/shipping_addresses"),
            Vec::new(),
            CORE_LIMIT,
        ))
        .try_collect()
        .await
    }

    /// An order's metafields (`GET /v3/orders/{id}/metafields`, every page), as JSON.
    pub async fn order_metafields(&self, id: i64) -> Result<Vec<Value>, BcError> {
        items(v3_pages(
            self.client,
            format!("/v3/orders/{id}/metafields"),
            Vec::new(),
        ))
        .try_collect()
        .await
    }

    /// `GET /v3/hooks` as a stream.
    pub fn hooks(&self) -> impl Stream<Item = Result<Hook, BcError>> + Send + 'static {
        items(v3_pages(self.client, "/v3/hooks", Vec::new()))
    }

    /// `POST /v3/hooks`.
    pub async fn create_hook(&self, fields: &HookFields) -> Result<Hook, BcError> {
        let req = ApiRequest::new(Api::Core, Method::POST, "/v3/hooks").json(fields)?;
        Ok(self.client.send::<Data<Hook>>(req).await?.data)
    }

    /// `PUT /v3/hooks/{id}` (e.g. `is_active: true` to re-enable a deactivated hook).
    pub async fn update_hook(&self, id: i64, fields: &HookFields) -> Result<Hook, BcError> {
        let req =
            ApiRequest::new(Api::Core, Method::PUT, format!("/v3/hooks/{id}")).json(fields)?;
        Ok(self.client.send::<Data<Hook>>(req).await?.data)
    }

    /// `GET /v3/hooks/admin`: deactivated hooks and blocked domains.
    pub async fn hooks_admin(&self) -> Result<HooksAdmin, BcError> {
        let resp = self
            .client
            .execute(&ApiRequest::get(Api::Core, "/v3/hooks/admin"))
            .await?;
        Ok(decode::<Data<HooksAdmin>>(Api::Core, "GET /v3/hooks/admin", &resp.body)?.data)
    }
}

/// A store-wide permit held for one request. A permit that is never given back (the request's
/// future was dropped, the process died) expires by itself.
struct SharedPermit {
    permits: std::sync::Arc<dyn crate::permits::StorePermits>,
    permit: String,
}

impl SharedPermit {
    async fn release(self) {
        self.permits.release(self.permit).await;
    }
}
