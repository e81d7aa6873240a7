//! Field mapping: turns a source system's own records into inbound commands, without code.
//!
//! A mapping file (YAML or JSON; bundled with the function and named by `FIELD_MAPPING_FILE`, or
//! an S3 object named by `FIELD_MAPPING_S3_URI`: [`crate::mapping_source`]) lists rules. A queue
//! message that is not already a command or webhook event is matched against the rules in
//! order; the first rule whose `match` fields all equal the message's builds the command:
//!
//! ```yaml
//! version: 1
//! rules:
//!   - match: { record_type: customer }
//!     command: company.upsert
//!     store_hash: { const: abc123 }
//!     external_id: entity_id                 # a field path in the source record
//!     fields:
//!       company.name: company_name
//!       company.status: { field: status, lookup: customer_status }
//!       company.price_lists[0].price_list_id: { field: price_tier, lookup: price_tiers }
//!       company.price_lists[0].channel_id: { const: 1 }
//!       company.country: { field: country, default: US }
//! lookups:
//!   customer_status: { ACTIVE: approved, HOLD: inactive }
//!   price_tiers: { T1: 3, T2: 4 }
//! ```
//!
//! A value is a field path (`a.b[0].c`), or `{field, lookup?, default?}`, or `{const}`, or
//! `{template: "ERP-{id}"}`, or `{each: lines, fields: {...}}` (an array, each element mapped
//! by its own fields: a ship notice's lines, a stock snapshot's items). The command built is
//! validated like any other.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

/// Where a target value comes from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Source {
    /// A field path in the source record.
    Field(String),
    /// A constant.
    Const {
        /// The value.
        #[serde(rename = "const")]
        value: Value,
    },
    /// A text with `{field.path}` placeholders.
    Template {
        /// The template.
        template: String,
    },
    /// Every element of an array field, each mapped by `fields` (paths in the element) into
    /// an object: `shipment.lines: {each: items, fields: {sku: item_code, quantity: qty}}`.
    Each {
        /// The array's field path in the record.
        each: String,
        /// Target path in each object → source in the element.
        fields: BTreeMap<String, Source>,
    },
    /// A field, optionally translated by a lookup table, with a default.
    Lookup {
        /// The field path.
        field: String,
        /// A lookup table name.
        #[serde(default)]
        lookup: Option<String>,
        /// The value when the field is missing (or not in the table).
        #[serde(default)]
        default: Option<Value>,
    },
}

/// One rule: which records it applies to and how to build their command.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Field path → value the record must have.
    #[serde(rename = "match", default)]
    pub matches: BTreeMap<String, Value>,
    /// The command type to build.
    pub command: String,
    /// The store hash.
    pub store_hash: Source,
    /// The external id.
    pub external_id: Source,
    /// Optional idempotency key.
    #[serde(default)]
    pub idempotency_key: Option<Source>,
    /// Target path in the command → source.
    #[serde(default)]
    pub fields: BTreeMap<String, Source>,
}

/// A whole mapping file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// File format version (1).
    pub version: u32,
    /// The rules, tried in order.
    pub rules: Vec<Rule>,
    /// Named tables: source code → target value.
    #[serde(default)]
    pub lookups: BTreeMap<String, BTreeMap<String, Value>>,
}

/// A record no rule could turn into a command (permanent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub String);

/// Reads a field path such as `a.b[0].c`.
pub fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(i) = index {
            cur = cur.get(i)?;
        }
    }
    (!cur.is_null()).then_some(cur)
}

/// Writes `value` at path `a.b[0].c`, creating objects and arrays on the way.
fn set_path(root: &mut Value, path: &str, value: Value) -> Result<(), MappingError> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut cur = root;
    for (i, part) in parts.iter().copied().enumerate() {
        let last = i == parts.len() - 1;
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => {
                let idx = rest
                    .trim_end_matches(']')
                    .parse::<usize>()
                    .map_err(|_| MappingError(format!("bad index in target path `{path}`")))?;
                (n, Some(idx))
            }
            None => (part, None),
        };
        let obj = cur
            .as_object_mut()
            .ok_or_else(|| MappingError(format!("target path `{path}` crosses a non-object")))?;
        match index {
            None if last => {
                obj.insert(name.to_owned(), value);
                return Ok(());
            }
            None => {
                cur = obj
                    .entry(name.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
            }
            Some(idx) => {
                let arr = obj
                    .entry(name.to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let arr = arr.as_array_mut().ok_or_else(|| {
                    MappingError(format!("target path `{path}` indexes a non-array"))
                })?;
                while arr.len() <= idx {
                    arr.push(if last {
                        Value::Null
                    } else {
                        Value::Object(Map::new())
                    });
                }
                if last {
                    arr[idx] = value;
                    return Ok(());
                }
                cur = &mut arr[idx];
            }
        }
    }
    Ok(())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Mapping {
    /// Reads a mapping file (`.yaml`/`.yml` or `.json`) and checks it ([`Mapping::from_text`]).
    pub fn load(path: &Path) -> Result<Self, MappingError> {
        let raw = std::fs::read_to_string(path)
            .map_err(|e| MappingError(format!("{}: {e}", path.display())))?;
        let is_json = path.extension().is_some_and(|e| e == "json");
        Self::from_text(&raw, is_json).map_err(|e| MappingError(format!("{}: {e}", path.display())))
    }

    /// Reads a mapping's text (JSON when `is_json`, else YAML) and checks it: its version, its
    /// command types, its lookup tables. Wherever the text comes from (a file, S3), this is
    /// the one check.
    pub fn from_text(raw: &str, is_json: bool) -> Result<Self, String> {
        let mapping: Mapping = if is_json {
            serde_json::from_str(raw).map_err(|e| e.to_string())?
        } else {
            serde_norway::from_str(raw).map_err(|e| e.to_string())?
        };
        mapping.check()?;
        Ok(mapping)
    }

    fn check(&self) -> Result<(), String> {
        if self.version != 1 {
            return Err(format!("version {} is not supported (1)", self.version));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if !b2b_commands::COMMAND_TYPES.contains(&rule.command.as_str()) {
                return Err(format!("rule {i}: unknown command `{}`", rule.command));
            }
            for source in rule
                .fields
                .values()
                .chain([&rule.store_hash, &rule.external_id])
            {
                self.check_lookups(source)
                    .map_err(|name| format!("rule {i}: lookup table `{name}` is not defined"))?;
            }
        }
        Ok(())
    }

    /// The name of a lookup table `source` (or a source inside it) uses that is not defined.
    fn check_lookups(&self, source: &Source) -> Result<(), String> {
        match source {
            Source::Lookup {
                lookup: Some(name), ..
            } if !self.lookups.contains_key(name) => Err(name.clone()),
            Source::Each { fields, .. } => fields.values().try_for_each(|s| self.check_lookups(s)),
            _ => Ok(()),
        }
    }

    /// `each`'s elements in `record`, each mapped by `fields` into an object.
    fn each(
        &self,
        each: &str,
        fields: &BTreeMap<String, Source>,
        record: &Value,
        target: &str,
    ) -> Result<Option<Value>, MappingError> {
        let Some(found) = get_path(record, each) else {
            return Ok(None);
        };
        let elements = found.as_array().ok_or_else(|| {
            MappingError(format!(
                "`{target}`: `{each}` in the record is not an array"
            ))
        })?;
        let mut out = Vec::with_capacity(elements.len());
        for (n, element) in elements.iter().enumerate() {
            let mut item = Value::Object(Map::new());
            for (path, source) in fields {
                let at = format!("{target}[{n}].{path}");
                if let Some(v) = self.resolve(source, element, &at)? {
                    set_path(&mut item, path, v)?;
                }
            }
            out.push(item);
        }
        Ok(Some(Value::Array(out)))
    }

    fn resolve(
        &self,
        source: &Source,
        record: &Value,
        target: &str,
    ) -> Result<Option<Value>, MappingError> {
        Ok(match source {
            Source::Field(path) => get_path(record, path).cloned(),
            Source::Const { value } => Some(value.clone()),
            Source::Each { each, fields } => self.each(each, fields, record, target)?,
            Source::Template { template } => {
                let mut out = String::new();
                let mut rest = template.as_str();
                while let Some(start) = rest.find('{') {
                    out.push_str(&rest[..start]);
                    let Some(end) = rest[start..].find('}') else {
                        return Err(MappingError(format!(
                            "`{target}`: unclosed `{{` in template"
                        )));
                    };
                    let path = &rest[start + 1..start + end];
                    let value = get_path(record, path).ok_or_else(|| {
                        MappingError(format!("`{target}`: the record has no `{path}`"))
                    })?;
                    out.push_str(&text(value));
                    rest = &rest[start + end + 1..];
                }
                out.push_str(rest);
                Some(Value::String(out))
            }
            Source::Lookup {
                field,
                lookup,
                default,
            } => match (get_path(record, field), lookup) {
                (Some(v), Some(table)) => {
                    let code = text(v);
                    match self.lookups.get(table).and_then(|t| t.get(code.trim())) {
                        Some(mapped) => Some(mapped.clone()),
                        None => match default {
                            Some(d) => Some(d.clone()),
                            None => {
                                return Err(MappingError(format!(
                                    "`{target}`: `{code}` (from `{field}`) is not in lookup table `{table}`"
                                )))
                            }
                        },
                    }
                }
                (Some(v), None) => Some(v.clone()),
                (None, _) => default.clone(),
            },
        })
    }

    /// Builds the command JSON for `record`, or says why it cannot.
    pub fn apply(&self, record: &Value) -> Result<Value, MappingError> {
        let rule = self
            .rules
            .iter()
            .find(|r| {
                r.matches
                    .iter()
                    .all(|(path, want)| get_path(record, path) == Some(want))
            })
            .ok_or_else(|| MappingError("no mapping rule matches this record".into()))?;
        let mut out = serde_json::json!({ "type": rule.command, "version": 1 });
        let mut required = vec![
            ("store_hash", &rule.store_hash),
            ("external_id", &rule.external_id),
        ];
        if let Some(k) = &rule.idempotency_key {
            required.push(("idempotency_key", k));
        }
        for (target, source) in required {
            let v = self.resolve(source, record, target)?.ok_or_else(|| {
                MappingError(format!("`{target}`: the record has no value for it"))
            })?;
            out[target] = Value::String(text(&v));
        }
        for (target, source) in &rule.fields {
            if let Some(v) = self.resolve(source, record, target)? {
                set_path(&mut out, target, v)?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The bundled example mapping `mappings/{file}`.
    fn example_named(file: &str) -> Mapping {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("mappings")
            .join(file);
        Mapping::load(&path).unwrap()
    }

    fn example() -> Mapping {
        example_named("erp-customers.example.yaml")
    }

    /// `mapping` applied to `record`: a command the parser takes, or a panic saying why not.
    fn valid_command(mapping: &Mapping, record: Value) -> Value {
        let cmd = mapping.apply(&record).unwrap_or_else(|e| panic!("{e}"));
        b2b_commands::Command::from_value(cmd.clone()).unwrap_or_else(|e| panic!("{e}: {cmd:#}"));
        cmd
    }

    #[test]
    fn the_fulfillment_example_maps_ship_confirmations_statuses_and_snapshots() {
        let mapping = example_named("erp-fulfillment.example.yaml");
        let parse = |record: Value| valid_command(&mapping, record);
        let ship = parse(json!({"event": "SHIP_CONFIRM", "shipment_number": "88120",
            "bc_order_id": 1204, "erp_order_number": "SO-5001", "tracking_number": "1Z999AA1",
            "carrier": "UPS", "service_level": "Ground", "warehouse": "Austin DC",
            "cartons_lines": [{"item_code": "BOLT-M8", "qty_shipped": 200}, {"item_code": "NUT-M8", "qty_shipped": 150}]}));
        assert_eq!(ship["external_id"], "ASN-88120");
        assert_eq!(
            ship["shipment"]["lines"],
            json!([{"sku": "BOLT-M8", "quantity": 200}, {"sku": "NUT-M8", "quantity": 150}])
        );
        assert_eq!(ship["shipment"]["shipping_provider"], "ups");
        assert_eq!(ship["order"], json!({"id": 1204, "reference": "SO-5001"}));
        let status = parse(
            json!({"event": "SO_STATUS", "erp_order_number": "SO-5001", "status": "PICKING"}),
        );
        assert_eq!(status["status"], "awaiting_shipment");
        let snapshot = parse(
            json!({"event": "STOCK_SNAPSHOT", "snapshot_id": "2026-12-02", "page": 1,
            "rows": [{"item_code": "BOLT-M8", "warehouse": "01", "on_hand": 1200},
                     {"item_code": "NUT-M8", "warehouse": "02", "on_hand": 0}]}),
        );
        assert_eq!(
            snapshot["items"][1],
            json!({"sku": "NUT-M8", "location_code": "WH-WEST", "quantity": 0})
        );
        // A warehouse the table lacks is named with its line.
        let e = mapping
            .apply(
                &json!({"event": "STOCK_SNAPSHOT", "snapshot_id": "x", "page": 1,
                "rows": [{"item_code": "A", "warehouse": "09", "on_hand": 1}]}),
            )
            .unwrap_err();
        assert!(
            e.to_string().contains("`items[0].location_code`: `09`"),
            "{e}"
        );
    }

    #[test]
    fn the_receivables_example_maps_aging_lines_and_cash_receipts() {
        let mapping = example_named("erp-receivables.example.yaml");
        let parse = |record: Value| valid_command(&mapping, record);
        let inv = parse(
            json!({"doc_type": "INV", "company_code": "US01", "doc_no": "INV-20431",
            "customer_no": "CUST-00042", "currency": "USD", "original_amount": 1250.5,
            "remaining_amount": "750.50", "aged_at": "2026-12-01T06:00:00Z", "doc_date": "2026-11-01",
            "due_date": "2026-12-01", "bc_order_id": 1204, "customer_po": "PO-7781", "terms_code": "N30"}),
        );
        assert_eq!(inv["external_id"], "AR-US01-INV-20431");
        assert_eq!(inv["invoice"]["terms"], "Net 30 days");
        assert_eq!(inv["invoice"]["open_balance"], "750.50");
        let memo = parse(
            json!({"doc_type": "CM", "company_code": "US01", "doc_no": "CM-118",
            "customer_no": "CUST-00042", "currency": "USD", "original_amount": -80,
            "remaining_amount": -80, "aged_at": "2026-12-01T06:00:00Z", "doc_date": "2026-11-20"}),
        );
        assert_eq!(memo["invoice"]["kind"], "credit_memo");
        let receipt = parse(
            json!({"doc_type": "PMT", "company_code": "US01", "receipt_no": "R-5521",
            "customer_no": "CUST-00042", "currency": "USD", "payment_method": "Cheque",
            "check_no": "004417", "payer": "Northwind AP",
            "applied_to": [{"doc_no": "INV-20431", "amount_applied": 500, "remaining_after": "250.50"}]}),
        );
        assert_eq!(
            receipt["balance"]["invoices"][0],
            json!({"invoice_number": "INV-20431", "paid": 500, "open_balance": "250.50"})
        );
        assert_eq!(
            receipt["balance"]["offline_payment"]["memo"],
            "Cheque 004417"
        );
    }

    #[test]
    fn the_accounts_example_maps_a_customer_master_and_a_territory() {
        let mapping = example_named("erp-accounts.example.yaml");
        let parse = |record: Value| valid_command(&mapping, record);
        let branch = parse(
            json!({"record_type": "customer_master", "customer_no": "C-1001-TX", "name": "Acme Texas",
            "ap_email": "tx@acme.example", "phone": "555-0101", "country": "US",
            "contact": {"first": "Tex", "last": "Ranger", "email": "tex@acme.example"},
            "parent_customer_no": "C-1001", "terms_code": "N30", "currency": "USD",
            "credit_limit": 25000, "balance_due": "8200.00", "credit_hold": false}),
        );
        assert_eq!(branch["company"]["parent_external_id"], "C-1001");
        assert_eq!(branch["company"]["payment_terms"], json!({"net_days": 30}));
        assert_eq!(
            branch["company"]["payment_methods"],
            json!(["purchase_order", "bankdeposit"])
        );
        assert_eq!(branch["company"]["credit"]["limit"], 25000);
        let territory = parse(
            json!({"record_type": "territory", "territory": "SW", "rep_email": "marie@seller.example",
            "accounts": ["C-1001", "C-1001-TX"]}),
        );
        assert_eq!(territory["external_id"], "TERR-SW");
        assert_eq!(
            territory["sales_rep"]["assign"],
            json!(["C-1001", "C-1001-TX"])
        );
        let group = parse(json!({"record_type": "price_group", "code": "WHSL",
            "description": "Wholesale", "rules": [{"type": "all", "method": "percent", "amount": "5"}]}));
        assert_eq!(group["external_id"], "WHSL");
        assert_eq!(group["customer_group"]["discount_rules"][0]["amount"], "5");
        let guide = parse(
            json!({"record_type": "order_guide", "customer_no": "C-1001-TX",
            "guide": "weekly", "title": "Weekly order guide", "buyer": "tex@acme.example",
            "lines": [{"item_no": "SKU-001-1", "qty": 24}, {"item_no": "SKU-014-2", "qty": 6}]}),
        );
        assert_eq!(guide["external_id"], "GUIDE-C-1001-TX-weekly");
        assert_eq!(
            guide["shopping_list"]["items"],
            json!([{"sku": "SKU-001-1", "quantity": 24}, {"sku": "SKU-014-2", "quantity": 6}])
        );
    }

    #[test]
    fn the_bundled_example_maps_a_realistic_customer_export() {
        let record = json!({
            "record_type": "customer", "entity_id": "CUST-00042", "company_name": "Northwind Traders",
            "email": "AP@northwind.example", "phone": "+1 555 0100", "status": "ACTIVE",
            "price_tier": "T2", "billing": {"street": "1 Harbour Rd", "city": "Seattle", "state": "WA", "zip": "98101", "country": "US"},
            "primary_contact": {"first": "Nancy", "last": "Davolio", "email": "nancy@northwind.example"}
        });
        let cmd = example().apply(&record).unwrap();
        let parsed = b2b_commands::Command::from_value(cmd.clone())
            .unwrap_or_else(|e| panic!("{e}: {cmd:#}"));
        assert_eq!(parsed.external_id, "CUST-00042");
        assert_eq!(cmd["company"]["status"], "approved");
        assert_eq!(
            cmd["company"]["price_lists"],
            json!([{"channel_id": 1, "price_list_id": 4}])
        );
        assert_eq!(cmd["company"]["extra_fields"]["erp_id"], "CUST-00042");
        assert_eq!(cmd["company"]["address"]["city"], "Seattle");
    }

    #[test]
    fn unknown_codes_and_unmatched_records_are_clear_errors() {
        let m = example();
        let mut record = json!({"record_type": "customer", "entity_id": "C-1", "status": "WEIRD"});
        let err = m.apply(&record).unwrap_err().to_string();
        assert!(
            err.contains("`WEIRD` (from `status`) is not in lookup table `customer_status`"),
            "{err}"
        );
        record["record_type"] = json!("invoice");
        assert_eq!(
            m.apply(&record).unwrap_err().to_string(),
            "no mapping rule matches this record"
        );
    }

    #[test]
    fn paths_and_templates() {
        let v = json!({"a": {"b": [{"c": 5}]}, "id": 9});
        assert_eq!(get_path(&v, "a.b[0].c"), Some(&json!(5)));
        assert_eq!(get_path(&v, "a.x"), None);
        let mut out = json!({});
        set_path(&mut out, "x.y[1].z", json!(1)).unwrap();
        assert_eq!(out, json!({"x": {"y": [{}, {"z": 1}]}}));
        let m = Mapping {
            version: 1,
            rules: vec![],
            lookups: BTreeMap::new(),
        };
        let t = Source::Template {
            template: "ERP-{id}-{a.b[0].c}".into(),
        };
        assert_eq!(m.resolve(&t, &v, "t").unwrap(), Some(json!("ERP-9-5")));
    }

    /// The source system's version is an envelope field a rule sets like any other, so a mapped
    /// record is ordered by it as a command is (docs/erp/ordering.md).
    #[test]
    fn a_rule_carries_the_source_version_of_its_record() {
        let m = Mapping::from_text(
            r#"
version: 1
rules:
  - match: { record_type: customer }
    command: company.status
    store_hash: { const: abc123 }
    external_id: entity_id
    fields:
      source_version: row_version
      source_updated_at: modified_at
      status: { const: approved }
"#,
            false,
        )
        .unwrap();
        let record = json!({"record_type": "customer", "entity_id": "C-1", "row_version": 17,
            "modified_at": "2026-12-08T09:30:00+01:00"});
        let command = m.apply(&record).unwrap();
        assert_eq!(command["source_version"], json!(17));
        assert_eq!(command["source_updated_at"], "2026-12-08T09:30:00+01:00");
        let parsed = b2b_commands::Command::from_value(command).unwrap();
        assert_eq!(parsed.external_id, "C-1");
    }
}
