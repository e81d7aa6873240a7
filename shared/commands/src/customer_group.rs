//! `customergroup.upsert`: a v2 customer group with its category access and discount rules,
//! found by the command's `external_id` (then by name), created or brought to what the ERP says.
//!
//! The schema checks shapes; [`CustomerGroupData::problems`] checks what a schema cannot, each
//! problem naming its field.

use bigcommerce_b2b::money::Amount;
use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `customergroup.upsert`: a customer group created or updated (found by `external_id`, then by
/// name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upsert {
    /// The group.
    pub customer_group: CustomerGroupData,
}

impl CommandSpec for Upsert {
    fn problems(&self) -> Vec<String> {
        self.customer_group.problems()
    }
}

/// A customer group as the ERP keeps it. Fields left out are left as the store has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerGroupData {
    /// The group's name (unique in the store).
    pub name: String,
    /// New customers join this group by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    /// The categories the group's customers may see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_access: Option<CategoryAccess>,
    /// The group's discount rules, as a whole: the store's rules are replaced by these (`[]`
    /// removes them all), as the API's `PUT` does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_rules: Option<Vec<DiscountRule>>,
}

/// Which categories a customer group sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryAccess {
    /// `all`, `specific` (the `categories`) or `none`.
    #[serde(rename = "type")]
    pub kind: CategoryAccessKind,
    /// The category ids, for `specific`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<i64>,
}

/// The kinds of category access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryAccessKind {
    /// Every category.
    All,
    /// The listed categories.
    Specific,
    /// No category.
    None,
}

/// One discount rule of a customer group (v2 `discount_rules` item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountRule {
    /// `all` (storewide), `category`, `product` or `price_list`.
    #[serde(rename = "type")]
    pub kind: DiscountRuleKind,
    /// `percent`, `fixed` or `price` (not for `price_list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<DiscountMethod>,
    /// The percentage, amount off or price (not for `price_list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// The category, for a `category` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<i64>,
    /// The product, for a `product` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    /// The price list, for a `price_list` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_list_id: Option<i64>,
}

/// What a discount rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountRuleKind {
    /// Every product (at most one such rule).
    All,
    /// The products of a category.
    Category,
    /// One product.
    Product,
    /// A price list (the only rule when present).
    PriceList,
}

impl DiscountRuleKind {
    /// The API's `type`.
    pub fn api_name(self) -> &'static str {
        match self {
            DiscountRuleKind::All => "all",
            DiscountRuleKind::Category => "category",
            DiscountRuleKind::Product => "product",
            DiscountRuleKind::PriceList => "price_list",
        }
    }
}

/// How a discount rule changes the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountMethod {
    /// A percentage off.
    Percent,
    /// An amount off.
    Fixed,
    /// A set price.
    Price,
}

impl CustomerGroupData {
    /// What the schema cannot check, each naming its field: a `price_list` rule beside other
    /// rules, two `all` rules, a rule without the id or the method and amount its type needs,
    /// categories given for access that is not `specific`.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(access) = &self.category_access {
            if access.kind != CategoryAccessKind::Specific && !access.categories.is_empty() {
                out.push(
                    "`customer_group.category_access.categories` is only for type `specific`"
                        .to_owned(),
                );
            }
        }
        let rules = self.discount_rules.as_deref().unwrap_or_default();
        let count = |k| rules.iter().filter(|r| r.kind == k).count();
        if count(DiscountRuleKind::PriceList) > 0 && rules.len() > 1 {
            out.push(
                "`customer_group.discount_rules`: a `price_list` rule must be the only rule"
                    .to_owned(),
            );
        }
        if count(DiscountRuleKind::All) > 1 {
            out.push("`customer_group.discount_rules`: at most one `all` rule".to_owned());
        }
        for (i, r) in rules.iter().enumerate() {
            out.extend(rule_problems(i, r));
        }
        out
    }
}

/// The problems of rule `i`.
fn rule_problems(i: usize, r: &DiscountRule) -> Vec<String> {
    let field = |f: &str| format!("`customer_group.discount_rules[{i}].{f}`");
    let mut out = Vec::new();
    let (needs, id) = match r.kind {
        DiscountRuleKind::Category => (Some("category_id"), r.category_id),
        DiscountRuleKind::Product => (Some("product_id"), r.product_id),
        DiscountRuleKind::PriceList => (Some("price_list_id"), r.price_list_id),
        DiscountRuleKind::All => (None, None),
    };
    if let (Some(f), None) = (needs, id) {
        out.push(format!(
            "{} is required for a `{}` rule",
            field(f),
            r.kind.api_name()
        ));
    }
    if r.kind == DiscountRuleKind::PriceList {
        if r.method.is_some() || r.amount.is_some() {
            out.push(format!(
                "{}: a `price_list` rule has no method or amount",
                field("type")
            ));
        }
    } else if r.method.is_none() || r.amount.is_none() {
        out.push(format!(
            "{} and {} are required for a `{}` rule",
            field("method"),
            field("amount"),
            r.kind.api_name()
        ));
    }
    out
}
