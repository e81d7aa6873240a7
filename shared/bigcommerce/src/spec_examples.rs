//! Test support: examples from BigCommerce's official OpenAPI specs, decoded by our models.
//!
//! Specs are found by `bc_sandbox::specs::dir` (`BC_SPECS_DIR`, `../shared/specs/bigcommerce`
//! beside the repository, or what `make specs` fetched). An example is the operation's own media-type example when it has one, or else
//! one composed from the `example`s of its response schema, following local and remote `$ref`s
//! with the sandbox's spec reader (`bc_sandbox::contract::openapi::Docs`).
// Test-only: compiled under #[cfg(test)] from its parent module.
#![cfg(test)]

use std::path::Path;
use std::sync::Mutex;

use bc_sandbox::contract::openapi::Docs;
use serde_json::{Map, Value};

/// The spec files read so far, by the sandbox's own reader (one parse per file per process).
static DOCS: Mutex<Option<Docs>> = Mutex::new(None);

fn with_docs<R>(f: impl FnOnce(&mut Docs) -> R) -> R {
    let mut docs = DOCS.lock().unwrap_or_else(|e| e.into_inner());
    f(docs.get_or_insert_with(|| Docs::new(bc_sandbox::specs::dir_or_panic())))
}

/// Loads a spec file (path relative to the specs folder) as JSON.
pub fn load(rel: &str) -> Value {
    with_docs(|d| d.load(Path::new(rel)).unwrap_or_else(|e| panic!("{e}")))
}

/// Resolves a `$ref` seen in file `rel` to (file relative to the specs folder, value).
fn resolve(rel: &str, reference: &str) -> (String, Value) {
    with_docs(|d| {
        let base = d.root().join(rel);
        let (value, file) = d.target(reference, &base).unwrap_or_else(|e| panic!("{e}"));
        let file = file.strip_prefix(d.root()).unwrap_or(&file);
        (file.to_string_lossy().into_owned(), value)
    })
}

/// Composes an example instance of `schema` (found in file `rel`) from the spec's own examples,
/// with a placeholder of the declared type where a field has none.
pub fn synthesize(rel: &str, schema: &Value, depth: usize) -> Option<Value> {
    if depth > 12 {
        return None;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let (file, target) = resolve(rel, r);
        return synthesize(&file, &target, depth + 1);
    }
    if let Some(ex) = schema.get("example") {
        return Some(ex.clone());
    }
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        let mut merged = Map::new();
        let mut other = None;
        for part in parts {
            match synthesize(rel, part, depth + 1) {
                Some(Value::Object(m)) => merged.extend(m),
                Some(v) => other = Some(v),
                None => {}
            }
        }
        return if merged.is_empty() {
            other
        } else {
            Some(Value::Object(merged))
        };
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(parts)) = schema.get(key) {
            return parts.iter().find_map(|p| synthesize(rel, p, depth + 1));
        }
    }
    if let Some(Value::Object(props)) = schema.get("properties") {
        let out: Map<String, Value> = props
            .iter()
            .filter_map(|(k, s)| synthesize(rel, s, depth + 1).map(|v| (k.clone(), v)))
            .collect();
        return Some(Value::Object(out));
    }
    if let Some(d) = schema.get("default") {
        return Some(d.clone());
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        return values.first().cloned();
    }
    // No example: a placeholder of the declared type, as a mock server would send.
    let kind = schema
        .get("type")
        .and_then(Value::as_str)
        .or_else(|| schema.get("items").map(|_| "array"));
    match kind {
        Some("array") => {
            let item = schema
                .get("items")
                .and_then(|i| synthesize(rel, i, depth + 1));
            Some(Value::Array(item.into_iter().collect()))
        }
        Some("integer") => Some(Value::from(1)),
        Some("number") => Some(Value::from(1.5)),
        Some("boolean") => Some(Value::Bool(true)),
        Some("string") => Some(Value::from(
            match schema.get("format").and_then(Value::as_str) {
                Some("email") => "buyer@example.com",
                Some("date-time") => "2026-01-01T00:00:00Z",
                _ => "string",
            },
        )),
        Some("object") => Some(Value::Object(Map::new())),
        _ => None,
    }
}

/// The examples of the response `status` of `method path` in spec file `rel`: the media-type
/// examples if there are any, else one composed from the schema.
pub fn response_examples(rel: &str, path: &str, method: &str, status: &str) -> Vec<Value> {
    let doc = load(rel);
    let mut response = doc["paths"][path][method]["responses"][status].clone();
    assert!(
        !response.is_null(),
        "{rel}: no response {status} for {method} {path}"
    );
    let mut file = rel.to_owned();
    if let Some(r) = response.get("$ref").and_then(Value::as_str) {
        (file, response) = resolve(rel, r);
    }
    let media = response
        .pointer("/content/application~1json")
        .or_else(|| response.get("schema").map(|_| &response))
        .cloned()
        .unwrap_or(Value::Null);
    let mut out = Vec::new();
    // quote.yaml's POST /rfq 200 gives `example: null`: no example, so one is composed.
    if let Some(ex) = media.get("example").filter(|v| !v.is_null()) {
        out.push(ex.clone());
    }
    if let Some(Value::Object(named)) = media.get("examples") {
        for ex in named.values() {
            let ex = match ex.get("$ref").and_then(Value::as_str) {
                Some(r) => resolve(&file, r).1,
                None => ex.clone(),
            };
            if let Some(v) = ex.get("value").filter(|v| !v.is_null()) {
                out.push(v.clone());
            }
        }
    }
    if out.is_empty() {
        if let Some(v) = media.get("schema").and_then(|s| synthesize(&file, s, 0)) {
            out.push(v);
        }
    }
    assert!(
        !out.is_empty(),
        "{rel}: no example for {method} {path} {status}"
    );
    out
}
