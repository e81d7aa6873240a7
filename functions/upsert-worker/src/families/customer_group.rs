//! `customergroup.upsert`, and the customer group a `company.upsert` names by external id.
//!
//! A group is found by the id map, then by its exact name (unique in a store): a create whose
//! answer was lost is found by name on the next delivery, not repeated. Only what differs is
//! sent; discount rules go as a whole (the API's `PUT` replaces them all), compared as a set
//! with amounts as exact decimals (`"5.0000"` is `5`).

use std::collections::BTreeSet;

use b2b_commands::{
    CategoryAccess, CategoryAccessKind, CustomerGroupData, DiscountMethod, DiscountRule,
    DiscountRuleKind,
};
use bigcommerce_b2b::core::CustomerGroup;
use bigcommerce_b2b::money::Amount;
use serde_json::{json, Map, Value};

use crate::engine::context::Context;
use crate::engine::family::{Apply, Family};
use crate::engine::ids::{id_key, Kind};
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use b2b_commands::{customer_group, Command};

/// A discount rule in a comparable form: type, method, amount, target id.
type RuleKey = (
    DiscountRuleKind,
    Option<DiscountMethod>,
    Option<Amount>,
    Option<i64>,
);

fn rule_key(r: &DiscountRule) -> RuleKey {
    (
        r.kind,
        r.method,
        r.amount,
        r.category_id.or(r.product_id).or(r.price_list_id),
    )
}

/// The store's rule in the same form (it has the command's shape); `None` when it cannot be
/// read (then the rules are rewritten).
fn stored_rule_key(v: &Value) -> Option<RuleKey> {
    serde_json::from_value::<DiscountRule>(v.clone())
        .ok()
        .map(|r| rule_key(&r))
}

fn access_json(a: &CategoryAccess) -> Value {
    if a.kind == CategoryAccessKind::Specific {
        json!({"type": a.kind, "categories": a.categories})
    } else {
        json!({ "type": a.kind })
    }
}

fn same_access(want: &CategoryAccess, have: Option<&Value>) -> bool {
    let wanted = access_json(want);
    let Some(have) = have else { return false };
    let ids = |v: &Value| -> BTreeSet<i64> {
        v.get("categories")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    };
    wanted["type"] == have["type"] && ids(&wanted) == ids(have)
}

/// The fields of `data` that differ from `existing` (all of them for a create), as the API
/// names them; empty when nothing differs.
fn group_changes(data: &CustomerGroupData, existing: Option<&CustomerGroup>) -> Map<String, Value> {
    let mut body = Map::new();
    let extra = existing.map(|g| &g.extra);
    if existing.and_then(|g| g.name.as_deref()) != Some(data.name.as_str()) {
        body.insert("name".into(), json!(data.name));
    }
    if let Some(d) = data.is_default {
        if extra
            .and_then(|e| e.get("is_default"))
            .and_then(Value::as_bool)
            != Some(d)
        {
            body.insert("is_default".into(), json!(d));
        }
    }
    if let Some(a) = &data.category_access {
        if !same_access(a, extra.and_then(|e| e.get("category_access"))) {
            body.insert("category_access".into(), access_json(a));
        }
    }
    if let Some(rules) = &data.discount_rules {
        let want: BTreeSet<RuleKey> = rules.iter().map(rule_key).collect();
        let have: Option<BTreeSet<RuleKey>> = match extra.and_then(|e| e.get("discount_rules")) {
            None | Some(Value::Null) => Some(BTreeSet::new()),
            Some(Value::Array(a)) => a.iter().map(stored_rule_key).collect(),
            Some(_) => None,
        };
        if existing.is_none() || have.as_ref() != Some(&want) {
            body.insert("discount_rules".into(), json!(rules));
        }
    }
    body
}

/// Applies a `customergroup.upsert`.
pub(crate) async fn customer_group_upsert(
    cx: &Context,
    store: &str,
    external_id: &str,
    data: &CustomerGroupData,
) -> Result<Outcome, ApplyError> {
    let key = id_key(store, Kind::CustomerGroup, external_id);
    let core = cx.client.core();
    let mapped = match cx.state.get_id(&key).await? {
        Some(id) => core.customer_group(id).await?,
        None => None,
    };
    let existing = match mapped {
        Some(g) => Some(g),
        None => core.customer_group_named(&data.name).await?,
    };
    let Some(existing) = existing else {
        let body = Value::Object(group_changes(data, None));
        let created = core.create_customer_group(&body).await?;
        cx.state.put_id(&key, created.id).await?;
        return Ok(Outcome::Created);
    };
    cx.state.put_id(&key, existing.id).await?;
    let changes = group_changes(data, Some(&existing));
    if changes.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    core.update_customer_group(existing.id, &Value::Object(changes))
        .await?;
    Ok(Outcome::Updated)
}

/// The customer-group family: `customergroup.upsert`.
#[derive(Debug, Default)]
pub struct CustomerGroups;

impl Family for CustomerGroups {}

impl Apply for customer_group::Upsert {
    type Family = CustomerGroups;
    const OTHERS_WAIT_FOR_IT: bool = true;

    async fn apply(&self, _: &CustomerGroups, cx: &Context, cmd: &Command) -> Applied {
        customer_group_upsert(cx, &cmd.store_hash, &cmd.external_id, &self.customer_group).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rules: Value) -> CustomerGroupData {
        serde_json::from_value(json!({"name": "Wholesale", "discount_rules": rules})).unwrap()
    }

    fn stored(rules: Value) -> CustomerGroup {
        serde_json::from_value(json!({"id": 7, "name": "Wholesale", "discount_rules": rules}))
            .unwrap()
    }

    #[test]
    fn rules_that_differ_only_in_order_and_amount_format_are_the_same() {
        let want = data(json!([
            {"type": "all", "method": "percent", "amount": "5"},
            {"type": "category", "method": "fixed", "amount": 2.5, "category_id": 18}
        ]));
        let have = stored(json!([
            {"type": "category", "method": "fixed", "amount": "2.5000", "category_id": 18},
            {"type": "all", "method": "percent", "amount": "5.0000"}
        ]));
        assert!(group_changes(&want, Some(&have)).is_empty());
    }

    #[test]
    fn a_changed_rule_sends_every_rule() {
        let want = data(json!([
            {"type": "all", "method": "percent", "amount": "6"},
            {"type": "product", "method": "price", "amount": "9.99", "product_id": 3}
        ]));
        let have = stored(json!([
            {"type": "all", "method": "percent", "amount": "5.0000"},
            {"type": "product", "method": "price", "amount": "9.9900", "product_id": 3}
        ]));
        let body = group_changes(&want, Some(&have));
        assert_eq!(body.keys().collect::<Vec<_>>(), ["discount_rules"]);
        assert_eq!(
            body["discount_rules"],
            json!([
                {"type": "all", "method": "percent", "amount": "6.0000"},
                {"type": "product", "method": "price", "amount": "9.9900", "product_id": 3}
            ])
        );
    }

    #[test]
    fn no_rules_wanted_clears_them_and_absent_rules_are_left_alone() {
        let have = stored(json!([{"type": "all", "method": "percent", "amount": "5.0000"}]));
        let clear = group_changes(&data(json!([])), Some(&have));
        assert_eq!(clear["discount_rules"], json!([]));
        let leave: CustomerGroupData =
            serde_json::from_value(json!({"name": "Wholesale"})).unwrap();
        assert!(group_changes(&leave, Some(&have)).is_empty());
    }

    #[test]
    fn category_access_compares_its_categories_as_a_set() {
        let want: CustomerGroupData = serde_json::from_value(json!({"name": "Wholesale",
            "category_access": {"type": "specific", "categories": [19, 18]}}))
        .unwrap();
        let have: CustomerGroup = serde_json::from_value(json!({"id": 7, "name": "Wholesale",
            "category_access": {"type": "specific", "categories": [18, 19]}}))
        .unwrap();
        assert!(group_changes(&want, Some(&have)).is_empty());
        let other: CustomerGroup = serde_json::from_value(json!({"id": 7, "name": "Wholesale",
            "category_access": {"type": "all"}}))
        .unwrap();
        assert_eq!(
            group_changes(&want, Some(&other))["category_access"],
            json!({"type": "specific", "categories": [19, 18]})
        );
    }
}
