//! B2B shopping lists (`shopping_list.yaml`) under `/api/v3/io`: the lists a buyer sees (an
//! admin or senior buyer sees the company's approved and ready-for-approval lists beside their
//! own, a junior buyer only their own), the detail with its items paged inside it, the create,
//! the update whose `items` change only the items they name (by `id`, else by product and
//! variant; quantity 0 removes one) and the deletes. Items must name a catalog variant.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{delete, get};
use axum::Router;
use serde_json::{json, Value};

use crate::reply::{
    b2b_invalid, b2b_list, b2b_not_found, b2b_ok, json_status, parse_body, path_id, Page, Params,
};
use crate::state::App;
use crate::store::{int, max_key, now_secs, text, Store};

type P = Path<HashMap<String, String>>;

/// The largest page of lists (the spec's `limit` is below 250) and of a detail's items.
const LIST_MAX: usize = 249;
const ITEMS_MAX: usize = 250;

/// Statuses a list may be given (0 approved, 30 draft, 40 ready for approval); 20 is deleted.
const STATUSES: [i64; 3] = [0, 30, 40];

/// The shopping list routes.
pub fn routes() -> Router<Arc<App>> {
    let io = |p: &str| format!("/api/v3/io{p}");
    Router::new()
        .route(&io("/shopping-list"), get(list).post(create))
        .route(
            &io("/shopping-list/{shoppingListId}"),
            get(detail).put(update).delete(remove),
        )
        .route(
            &io("/shopping-list/{shoppingListId}/items/{itemId}"),
            delete(remove_item),
        )
}

fn body_of(body: &Bytes) -> Result<Value, Response> {
    match parse_body(body) {
        Ok(v) if v.is_object() => Ok(v),
        _ => Err(b2b_invalid(json!({"body": ["A JSON object is required."]}))),
    }
}

/// The buyer named by `userId` or `customerId` (exactly one), as `(user id, company, role)`.
fn buyer(
    store: &Store,
    user_id: Option<i64>,
    customer_id: Option<i64>,
) -> Result<(i64, i64, i64), Response> {
    let user = match (user_id, customer_id) {
        (Some(u), None) => store.users.get(&u),
        (None, Some(c)) => store
            .users
            .values()
            .find(|u| int(u, "customerId") == Some(c)),
        _ => {
            return Err(b2b_invalid(
                json!({"userId": ["Either userId or customerId must be passed, but not both."]}),
            ))
        }
    };
    let Some(user) = user else {
        return Err(b2b_invalid(
            json!({"user Id": ["user must belong to a company"]}),
        ));
    };
    let company = int(user, "companyId").unwrap_or(0);
    if company == 0 {
        return Err(b2b_invalid(
            json!({"user Id": ["user must belong to a company"]}),
        ));
    }
    Ok((
        int(user, "id").unwrap_or(0),
        company,
        int(user, "role").unwrap_or(2),
    ))
}

/// The list as the lists and the detail show it (without items or the store's bookkeeping).
fn summary(l: &Value) -> Value {
    let mut out = l.clone();
    if let Some(o) = out.as_object_mut() {
        o.remove("items");
    }
    out
}

async fn list(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let (user, customer) = match (params.int("userId"), params.int("customerId")) {
        (Ok(u), Ok(c)) => (u, c),
        _ => return b2b_invalid(json!({"userId": ["A valid integer is required."]})),
    };
    let page = match Page::b2b(&params, LIST_MAX) {
        Ok(p) => p,
        Err(e) => return b2b_invalid(json!({"limit": [e]})),
    };
    let store = app.data();
    let (user, company, role) = match buyer(&store, user, customer) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let visible: Vec<Value> = store
        .shopping_lists
        .values()
        .filter(|l| int(l, "companyId") == Some(company) && int(l, "status") != Some(20))
        .filter(|l| {
            int(l, "userId") == Some(user)
                || (role < 2 && matches!(int(l, "status"), Some(0) | Some(40)))
        })
        .map(summary)
        .collect();
    let total = visible.len();
    let items = visible
        .into_iter()
        .skip(page.offset)
        .take(page.limit)
        .collect();
    b2b_list(items, &page, total)
}

async fn detail(State(app): State<Arc<App>>, Path(p): P, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let page = match Page::b2b(&params, ITEMS_MAX) {
        Ok(p) => Page {
            limit: if params.get("limit").is_none() {
                ITEMS_MAX
            } else {
                p.limit
            },
            ..p
        },
        Err(e) => return b2b_invalid(json!({"limit": [e]})),
    };
    let store = app.data();
    let Some(l) = path_id(&p, "shoppingListId").and_then(|id| store.shopping_lists.get(&id)) else {
        return b2b_not_found("Shopping list");
    };
    let all = l["items"].as_array().cloned().unwrap_or_default();
    let mut data = summary(l);
    data["items"] = Value::Array(
        all.iter()
            .skip(page.offset)
            .take(page.limit)
            .cloned()
            .collect(),
    );
    json_status(
        axum::http::StatusCode::OK,
        &json!({"code": 200, "meta": {"message": "SUCCESS", "pagination":
            {"totalCount": all.len(), "limit": page.limit, "offset": page.offset}}, "data": data}),
    )
}

/// An item write checked against the catalog: `(productId, variantId, quantity)`.
fn item_of(store: &Store, i: usize, item: &Value) -> Result<(i64, i64, i64), Value> {
    let err = |m: String| json!({ format!("items[{i}]"): [m] });
    let (Some(product), Some(quantity)) = (int(item, "productId"), int(item, "quantity")) else {
        return Err(err("productId and quantity are required.".into()));
    };
    if quantity < 0 {
        return Err(err("quantity must not be negative.".into()));
    }
    let variant = int(item, "variantId").unwrap_or(0);
    let known = store
        .variants
        .get(&variant)
        .is_some_and(|v| int(v, "product_id") == Some(product));
    if !known {
        return Err(err(format!(
            "Variant {variant} of product {product} does not exist."
        )));
    }
    Ok((product, variant, quantity))
}

/// Applies `writes` to the items of `list` as the update does.
fn apply_items(store: &mut Store, list_id: i64, writes: &[Value]) -> Result<(), Value> {
    let mut checked = Vec::with_capacity(writes.len());
    for (i, w) in writes.iter().enumerate() {
        checked.push((int(w, "id"), item_of(store, i, w)?));
    }
    let mut next = store
        .counters
        .get("shopping_list_item")
        .copied()
        .unwrap_or(0);
    let Some(list) = store.shopping_lists.get_mut(&list_id) else {
        return Err(json!({"shoppingListId": ["not found"]}));
    };
    let mut items = list["items"].as_array().cloned().unwrap_or_default();
    for (id, (product, variant, quantity)) in checked {
        let at = items.iter().position(|it| match id {
            Some(id) => int(it, "id") == Some(id),
            None => int(it, "productId") == Some(product) && int(it, "variantId") == Some(variant),
        });
        match (at, quantity) {
            (Some(at), 0) => {
                items.remove(at);
            }
            (Some(at), q) => {
                items[at]["productId"] = json!(product);
                items[at]["variantId"] = json!(variant);
                items[at]["quantity"] = json!(q);
            }
            (None, 0) => {}
            (None, _) if id.is_some() => {
                return Err(
                    json!({"items": [format!("Shopping list item {} does not exist.", id.unwrap_or(0))]}),
                );
            }
            (None, q) => {
                next += 1;
                let sort = items.len();
                items.push(json!({"id": next, "productId": product, "variantId": variant,
                    "quantity": q, "sortOrder": sort, "optionList": {"optionId": "", "optionValue": ""},
                    "productNote": ""}));
            }
        }
    }
    list["items"] = Value::Array(items);
    list["updatedAt"] = json!(now_secs());
    store.counters.insert("shopping_list_item".into(), next);
    Ok(())
}

/// The list fields of a create or update body (`name`, `description`, `status`) set on `list`.
fn set_fields(list: &mut Value, body: &Value) -> Result<(), Value> {
    for f in ["name", "description"] {
        if let Some(v) = body.get(f) {
            match v.as_str() {
                Some(s) if f == "description" || !s.trim().is_empty() => list[f] = json!(s),
                _ => return Err(json!({ f: ["This field may not be blank."] })),
            }
        }
    }
    if let Some(v) = body.get("status") {
        match v.as_i64().filter(|s| STATUSES.contains(s)) {
            Some(s) => list["status"] = json!(s),
            None => return Err(json!({"status": ["status must be 0, 30 or 40."]})),
        }
    }
    Ok(())
}

async fn create(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_of(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if text(&body, "name").trim().is_empty() {
        return b2b_invalid(json!({"name": ["This field is required."]}));
    }
    let mut store = app.data();
    let (user, company, _) = match buyer(&store, int(&body, "userId"), int(&body, "customerId")) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let now = now_secs();
    let max = max_key(&store.shopping_lists);
    let id = store.next_id("shopping_list", max);
    let channel = int(&body, "channelId").unwrap_or(1);
    let mut list = json!({"id": id, "name": "", "description": "", "status": 0, "companyId": company,
        "userId": user, "createdAt": now, "updatedAt": now, "channelId": channel,
        "channelName": if channel == 1 { "Default".to_string() } else { format!("Channel {channel}") },
        "items": []});
    if let Err(e) = set_fields(&mut list, &body) {
        return b2b_invalid(e);
    }
    store.shopping_lists.insert(id, list);
    let writes = body["items"].as_array().cloned().unwrap_or_default();
    if let Err(e) = apply_items(&mut store, id, &writes) {
        store.shopping_lists.remove(&id);
        return b2b_invalid(e);
    }
    b2b_ok(json!({ "shoppingListId": id }))
}

async fn update(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_of(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = app.data();
    let found = path_id(&p, "shoppingListId")
        .and_then(|id| Some((id, store.shopping_lists.get(&id)?.clone())));
    let Some((id, before)) = found else {
        return b2b_not_found("Shopping list");
    };
    let mut list = before.clone();
    let writes = body["items"].as_array().cloned().unwrap_or_default();
    let applied = set_fields(&mut list, &body).and_then(|()| {
        store.shopping_lists.insert(id, list);
        apply_items(&mut store, id, &writes)
    });
    if let Err(e) = applied {
        store.shopping_lists.insert(id, before);
        return b2b_invalid(e);
    }
    let out = store
        .shopping_lists
        .get(&id)
        .map(summary)
        .unwrap_or_default();
    b2b_ok(out)
}

async fn remove(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let id = path_id(&p, "shoppingListId");
    match id.and_then(|id| app.data().shopping_lists.remove(&id)) {
        Some(_) => b2b_ok(json!({ "shoppingListId": id })),
        None => b2b_not_found("Shopping list"),
    }
}

async fn remove_item(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let (list, item) = (path_id(&p, "shoppingListId"), path_id(&p, "itemId"));
    let mut store = app.data();
    let Some(l) = list.and_then(|id| store.shopping_lists.get_mut(&id)) else {
        return b2b_not_found("Shopping list");
    };
    let Some(items) = l["items"].as_array_mut() else {
        return b2b_not_found("Shopping list item");
    };
    let before = items.len();
    items.retain(|it| int(it, "id") != item);
    if items.len() == before {
        return b2b_not_found("Shopping list item");
    }
    json_status(
        axum::http::StatusCode::OK,
        &json!({"code": 200, "message": "SUCCESS", "data": {}}),
    )
}
