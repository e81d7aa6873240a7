//! What the template tests share: `infra/template.yaml` read as YAML, and the little of
//! CloudFormation needed to ask what a deploy with given parameters creates: parameter
//! defaults, `!Ref` to a parameter, conditions (`!Equals`, `!Not`, `!And`, `!Or`,
//! `!Condition`) and `!If`.

#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_norway::Value;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The text of `infra/template.yaml`.
pub fn template_text() -> String {
    std::fs::read_to_string(root().join("infra/template.yaml")).unwrap()
}

/// `infra/template.yaml`, parsed.
pub fn template() -> Value {
    serde_norway::from_str(&template_text()).unwrap()
}

/// The tag of a short-form intrinsic (`!Ref`, `!If`...) and its argument.
fn tagged(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((t.tag.to_string(), &t.value)),
        _ => None,
    }
}

/// The target of a `!Ref X` (YAML short form) or `{Ref: X}`.
pub fn short_ref(v: &Value) -> Option<&str> {
    match tagged(v) {
        Some((tag, value)) if tag == "!Ref" => value.as_str(),
        _ => v["Ref"].as_str(),
    }
}

/// A deploy: the template and the value of every parameter.
pub struct Deploy {
    /// The template.
    pub t: Value,
    /// Every parameter's value: its default unless overridden.
    pub params: BTreeMap<String, String>,
}

impl Deploy {
    /// A deploy with the parameters' defaults, except `overrides`.
    pub fn with(overrides: &[(&str, &str)]) -> Self {
        let t = template();
        let mut params = BTreeMap::new();
        for (name, p) in t["Parameters"].as_mapping().unwrap() {
            let name = name.as_str().unwrap().to_owned();
            if let Some(default) = scalar_text(&p["Default"]) {
                params.insert(name, default);
            }
        }
        for (k, v) in overrides {
            assert!(
                t["Parameters"].get(*k).is_some(),
                "no parameter {k} in the template"
            );
            params.insert((*k).to_owned(), (*v).to_owned());
        }
        Self { t, params }
    }

    /// A deploy with every default.
    pub fn default_parameters() -> Self {
        Self::with(&[])
    }

    /// The value of a condition.
    pub fn condition(&self, name: &str) -> bool {
        let c = self.t["Conditions"]
            .get(name)
            .unwrap_or_else(|| panic!("no condition {name}"));
        self.eval(c)
    }

    fn eval(&self, c: &Value) -> bool {
        let (op, args) = match tagged(c) {
            Some((tag, args)) => (tag.trim_start_matches('!').to_owned(), args),
            None => {
                let (k, v) = c.as_mapping().and_then(|m| m.iter().next()).unwrap();
                (k.as_str().unwrap().trim_start_matches("Fn::").to_owned(), v)
            }
        };
        let list = || args.as_sequence().unwrap().iter();
        match op.as_str() {
            "Equals" => {
                let v: Vec<Option<String>> = list().map(|a| self.text(a)).collect();
                v[0] == v[1]
            }
            "Not" => !self.eval(&args[0]),
            "And" => list().all(|a| self.eval(a)),
            "Or" => list().any(|a| self.eval(a)),
            "Condition" => self.condition(args.as_str().unwrap()),
            other => panic!("condition function {other} is not known here"),
        }
    }

    /// `v` with every `!If` decided and a `!Ref` to a parameter replaced by its value.
    pub fn resolve<'a>(&'a self, v: &'a Value) -> Resolved<'a> {
        match tagged(v) {
            Some((tag, args)) if tag == "!If" => {
                let branch = if self.condition(args[0].as_str().unwrap()) {
                    &args[1]
                } else {
                    &args[2]
                };
                self.resolve(branch)
            }
            Some((tag, args)) if tag == "!Ref" => {
                let name = args.as_str().unwrap();
                match self.params.get(name) {
                    Some(p) => Resolved::Text(p.clone()),
                    None if name == "AWS::NoValue" => Resolved::Absent,
                    None => Resolved::Value(v),
                }
            }
            _ if v.is_null() => Resolved::Absent,
            _ => Resolved::Value(v),
        }
    }

    /// `v` resolved, as text when it is a scalar.
    pub fn text(&self, v: &Value) -> Option<String> {
        match self.resolve(v) {
            Resolved::Text(s) => Some(s),
            Resolved::Value(v) => scalar_text(v),
            Resolved::Absent => None,
        }
    }

    /// The resources this deploy creates (no `Condition`, or a true one).
    pub fn resources(&self) -> Vec<(String, &Value)> {
        self.t["Resources"]
            .as_mapping()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Condition"].as_str().is_none_or(|c| self.condition(c)))
            .map(|(k, r)| (k.as_str().unwrap().to_owned(), r))
            .collect()
    }

    /// The created resources of type `kind`.
    pub fn resources_of(&self, kind: &str) -> Vec<(String, &Value)> {
        self.resources()
            .into_iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .collect()
    }
}

/// A value once `!If` and parameter references are resolved.
#[derive(Debug)]
pub enum Resolved<'a> {
    /// A parameter's value.
    Text(String),
    /// The value as written (or the branch chosen).
    Value(&'a Value),
    /// `AWS::NoValue`, or nothing.
    Absent,
}

/// A scalar as text (`30`, `true`, `abc`).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
