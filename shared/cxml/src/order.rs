//! A cXML `OrderRequest` read into a [`PurchaseOrder`] and checked: the identities of the
//! buying organization (`From`), the supplier (`To`) and the sender with its shared secret, the
//! order's id, date, total and addresses, and its lines by supplier part id, quantity and
//! agreed price. Real POs disagree about what their `Total` includes (the lines alone, or the
//! lines, tax and shipping): [`PurchaseOrder::total_check`] says which it is, or that it is
//! neither, for the reader to take or refuse.

use bigcommerce_b2b::money::Amount;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::CxmlError;

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "@payloadID", default)]
    payload_id: String,
    #[serde(rename = "@timestamp")]
    timestamp: Option<String>,
    #[serde(rename = "Header")]
    header: Option<Header>,
    #[serde(rename = "Request")]
    request: Option<Request>,
}

#[derive(Deserialize)]
pub(crate) struct Header {
    #[serde(rename = "From")]
    pub(crate) from: Party,
    #[serde(rename = "To")]
    pub(crate) to: Party,
    #[serde(rename = "Sender")]
    pub(crate) sender: Party,
}

#[derive(Deserialize)]
pub(crate) struct Party {
    #[serde(rename = "Credential", default)]
    credentials: Vec<RawCredential>,
}

#[derive(Deserialize)]
struct RawCredential {
    #[serde(rename = "@domain", default)]
    domain: String,
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "Identity", default)]
    identity: String,
    #[serde(rename = "SharedSecret")]
    shared_secret: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(rename = "@deploymentMode")]
    deployment_mode: Option<String>,
    #[serde(rename = "OrderRequest")]
    order_request: Option<OrderRequest>,
}

#[derive(Deserialize)]
struct OrderRequest {
    #[serde(rename = "OrderRequestHeader")]
    header: OrderHeader,
    #[serde(rename = "ItemOut", default)]
    items: Vec<ItemOut>,
}

#[derive(Deserialize)]
struct OrderHeader {
    #[serde(rename = "@orderID", default)]
    order_id: String,
    #[serde(rename = "@orderDate")]
    order_date: Option<String>,
    #[serde(rename = "@type")]
    kind: Option<String>,
    #[serde(rename = "Total")]
    total: Option<MoneyHolder>,
    #[serde(rename = "Shipping")]
    shipping: Option<MoneyHolder>,
    #[serde(rename = "Tax")]
    tax: Option<MoneyHolder>,
    #[serde(rename = "ShipTo")]
    ship_to: Option<AddressHolder>,
    #[serde(rename = "BillTo")]
    bill_to: Option<AddressHolder>,
    #[serde(rename = "Contact", default)]
    contacts: Vec<RawContact>,
    #[serde(rename = "Comments")]
    comments: Option<Text>,
}

#[derive(Deserialize)]
struct RawContact {
    #[serde(rename = "@role")]
    role: Option<String>,
    #[serde(rename = "Name", default)]
    name: Text,
    #[serde(rename = "Email")]
    email: Option<Text>,
}

#[derive(Deserialize)]
pub(crate) struct MoneyHolder {
    #[serde(rename = "Money")]
    pub(crate) money: Money,
}

#[derive(Deserialize)]
pub(crate) struct Money {
    #[serde(rename = "@currency", default)]
    currency: String,
    #[serde(rename = "$text", default)]
    value: String,
}

#[derive(Deserialize)]
struct AddressHolder {
    #[serde(rename = "Address")]
    address: RawAddress,
}

/// Text of an element that may carry attributes (`<Name xml:lang="en">`).
#[derive(Deserialize, Default)]
pub(crate) struct Text {
    #[serde(rename = "$text", default)]
    pub(crate) text: String,
}

#[derive(Deserialize)]
struct RawAddress {
    #[serde(rename = "@addressID")]
    address_id: Option<String>,
    #[serde(rename = "Name", default)]
    name: Text,
    #[serde(rename = "PostalAddress")]
    postal: Option<Postal>,
    #[serde(rename = "Email")]
    email: Option<Text>,
}

#[derive(Deserialize)]
struct Postal {
    #[serde(rename = "DeliverTo", default)]
    deliver_to: Vec<String>,
    #[serde(rename = "Street", default)]
    street: Vec<String>,
    #[serde(rename = "City", default)]
    city: String,
    #[serde(rename = "State")]
    state: Option<String>,
    #[serde(rename = "PostalCode")]
    postal_code: Option<String>,
    #[serde(rename = "Country")]
    country: Option<Country>,
}

#[derive(Deserialize)]
struct Country {
    #[serde(rename = "@isoCountryCode", default)]
    iso: String,
}

#[derive(Deserialize)]
struct ItemOut {
    #[serde(rename = "@quantity", default)]
    quantity: String,
    #[serde(rename = "@lineNumber")]
    line_number: Option<String>,
    #[serde(rename = "ItemID")]
    item_id: Option<ItemId>,
    #[serde(rename = "ItemDetail")]
    detail: Option<ItemDetail>,
}

#[derive(Deserialize)]
struct ItemId {
    #[serde(rename = "SupplierPartID", default)]
    supplier_part_id: String,
    #[serde(rename = "SupplierPartAuxiliaryID")]
    aux_id: Option<String>,
}

#[derive(Deserialize)]
struct ItemDetail {
    #[serde(rename = "UnitPrice")]
    unit_price: Option<MoneyHolder>,
    #[serde(rename = "Description")]
    description: Option<Text>,
    #[serde(rename = "UnitOfMeasure")]
    unit_of_measure: Option<String>,
}

/// An identity of a party (`Credential domain="NetworkID"` with its `Identity`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Credential {
    /// The identity's domain (`NetworkID`, `DUNS`, a buyer-specific one...).
    pub domain: String,
    /// The identity.
    pub identity: String,
    /// The credential's `type`, when sent: cXML knows `marketplace`, a credential of the
    /// marketplace a buying organization orders through, not of the organization itself.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl Credential {
    /// A credential without `type` (an organization's own).
    pub fn new(domain: impl Into<String>, identity: impl Into<String>) -> Credential {
        Credential {
            domain: domain.into(),
            identity: identity.into(),
            kind: None,
        }
    }

    /// Whether it names a marketplace (`type="marketplace"`) rather than a buying organization.
    pub fn is_marketplace(&self) -> bool {
        self.kind
            .as_deref()
            .is_some_and(|k| k.trim().eq_ignore_ascii_case("marketplace"))
    }
}

/// Which `From` credential names the buying organization, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuyerChoice<'a> {
    /// The credential naming the buyer; `by_domain` when it is the one of the domain asked for
    /// (else the first credential without `type="marketplace"`).
    Found {
        /// The buyer's credential.
        credential: &'a Credential,
        /// Chosen for its domain (the partner's configuration), not for being first.
        by_domain: bool,
    },
    /// No credential names a buying organization (none of the domain asked for, or only
    /// marketplaces' credentials).
    Missing,
}

/// The credential of a `From` that names the buying organization. The cXML DTD: a credential
/// without `type` describes the buying organization (a marketplace's member, or one in no
/// marketplace), one with `type="marketplace"` the marketplace, so a marketplace's is never
/// the buyer's. With `domain`, the first buyer's credential in that domain (ignoring ASCII
/// case); without, the first buyer's credential. One with an empty identity is no one's.
pub fn buyer_credential<'a>(from: &'a [Credential], domain: Option<&str>) -> BuyerChoice<'a> {
    let domain = domain.map(str::trim);
    from.iter()
        .filter(|c| !c.is_marketplace() && !c.identity.trim().is_empty())
        .find(|c| domain.is_none_or(|d| c.domain.trim().eq_ignore_ascii_case(d)))
        .map_or(BuyerChoice::Missing, |credential| BuyerChoice::Found {
            credential,
            by_domain: domain.is_some(),
        })
}

/// A ship-to or bill-to address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoAddress {
    /// The buyer's id for the address.
    pub address_id: Option<String>,
    /// The addressee (a company or site name).
    pub name: String,
    /// Who receives it.
    pub deliver_to: Vec<String>,
    /// Street lines.
    pub street: Vec<String>,
    /// City.
    pub city: String,
    /// State or province.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO 3166 alpha-2.
    pub country_code: String,
    /// Email.
    pub email: Option<String>,
}

/// A person the PO names (`OrderRequestHeader/Contact`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoContact {
    /// Their role (`endUser`, `purchasingAgent`, `buyer`...), as sent.
    pub role: Option<String>,
    /// Their name.
    pub name: String,
    /// Their email, when sent.
    pub email: Option<String>,
}

/// One line of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoLine {
    /// The buyer's line number (the position from 1 when absent).
    pub line_number: u32,
    /// The supplier part id: our SKU.
    pub sku: String,
    /// The supplier's auxiliary part id, when sent.
    pub aux_id: Option<String>,
    /// How many.
    pub quantity: u32,
    /// The agreed unit price, in the order's currency.
    pub unit_price: Amount,
    /// The item's description.
    pub description: Option<String>,
    /// The unit of measure (`EA`...).
    pub unit_of_measure: Option<String>,
}

/// A checked cXML purchase order.
#[derive(Debug, Clone)]
pub struct PurchaseOrder {
    /// The document's `payloadID`: unique per document, echoed in the answer.
    pub payload_id: String,
    /// The document's `timestamp`.
    pub timestamp: Option<String>,
    /// `production` or `test`.
    pub deployment_mode: String,
    /// The buying organization's identities (`From`).
    pub from: Vec<Credential>,
    /// The supplier's identities as the buyer names them (`To`).
    pub to: Vec<Credential>,
    /// The sender's identities (`Sender`; the network or the buyer itself).
    pub sender: Vec<Credential>,
    sender_secret: Option<SecretString>,
    /// The buyer's PO number (`orderID`).
    pub order_id: String,
    /// The PO's date, as sent.
    pub order_date: Option<String>,
    /// `new`, `update` or `delete`.
    pub order_type: String,
    /// ISO 4217 currency of the order.
    pub currency: String,
    /// The PO's total, as sent (see [`PurchaseOrder::total_check`]).
    pub total: Amount,
    /// Shipping.
    pub shipping: Amount,
    /// Tax.
    pub tax: Amount,
    /// Where to ship.
    pub ship_to: Option<PoAddress>,
    /// Who is billed.
    pub bill_to: Option<PoAddress>,
    /// The lines.
    pub lines: Vec<PoLine>,
    /// The buyer's comments on the order, when sent.
    pub comments: Option<String>,
    /// The people the PO names (`Contact`), in order.
    pub contacts: Vec<PoContact>,
}

impl PurchaseOrder {
    /// Reads and checks an `OrderRequest` document.
    pub fn from_xml(xml: &[u8]) -> Result<PurchaseOrder, CxmlError> {
        let doc: Envelope = crate::guard::decode(xml)?;
        checked(doc)
    }

    /// Whether the sender's `SharedSecret` is `expected`, compared in constant time (no
    /// secret sent: false).
    pub fn sender_secret_matches(&self, expected: &SecretString) -> bool {
        secret_matches(self.sender_secret.as_ref(), expected)
    }

    /// What the order comes to: its lines plus shipping plus tax (checked not to overflow when
    /// read).
    pub fn order_total(&self) -> Amount {
        self.lines_total()
            .and_then(|l| l.checked_add(self.shipping))
            .and_then(|l| l.checked_add(self.tax))
            .unwrap_or(self.total)
    }

    /// What the `Total` includes: the lines, tax and shipping; the lines alone; or neither.
    pub fn total_check(&self) -> TotalCheck {
        let full = self.order_total();
        let lines = self.lines_total().unwrap_or(full);
        if self.total == full {
            TotalCheck::LinesTaxShipping
        } else if self.total == lines {
            TotalCheck::LinesOnly
        } else {
            TotalCheck::Neither { lines, full }
        }
    }

    /// The emails of the people the PO is for, in the order they are asked for as the buyer
    /// placing it: each `Contact role="endUser"`'s, then the `ShipTo` address's (each once,
    /// ignoring ASCII case; empty ones left out).
    pub fn named_buyers(&self) -> Vec<String> {
        let end_users = self
            .contacts
            .iter()
            .filter(|c| {
                c.role
                    .as_deref()
                    .is_some_and(|r| r.trim().eq_ignore_ascii_case("endUser"))
            })
            .filter_map(|c| c.email.as_deref());
        let ship_to = self.ship_to.as_ref().and_then(|a| a.email.as_deref());
        let mut named: Vec<String> = Vec::new();
        for email in end_users.chain(ship_to).map(str::trim) {
            if !email.is_empty() && !named.iter().any(|n| n.eq_ignore_ascii_case(email)) {
                named.push(email.to_owned());
            }
        }
        named
    }

    /// The PO's lines total: each quantity times its unit price.
    pub fn lines_total(&self) -> Option<Amount> {
        self.lines.iter().try_fold(Amount::ZERO, |sum, l| {
            let line = l
                .unit_price
                .ten_thousandths()
                .checked_mul(i64::from(l.quantity))?;
            sum.checked_add(Amount::from_ten_thousandths(line))
        })
    }
}

/// What a PO's `OrderRequestHeader/Total` is, against its lines: real POs send the lines alone
/// or the lines, tax and shipping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalCheck {
    /// The lines plus tax plus shipping.
    LinesTaxShipping,
    /// The lines alone (tax and shipping left out; they are still ordered).
    LinesOnly,
    /// Neither.
    Neither {
        /// The lines' sum.
        lines: Amount,
        /// The lines plus tax plus shipping: what the order is taken at.
        full: Amount,
    },
}

/// Whether `sent` is `expected`, compared in constant time (nothing sent: false).
pub(crate) fn secret_matches(sent: Option<&SecretString>, expected: &SecretString) -> bool {
    let Some(sent) = sent else {
        return false;
    };
    let (a, b) = (
        sent.expose_secret().as_bytes(),
        expected.expose_secret().as_bytes(),
    );
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The `Sender`'s shared secret, if it sent one.
pub(crate) fn sender_secret(header: &Header) -> Option<SecretString> {
    header
        .sender
        .credentials
        .iter()
        .find_map(|c| c.shared_secret.clone())
        .map(SecretString::from)
}

pub(crate) fn credentials(party: &Party) -> Vec<Credential> {
    party
        .credentials
        .iter()
        .map(|c| Credential {
            domain: c.domain.trim().to_owned(),
            identity: c.identity.trim().to_owned(),
            kind: c
                .kind
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned),
        })
        .collect()
}

pub(crate) fn money(field: &str, m: &Money) -> Result<(String, Amount), CxmlError> {
    let currency = m.currency.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(CxmlError::invalid(
            format!("{field}/Money@currency"),
            format!("`{}` is not an ISO 4217 currency", m.currency),
        ));
    }
    let value = Amount::parse(m.value.trim())
        .map_err(|e| CxmlError::invalid(format!("{field}/Money"), e.to_string()))?;
    Ok((currency, value))
}

fn contact(c: &RawContact) -> PoContact {
    PoContact {
        role: c.role.as_deref().map(str::trim).map(str::to_owned),
        name: c.name.text.trim().to_owned(),
        email: c
            .email
            .as_ref()
            .map(|e| e.text.trim().to_owned())
            .filter(|e| !e.is_empty()),
    }
}

fn address(a: &AddressHolder) -> PoAddress {
    let a = &a.address;
    let postal = a.postal.as_ref();
    PoAddress {
        address_id: a.address_id.clone(),
        name: a.name.text.trim().to_owned(),
        deliver_to: postal.map(|p| p.deliver_to.clone()).unwrap_or_default(),
        street: postal.map(|p| p.street.clone()).unwrap_or_default(),
        city: postal.map(|p| p.city.trim().to_owned()).unwrap_or_default(),
        state: postal.and_then(|p| p.state.clone()),
        postal_code: postal.and_then(|p| p.postal_code.clone()),
        country_code: postal
            .and_then(|p| p.country.as_ref())
            .map(|c| c.iso.trim().to_ascii_uppercase())
            .unwrap_or_default(),
        email: a.email.as_ref().map(|e| e.text.trim().to_owned()),
    }
}

/// A line's `quantity` as a whole number above 0, or why it is not one. cXML's quantity is a
/// decimal number and real systems write whole ones with decimals (`4.000`): those are taken;
/// a fractional one is not (this supplier sells whole units).
fn whole_quantity(sent: &str) -> Result<u32, &'static str> {
    let sent = sent.trim();
    let (whole, fraction) = sent.split_once('.').unwrap_or((sent, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return Err("is not a whole number above 0");
    }
    if fraction.bytes().any(|b| b != b'0') {
        return Err("is a fractional quantity: this supplier sells whole units; order a whole number of them");
    }
    match whole.parse::<u32>() {
        Ok(q) if q > 0 => Ok(q),
        _ if whole.trim_start_matches('0').is_empty() => Err("is not a whole number above 0"),
        _ => Err("is more than this supplier takes on one line"),
    }
}

/// The lines of a PO, or one refusal naming every line that cannot be taken (the only one's
/// own when one line is wrong).
fn lines(items: &[ItemOut], currency: &str) -> Result<Vec<PoLine>, CxmlError> {
    let (mut taken, mut problems) = (Vec::new(), Vec::new());
    for (i, item) in items.iter().enumerate() {
        match line(i, item, currency) {
            Ok(l) => taken.push(l),
            Err(e) => problems.push(e),
        }
    }
    match problems.len() {
        0 => Ok(taken),
        1 => Err(problems.remove(0)),
        _ => Err(CxmlError::invalid(
            "ItemOut",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}

fn line(i: usize, item: &ItemOut, currency: &str) -> Result<PoLine, CxmlError> {
    let at = |f: &str| format!("ItemOut[{}]{f}", i + 1);
    let quantity = whole_quantity(&item.quantity).map_err(|reason| {
        CxmlError::invalid(at("@quantity"), format!("`{}` {reason}", item.quantity))
    })?;
    let sku = item
        .item_id
        .as_ref()
        .map(|id| id.supplier_part_id.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CxmlError::invalid(at("/ItemID/SupplierPartID"), "is required"))?;
    let detail = item.detail.as_ref();
    let price = detail
        .and_then(|d| d.unit_price.as_ref())
        .ok_or_else(|| CxmlError::invalid(at("/ItemDetail/UnitPrice"), "is required"))?;
    let (line_currency, unit_price) = money(&at("/ItemDetail/UnitPrice"), &price.money)?;
    if line_currency != currency {
        return Err(CxmlError::invalid(
            at("/ItemDetail/UnitPrice/Money@currency"),
            format!("`{line_currency}` differs from the order's `{currency}`"),
        ));
    }
    Ok(PoLine {
        line_number: item
            .line_number
            .as_deref()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(i as u32 + 1),
        sku,
        aux_id: item.item_id.as_ref().and_then(|id| id.aux_id.clone()),
        quantity,
        unit_price,
        description: detail
            .and_then(|d| d.description.as_ref())
            .map(|t| t.text.trim().to_owned()),
        unit_of_measure: detail.and_then(|d| d.unit_of_measure.clone()),
    })
}

fn checked(doc: Envelope) -> Result<PurchaseOrder, CxmlError> {
    if doc.payload_id.trim().is_empty() {
        return Err(CxmlError::invalid("cXML@payloadID", "is required"));
    }
    let header = doc
        .header
        .ok_or_else(|| CxmlError::invalid("Header", "is required"))?;
    let request = doc
        .request
        .ok_or_else(|| CxmlError::invalid("Request", "is required"))?;
    let order = request.order_request.ok_or_else(|| {
        CxmlError::invalid(
            "Request/OrderRequest",
            "this endpoint takes purchase orders (OrderRequest)",
        )
    })?;
    let h = &order.header;
    if h.order_id.trim().is_empty() {
        return Err(CxmlError::invalid(
            "OrderRequestHeader@orderID",
            "is required",
        ));
    }
    let total = h
        .total
        .as_ref()
        .ok_or_else(|| CxmlError::invalid("OrderRequestHeader/Total", "is required"))?;
    let (currency, total) = money("OrderRequestHeader/Total", &total.money)?;
    let extra = |m: &Option<MoneyHolder>, f: &str| -> Result<Amount, CxmlError> {
        match m {
            Some(m) => money(f, &m.money).map(|(_, v)| v),
            None => Ok(Amount::ZERO),
        }
    };
    let shipping = extra(&h.shipping, "OrderRequestHeader/Shipping")?;
    let tax = extra(&h.tax, "OrderRequestHeader/Tax")?;
    if order.items.is_empty() {
        return Err(CxmlError::invalid(
            "ItemOut",
            "a purchase order needs at least one line",
        ));
    }
    let lines = lines(&order.items, &currency)?;
    let po = PurchaseOrder {
        payload_id: doc.payload_id.trim().to_owned(),
        timestamp: doc.timestamp,
        deployment_mode: request
            .deployment_mode
            .unwrap_or_else(|| "production".into()),
        from: credentials(&header.from),
        to: credentials(&header.to),
        sender: credentials(&header.sender),
        sender_secret: sender_secret(&header),
        order_id: h.order_id.trim().to_owned(),
        order_date: h.order_date.clone(),
        order_type: h.kind.clone().unwrap_or_else(|| "new".into()),
        currency,
        total,
        shipping,
        tax,
        ship_to: h.ship_to.as_ref().map(address),
        bill_to: h.bill_to.as_ref().map(address),
        lines,
        comments: h
            .comments
            .as_ref()
            .map(|c| c.text.trim().to_owned())
            .filter(|c| !c.is_empty()),
        contacts: h.contacts.iter().map(contact).collect(),
    };
    check_total(&po)?;
    Ok(po)
}

/// The lines plus shipping and tax must not overflow.
fn check_total(po: &PurchaseOrder) -> Result<(), CxmlError> {
    po.lines_total()
        .and_then(|l| l.checked_add(po.shipping))
        .and_then(|l| l.checked_add(po.tax))
        .map(|_| ())
        .ok_or_else(|| CxmlError::invalid("ItemOut", "the lines' amounts overflow"))
}
