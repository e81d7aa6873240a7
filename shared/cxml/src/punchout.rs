//! Punch-out: a buyer in a procurement system opens the supplier's store to fill a cart that
//! goes back for approval. A `PunchOutSetupRequest` is read into a [`PunchOutSetup`] (who,
//! the session's `BuyerCookie`, where to post the cart back); the answer is a
//! `PunchOutSetupResponse` naming the start page; the cart goes back as a
//! `PunchOutOrderMessage` inside an HTML form the browser posts to the `BrowserFormPost` URL.

use bigcommerce_b2b::money::Amount;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::order::{credentials as read_credentials, secret_matches, sender_secret, Text};
use crate::outbound::{credentials, CredentialOut, Header, SenderOut, Total};
use crate::response::with_prolog;
use crate::{Credential, CxmlError};

/// A checked `PunchOutSetupRequest`.
#[derive(Debug, Clone)]
pub struct PunchOutSetup {
    /// The document's payloadID, echoed in the answer.
    pub payload_id: String,
    /// `production` or `test`.
    pub deployment_mode: String,
    /// The buying organization's credentials.
    pub from: Vec<Credential>,
    /// The supplier's credentials.
    pub to: Vec<Credential>,
    /// The sender's credentials.
    pub sender: Vec<Credential>,
    sender_secret: Option<SecretString>,
    /// `create`, `edit` or `inspect`.
    pub operation: String,
    /// The procurement system's id of the session, sent back with the cart.
    pub buyer_cookie: String,
    /// Where the browser posts the cart back.
    pub browser_form_post: String,
    /// The shopper's email (`Extrinsic UserEmail`, else `Contact/Email`), when sent.
    pub user_email: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "@payloadID", default)]
    payload_id: String,
    #[serde(rename = "Header")]
    header: Option<crate::order::Header>,
    #[serde(rename = "Request")]
    request: Option<Request>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(rename = "@deploymentMode")]
    deployment_mode: Option<String>,
    #[serde(rename = "PunchOutSetupRequest")]
    setup: Option<SetupRequest>,
}

#[derive(Deserialize)]
struct SetupRequest {
    #[serde(rename = "@operation", default)]
    operation: String,
    #[serde(rename = "BuyerCookie", default)]
    buyer_cookie: Option<Text>,
    #[serde(rename = "Extrinsic", default)]
    extrinsics: Vec<Extrinsic>,
    #[serde(rename = "BrowserFormPost")]
    browser_form_post: Option<UrlHolder>,
    #[serde(rename = "Contact", default)]
    contacts: Vec<Contact>,
}

#[derive(Deserialize)]
struct Extrinsic {
    #[serde(rename = "@name", default)]
    name: String,
    #[serde(rename = "$text", default)]
    value: String,
}

#[derive(Deserialize)]
struct UrlHolder {
    #[serde(rename = "URL")]
    url: Option<Text>,
}

#[derive(Deserialize)]
struct Contact {
    #[serde(rename = "Email")]
    email: Option<Text>,
}

fn required(value: Option<String>, field: &str) -> Result<String, CxmlError> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| CxmlError::invalid(field, "is required"))
}

impl PunchOutSetup {
    /// Reads and checks a `PunchOutSetupRequest` document.
    pub fn from_xml(xml: &[u8]) -> Result<PunchOutSetup, CxmlError> {
        let doc: Envelope = crate::guard::decode(xml)?;
        let payload_id = required(Some(doc.payload_id), "cXML@payloadID")?;
        let header = doc
            .header
            .ok_or_else(|| CxmlError::invalid("Header", "is required"))?;
        let request = doc
            .request
            .ok_or_else(|| CxmlError::invalid("Request", "is required"))?;
        let setup = request
            .setup
            .ok_or_else(|| CxmlError::invalid("Request/PunchOutSetupRequest", "is required"))?;
        let buyer_cookie = required(
            setup.buyer_cookie.map(|c| c.text),
            "PunchOutSetupRequest/BuyerCookie",
        )?;
        let browser_form_post = required(
            setup.browser_form_post.and_then(|b| b.url).map(|u| u.text),
            "PunchOutSetupRequest/BrowserFormPost/URL",
        )?;
        let user_email = setup
            .extrinsics
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case("UserEmail"))
            .map(|e| e.value.trim().to_owned())
            .or_else(|| {
                setup
                    .contacts
                    .iter()
                    .find_map(|c| c.email.as_ref().map(|e| e.text.trim().to_owned()))
            })
            .filter(|e| !e.is_empty());
        Ok(PunchOutSetup {
            payload_id,
            deployment_mode: request
                .deployment_mode
                .unwrap_or_else(|| "production".into()),
            from: read_credentials(&header.from),
            to: read_credentials(&header.to),
            sender: read_credentials(&header.sender),
            sender_secret: sender_secret(&header),
            operation: if setup.operation.trim().is_empty() {
                "create".into()
            } else {
                setup.operation.trim().to_owned()
            },
            buyer_cookie,
            browser_form_post,
            user_email,
        })
    }

    /// Whether the sender's `SharedSecret` is `expected`, compared in constant time.
    pub fn sender_secret_matches(&self, expected: &SecretString) -> bool {
        secret_matches(self.sender_secret.as_ref(), expected)
    }
}

#[derive(Serialize)]
struct SetupResponseDoc<'a> {
    #[serde(rename = "@payloadID")]
    payload_id: String,
    #[serde(rename = "@timestamp")]
    timestamp: &'a str,
    #[serde(rename = "@xml:lang")]
    lang: &'static str,
    #[serde(rename = "Response")]
    response: SetupResponseBody<'a>,
}

#[derive(Serialize)]
struct SetupResponseBody<'a> {
    #[serde(rename = "Status")]
    status: StatusOk,
    #[serde(rename = "PunchOutSetupResponse")]
    setup: StartPageHolder<'a>,
}

#[derive(Serialize)]
struct StatusOk {
    #[serde(rename = "@code")]
    code: u16,
    #[serde(rename = "@text")]
    text: &'static str,
}

#[derive(Serialize)]
struct StartPageHolder<'a> {
    #[serde(rename = "StartPage")]
    start_page: UrlOut<'a>,
}

#[derive(Serialize)]
struct UrlOut<'a> {
    #[serde(rename = "URL")]
    url: &'a str,
}

/// The `PunchOutSetupResponse` to the request `request_payload_id`: status 200 and the page
/// the buyer's browser starts at.
pub fn punchout_setup_response(
    request_payload_id: &str,
    timestamp: &str,
    start_url: &str,
) -> String {
    let doc = SetupResponseDoc {
        payload_id: format!("{request_payload_id}.response"),
        timestamp,
        lang: "en-US",
        response: SetupResponseBody {
            status: StatusOk {
                code: 200,
                text: "OK",
            },
            setup: StartPageHolder {
                start_page: UrlOut { url: start_url },
            },
        },
    };
    with_prolog(&doc)
}

/// One item of a punched-out cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartItem {
    /// The SKU (`SupplierPartID`).
    pub sku: String,
    /// The supplier's auxiliary id (`SupplierPartAuxiliaryID`: the cart line it came from).
    pub aux_id: Option<String>,
    /// How many.
    pub quantity: u32,
    /// The price per unit.
    pub unit_price: Amount,
    /// The product's name.
    pub description: String,
    /// The unit of measure (default `EA`).
    pub unit_of_measure: Option<String>,
}

#[derive(Serialize)]
struct OrderMessageDoc<'a> {
    #[serde(rename = "@payloadID")]
    payload_id: &'a str,
    #[serde(rename = "@timestamp")]
    timestamp: &'a str,
    #[serde(rename = "@xml:lang")]
    lang: &'static str,
    #[serde(rename = "Header")]
    header: Header<'a>,
    #[serde(rename = "Message")]
    message: MessageBody<'a>,
}

#[derive(Serialize)]
struct MessageBody<'a> {
    #[serde(rename = "PunchOutOrderMessage")]
    message: OrderMessage<'a>,
}

#[derive(Serialize)]
struct OrderMessage<'a> {
    #[serde(rename = "BuyerCookie")]
    buyer_cookie: &'a str,
    #[serde(rename = "PunchOutOrderMessageHeader")]
    header: OrderMessageHeader<'a>,
    #[serde(rename = "ItemIn")]
    items: Vec<ItemIn<'a>>,
}

#[derive(Serialize)]
struct OrderMessageHeader<'a> {
    #[serde(rename = "@operationAllowed")]
    operation_allowed: &'static str,
    #[serde(rename = "Total")]
    total: Total<'a>,
}

#[derive(Serialize)]
struct ItemIn<'a> {
    #[serde(rename = "@quantity")]
    quantity: u32,
    #[serde(rename = "ItemID")]
    item_id: ItemIdOut<'a>,
    #[serde(rename = "ItemDetail")]
    detail: ItemDetailOut<'a>,
}

#[derive(Serialize)]
struct ItemIdOut<'a> {
    #[serde(rename = "SupplierPartID")]
    sku: &'a str,
    #[serde(
        rename = "SupplierPartAuxiliaryID",
        skip_serializing_if = "Option::is_none"
    )]
    aux_id: Option<&'a str>,
}

#[derive(Serialize)]
struct ItemDetailOut<'a> {
    #[serde(rename = "UnitPrice")]
    unit_price: Total<'a>,
    #[serde(rename = "Description")]
    description: Described<'a>,
    #[serde(rename = "UnitOfMeasure")]
    unit_of_measure: &'a str,
}

#[derive(Serialize)]
struct Described<'a> {
    #[serde(rename = "@xml:lang")]
    lang: &'static str,
    #[serde(rename = "$text")]
    text: &'a str,
}

/// A punched-out cart: the session's cookie, the currency and the items.
#[derive(Debug, Clone, Copy)]
pub struct Cart<'a> {
    /// The session's `BuyerCookie`.
    pub buyer_cookie: &'a str,
    /// ISO 4217 code of every price.
    pub currency: &'a str,
    /// The items.
    pub items: &'a [CartItem],
}

/// `cart` as a `PunchOutOrderMessage` from the supplier (`from`, `sender`) to the buyer
/// (`to`). A message carries no shared secret: the browser posts it, and the buyer's system
/// knows the session by its cookie.
pub fn punchout_order_message(
    payload_id: &str,
    timestamp: &str,
    from: &[Credential],
    to: &[Credential],
    sender: &Credential,
    cart: Cart<'_>,
) -> String {
    let Cart {
        buyer_cookie,
        currency,
        items,
    } = cart;
    let total = items.iter().fold(Amount::ZERO, |sum, i| {
        let line = i
            .unit_price
            .ten_thousandths()
            .saturating_mul(i64::from(i.quantity));
        sum.checked_add(Amount::from_ten_thousandths(line))
            .unwrap_or(sum)
    });
    let money = |value: Amount| Total::of(value, currency);
    let doc = OrderMessageDoc {
        payload_id,
        timestamp,
        lang: "en-US",
        header: Header {
            from: credentials(from),
            to: credentials(to),
            sender: SenderOut {
                credential: CredentialOut {
                    domain: &sender.domain,
                    identity: &sender.identity,
                    shared_secret: None,
                },
                user_agent: concat!("b2b-edition-toolkit/", env!("CARGO_PKG_VERSION")),
            },
        },
        message: MessageBody {
            message: OrderMessage {
                buyer_cookie,
                header: OrderMessageHeader {
                    operation_allowed: "edit",
                    total: money(total),
                },
                items: items
                    .iter()
                    .map(|i| ItemIn {
                        quantity: i.quantity,
                        item_id: ItemIdOut {
                            sku: &i.sku,
                            aux_id: i.aux_id.as_deref(),
                        },
                        detail: ItemDetailOut {
                            unit_price: money(i.unit_price),
                            description: Described {
                                lang: "en",
                                text: &i.description,
                            },
                            unit_of_measure: i.unit_of_measure.as_deref().unwrap_or("EA"),
                        },
                    })
                    .collect(),
            },
        },
    };
    with_prolog(&doc)
}

/// An HTML page whose form posts `cxml` (the `PunchOutOrderMessage`) to the session's
/// `BrowserFormPost` URL as the `cxml-urlencoded` field, by itself once loaded (a button for
/// browsers without scripts). Every value is escaped for HTML.
pub fn auto_post_form(url: &str, cxml: &str) -> String {
    let url = quick_xml::escape::escape(url);
    let cxml = quick_xml::escape::escape(cxml);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Returning your cart</title></head>\n\
         <body onload=\"document.forms[0].submit()\">\n\
         <form method=\"post\" action=\"{url}\">\n\
         <input type=\"hidden\" name=\"cxml-urlencoded\" value=\"{cxml}\">\n\
         <noscript><button type=\"submit\">Return the cart to your procurement system</button></noscript>\n\
         </form>\n</body></html>\n"
    )
}

/// A small HTML page telling the shopper what happened (the title and message escaped).
pub fn html_page(title: &str, message: &str) -> String {
    let title = quick_xml::escape::escape(title);
    let message = quick_xml::escape::escape(message);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body><h1>{title}</h1>\n<p>{message}</p>\n</body></html>\n"
    )
}

#[derive(Deserialize)]
struct SetupResponseRead {
    #[serde(rename = "Response")]
    response: Option<SetupResponseBodyRead>,
}

#[derive(Deserialize)]
struct SetupResponseBodyRead {
    #[serde(rename = "Status")]
    status: Option<StatusRead>,
    #[serde(rename = "PunchOutSetupResponse")]
    setup: Option<StartPageRead>,
}

#[derive(Deserialize)]
struct StatusRead {
    #[serde(rename = "@code", default)]
    code: String,
    #[serde(rename = "$text", default)]
    text: String,
}

#[derive(Deserialize)]
struct StartPageRead {
    #[serde(rename = "StartPage")]
    start_page: Option<UrlHolder>,
}

/// The start page of a `PunchOutSetupResponse` (what a procurement system opens for its
/// shopper); an error naming the status when the setup was refused.
pub fn read_start_page(xml: &[u8]) -> Result<String, CxmlError> {
    let doc: SetupResponseRead = crate::guard::decode(xml)?;
    let body = doc
        .response
        .ok_or_else(|| CxmlError::invalid("Response", "is required"))?;
    let status = body
        .status
        .ok_or_else(|| CxmlError::invalid("Response/Status", "is required"))?;
    if status.code.trim() != "200" {
        return Err(CxmlError::invalid(
            "Response/Status",
            format!("is {}: {}", status.code.trim(), status.text.trim()),
        ));
    }
    required(
        body.setup
            .and_then(|s| s.start_page)
            .and_then(|p| p.url)
            .map(|u| u.text),
        "PunchOutSetupResponse/StartPage/URL",
    )
}

/// A `PunchOutOrderMessage` as the procurement system reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PunchOutOrder {
    /// The message's payloadID.
    pub payload_id: String,
    /// The session's `BuyerCookie`.
    pub buyer_cookie: String,
    /// The currency of the total.
    pub currency: String,
    /// The cart's total.
    pub total: Amount,
    /// The items.
    pub items: Vec<CartItem>,
}

#[derive(Deserialize)]
struct OrderMessageRead {
    #[serde(rename = "@payloadID", default)]
    payload_id: String,
    #[serde(rename = "Message")]
    message: Option<MessageRead>,
}

#[derive(Deserialize)]
struct MessageRead {
    #[serde(rename = "PunchOutOrderMessage")]
    order: Option<OrderRead>,
}

#[derive(Deserialize)]
struct OrderRead {
    #[serde(rename = "BuyerCookie")]
    buyer_cookie: Option<Text>,
    #[serde(rename = "PunchOutOrderMessageHeader")]
    header: Option<OrderHeaderRead>,
    #[serde(rename = "ItemIn", default)]
    items: Vec<ItemInRead>,
}

#[derive(Deserialize)]
struct OrderHeaderRead {
    #[serde(rename = "Total")]
    total: crate::order::MoneyHolder,
}

#[derive(Deserialize)]
struct ItemInRead {
    #[serde(rename = "@quantity", default)]
    quantity: String,
    #[serde(rename = "ItemID")]
    item_id: ItemIdRead,
    #[serde(rename = "ItemDetail")]
    detail: ItemDetailRead,
}

#[derive(Deserialize)]
struct ItemIdRead {
    #[serde(rename = "SupplierPartID")]
    sku: Text,
    #[serde(rename = "SupplierPartAuxiliaryID")]
    aux_id: Option<Text>,
}

#[derive(Deserialize)]
struct ItemDetailRead {
    #[serde(rename = "UnitPrice")]
    unit_price: crate::order::MoneyHolder,
    #[serde(rename = "Description")]
    description: Option<Text>,
    #[serde(rename = "UnitOfMeasure")]
    unit_of_measure: Option<Text>,
}

impl PunchOutOrder {
    /// Reads a `PunchOutOrderMessage` (as posted in the `cxml-urlencoded` field).
    pub fn from_xml(xml: &[u8]) -> Result<PunchOutOrder, CxmlError> {
        let doc: OrderMessageRead = crate::guard::decode(xml)?;
        let order = doc
            .message
            .and_then(|m| m.order)
            .ok_or_else(|| CxmlError::invalid("Message/PunchOutOrderMessage", "is required"))?;
        let header = order
            .header
            .ok_or_else(|| CxmlError::invalid("PunchOutOrderMessageHeader", "is required"))?;
        let (currency, total) =
            crate::order::money("PunchOutOrderMessageHeader/Total", &header.total.money)?;
        let items = order
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let at = format!("ItemIn[{}]", i + 1);
                let quantity = item.quantity.trim().parse::<u32>().map_err(|_| {
                    CxmlError::invalid(format!("{at}@quantity"), "is not a whole number")
                })?;
                let (_, unit_price) = crate::order::money(
                    &format!("{at}/ItemDetail/UnitPrice"),
                    &item.detail.unit_price.money,
                )?;
                Ok(CartItem {
                    sku: item.item_id.sku.text.trim().to_owned(),
                    aux_id: item
                        .item_id
                        .aux_id
                        .as_ref()
                        .map(|a| a.text.trim().to_owned()),
                    quantity,
                    unit_price,
                    description: item
                        .detail
                        .description
                        .as_ref()
                        .map(|d| d.text.trim().to_owned())
                        .unwrap_or_default(),
                    unit_of_measure: item
                        .detail
                        .unit_of_measure
                        .as_ref()
                        .map(|u| u.text.trim().to_owned()),
                })
            })
            .collect::<Result<Vec<_>, CxmlError>>()?;
        Ok(PunchOutOrder {
            payload_id: doc.payload_id,
            buyer_cookie: required(order.buyer_cookie.map(|c| c.text), "BuyerCookie")?,
            currency,
            total,
            items,
        })
    }
}
