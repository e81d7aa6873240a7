//! Response envelopes and error bodies of both API families, plus request helpers (query
//! parameters, JSON bodies, paging).

use std::collections::HashMap;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// Type URL used in v3 error bodies.
pub const V3_ERROR_TYPE: &str =
    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

/// What a handler answers: early refusals travel in `Err`, so a handler reads its request with
/// `?`; axum answers either side as it is.
pub type Answer = Result<Response, Response>;

/// A JSON response with a status.
pub fn json_status(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut r = (status, bytes).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// B2B single-object success: `{code, data, meta:{message}}`.
pub fn b2b_ok(data: Value) -> Response {
    json_status(
        StatusCode::OK,
        &json!({"code": 200, "data": data, "meta": {"message": "SUCCESS"}}),
    )
}

/// B2B single-object success without `meta`: `{code, data}`, as the B2B order operations
/// declare their answers.
pub fn b2b_ok_bare(data: Value) -> Response {
    json_status(StatusCode::OK, &json!({"code": 200, "data": data}))
}

/// B2B list success with `meta.pagination`.
pub fn b2b_list(items: Vec<Value>, page: &Page, total: usize) -> Response {
    json_status(
        StatusCode::OK,
        &json!({
            "code": 200,
            "meta": {"message": "SUCCESS", "pagination": {"totalCount": total, "limit": page.limit, "offset": page.offset}},
            "data": items,
        }),
    )
}

/// B2B success in the quote style: `{code, data, message}`.
pub fn quote_ok(data: Value) -> Response {
    json_status(
        StatusCode::OK,
        &json!({"code": 200, "data": data, "message": "SUCCESS"}),
    )
}

/// B2B error: `{code, data, meta:{message}}`.
pub fn b2b_err(status: StatusCode, message: &str, data: Value) -> Response {
    json_status(
        status,
        &json!({"code": status.as_u16(), "data": data, "meta": {"message": message}}),
    )
}

/// B2B 404.
pub fn b2b_not_found(what: &str) -> Response {
    let msg = format!("{what} not found");
    b2b_err(StatusCode::NOT_FOUND, &msg, json!({"errMsg": msg}))
}

/// B2B validation error with `data.errMsg`.
pub fn b2b_invalid(errmsg: Value) -> Response {
    let message = match &errmsg {
        Value::String(s) => s.clone(),
        _ => "Validation failed".to_string(),
    };
    b2b_err(
        StatusCode::UNPROCESSABLE_ENTITY,
        &message,
        json!({ "errMsg": errmsg }),
    )
}

/// B2B 413 for bulk bodies above the item cap.
pub fn b2b_too_large(max: usize, got: usize) -> Response {
    let msg = format!("Bulk requests accept at most {max} items, got {got}");
    b2b_err(
        StatusCode::PAYLOAD_TOO_LARGE,
        &msg,
        json!({ "errMsg": msg }),
    )
}

/// v3 `{data, meta:{}}`.
pub fn v3_data(data: Value) -> Response {
    json_status(StatusCode::OK, &json!({"data": data, "meta": {}}))
}

/// Whether a v3 list's `meta.pagination` has `links` (the price-list specs' pagination has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// `links {previous, current, next}`, as most v3 lists.
    With,
    /// No links.
    Without,
}

/// v3 list with `meta.pagination`.
pub fn v3_list(items: Vec<Value>, page: &Page, total: usize, links: Links) -> Response {
    json_status(StatusCode::OK, &v3_list_body(items, page, total, links))
}

/// The body of a v3 list.
pub fn v3_list_body(items: Vec<Value>, page: &Page, total: usize, with: Links) -> Value {
    let per_page = page.limit.max(1);
    let total_pages = total.div_ceil(per_page);
    let current = page.page;
    let mut links = serde_json::Map::new();
    links.insert(
        "current".into(),
        json!(format!("?page={current}&limit={per_page}")),
    );
    if current > 1 {
        links.insert(
            "previous".into(),
            json!(format!("?page={}&limit={per_page}", current - 1)),
        );
    }
    if current < total_pages {
        links.insert(
            "next".into(),
            json!(format!("?page={}&limit={per_page}", current + 1)),
        );
    }
    let count = items.len();
    let mut pagination = json!({
        "total": total,
        "count": count,
        "per_page": per_page,
        "current_page": current,
        "total_pages": total_pages,
    });
    if with == Links::With {
        pagination["links"] = Value::Object(links);
    }
    json!({"data": items, "meta": {"pagination": pagination}})
}

/// v3 error: `{status, title, type, errors}`.
pub fn v3_err(status: StatusCode, title: &str, errors: Value) -> Response {
    json_status(
        status,
        &json!({"status": status.as_u16(), "title": title, "type": V3_ERROR_TYPE, "errors": errors}),
    )
}

/// v3 404.
pub fn v3_not_found(what: &str) -> Response {
    v3_err(
        StatusCode::NOT_FOUND,
        &format!("{what} not found"),
        json!({}),
    )
}

/// v2 error: `[{status, message}]`.
pub fn v2_err(status: StatusCode, message: &str) -> Response {
    json_status(
        status,
        &json!([{"status": status.as_u16(), "message": message}]),
    )
}

/// v2 404, as BigCommerce words it.
pub fn v2_not_found() -> Response {
    v2_err(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
    )
}

/// v3 422 titled `title`, naming no field.
pub fn v3_unprocessable(title: &str) -> Response {
    v3_err(StatusCode::UNPROCESSABLE_ENTITY, title, json!({}))
}

/// v3 422 naming the fields that are wrong.
pub fn v3_invalid(errors: Map<String, Value>) -> Response {
    v3_err(
        StatusCode::UNPROCESSABLE_ENTITY,
        "JSON data is missing or invalid",
        Value::Object(errors),
    )
}

/// `204 No Content` with an empty body.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Query parameters in request order (repeats allowed).
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses a raw query string (`application/x-www-form-urlencoded`).
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        Params(pairs)
    }

    /// First value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// All values of exactly `name` (`externalId[]` where the spec spells it so), comma lists
    /// split.
    pub fn exact(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// All values of `name` and `name[]`, comma lists split.
    pub fn all(&self, name: &str) -> Vec<String> {
        let bracket = format!("{name}[]");
        self.0
            .iter()
            .filter(|(k, _)| k == name || *k == bracket)
            .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Integer value of `name`; `Err` with the parameter name when present but not a number.
    pub fn int(&self, name: &str) -> Result<Option<i64>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| format!("{name} must be an integer, got {v:?}")),
        }
    }

    /// Integer list of `name` (`id:in=1,2`).
    pub fn ints(&self, name: &str) -> Result<Vec<i64>, String> {
        self.all(name)
            .iter()
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| format!("{name} must hold integers, got {v:?}"))
            })
            .collect()
    }
}

/// A page request: offset/limit (B2B) or page/limit (v2, v3).
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Items to skip.
    pub offset: usize,
    /// Page size.
    pub limit: usize,
    /// 1-based page number (v2/v3).
    pub page: usize,
}

impl Page {
    /// B2B paging: `offset` + `limit` (default 10, capped at `max`).
    pub fn b2b(p: &Params, max: usize) -> Result<Page, String> {
        let limit = p.int("limit")?.unwrap_or(10).clamp(1, max as i64) as usize;
        let offset = p.int("offset")?.unwrap_or(0).max(0) as usize;
        Ok(Page {
            offset,
            limit,
            page: offset / limit + 1,
        })
    }

    /// v2/v3 paging: `page` + `limit` (default 50, capped at 250).
    pub fn pages(p: &Params) -> Result<Page, String> {
        let limit = p.int("limit")?.unwrap_or(50).clamp(1, 250) as usize;
        let page = p.int("page")?.unwrap_or(1).max(1) as usize;
        Ok(Page {
            offset: (page - 1) * limit,
            limit,
            page,
        })
    }

    /// Clones of the borrowed items on this page.
    pub fn slice_refs(&self, items: &[&serde_json::Value]) -> Vec<serde_json::Value> {
        items
            .iter()
            .skip(self.offset)
            .take(self.limit)
            .map(|v| (*v).clone())
            .collect()
    }

    /// The slice of `items` on this page.
    pub fn slice<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .skip(self.offset)
            .take(self.limit)
            .cloned()
            .collect()
    }
}

/// The path parameters of a route, by name.
pub type PathParams = Path<HashMap<String, String>>;

/// Integer path parameter `name`, when it reads as one.
pub fn path_id(p: &HashMap<String, String>, name: &str) -> Option<i64> {
    p.get(name).and_then(|v| v.trim().parse().ok())
}

/// A v2 list's `page` and `limit`, or the 400 answer.
pub fn v2_page(q: Option<String>) -> Result<(Params, Page), Response> {
    page_params(q, |e| v2_err(StatusCode::BAD_REQUEST, e))
}

/// A v3 list's `page` and `limit`, or the 422 answer.
pub fn v3_page(q: Option<String>) -> Result<(Params, Page), Response> {
    page_params(q, v3_unprocessable)
}

fn page_params(
    q: Option<String>,
    refuse: impl FnOnce(&str) -> Response,
) -> Result<(Params, Page), Response> {
    let p = Params::parse(q.as_deref());
    match Page::pages(&p) {
        Ok(page) => Ok((p, page)),
        Err(e) => Err(refuse(&e)),
    }
}

/// A v2 request body that must be a JSON object, or the 400 answer.
pub fn v2_object_body(bytes: &[u8]) -> Result<Value, Response> {
    match parse_body(bytes) {
        Ok(b @ Value::Object(_)) => Ok(b),
        Ok(_) => Err(v2_err(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(v2_err(StatusCode::BAD_REQUEST, &e)),
    }
}

/// A v3 JSON request body, or the 400 answer.
pub fn v3_body(bytes: &[u8]) -> Result<Value, Response> {
    parse_body(bytes).map_err(|e| v3_err(StatusCode::BAD_REQUEST, &e, json!({})))
}

/// A v3 request body that must be a JSON array, or the 422 answer titled `not_array`.
pub fn v3_array_body(bytes: &[u8], not_array: &str) -> Result<Vec<Value>, Response> {
    match v3_body(bytes)? {
        Value::Array(a) => Ok(a),
        _ => Err(v3_unprocessable(not_array)),
    }
}

/// Whether `v` is within the bounds a list filter gives (`min..=max`, either open).
pub fn within(v: i64, min: Option<i64>, max: Option<i64>) -> bool {
    min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
}

/// Parses a JSON request body; an empty body is `null`.
pub fn parse_body(bytes: &[u8]) -> Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| format!("The request body is not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let p = Params::parse(Some(
            "a=1&b=x%20y&c[]=1&c=2,3&min_date_modified=Tue%2C+20+Nov+2012",
        ));
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("x y"));
        assert_eq!(p.all("c"), vec!["1", "2", "3"]);
        assert_eq!(p.get("min_date_modified"), Some("Tue, 20 Nov 2012"));
        assert!(p.int("b").is_err());
        assert_eq!(Params::parse(Some("x=%")).get("x"), Some("%"));
    }

    #[test]
    fn paging_defaults_and_caps() {
        let p = Page::b2b(&Params::parse(Some("limit=1000&offset=20")), 250).unwrap_or(Page {
            offset: 0,
            limit: 0,
            page: 0,
        });
        assert_eq!((p.limit, p.offset), (250, 20));
        let d = Page::pages(&Params::default()).map(|p| (p.limit, p.page));
        assert_eq!(d, Ok((50, 1)));
    }
}
