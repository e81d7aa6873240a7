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

/// `schema` where every object schema that lists `properties` and says nothing of others
/// refuses undeclared ones (`additionalProperties: false`), at every depth.
///
/// Applied to response schemas at test time, so an answer cannot carry a field the real API
/// lacks. The members of an `allOf` (and the branches of a `oneOf`/`anyOf` inside one) are left
/// open, since each sees only its own properties; the schema holding them is closed over the
/// union of every property they declare.
pub fn closed(schema: &Value) -> Value {
    let mut s = schema.clone();
    close(&mut s, true);
    s
}

fn close(v: &mut Value, seal: bool) {
    let mut names = std::collections::BTreeSet::new();
    declared_names(v, &mut names);
    let Value::Object(m) = v else {
        return;
    };
    if let Some(Value::Array(members)) = m.get_mut("allOf") {
        members.iter_mut().for_each(|x| close(x, false));
    }
    let in_all_of = !seal;
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = m.get_mut(key) {
            branches
                .iter_mut()
                .for_each(|x| close(x, seal && !in_all_of));
        }
    }
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        props.values_mut().for_each(|x| close(x, true));
    }
    if let Some(items) = m.get_mut("items") {
        close(items, true);
    }
    if let Some(extra @ Value::Object(_)) = m.get_mut("additionalProperties") {
        close(extra, true);
    }
    let has_combinator = m.contains_key("oneOf") || m.contains_key("anyOf");
    if seal && !names.is_empty() && !has_combinator && !m.contains_key("additionalProperties") {
        let own = m.entry("properties").or_insert_with(|| json!({}));
        if let Value::Object(own) = own {
            for name in names {
                own.entry(name).or_insert_with(|| json!({}));
            }
        }
        m.insert("additionalProperties".into(), Value::Bool(false));
    }
}

/// The property names `v` declares itself and through its `allOf` members, at any depth.
fn declared_names(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    if let Some(props) = v.get("properties").and_then(Value::as_object) {
        out.extend(props.keys().cloned());
    }
    for member in v
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        declared_names(member, out);
    }
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

    #[test]
    fn closing_refuses_undeclared_properties_at_every_level() {
        let s = closed(&json!({
            "type": "object",
            "properties": {"data": {"type": "array", "items": {"properties": {"id": {}}}}}
        }));
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(
            s["properties"]["data"]["items"]["additionalProperties"],
            json!(false)
        );
    }

    #[test]
    fn an_all_of_is_closed_over_the_union_of_its_members() {
        let s = closed(&json!({
            "allOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]
        }));
        assert_eq!(s["additionalProperties"], json!(false));
        assert!(s["properties"]["a"].is_object() && s["properties"]["b"].is_object());
        assert!(s["allOf"][0].get("additionalProperties").is_none());
    }

    #[test]
    fn a_declared_additional_properties_is_kept() {
        let s = closed(&json!({"properties": {"a": {}}, "additionalProperties": true}));
        assert_eq!(s["additionalProperties"], json!(true));
    }
}
