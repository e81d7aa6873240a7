//! The ground floor of webhook-intake: the HTTP answers every route gives (JSON, cXML, HTML
//! pages) and the helpers the routes share (a path's last segment, hex hashes, the enqueue that
//! gives up before the invocation's deadline, the count of procurement exchanges). It imports no
//! route module, so every route module may import it.

use std::time::Duration;

use b2b_cxml::Status;
use b2b_shared::queue::{OutgoingMessage, Queue};
use lambda_http::http::{header, HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{json, Value};

/// Where a record meant for the worker's field mapping goes instead of `POST /inbound`: the
/// reason `/inbound` adds when it refuses one.
pub const MAPPED_RECORDS_GO_TO_THE_QUEUE: &str = "records for the field mapping go to the \
    inbound queue directly (see docs/erp/mapping.md)";

/// Whether `item` names a command type this toolkit knows (else it may be a mapped record).
pub fn names_a_command_type(item: &Value) -> bool {
    item.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| b2b_commands::COMMAND_TYPES.contains(&t))
}
use sha2::{Digest, Sha256};

/// An answer: status and JSON body.
pub(crate) fn answer(status: StatusCode, body: Value) -> Response<Body> {
    let mut resp = Response::new(Body::Text(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// An answer of `status` whose JSON body is `{"error": message}`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response<Body> {
    answer(status, json!({ "error": message }))
}

/// A refused request: status and JSON body, turned into a response at the edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The status.
    pub status: StatusCode,
    /// The JSON body.
    pub body: Value,
}

impl Refusal {
    /// A refusal whose body is `{"error": message}`.
    pub fn new(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            body: json!({ "error": message }),
        }
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response<Body> {
        answer(self.status, self.body)
    }
}

/// The bare 401 of a request whose credentials are missing or wrong.
pub(crate) fn unauthorized() -> Response<Body> {
    error(StatusCode::UNAUTHORIZED, "unauthorized")
}

/// The 503 asking the sender to retry (a queue, a table or a secret that cannot be reached).
pub(crate) fn unavailable() -> Response<Body> {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily unavailable, retry later",
    )
}

/// The outcome of a cXML request: its status and a text for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CxmlAnswer {
    /// The cXML status.
    pub status: Status,
    /// Why, for people (in the `Status` element).
    pub detail: String,
}

impl CxmlAnswer {
    /// An answer of `status` with `detail`.
    pub fn new(status: Status, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }

    /// The answer asking the sender to send again later.
    pub fn unavailable() -> Self {
        Self::new(
            Status::InternalError,
            "temporarily unavailable; send the document again later",
        )
    }
}

/// An HTTP answer carrying the cXML document `doc`.
pub(crate) fn xml_response(doc: String) -> Response<Body> {
    let mut resp = Response::new(Body::Text(doc));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=UTF-8"),
    );
    resp
}

/// The ISO 8601 time of unix second `now`.
pub(crate) fn timestamp(now: i64) -> String {
    chrono::DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The HTTP response carrying `answer` to the request `payload_id`.
pub fn cxml_response(payload_id: &str, answer: &CxmlAnswer, now: i64) -> Response<Body> {
    let doc = b2b_cxml::response(payload_id, &timestamp(now), answer.status, &answer.detail);
    let mut resp = xml_response(doc);
    if answer.status == Status::InternalError {
        *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    }
    resp
}

/// Counts one procurement exchange: `document` (`OrderRequest`, `PunchOutSetupRequest`,
/// `PunchOutStart`, `PunchOutReturn`, `Unreadable`) answered with `status` (the cXML status
/// code, or the HTTP status of a browser's page), so refusals and outages can be alarmed on.
pub(crate) fn count_exchange(document: &str, status: u16) {
    let status = status.to_string();
    b2b_shared::telemetry::emit_metrics(
        &[
            ("Function", "webhook-intake"),
            ("Document", document),
            ("Status", &status),
        ],
        &[b2b_shared::telemetry::Metric {
            name: "ProcurementDocuments",
            value: 1.0,
            unit: "Count",
        }],
    );
}

/// An HTML page for the shopper: `status`, a title and what happened.
pub(crate) fn page(status: StatusCode, title: &str, message: &str) -> Response<Body> {
    let mut resp = Response::new(Body::Text(b2b_cxml::html_page(title, message)));
    *resp.status_mut() = status;
    html_headers(resp.headers_mut());
    resp
}

/// The headers of every page: HTML, never cached, no referrer (the start page's path is a
/// session id).
pub(crate) fn html_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
}

/// The last segment of `path` when what comes before it ends with `route` (`/prod/procurement/cxml/abc`
/// after `/procurement/cxml` is `abc`).
pub(crate) fn segment_after<'a>(path: &'a str, route: &str) -> Option<&'a str> {
    let (prefix, last) = path.trim_end_matches('/').rsplit_once('/')?;
    prefix.ends_with(route).then_some(last)
}

/// `bytes` as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A FIFO-safe id (≤ 128 characters of hex) for a key.
pub(crate) fn short_hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes())[..20])
}

/// Time kept back from the deadline to release the record and answer after a hung enqueue.
const ANSWER_RESERVE: Duration = Duration::from_millis(1500);

/// Enqueues `message` on `queue`, giving up in time to answer before the invocation's deadline
/// (`remaining` until it; a hung queue must not keep a record in progress and the caller
/// waiting until Lambda kills us).
pub(crate) async fn enqueue(
    queue: &dyn Queue,
    message: &OutgoingMessage,
    remaining: Option<Duration>,
) -> Result<(), String> {
    let send = queue.send_all(std::slice::from_ref(message));
    match remaining {
        Some(r) => match tokio::time::timeout(r.saturating_sub(ANSWER_RESERVE), send).await {
            Ok(sent) => sent.map_err(|e| e.to_string()),
            Err(_) => Err("the queue did not answer before the invocation's deadline".into()),
        },
        None => send.await.map_err(|e| e.to_string()),
    }
}
