//! The `Kind` dimension of the functions' metrics: every message kind maps into a fixed set
//! (the command types, `webhook:{family}`, `webhook:other`, `unknown`...), so no sender can
//! create metric series by naming new kinds.

use crate::COMMAND_TYPES;

/// The webhook scope families a metric names; any other scope counts as `webhook:other`.
const WEBHOOK_FAMILIES: &[&str] = &[
    "order",
    "company",
    "quote",
    "customer",
    "product",
    "priceList",
    "shipment",
    "cart",
    "sku",
    "category",
    "inventory",
    "subscriber",
    "channel",
    "app",
    "information",
];

/// A metric's `Kind` dimension for a message known (in logs) as `kind`, from a fixed set so
/// that no caller can create metric series: a command type, `webhook:{family}` of a known
/// family, `webhook:other`, or `unknown` (a body that named no known type).
pub fn metric_kind(kind: &str) -> &'static str {
    if let Some(known) = COMMAND_TYPES.iter().find(|k| **k == kind) {
        return known;
    }
    if let Some(scope) = kind.strip_prefix("webhook:") {
        let family = scope.split('/').nth(1).unwrap_or_default();
        return match WEBHOOK_FAMILIES.iter().position(|f| *f == family) {
            Some(i) => WEBHOOK_METRIC_KINDS[i],
            None => "webhook:other",
        };
    }
    match kind {
        "blocked" => "blocked",
        "mapped" => "mapped",
        _ => "unknown",
    }
}

/// `webhook:{family}` for each of [`WEBHOOK_FAMILIES`], in the same order.
const WEBHOOK_METRIC_KINDS: &[&str] = &[
    "webhook:order",
    "webhook:company",
    "webhook:quote",
    "webhook:customer",
    "webhook:product",
    "webhook:priceList",
    "webhook:shipment",
    "webhook:cart",
    "webhook:sku",
    "webhook:category",
    "webhook:inventory",
    "webhook:subscriber",
    "webhook:channel",
    "webhook:app",
    "webhook:information",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_kinds_come_from_a_fixed_set() {
        assert_eq!(WEBHOOK_FAMILIES.len(), WEBHOOK_METRIC_KINDS.len());
        for (family, kind) in WEBHOOK_FAMILIES.iter().zip(WEBHOOK_METRIC_KINDS) {
            assert_eq!(*kind, format!("webhook:{family}"));
        }
        for kind in COMMAND_TYPES.iter() {
            assert_eq!(metric_kind(kind), *kind);
        }
        assert_eq!(metric_kind("webhook:store/order/created"), "webhook:order");
        assert_eq!(
            metric_kind("webhook:store/company/user/created"),
            "webhook:company"
        );
        assert_eq!(metric_kind("webhook:store/x1234/anything"), "webhook:other");
        assert_eq!(metric_kind("webhook:"), "webhook:other");
        assert_eq!(metric_kind("company.upsert2"), "unknown");
        assert_eq!(metric_kind("any string a caller sends"), "unknown");
    }
}
