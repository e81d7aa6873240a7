//! The synchronous cXML `Response`: a status code and text the cXML spec defines, and a
//! detail for people, in a document whose `payloadID` is derived from the request's (so a
//! resent request gets the same answer, byte for byte, given the same timestamp).

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// The cXML DTD a response names (never fetched by us; procurement systems validate with it).
pub const CXML_DOCTYPE: &str = r#"cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.014/cXML.dtd""#;

/// The statuses this answers with (cXML's codes and texts, cXML User's Guide "Status").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 200 OK: accepted.
    Ok,
    /// 400 Bad Request: parsed correctly, but unacceptable (a wrong total, an unknown buyer,
    /// a PO for another supplier, an order type not taken).
    BadRequest,
    /// 401 Unauthorized: the Sender's credentials or shared secret are not recognized.
    Unauthorized,
    /// 406 Not Acceptable: unacceptable, likely due to a parsing failure (not well-formed, a
    /// refused DOCTYPE, too large).
    NotAcceptable,
    /// 409 Conflict: the state of the server prevents it (the same orderID came before with
    /// other content).
    Conflict,
    /// 450 Not Implemented: a request this supplier does not offer (punch-out, for now).
    NotImplemented,
    /// 500 Internal Server Error: try again later.
    InternalError,
}

impl Status {
    /// The cXML status code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::Unauthorized => 401,
            Status::NotAcceptable => 406,
            Status::Conflict => 409,
            Status::NotImplemented => 450,
            Status::InternalError => 500,
        }
    }

    /// The cXML status text.
    pub fn text(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::BadRequest => "Bad Request",
            Status::Unauthorized => "Unauthorized",
            Status::NotAcceptable => "Not Acceptable",
            Status::Conflict => "Conflict",
            Status::NotImplemented => "Not Implemented",
            Status::InternalError => "Internal Server Error",
        }
    }
}

/// A cXML `Response` document to the request whose payloadID is `request_payload_id`, with
/// `detail` for people (escaped), stamped `timestamp` (ISO 8601).
pub fn response(request_payload_id: &str, timestamp: &str, status: Status, detail: &str) -> String {
    let mut w = Writer::new(Vec::new());
    let payload = format!("{request_payload_id}.response");
    let code = status.code().to_string();
    let mut root = BytesStart::new("cXML");
    root.push_attribute(("payloadID", payload.as_str()));
    root.push_attribute(("timestamp", timestamp));
    root.push_attribute(("xml:lang", "en-US"));
    let mut st = BytesStart::new("Status");
    st.push_attribute(("code", code.as_str()));
    st.push_attribute(("text", status.text()));
    let events = [
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
        Event::DocType(BytesText::from_escaped(CXML_DOCTYPE)),
        Event::Start(root),
        Event::Start(BytesStart::new("Response")),
        Event::Start(st),
        Event::Text(BytesText::new(detail)),
        Event::End(BytesEnd::new("Status")),
        Event::End(BytesEnd::new("Response")),
        Event::End(BytesEnd::new("cXML")),
    ];
    for e in events {
        // Writing to a Vec cannot fail.
        let _ = w.write_event(e);
    }
    String::from_utf8_lossy(&w.into_inner()).into_owned()
}

/// A cXML `Response` as read: the `Status` code and its text (the detail when there is one,
/// else the status text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseStatus {
    /// The cXML status code (200, 201, 400, 401, 500, 560...).
    pub code: u16,
    /// What the receiver said.
    pub text: String,
}

impl ResponseStatus {
    /// 2xx: the receiver took the document.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 5xx: the receiver could not take it now; sending it again later may succeed.
    pub fn is_temporary(&self) -> bool {
        self.code >= 500
    }
}

#[derive(serde::Deserialize)]
struct ResponseDoc {
    #[serde(rename = "Response")]
    response: Option<ResponseBody>,
}

#[derive(serde::Deserialize)]
struct ResponseBody {
    #[serde(rename = "Status")]
    status: StatusOut,
}

#[derive(serde::Deserialize)]
struct StatusOut {
    #[serde(rename = "@code")]
    code: u16,
    #[serde(rename = "@text", default)]
    text: String,
    #[serde(rename = "$text", default)]
    detail: String,
}

/// Reads the `Response` a receiver answered a document with (never resolving a DTD or
/// entity).
pub fn read_response(xml: &[u8]) -> Result<ResponseStatus, crate::CxmlError> {
    let doc: ResponseDoc = crate::guard::decode(xml)?;
    let status = doc
        .response
        .ok_or_else(|| crate::CxmlError::invalid("Response", "is required"))?
        .status;
    let detail = status.detail.trim();
    Ok(ResponseStatus {
        code: status.code,
        text: if detail.is_empty() {
            status.text
        } else {
            detail.to_owned()
        },
    })
}

/// `doc` serialized as the `cXML` root, after the XML declaration and the cXML DOCTYPE.
pub(crate) fn with_prolog<T: serde::Serialize>(doc: &T) -> String {
    // Serializing the crate's plain structs cannot fail: every field is a string or a number.
    let xml = quick_xml::se::to_string_with_root("cXML", doc).unwrap_or_default();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE {CXML_DOCTYPE}>\n{xml}")
}
