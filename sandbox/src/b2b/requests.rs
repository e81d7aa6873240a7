//! Reading B2B requests, as every B2B route family does: JSON bodies (refused 400 in the B2B
//! error shape), paging (`offset`/`limit`), integer filters, `orderBy`, the sort of a list, a
//! refused body's field errors as one line of text; and the single and bulk creates the
//! families make the same way (an entity of one body, or of each item of a bulk body, all or
//! nothing).

use std::borrow::Borrow;
use std::cmp::Ordering;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::model::batch::{self, Create};
use crate::model::{Events, FieldErrors};
use crate::reply::{b2b_err, b2b_invalid, parse_body, Page, Params};
use crate::state::App;
use crate::store::{int, now_secs, text, Store};

/// Bulk endpoints accept at most this many items.
pub const BULK_MAX: usize = 10;

/// Integer field `f` of `v`, 0 when absent.
pub(super) fn int_or_zero(v: &Value, f: &str) -> i64 {
    int(v, f).unwrap_or(0)
}

/// A 400 about the request body.
fn bad_body(msg: &str) -> Response {
    b2b_err(StatusCode::BAD_REQUEST, msg, json!({ "errMsg": msg }))
}

/// A request body that must be a JSON object, or the 400 answer.
pub(super) fn body_object(bytes: &[u8]) -> Result<Value, Response> {
    match parse_body(bytes).map_err(|e| bad_body(&e))? {
        v @ Value::Object(_) => Ok(v),
        _ => Err(bad_body("The request body must be a JSON object")),
    }
}

/// A request body that must be a JSON array, or the 400 answer.
pub(super) fn body_array(bytes: &[u8]) -> Result<Vec<Value>, Response> {
    match parse_body(bytes).map_err(|e| bad_body(&e))? {
        Value::Array(a) => Ok(a),
        _ => Err(bad_body("The request body must be a JSON array")),
    }
}

/// A B2B list's query and page (`limit` capped at `max`), or the 422 answer.
pub(super) fn b2b_page(q: Option<String>, max: usize) -> Result<(Params, Page), Response> {
    let p = Params::parse(q.as_deref());
    match Page::b2b(&p, max) {
        Ok(page) => Ok((p, page)),
        Err(e) => Err(b2b_invalid(json!(e))),
    }
}

/// Integer query parameter `name`, or the 422 answer when it is not one.
pub(super) fn int_param(p: &Params, name: &str) -> Result<Option<i64>, Response> {
    p.int(name).map_err(|e| b2b_invalid(json!(e)))
}

/// `orderBy` as the route's spec spells its enum (`[ascending, descending]`: `ASC`/`DESC` on
/// companies and orders, `asc`/`desc` on quotes); descending when absent. Any other spelling is
/// refused with the spec's words, so a client that sends what the spec does not allow finds out.
pub(super) fn order_dir(p: &Params, allowed: [&str; 2]) -> Result<bool, Response> {
    match p.get("orderBy") {
        None => Ok(true),
        Some(o) if o == allowed[0] => Ok(false),
        Some(o) if o == allowed[1] => Ok(true),
        Some(o) => Err(b2b_invalid(json!(format!(
            "orderBy `{o}` must be one of: {}, {}",
            allowed[0], allowed[1]
        )))),
    }
}

/// Sorts list items by `key` (names case aside, else as integers), ties by `id_field`.
pub(super) fn sort_by<T: Borrow<Value>>(items: &mut [T], key: &str, desc: bool, id_field: &str) {
    items.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        let o = match (a.get(key), b.get(key)) {
            (Some(Value::String(x)), Some(Value::String(y))) if key.contains("Name") => {
                x.to_lowercase().cmp(&y.to_lowercase())
            }
            _ => int_or_zero(a, key).cmp(&int_or_zero(b, key)),
        };
        let o = if o == Ordering::Equal {
            int_or_zero(a, id_field).cmp(&int_or_zero(b, id_field))
        } else {
            o
        };
        if desc {
            o.reverse()
        } else {
            o
        }
    });
}

/// Field errors as one line: `field: message message; field: message`.
pub(super) fn detail(e: &Map<String, Value>) -> String {
    e.iter()
        .map(|(k, v)| {
            let msg = match v {
                Value::Array(a) => a
                    .iter()
                    .map(|m| text(&json!({ "m": m }), "m"))
                    .collect::<Vec<_>>()
                    .join(" "),
                other => text(&json!({ "m": other }), "m"),
            };
            format!("{k}: {msg}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Integer query parameters `names`, in order, or the 422 answer for the first that is not one.
pub(super) fn int_params<const N: usize>(
    p: &Params,
    names: [&str; N],
) -> Result<[Option<i64>; N], Response> {
    let mut found = [None; N];
    for (slot, name) in found.iter_mut().zip(names) {
        *slot = int_param(p, name)?;
    }
    Ok(found)
}

/// The 422 of a bulk create whose item `i` was refused: its errors, with its `index`.
fn refused_item((i, mut e): (usize, FieldErrors)) -> Response {
    e.insert("index".into(), json!(i));
    b2b_invalid(Value::Object(e))
}

/// Creates one entity of an object body with `create`: what it created and the events to fire,
/// or the 422 naming the body's field errors.
pub(super) fn create_one<T>(
    app: &App,
    body: &[u8],
    create: Create<T>,
) -> Result<(T, Events), Response> {
    let body = body_object(body)?;
    let mut ev = Events::new();
    let made = create(&mut app.data(), &body, now_secs(), &mut ev);
    let made = made.map_err(|e| b2b_invalid(Value::Object(e)))?;
    Ok((made, ev))
}

/// Creates every item of a bulk body with `create`, all or nothing, and answers each created
/// one with `answer` (read under the same lock): the answers and the events to fire, or the 422
/// naming the first item refused.
pub(super) fn create_bulk<T>(
    app: &App,
    items: &[Value],
    create: Create<T>,
    answer: impl Fn(&Store, T) -> Option<Value>,
) -> Result<(Vec<Value>, Events), Response> {
    let now = now_secs();
    let mut store = app.data();
    let mut ev = Events::new();
    let created =
        batch::create_all(&mut store, items, now, &mut ev, create).map_err(refused_item)?;
    let answers = created
        .into_iter()
        .filter_map(|made| answer(&store, made))
        .collect();
    Ok((answers, ev))
}
