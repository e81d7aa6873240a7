//! `order.cancel`: a buyer's cancellation. The order (by id, or by reference: the external id
//! of the `order.create` it came from, found in the id map or by `external_order_id`) moves to
//! status 5 (Cancelled) unless it has shipped, completed or been refunded, which is refused
//! naming its status; one cancelled or declined already is left as it is. A cancellation that
//! arrives before its order exists waits for it (retried). For a cXML `OrderRequest
//! type="delete"` the buyer's procurement system is told with a `ConfirmationRequest` type
//! `reject`, once (the same marker the `store/order/statusUpdated` webhook path checks).

use b2b_commands::{OrderRef, ProcurementRef};
use bigcommerce_b2b::fulfillment::status_label;

use crate::engine::context::Context;
use crate::engine::ids::{id_key, Kind};
use crate::engine::outcome::{ApplyError, Outcome};
use crate::partners;
use crate::partners::{cancelled_key, ended_status};

/// The status of a cancelled order.
const CANCELLED: i64 = 5;
/// Statuses an order is past cancelling in: shipped (2), partially shipped (3), refunded (4),
/// completed (10), partially refunded (14).
const PAST_CANCELLING: [i64; 5] = [2, 3, 4, 10, 14];

/// The BigCommerce id of the order a cancellation names, or the retry to wait for it.
async fn cancelled_order_id(
    cx: &Context,
    store: &str,
    order: &OrderRef,
) -> Result<i64, ApplyError> {
    if let Some(id) = order.id {
        return Ok(id);
    }
    let reference = order.reference.as_deref().unwrap_or_default();
    let key = id_key(store, Kind::Order, reference);
    if let Some(id) = cx.state.get_id(&key).await? {
        return Ok(id);
    }
    let found = cx.client.core().orders_with_external_id(reference).await?;
    match found.first() {
        Some(o) => Ok(o.id),
        None => Err(ApplyError::Missing {
            field: "order.reference",
            name: reference.to_owned(),
        }),
    }
}

/// Applies an `order.cancel`: see the module documentation.
pub(crate) async fn order_cancel(
    cx: &Context,
    store: &str,
    order: &OrderRef,
    reason: Option<&str>,
    procurement: Option<&ProcurementRef>,
) -> Result<Outcome, ApplyError> {
    let id = cancelled_order_id(cx, store, order).await?;
    let current = cx.client.core().order(id).await?.ok_or_else(|| {
        ApplyError::Permanent(format!("order {id} does not exist in BigCommerce"))
    })?;
    let status = current.status_id.unwrap_or_default();
    if PAST_CANCELLING.contains(&status) {
        return Err(ApplyError::Permanent(format!(
            "order {id} cannot be cancelled: it is {} already",
            status_label(status).unwrap_or("past cancelling")
        )));
    }
    let outcome = if ended_status(status).is_some() {
        Outcome::Unchanged
    } else {
        cx.client.core().set_order_status(id, CANCELLED).await?;
        Outcome::Updated
    };
    if let Some(p) = procurement {
        let why = reason.unwrap_or("the buyer cancelled the order");
        let comments = format!("order {id} was cancelled: {why}");
        if !cx.state.is_claimed(&cancelled_key(store, id)).await? {
            partners::send_cancellation(cx, store, id, p, &comments).await?;
        }
    }
    Ok(outcome)
}
