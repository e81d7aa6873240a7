//! One error type for every BigCommerce and B2B Edition call, classified once where it arises.
//!
//! [`BcError::is_retryable`] is what handlers act on: retryable errors (429, 5xx, transport,
//! deadline, outages of the credentials source) are retried by SQS or the next run; permanent ones
//! (validation, other 4xx, undecodable answers) go to a dead-letter queue with their reason.
//! BigCommerce's own error bodies are parsed into [`ApiError`] so the reason is readable.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::credentials::CredentialsError;

/// Which BigCommerce API a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// The management API (`/stores/{hash}/v2|v3`).
    Core,
    /// The B2B Edition API (`/api/v3/io`).
    B2b,
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Api::Core => "core",
            Api::B2b => "b2b",
        })
    }
}

/// One failed item of a B2B bulk call (`data.errors[{id,_detail}]`).
#[derive(Debug, Clone, PartialEq)]
pub struct B2bItemError {
    /// The item's id or index as BigCommerce reports it.
    pub id: String,
    /// What was wrong with it.
    pub detail: String,
}

/// One failed record of a v3 batch call (`batch_errors[{data, field_errors}]`).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItemError {
    /// The record that failed, as sent back.
    pub data: Value,
    /// Field name → message.
    pub field_errors: Vec<(String, String)>,
}

/// An error body from BigCommerce, parsed into whichever shape it has.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// v3: `{status, title, type, instance, errors{field: msg}}`.
    V3 {
        /// `title`.
        title: String,
        /// `detail`, when the answer explains itself further.
        detail: Option<String>,
        /// `type`, a documentation URL.
        kind: Option<String>,
        /// `errors`, field → message.
        errors: Vec<(String, String)>,
    },
    /// v3 batch: `{batch_errors:[...]}`.
    Batch(Vec<BatchItemError>),
    /// v2: `[{status, message, details}]`.
    V2 {
        /// The messages, in order.
        messages: Vec<String>,
    },
    /// B2B: `{code, meta.message, data.errMsg | data.errors[{id,_detail}]}`.
    B2b {
        /// `code`.
        code: Option<i64>,
        /// `meta.message` (or `message`).
        message: Option<String>,
        /// `data.errMsg`, when it is text.
        err_msg: Option<String>,
        /// `data.errMsg` when it names fields (`{"roles": {"0": ["..."]}}`): path → message.
        fields: Vec<(String, String)>,
        /// `data.errors`.
        items: Vec<B2bItemError>,
    },
    /// Anything else, cut to a readable length.
    Unparsed(String),
}

const MAX_UNPARSED: usize = 300;
/// Longest message kept of one error field.
const MAX_MESSAGE: usize = 200;
/// Most field messages shown of one error.
const MAX_FIELDS: usize = 10;

/// `s` cut to `max` characters, with an ellipsis when cut.
fn trimmed(s: &str, max: usize) -> String {
    let mut cut: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        cut.push('…');
    }
    cut
}

/// Field messages of a nested error object, by dotted path (`roles.0`), leaves joined.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    let path = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&path(k), v, out);
            }
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let texts: Vec<String> = items.iter().filter_map(text).collect();
            out.push((prefix.to_owned(), texts.join("; ")));
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&path(&i.to_string()), v, out);
            }
        }
        other => out.push((prefix.to_owned(), text(other).unwrap_or_default())),
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Null | Value::String(_) => None,
        other => Some(other.to_string()),
    }
}

fn field_messages(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), text(v).unwrap_or_default()))
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), text(v).unwrap_or_default()))
            .collect(),
        _ => Vec::new(),
    }
}

impl ApiError {
    /// Parses an error body of any BigCommerce API. Never fails: unknown shapes are kept as text.
    pub fn parse(api: Api, body: &[u8]) -> Self {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return ApiError::Unparsed(trimmed(&String::from_utf8_lossy(body), MAX_UNPARSED));
        };
        if let Some(batch) = Self::batch(&value) {
            return batch;
        }
        if let Some(v2) = Self::v2(&value) {
            return v2;
        }
        let looks_b2b = api == Api::B2b || value.get("code").is_some();
        if looks_b2b && value.get("title").is_none() {
            return Self::b2b(&value);
        }
        if let Some(v3) = Self::v3(&value) {
            return v3;
        }
        let s = value.to_string();
        ApiError::Unparsed(s.chars().take(MAX_UNPARSED).collect())
    }

    /// A v3 batch answer: `{batch_errors: [{data, field_errors}]}`.
    fn batch(value: &Value) -> Option<Self> {
        let Some(Value::Array(items)) = value.get("batch_errors") else {
            return None;
        };
        Some(ApiError::Batch(
            items
                .iter()
                .map(|it| BatchItemError {
                    data: it.get("data").cloned().unwrap_or(Value::Null),
                    field_errors: field_messages(it.get("field_errors")),
                })
                .collect(),
        ))
    }

    /// A v2 answer: `[{status, message, details}]` with at least one message.
    fn v2(value: &Value) -> Option<Self> {
        let Value::Array(items) = value else {
            return None;
        };
        let messages: Vec<String> = items
            .iter()
            .filter_map(|i| {
                let msg = i.get("message").and_then(text)?;
                Some(match i.get("details").and_then(text) {
                    Some(d) => format!("{msg} ({d})"),
                    None => msg,
                })
            })
            .collect();
        (!messages.is_empty()).then_some(ApiError::V2 { messages })
    }

    /// A B2B answer: `{code, meta.message, data.errMsg | data.errors}`.
    fn b2b(value: &Value) -> Self {
        let data = value.get("data");
        let err_msg = data.and_then(|d| d.get("errMsg").or_else(|| d.get("err_msg")));
        let (err_msg, fields) = b2b_err_msg(err_msg);
        ApiError::B2b {
            code: value.get("code").and_then(|c| {
                c.as_i64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            }),
            message: value
                .get("meta")
                .and_then(|m| m.get("message"))
                .or_else(|| value.get("message"))
                .and_then(text),
            err_msg,
            fields,
            items: b2b_items(data.and_then(|d| d.get("errors"))),
        }
    }

    /// A v3 answer: `{title, detail, type, errors}`, when it has a title.
    fn v3(value: &Value) -> Option<Self> {
        let title = value.get("title").and_then(text)?;
        Some(ApiError::V3 {
            title,
            detail: value.get("detail").and_then(text),
            kind: value.get("type").and_then(text),
            errors: field_messages(value.get("errors")),
        })
    }
}

/// The failed items of a B2B bulk answer's `data.errors`: a list of `{id, _detail}`, or an
/// object of id → message.
fn b2b_items(errors: Option<&Value>) -> Vec<B2bItemError> {
    match errors {
        Some(Value::Array(errs)) => errs
            .iter()
            .map(|e| B2bItemError {
                id: e.get("id").and_then(text).unwrap_or_default(),
                detail: e
                    .get("_detail")
                    .or_else(|| e.get("detail"))
                    .and_then(text)
                    .unwrap_or_else(|| e.to_string()),
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| B2bItemError {
                id: k.clone(),
                detail: text(v).unwrap_or_default(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A B2B answer's `data.errMsg`: its text (a list's texts joined), or, when it is an object
/// naming fields, no text and the field messages by path.
fn b2b_err_msg(err_msg: Option<&Value>) -> (Option<String>, Vec<(String, String)>) {
    let mut fields = Vec::new();
    let message = match err_msg {
        Some(v @ Value::Object(_)) => {
            flatten("", v, &mut fields);
            None
        }
        Some(Value::Array(items)) => {
            let texts: Vec<String> = items.iter().filter_map(text).collect();
            Some(texts.join("; ")).filter(|t| !t.is_empty())
        }
        Some(v) => text(v),
        None => None,
    };
    (message, fields)
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> =
            match self {
                ApiError::V3 {
                    title,
                    detail,
                    errors,
                    ..
                } => {
                    let mut head = trimmed(title, MAX_MESSAGE);
                    if let Some(d) = detail.as_deref().filter(|d| *d != title) {
                        head = format!("{head}: {}", trimmed(d, MAX_MESSAGE));
                    }
                    std::iter::once(head).chain(field_parts(errors)).collect()
                }
                ApiError::Batch(items) => {
                    let fields: Vec<(String, String)> = items
                        .iter()
                        .flat_map(|i| i.field_errors.iter().cloned())
                        .collect();
                    std::iter::once(format!("{} record(s) rejected", items.len()))
                        .chain(field_parts(&fields))
                        .collect()
                }
                ApiError::V2 { messages } => messages.clone(),
                ApiError::B2b {
                    message,
                    err_msg,
                    fields,
                    items,
                    ..
                } => {
                    let parts: Vec<String> =
                        [message, err_msg]
                            .into_iter()
                            .flatten()
                            .map(|m| trimmed(m, MAX_MESSAGE))
                            .chain(items.iter().take(MAX_FIELDS).map(|i| {
                                format!("item {}: {}", i.id, trimmed(&i.detail, MAX_MESSAGE))
                            }))
                            .chain(field_parts(fields))
                            .collect();
                    if parts.is_empty() {
                        return f.write_str("no message");
                    }
                    parts
                }
                ApiError::Unparsed(s) if s.trim().is_empty() => return f.write_str("empty body"),
                ApiError::Unparsed(s) => return f.write_str(s),
            };
        f.write_str(&parts.join("; "))
    }
}

/// `field: message` for at most [`MAX_FIELDS`] fields, then how many were left out.
fn field_parts(fields: &[(String, String)]) -> impl Iterator<Item = String> + '_ {
    let shown = fields
        .iter()
        .take(MAX_FIELDS)
        .map(|(field, msg)| format!("{field}: {}", trimmed(msg, MAX_MESSAGE)));
    let left = fields.len().saturating_sub(MAX_FIELDS);
    shown.chain((left > 0).then(|| format!("… {left} more")))
}

/// Every way a BigCommerce call can fail.
#[derive(Debug, thiserror::Error)]
pub enum BcError {
    /// 429 after the retries allowed (retryable later).
    #[error("{api} API rate limit: still 429 after {attempts} attempt(s){}", match retry_after { Some(d) => format!(", window resets in {} ms", d.as_millis()), None => String::new() })]
    RateLimited {
        /// Which API.
        api: Api,
        /// How long BigCommerce asked us to wait, when it said.
        retry_after: Option<Duration>,
        /// Attempts made.
        attempts: u32,
    },
    /// 5xx after the retries allowed (retryable later).
    #[error("{api} API server error {status} after {attempts} attempt(s): {body}")]
    Server {
        /// Which API.
        api: Api,
        /// HTTP status.
        status: u16,
        /// The parsed body.
        body: ApiError,
        /// Attempts made.
        attempts: u32,
    },
    /// Connection, TLS or timeout failure after the retries allowed (retryable later).
    #[error("{api} API could not be reached after {attempts} attempt(s): {source}")]
    Transport {
        /// Which API.
        api: Api,
        /// Attempts made.
        attempts: u32,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// 401/403 even with a freshly read secret (permanent until the token is fixed).
    #[error("{api} API refused the credentials ({status}): {body}")]
    Unauthorized {
        /// Which API.
        api: Api,
        /// 401 or 403.
        status: u16,
        /// The parsed body.
        body: ApiError,
    },
    /// 404 (permanent; callers that look things up usually turn it into `None`).
    #[error("{api} API: not found: {body}")]
    NotFound {
        /// Which API.
        api: Api,
        /// The parsed body.
        body: ApiError,
    },
    /// Any other 4xx: the request is wrong and will stay wrong (permanent).
    #[error("{api} API rejected the request ({status}): {body}")]
    Rejected {
        /// Which API.
        api: Api,
        /// HTTP status.
        status: u16,
        /// The parsed body.
        body: ApiError,
    },
    /// A success answer whose body does not decode into the expected type (permanent).
    #[error("{api} API answer to {what} could not be decoded: {reason}")]
    Decode {
        /// Which API.
        api: Api,
        /// Which call.
        what: String,
        /// The decoder's message.
        reason: String,
    },
    /// No time was left before the invocation's deadline to (re)try the call (retryable later).
    #[error("deadline reached before the call could be {}", match last { Some(e) => format!("retried; last error: {e}"), None => "sent".to_owned() })]
    DeadlineExceeded {
        /// The error that would have been retried, if an attempt was made.
        last: Option<Box<BcError>>,
    },
    /// The store's credentials could not be had (retryable when their source says so).
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The caller asked for something that cannot be sent (permanent).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// An offset-paged B2B list shrank while it was read (an entry was deleted between two
    /// pages), so one may have been skipped (retryable: read it again).
    #[error("{api} API list {path} shrank from {was} to {now} entries while it was read: an entry may have been skipped")]
    ListShrank {
        /// Which API.
        api: Api,
        /// The list's path.
        path: String,
        /// The largest `totalCount` seen before.
        was: u64,
        /// The `totalCount` of the last page.
        now: u64,
    },
    /// The store-wide permits ([`StorePermits`](crate::permits::StorePermits)) could not be
    /// used (retryable).
    #[error("store-wide permits unavailable: {0}")]
    Permits(String),
}

impl BcError {
    /// Whether the same call may succeed later: 429, 5xx, transport, deadline, outages of the credentials source.
    pub fn is_retryable(&self) -> bool {
        match self {
            BcError::RateLimited { .. }
            | BcError::Server { .. }
            | BcError::Transport { .. }
            | BcError::DeadlineExceeded { .. }
            | BcError::ListShrank { .. }
            | BcError::Permits(_) => true,
            BcError::Credentials(e) => e.is_retryable(),
            BcError::Unauthorized { .. }
            | BcError::NotFound { .. }
            | BcError::Rejected { .. }
            | BcError::Decode { .. }
            | BcError::InvalidRequest(_) => false,
        }
    }

    /// The HTTP status BigCommerce answered, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            BcError::RateLimited { .. } => Some(429),
            BcError::Server { status, .. }
            | BcError::Unauthorized { status, .. }
            | BcError::Rejected { status, .. } => Some(*status),
            BcError::NotFound { .. } => Some(404),
            BcError::DeadlineExceeded { last } => last.as_ref().and_then(|e| e.status()),
            _ => None,
        }
    }

    /// How long to wait before trying again, when BigCommerce said (for SQS visibility timeouts).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            BcError::RateLimited { retry_after, .. } => *retry_after,
            BcError::DeadlineExceeded { last } => last.as_ref().and_then(|e| e.retry_after()),
            _ => None,
        }
    }

    /// The parsed BigCommerce error body, when there was one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            BcError::Server { body, .. }
            | BcError::Unauthorized { body, .. }
            | BcError::NotFound { body, .. }
            | BcError::Rejected { body, .. } => Some(body),
            BcError::DeadlineExceeded { last } => last.as_ref().and_then(|e| e.api_error()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_error_with_field_errors() {
        let body = br#"{"status":422,"title":"JSON data is missing or invalid","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes","errors":{"name":"name is required"}}"#;
        let e = ApiError::parse(Api::Core, body);
        assert_eq!(
            e,
            ApiError::V3 {
                title: "JSON data is missing or invalid".into(),
                detail: None,
                kind: Some(
                    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
                        .into()
                ),
                errors: vec![("name".into(), "name is required".into())],
            }
        );
        assert_eq!(
            e.to_string(),
            "JSON data is missing or invalid; name: name is required"
        );
    }

    #[test]
    fn v3_batch_errors() {
        let body = br#"{"batch_errors":[{"data":{"sku":"A-1","currency":"usd"},"field_errors":{"price":"must be positive"}}]}"#;
        match ApiError::parse(Api::Core, body) {
            ApiError::Batch(items) => {
                assert_eq!(items.len(), 1);
                assert_eq!(items[0].data["sku"], "A-1");
                assert_eq!(
                    items[0].field_errors,
                    vec![("price".into(), "must be positive".into())]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn b2b_error_shapes() {
        let not_found = br#"{"code":404,"data":{},"meta":{"message":"Company not exists"}}"#;
        assert_eq!(
            ApiError::parse(Api::B2b, not_found).to_string(),
            "Company not exists"
        );
        let logic = br#"{"code":400,"data":{"errMsg":"Email already exists"},"meta":{"message":"Bad Request"}}"#;
        assert_eq!(
            ApiError::parse(Api::B2b, logic).to_string(),
            "Bad Request; Email already exists"
        );
        let bulk = br#"{"code":400,"data":{"errors":[{"id":2,"_detail":"companyEmail is invalid"}]},"meta":{"message":"Bad Request"}}"#;
        match ApiError::parse(Api::B2b, bulk) {
            ApiError::B2b { code, items, .. } => {
                assert_eq!(code, Some(400));
                assert_eq!(
                    items,
                    vec![B2bItemError {
                        id: "2".into(),
                        detail: "companyEmail is invalid".into()
                    }]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn field_errors_in_err_msg_travel_into_the_reason() {
        // The shapes of user.yaml's 422 examples.
        let parameter = br#"{"code":422,"meta":{"message":"Parameter Error"},"data":{"errMsg":{"roles":{"0":["\"99\" is not a valid choice."]}}}}"#;
        assert_eq!(
            ApiError::parse(Api::B2b, parameter).to_string(),
            r#"Parameter Error; roles.0: "99" is not a valid choice."#
        );
        let logic = br#"{"code":422,"meta":{"message":"Processing data contains logical errors"},"data":{"errMsg":{"non_field_errors":["User must have a role."]}}}"#;
        assert_eq!(
            ApiError::parse(Api::B2b, logic).to_string(),
            "Processing data contains logical errors; non_field_errors: User must have a role."
        );
        let list = br#"{"code":400,"data":{"errMsg":["a is wrong","b is wrong"]},"meta":{}}"#;
        assert_eq!(
            ApiError::parse(Api::B2b, list).to_string(),
            "a is wrong; b is wrong"
        );
    }

    #[test]
    fn v3_detail_is_kept_and_long_answers_are_trimmed() {
        let body = br#"{"status":409,"title":"Conflict","detail":"The SKU is already in use."}"#;
        assert_eq!(
            ApiError::parse(Api::Core, body).to_string(),
            "Conflict: The SKU is already in use."
        );
        let many: serde_json::Map<String, Value> = (0..25)
            .map(|i| (format!("f{i:02}"), Value::from("x".repeat(500))))
            .collect();
        let body = serde_json::json!({"status": 422, "title": "Invalid", "errors": many});
        let shown = ApiError::parse(Api::Core, body.to_string().as_bytes()).to_string();
        assert!(shown.ends_with("; … 15 more"), "{shown}");
        assert!(
            shown.len() < 10 * (MAX_MESSAGE + 20) + 40,
            "{}",
            shown.len()
        );
    }

    #[test]
    fn v2_and_unparsed_bodies() {
        let v2 = br#"[{"status":400,"message":"The field 'name' is invalid.","details":{"invalid_reason":"too long"}}]"#;
        assert!(ApiError::parse(Api::Core, v2)
            .to_string()
            .starts_with("The field 'name' is invalid."));
        let html = "<html>bad gateway</html>".repeat(50);
        match ApiError::parse(Api::Core, html.as_bytes()) {
            ApiError::Unparsed(s) => assert!(s.chars().count() <= MAX_UNPARSED + 1),
            other => panic!("{other:?}"),
        }
        assert_eq!(ApiError::parse(Api::Core, b"").to_string(), "empty body");
    }

    #[test]
    fn classification() {
        let rl = BcError::RateLimited {
            api: Api::Core,
            retry_after: Some(Duration::from_millis(5)),
            attempts: 3,
        };
        assert!(rl.is_retryable());
        assert_eq!(rl.retry_after(), Some(Duration::from_millis(5)));
        let rej = BcError::Rejected {
            api: Api::B2b,
            status: 422,
            body: ApiError::Unparsed(String::new()),
        };
        assert!(!rej.is_retryable());
        let dl = BcError::DeadlineExceeded {
            last: Some(Box::new(rl)),
        };
        assert!(dl.is_retryable());
        assert_eq!(dl.status(), Some(429));
    }
}
