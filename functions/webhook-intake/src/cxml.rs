//! What the two cXML route families, purchase orders ([`crate::procurement`]) and punch-out
//! ([`crate::punchout`]), share on `POST /procurement/cxml[/{store}]`: which document came (one
//! too large or too broken to read is answered here), the trading partner that sent it (its
//! `Sender` credential and shared secret, from the store secret's `procurement.partners`), and
//! whether it is addressed to this store in the partner's deployment mode.

use b2b_cxml::{BuyerChoice, PunchOutSetup, PurchaseOrder, Status};
use b2b_shared::secrets::{ProcurementConfig, StoreSecret, TradingPartner};
use lambda_http::{Body, Response};

use crate::http::{count_exchange, cxml_response, CxmlAnswer};
use crate::intake::MAX_BODY_BYTES;
use crate::verify::log_unusable;

/// The document of a `POST /procurement/cxml[/{store}]`.
#[derive(Debug)]
pub enum Document {
    /// A purchase order (`OrderRequest`).
    Order(Box<PurchaseOrder>),
    /// A punch-out setup (`PunchOutSetupRequest`).
    PunchOutSetup(PunchOutSetup),
    /// Neither: a body too large or unreadable, with the cXML answer refusing it.
    Refused(Response<Body>),
}

/// Reads the document of `body` (counted as `Unreadable` when it cannot be read; a body over
/// [`MAX_BODY_BYTES`] is refused unread).
pub fn read_document(body: &[u8], now: i64) -> Document {
    if body.len() > MAX_BODY_BYTES {
        let answer = CxmlAnswer::new(Status::NotAcceptable, "the document is larger than 256 KiB");
        return Document::Refused(cxml_response(&stand_in_payload_id(now), &answer, now));
    }
    let order_error = match PurchaseOrder::from_xml(body) {
        Ok(po) => return Document::Order(Box::new(po)),
        Err(e) => e,
    };
    let e = match PunchOutSetup::from_xml(body) {
        Ok(setup) => return Document::PunchOutSetup(setup),
        // A setup request is told what is wrong with it, not with an order.
        Err(setup_error) if contains(body, b"<PunchOutSetupRequest") => setup_error,
        Err(_) => order_error,
    };
    tracing::warn!(error = %e, outcome = "unreadable", "cXML refused");
    let answer = CxmlAnswer::new(e.status(), e.to_string());
    count_exchange("Unreadable", answer.status.code());
    Document::Refused(cxml_response(&stand_in_payload_id(now), &answer, now))
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A payloadID for the answer to a document too broken to have one of its own.
fn stand_in_payload_id(now: i64) -> String {
    format!("{now}.{:016x}@webhook-intake", fastrand::u64(..))
}

/// `(domain, identity)` pairs of credentials.
fn pairs(creds: &[b2b_cxml::Credential]) -> impl Iterator<Item = (&str, &str)> {
    creds
        .iter()
        .map(|c| (c.domain.as_str(), c.identity.as_str()))
}

/// The partner a document's `sender` credentials and shared secret (`secret_matches`)
/// authenticate as, or the 401 to answer (logged without the secret); the 500 "send it again
/// later" when the partner's configured shared secret in `secret` (whose `procurement` section
/// `config` is) may not be used: a placeholder, empty or short secret is never compared.
pub(crate) fn partner_of<'a>(
    secret: &StoreSecret,
    config: &'a ProcurementConfig,
    sender: &[b2b_cxml::Credential],
    secret_matches: impl Fn(&secrecy::SecretString) -> bool,
    payload_id: &str,
) -> Result<&'a TradingPartner, CxmlAnswer> {
    let Some(partner) = config.partner(pairs(sender)) else {
        tracing::warn!(
            payload_id,
            ?sender,
            outcome = "unknown_sender",
            "cXML refused: no trading partner has this Sender credential"
        );
        return Err(CxmlAnswer::new(
            Status::Unauthorized,
            "the Sender credential is not a trading partner of this supplier",
        ));
    };
    let expected = match secret.partner_secret(partner) {
        Ok(expected) => expected,
        Err(e) => {
            log_unusable("procurement", &e);
            return Err(CxmlAnswer::unavailable());
        }
    };
    if !secret_matches(expected) {
        tracing::warn!(payload_id, partner = %partner.name, outcome = "bad_secret", "cXML refused: the SharedSecret is wrong");
        return Err(CxmlAnswer::new(
            Status::Unauthorized,
            "the Sender's SharedSecret is not accepted",
        ));
    }
    Ok(partner)
}

/// Whether a document from `partner` is addressed to this store (`to`) in the partner's
/// deployment mode; the 400 to answer otherwise.
pub(crate) fn addressed_here(
    config: &ProcurementConfig,
    partner: &TradingPartner,
    to: &[b2b_cxml::Credential],
    deployment_mode: &str,
) -> Result<(), CxmlAnswer> {
    let refuse = |detail: String| Err(CxmlAnswer::new(Status::BadRequest, detail));
    if !config.is_supplier(pairs(to)) {
        let to: Vec<String> = pairs(to).map(|(d, i)| format!("{d}:{i}")).collect();
        return refuse(format!(
            "the document is addressed to {}, which is not this supplier",
            to.join(", ")
        ));
    }
    if !deployment_mode.eq_ignore_ascii_case(partner.deployment_mode.as_str()) {
        return refuse(format!(
            "deploymentMode `{deployment_mode}` is not taken from this partner, whose documents are `{}`",
            partner.deployment_mode.as_str()
        ));
    }
    Ok(())
}

/// The buying organization's identity among `from` ([`b2b_cxml::buyer_credential`]: of the
/// partner's `buyer_domain`, else the first credential without `type="marketplace"`), logged
/// with which credential it is and why; or the 400 to answer.
pub(crate) fn buyer_identity<'a>(
    partner: &TradingPartner,
    from: &'a [b2b_cxml::Credential],
) -> Result<&'a str, CxmlAnswer> {
    let domain = partner.buyer_domain.as_deref();
    let marketplaces: Vec<String> = from
        .iter()
        .filter(|c| c.is_marketplace())
        .map(|c| format!("{}:{}", c.domain, c.identity))
        .collect();
    match b2b_cxml::buyer_credential(from, domain) {
        BuyerChoice::Found {
            credential,
            by_domain,
        } => {
            let why = if by_domain {
                "the partner's buyer_domain"
            } else {
                "the first From credential without type=\"marketplace\""
            };
            tracing::info!(partner = %partner.name, buyer_domain = %credential.domain, buyer = %credential.identity, why, ?marketplaces, "cXML buyer identified");
            Ok(credential.identity.trim())
        }
        BuyerChoice::Missing => {
            let of_domain = domain
                .map(|d| format!(" of domain `{d}`"))
                .unwrap_or_default();
            let marketplace_note = if marketplaces.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} names a marketplace, not a buyer: the cXML DTD's type=\"marketplace\")",
                    marketplaces.join(", ")
                )
            };
            tracing::info!(partner = %partner.name, buyer_domain = domain.unwrap_or("(first)"), ?marketplaces, "cXML buyer not identified");
            Err(CxmlAnswer::new(
                Status::BadRequest,
                format!(
                    "no From credential{of_domain} names the buying organization{marketplace_note}"
                ),
            ))
        }
    }
}
