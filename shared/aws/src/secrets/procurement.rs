//! The store secret's `procurement` section: how a store trades over cXML with procurement
//! platforms (Coupa, SAP Ariba, Jaggaer, Oracle). Which identities the store answers to as a
//! supplier, and its trading partners: each with the `Sender` credential it authenticates
//! with and its shared secret (never in `Debug`).

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use secrecy::SecretString;
use serde::Deserialize;

/// A party's identity: a cXML credential's domain and identity (both compared ignoring ASCII
/// case, as cXML compares them).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyIdentity {
    /// `NetworkID`, `DUNS`, a buyer-specific domain...
    pub domain: String,
    /// The identity within the domain.
    pub identity: String,
}

impl PartyIdentity {
    /// Whether `domain`/`identity` name this party.
    pub fn is(&self, domain: &str, identity: &str) -> bool {
        self.domain.trim().eq_ignore_ascii_case(domain.trim())
            && self.identity.trim().eq_ignore_ascii_case(identity.trim())
    }
}

/// Which cXML `deploymentMode` a partner's documents must be in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentMode {
    /// Real orders (the default).
    #[default]
    Production,
    /// The partner's test system: orders are still created (in a test store).
    Test,
}

impl DeploymentMode {
    /// The cXML attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentMode::Production => "production",
            DeploymentMode::Test => "test",
        }
    }
}

/// What a purchase order whose `Total` matches neither its lines nor its lines, tax and
/// shipping gets (a `Total` of either is always taken).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TotalCheckMode {
    /// Taken at its lines, and the difference flagged (staff notes, log, metric, the
    /// confirmation's comments): the PO is the buyer's legal document (the default).
    #[default]
    Flag,
    /// Refused (cXML 400).
    Strict,
}

/// A procurement system allowed to send this store cXML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradingPartner {
    /// A name for logs and for the orders' `procurement.partner` (unique in the store).
    pub name: String,
    /// The `Sender` credential its documents carry.
    pub sender: PartyIdentity,
    /// The `Sender` `SharedSecret` it authenticates with.
    pub shared_secret: SecretString,
    /// The `From` credential domain that names the buyer's company (its identity is looked up
    /// in the company extra field `PROCUREMENT_IDENTITY_FIELD`); default: the first `From`
    /// credential without `type="marketplace"` (a marketplace's credential never names the
    /// buyer).
    #[serde(default)]
    pub buyer_domain: Option<String>,
    /// What a PO whose `Total` is neither its lines nor its lines, tax and shipping gets:
    /// taken at its lines and flagged (default), or refused.
    #[serde(default)]
    pub total_check: TotalCheckMode,
    /// The `deploymentMode` its documents must be in (default `production`).
    #[serde(default)]
    pub deployment_mode: DeploymentMode,
    /// Where confirmations and ship notices are POSTed (the partner's cXML endpoint, HTTPS;
    /// plain HTTP only to a loopback address, for tests). Absent: none are sent.
    #[serde(default)]
    pub document_url: Option<String>,
    /// The `SharedSecret` the documents sent to the partner carry (default: `shared_secret`).
    #[serde(default)]
    pub outbound_shared_secret: Option<SecretString>,
    /// Units of measure other than each (`EA`) the partner's POs may order a SKU in, as how
    /// many each one is: `{"SKU-1": {"CS": 12}}` takes 2 `CS` of `SKU-1` as 24 each at a
    /// twelfth of the unit price. A line in a unit neither each nor listed for its SKU is
    /// refused.
    #[serde(default)]
    pub units: BTreeMap<String, BTreeMap<String, NonZeroU32>>,
}

impl TradingPartner {
    /// How many each one `unit` of `sku` is (the unit compared ignoring ASCII case), when
    /// `units` says.
    pub fn each_per(&self, sku: &str, unit: &str) -> Option<u32> {
        self.units.get(sku)?.iter().find_map(|(u, n)| {
            u.trim()
                .eq_ignore_ascii_case(unit.trim())
                .then_some(n.get())
        })
    }

    /// The shared secret of the documents sent to this partner.
    pub fn outbound_secret(&self) -> &SecretString {
        self.outbound_shared_secret
            .as_ref()
            .unwrap_or(&self.shared_secret)
    }
}

/// Whether `url` may receive documents or shoppers: HTTPS, or HTTP to a loopback host (local runs).
pub fn acceptable_destination(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// Punch-out: where buyers from a procurement system shop (the storefront they are signed in
/// to by the Customer Login API) and for how long a session lasts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PunchOutConfig {
    /// The storefront's address, like `https://store.example.com` (https, or http to this
    /// machine in local runs).
    pub storefront_url: String,
    /// The storefront's channel (BigCommerce's default: 1).
    #[serde(default)]
    pub channel_id: Option<i64>,
    /// The page a buyer lands on after the sign-in (a path, default `/`).
    #[serde(default = "default_landing_path")]
    pub landing_path: String,
    /// How long a session may take from setup to the cart's return, in minutes (5 to 1440,
    /// default 120).
    #[serde(default = "default_session_minutes")]
    pub session_minutes: u32,
    /// The currency of the total of an empty cart sent back (a buyer who cancels; default
    /// `USD`): a cart's own currency is used otherwise.
    #[serde(default = "default_currency")]
    pub currency: String,
}

fn default_currency() -> String {
    "USD".to_owned()
}

fn default_landing_path() -> String {
    "/".to_owned()
}

fn default_session_minutes() -> u32 {
    120
}

impl PunchOutConfig {
    /// What is wrong with the section, naming the field, never a value.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !acceptable_destination(&self.storefront_url) {
            problems.push("`procurement.punchout.storefront_url` must be an https:// URL".into());
        }
        if !self.landing_path.starts_with('/') || self.landing_path.starts_with("//") {
            problems.push(
                "`procurement.punchout.landing_path` must be a path starting with one `/`".into(),
            );
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            problems
                .push("`procurement.punchout.currency` must be an ISO 4217 code like USD".into());
        }
        if !(5..=1440).contains(&self.session_minutes) {
            problems.push("`procurement.punchout.session_minutes` must be 5 to 1440".into());
        }
        problems
    }
}

/// How a store trades over cXML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcurementConfig {
    /// The identities this store is known by as a supplier: a document's `To` must name one
    /// (a purchase order for another supplier is refused).
    pub supplier: Vec<PartyIdentity>,
    /// The partners allowed to send.
    pub partners: Vec<TradingPartner>,
    /// Punch-out, when offered (`PunchOutSetupRequest` is answered 450 without it).
    #[serde(default)]
    pub punchout: Option<PunchOutConfig>,
}

impl ProcurementConfig {
    /// The partner whose `Sender` credential is one of `sender` (`(domain, identity)` pairs).
    pub fn partner<'a>(
        &self,
        sender: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Option<&TradingPartner> {
        let sender: Vec<(&str, &str)> = sender.into_iter().collect();
        self.partners
            .iter()
            .find(|p| sender.iter().any(|(d, i)| p.sender.is(d, i)))
    }

    /// Whether one of `to` (`(domain, identity)` pairs) names this store.
    pub fn is_supplier<'a>(&self, to: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
        to.into_iter()
            .any(|(d, i)| self.supplier.iter().any(|s| s.is(d, i)))
    }

    /// What is wrong with the section: no supplier identity, no partner, a name used twice.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.supplier.is_empty() {
            problems.push("`procurement.supplier` names no identity".to_owned());
        }
        for (i, p) in self.partners.iter().enumerate() {
            if self.partners[..i].iter().any(|q| q.name == p.name) {
                problems.push(format!(
                    "`procurement.partners`: `{}` is named twice",
                    p.name
                ));
            }
            if p.document_url
                .as_deref()
                .is_some_and(|u| !acceptable_destination(u))
            {
                problems.push(format!(
                    "`procurement.partners[{i}].document_url` must be an https:// URL"
                ));
            }
        }
        if let Some(p) = &self.punchout {
            problems.extend(p.problems());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn config() -> ProcurementConfig {
        serde_json::from_str(
            r#"{"supplier": [{"domain": "NetworkID", "identity": "AN02000000002"}],
                "partners": [{"name": "acme-coupa", "sender": {"domain": "NetworkID", "identity": "AN01"},
                              "shared_secret": "s3cr3t-VALUE", "buyer_domain": "DUNS"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn partners_and_the_supplier_are_found_ignoring_case() {
        let c = config();
        let p = c.partner([("networkid", "an01")]).unwrap();
        assert_eq!(p.name, "acme-coupa");
        assert_eq!(p.shared_secret.expose_secret(), "s3cr3t-VALUE");
        assert_eq!(p.deployment_mode, DeploymentMode::Production);
        assert_eq!(p.total_check, TotalCheckMode::Flag);
        assert!(c.partner([("DUNS", "AN01")]).is_none());
        assert!(c.is_supplier([("DUNS", "1"), ("NetworkId", "AN02000000002")]));
        assert!(!c.is_supplier([("NetworkID", "AN03")]));
        assert!(c.problems().is_empty());
        assert!(!format!("{c:?}").contains("VALUE"));
        assert_eq!(p.outbound_secret().expose_secret(), "s3cr3t-VALUE");
        for (url, ok) in [
            ("https://buyer.example/cxml", true),
            ("http://127.0.0.1:8080/cxml", true),
            ("http://localhost/cxml", true),
            ("http://buyer.example/cxml", false),
            ("http://127.0.0.1.evil.example/cxml", false),
            ("ftp://buyer.example", false),
        ] {
            assert_eq!(acceptable_destination(url), ok, "{url}");
        }
    }

    #[test]
    fn a_partner_may_ask_for_strict_totals_and_nothing_else() {
        let partner = |check: &str| {
            serde_json::from_str::<TradingPartner>(&format!(
                r#"{{"name": "a", "sender": {{"domain": "D", "identity": "I"}},
                    "shared_secret": "x", "total_check": "{check}"}}"#
            ))
        };
        assert_eq!(
            partner("strict").unwrap().total_check,
            TotalCheckMode::Strict
        );
        assert_eq!(partner("flag").unwrap().total_check, TotalCheckMode::Flag);
        assert!(partner("lenient").is_err());
    }

    #[test]
    fn a_partners_units_are_per_sku_and_never_zero() {
        let partner = |units: &str| {
            serde_json::from_str::<TradingPartner>(&format!(
                r#"{{"name": "a", "sender": {{"domain": "D", "identity": "I"}},
                    "shared_secret": "x", "units": {units}}}"#
            ))
        };
        let p = partner(r#"{"SKU-1": {"CS": 12}}"#).unwrap();
        assert_eq!(p.each_per("SKU-1", "cs"), Some(12));
        assert_eq!(p.each_per("SKU-1", "BX"), None);
        assert_eq!(p.each_per("SKU-2", "CS"), None);
        assert!(partner(r#"{"SKU-1": {"CS": 0}}"#).is_err());
        assert!(partner(r#"{"SKU-1": {"CS": 1.5}}"#).is_err());
    }

    #[test]
    fn a_punchout_section_is_checked_field_by_field() {
        let with = |punchout: &str| -> ProcurementConfig {
            serde_json::from_str(&format!(
                r#"{{"supplier": [{{"domain": "DUNS", "identity": "1"}}], "partners": [],
                    "punchout": {punchout}}}"#
            ))
            .unwrap()
        };
        let ok = with(r#"{"storefront_url": "https://shop.example"}"#);
        let p = ok.punchout.as_ref().unwrap();
        assert_eq!(
            (p.landing_path.as_str(), p.session_minutes, p.channel_id),
            ("/", 120, None)
        );
        assert!(ok.problems().is_empty());
        let bad = with(
            r#"{"storefront_url": "http://shop.example", "landing_path": "//evil", "session_minutes": 2}"#,
        );
        let problems = bad.problems().join("; ");
        for field in ["storefront_url", "landing_path", "session_minutes"] {
            assert!(problems.contains(field), "{problems}");
        }
    }
}
