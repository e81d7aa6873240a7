//! `POST /procurement/cxml` (one store) and `POST /procurement/cxml/{store_hash}` (a
//! deployment of many): cXML purchase orders (`OrderRequest`) from procurement platforms,
//! answered synchronously with a cXML `Response`.
//!
//! A document is read by `b2b-cxml` (never resolving a DTD or an entity), its `Sender` is
//! authenticated against the store secret's `procurement.partners` (the shared secret compared
//! in constant time, never logged), its `To` must name this store (`procurement.supplier`),
//! and it becomes an `order.create` command, checked against the command schema like any
//! other, on the inbound queue. The company is the identity of the `From` credential naming
//! the buyer (`company_identity`, found by the worker in the company extra field
//! `PROCUREMENT_IDENTITY_FIELD`; of the partner's `buyer_domain`, never a marketplace's).
//!
//! Idempotent by orderID: the state table remembers a digest of each order accepted, so a
//! resent PO (same content, whatever its payloadID) is answered 200 again and enqueues nothing,
//! and one with the same orderID but other content is answered 409 (the first one stands).
//! The worker's own checks (external id, idempotency key) make a second enqueue harmless when
//! the process dies between enqueueing and remembering.
//!
//! Every refusal is HTTP 200 with the cXML status in the document (cXML's convention: the
//! transport worked); a temporary failure is cXML 500 with HTTP 500, so senders retry.

use std::time::Duration;

use b2b_commands::Command;
use b2b_cxml::{PoAddress, PoLine, PurchaseOrder, Status, TotalCheck};
use b2b_shared::queue::OutgoingMessage;
use b2b_shared::secrets::{ProcurementConfig, StoreSecret, TotalCheckMode, TradingPartner};
use b2b_shared::state::Claim;
use bigcommerce_b2b::money::Amount;
use lambda_http::{Body, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::cxml::{addressed_here, buyer_identity, partner_of};
use crate::http::{count_exchange, cxml_response, enqueue, hex, short_hash, CxmlAnswer};
use crate::intake::{Intake, MAX_BODY_BYTES};
use crate::stores::procurement_store;

/// An accepted purchase order, ready for the queue (no AWS calls made yet).
#[derive(Debug)]
pub struct OrderDecision {
    /// The command it becomes.
    pub command: Command,
    /// The queue message.
    pub message: OutgoingMessage,
    /// The state-table key remembering the order (by partner and orderID).
    pub order_key: String,
    /// The digest of what was ordered, remembered under `order_key`.
    pub digest: i64,
    /// The partner, for logs.
    pub partner: String,
    /// Set when the PO's `Total` matched neither its lines nor its lines, tax and shipping
    /// (the order is taken at its lines): logged and counted once the order is enqueued.
    pub total_note: Option<String>,
}

impl OrderDecision {
    /// The buyer's procurement identity the command names.
    fn command_identity(&self) -> Option<&str> {
        match &self.command.action {
            b2b_commands::Action::OrderCreate(create) => create.company_identity.as_deref(),
            _ => None,
        }
    }
}

/// The most people a command names as the PO's buyers (`procurement.named_buyers`).
const MAX_NAMED_BUYERS: usize = 20;

/// The most a purchase order's store checks may take.
const PRECHECK_TIME: Duration = Duration::from_secs(4);
/// Time kept back from the invocation's deadline for enqueueing and answering.
const PRECHECK_RESERVE: Duration = Duration::from_secs(3);

/// How long a delivery may hold an orderID while it is accepted (longer than an invocation:
/// a process that dies holding it only delays the resend).
const ACCEPTING_TTL: Duration = Duration::from_secs(30);

/// Logs a refused order and passes the answer on.
fn refused(po: &PurchaseOrder, answer: CxmlAnswer) -> CxmlAnswer {
    tracing::info!(payload_id = %po.payload_id, order_id = %po.order_id, status = answer.status.code(), detail = %answer.detail, "cXML order refused");
    answer
}

/// The `order.create` address of a cXML address, or why it cannot be one (naming its path).
fn order_address(a: &PoAddress, path: &str) -> Result<Value, CxmlAnswer> {
    let bad = |what: &str| {
        CxmlAnswer::new(
            Status::BadRequest,
            format!("`{path}/Address/PostalAddress/{what}` is required"),
        )
    };
    let line1 = a.street.first().ok_or_else(|| bad("Street"))?;
    let zip = a.postal_code.as_deref().ok_or_else(|| bad("PostalCode"))?;
    let mut deliver_to = a
        .deliver_to
        .iter()
        .map(|d| d.trim())
        .filter(|d| !d.is_empty());
    let attn = deliver_to.next();
    // BigCommerce's address has no attention field: the other DeliverTo lines (a department,
    // a mail stop) lead `street_2`, before the street lines after the first.
    let rest: Vec<&str> = deliver_to
        .chain(a.street[1..].iter().map(|s| s.trim()))
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = json!({"company": a.name, "line1": line1, "city": a.city, "zip_code": zip,
        "country_code": a.country_code});
    if let Some(attn) = attn {
        out["first_name"] = json!(attn);
    }
    if !rest.is_empty() {
        out["line2"] = json!(rest.join(", "));
    }
    for (k, v) in [("state", &a.state), ("email", &a.email)] {
        if let Some(v) = v {
            out[k] = json!(v);
        }
    }
    Ok(out)
}

/// The partner `po` authenticates as, or the 401 to answer (500 when the partner's shared
/// secret in `secret` may not be used).
fn authenticated<'a>(
    secret: &StoreSecret,
    config: &'a ProcurementConfig,
    po: &PurchaseOrder,
) -> Result<&'a TradingPartner, CxmlAnswer> {
    partner_of(
        secret,
        config,
        &po.sender,
        |s| po.sender_secret_matches(s),
        &po.payload_id,
    )
}

/// The checks of an authenticated order that need nothing but the document and the
/// configuration: addressed to this store, the partner's deployment mode, a new order, a
/// buyer identity. The identity on success.
fn acceptable<'a>(
    config: &ProcurementConfig,
    partner: &TradingPartner,
    po: &'a PurchaseOrder,
) -> Result<&'a str, CxmlAnswer> {
    addressed_here(config, partner, &po.to, &po.deployment_mode)?;
    if !po.order_type.eq_ignore_ascii_case("new") && !is_cancellation(po) {
        return Err(CxmlAnswer::new(Status::BadRequest, format!(
            "OrderRequestHeader@type `{}` is not taken: new orders and cancellations (`delete`) are; change order `{}` with the supplier",
            po.order_type, po.order_id
        )));
    }
    buyer_identity(partner, &po.from)
}

/// Refuses a purchase order in a currency the store does not sell (`STORE_CURRENCIES`, the
/// codes in `currencies`; none: any currency goes on).
fn sold_here(currencies: &[String], po: &PurchaseOrder) -> Result<(), CxmlAnswer> {
    if currencies.is_empty() || currencies.contains(&po.currency) {
        return Ok(());
    }
    Err(CxmlAnswer::new(
        Status::BadRequest,
        format!(
            "the order is in `{}`, a currency this supplier does not sell ({}); send it in one of them",
            po.currency,
            currencies.join(", ")
        ),
    ))
}

/// Whether `po` cancels an order sent before (`OrderRequestHeader@type="delete"`).
fn is_cancellation(po: &PurchaseOrder) -> bool {
    po.order_type.eq_ignore_ascii_case("delete")
}

/// The note flagging a PO whose `Total` is neither its lines nor its lines, tax and shipping
/// (it is taken at its lines), or the 400 refusing it when the partner's `total_check` is
/// `strict`; none for a `Total` of either.
fn total_note(partner: &TradingPartner, po: &PurchaseOrder) -> Result<Option<String>, CxmlAnswer> {
    let TotalCheck::Neither { lines, full } = po.total_check() else {
        return Ok(None);
    };
    let (total, c) = (po.total, &po.currency);
    if partner.total_check == TotalCheckMode::Strict {
        return Err(CxmlAnswer::new(
            Status::BadRequest,
            format!("`OrderRequestHeader/Total`: {total} {c} is neither the lines ({lines} {c}) nor the lines plus tax and shipping ({full} {c})"),
        ));
    }
    Ok(Some(format!(
        "Total check: the PO's Total {total} {c} matches neither its lines ({lines} {c}) nor its lines plus tax and shipping ({full} {c}); the order is taken at its lines ({full} {c})."
    )))
}

/// The `procurement` of a command from `po`: what documents sent back refer to.
fn procurement_ref(partner: &TradingPartner, po: &PurchaseOrder, identity: &str) -> Value {
    let mut procurement = json!({"partner": partner.name, "payload_id": po.payload_id,
        "order_id": po.order_id});
    if let Some(d) = &po.order_date {
        procurement["order_date"] = json!(d);
    }
    if let Some(c) = po
        .from
        .iter()
        .find(|c| !c.is_marketplace() && c.identity.trim() == identity)
    {
        procurement["buyer"] = json!({"domain": c.domain, "identity": identity});
    }
    procurement
}

/// The `order.cancel` command of a cancellation: the order made from the PO with the same
/// orderID (its external id is the reference).
fn cancel_command(
    secret: &StoreSecret,
    partner: &TradingPartner,
    po: &PurchaseOrder,
    identity: &str,
) -> Result<Command, CxmlAnswer> {
    let reason = po
        .comments
        .clone()
        .unwrap_or_else(|| format!("the buyer deleted purchase order {}", po.order_id));
    let value = json!({"type": "order.cancel", "version": 1, "store_hash": secret.store_hash.as_str(),
        "external_id": format!("{identity}:{}:cancel", po.order_id),
        "idempotency_key": format!("cxml:{}:{}:delete", partner.name, po.order_id),
        "order": {"reference": format!("{identity}:{}", po.order_id)}, "reason": reason,
        "procurement": procurement_ref(partner, po, identity)});
    Command::from_value(value).map_err(|e| {
        CxmlAnswer::new(
            Status::BadRequest,
            format!(
                "the cancellation cannot be taken: {}",
                e.problems.join("; ")
            ),
        )
    })
}

/// Whether `unit` is each: `EA`, or UN/ECE's `C62` ("one"), ignoring ASCII case.
fn is_each(unit: &str) -> bool {
    ["EA", "C62"]
        .iter()
        .any(|e| unit.trim().eq_ignore_ascii_case(e))
}

/// The quantity and unit price in each of line `i` (from 0), converted by the partner's
/// `units` when it is in another unit (none sent: each), or why it cannot be taken. A
/// converted price must be exact (to the ten-thousandth): the order's amounts stay the PO's.
fn in_each(partner: &TradingPartner, i: usize, l: &PoLine) -> Result<(u32, Amount), String> {
    let unit = l.unit_of_measure.as_deref().map_or("EA", str::trim);
    if is_each(unit) {
        return Ok((l.quantity, l.unit_price));
    }
    let at = format!("`ItemOut[{}]/ItemDetail/UnitOfMeasure`", i + 1);
    let Some(each) = partner.each_per(&l.sku, unit) else {
        return Err(format!(
            "{at} `{unit}`: `{}` is sold by each (EA) and this supplier has no conversion of `{unit}` for it; order it in EA",
            l.sku
        ));
    };
    let quantity = l.quantity.checked_mul(each).ok_or_else(|| {
        format!(
            "{at}: {} {unit} of {each} each are more than one line takes",
            l.quantity
        )
    })?;
    let price = l.unit_price.ten_thousandths();
    if price % i64::from(each) != 0 {
        return Err(format!(
            "{at}: {} per `{unit}` of {each} each is no exact price per each; send the line in EA",
            l.unit_price
        ));
    }
    Ok((
        quantity,
        Amount::from_ten_thousandths(price / i64::from(each)),
    ))
}

/// The command's lines of `po`, in each, with a staff note per line converted from another
/// unit; or one 400 naming every line whose unit cannot be taken.
fn each_lines(
    partner: &TradingPartner,
    po: &PurchaseOrder,
) -> Result<(Vec<Value>, Vec<String>), CxmlAnswer> {
    let (mut lines, mut notes, mut problems) = (Vec::new(), Vec::new(), Vec::new());
    for (i, l) in po.lines.iter().enumerate() {
        let (quantity, unit_price) = match in_each(partner, i, l) {
            Ok(each) => each,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let mut line = json!({"sku": l.sku, "quantity": quantity, "unit_price": unit_price,
            "line_number": l.line_number});
        if let Some(d) = &l.description {
            line["description"] = json!(d);
        }
        match l.unit_of_measure.as_deref() {
            Some(u) if !is_each(u) => {
                line["unit_of_measure"] = json!("EA");
                notes.push(format!(
                    "Units: {} (line {}): {} {} at {} ordered as {quantity} EA at {unit_price}",
                    l.sku,
                    l.line_number,
                    l.quantity,
                    u.trim(),
                    l.unit_price
                ));
            }
            Some(u) => line["unit_of_measure"] = json!(u),
            None => {}
        }
        lines.push(line);
    }
    if !problems.is_empty() {
        return Err(CxmlAnswer::new(
            Status::BadRequest,
            format!("the order cannot be taken: {}", problems.join("; ")),
        ));
    }
    Ok((lines, notes))
}

/// The `order.create` command of an accepted order, checked like any inbound command.
fn order_command(
    secret: &StoreSecret,
    partner: &TradingPartner,
    po: &PurchaseOrder,
    identity: &str,
    total_note: Option<&str>,
) -> Result<Command, CxmlAnswer> {
    let bill_to = match &po.bill_to {
        Some(a) => order_address(a, "OrderRequestHeader/BillTo")?,
        None => {
            return Err(CxmlAnswer::new(
                Status::BadRequest,
                "`OrderRequestHeader/BillTo` is required",
            ))
        }
    };
    let ship_to = match &po.ship_to {
        Some(a) => Some(order_address(a, "OrderRequestHeader/ShipTo")?),
        None => None,
    };
    let (lines, unit_notes) = each_lines(partner, po)?;
    let mut order = json!({"po_number": po.order_id, "currency": po.currency, "lines": lines,
        "shipping": po.shipping, "tax": po.tax, "total": po.order_total(), "bill_to": bill_to});
    if let Some(s) = ship_to {
        order["ship_to"] = s;
    }
    let comments: Vec<&str> = po
        .comments
        .as_deref()
        .into_iter()
        .chain(unit_notes.iter().map(String::as_str))
        .chain(total_note)
        .collect();
    if !comments.is_empty() {
        order["comments"] = json!(comments.join("\n"));
    }
    let digest = hex_digest(&json!([identity, &order]));
    let mut procurement = procurement_ref(partner, po, identity);
    if let Some(note) = total_note {
        procurement["total_note"] = json!(note);
    }
    let named: Vec<String> = po
        .named_buyers()
        .into_iter()
        .filter(|e| (3..=254).contains(&e.len()))
        .take(MAX_NAMED_BUYERS)
        .collect();
    if !named.is_empty() {
        procurement["named_buyers"] = json!(named);
    }
    let value = json!({"type": "order.create", "version": 1, "store_hash": secret.store_hash.as_str(),
        "external_id": format!("{identity}:{}", po.order_id),
        "idempotency_key": format!("cxml:{}:{}:{}", partner.name, po.order_id, &digest[..16]),
        "company_identity": identity, "order": order, "procurement": procurement});
    Command::from_value(value).map_err(|e| {
        CxmlAnswer::new(
            Status::BadRequest,
            format!("the order cannot be taken: {}", e.problems.join("; ")),
        )
    })
}

/// The hex SHA-256 of `v`'s JSON.
fn hex_digest(v: &Value) -> String {
    hex(&Sha256::digest(v.to_string().as_bytes()))
}

/// Authenticates and checks a purchase order for the store of `secret` (no AWS calls).
pub fn decide(
    intake: &Intake,
    secret: &StoreSecret,
    po: &PurchaseOrder,
) -> Result<OrderDecision, CxmlAnswer> {
    let Some(config) = &secret.procurement else {
        tracing::error!(store = %secret.store_hash, "POST /procurement/cxml needs `procurement` in the store secret");
        return Err(CxmlAnswer::new(
            Status::Unauthorized,
            "this supplier takes no cXML documents",
        ));
    };
    let partner = authenticated(secret, config, po)?;
    let identity = acceptable(config, partner, po)?;
    let mut total_flag = None;
    let command = if is_cancellation(po) {
        cancel_command(secret, partner, po, identity)?
    } else {
        sold_here(&intake.options.currencies, po)?;
        total_flag = total_note(partner, po)?;
        order_command(secret, partner, po, identity, total_flag.as_deref())?
    };
    let body = serde_json::to_string(&command)
        .map_err(|e| CxmlAnswer::new(Status::BadRequest, e.to_string()))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(CxmlAnswer::new(
            Status::BadRequest,
            "the order is larger than 256 KiB as a command; split it",
        ));
    }
    let mut message = OutgoingMessage::new("0", body);
    if intake.options.fifo {
        message.group_id = Some(format!("{}#{}", command.store_hash, command.group()));
        message.dedup_id = Some(short_hash(&command.dedupe_key()));
    }
    let order_digest = Sha256::digest(command.idempotency_key.as_deref().unwrap_or_default());
    let digest = i64::from_be_bytes(order_digest[..8].try_into().unwrap_or_default());
    Ok(OrderDecision {
        order_key: format!(
            "cxml#{}#{}#{}",
            secret.store_hash, partner.name, po.order_id
        ),
        digest,
        partner: partner.name.clone(),
        total_note: total_flag,
        command,
        message,
    })
}

/// Answers the purchase order `po` of `POST /procurement/cxml[/{store}]` (at `path`), counted.
pub(crate) async fn serve(
    intake: &Intake,
    path: &str,
    po: &PurchaseOrder,
    now: i64,
    remaining: Option<Duration>,
) -> Response<Body> {
    let answer = accept_order(intake, path, po, remaining).await;
    count_exchange("OrderRequest", answer.status.code());
    cxml_response(&po.payload_id, &answer, now)
}

/// The answer to a readable purchase order.
async fn accept_order(
    intake: &Intake,
    path: &str,
    po: &PurchaseOrder,
    remaining: Option<Duration>,
) -> CxmlAnswer {
    let secret = match procurement_store(intake.credentials.as_ref(), path).await {
        Ok(secret) => secret,
        Err(answer) => return answer,
    };
    let decision = match decide(intake, &secret, po) {
        Ok(d) => d,
        Err(answer) => return refused(po, answer),
    };
    // One delivery of an orderID at a time: two at once (other content under the same
    // orderID) would both be taken for new.
    let lock = format!("{}#accepting", decision.order_key);
    match intake.state.claim(&lock, ACCEPTING_TTL).await {
        Ok(Claim::New) => {}
        Ok(Claim::Duplicate) => {
            tracing::info!(order_id = %po.order_id, outcome = "in_progress", "the same orderID is being accepted now; asking the sender to retry");
            return CxmlAnswer::unavailable();
        }
        Err(e) => {
            tracing::error!(error = %e, "state table unavailable; asking the sender to retry");
            return CxmlAnswer::unavailable();
        }
    }
    let answer = accept_locked(intake, &secret, &decision, po, remaining).await;
    if let Err(e) = intake.state.release(&lock).await {
        tracing::warn!(error = %e, key = %lock, "acceptance lock not released; it expires by itself");
    }
    answer
}

/// The answer to an order whose orderID this delivery alone is accepting.
async fn accept_locked(
    intake: &Intake,
    secret: &StoreSecret,
    decision: &OrderDecision,
    po: &PurchaseOrder,
    remaining: Option<Duration>,
) -> CxmlAnswer {
    if is_cancellation(po) {
        return accept_cancellation(intake, decision, po, remaining).await;
    }
    if let Some(answer) = known_order(intake, decision, po).await {
        return answer;
    }
    if let Some(answer) = precheck_order(intake, secret, decision, po, remaining).await {
        return refused(po, answer);
    }
    enqueue_order(intake, decision, po, remaining).await
}

/// The refusal the store's own checks give the order ([`crate::precheck`]), if any; none
/// when they pass, or cannot be made in time (the worker makes them again).
async fn precheck_order(
    intake: &Intake,
    secret: &StoreSecret,
    d: &OrderDecision,
    po: &PurchaseOrder,
    remaining: Option<Duration>,
) -> Option<CxmlAnswer> {
    let precheck = intake.precheck.as_ref()?;
    let identity = d.command_identity()?;
    let skus: Vec<String> = po.lines.iter().map(|l| l.sku.clone()).collect();
    let time = remaining.map_or(PRECHECK_TIME, |r| {
        r.saturating_sub(PRECHECK_RESERVE).min(PRECHECK_TIME)
    });
    let checked =
        tokio::time::timeout(time, precheck.check(&secret.store_hash, identity, &skus)).await;
    let findings = match checked {
        Ok(Ok(findings)) => findings,
        Ok(Err(reason)) => {
            tracing::warn!(%reason, order_id = %po.order_id, "the store could not be asked about the order; accepting it for the worker to check");
            return None;
        }
        Err(_) => {
            tracing::warn!(order_id = %po.order_id, "the store did not answer in time about the order; accepting it for the worker to check");
            return None;
        }
    };
    let mut problems: Vec<String> = findings.company.into_iter().collect();
    for (i, line) in po.lines.iter().enumerate() {
        if findings.unknown_skus.contains(&line.sku) {
            problems.push(format!(
                "`ItemOut[{}]/ItemID/SupplierPartID` `{}` is not in the catalog of this supplier",
                i + 1,
                line.sku
            ));
        }
    }
    (!problems.is_empty()).then(|| {
        CxmlAnswer::new(
            Status::BadRequest,
            format!("the order cannot be taken: {}", problems.join("; ")),
        )
    })
}

/// The answer to an order whose orderID was accepted before: 200 again for the same
/// content, 409 for other content; 500 when the state table cannot say.
async fn known_order(intake: &Intake, d: &OrderDecision, po: &PurchaseOrder) -> Option<CxmlAnswer> {
    match intake.state.get_id(&d.order_key).await {
        Ok(Some(known)) if known == d.digest => {
            tracing::info!(partner = %d.partner, order_id = %po.order_id, outcome = "duplicate", "cXML order already accepted");
            Some(CxmlAnswer::new(
                Status::Ok,
                format!("order {} was already accepted", po.order_id),
            ))
        }
        Ok(Some(_)) => {
            tracing::warn!(partner = %d.partner, order_id = %po.order_id, outcome = "conflict", "cXML order refused: its orderID came before with other content");
            Some(CxmlAnswer::new(Status::Conflict, format!(
                "order {} was accepted before with other content; the first one stands (changes to an order are not taken by cXML here)",
                po.order_id
            )))
        }
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "state table unavailable; asking the sender to retry");
            Some(CxmlAnswer::unavailable())
        }
    }
}

/// The answer to a cancellation: enqueued when its orderID was accepted before (the
/// worker cancels the order unless it shipped, and confirms to the buyer), else 400.
async fn accept_cancellation(
    intake: &Intake,
    d: &OrderDecision,
    po: &PurchaseOrder,
    remaining: Option<Duration>,
) -> CxmlAnswer {
    match intake.state.get_id(&d.order_key).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return refused(
                po,
                CxmlAnswer::new(
                    Status::BadRequest,
                    format!(
                        "order {} was never accepted here: there is nothing to cancel",
                        po.order_id
                    ),
                ),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "state table unavailable; asking the sender to retry");
            return CxmlAnswer::unavailable();
        }
    }
    if let Err(e) = enqueue(intake.queue.as_ref(), &d.message, remaining).await {
        tracing::error!(error = %e, partner = %d.partner, "enqueue of a cXML cancellation failed; asking the sender to retry");
        return CxmlAnswer::unavailable();
    }
    tracing::info!(partner = %d.partner, order_id = %po.order_id, outcome = "cancellation_enqueued", "cXML cancellation accepted");
    CxmlAnswer::new(
        Status::Ok,
        format!(
            "the cancellation of order {} is taken; the supplier confirms it unless the order has shipped",
            po.order_id
        ),
    )
}

/// Enqueues an accepted order and remembers its orderID and content.
async fn enqueue_order(
    intake: &Intake,
    d: &OrderDecision,
    po: &PurchaseOrder,
    remaining: Option<Duration>,
) -> CxmlAnswer {
    if let Err(e) = enqueue(intake.queue.as_ref(), &d.message, remaining).await {
        tracing::error!(error = %e, partner = %d.partner, "enqueue of a cXML order failed; asking the sender to retry");
        return CxmlAnswer::unavailable();
    }
    if let Err(e) = intake.state.put_id(&d.order_key, d.digest).await {
        tracing::warn!(error = %e, key = %d.order_key, "cXML order enqueued but not remembered; a resend is enqueued again and the worker creates the order once");
    }
    tracing::info!(partner = %d.partner, order_id = %po.order_id, external_id = %d.command.external_id, outcome = "enqueued", "cXML order accepted");
    if let Some(note) = &d.total_note {
        flag_total(d, po, note);
    }
    CxmlAnswer::new(Status::Ok, format!("order {} accepted", po.order_id))
}

/// Logs and counts (`ProcurementTotalMismatch` by `Partner`) an accepted order whose `Total`
/// matched neither its lines nor its lines, tax and shipping.
fn flag_total(d: &OrderDecision, po: &PurchaseOrder, note: &str) {
    tracing::warn!(partner = %d.partner, order_id = %po.order_id, total = %po.total, lines = ?po.lines_total(), order_total = %po.order_total(), outcome = "total_flagged", %note, "cXML order accepted at its lines: its Total matches neither its lines nor its lines, tax and shipping");
    b2b_shared::telemetry::emit_metrics(
        &[("Function", "webhook-intake"), ("Partner", &d.partner)],
        &[b2b_shared::telemetry::Metric {
            name: "ProcurementTotalMismatch",
            value: 1.0,
            unit: "Count",
        }],
    );
}

#[cfg(test)]
#[path = "procurement_tests.rs"]
mod tests;
