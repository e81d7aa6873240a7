//! Reading BigCommerce's OpenAPI files: YAML parsed once per file, `$ref`s (local, relative and
//! the specs' own `raw.githubusercontent.com/bigcommerce/docs` links) inlined from the local
//! copies, and OpenAPI 3.0 `nullable` turned into JSON Schema types so a standard validator
//! can judge a body.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// The prefix the specs use for references into other spec files.
const REMOTE: &str = "https://raw.githubusercontent.com/bigcommerce/docs/main/";

/// How deep `$ref`s are followed before a recursive schema is cut off as "anything".
const MAX_DEPTH: usize = 40;

/// Why a spec could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file is missing or unreadable.
    #[error("cannot read spec file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The file is not YAML.
    #[error("cannot parse spec file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's words.
        message: String,
    },
    /// A `$ref` points nowhere.
    #[error("$ref {reference} from {from} does not resolve")]
    Ref {
        /// The reference.
        reference: String,
        /// The file it appears in.
        from: PathBuf,
    },
}

/// The spec files read so far, by canonical path, under one specs folder.
pub struct Docs {
    root: PathBuf,
    files: HashMap<PathBuf, Value>,
}

impl Docs {
    /// An empty cache over the specs folder `root` (the one holding `MANIFEST.tsv`).
    pub fn new(root: PathBuf) -> Docs {
        Docs {
            root,
            files: HashMap::new(),
        }
    }

    /// The specs folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The parsed file at `path` (absolute, or relative to the specs folder).
    pub fn load(&mut self, path: &Path) -> Result<Value, SpecError> {
        let full = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        };
        let key = std::fs::canonicalize(&full).map_err(|source| SpecError::Read {
            path: full.clone(),
            source,
        })?;
        if let Some(v) = self.files.get(&key) {
            return Ok(v.clone());
        }
        let text = std::fs::read_to_string(&key).map_err(|source| SpecError::Read {
            path: key.clone(),
            source,
        })?;
        let v: Value = serde_norway::from_str(&text).map_err(|e| SpecError::Parse {
            path: key.clone(),
            message: e.to_string(),
        })?;
        self.files.insert(key, v.clone());
        Ok(v)
    }

    /// The node a `$ref` names, with the file it lives in.
    pub fn target(&mut self, reference: &str, base: &Path) -> Result<(Value, PathBuf), SpecError> {
        let (file, frag) = reference.split_once('#').unwrap_or((reference, ""));
        let unresolved = || SpecError::Ref {
            reference: reference.to_string(),
            from: base.to_path_buf(),
        };
        let path = if file.is_empty() {
            base.to_path_buf()
        } else if let Some(rest) = file.strip_prefix(REMOTE) {
            self.root.join(rest)
        } else if file.starts_with("http") {
            return Err(unresolved());
        } else {
            base.parent().unwrap_or(Path::new(".")).join(file)
        };
        let doc = self.load(&path)?;
        let mut node = &doc;
        for part in frag.split('/').filter(|p| !p.is_empty()) {
            let key = part.replace("~1", "/").replace("~0", "~");
            node = node.get(&key).ok_or_else(unresolved)?;
        }
        Ok((node.clone(), path))
    }

    /// `v` with every `$ref` inlined, examples dropped and `nullable` made a JSON Schema type.
    pub fn resolve(&mut self, v: &Value, base: &Path) -> Result<Value, SpecError> {
        self.resolve_at(v, base, 0)
    }

    fn resolve_at(&mut self, v: &Value, base: &Path, depth: usize) -> Result<Value, SpecError> {
        if depth > MAX_DEPTH {
            return Ok(json!({}));
        }
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    let (t, p) = self.target(r, base)?;
                    return self.resolve_at(&t, &p, depth + 1);
                }
                let mut out = serde_json::Map::new();
                for (k, x) in m {
                    if matches!(
                        k.as_str(),
                        "example" | "examples" | "x-examples" | "discriminator"
                    ) {
                        continue;
                    }
                    out.insert(k.clone(), self.resolve_at(x, base, depth + 1)?);
                }
                nullable_to_type(&mut out);
                Ok(Value::Object(out))
            }
            Value::Array(a) => a
                .iter()
                .map(|x| self.resolve_at(x, base, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }
}

/// A validator for a resolved OpenAPI 3.0 schema: JSON Schema draft 4 (whose boolean
/// `exclusiveMaximum` 3.0 keeps), formats checked.
pub fn validator(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema: `null` joins the type and the enum.
fn nullable_to_type(schema: &mut serde_json::Map<String, Value>) {
    if schema.get("nullable") != Some(&Value::Bool(true)) {
        return;
    }
    if let Some(Value::String(t)) = schema.get("type").cloned() {
        schema.insert("type".into(), json!([t, "null"]));
    }
    if let Some(Value::Array(e)) = schema.get_mut("enum") {
        e.push(Value::Null);
    }
}

/// `schema` that also refuses undeclared properties at every depth: an answer may not carry a
/// field the real API lacks.
///
/// The original schema is kept as it is and joined (`allOf`) with a *shape* schema that says
/// only which property names each object may have: the union of what the schema declares there
/// through `properties`, `allOf` members and `oneOf`/`anyOf` branches, merged by name, so two
/// `allOf` members that each declare part of a line item together allow the whole item. An
/// object whose schema declares no properties, or allows additional ones, is left open.
pub fn closed(schema: &Value) -> Value {
    json!({"allOf": [schema.clone(), shape(&[schema])]})
}

/// The shape of the values the schemas in `all` together describe (see [`closed`]).
fn shape(all: &[&Value]) -> Value {
    let mut names: std::collections::BTreeMap<String, Vec<&Value>> = Default::default();
    let mut items: Vec<&Value> = Vec::new();
    let mut open = false;
    let mut stack: Vec<&Value> = all.to_vec();
    while let Some(s) = stack.pop() {
        for key in ["allOf", "oneOf", "anyOf"] {
            stack.extend(s.get(key).and_then(Value::as_array).into_iter().flatten());
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                names.entry(name.clone()).or_default().push(sub);
            }
        }
        if let Some(item) = s.get("items") {
            items.push(item);
        }
        if s.get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false))
        {
            open = true;
        }
    }
    let mut out = serde_json::Map::new();
    if !names.is_empty() && !open {
        let props: serde_json::Map<String, Value> = names
            .iter()
            .map(|(n, subs)| (n.clone(), shape(subs)))
            .collect();
        out.insert("properties".into(), Value::Object(props));
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    if !items.is_empty() {
        out.insert("items".into(), shape(&items));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_becomes_a_null_type_and_enum_member() {
        let mut m = json!({"type": "string", "nullable": true, "enum": ["a"]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        nullable_to_type(&mut m);
        assert_eq!(m["type"], json!(["string", "null"]));
        assert_eq!(m["enum"], json!(["a", null]));
    }

    fn accepts(schema: &Value, v: &Value) -> bool {
        validator(schema).is_ok_and(|c| c.is_valid(v))
    }

    #[test]
    fn closing_refuses_undeclared_properties_at_every_level() {
        let s = closed(&json!({
            "type": "object",
            "properties": {"data": {"type": "array", "items": {"properties": {"id": {}}}}}
        }));
        assert!(accepts(&s, &json!({"data": [{"id": 1}]})));
        assert!(!accepts(&s, &json!({"data": [{"id": 1, "quoteId": 2}]})));
        assert!(!accepts(&s, &json!({"data": [], "extra": true})));
    }

    #[test]
    fn all_of_members_declare_one_object_together() {
        // quote.yaml's detail: two members each declare part of the same line items.
        let s = closed(&json!({"allOf": [
            {"properties": {"lines": {"items": {"properties": {"sku": {}}}}}},
            {"properties": {"lines": {"items": {"properties": {"costPrice": {}}}}, "b": {}}}
        ]}));
        assert!(accepts(
            &s,
            &json!({"lines": [{"sku": "A", "costPrice": 1}], "b": 1})
        ));
        assert!(!accepts(
            &s,
            &json!({"lines": [{"sku": "A", "colour": "red"}]})
        ));
    }

    #[test]
    fn open_objects_stay_open() {
        let s = closed(&json!({"properties": {"a": {}}, "additionalProperties": true}));
        assert!(accepts(&s, &json!({"a": 1, "b": 2})));
        let s = closed(&json!({"properties": {"m": {"type": "object"}}}));
        assert!(accepts(&s, &json!({"m": {"anything": 1}})));
    }
}
