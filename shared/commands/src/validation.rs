//! The inbound-command JSON Schema (`schemas/inbound-command.v1.schema.json`, compiled in),
//! validated at run time: the one source of truth for what a command may hold, so the schema
//! users read and the checks the code runs cannot disagree.
//!
//! Each command type is validated against its own branch of the schema (not the whole `oneOf`,
//! whose failure would say only "no branch matched"), formats included (`2026-02-30` is not a
//! date). Every error becomes a sentence naming its field (`company.email`, `records[3].sku`):
//! the schema's own `errorMessage` where the failing keyword's schema has one (a string, or an
//! object by keyword), else a plain rendering of the keyword.

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

/// The schema text, as users read it.
pub const INBOUND_COMMAND_SCHEMA: &str =
    include_str!("../../../schemas/inbound-command.v1.schema.json");

/// One command type's schema branch (where `errorMessage`s are looked up), compiled on first use: a batch of company upserts never
/// builds the validators (and their regexes) of the other types.
struct LazyBranch {
    schema: Value,
    compiled: OnceLock<Result<Validator, String>>,
}

impl LazyBranch {
    fn validator(&self, kind: &str) -> Result<&Validator, &String> {
        self.compiled
            .get_or_init(|| {
                jsonschema::options()
                    .should_validate_formats(true)
                    .build(&self.schema)
                    .map_err(|e| format!("the `{kind}` schema does not compile: {e}"))
            })
            .as_ref()
    }
}

/// The schema's branches by command type, or why the schema could not be split into them.
fn branches() -> &'static Result<HashMap<String, LazyBranch>, String> {
    static BRANCHES: OnceLock<Result<HashMap<String, LazyBranch>, String>> = OnceLock::new();
    BRANCHES.get_or_init(split)
}

fn split() -> Result<HashMap<String, LazyBranch>, String> {
    let root: Value = serde_json::from_str(INBOUND_COMMAND_SCHEMA)
        .map_err(|e| format!("the command schema is not JSON: {e}"))?;
    let dialect = root.get("$schema").cloned().unwrap_or(Value::Null);
    let mut out = HashMap::new();
    for branch in root
        .get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        // The array of commands: each of its items is validated against its own branch.
        if branch.get("type").and_then(Value::as_str) == Some("array") {
            continue;
        }
        let Some(kind) = branch
            .pointer("/properties/type/const")
            .and_then(Value::as_str)
        else {
            return Err("a branch of the command schema has no `type` const".into());
        };
        let mut schema = branch.clone();
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("$schema".into(), dialect.clone());
        }
        let lazy = LazyBranch {
            schema,
            compiled: OnceLock::new(),
        };
        out.insert(kind.to_owned(), lazy);
    }
    Ok(out)
}

/// Every branch compiled: whether the whole schema compiles.
#[cfg(test)]
fn compile_all() -> Result<(), String> {
    let branches = branches().as_ref().map_err(Clone::clone)?;
    for (kind, branch) in branches {
        branch.validator(kind).map_err(Clone::clone)?;
    }
    Ok(())
}

/// Every problem the schema finds in `value`, a command of type `kind`, as sentences; empty
/// when it is valid. An unknown `kind` is the caller's to report.
pub fn schema_problems(kind: &str, value: &Value) -> Vec<String> {
    let branches = match branches() {
        Ok(b) => b,
        Err(e) => return vec![e.clone()],
    };
    let Some(branch) = branches.get(kind) else {
        return Vec::new();
    };
    let validator = match branch.validator(kind) {
        Ok(v) => v,
        Err(e) => return vec![e.clone()],
    };
    let mut out: Vec<String> = validator
        .iter_errors(value)
        .flat_map(|e| sentences(&e, &branch.schema))
        .collect();
    out.dedup();
    out
}

/// The field an instance location names: `/records/3/sku` → `records[3].sku`.
fn field(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// The schema's `errorMessage` for the keyword at `keyword_path`: on the schema holding the
/// keyword, a string, or an object with an entry for the keyword.
fn error_message<'s>(schema: &'s Value, keyword_path: &str) -> Option<&'s str> {
    let (parent, keyword) = keyword_path.rsplit_once('/')?;
    let message = schema.pointer(parent)?.get("errorMessage")?;
    match message {
        Value::String(s) => Some(s),
        Value::Object(by_keyword) => by_keyword.get(keyword).and_then(Value::as_str),
        _ => None,
    }
}

/// The sentences of one validation error.
fn sentences(e: &ValidationError<'_>, schema: &Value) -> Vec<String> {
    let at = field(e.instance_path().as_str());
    let join = |name: &str| {
        if at.is_empty() {
            name.to_owned()
        } else {
            format!("{at}.{name}")
        }
    };
    let custom = error_message(schema, e.schema_path().as_str());
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|u| format!("unknown field `{}`", join(u)))
            .collect(),
        ValidationErrorKind::Required { property } => {
            let name = join(property.as_str().unwrap_or_default());
            vec![format!("`{name}` {}", custom.unwrap_or("is required"))]
        }
        // A wrong type is not what a field's `errorMessage` describes.
        ValidationErrorKind::Type { .. } if !at.is_empty() => vec![format!("`{at}` {e}")],
        _ if at.is_empty() => vec![custom.map_or_else(|| e.to_string(), str::to_owned)],
        _ => vec![format!(
            "`{at}` {}",
            custom.map_or_else(|| plain(e), str::to_owned)
        )],
    }
}

/// A keyword's failure in words, without repeating the value.
fn plain(e: &ValidationError<'_>) -> String {
    match e.kind() {
        ValidationErrorKind::MinLength { limit: 1 } => "must not be empty".into(),
        ValidationErrorKind::Pattern { pattern } if pattern == "\\S" => "must not be empty".into(),
        ValidationErrorKind::MaxLength { limit } => format!("is longer than {limit} characters"),
        ValidationErrorKind::MinItems { limit } => format!("needs at least {limit} item(s)"),
        ValidationErrorKind::Minimum { limit } if limit.as_f64() == Some(0.0) => {
            "must be a non-negative number".into()
        }
        ValidationErrorKind::Minimum { limit } => format!("must be at least {limit}"),
        _ => format!("is invalid: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_compiled_in_schema_compiles_for_every_command_type() {
        let branches = branches().as_ref().unwrap();
        for kind in super::super::COMMAND_TYPES {
            assert!(branches.contains_key(kind), "{kind}");
        }
        assert_eq!(branches.len(), super::super::COMMAND_TYPES.len());
        compile_all().unwrap();
        assert!(branches.values().all(|b| b.compiled.get().is_some()));
    }

    #[test]
    fn a_branch_is_compiled_when_first_used_and_only_it() {
        let branches = split().unwrap();
        assert!(branches.values().all(|b| b.compiled.get().is_none()));
        branches["company.status"]
            .validator("company.status")
            .unwrap();
        let compiled: Vec<&str> = branches
            .iter()
            .filter(|(_, b)| b.compiled.get().is_some())
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(compiled, ["company.status"]);
    }

    #[test]
    fn fields_are_named_as_users_write_them() {
        assert_eq!(field("/records/3/sku"), "records[3].sku");
        assert_eq!(field("/company/email"), "company.email");
        assert_eq!(field(""), "");
    }

    #[test]
    fn errors_read_as_sentences() {
        let v = json!({"type": "quote.upsert", "version": 1, "store_hash": "abc123",
            "external_id": "Q", "company_external_id": "C", "quote": {
            "buyer_email": "a@b@c.d", "currency": "USD", "expires_on": "2026-02-30",
            "status": "ordered", "colour": null}});
        let problems = schema_problems("quote.upsert", &v);
        for expected in [
            "`quote.buyer_email` is not an email address",
            "`quote.expires_on` must be a real date `YYYY-MM-DD`",
            "unknown field `quote.colour`",
            "`quote.order_id` is required with `quote.status` `ordered`",
        ] {
            assert!(
                problems.iter().any(|p| p == expected),
                "{expected}: {problems:?}"
            );
        }
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn terms_the_store_does_not_offer_are_named() {
        let v = json!({"type": "company.upsert", "version": 1, "store_hash": "abc123",
            "external_id": "C", "company": {"name": "A", "email": "a@b.example", "phone": "1",
            "country": "US", "admin": {"first_name": "A", "last_name": "B", "email": "a@b.example"},
            "payment_terms": {"net_days": 31},
            "credit": {"currency": "usd", "limit": -5}}});
        let problems = schema_problems("company.upsert", &v);
        for expected in [
            "`company.payment_terms.net_days` must be net days B2B Edition offers: 0, 5, 15, 30, 45 or 60",
            "`company.credit.currency` must be an ISO 4217 code of 3 capital letters (USD)",
            "`company.credit.limit` must be an amount not below 0: a number or a decimal string with at most 4 places",
        ] {
            assert!(
                problems.iter().any(|p| p == expected),
                "{expected}: {problems:?}"
            );
        }
    }
}
