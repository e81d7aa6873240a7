//! The documents a supplier sends back to the buyer's procurement system about a purchase
//! order: a `ConfirmationRequest` (accepted, or rejected with the reason) and a
//! `ShipNoticeRequest` (an advance ship notice: what shipped, by which carrier, with which
//! tracking number). Written by quick-xml's serializer (every value escaped), with the cXML
//! DOCTYPE, and a `payloadID` the caller derives from what the document is about, so a
//! document sent again is recognized by the receiver as the same one.

use bigcommerce_b2b::money::Amount;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::response::with_prolog;
use crate::Credential;

/// Who a document is from (the supplier), to (the buyer) and how it authenticates.
pub struct Parties<'a> {
    /// The supplier's credentials (`From`).
    pub from: &'a [Credential],
    /// The buyer's credentials (`To`).
    pub to: &'a [Credential],
    /// The `Sender` credential.
    pub sender: &'a Credential,
    /// The `Sender`'s shared secret (written into the document, never logged).
    pub shared_secret: &'a SecretString,
    /// The `UserAgent` named.
    pub user_agent: &'a str,
}

/// The purchase order a document is about.
#[derive(Debug, Clone, Copy)]
pub struct OrderReference<'a> {
    /// The PO's `orderID`.
    pub order_id: &'a str,
    /// The PO's `orderDate`, as it came.
    pub order_date: Option<&'a str>,
    /// The PO document's `payloadID`.
    pub payload_id: &'a str,
}

/// What a confirmation says of the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmationKind {
    /// The whole order is accepted as sent.
    Accept,
    /// The whole order is rejected (the comments say why).
    Reject,
}

impl ConfirmationKind {
    fn as_str(self) -> &'static str {
        match self {
            ConfirmationKind::Accept => "accept",
            ConfirmationKind::Reject => "reject",
        }
    }
}

/// A confirmation of a purchase order.
#[derive(Debug, Clone)]
pub struct Confirmation<'a> {
    /// Accepted or rejected.
    pub kind: ConfirmationKind,
    /// The supplier's id of the confirmation (its order number).
    pub confirm_id: &'a str,
    /// When it is sent (ISO 8601).
    pub notice_date: &'a str,
    /// The confirmed total and its currency, when known.
    pub total: Option<(Amount, &'a str)>,
    /// For people: why an order is rejected, or a note.
    pub comments: Option<&'a str>,
}

/// One line of a ship notice: the PO's line number and the quantity shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippedLine<'a> {
    /// The PO's `lineNumber`.
    pub line_number: u32,
    /// How many shipped.
    pub quantity: u32,
    /// The line's unit of measure (`EA` when the PO gave none).
    pub unit_of_measure: Option<&'a str>,
}

/// What a ship notice does to the shipment it names (`ShipNoticeHeader@operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoticeOperation {
    /// A shipment announced for the first time.
    #[default]
    New,
    /// A shipment announced before, changed (carrier, tracking, lines).
    Update,
    /// A shipment announced before, withdrawn.
    Delete,
}

impl NoticeOperation {
    /// The attribute's value.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeOperation::New => "new",
            NoticeOperation::Update => "update",
            NoticeOperation::Delete => "delete",
        }
    }
}

/// An advance ship notice.
#[derive(Debug, Clone)]
pub struct ShipNotice<'a> {
    /// New, changed or withdrawn.
    pub operation: NoticeOperation,
    /// The supplier's id of the shipment.
    pub shipment_id: &'a str,
    /// When it is sent (ISO 8601).
    pub notice_date: &'a str,
    /// When it shipped (ISO 8601).
    pub shipment_date: &'a str,
    /// The carrier's name (`UPS`), when known.
    pub carrier: Option<&'a str>,
    /// The tracking number, when known.
    pub tracking_number: Option<&'a str>,
    /// What shipped.
    pub lines: Vec<ShippedLine<'a>>,
}

#[derive(Serialize)]
struct Doc<'a, R: Serialize> {
    #[serde(rename = "@payloadID")]
    payload_id: &'a str,
    #[serde(rename = "@timestamp")]
    timestamp: &'a str,
    #[serde(rename = "@xml:lang")]
    lang: &'static str,
    #[serde(rename = "Header")]
    header: Header<'a>,
    #[serde(rename = "Request")]
    request: Request<R>,
}

/// A document's `Header` (also the punch-out order message's).
#[derive(Serialize)]
pub(crate) struct Header<'a> {
    #[serde(rename = "From")]
    pub(crate) from: PartyOut<'a>,
    #[serde(rename = "To")]
    pub(crate) to: PartyOut<'a>,
    #[serde(rename = "Sender")]
    pub(crate) sender: SenderOut<'a>,
}

#[derive(Serialize)]
pub(crate) struct PartyOut<'a> {
    #[serde(rename = "Credential")]
    credentials: Vec<CredentialOut<'a>>,
}

#[derive(Serialize)]
pub(crate) struct CredentialOut<'a> {
    #[serde(rename = "@domain")]
    pub(crate) domain: &'a str,
    #[serde(rename = "Identity")]
    pub(crate) identity: &'a str,
    #[serde(rename = "SharedSecret", skip_serializing_if = "Option::is_none")]
    pub(crate) shared_secret: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct SenderOut<'a> {
    #[serde(rename = "Credential")]
    pub(crate) credential: CredentialOut<'a>,
    #[serde(rename = "UserAgent")]
    pub(crate) user_agent: &'a str,
}

#[derive(Serialize)]
struct Request<R: Serialize> {
    #[serde(rename = "@deploymentMode")]
    deployment_mode: String,
    #[serde(rename = "$value")]
    body: R,
}

#[derive(Serialize)]
struct Text<'a> {
    #[serde(rename = "$text")]
    text: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Money<'a> {
    #[serde(rename = "@currency")]
    currency: &'a str,
    #[serde(rename = "$text")]
    value: String,
}

/// An amount in a currency, in the element its field names (`Total`, `UnitPrice`).
#[derive(Serialize)]
pub(crate) struct Total<'a> {
    #[serde(rename = "Money")]
    money: Money<'a>,
}

impl<'a> Total<'a> {
    /// `value` in `currency`.
    pub(crate) fn of(value: Amount, currency: &'a str) -> Self {
        Total {
            money: Money {
                currency,
                value: value.to_decimal_string(),
            },
        }
    }
}

#[derive(Serialize)]
struct DocumentReference<'a> {
    #[serde(rename = "@payloadID")]
    payload_id: &'a str,
}

#[derive(Serialize)]
struct OrderReferenceOut<'a> {
    #[serde(rename = "@orderID")]
    order_id: &'a str,
    #[serde(rename = "@orderDate", skip_serializing_if = "Option::is_none")]
    order_date: Option<&'a str>,
    #[serde(rename = "DocumentReference")]
    document: DocumentReference<'a>,
}

#[derive(Serialize)]
enum ConfirmationBody<'a> {
    ConfirmationRequest {
        #[serde(rename = "ConfirmationHeader")]
        header: ConfirmationHeader<'a>,
        #[serde(rename = "OrderReference")]
        order: OrderReferenceOut<'a>,
    },
}

#[derive(Serialize)]
struct ConfirmationHeader<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@noticeDate")]
    notice_date: &'a str,
    #[serde(rename = "@operation")]
    operation: &'static str,
    #[serde(rename = "@confirmID")]
    confirm_id: &'a str,
    #[serde(rename = "Total", skip_serializing_if = "Option::is_none")]
    total: Option<Total<'a>>,
    #[serde(rename = "Comments", skip_serializing_if = "Option::is_none")]
    comments: Option<Text<'a>>,
}

#[derive(Serialize)]
enum ShipNoticeBody<'a> {
    ShipNoticeRequest {
        #[serde(rename = "ShipNoticeHeader")]
        header: ShipNoticeHeader<'a>,
        #[serde(rename = "ShipControl", skip_serializing_if = "Option::is_none")]
        control: Option<ShipControl<'a>>,
        #[serde(rename = "ShipNoticePortion")]
        portion: ShipNoticePortion<'a>,
    },
}

#[derive(Serialize)]
struct ShipNoticeHeader<'a> {
    #[serde(rename = "@shipmentID")]
    shipment_id: &'a str,
    #[serde(rename = "@operation")]
    operation: &'static str,
    #[serde(rename = "@noticeDate")]
    notice_date: &'a str,
    #[serde(rename = "@shipmentDate")]
    shipment_date: &'a str,
}

#[derive(Serialize)]
struct ShipControl<'a> {
    #[serde(rename = "CarrierIdentifier", skip_serializing_if = "Option::is_none")]
    carrier: Option<Carrier<'a>>,
    #[serde(rename = "ShipmentIdentifier", skip_serializing_if = "Option::is_none")]
    tracking: Option<Text<'a>>,
}

#[derive(Serialize)]
struct Carrier<'a> {
    #[serde(rename = "@domain")]
    domain: &'static str,
    #[serde(rename = "$text")]
    name: &'a str,
}

#[derive(Serialize)]
struct ShipNoticePortion<'a> {
    #[serde(rename = "OrderReference")]
    order: OrderReferenceOut<'a>,
    #[serde(rename = "ShipNoticeItem")]
    items: Vec<ShipNoticeItem<'a>>,
}

#[derive(Serialize)]
struct ShipNoticeItem<'a> {
    #[serde(rename = "@lineNumber")]
    line_number: u32,
    #[serde(rename = "@quantity")]
    quantity: u32,
    #[serde(rename = "UnitOfMeasure")]
    unit_of_measure: Text<'a>,
}

/// Credentials without a shared secret.
pub(crate) fn credentials(creds: &[Credential]) -> PartyOut<'_> {
    PartyOut {
        credentials: creds
            .iter()
            .map(|c| CredentialOut {
                domain: &c.domain,
                identity: &c.identity,
                shared_secret: None,
            })
            .collect(),
    }
}

fn header<'a>(p: &'a Parties<'a>) -> Header<'a> {
    Header {
        from: credentials(p.from),
        to: credentials(p.to),
        sender: SenderOut {
            credential: CredentialOut {
                domain: &p.sender.domain,
                identity: &p.sender.identity,
                shared_secret: Some(p.shared_secret.expose_secret()),
            },
            user_agent: p.user_agent,
        },
    }
}

fn order_reference<'a>(o: &OrderReference<'a>) -> OrderReferenceOut<'a> {
    OrderReferenceOut {
        order_id: o.order_id,
        order_date: o.order_date,
        document: DocumentReference {
            payload_id: o.payload_id,
        },
    }
}

/// The envelope around `body`: declaration, DOCTYPE, `cXML` with its header.
fn document<R: Serialize>(
    payload_id: &str,
    timestamp: &str,
    deployment_mode: &str,
    parties: &Parties<'_>,
    body: R,
) -> String {
    let doc = Doc {
        payload_id,
        timestamp,
        lang: "en-US",
        header: header(parties),
        request: Request {
            deployment_mode: deployment_mode.to_owned(),
            body,
        },
    };
    with_prolog(&doc)
}

/// A `ConfirmationRequest` for `order`, in a document `payload_id`.
pub fn confirmation_request(
    payload_id: &str,
    timestamp: &str,
    deployment_mode: &str,
    parties: &Parties<'_>,
    order: &OrderReference<'_>,
    c: &Confirmation<'_>,
) -> String {
    let body = ConfirmationBody::ConfirmationRequest {
        header: ConfirmationHeader {
            kind: c.kind.as_str(),
            notice_date: c.notice_date,
            operation: "new",
            confirm_id: c.confirm_id,
            total: c.total.map(|(value, currency)| Total::of(value, currency)),
            comments: c.comments.map(|text| Text { text }),
        },
        order: order_reference(order),
    };
    document(payload_id, timestamp, deployment_mode, parties, body)
}

/// A `ShipNoticeRequest` for `order`, in a document `payload_id`.
pub fn ship_notice_request(
    payload_id: &str,
    timestamp: &str,
    deployment_mode: &str,
    parties: &Parties<'_>,
    order: &OrderReference<'_>,
    s: &ShipNotice<'_>,
) -> String {
    let control = (s.carrier.is_some() || s.tracking_number.is_some()).then(|| ShipControl {
        carrier: s.carrier.map(|name| Carrier {
            domain: "companyName",
            name,
        }),
        tracking: s.tracking_number.map(|text| Text { text }),
    });
    let body = ShipNoticeBody::ShipNoticeRequest {
        header: ShipNoticeHeader {
            shipment_id: s.shipment_id,
            operation: s.operation.as_str(),
            notice_date: s.notice_date,
            shipment_date: s.shipment_date,
        },
        control,
        portion: ShipNoticePortion {
            order: order_reference(order),
            items: s
                .lines
                .iter()
                .map(|l| ShipNoticeItem {
                    line_number: l.line_number,
                    quantity: l.quantity,
                    unit_of_measure: Text {
                        text: l.unit_of_measure.unwrap_or("EA"),
                    },
                })
                .collect(),
        },
    };
    document(payload_id, timestamp, deployment_mode, parties, body)
}
