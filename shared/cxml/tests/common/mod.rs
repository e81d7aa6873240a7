//! The parties of the sample exchange (Acme Supply sells to Northwind, PO-2026-0042), shared
//! by the tests of the documents sent back.
#![allow(dead_code)]

use b2b_cxml::{Credential, OrderReference, Parties};
use secrecy::SecretString;

/// A credential.
pub fn cred(domain: &str, identity: &str) -> Credential {
    Credential::new(domain, identity)
}

/// Calls `f` with the sample's parties (the supplier's outbound secret `supplier-s3cret`) and
/// its purchase order's reference.
pub fn with_parties<T>(f: impl FnOnce(&Parties<'_>, &OrderReference<'_>) -> T) -> T {
    let secret = SecretString::from("supplier-s3cret");
    let (from, to) = (
        [cred("NetworkID", "ACME-SUPPLY")],
        [cred("NetworkID", "NORTHWIND-AN01")],
    );
    let sender = cred("NetworkID", "ACME-SUPPLY");
    let parties = Parties {
        from: &from,
        to: &to,
        sender: &sender,
        shared_secret: &secret,
        user_agent: "b2b-edition-toolkit",
    };
    let order = OrderReference {
        order_id: "PO-2026-0042",
        order_date: Some("2026-12-03T10:14:00-05:00"),
        payload_id: "1796300000.4711@procure.northwind.example",
    };
    f(&parties, &order)
}
