//! The small HTML pages the merchant sees in the BigCommerce control panel after an install.
//! Every interpolated text is escaped; no page ever carries a token or a secret.

use lambda_http::{Body, Response};

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An HTML page with `status`, a heading and a paragraph (both escaped here).
pub fn page(status: u16, heading: &str, text: &str) -> Response<Body> {
    page_html(status, heading, &format!("<p>{}</p>", escape(text)))
}

/// An HTML page with `status`, a heading (escaped here) and `body`: markup the caller built,
/// every text in it already escaped with [`escape`].
pub fn page_html(status: u16, heading: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{h}</title></head>\
         <body><h1>{h}</h1>{body}</body></html>\n",
        h = escape(heading),
    );
    let mut resp = Response::new(Body::Text(html));
    *resp.status_mut() = lambda_http::http::StatusCode::from_u16(status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    headers.insert(
        "content-type",
        lambda_http::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        "cache-control",
        lambda_http::http::HeaderValue::from_static("no-store"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
        let p = page(400, "Bad", "<script>");
        assert_eq!(p.status(), 400);
        match p.body() {
            Body::Text(t) => assert!(t.contains("&lt;script&gt;") && !t.contains("<script>")),
            _ => panic!("text body"),
        }
    }
}
