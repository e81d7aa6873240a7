//! The id map's keys and the small comparisons every family uses: an entity's id-map key
//! (`{store}#{kind}#{external id}`, written in one place), a digest of what a command asked (kept
//! beside an id to tell a changed command from a replay), and field-by-field diffs.

/// A 64-bit digest of `value`'s JSON (the first 8 bytes of its SHA-256), to keep in the id map
/// beside an entity's id and compare with what a later command asks.
pub fn digest_of<T: serde::Serialize + ?Sized>(value: &T) -> i64 {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(value).unwrap_or_default();
    let d = Sha256::digest(text.as_bytes());
    i64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// What `want` asks when it differs from `have` (nothing asked, or the same: `None`).
pub fn changed<T: PartialEq + Clone>(want: &Option<T>, have: &Option<T>) -> Option<T> {
    match want {
        Some(w) if Some(w) != have.as_ref() => Some(w.clone()),
        _ => None,
    }
}

/// `s` as an optional field's value.
pub fn some_text(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// The kinds of entity the id map holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A company, by its external id.
    Company,
    /// A buyer, by its command's external id.
    User,
    /// A company address, by its external id.
    Address,
    /// A quote.
    Quote,
    /// An order (`order.create`'s external id, or an ERP's reference).
    Order,
    /// A shipment.
    Shipment,
    /// An invoice.
    Invoice,
    /// A payment recorded for an `invoice.balance`.
    Payment,
    /// A customer group.
    CustomerGroup,
    /// A shopping list.
    ShoppingList,
    /// A buyer, by email (lower case).
    BuyerEmail,
}

/// The id-map key of the entity of `kind` that `external_id` names in `store`:
/// `{store}#{kind}#{external id}`, the one place this format is written.
pub fn id_key(store: &str, kind: Kind, external_id: &str) -> String {
    let kind = match kind {
        Kind::Company => "company",
        Kind::User => "user",
        Kind::Address => "address",
        Kind::Quote => "quote",
        Kind::Order => "order",
        Kind::Shipment => "shipment",
        Kind::Invoice => "invoice",
        Kind::Payment => "payment",
        Kind::CustomerGroup => "customer_group",
        Kind::ShoppingList => "shopping_list",
        Kind::BuyerEmail => "buyer_email",
    };
    format!("{store}#{kind}#{external_id}")
}
