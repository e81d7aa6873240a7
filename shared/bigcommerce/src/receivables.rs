//! The B2B Edition Invoice Portal (`/api/v3/io/ip`): invoices, payments (offline ones recorded
//! by the seller, online ones made by buyers in the portal), receipts and receipt lines.
//!
//! Contract notes (checked against `invoice-management.yaml` and its examples):
//! - Money is `{code, value}`; answers send the value as a decimal string, invoice create takes
//!   a number and invoice update a string ([`Money::numeric_json`], [`Money::string_json`]).
//! - Lists have no "changed since" filter: [`Portal::payments_since`] and friends read newest
//!   first (`sortBy=updatedAt&orderBy=DESC`) and stop at the first older entry.
//! - The invoice list's `externalId[]` filter is declared numeric, so an ERP's invoice id (any
//!   text) is looked up through the unique invoice number instead.
//! - `GET /receipts` declares its `offset` exclusive of 0, so the first page is read without it.

use futures_util::{Stream, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::b2b::request::put;
use super::b2b::ExtraField;
use super::client::{ApiRequest, BcClient};
use super::error::{Api, BcError};
use super::lenient;
use super::money::{Amount, Money};
use super::pagination::{b2b_pages, items, B2B_MAX_LIMIT};

/// Invoice status: open.
pub const INVOICE_OPEN: i64 = 0;
/// Invoice status: partially paid.
pub const INVOICE_PARTIALLY_PAID: i64 = 1;
/// Invoice status: paid (the portal sets it when the open balance reaches 0).
pub const INVOICE_PAID: i64 = 2;

/// Payment processing status: completed (an offline payment's default).
pub const PAYMENT_COMPLETED: i64 = 3;

/// An invoice as the portal returns it. Fields beyond the ones named (`details`, `createdAt`,
/// `updatedAt`, ...) are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// Invoice id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// The B2B company id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub customer_id: Option<String>,
    /// The ERP's invoice id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub external_id: Option<String>,
    /// The ERP's customer id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub external_customer_id: Option<String>,
    /// Invoice number (unique in the store).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub invoice_number: Option<String>,
    /// Invoice type (`Invoice`, `Credit Memo`, ...).
    #[serde(default, rename = "type", deserialize_with = "lenient::opt_string")]
    pub invoice_type: Option<String>,
    /// Due date (unix seconds).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub due_date: Option<i64>,
    /// 0 open, 1 partially paid, 2 paid.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub status: Option<i64>,
    /// The BigCommerce order it bills.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub order_number: Option<String>,
    /// The buyer's PO number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub purchase_order_number: Option<String>,
    /// What was invoiced.
    pub original_balance: Money,
    /// What is left to pay.
    pub open_balance: Money,
    /// Extra field values.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub extra_fields: Vec<ExtraField>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The fields of an invoice create or update; `None` leaves a field out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvoiceFields {
    /// Invoice number.
    pub invoice_number: Option<String>,
    /// Invoice type.
    pub invoice_type: Option<String>,
    /// The B2B company id.
    pub customer_id: Option<String>,
    /// The ERP's invoice id.
    pub external_id: Option<String>,
    /// The ERP's customer id.
    pub external_customer_id: Option<String>,
    /// Due date (unix seconds).
    pub due_date: Option<i64>,
    /// Issue date (unix seconds; create only).
    pub issued_at: Option<i64>,
    /// Status (0, 1, 2).
    pub status: Option<i64>,
    /// The BigCommerce order it bills (create only: the update route does not take it).
    pub order_number: Option<String>,
    /// PO number.
    pub purchase_order_number: Option<String>,
    /// Invoiced amount.
    pub original_balance: Option<Money>,
    /// Open amount.
    pub open_balance: Option<Money>,
    /// Details (`header` cost lines and addresses, `details` line items), replaced whole.
    pub details: Option<Value>,
    /// `1` for an invoice from outside B2B Edition (an ERP's).
    pub source: Option<i64>,
    /// The URL of the ERP's PDF.
    pub external_pdf_url: Option<String>,
    /// Terms and conditions (create only: the update route does not take them).
    pub terms_conditions: Option<String>,
    /// Extra field values.
    pub extra_fields: Option<Vec<ExtraField>>,
}

impl InvoiceFields {
    /// True when nothing would be sent.
    pub fn is_empty(&self) -> bool {
        *self == InvoiceFields::default()
    }

    /// The body, with money as `money` writes it.
    fn body(&self, money: fn(&Money) -> Value, create: bool) -> Value {
        let mut b = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                b.insert(k.to_owned(), v);
            }
        };
        let text = |v: &Option<String>| v.as_ref().map(|s| json!(s));
        put("invoiceNumber", text(&self.invoice_number));
        put("type", text(&self.invoice_type));
        put("customerId", text(&self.customer_id));
        put("externalId", text(&self.external_id));
        put("externalCustomerId", text(&self.external_customer_id));
        put("dueDate", self.due_date.map(|d| json!(d)));
        // The update route takes neither the issue date, the order nor the terms.
        if create {
            put("issuedAt", self.issued_at.map(|d| json!(d)));
            put("orderNumber", text(&self.order_number));
            put("termsConditions", text(&self.terms_conditions));
        }
        put("status", self.status.map(|s| json!(s)));
        put("purchaseOrderNumber", text(&self.purchase_order_number));
        put("originalBalance", self.original_balance.as_ref().map(money));
        put("openBalance", self.open_balance.as_ref().map(money));
        put("details", self.details.clone());
        put("source", self.source.map(|s| json!(s)));
        put("externalPdfUrl", text(&self.external_pdf_url));
        put("extraFields", self.extra_fields.as_ref().map(|f| json!(f)));
        Value::Object(b)
    }
}

/// One invoice a payment pays (part of).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLine {
    /// The invoice.
    #[serde(deserialize_with = "lenient::i64")]
    pub invoice_id: i64,
    /// Its number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub invoice_number: Option<String>,
    /// What was paid of it.
    #[serde(default)]
    pub amount: Option<Money>,
}

/// A payment (offline, or made in the portal). Fields beyond the ones named (`details`,
/// `moduleData`, `fees`, ...) are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// Payment id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Created (unix seconds).
    #[serde(deserialize_with = "lenient::i64")]
    pub created_at: i64,
    /// Last changed (unix seconds).
    #[serde(deserialize_with = "lenient::i64")]
    pub updated_at: i64,
    /// The B2B company id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub customer_id: Option<String>,
    /// The id the ERP gave it (offline payments).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub external_id: Option<String>,
    /// `payments_offline`, `payments_bigcommerce_sales_order`, ...
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub module_name: Option<String>,
    /// 0 incomplete, 1 awaiting processing, 2 processing, 3 completed, 4 refunded.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub processing_status: Option<i64>,
    /// Whether it was applied to the invoices' balances (1) or not (0).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub applied_status: Option<i64>,
    /// The total paid.
    pub total: Money,
    /// The invoices it pays.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub line_items: Vec<PaymentLine>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An offline payment to record (`POST /payments/offline`).
#[derive(Debug, Clone, PartialEq)]
pub struct OfflinePayment {
    /// The B2B company id.
    pub customer_id: String,
    /// The currency of every line.
    pub currency: String,
    /// `(invoice id, amount)` per invoice paid.
    pub lines: Vec<(i64, Amount)>,
    /// The memo (cheque number, wire reference).
    pub memo: String,
    /// The ERP's id of the payment: what finds it again.
    pub external_id: Option<String>,
    /// The ERP's customer id.
    pub external_customer_id: Option<String>,
    /// Who paid.
    pub payer_name: Option<String>,
}

impl OfflinePayment {
    fn body(&self) -> Value {
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|(id, amount)| json!({"invoiceId": id, "amount": amount.to_decimal_string()}))
            .collect();
        let mut b = json!({
            "lineItems": lines,
            "currency": self.currency,
            "details": {"memo": self.memo},
            "customerId": self.customer_id,
            "processingStatus": PAYMENT_COMPLETED,
        });
        for (k, v) in [
            ("externalId", &self.external_id),
            ("externalCustomerId", &self.external_customer_id),
            ("payerName", &self.payer_name),
        ] {
            if let Some(v) = v {
                b[k] = json!(v);
            }
        }
        b
    }
}

/// A receipt: money received for one payment. Fields beyond the ones named are kept in
/// `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// Receipt id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Created (unix seconds).
    #[serde(deserialize_with = "lenient::i64")]
    pub created_at: i64,
    /// Last changed (unix seconds).
    #[serde(deserialize_with = "lenient::i64")]
    pub updated_at: i64,
    /// The B2B company id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub customer_id: Option<String>,
    /// The payment it records.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub payment_id: Option<i64>,
    /// `Paid`, `Refund`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub transaction_type: Option<String>,
    /// `Offline`, `Visa ending in 1111`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub payment_type: Option<String>,
    /// The payment's reference.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub reference_number: Option<String>,
    /// The total.
    #[serde(default)]
    pub total: Option<Money>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One invoice of a receipt.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptLine {
    /// Line id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Last changed (unix seconds).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub updated_at: Option<i64>,
    /// Its receipt.
    #[serde(deserialize_with = "lenient::i64")]
    pub receipt_id: i64,
    /// The invoice.
    #[serde(deserialize_with = "lenient::i64")]
    pub invoice_id: i64,
    /// Its number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub invoice_number: Option<String>,
    /// What was received for it.
    #[serde(default)]
    pub amount: Option<Money>,
    /// The payment's processing status.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub payment_status: Option<i64>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{invoiceNumber, invoiceId}`: what creating an invoice from an order answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceFromOrder {
    /// The new invoice.
    #[serde(deserialize_with = "lenient::i64")]
    pub invoice_id: i64,
    /// Its number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub invoice_number: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Debug, Deserialize)]
struct Id {
    #[serde(deserialize_with = "lenient::i64")]
    id: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentId {
    #[serde(deserialize_with = "lenient::i64")]
    payment_id: i64,
}

/// The Invoice Portal calls of one store.
#[derive(Debug, Clone)]
pub struct Portal<'a> {
    client: &'a BcClient,
}

impl BcClient {
    /// The B2B Edition Invoice Portal of this store.
    pub fn invoice_portal(&self) -> Portal<'_> {
        Portal { client: self }
    }
}

fn found<T>(r: Result<T, BcError>) -> Result<Option<T>, BcError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(BcError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn newest_first() -> Vec<(String, String)> {
    vec![
        ("sortBy".into(), "updatedAt".into()),
        ("orderBy".into(), "DESC".into()),
    ]
}

impl Portal<'_> {
    async fn data<T: serde::de::DeserializeOwned>(&self, req: ApiRequest) -> Result<T, BcError> {
        Ok(self.client.send::<Data<T>>(req).await?.data)
    }

    /// `GET /ip/invoices` with `query` (`searchBy`, `q`, `customerId`, `status`, ...) as a
    /// stream of invoices.
    pub fn invoices(
        &self,
        query: Vec<(String, String)>,
    ) -> impl Stream<Item = Result<Invoice, BcError>> + Send + 'static {
        items(b2b_pages(self.client, "/ip/invoices", query, B2B_MAX_LIMIT))
    }

    /// The invoice numbered exactly `number` (a keyword search on the number, then an exact
    /// match), or `None`.
    pub async fn invoice_by_number(&self, number: &str) -> Result<Option<Invoice>, BcError> {
        let query = vec![
            ("searchBy".into(), "invoiceNumber".into()),
            ("q".into(), number.to_owned()),
        ];
        let mut matches = std::pin::pin!(self.invoices(query));
        while let Some(invoice) = matches.try_next().await? {
            if invoice.invoice_number.as_deref() == Some(number) {
                return Ok(Some(invoice));
            }
        }
        Ok(None)
    }

    /// `GET /ip/invoices/{id}`; `None` when it does not exist.
    pub async fn invoice(&self, id: i64) -> Result<Option<Invoice>, BcError> {
        found(
            self.data(ApiRequest::get(Api::B2b, format!("/ip/invoices/{id}")))
                .await,
        )
    }

    /// `POST /ip/invoices`: the new invoice's id.
    pub async fn create_invoice(&self, fields: &InvoiceFields) -> Result<i64, BcError> {
        let req = ApiRequest::new(Api::B2b, Method::POST, "/ip/invoices")
            .json(&fields.body(Money::numeric_json, true))?;
        Ok(self.data::<Id>(req).await?.id)
    }

    /// `PUT /ip/invoices/{id}` with only `fields`.
    pub async fn update_invoice(&self, id: i64, fields: &InvoiceFields) -> Result<(), BcError> {
        let body = fields.body(Money::string_json, false);
        put(self.client, format!("/ip/invoices/{id}"), &body).await
    }

    /// `POST /ip/orders/{orderId}/invoices`: an invoice made by B2B Edition from an order.
    pub async fn create_invoice_from_order(
        &self,
        order_id: i64,
    ) -> Result<InvoiceFromOrder, BcError> {
        let path = format!("/ip/orders/{order_id}/invoices");
        self.data(ApiRequest::new(Api::B2b, Method::POST, path))
            .await
    }

    /// `GET /ip/payments/{id}`; `None` when it does not exist.
    pub async fn payment(&self, id: i64) -> Result<Option<Payment>, BcError> {
        found(
            self.data(ApiRequest::get(Api::B2b, format!("/ip/payments/{id}")))
                .await,
        )
    }

    /// The payment the ERP recorded as `external_id`, or `None` (a keyword search on the
    /// external id, then an exact match).
    pub async fn payment_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<Payment>, BcError> {
        let query = vec![
            ("searchBy".into(), "externalId".into()),
            ("q".into(), external_id.to_owned()),
        ];
        let mut matches = std::pin::pin!(items::<Payment>(b2b_pages(
            self.client,
            "/ip/payments",
            query,
            B2B_MAX_LIMIT
        )));
        while let Some(p) = matches.try_next().await? {
            if p.external_id.as_deref() == Some(external_id) {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// The payments of invoice `id` (`GET /ip/payments?invoiceId=`).
    pub async fn payments_of_invoice(&self, id: i64) -> Result<Vec<Payment>, BcError> {
        let query = vec![("invoiceId".into(), id.to_string())];
        items(b2b_pages(self.client, "/ip/payments", query, B2B_MAX_LIMIT))
            .try_collect()
            .await
    }

    /// `POST /ip/payments/offline` (completed, so it is applied to the invoices at once): the
    /// new payment's id.
    pub async fn create_offline_payment(&self, payment: &OfflinePayment) -> Result<i64, BcError> {
        let req = ApiRequest::new(Api::B2b, Method::POST, "/ip/payments/offline")
            .json(&payment.body())?;
        Ok(self.data::<PaymentId>(req).await?.payment_id)
    }

    /// Every payment changed at or after `since` (unix seconds), newest first.
    pub async fn payments_since(&self, since: i64) -> Result<Vec<Payment>, BcError> {
        self.since("/ip/payments", since, |p: &Payment| p.updated_at)
            .await
    }

    /// The lines of receipt `id` (`GET /ip/receipts/{id}/lines`, every page; the first without
    /// `offset`, as for receipts).
    pub async fn receipt_lines(&self, id: i64) -> Result<Vec<ReceiptLine>, BcError> {
        let path = format!("/ip/receipts/{id}/lines");
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let (page, next, _) =
                b2b_page_counted::<ReceiptLine>(self.client, &path, &[], offset).await?;
            let empty = page.is_empty();
            out.extend(page);
            match next {
                Some(n) if !empty => offset = n,
                _ => return Ok(out),
            }
        }
    }

    /// Every receipt changed at or after `since`, newest first.
    pub async fn receipts_since(&self, since: i64) -> Result<Vec<Receipt>, BcError> {
        self.since("/ip/receipts", since, |r: &Receipt| r.updated_at)
            .await
    }

    /// Every receipt line changed at or after `since`, newest first.
    pub async fn receipt_lines_since(&self, since: i64) -> Result<Vec<ReceiptLine>, BcError> {
        self.since("/ip/receipt-lines", since, |l: &ReceiptLine| {
            l.updated_at.unwrap_or(i64::MAX)
        })
        .await
    }

    /// The entries of the list at `path` changed at or after `since`: pages newest first
    /// until one holds an older entry. New entries arriving meanwhile push older ones down (read
    /// twice, never missed); a list that shrank is an error (`ListShrank`), as for every list.
    async fn since<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        since: i64,
        changed: fn(&T) -> i64,
    ) -> Result<Vec<T>, BcError> {
        let query = newest_first();
        let mut out = Vec::new();
        let mut offset = 0u64;
        let mut largest = None::<u64>;
        loop {
            let (page, next, total) =
                b2b_page_counted::<T>(self.client, path, &query, offset).await?;
            if let (Some(was), Some(now)) = (largest, total) {
                if now < was {
                    return Err(BcError::ListShrank {
                        api: Api::B2b,
                        path: path.to_owned(),
                        was,
                        now,
                    });
                }
            }
            largest = largest.max(total);
            let mut reached_older = false;
            for entry in page {
                if changed(&entry) >= since {
                    out.push(entry);
                } else {
                    reached_older = true;
                }
            }
            match next {
                Some(n) if !reached_older => offset = n,
                _ => return Ok(out),
            }
        }
    }
}

/// One page of a portal list at `offset`, the first without `offset` (which `GET /receipts`
/// declares exclusive of 0): items, the next offset and `totalCount`.
async fn b2b_page_counted<T: serde::de::DeserializeOwned>(
    client: &BcClient,
    path: &str,
    query: &[(String, String)],
    offset: u64,
) -> Result<(Vec<T>, Option<u64>, Option<u64>), BcError> {
    let mut req = ApiRequest::get(Api::B2b, path)
        .queries(query)
        .query("limit", B2B_MAX_LIMIT);
    if offset > 0 {
        req = req.query("offset", offset);
    }
    let list: PortalList<T> = client.send(req).await?;
    let total = list
        .meta
        .and_then(|m| m.pagination)
        .and_then(|p| p.total_count);
    let got = list.data.len() as u64;
    let next = match total {
        Some(total) => (offset + got < total).then_some(offset + got),
        None => (got >= u64::from(B2B_MAX_LIMIT)).then_some(offset + got),
    };
    Ok((list.data, next, total))
}

#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
struct PortalList<T> {
    #[serde(default = "Vec::new", deserialize_with = "lenient::vec_or_null")]
    data: Vec<T>,
    #[serde(default)]
    meta: Option<PortalMeta>,
}

#[derive(Debug, Deserialize)]
struct PortalMeta {
    #[serde(default)]
    pagination: Option<PortalPagination>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PortalPagination {
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    total_count: Option<u64>,
}
