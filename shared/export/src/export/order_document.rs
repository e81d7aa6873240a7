//! An order's document: the order with its lines, shipping addresses, shipments once something
//! shipped, its B2B record, and for an Invoice Portal payment order the payment that made it.

use bigcommerce_b2b::core::Order;
use serde_json::Value;

use super::{json_int, ExportError, Exporter};
use crate::cursor::Listed;
use crate::documents::{is_invoice_payment, order_data, Document};
use crate::settings::InvoicePayments;

impl Exporter {
    /// An order's document: its lines, addresses, shipments once something shipped, its B2B
    /// order, and for an invoice-portal payment order the payment that made it (`None` when
    /// invoice payments are skipped).
    pub(super) async fn order_document(
        &self,
        store: &str,
        order: &Order,
        listed: Listed,
        now: i64,
    ) -> Result<Option<Document>, ExportError> {
        let id = order.id;
        let products = self.client.core().order_products(id).await?;
        let shipping = self.client.core().order_shipping_addresses(id).await?;
        // Its shipments (with tracking) once something has shipped: one more request.
        let shipped = order
            .extra
            .get("items_shipped")
            .and_then(json_int)
            .unwrap_or(0);
        let shipments = if shipped > 0 {
            self.client.core().shipments(id).await?
        } else {
            Vec::new()
        };
        let b2b = self.client.b2b().order(id).await?;
        let invoice = match b2b {
            Some(_) => is_invoice_payment(&self.client.core().order_metafields(id).await?),
            None => false,
        };
        if invoice && self.settings.invoice_payments == InvoicePayments::Skip {
            return Ok(None);
        }
        let mut data = order_data(order, products, shipping, &shipments, b2b.as_ref(), invoice);
        if invoice {
            // The payment document this order stands for (the payments stream's).
            let paid_by =
                crate::receivables::payment_of_order(&self.client, id, listed.modified).await;
            let paid_by = match paid_by {
                Ok(p) => p,
                // The portal refuses (no scope for it): the order goes without the link.
                Err(e) if !e.is_retryable() => {
                    tracing::warn!(order = id, error = %e, "invoice payment not linked");
                    None
                }
                Err(e) => return Err(e.into()),
            };
            data["payment_id"] = Value::from(paid_by);
        }
        Ok(Some(Document::new(
            "order",
            store,
            id,
            listed.modified,
            now,
            data,
        )))
    }
}
