//! One operation of a spec file (its parameters and JSON body schema, resolved) and the check of
//! one request against it. A body is judged by its schema closed against undeclared properties:
//! a field the API does not take is ignored by BigCommerce, so sending one means believing
//! something is set that is not. Query values arrive as text, so each is read as the type its schema
//! declares (integers, numbers, booleans, comma-separated arrays) before it is validated; a
//! value that does not read stays text and the validator names the type it lacks.

use std::path::Path;
use std::sync::OnceLock;

use axum::http::HeaderMap;
use serde_json::{json, Value};

use super::openapi::{closed, validator, Docs, SpecError};
use super::Violation;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// A request as the checker sees it.
pub struct RequestView<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The sandbox's route template (`/api/v3/io/rfq/{quote_id}`).
    pub template: &'a str,
    /// The path as sent.
    pub path: &'a str,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The request body (empty when none).
    pub body: &'a [u8],
}

impl RequestView<'_> {
    /// `METHOD /path?query`.
    pub fn describe(&self) -> String {
        match self.query {
            Some(q) if !q.is_empty() => format!("{} {}?{q}", self.method, self.path),
            _ => format!("{} {}", self.method, self.path),
        }
    }
}

/// Where in a request a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The method and path.
    Route,
    /// A path parameter.
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
    /// The body.
    Body,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Location::Route => "route",
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Body => "body",
        })
    }
}

type Compiled = OnceLock<Result<jsonschema::Validator, String>>;

/// One declared parameter.
struct Param {
    name: String,
    location: Location,
    required: bool,
    schema: Value,
    validator: Compiled,
}

/// One operation: where it is, what it declares.
pub struct Operation {
    method: String,
    /// The full path template (server path + operation path).
    template: String,
    spec: String,
    params: Vec<Param>,
    body_required: bool,
    /// The body's schema, closed against undeclared properties.
    body_schema: Option<Value>,
    body_validator: Compiled,
}

/// A path template with every `{parameter}` written `{}`, so names need not agree.
pub fn normalise(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The path part of a spec file's first server URL (`/api/v3/io`, `/stores/{store_hash}/v3`).
fn server_path(doc: &Value) -> String {
    let url = doc["servers"][0]["url"].as_str().unwrap_or("");
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/')
        .map_or(String::new(), |i| rest[i..].to_string())
}

/// Every operation of the spec file `file` (relative to the specs folder).
pub fn operations(docs: &mut Docs, file: &str) -> Result<Vec<Operation>, SpecError> {
    let path = docs.root().join(file);
    let doc = docs.load(&path)?;
    let base = server_path(&doc);
    let spec = Path::new(file)
        .file_name()
        .map_or(file.to_string(), |n| n.to_string_lossy().into_owned());
    let mut out = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return Ok(out);
    };
    for (template, item) in paths {
        let shared = params_of(docs, &item["parameters"], &path)?;
        for method in METHODS {
            let op = &item[method];
            if !op.is_object() {
                continue;
            }
            let mut params = params_of(docs, &op["parameters"], &path)?;
            for p in &shared {
                if !params
                    .iter()
                    .any(|q| q.name == p.name && q.location == p.location)
                {
                    params.push(clone_param(p));
                }
            }
            let (body_required, body_schema) = body_of(docs, &op["requestBody"], &path)?;
            out.push(Operation {
                method: method.to_uppercase(),
                template: format!("{base}{template}"),
                spec: spec.clone(),
                params,
                body_required,
                body_schema: body_schema.as_ref().map(closed),
                body_validator: OnceLock::new(),
            });
        }
    }
    Ok(out)
}

fn clone_param(p: &Param) -> Param {
    Param {
        name: p.name.clone(),
        location: p.location,
        required: p.required,
        schema: p.schema.clone(),
        validator: OnceLock::new(),
    }
}

fn params_of(docs: &mut Docs, list: &Value, file: &Path) -> Result<Vec<Param>, SpecError> {
    let mut out = Vec::new();
    for raw in list.as_array().into_iter().flatten() {
        let p = docs.resolve(raw, file)?;
        let location = match p["in"].as_str() {
            Some("query") => Location::Query,
            Some("header") => Location::Header,
            Some("path") => Location::Path,
            _ => continue,
        };
        out.push(Param {
            name: p["name"].as_str().unwrap_or_default().to_string(),
            location,
            required: p["required"]
                .as_bool()
                .unwrap_or(location == Location::Path),
            schema: p.get("schema").cloned().unwrap_or_else(|| json!({})),
            validator: OnceLock::new(),
        });
    }
    Ok(out)
}

fn body_of(docs: &mut Docs, body: &Value, file: &Path) -> Result<(bool, Option<Value>), SpecError> {
    if body.is_null() {
        return Ok((false, None));
    }
    let body = docs.resolve(body, file)?;
    let schema = body["content"].as_object().and_then(|c| {
        c.iter()
            .find(|(k, _)| k.contains("json"))
            .map(|(_, v)| v["schema"].clone())
    });
    Ok((body["required"].as_bool().unwrap_or(false), schema))
}

fn compile<'a>(cell: &'a Compiled, schema: &Value) -> Result<&'a jsonschema::Validator, &'a str> {
    cell.get_or_init(|| validator(schema))
        .as_ref()
        .map_err(String::as_str)
}

/// The first non-null `type` a schema declares.
fn type_of(schema: &Value) -> &str {
    match &schema["type"] {
        Value::String(t) => t,
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ => "",
    }
}

/// A query or path value read as the type its schema declares.
fn coerce(raw: &str, schema: &Value) -> Value {
    match type_of(schema) {
        "integer" => raw.parse::<i64>().map_or_else(|_| json!(raw), |n| json!(n)),
        "number" => raw.parse::<f64>().map_or_else(|_| json!(raw), |n| json!(n)),
        "boolean" => match raw {
            "true" => json!(true),
            "false" => json!(false),
            _ => json!(raw),
        },
        "array" => Value::Array(
            raw.split(',')
                .map(|part| coerce(part, &schema["items"]))
                .collect(),
        ),
        _ => json!(raw),
    }
}

impl Operation {
    /// `METHOD /normalised/template`, the operation's key.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, normalise(&self.template))
    }

    fn violation(&self, req: &RequestView<'_>, location: String, problem: String) -> Violation {
        Violation {
            route: format!("{} {}", self.method, self.template),
            request: req.describe(),
            location,
            problem,
            spec: self.spec.clone(),
        }
    }

    /// Every way `req` breaks this operation's declaration.
    pub fn check(&self, req: &RequestView<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        self.check_path(req, &mut out);
        self.check_query(req, &mut out);
        self.check_headers(req, &mut out);
        self.check_body(req, &mut out);
        out
    }

    fn validate(&self, req: &RequestView<'_>, p: &Param, value: &Value, out: &mut Vec<Violation>) {
        let at = format!("{} {}", p.location, p.name);
        match compile(&p.validator, &p.schema) {
            Ok(v) => out.extend(
                v.iter_errors(value)
                    .map(|e| self.violation(req, at.clone(), e.to_string())),
            ),
            Err(e) => tracing::warn!(param = %at, error = e, "a parameter schema does not compile"),
        }
    }

    fn check_path(&self, req: &RequestView<'_>, out: &mut Vec<Violation>) {
        let names: Vec<&str> = self.template.split('/').collect();
        let values: Vec<&str> = req.path.split('/').collect();
        for (name, value) in names.iter().zip(&values) {
            let Some(name) = name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) else {
                continue;
            };
            if let Some(p) = self
                .params
                .iter()
                .find(|p| p.location == Location::Path && p.name == name)
            {
                self.validate(req, p, &coerce(value, &p.schema), out);
            }
        }
    }

    fn check_query(&self, req: &RequestView<'_>, out: &mut Vec<Violation>) {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query.unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        for (name, value) in &pairs {
            let declared = self
                .params
                .iter()
                .find(|p| p.location == Location::Query && p.name == *name);
            match declared {
                Some(p) => self.validate(req, p, &coerce(value, &p.schema), out),
                None => out.push(self.violation(
                    req,
                    format!("query {name}"),
                    "not a parameter of this operation".into(),
                )),
            }
        }
        for p in self
            .params
            .iter()
            .filter(|p| p.location == Location::Query && p.required)
        {
            if !pairs.iter().any(|(n, _)| *n == p.name) {
                out.push(self.violation(
                    req,
                    format!("query {}", p.name),
                    "required by the spec and missing".into(),
                ));
            }
        }
    }

    fn check_headers(&self, req: &RequestView<'_>, out: &mut Vec<Violation>) {
        for p in self
            .params
            .iter()
            .filter(|p| p.location == Location::Header)
        {
            match req.headers.get(p.name.as_str()).map(|v| v.to_str()) {
                Some(Ok(v)) => self.validate(req, p, &json!(v), out),
                Some(Err(_)) => out.push(self.violation(
                    req,
                    format!("header {}", p.name),
                    "is not visible ASCII".into(),
                )),
                None if p.required => out.push(self.violation(
                    req,
                    format!("header {}", p.name),
                    "required by the spec and missing".into(),
                )),
                None => {}
            }
        }
    }

    fn check_body(&self, req: &RequestView<'_>, out: &mut Vec<Violation>) {
        if req.body.is_empty() {
            if self.body_required {
                let at = Location::Body.to_string();
                out.push(self.violation(req, at, "required and missing".into()));
            }
            return;
        }
        let Some(schema) = &self.body_schema else {
            return;
        };
        let body: Value = match serde_json::from_slice(req.body) {
            Ok(b) => b,
            Err(e) => {
                let at = Location::Body.to_string();
                out.push(self.violation(req, at, format!("is not JSON: {e}")));
                return;
            }
        };
        match compile(&self.body_validator, schema) {
            Ok(v) => out.extend(v.iter_errors(&body).map(|e| {
                let at = format!("{} {}", Location::Body, e.instance_path().as_str());
                self.violation(req, at.trim_end().to_string(), e.to_string())
            })),
            Err(e) => {
                tracing::warn!(route = %self.template, error = e, "a body schema does not compile")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_normalise_whatever_their_parameter_names() {
        assert_eq!(
            normalise("/stores/{store_hash}/v3/pricelists/{id}/records"),
            normalise("/stores/{hash}/v3/pricelists/{price_list_id}/records")
        );
    }

    #[test]
    fn query_values_read_as_their_declared_types() {
        assert_eq!(coerce("5", &json!({"type": "integer"})), json!(5));
        assert_eq!(coerce("x5", &json!({"type": "integer"})), json!("x5"));
        assert_eq!(coerce("true", &json!({"type": "boolean"})), json!(true));
        assert_eq!(
            coerce(
                "1,2",
                &json!({"type": "array", "items": {"type": "integer"}})
            ),
            json!([1, 2])
        );
        assert_eq!(
            coerce("1", &json!({"type": ["number", "null"]})),
            json!(1.0)
        );
    }

    #[test]
    fn server_paths_keep_only_the_path() {
        let d = json!({"servers": [{"url": "https://api.bigcommerce.com/stores/{store_hash}/v3"}]});
        assert_eq!(server_path(&d), "/stores/{store_hash}/v3");
    }
}
