//! Fulfillment commands: `order.status`, `shipment.create`, `shipment.update` and
//! `shipment.delete`.
//!
//! An order is named by its BigCommerce id or by the ERP's reference for it (the id map's
//! `{store}#order#{reference}`, written whenever a command names both). A shipment costs two
//! requests: the order with its lines and their addresses in one read
//! (`include=consignments.line_items`), then the `POST`. The order's shipments are read only when
//! one of its lines has shipped already, to find the one a replay or a crash after the `POST`
//! left behind (same tracking number, or, without one, the same lines), so it is never created
//! twice. No line ships beyond what it has left, and every refusal names the command's field.

use std::collections::BTreeMap;

use b2b_commands::{OrderRef, ShipmentData, ShipmentLine};
use bigcommerce_b2b::fulfillment::{
    status_by_name, status_label, NewShipment, OrderForShipping, OrderLine, Shipment, ShipmentItem,
    Tracking,
};

use crate::engine::context::Context;
use crate::engine::family::{Apply, Family};
use crate::engine::ids::{id_key, Kind};
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::partners;
use crate::partners::ShipmentView;
use b2b_commands::{fulfillment, Command};
use b2b_shared::env::Env;

/// Statuses an order cannot ship from.
const UNSHIPPABLE: [i64; 4] = [0, 4, 5, 6];

/// ERP status names (upper case) → BigCommerce status ids (`ORDER_STATUS_MAP`).
pub type StatusMap = BTreeMap<String, i64>;

fn label(status: i64) -> String {
    status_label(status)
        .map(|l| format!("{status} ({l})"))
        .unwrap_or_else(|| status.to_string())
}

/// The BigCommerce id of the order `order` names; records its reference when it names both.
async fn order_id(cx: &Context, store: &str, order: &OrderRef) -> Result<i64, ApplyError> {
    match (order.id, &order.reference) {
        (Some(id), Some(reference)) => {
            cx.state
                .put_id(&id_key(store, Kind::Order, reference), id)
                .await?;
            Ok(id)
        }
        (Some(id), None) => Ok(id),
        (None, Some(reference)) => cx.state
            .get_id(&id_key(store, Kind::Order, reference))
            .await?
            .ok_or_else(|| {
                ApplyError::Permanent(format!(
                    "`order.reference` `{reference}` is not known: send one command naming both `order.id` and `order.reference` first"
                ))
            }),
        (None, None) => Err(ApplyError::Permanent(
            "`order` needs an `id` or a `reference`".into(),
        )),
    }
}

/// The status id a command asks for: `status_id`, or `status` through `ORDER_STATUS_MAP`,
/// else BigCommerce's own label (`awaiting_fulfillment`).
fn target_status(
    statuses: &StatusMap,
    status: Option<&str>,
    id: Option<i64>,
) -> Result<i64, ApplyError> {
    if let Some(id) = id {
        return Ok(id);
    }
    let name = status.unwrap_or_default();
    statuses
        .get(&name.trim().to_uppercase())
        .copied()
        .or_else(|| status_by_name(name))
        .ok_or_else(|| {
            ApplyError::Permanent(format!(
                "`status` `{name}` is neither in ORDER_STATUS_MAP nor a BigCommerce order status"
            ))
        })
}

/// `order.status`: `PUT /v2/orders/{id}` unless the order has the status already.
pub(crate) async fn order_status(
    cx: &Context,
    statuses: &StatusMap,
    store: &str,
    order: &OrderRef,
    status: Option<&str>,
    status_id: Option<i64>,
) -> Result<Outcome, ApplyError> {
    let target = target_status(statuses, status, status_id)?;
    let id = order_id(cx, store, order).await?;
    let current = cx
        .client
        .core()
        .order(id)
        .await?
        .ok_or_else(|| missing_order(id))?;
    if current.status_id == Some(target) {
        return Ok(Outcome::Unchanged);
    }
    match cx.client.core().set_order_status(id, target).await {
        Ok(_) => Ok(Outcome::Updated),
        Err(e) if e.is_retryable() => Err(e.into()),
        Err(e) => Err(ApplyError::Permanent(format!(
            "BigCommerce refused order {id}'s move from status {} to {}: {e}",
            current.status_id.map(label).unwrap_or_default(),
            label(target)
        ))),
    }
}

/// `shipment.create`: see the module documentation.
pub(crate) async fn shipment_create(
    cx: &Context,
    store: &str,
    external_id: &str,
    order: &OrderRef,
    shipment: &ShipmentData,
) -> Result<Outcome, ApplyError> {
    let id = order_id(cx, store, order).await?;
    let key = id_key(store, Kind::Shipment, external_id);
    let found = cx
        .client
        .core()
        .order_for_shipping(id)
        .await?
        .ok_or_else(|| missing_order(id))?;
    let status = found.order.status_id.unwrap_or(0);
    let (address, items) = allocate(&found, &shipment.lines)?;
    if let Some(existing) =
        existing_shipment(cx, &found, &key, address, &items, &shipment.tracking).await?
    {
        cx.state.put_id(&key, existing.id).await?;
        // A redelivery after the ship notice failed sends it again (the same document).
        let view = ShipmentView {
            order_id: id,
            shipment_id: existing.id,
            lines: &found.lines,
            items: &items,
            tracking: &shipment.tracking,
        };
        partners::send_ship_notice(cx, store, &view, false).await?;
        return Ok(Outcome::Unchanged);
    }
    if UNSHIPPABLE.contains(&status) {
        return Err(ApplyError::Permanent(format!(
            "order {id} is {}: it cannot ship",
            label(status)
        )));
    }
    check_left(&found, &items)?;
    let new = NewShipment {
        order_address_id: address,
        items,
        tracking: shipment.tracking.clone(),
    };
    let made = cx.client.core().create_shipment(id, &new).await?;
    cx.state.put_id(&key, made.id).await?;
    let view = ShipmentView {
        order_id: id,
        shipment_id: made.id,
        lines: &found.lines,
        items: &new.items,
        tracking: &shipment.tracking,
    };
    partners::send_ship_notice(cx, store, &view, false).await?;
    Ok(Outcome::Created)
}

/// The shipment a previous delivery of this command created: the one the id map names, else
/// one with the same tracking number, else (without a tracking number) the same lines to the
/// same address. Read only when something on the order has shipped.
async fn existing_shipment(
    cx: &Context,
    found: &OrderForShipping,
    key: &str,
    address: i64,
    items: &[ShipmentItem],
    tracking: &Tracking,
) -> Result<Option<Shipment>, ApplyError> {
    let mapped = cx.state.get_id(key).await?;
    let shipped = found
        .lines
        .iter()
        .any(|l| l.quantity_shipped.unwrap_or(0) > 0);
    if mapped.is_none() && !shipped {
        return Ok(None);
    }
    let all = cx.client.core().shipments(found.order.id).await?;
    let number = tracking
        .tracking_number
        .as_deref()
        .filter(|n| !n.is_empty());
    let same_lines = |s: &Shipment| {
        let mut a = s.items.clone();
        let mut b = items.to_vec();
        a.sort_by_key(|i| i.order_product_id);
        b.sort_by_key(|i| i.order_product_id);
        s.order_address_id == Some(address) && a == b
    };
    Ok(all.into_iter().find(|s| {
        Some(s.id) == mapped
            || match number {
                Some(n) => s.tracking_number.as_deref() == Some(n),
                None => s.tracking_number.as_deref().unwrap_or("").is_empty() && same_lines(s),
            }
    }))
}

/// The shipment a `shipment.update` or `shipment.delete` names: `shipment_id`, else the one
/// created by the `shipment.create` with the same external id.
async fn resolve_shipment_id(
    cx: &Context,
    store: &str,
    external_id: &str,
    given: Option<i64>,
) -> Result<i64, ApplyError> {
    if let Some(id) = given {
        return Ok(id);
    }
    cx.state
        .get_id(&id_key(store, Kind::Shipment, external_id))
        .await?
        .ok_or_else(|| {
            ApplyError::Permanent(format!(
                "no shipment was created for external id `{external_id}`: name it with `shipment_id`"
            ))
        })
}

/// `shipment.update`: `PUT` of the tracking fields that differ; nothing when none does.
pub(crate) async fn shipment_update(
    cx: &Context,
    store: &str,
    external_id: &str,
    order: &OrderRef,
    shipment_id: Option<i64>,
    tracking: &Tracking,
) -> Result<Outcome, ApplyError> {
    let id = order_id(cx, store, order).await?;
    let sid = resolve_shipment_id(cx, store, external_id, shipment_id).await?;
    let current = cx
        .client
        .core()
        .shipments(id)
        .await?
        .into_iter()
        .find(|s| s.id == sid)
        .ok_or_else(|| {
            ApplyError::Permanent(format!(
                "shipment {sid} is not on order {id} (`shipment_id`)"
            ))
        })?;
    let changes = tracking_changes(&current, tracking);
    // An order from cXML: its buyer hears of the change (sent again on a redelivery that
    // finds the shipment changed already, until the partner took it).
    if changes == Tracking::default() {
        partners::notify_shipments(cx, store, id, true).await?;
        return Ok(Outcome::Unchanged);
    }
    cx.client.core().update_shipment(id, sid, &changes).await?;
    partners::notify_shipments(cx, store, id, true).await?;
    Ok(Outcome::Updated)
}

/// `shipment.delete`: gone already is done.
pub(crate) async fn shipment_delete(
    cx: &Context,
    store: &str,
    external_id: &str,
    order: &OrderRef,
    shipment_id: Option<i64>,
) -> Result<Outcome, ApplyError> {
    let id = order_id(cx, store, order).await?;
    let sid = resolve_shipment_id(cx, store, external_id, shipment_id).await?;
    let outcome = if cx.client.core().delete_shipment(id, sid).await? {
        Outcome::Deleted
    } else {
        Outcome::Unchanged
    };
    partners::withdraw_ship_notice(cx, store, id, sid).await?;
    Ok(outcome)
}

fn missing_order(id: i64) -> ApplyError {
    ApplyError::Permanent(format!("order {id} does not exist (`order.id`)"))
}

/// The fields of `want` that differ from `current`'s.
fn tracking_changes(current: &Shipment, want: &Tracking) -> Tracking {
    let have = |field: &str| -> String {
        match field {
            "tracking_number" => current.tracking_number.clone().unwrap_or_default(),
            other => current
                .extra
                .get(other)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned(),
        }
    };
    let differs = |field: &str, value: &Option<String>| {
        value.as_ref().filter(|v| **v != have(field)).cloned()
    };
    Tracking {
        tracking_number: differs("tracking_number", &want.tracking_number),
        shipping_provider: differs("shipping_provider", &want.shipping_provider),
        tracking_carrier: differs("tracking_carrier", &want.tracking_carrier),
        tracking_link: differs("tracking_link", &want.tracking_link),
        shipping_method: differs("shipping_method", &want.shipping_method),
        comments: differs("comments", &want.comments),
    }
}

/// The command's lines as shipment items of one address: an `order_product_id` as given, a SKU
/// spread over the order's lines of that SKU by what each has left to ship (the first lines
/// first; all the quantity on the last one when none has enough, for [`check_left`] to refuse).
fn allocate(
    found: &OrderForShipping,
    lines: &[ShipmentLine],
) -> Result<(i64, Vec<ShipmentItem>), ApplyError> {
    let order = found.order.id;
    let mut items: Vec<ShipmentItem> = Vec::new();
    let mut taken: BTreeMap<i64, i64> = BTreeMap::new();
    for (n, line) in lines.iter().enumerate() {
        let candidates: Vec<&OrderLine> = match (&line.order_product_id, &line.sku) {
            (Some(pid), _) => found.lines.iter().filter(|l| l.id == *pid).collect(),
            (None, Some(sku)) => found
                .lines
                .iter()
                .filter(|l| l.sku.as_deref() == Some(sku.as_str()))
                .collect(),
            (None, None) => Vec::new(),
        };
        if candidates.is_empty() {
            return Err(ApplyError::Permanent(
                match (&line.order_product_id, &line.sku) {
                    (Some(pid), _) => format!(
                    "`shipment.lines[{n}].order_product_id` {pid} is not a line of order {order}"
                ),
                    (None, sku) => format!(
                        "`shipment.lines[{n}].sku` `{}` is not on order {order}",
                        sku.as_deref().unwrap_or_default()
                    ),
                },
            ));
        }
        let mut want = line.quantity;
        for (i, l) in candidates.iter().enumerate() {
            let free = l.left_to_ship() - taken.get(&l.id).copied().unwrap_or(0);
            let last = i + 1 == candidates.len();
            let qty = if last { want } else { want.min(free.max(0)) };
            if qty > 0 {
                *taken.entry(l.id).or_default() += qty;
                push_item(&mut items, l.id, qty);
                want -= qty;
            }
            if want == 0 {
                break;
            }
        }
    }
    let address = one_address(found, &items)?;
    Ok((address, items))
}

fn push_item(items: &mut Vec<ShipmentItem>, order_product_id: i64, quantity: i64) {
    match items
        .iter_mut()
        .find(|i| i.order_product_id == order_product_id)
    {
        Some(i) => i.quantity += quantity,
        None => items.push(ShipmentItem {
            order_product_id,
            quantity,
        }),
    }
}

/// The one shipping address every item goes to.
fn one_address(found: &OrderForShipping, items: &[ShipmentItem]) -> Result<i64, ApplyError> {
    let mut addresses: Vec<i64> = items
        .iter()
        .filter_map(|i| {
            found
                .lines
                .iter()
                .find(|l| l.id == i.order_product_id)
                .and_then(|l| l.order_address_id)
        })
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    match addresses[..] {
        [one] => Ok(one),
        [] => Err(ApplyError::Permanent(format!(
            "order {} has no shipping address for these lines (a digital or pickup order?)",
            found.order.id
        ))),
        _ => Err(ApplyError::Permanent(format!(
            "the lines ship to different addresses of order {} ({addresses:?}): send one shipment per address",
            found.order.id
        ))),
    }
}

/// Refuses an item beyond what its line has left to ship.
fn check_left(found: &OrderForShipping, items: &[ShipmentItem]) -> Result<(), ApplyError> {
    for item in items {
        let Some(line) = found.lines.iter().find(|l| l.id == item.order_product_id) else {
            continue;
        };
        if item.quantity > line.left_to_ship() {
            return Err(ApplyError::Permanent(format!(
                "order {} line {} ({}) has {} of {} left to ship; the shipment asks {}",
                found.order.id,
                line.id,
                line.sku.as_deref().unwrap_or("no SKU"),
                line.left_to_ship(),
                line.quantity,
                item.quantity
            )));
        }
    }
    Ok(())
}

/// The fulfillment family: `order.status` and `shipment.*`, with `ORDER_STATUS_MAP`. One order's
/// commands share one lease (their ordering scope is the order).
#[derive(Debug, Default)]
pub struct Fulfillment {
    /// `ORDER_STATUS_MAP`: the ERP's order status names (upper case) → BigCommerce status ids.
    pub statuses: StatusMap,
}

impl Family for Fulfillment {
    fn load(env: &mut Env<'_>) -> Self {
        let raw = env.raw("ORDER_STATUS_MAP");
        let statuses = env
            .check("ORDER_STATUS_MAP", status_map(raw))
            .unwrap_or_default();
        Self { statuses }
    }
}

/// `ORDER_STATUS_MAP`: `NAME=ID_OR_LABEL` pairs separated by commas
/// (`SHIPPED=2,ON_HOLD=Awaiting Payment`), each id 0..14 or a BigCommerce status label; names
/// are matched ignoring case.
pub fn status_map(raw: Option<String>) -> Result<StatusMap, String> {
    let mut map = StatusMap::new();
    for pair in raw.iter().flat_map(|r| r.split(',')) {
        if pair.trim().is_empty() {
            continue;
        }
        let Some((name, status)) = pair.split_once('=') else {
            return Err(format!(
                "`{pair}` is not `NAME=STATUS` (e.g. `SHIPPED=2,ON_HOLD=Awaiting Payment`)"
            ));
        };
        let (name, status) = (name.trim(), status.trim());
        let id = match status.parse::<i64>() {
            Ok(id) if (0..=14).contains(&id) => Some(id),
            Ok(_) => None,
            Err(_) => status_by_name(status),
        };
        match id {
            Some(id) if !name.is_empty() => {
                map.insert(name.to_uppercase(), id);
            }
            _ => {
                return Err(format!(
                    "`{pair}`: the status must be a BigCommerce status id 0..14 or label (`Awaiting Fulfillment`), and the name not empty"
                ))
            }
        }
    }
    Ok(map)
}

impl Apply for fulfillment::SetOrderStatus {
    type Family = Fulfillment;

    async fn apply(&self, family: &Fulfillment, cx: &Context, cmd: &Command) -> Applied {
        let status = self.status.as_deref();
        order_status(
            cx,
            &family.statuses,
            &cmd.store_hash,
            &self.order,
            status,
            self.status_id,
        )
        .await
    }
}

impl Apply for fulfillment::CreateShipment {
    type Family = Fulfillment;

    async fn apply(&self, _: &Fulfillment, cx: &Context, cmd: &Command) -> Applied {
        shipment_create(
            cx,
            &cmd.store_hash,
            &cmd.external_id,
            &self.order,
            &self.shipment,
        )
        .await
    }
}

impl Apply for fulfillment::UpdateShipment {
    type Family = Fulfillment;

    async fn apply(&self, _: &Fulfillment, cx: &Context, cmd: &Command) -> Applied {
        let (store, ext) = (cmd.store_hash.as_str(), cmd.external_id.as_str());
        shipment_update(
            cx,
            store,
            ext,
            &self.order,
            self.shipment_id,
            &self.shipment,
        )
        .await
    }
}

impl Apply for fulfillment::DeleteShipment {
    type Family = Fulfillment;

    async fn apply(&self, _: &Fulfillment, cx: &Context, cmd: &Command) -> Applied {
        let (store, ext) = (cmd.store_hash.as_str(), cmd.external_id.as_str());
        shipment_delete(cx, store, ext, &self.order, self.shipment_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(lines: serde_json::Value) -> OrderForShipping {
        OrderForShipping {
            order: serde_json::from_value(json!({"id": 101, "status_id": 11}))
                .unwrap_or_else(|e| panic!("{e}")),
            lines: serde_json::from_value(lines).unwrap_or_else(|e| panic!("{e}")),
        }
    }

    fn line(sku: &str, quantity: i64) -> ShipmentLine {
        ShipmentLine {
            sku: Some(sku.into()),
            order_product_id: None,
            quantity,
        }
    }

    #[test]
    fn a_sku_spreads_over_its_lines_by_what_each_has_left() {
        let o = order(json!([
            {"id": 1, "order_address_id": 9, "sku": "A", "quantity": 2, "quantity_shipped": 1},
            {"id": 2, "order_address_id": 9, "sku": "A", "quantity": 5, "quantity_shipped": 0},
            {"id": 3, "order_address_id": 9, "sku": "B", "quantity": 1, "quantity_shipped": 0}
        ]));
        let (address, items) =
            allocate(&o, &[line("A", 3), line("B", 1)]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(address, 9);
        let got: Vec<(i64, i64)> = items
            .iter()
            .map(|i| (i.order_product_id, i.quantity))
            .collect();
        assert_eq!(got, [(1, 1), (2, 2), (3, 1)]);
        assert!(check_left(&o, &items).is_ok());
        // More than the SKU has left: it lands on the last line, which refuses it.
        let (_, over) = allocate(&o, &[line("A", 7)]).unwrap_or_else(|e| panic!("{e}"));
        let e = check_left(&o, &over).unwrap_err().to_string();
        assert!(
            e.contains("line 2 (A) has 5 of 5 left to ship; the shipment asks 6"),
            "{e}"
        );
    }

    #[test]
    fn unknown_lines_and_split_addresses_are_refused_by_field() {
        let o = order(json!([
            {"id": 1, "order_address_id": 9, "sku": "A", "quantity": 2},
            {"id": 2, "order_address_id": 10, "sku": "B", "quantity": 2}
        ]));
        let e = allocate(&o, &[line("A", 1), line("Z", 1)])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "`shipment.lines[1].sku` `Z` is not on order 101");
        let by_id = ShipmentLine {
            sku: None,
            order_product_id: Some(77),
            quantity: 1,
        };
        let e = allocate(&o, &[by_id]).unwrap_err().to_string();
        assert!(e.contains("`shipment.lines[0].order_product_id` 77"), "{e}");
        let e = allocate(&o, &[line("A", 1), line("B", 1)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("different addresses of order 101 ([9, 10])"),
            "{e}"
        );
    }

    #[test]
    fn only_the_tracking_fields_that_differ_are_sent() {
        let current: Shipment = serde_json::from_value(json!({"id": 5, "tracking_number": "1Z",
            "shipping_provider": "ups", "comments": "box"}))
        .unwrap_or_else(|e| panic!("{e}"));
        let want = Tracking {
            tracking_number: Some("1Z".into()),
            shipping_provider: Some("fedex".into()),
            ..Tracking::default()
        };
        let changes = tracking_changes(&current, &want);
        assert_eq!(changes.shipping_provider.as_deref(), Some("fedex"));
        assert_eq!(changes.tracking_number, None);
        let same = Tracking {
            comments: Some("box".into()),
            ..Tracking::default()
        };
        assert_eq!(tracking_changes(&current, &same), Tracking::default());
    }
}
