//! The command reference users read (`docs/reference/commands.md`) is generated from the JSON
//! Schema, the one source of truth for what a command may hold, so the two cannot drift: this
//! test fails when the page is not what the schema says.
//!
//! Regenerate the page after changing the schema:
//! `UPDATE_REFERENCE=1 cargo test -p b2b-commands --test reference`.

use std::fmt::Write;
use std::path::PathBuf;

use serde_json::{Map, Value};

/// The envelope's fields, described once at the top rather than in every command.
const ENVELOPE: [&str; 8] = [
    "type",
    "version",
    "store_hash",
    "external_id",
    "idempotency_key",
    "trace_id",
    "source_version",
    "source_updated_at",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_command_reference_is_what_the_schema_says() {
    let schema_path = root().join("schemas/inbound-command.v1.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap())
        .expect("the schema is JSON");
    let page = reference(&schema);
    let page_path = root().join("docs/reference/commands.md");
    if std::env::var_os("UPDATE_REFERENCE").is_some() {
        std::fs::create_dir_all(page_path.parent().unwrap()).unwrap();
        std::fs::write(&page_path, &page).unwrap();
    }
    let written = std::fs::read_to_string(&page_path).unwrap_or_default();
    assert!(
        written == page,
        "docs/reference/commands.md is not what the schema says; regenerate it with \
         `UPDATE_REFERENCE=1 cargo test -p b2b-commands --test reference`"
    );
    for kind in b2b_commands::COMMAND_TYPES {
        assert!(
            page.contains(&format!("## `{kind}`")),
            "{kind} is documented"
        );
    }
}

/// The whole page.
fn reference(schema: &Value) -> String {
    let mut out = String::new();
    let title = text(schema, "title");
    let _ = writeln!(out, "# Command reference\n");
    let _ = writeln!(
        out,
        "<!-- Generated from schemas/inbound-command.v1.schema.json by \
         shared/commands/tests/reference.rs: do not edit by hand. -->\n"
    );
    let _ = writeln!(out, "{title}. {}\n", text(schema, "description"));
    let _ = writeln!(
        out,
        "Every command is checked against its own branch of the schema \
         (`schemas/inbound-command.v1.schema.json`) before it is applied, with formats asserted (`2026-02-30` is not a date); a command \
         that breaks a rule below is refused with a sentence naming its field. Unknown fields \
         are refused.\n"
    );
    let branches = schema["oneOf"].as_array().cloned().unwrap_or_default();
    out.push_str("| type | what it does |\n|---|---|\n");
    for b in &branches {
        let kind = b["properties"]["type"]["const"]
            .as_str()
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| [`{kind}`](#{}) | {} |",
            anchor(kind),
            first_sentence(&text(b, "description"))
        );
    }
    out.push_str("\n## The envelope\n\nEvery command has these fields.\n\n");
    if let Some(first) = branches.first() {
        table(&mut out, first, |name| ENVELOPE.contains(&name));
    }
    for b in &branches {
        command(&mut out, b);
    }
    out
}

/// One command's section.
fn command(out: &mut String, branch: &Value) {
    let kind = branch["properties"]["type"]["const"]
        .as_str()
        .unwrap_or_default();
    let _ = writeln!(out, "\n## `{kind}`\n\n{}\n", text(branch, "description"));
    let notes = combination_notes(branch);
    if let Some(first) = notes.chars().next() {
        let rest = &notes[first.len_utf8()..];
        let _ = writeln!(out, "{}{rest}.\n", first.to_uppercase());
    }
    table(out, branch, |name| !ENVELOPE.contains(&name));
}

/// A table of the fields of `object` (dotted paths, arrays as `[]`) whose top-level name
/// `keep` accepts.
fn table(out: &mut String, object: &Value, keep: impl Fn(&str) -> bool) {
    out.push_str("| field | type | required | rules |\n|---|---|---|---|\n");
    let required = names(object, "required");
    let props = object["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, field) in &props {
        if keep(name) {
            rows(out, name, field, required.contains(name));
        }
    }
}

/// The rows of one field and, for an object or an array of objects, of its fields.
fn rows(out: &mut String, path: &str, field: &Value, required: bool) {
    let shown = match path {
        // The envelope's `type` is each command's own constant.
        "type" => "string: the command's type".to_owned(),
        _ => type_of(field),
    };
    let _ = writeln!(
        out,
        "| `{path}` | {} | {} | {} |",
        shown,
        if required { "yes" } else { "" },
        rules(field).replace('|', "\\|")
    );
    let (inner, prefix) = match field.get("items") {
        Some(items) => (items, format!("{path}[]")),
        None => (field, path.to_owned()),
    };
    let inner_required = names(inner, "required");
    if let Some(props) = inner.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let sub_path = format!("{prefix}.{name}");
            rows(out, &sub_path, sub, inner_required.contains(name));
        }
    }
}

/// The JSON type of a field, as users read it.
fn type_of(field: &Value) -> String {
    if let Some(c) = field.get("const") {
        return format!("`{c}`");
    }
    match &field["type"] {
        Value::String(t) if t == "array" => match field["items"]["type"].as_str() {
            Some(item) => format!("array of {item}"),
            None => "array".into(),
        },
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ if field.get("enum").is_some() => "string".into(),
        _ => String::new(),
    }
}

/// The rules of a field: its description, allowed values, bounds, format, and the words a
/// refusal uses.
fn rules(field: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(d) = field.get("description").and_then(Value::as_str) {
        parts.push(d.to_owned());
    }
    if let Some(values) = field.get("enum").and_then(Value::as_array) {
        let list: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        parts.push(format!("one of {}", list.join(", ")));
    }
    let bound = |key: &str, what: &str| field.get(key).map(|v| format!("{what} {v}"));
    match (field.get("minLength"), field.get("maxLength")) {
        (Some(min), Some(max)) => parts.push(format!("{min} to {max} characters")),
        (Some(min), None) => parts.push(format!("at least {min} characters")),
        (None, Some(max)) => parts.push(format!("at most {max} characters")),
        (None, None) => {}
    }
    parts.extend(bound("minimum", "≥"));
    parts.extend(bound("maximum", "≤"));
    parts.extend(bound("minItems", "at least").map(|s| format!("{s} items")));
    parts.extend(bound("maxItems", "at most").map(|s| format!("{s} items")));
    if field.get("uniqueItems") == Some(&Value::Bool(true)) {
        parts.push("no repeats".into());
    }
    if let Some(f) = field.get("format").and_then(Value::as_str) {
        parts.push(format!("format `{f}`"));
    }
    match field.get("errorMessage") {
        Some(Value::String(m)) => parts.push(format!("else: “{m}”")),
        Some(Value::Object(m)) => parts.extend(messages(m)),
        _ => {
            if let Some(p) = field.get("pattern").and_then(Value::as_str) {
                if p != "\\S" {
                    parts.push(format!("pattern `{p}`"));
                }
            }
        }
    }
    let notes = combination_notes(field);
    if !notes.is_empty() {
        parts.push(notes);
    }
    parts.join("; ")
}

/// The refusal words of an `errorMessage` given by keyword.
fn messages(m: &Map<String, Value>) -> Vec<String> {
    m.values()
        .filter_map(Value::as_str)
        .map(|s| format!("else: “{s}”"))
        .collect()
}

/// What `oneOf`, `anyOf`, `not` and `if`/`then` ask of an object: which fields go together.
fn combination_notes(object: &Value) -> String {
    let mut notes = Vec::new();
    for (key, says) in [("oneOf", "exactly one of"), ("anyOf", "at least one of")] {
        let Some(options) = object.get(key).and_then(Value::as_array) else {
            continue;
        };
        let sets: Vec<String> = options.iter().filter_map(field_set).collect();
        if !sets.is_empty() {
            notes.push(format!("{says}: {}", sets.join(" / ")));
        }
    }
    if let Some(set) = object.get("not").and_then(field_set) {
        notes.push(format!("not all of {set}"));
    }
    if let (Some(when), Some(then)) = (object.get("if"), object.get("then")) {
        if let (Some(a), Some(b)) = (field_set(when), field_set(then)) {
            notes.push(format!("with {a}: {b}"));
        }
    }
    match object.get("errorMessage") {
        Some(Value::String(m)) if !notes.is_empty() => notes.push(format!("else: “{m}”")),
        _ => {}
    }
    notes.join("; ")
}

/// The fields a sub-schema requires (or names), as `` `a` + `b` ``.
fn field_set(sub: &Value) -> Option<String> {
    let mut fields = names(sub, "required");
    if fields.is_empty() {
        fields = sub
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
    }
    if fields.is_empty() {
        return None;
    }
    let quoted: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    Some(quoted.join(" + "))
}

/// The strings of the array at `key`.
fn names(object: &Value, key: &str) -> Vec<String> {
    object
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The text up to the first full stop that ends a sentence (one followed by a capital).
fn first_sentence(s: &str) -> String {
    let ends = s.match_indices(". ").map(|(i, _)| i);
    let end = ends
        .into_iter()
        .find(|i| s[i + 2..].starts_with(|c: char| c.is_uppercase()));
    match end {
        Some(i) => s[..=i].to_owned(),
        None => s.to_owned(),
    }
}

/// The anchor MkDocs gives a heading `` `company.upsert` ``.
fn anchor(kind: &str) -> String {
    kind.replace('.', "")
}
