//! Documents back to the buyer's procurement system: an order made from a cXML purchase order
//! is confirmed (`ConfirmationRequest` type `accept`) once it exists with its PO number, one
//! that can never be made is rejected with the reason (type `reject`) before it is
//! dead-lettered (and type `reject` too when the order is cancelled or declined later, from
//! the `store/order/statusUpdated` webhook), and each shipment of such an order is announced (`ShipNoticeRequest`, by
//! the PO's line numbers, with carrier and tracking number). Each is POSTed to the trading partner's `document_url` (store secret) as
//! part of applying the `order.create`: a partner that cannot take it now (a 5xx, no answer)
//! makes the command retry, the order itself being found, not made again; one that refuses it
//! (a 4xx) dead-letters the command with the partner's words. A document's payloadID is
//! derived from the order and what it says, so a document sent again is the same document.
//! Nothing is sent when the partner has no `document_url`, or the worker no store secrets.

use std::sync::Arc;
use std::time::Duration;

use b2b_commands::{ProcurementRef, WebhookEvent};
use b2b_cxml::{
    confirmation_request, read_response, ship_notice_request, Confirmation, ConfirmationKind,
    Credential, NoticeOperation, OrderReference, Parties, ShipNotice, ShippedLine,
};
use b2b_shared::secrets::{ProcurementConfig, TradingPartner};
use b2b_shared::stores::StoreSecrets;
use bigcommerce_b2b::fulfillment::{OrderLine, ShipmentItem, Tracking};
use bigcommerce_b2b::money::Amount;
use bigcommerce_b2b::StoreHash;
use serde_json::{json, Value};

use crate::engine::context::Context;
use crate::engine::outcome::ApplyError;

/// How documents reach trading partners, kept for the container's life (set by the wiring;
/// nothing is sent without them).
#[derive(Clone, Default)]
pub struct Partners {
    /// The stores' secrets, for their trading partners; `None`: no documents are sent.
    pub store_secrets: Option<Arc<dyn StoreSecrets>>,
    /// The HTTP client documents go to trading partners with; `None`: none are sent.
    pub http: Option<reqwest::Client>,
}

/// How long a partner has to answer a document.
const PARTNER_TIMEOUT: Duration = Duration::from_secs(20);

/// The `UserAgent` of the documents sent.
const USER_AGENT: &str = concat!("b2b-edition-toolkit/", env!("CARGO_PKG_VERSION"));

/// What a confirmation says, for the order it is about.
pub(crate) struct ConfirmationDraft<'a> {
    /// Accept or reject.
    pub kind: ConfirmationKind,
    /// The BigCommerce order, once made.
    pub order_id: Option<i64>,
    /// The order's total and currency.
    pub total: Option<(Amount, &'a str)>,
    /// Why (for a rejection).
    pub comments: Option<&'a str>,
}

/// The state-table key of the cXML purchase order BigCommerce order `order_id` came from.
pub fn procurement_key(store: &str, order_id: i64) -> String {
    format!("procurement#{store}#order#{order_id}")
}

/// The ISO 8601 time now.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The payloadID of the confirmation `kind` of PO `p` in `store` (the same for a resend).
fn confirmation_payload_id(store: &str, p: &ProcurementRef, kind: ConfirmationKind) -> String {
    let kind = match kind {
        ConfirmationKind::Accept => "accept",
        ConfirmationKind::Reject => "reject",
    };
    format!(
        "confirm.{kind}.{}.{}@{store}.b2b-edition-toolkit",
        p.partner, p.order_id
    )
}

/// Sends `draft` about PO `p` to its partner; `Ok` also when nothing is to be sent.
pub(crate) async fn send_confirmation(
    cx: &Context,
    store: &str,
    p: &ProcurementRef,
    draft: ConfirmationDraft<'_>,
) -> Result<(), ApplyError> {
    let confirm_id = draft
        .order_id
        .map_or_else(|| p.order_id.clone(), |id| id.to_string());
    let payload_id = confirmation_payload_id(store, p, draft.kind);
    send_document(cx, store, p, &payload_id, |parties, order, mode, now| {
        let confirmation = Confirmation {
            kind: draft.kind,
            confirm_id: &confirm_id,
            notice_date: now,
            total: draft.total,
            comments: draft.comments,
        };
        confirmation_request(&payload_id, now, mode, parties, order, &confirmation)
    })
    .await
    .map(drop)
}

/// Sends the ship notice of shipment `s`, when its order came from cXML (its
/// [`procurement_key`] record): what shipped, by the PO's line numbers. A shipment
/// announced before is announced again (`operation="update"`) only when `changed` and what
/// it says differs from what was sent.
pub(crate) async fn send_ship_notice(
    cx: &Context,
    store: &str,
    s: &ShipmentView<'_>,
    changed: bool,
) -> Result<(), ApplyError> {
    match order_origin(cx, store, s.order_id).await? {
        Some(origin) => notice_for(cx, store, &origin, s, changed).await,
        None => Ok(()),
    }
}

/// [`Self::send_ship_notice`] for an order whose cXML origin is `origin`.
async fn notice_for(
    cx: &Context,
    store: &str,
    origin: &OrderOrigin,
    s: &ShipmentView<'_>,
    changed: bool,
) -> Result<(), ApplyError> {
    let ShipmentView {
        order_id,
        shipment_id,
        lines,
        items,
        tracking,
    } = *s;
    let shipped = shipped_lines(origin, lines, items);
    let carrier = named(&tracking.tracking_carrier).or(named(&tracking.shipping_provider));
    let tracking_number = tracking
        .tracking_number
        .as_deref()
        .filter(|t| !t.is_empty());
    let digest = notice_digest(carrier, tracking_number, &shipped);
    let said = announced(cx, store, shipment_id).await?;
    let operation = match &said {
        Announced::Never => NoticeOperation::New,
        Announced::Said(d) if changed && d.as_deref() != Some(digest.as_str()) => {
            NoticeOperation::Update
        }
        _ => return Ok(()),
    };
    let payload_id = match operation {
        NoticeOperation::New => {
            format!("ship.{shipment_id}.{order_id}@{store}.b2b-edition-toolkit")
        }
        _ => format!("ship.{shipment_id}.{order_id}.{digest}@{store}.b2b-edition-toolkit"),
    };
    let notice = NoticeDraft {
        operation,
        shipment_id,
        carrier,
        tracking_number,
        shipped: &shipped,
    };
    if send_notice(cx, store, origin, &payload_id, &notice).await? {
        // Recorded after it was taken: a process that dies in between sends it again,
        // the same document.
        record_announced(cx, store, shipment_id, &json!({"digest": digest})).await?;
    }
    Ok(())
}

/// Withdraws the ship notice of a deleted shipment (`operation="delete"`), once, when it
/// was announced.
pub(crate) async fn withdraw_ship_notice(
    cx: &Context,
    store: &str,
    order_id: i64,
    shipment_id: i64,
) -> Result<(), ApplyError> {
    let Some(origin) = order_origin(cx, store, order_id).await? else {
        return Ok(());
    };
    if !matches!(announced(cx, store, shipment_id).await?, Announced::Said(_)) {
        return Ok(());
    }
    let payload_id = format!("ship.{shipment_id}.{order_id}.delete@{store}.b2b-edition-toolkit");
    let notice = NoticeDraft {
        operation: NoticeOperation::Delete,
        shipment_id,
        carrier: None,
        tracking_number: None,
        shipped: &[],
    };
    if send_notice(cx, store, &origin, &payload_id, &notice).await? {
        record_announced(cx, store, shipment_id, &json!({"deleted": true})).await?;
    }
    Ok(())
}

/// The cXML origin recorded for order `order_id`, when it came from cXML.
async fn order_origin(
    cx: &Context,
    store: &str,
    order_id: i64,
) -> Result<Option<OrderOrigin>, ApplyError> {
    let Some(record) = cx
        .state
        .get_watermark(&procurement_key(store, order_id))
        .await?
    else {
        return Ok(None);
    };
    serde_json::from_value(record).map(Some).map_err(|e| {
        ApplyError::Permanent(format!(
            "the cXML origin recorded for order {order_id} cannot be read: {e}"
        ))
    })
}

/// What was said of a shipment: its record (the digest of its last notice; deleted), or
/// the mark of an earlier version (announced, digest unknown).
async fn announced(cx: &Context, store: &str, shipment_id: i64) -> Result<Announced, ApplyError> {
    if let Some(record) = cx
        .state
        .get_watermark(&notice_key(store, shipment_id))
        .await?
    {
        if record["deleted"] == true {
            return Ok(Announced::Withdrawn);
        }
        return Ok(Announced::Said(
            record["digest"].as_str().map(str::to_owned),
        ));
    }
    if cx
        .state
        .is_claimed(&announced_key(store, shipment_id))
        .await?
    {
        return Ok(Announced::Said(None));
    }
    Ok(Announced::Never)
}

async fn record_announced(
    cx: &Context,
    store: &str,
    shipment_id: i64,
    record: &Value,
) -> Result<(), ApplyError> {
    let until = chrono::Utc::now().timestamp() + ANNOUNCED_TTL.as_secs() as i64;
    cx.state
        .put_watermark_until(&notice_key(store, shipment_id), record, until)
        .await?;
    Ok(())
}

/// Writes and sends a ship notice about `origin`'s PO; whether the partner took it.
async fn send_notice(
    cx: &Context,
    store: &str,
    origin: &OrderOrigin,
    payload_id: &str,
    n: &NoticeDraft<'_>,
) -> Result<bool, ApplyError> {
    let shipment = n.shipment_id.to_string();
    send_document(
        cx,
        store,
        &origin.procurement,
        payload_id,
        |parties, order, mode, now| {
            let notice = ShipNotice {
                operation: n.operation,
                shipment_id: &shipment,
                notice_date: now,
                shipment_date: now,
                carrier: n.carrier,
                tracking_number: n.tracking_number,
                lines: n
                    .shipped
                    .iter()
                    .map(|(line, q, u)| ShippedLine {
                        line_number: *line,
                        quantity: *q,
                        unit_of_measure: u.as_deref(),
                    })
                    .collect(),
            };
            ship_notice_request(payload_id, now, mode, parties, order, &notice)
        },
    )
    .await
}

/// Announces the shipments of the order a `store/shipment/*` webhook is about (made,
/// changed or deleted in the control panel or by another app), when the order came from
/// cXML. On `created`, every unannounced shipment of the order is sent (events of one
/// order coalesce in a batch; one a `shipment.create` announced is skipped); on `updated`,
/// every shipment whose notice would say something else is sent again as an update; on
/// `deleted`, the shipment's notice is withdrawn.
pub async fn announce_shipments(cx: &Context, event: &WebhookEvent) -> Result<(), ApplyError> {
    let changed = match event.scope.as_str() {
        "store/shipment/created" => false,
        "store/shipment/updated" => true,
        "store/shipment/deleted" => {
            let (Some(order_id), Some(shipment_id)) = (
                event.data.get("orderId").and_then(Value::as_i64),
                event.data.get("id").and_then(Value::as_i64),
            ) else {
                return Ok(());
            };
            return withdraw_ship_notice(cx, event.store_hash.as_str(), order_id, shipment_id)
                .await;
        }
        _ => return Ok(()),
    };
    let Some(order_id) = event.data.get("orderId").and_then(Value::as_i64) else {
        return Ok(());
    };
    notify_shipments(cx, event.store_hash.as_str(), order_id, changed).await
}

/// Sends the ship notice of every shipment of order `order_id` that needs one (see
/// [`Self::send_ship_notice`]), when the order came from cXML.
pub(crate) async fn notify_shipments(
    cx: &Context,
    store: &str,
    order_id: i64,
    changed: bool,
) -> Result<(), ApplyError> {
    let Some(origin) = order_origin(cx, store, order_id).await? else {
        return Ok(());
    };
    let core = cx.client.core();
    let Some(found) = core.order_for_shipping(order_id).await? else {
        return Ok(());
    };
    for shipment in core.shipments(order_id).await? {
        let mut tracking: Tracking = serde_json::from_value(Value::Object(shipment.extra.clone()))
            .map_err(|e| {
                ApplyError::Permanent(format!(
                    "shipment {} of order {order_id}: its tracking cannot be read: {e}",
                    shipment.id
                ))
            })?;
        tracking.tracking_number = shipment.tracking_number.clone();
        let view = ShipmentView {
            order_id,
            shipment_id: shipment.id,
            lines: &found.lines,
            items: &shipment.items,
            tracking: &tracking,
        };
        notice_for(cx, store, &origin, &view, changed).await?;
    }
    Ok(())
}

/// Tells the buyer's procurement system that an order from cXML was cancelled or declined
/// in BigCommerce (a `ConfirmationRequest` type `reject`), on the `store/order/statusUpdated`
/// webhook: the order's status is read, not taken from the event (events coalesce and
/// arrive out of order), and the rejection is sent once.
pub async fn confirm_status_change(cx: &Context, event: &WebhookEvent) -> Result<(), ApplyError> {
    if event.scope != "store/order/statusUpdated" {
        return Ok(());
    }
    let Some(order_id) = event.data.get("id").and_then(Value::as_i64) else {
        return Ok(());
    };
    let store = event.store_hash.as_str();
    let Some(origin) = order_origin(cx, store, order_id).await? else {
        return Ok(());
    };
    let marker = cancelled_key(store, order_id);
    if cx.state.is_claimed(&marker).await? {
        return Ok(());
    }
    let Some(order) = cx.client.core().order(order_id).await? else {
        return Ok(());
    };
    let Some(status) = order.status_id.and_then(ended_status) else {
        return Ok(());
    };
    let reason = format!("order {order_id} was {status}");
    send_cancellation(cx, store, order_id, &origin.procurement, &reason).await
}

/// Tells PO `p`'s procurement system that order `order_id` is cancelled (a
/// `ConfirmationRequest` type `reject` saying `comments`), and marks it told
/// ([`cancelled_key`]): the caller checks the mark first.
pub(crate) async fn send_cancellation(
    cx: &Context,
    store: &str,
    order_id: i64,
    p: &ProcurementRef,
    comments: &str,
) -> Result<(), ApplyError> {
    let draft = ConfirmationDraft {
        kind: ConfirmationKind::Reject,
        order_id: Some(order_id),
        total: None,
        comments: Some(comments),
    };
    send_confirmation(cx, store, p, draft).await?;
    // Marked after the partner took it: one that dies in between sends it again, the same
    // document.
    cx.state
        .claim(&cancelled_key(store, order_id), ANNOUNCED_TTL)
        .await?;
    Ok(())
}

/// Writes a document about PO `p` with `write` (given the parties, the PO's reference,
/// the partner's deployment mode and the time now) and POSTs it to the partner; nothing
/// when the partner takes no documents.
async fn send_document(
    cx: &Context,
    store: &str,
    p: &ProcurementRef,
    payload_id: &str,
    write: impl FnOnce(&Parties<'_>, &OrderReference<'_>, &str, &str) -> String,
) -> Result<bool, ApplyError> {
    let Some((config, partner, url)) = partner_of(cx, store, &p.partner).await? else {
        return Ok(false);
    };
    let order = OrderReference {
        order_id: &p.order_id,
        order_date: p.order_date.as_deref(),
        payload_id: &p.payload_id,
    };
    let (from, sender) = supplier_credentials(&config);
    let to = [buyer_credential(p, &partner)];
    let parties = Parties {
        from: &from,
        to: &to,
        sender: &sender,
        shared_secret: partner.outbound_secret(),
        user_agent: USER_AGENT,
    };
    let doc = write(&parties, &order, partner.deployment_mode.as_str(), &now());
    post_document(cx, &url, &partner.name, payload_id, doc).await
}

/// The procurement section of `store`'s secret, its partner `name`, and where that partner
/// takes documents; `None` when nothing is to be sent (logged).
async fn partner_of(
    cx: &Context,
    store: &str,
    name: &str,
) -> Result<Option<(ProcurementConfig, TradingPartner, String)>, ApplyError> {
    let Some(secrets) = cx.kept::<Partners>().store_secrets.clone() else {
        tracing::info!(partner = %name, "no store secrets given to this worker: no cXML documents are sent");
        return Ok(None);
    };
    let hash = StoreHash::parse(store).map_err(|e| ApplyError::Permanent(e.to_string()))?;
    let secret = secrets
        .secret_of(&hash)
        .await
        .map_err(|e| ApplyError::retry(e.to_string()))?
        .ok_or_else(|| ApplyError::Permanent(format!("store `{store}` is not served")))?;
    let Some(config) = secret.procurement.clone() else {
        tracing::warn!(partner = %name, "the store secret has no `procurement`: no cXML documents are sent");
        return Ok(None);
    };
    let Some(partner) = config.partners.iter().find(|p| p.name == name).cloned() else {
        return Err(ApplyError::Permanent(format!(
            "`procurement.partner`: `{name}` is not a trading partner in the store secret"
        )));
    };
    let Some(url) = partner.document_url.clone() else {
        tracing::info!(partner = %name, "the partner has no `document_url`: no cXML documents are sent");
        return Ok(None);
    };
    Ok(Some((config, partner, url)))
}

/// POSTs cXML `doc` to `url`: `Ok` when the partner takes it (2xx), retryable when it
/// cannot now (5xx, no answer), permanent when it refuses it. The document (which holds
/// the shared secret) is never logged.
async fn post_document(
    cx: &Context,
    url: &str,
    partner: &str,
    payload_id: &str,
    doc: String,
) -> Result<bool, ApplyError> {
    let Some(http) = cx.kept::<Partners>().http.clone() else {
        tracing::info!(%partner, "no HTTP client for partners: no cXML documents are sent");
        return Ok(false);
    };
    let sent = http
        .post(url)
        .header("content-type", "text/xml; charset=UTF-8")
        .timeout(PARTNER_TIMEOUT)
        .body(doc)
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => {
            return Err(ApplyError::retry(format!(
                "partner `{partner}` did not take document {payload_id}: {e}; retrying"
            )))
        }
    };
    let http_status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    let status = match read_response(&body) {
        Ok(s) => s,
        Err(e) if http_status.is_server_error() || http_status.is_success() => {
            return Err(ApplyError::retry(format!(
                "partner `{partner}` answered document {payload_id} with HTTP {http_status} and no cXML Response ({e}); retrying"
            )))
        }
        Err(e) => {
            return Err(ApplyError::Permanent(format!(
                "partner `{partner}` refused document {payload_id}: HTTP {http_status} ({e})"
            )))
        }
    };
    if status.is_success() {
        tracing::info!(%partner, %payload_id, code = status.code, outcome = "sent", "cXML document taken by the partner");
        return Ok(true);
    }
    let what = format!(
        "partner `{partner}` answered document {payload_id} with cXML {} {}",
        status.code, status.text
    );
    if status.is_temporary() {
        Err(ApplyError::retry(format!("{what}; retrying")))
    } else {
        Err(ApplyError::Permanent(what))
    }
}

/// `value` when it is not blank.
fn named(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// How long a shipment is remembered as announced.
const ANNOUNCED_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

/// The state-table marker of a shipment whose ship notice the partner took.
/// A shipment of an order, as its ship notice describes it.
#[derive(Clone, Copy)]
pub(crate) struct ShipmentView<'a> {
    /// The BigCommerce order.
    pub order_id: i64,
    /// The shipment.
    pub shipment_id: i64,
    /// The order's products, in order.
    pub lines: &'a [OrderLine],
    /// What the shipment holds, by order product.
    pub items: &'a [ShipmentItem],
    /// Its carrier and tracking.
    pub tracking: &'a Tracking,
}

/// What was said of a shipment to the buyer.
enum Announced {
    /// Nothing.
    Never,
    /// A notice, with the digest of what it said (unknown for an earlier version's mark).
    Said(Option<String>),
    /// A notice, withdrawn since.
    Withdrawn,
}

/// A ship notice to write.
struct NoticeDraft<'a> {
    operation: NoticeOperation,
    shipment_id: i64,
    carrier: Option<&'a str>,
    tracking_number: Option<&'a str>,
    shipped: &'a [(u32, u32, Option<String>)],
}

/// The record of what the buyer was told of a shipment (`{digest}` or `{deleted}`).
fn notice_key(store: &str, shipment_id: i64) -> String {
    format!("shipnotice#{store}#{shipment_id}#said")
}

/// A short digest of what a ship notice says: an update is sent only when it changes.
fn notice_digest(
    carrier: Option<&str>,
    tracking: Option<&str>,
    shipped: &[(u32, u32, Option<String>)],
) -> String {
    use sha2::{Digest, Sha256};
    let said = json!([carrier, tracking, shipped]).to_string();
    Sha256::digest(said.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn cancelled_key(store: &str, order_id: i64) -> String {
    format!("cancelled#{store}#{order_id}")
}

/// How a BigCommerce status that ends an order unfulfilled reads (5 Cancelled, 6 Declined).
pub(crate) fn ended_status(status_id: i64) -> Option<&'static str> {
    match status_id {
        5 => Some("cancelled"),
        6 => Some("declined"),
        _ => None,
    }
}

fn announced_key(store: &str, shipment_id: i64) -> String {
    format!("shipnotice#{store}#{shipment_id}")
}

/// What the worker recorded of the cXML purchase order an order came from.
#[derive(serde::Deserialize)]
struct OrderOrigin {
    procurement: ProcurementRef,
    lines: Vec<OriginLine>,
}

#[derive(serde::Deserialize)]
struct OriginLine {
    sku: String,
    line_number: u32,
    #[serde(default)]
    unit_of_measure: Option<String>,
}

/// `(PO line number, quantity, unit)` of what a shipment's `items` ship: an order product is
/// the PO line at its position among the order's products (the order was made from the PO's
/// lines in order), else the first PO line with its SKU.
fn shipped_lines(
    origin: &OrderOrigin,
    lines: &[OrderLine],
    items: &[ShipmentItem],
) -> Vec<(u32, u32, Option<String>)> {
    items
        .iter()
        .filter_map(|item| {
            let position = lines.iter().position(|l| l.id == item.order_product_id)?;
            let by_position = origin.lines.get(position).filter(|o| {
                lines[position]
                    .sku
                    .as_deref()
                    .is_none_or(|sku| sku == o.sku)
            });
            let line = by_position.or_else(|| {
                let sku = lines[position].sku.as_deref()?;
                origin.lines.iter().find(|o| o.sku == sku)
            })?;
            let quantity = u32::try_from(item.quantity).ok()?;
            Some((line.line_number, quantity, line.unit_of_measure.clone()))
        })
        .collect()
}

/// The credential documents to the buyer of PO `p` are addressed to: the PO's `From`, else
/// the partner's `Sender`.
fn buyer_credential(p: &ProcurementRef, partner: &TradingPartner) -> Credential {
    match &p.buyer {
        Some(b) => Credential::new(&b.domain, &b.identity),
        None => Credential::new(&partner.sender.domain, &partner.sender.identity),
    }
}

/// The supplier's `From` credentials and the `Sender` (its first identity).
fn supplier_credentials(config: &ProcurementConfig) -> (Vec<Credential>, Credential) {
    let from: Vec<Credential> = config
        .supplier
        .iter()
        .map(|s| Credential::new(&s.domain, &s.identity))
        .collect();
    let sender = from
        .first()
        .cloned()
        .unwrap_or_else(|| Credential::new("", ""));
    (from, sender)
}
