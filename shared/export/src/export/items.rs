//! A stream's page of listed items: what each item is (an order, a quote, a company, a payment,
//! a receipt, a shopping list), where it stands in the stream, and the client's single-page
//! read of each stream.

use bigcommerce_b2b::b2b::{Company, CompanyFilter, Quote, QuoteFilter, SortOrder};
use bigcommerce_b2b::core::Order;
use bigcommerce_b2b::receivables::{Payment, Receipt};
use bigcommerce_b2b::shopping_lists::ShoppingListDetail;

use super::{ExportError, Exporter};
use crate::cursor::{Cursor, Listed};
use crate::settings::StreamKind;

/// One item of a page, with what the document needs.
pub(super) enum Item {
    Order(Box<Order>),
    Quote(Box<Quote>),
    Company(Box<Company>),
    Payment(Box<Payment>),
    Receipt(Box<Receipt>),
    ShoppingList(Box<ShoppingListDetail>),
}

impl Item {
    pub(super) fn listed(&self) -> Listed {
        match self {
            Item::Order(o) => Listed {
                id: o.id,
                modified: o.modified_at().map(|d| d.timestamp()).unwrap_or(0),
            },
            Item::Quote(q) => Listed {
                id: q.quote_id,
                modified: q.updated_at.unwrap_or(0),
            },
            Item::Company(c) => Listed {
                id: c.company_id,
                modified: c.updated_at.unwrap_or(0),
            },
            Item::Payment(p) => Listed {
                id: p.id,
                modified: p.updated_at,
            },
            Item::Receipt(r) => Listed {
                id: r.id,
                modified: r.updated_at,
            },
            Item::ShoppingList(l) => Listed {
                id: l.list.id,
                modified: l.list.updated_at.unwrap_or(0),
            },
        }
    }
}

impl Exporter {
    /// The stream's page at `cursor`: the client's single-page calls, in ascending order of
    /// modification, so the keyset cursor can resume exactly there next run.
    pub(super) async fn page(
        &self,
        stream: StreamKind,
        cursor: &Cursor,
        limit: u32,
    ) -> Result<Vec<Item>, ExportError> {
        let offset = u64::from(cursor.page.saturating_sub(1)) * u64::from(limit);
        Ok(match stream {
            StreamKind::Orders => {
                let since =
                    chrono::DateTime::from_timestamp(cursor.t.max(0), 0).unwrap_or_default();
                let orders = self
                    .client
                    .core()
                    .orders_page(since, u64::from(cursor.page), limit)
                    .await?;
                orders
                    .into_iter()
                    .map(|o| Item::Order(Box::new(o)))
                    .collect()
            }
            StreamKind::Quotes => {
                let filter = QuoteFilter {
                    min_modified: Some(cursor.t),
                    oldest_first: true,
                    ..QuoteFilter::default()
                };
                let quotes = self
                    .client
                    .b2b()
                    .quotes_page(&filter, offset, limit)
                    .await?;
                quotes
                    .into_iter()
                    .map(|q| Item::Quote(Box::new(q)))
                    .collect()
            }
            StreamKind::Companies => {
                let filter = CompanyFilter {
                    min_modified: Some(cursor.t),
                    sort_by_updated: Some(true),
                    order: Some(SortOrder::Asc),
                    include_extra_fields: true,
                    ..CompanyFilter::default()
                };
                let companies = self
                    .client
                    .b2b()
                    .companies_page(&filter, offset, limit)
                    .await?;
                companies
                    .into_iter()
                    .map(|c| Item::Company(Box::new(c)))
                    .collect()
            }
            StreamKind::Payments => crate::receivables::payments_since(&self.client, cursor.t)
                .await?
                .into_iter()
                .map(|p| Item::Payment(Box::new(p)))
                .collect(),
            StreamKind::Receipts => crate::receivables::receipts_since(&self.client, cursor.t)
                .await?
                .into_iter()
                .map(|r| Item::Receipt(Box::new(r)))
                .collect(),
            StreamKind::ShoppingLists => crate::shopping_lists::lists_since(&self.client, cursor.t)
                .await?
                .into_iter()
                .map(|l| Item::ShoppingList(Box::new(l)))
                .collect(),
        })
    }
}
