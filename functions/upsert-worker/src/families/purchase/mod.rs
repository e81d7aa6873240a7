//! The purchase-order family: `order.create` (a purchase order, from an ERP or a procurement
//! system's cXML, becomes a BigCommerce order once: `order_create`, with its prices checked
//! against the company's price list: `price_check`) and `order.cancel` (a buyer's cancellation:
//! `order_cancel`). The documents back to the buyer's procurement system are
//! `crate::partners`'.

mod order_cancel;
mod order_create;
mod price_check;
pub mod settings;

use b2b_commands::{purchase, Command};

use crate::engine::context::Context;
use crate::engine::family::Apply;
use crate::engine::outcome::{Applied, ApplyError};
use order_create::CompanyNamed;
pub use settings::PurchaseOrders;

impl Apply for purchase::CreateOrder {
    type Family = PurchaseOrders;

    async fn apply(&self, _: &PurchaseOrders, cx: &Context, cmd: &Command) -> Applied {
        let company = match (&self.company_external_id, &self.company_identity) {
            (Some(ext), _) => CompanyNamed::ExternalId(ext),
            (None, Some(identity)) => CompanyNamed::Identity(identity),
            (None, None) => {
                return Err(ApplyError::Permanent(
                    "`order.create` names no company".into(),
                ))
            }
        };
        let asked = order_create::Asked {
            store: &cmd.store_hash,
            external_id: &cmd.external_id,
            company,
            order: &self.order,
            procurement: self.procurement.as_ref(),
        };
        order_create::order_create(cx, asked).await
    }

    async fn before_dead_letter(
        &self,
        cx: &Context,
        cmd: &Command,
        reason: &str,
    ) -> Option<String> {
        let p = self.procurement.as_ref()?;
        order_create::reject_unmade_order(cx, cmd, p, reason).await
    }
}

impl Apply for purchase::CancelOrder {
    type Family = PurchaseOrders;

    async fn apply(&self, _: &PurchaseOrders, cx: &Context, cmd: &Command) -> Applied {
        let reason = self.reason.as_deref();
        let procurement = self.procurement.as_ref();
        order_cancel::order_cancel(cx, &cmd.store_hash, &self.order, reason, procurement).await
    }
}
