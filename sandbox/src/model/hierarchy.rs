//! Account hierarchies (`company.yaml` "Account Hierarchies"): a company's parent is kept in its
//! own `parentCompany {id, name}` (id 0 at the top), as the company answers carry it. Pure store
//! mutations and reads: attach a parent (refusing a cycle and a hierarchy deeper than
//! [`MAX_LAYERS`]), detach a subsidiary, and the nested trees the two GET routes answer.

use serde_json::{json, Value};

use crate::store::{int, text, Store};

/// The most layers a hierarchy may have (the spec names a maximum without its value).
pub const MAX_LAYERS: usize = 10;

/// Why a hierarchy change was refused: the message of the `{status, title, errors}` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 404: a company does not exist.
    NotFound(String),
    /// 400: the change is not allowed.
    Invalid(String),
}

/// The parent of company `id` (`None` at the top of its hierarchy or when it does not exist).
pub fn parent_of(store: &Store, id: i64) -> Option<i64> {
    let c = store.companies.get(&id)?;
    int(&c["parentCompany"], "id").filter(|p| *p > 0)
}

/// The direct subsidiaries of `id`, by id.
fn children_of(store: &Store, id: i64) -> Vec<i64> {
    store
        .companies
        .keys()
        .copied()
        .filter(|c| parent_of(store, *c) == Some(id))
        .collect()
}

/// How many layers lie below `id` (0 for a company without subsidiaries).
fn height(store: &Store, id: i64) -> usize {
    children_of(store, id)
        .into_iter()
        .map(|c| 1 + height(store, c))
        .max()
        .unwrap_or(0)
}

/// The companies above `id`, nearest first.
fn ancestors(store: &Store, id: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut at = id;
    while let Some(p) = parent_of(store, at) {
        if out.contains(&p) || out.len() > store.companies.len() {
            break;
        }
        out.push(p);
        at = p;
    }
    out
}

fn missing() -> Refusal {
    Refusal::NotFound("Company does not exist.".into())
}

/// Makes `parent` the parent of `child` (moving it from another parent): refused when either
/// does not exist, when `parent` is `child` or one of its subsidiaries, or when the hierarchy
/// would have more than [`MAX_LAYERS`] layers.
pub fn set_parent(store: &mut Store, child: i64, parent: i64, now: i64) -> Result<(), Refusal> {
    if !store.companies.contains_key(&child) || !store.companies.contains_key(&parent) {
        return Err(missing());
    }
    if parent == child || ancestors(store, parent).contains(&child) {
        return Err(Refusal::Invalid(
            "The parent company cannot be the company itself or one of its subsidiaries.".into(),
        ));
    }
    let layers = ancestors(store, parent).len() + 2 + height(store, child);
    if layers > MAX_LAYERS {
        return Err(Refusal::Invalid(
            "The parent company has reached the maximum layer.".into(),
        ));
    }
    let name = text(&store.companies[&parent], "companyName");
    if let Some(c) = store.companies.get_mut(&child) {
        c["parentCompany"] = json!({"id": parent, "name": name});
        c["updatedAt"] = json!(now.to_string());
    }
    Ok(())
}

/// Detaches subsidiary `child` from `parent` (its own subsidiaries stay with it, now a
/// hierarchy of their own); refused unless `child` is a direct subsidiary of `parent`.
pub fn remove_subsidiary(
    store: &mut Store,
    parent: i64,
    child: i64,
    now: i64,
) -> Result<(), Refusal> {
    if !store.companies.contains_key(&parent) {
        return Err(missing());
    }
    if parent_of(store, child) != Some(parent) {
        return Err(Refusal::Invalid("Invalid child company ID.".into()));
    }
    if let Some(c) = store.companies.get_mut(&child) {
        c["parentCompany"] = json!({"id": 0, "name": ""});
        c["updatedAt"] = json!(now.to_string());
    }
    Ok(())
}

/// `{companyId, companyName, companyStatus}` of `id`, with its `subsidiaries` nested when it has
/// any.
fn node(store: &Store, id: i64) -> Value {
    let c = &store.companies[&id];
    let mut n = json!({
        "companyId": id,
        "companyName": text(c, "companyName"),
        "companyStatus": int(c, "companyStatus").unwrap_or(0),
    });
    let children = children_of(store, id);
    if !children.is_empty() {
        n["subsidiaries"] = Value::Array(children.into_iter().map(|c| node(store, c)).collect());
    }
    n
}

/// The direct subsidiaries of `id`, each with its own nested (`GET .../subsidiaries`); `None`
/// when the company does not exist.
pub fn subsidiaries(store: &Store, id: i64) -> Option<Vec<Value>> {
    store.companies.get(&id)?;
    Some(
        children_of(store, id)
            .into_iter()
            .map(|c| node(store, c))
            .collect(),
    )
}

/// The whole hierarchy `id` belongs to, from its top company down (`GET .../hierarchy`);
/// `None` when the company does not exist.
pub fn hierarchy(store: &Store, id: i64) -> Option<Vec<Value>> {
    store.companies.get(&id)?;
    let top = ancestors(store, id).last().copied().unwrap_or(id);
    Some(vec![node(store, top)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(n: i64) -> Store {
        let mut s = Store::default();
        for id in 1..=n {
            s.companies.insert(
                id,
                json!({"companyId": id, "companyName": format!("Co {id}"), "companyStatus": "1",
                    "parentCompany": {"id": 0, "name": ""}}),
            );
        }
        s
    }

    #[test]
    fn parents_nest_move_and_detach() {
        let mut s = store(4);
        set_parent(&mut s, 2, 1, 10).unwrap();
        set_parent(&mut s, 3, 2, 10).unwrap();
        assert_eq!(s.companies[&3]["parentCompany"]["name"], "Co 2");
        let tree = hierarchy(&s, 3).unwrap();
        assert_eq!(tree[0]["companyId"], 1);
        assert_eq!(
            tree[0]["subsidiaries"][0]["subsidiaries"][0]["companyId"],
            3
        );
        set_parent(&mut s, 3, 4, 11).unwrap();
        assert_eq!(parent_of(&s, 3), Some(4));
        assert_eq!(subsidiaries(&s, 2).unwrap(), Vec::<Value>::new());
        assert_eq!(
            remove_subsidiary(&mut s, 2, 3, 12),
            Err(Refusal::Invalid("Invalid child company ID.".into()))
        );
        remove_subsidiary(&mut s, 4, 3, 12).unwrap();
        assert_eq!(parent_of(&s, 3), None);
    }

    #[test]
    fn cycles_depth_and_unknown_companies_are_refused() {
        let mut s = store(12);
        set_parent(&mut s, 2, 1, 0).unwrap();
        assert!(matches!(
            set_parent(&mut s, 1, 2, 0),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            set_parent(&mut s, 1, 1, 0),
            Err(Refusal::Invalid(_))
        ));
        assert_eq!(set_parent(&mut s, 1, 99, 0), Err(missing()));
        for id in 3..=10 {
            set_parent(&mut s, id, id - 1, 0).unwrap();
        }
        let deep = set_parent(&mut s, 11, 10, 0).unwrap_err();
        assert!(matches!(deep, Refusal::Invalid(m) if m.contains("maximum layer")));
    }
}
