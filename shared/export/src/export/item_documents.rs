//! The document of a listed item, whatever its kind: an order's is made in `order_document`,
//! a quote's is its full detail, a company's carries its buyers (and its account when the
//! settings ask), and payments, receipts and shopping lists are read by their own modules.

use bigcommerce_b2b::b2b::{Company, Quote, UserFilter};
use futures_util::TryStreamExt;
use serde_json::Value;

use super::items::Item;
use super::{now_secs, ExportError, Exporter};
use crate::documents::Document;

impl Exporter {
    /// The document of `item`, as of now; `None` when it is left out (an invoice payment order
    /// when those are skipped).
    pub(super) async fn document(
        &self,
        store: &str,
        item: Item,
    ) -> Result<Option<Document>, ExportError> {
        let now = now_secs();
        let listed = item.listed();
        let (kind, data) = match item {
            Item::Order(order) => return self.order_document(store, &order, listed, now).await,
            Item::Quote(q) => ("quote", self.quote_data(&q).await?),
            Item::Company(c) => ("company", self.company_data(&c).await?),
            Item::Payment(p) => (
                "payment",
                crate::receivables::payment_data(&self.client, &p).await?,
            ),
            Item::Receipt(r) => (
                "receipt",
                crate::receivables::receipt_data(&self.client, &r).await?,
            ),
            Item::ShoppingList(l) => (
                "shopping_list",
                crate::shopping_lists::list_data(&self.client, &l).await?,
            ),
        };
        Ok(Some(Document::new(
            kind,
            store,
            listed.id,
            listed.modified,
            now,
            data,
        )))
    }

    /// A quote's document data: its full detail (the list entry when the detail is gone), with
    /// `quoteId`, which the detail does not carry.
    async fn quote_data(&self, q: &Quote) -> Result<Value, ExportError> {
        let mut full = self
            .client
            .b2b()
            .quote_detail(q)
            .await?
            .unwrap_or_else(|| serde_json::to_value(q).unwrap_or_default());
        // The detail carries no id of its own: the document's data keeps `quoteId`.
        if let Value::Object(m) = &mut full {
            m.entry("quoteId").or_insert(Value::from(q.quote_id));
        }
        Ok(full)
    }

    /// A company's document data: the company, its buyers, and its account when the settings
    /// ask for it.
    async fn company_data(&self, c: &Company) -> Result<Value, ExportError> {
        let filter = UserFilter {
            company_id: Some(c.company_id),
            ..UserFilter::default()
        };
        let buyers: Vec<Value> = self
            .client
            .b2b()
            .users(&filter)
            .map_ok(|u| serde_json::to_value(u).unwrap_or_default())
            .try_collect()
            .await?;
        let mut data = serde_json::json!({ "company": c, "buyers": buyers });
        if self.settings.company_accounts {
            data["account"] = crate::accounts::account_data(&self.client, c).await?;
        }
        Ok(data)
    }
}
