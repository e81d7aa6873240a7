//! Contract check: real responses of every covered route are validated against the response
//! schema of that path, method and status in BigCommerce's official OpenAPI files (remote
//! `$ref`s resolved to the local copies), closed against undeclared properties so the sandbox
//! cannot answer with a field the real API lacks. Known spec defects are listed, with reason and
//! source, in `contract-exceptions.json`; the check skips exactly those and fails on an
//! exception that no longer matches anything.

mod common;

use std::path::PathBuf;

use bc_sandbox::contract::openapi::{closed, validator, Docs};

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// The official specs (`bc_sandbox::specs::dir`: `BC_SPECS_DIR`, beside the repository, or
/// what `make specs` fetched).
fn specs() -> PathBuf {
    bc_sandbox::specs::dir_or_panic()
}
const B2B: &str = "docs/b2b-edition/specs/api-v3";

fn spec_file(name: &str) -> PathBuf {
    let rel = match name {
        "company" | "user" | "address" | "quote" | "order" | "payment" | "sales_staff"
        | "super_admin" | "shopping_list" => {
            format!("{B2B}/{name}/{name}.yaml")
        }
        "invoice-management" => format!("{B2B}/invoice-management.yaml"),
        other => format!("reference/{other}"),
    };
    specs().join(rel)
}

/// The spec files, read and resolved by the sandbox's own reader.
struct Specs {
    docs: Docs,
}

impl Specs {
    /// The response schema of an operation and status, `$ref`s inlined, closed against
    /// undeclared properties ([`closed`]): an answer may not carry a field the spec lacks.
    fn response_schema(&mut self, spec: &str, method: &str, template: &str, status: u16) -> Value {
        let path = spec_file(spec);
        let doc = self.docs.load(&path).unwrap_or_else(|e| panic!("{e}"));
        let op = doc["paths"][template][method.to_lowercase()].clone();
        assert!(op.is_object(), "{spec}: no operation {method} {template}");
        let mut resp = op["responses"][status.to_string()].clone();
        assert!(
            !resp.is_null(),
            "{spec}: {method} {template} documents no {status} response"
        );
        if let Some(Value::String(r)) = resp.get("$ref").cloned() {
            resp = self
                .docs
                .target(&r, &path)
                .unwrap_or_else(|e| panic!("{e}"))
                .0;
        }
        let schema = resp["content"]
            .as_object()
            .and_then(|c| {
                c.iter()
                    .find(|(k, _)| k.contains("json"))
                    .map(|(_, v)| v["schema"].clone())
            })
            .unwrap_or(Value::Null);
        assert!(
            !schema.is_null(),
            "{spec}: {method} {template} {status} has no JSON schema"
        );
        let resolved = self
            .docs
            .resolve(&schema, &path)
            .unwrap_or_else(|e| panic!("{e}"));
        closed(&resolved)
    }
}

#[derive(Debug, Clone)]
struct Exception {
    spec: String,
    route: String,
    status: u16,
    pointer: String,
}

fn pointer_matches(pattern: &str, actual: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let a: Vec<&str> = actual.split('/').collect();
    p.len() == a.len() && p.iter().zip(&a).all(|(x, y)| *x == "*" || x == y)
}

struct Checker {
    specs: Specs,
    violations: Vec<(String, String, u16, String, String)>,
    checked: usize,
}

impl Checker {
    fn check(&mut self, spec: &str, method: &str, template: &str, expect: u16, r: &Resp) {
        assert_eq!(
            r.status, expect,
            "{method} {template}: unexpected status, body {}",
            r.text
        );
        let schema = self.specs.response_schema(spec, method, template, expect);
        let validator = validator(&schema).unwrap_or_else(|e| {
            panic!("{spec} {method} {template} {expect}: schema does not compile: {e}")
        });
        let body = r.json();
        for e in validator.iter_errors(&body) {
            let at = e.instance_path().as_str().to_string();
            // An undeclared property is reported where it is, so an exception names the field.
            let fields = match e.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    unexpected.iter().map(|f| format!("{at}/{f}")).collect()
                }
                _ => vec![at],
            };
            for pointer in fields {
                self.violations.push((
                    spec.to_string(),
                    format!("{method} {template}"),
                    expect,
                    pointer,
                    e.to_string(),
                ));
            }
        }
        self.checked += 1;
    }

    /// An answer the spec gives only as a named example of another status's response (the
    /// Invoice Portal lists its 400 and 404 bodies among a 200's examples): the HTTP status is
    /// the example's `code`, and the values at `pointers` are the example's.
    fn check_example(&mut self, at: Example<'_>, r: &Resp, pointers: &[&str]) {
        let (spec, method, template) = (at.spec, at.method, at.template);
        let doc = self
            .specs
            .docs
            .load(&spec_file(spec))
            .unwrap_or_else(|e| panic!("{e}"));
        let example = &doc["paths"][template][method.to_lowercase()]["responses"]
            [at.documented.to_string()]["content"]["application/json"]["examples"][at.name]
            ["value"];
        assert!(
            example.is_object(),
            "{spec}: {method} {template} has no example {:?}",
            at.name
        );
        assert_eq!(
            Some(i64::from(r.status)),
            example["code"].as_i64(),
            "{method} {template}: the example's status, body {}",
            r.text
        );
        let body = r.json();
        for p in pointers {
            assert_eq!(
                body.pointer(p),
                example.pointer(p),
                "{method} {template} at {p}: {}",
                r.text
            );
        }
        self.checked += 1;
    }
}

/// Where a documented example answer is: spec, operation, the status it is listed under, name.
struct Example<'a> {
    spec: &'a str,
    method: &'a str,
    template: &'a str,
    documented: u16,
    name: &'a str,
}

fn exceptions() -> Vec<Exception> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/contract-exceptions.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    v["schema_exceptions"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no schema_exceptions array"))
        .iter()
        .map(|e| {
            for f in ["reason", "source"] {
                assert!(
                    e[f].as_str().is_some_and(|s| !s.is_empty()),
                    "exception without {f}: {e}"
                );
            }
            Exception {
                spec: e["spec"].as_str().unwrap_or_default().to_string(),
                route: e["route"].as_str().unwrap_or_default().to_string(),
                status: e["status"].as_u64().unwrap_or(0) as u16,
                pointer: e["pointer"].as_str().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

/// Company payment methods, payment terms and credit (`payment.yaml`), on company 1.
async fn check_company_terms(s: &Sb, c: &mut Checker) {
    let put = Method::PUT;
    c.check(
        "payment",
        "GET",
        "/payments",
        200,
        &s.b2b_get("/payments").await,
    );
    let methods = "/companies/{companyId}/payments";
    c.check(
        "payment",
        "GET",
        methods,
        200,
        &s.b2b_get("/companies/1/payments").await,
    );
    let off = json!({"payments": [{"code": "cod", "isEnabled": false}]});
    let r = s.b2b_json(put.clone(), "/companies/1/payments", off).await;
    c.check("payment", "PUT", methods, 200, &r);
    let now = s.b2b_get("/companies/1/payments").await.json();
    let enabled: Vec<bool> = now["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["isEnabled"] == true)
        .collect();
    assert_eq!(enabled, [false, true, true, true], "only cod changed");
    let unknown = json!({"payments": [{"code": "barter", "isEnabled": true}]});
    let r = s
        .b2b_json(put.clone(), "/companies/1/payments", unknown)
        .await;
    c.check("payment", "PUT", methods, 404, &r);
    let r = s
        .b2b_json(
            put.clone(),
            "/companies/1/payments",
            json!({"payments": [{"isEnabled": true}]}),
        )
        .await;
    c.check("payment", "PUT", methods, 400, &r);
    let r = s
        .b2b_json(
            put.clone(),
            "/companies/999/payments",
            json!({"payments": []}),
        )
        .await;
    c.check("payment", "PUT", methods, 404, &r);

    let terms = "/companies/{companyId}/payment-terms";
    c.check(
        "payment",
        "GET",
        terms,
        200,
        &s.b2b_get("/companies/1/payment-terms").await,
    );
    let net30 = json!({"isEnabled": true, "paymentTerms": 30});
    let r = s
        .b2b_json(put.clone(), "/companies/1/payment-terms", net30.clone())
        .await;
    c.check("payment", "PUT", terms, 200, &r);
    assert_eq!(r.json()["data"], net30);
    let net31 = json!({"isEnabled": true, "paymentTerms": 31});
    let r = s
        .b2b_json(put.clone(), "/companies/1/payment-terms", net31)
        .await;
    c.check("payment", "PUT", terms, 400, &r);

    let credit = "/companies/{companyId}/credit";
    c.check(
        "payment",
        "GET",
        credit,
        200,
        &s.b2b_get("/companies/1/credit").await,
    );
    let change = json!({"creditEnabled": true, "availableCredit": 250.5});
    let r = s.b2b_json(put.clone(), "/companies/1/credit", change).await;
    c.check("payment", "PUT", credit, 200, &r);
    assert_eq!(r.json()["data"]["availableCredit"], 250.5);
    assert_eq!(r.json()["data"]["creditHold"], false);
    let r = s
        .admin_post("/settings", json!({"company_credit": false}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.check(
        "payment",
        "GET",
        credit,
        400,
        &s.b2b_get("/companies/1/credit").await,
    );
    s.admin_post("/settings", json!({"company_credit": true}))
        .await;
}

/// Sales staff and super admins, on companies 1 and 2.
async fn check_staff(s: &Sb, c: &mut Checker) {
    let (put, post) = (Method::PUT, Method::POST);
    let made = s
        .admin_post(
            "/sales-staff",
            json!({"email": "marie@seller.example", "name": "Marie Curie"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.json()["id"].as_i64().unwrap();
    let one = "/sales-staffs/{salesStaffId}";
    let assign =
        json!([{"companyId": 1, "assignStatus": true}, {"companyId": 2, "assignStatus": true}]);
    let r = s
        .b2b_json(put.clone(), &format!("/sales-staffs/{id}"), assign)
        .await;
    c.check("sales_staff", "PUT", one, 200, &r);
    let r = s
        .b2b_json(
            put.clone(),
            &format!("/sales-staffs/{id}"),
            json!([{"companyId": 999, "assignStatus": true}]),
        )
        .await;
    c.check("sales_staff", "PUT", one, 422, &r);
    let r = s.b2b_get(&format!("/sales-staffs/{id}")).await;
    c.check("sales_staff", "GET", one, 200, &r);
    assert_eq!(
        r.json()["data"]["assignedCompanies"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let r = s.b2b_get("/sales-staffs?limit=5").await;
    c.check("sales_staff", "GET", "/sales-staffs", 200, &r);
    assert_eq!(r.json()["data"][0]["companyCount"], 2);

    let body = json!({"firstName": "Olga", "lastName": "Ops", "email": "ops@agency.example", "channelIds": [1]});
    let r = s
        .b2b_json(post.clone(), "/super-admins", body.clone())
        .await;
    c.check("super_admin", "POST", "/super-admins", 200, &r);
    let admin = r.json()["data"]["userId"].as_i64().unwrap();
    c.check(
        "super_admin",
        "POST",
        "/super-admins",
        400,
        &s.b2b_json(post, "/super-admins", body).await,
    );
    let r = s.b2b_get("/companies/super-admins?q=ops%40agency").await;
    c.check("super_admin", "GET", "/companies/super-admins", 200, &r);
    assert_eq!(r.json()["data"][0]["id"], admin);
    let assign = json!({"companies": [{"companyId": 1, "isAssigned": true}]});
    let one = "/super-admins/{superAdminId}";
    let r = s
        .b2b_json(
            put.clone(),
            &format!("/super-admins/{admin}"),
            assign.clone(),
        )
        .await;
    c.check("super_admin", "PUT", one, 200, &r);
    c.check(
        "super_admin",
        "PUT",
        one,
        404,
        &s.b2b_json(put, "/super-admins/99999", assign).await,
    );
    let companies = "/super-admins/{superAdminId}/companies";
    let r = s.b2b_get(&format!("/super-admins/{admin}/companies")).await;
    c.check("super_admin", "GET", companies, 200, &r);
    assert_eq!(r.json()["data"][0]["companyId"], 1);
    c.check(
        "super_admin",
        "GET",
        companies,
        404,
        &s.b2b_get("/super-admins/99999/companies").await,
    );
}

/// Shopping lists of company 1's first buyer, and company catalogs.
async fn check_shopping_lists(s: &Sb, c: &mut Checker) {
    let (put, post) = (Method::PUT, Method::POST);
    let users = s.b2b_get("/users?companyId=1&limit=1").await.json();
    let user = users["data"][0]["id"].as_i64().unwrap();
    let sl = "shopping_list";
    let body = json!({"name": "Weekly", "description": "Order guide", "status": 0, "userId": user,
        "channelId": 1, "items": [{"productId": 1, "variantId": 1, "quantity": 5},
        {"productId": 2, "variantId": 3, "quantity": 2}]});
    let r = s.b2b_json(post.clone(), "/shopping-list", body).await;
    c.check(sl, "POST", "/shopping-list", 200, &r);
    let id = r.json()["data"]["shoppingListId"].as_i64().unwrap();
    let unknown = json!({"name": "Bad", "userId": user, "items": [{"productId": 1, "variantId": 999999, "quantity": 1}]});
    c.check(
        sl,
        "POST",
        "/shopping-list",
        422,
        &s.b2b_json(post.clone(), "/shopping-list", unknown).await,
    );
    let r = s.b2b_get(&format!("/shopping-list?userId={user}")).await;
    c.check(sl, "GET", "/shopping-list", 200, &r);
    assert_eq!(r.json()["data"][0]["id"], id);
    let one = "/shopping-list/{shoppingListId}";
    let r = s.b2b_get(&format!("/shopping-list/{id}")).await;
    c.check(sl, "GET", one, 200, &r);
    let first = r.json()["data"]["items"][0]["id"].as_i64().unwrap();
    let change = json!({"name": "Weekly guide", "items": [{"id": first, "productId": 1, "variantId": 1, "quantity": 0},
        {"productId": 3, "variantId": 5, "quantity": 4}]});
    let r = s
        .b2b_json(put.clone(), &format!("/shopping-list/{id}"), change)
        .await;
    c.check(sl, "PUT", one, 200, &r);
    let after = s.b2b_get(&format!("/shopping-list/{id}")).await.json();
    assert_eq!(after["data"]["items"].as_array().unwrap().len(), 2);
    c.check(
        sl,
        "GET",
        one,
        404,
        &s.b2b_get("/shopping-list/99999").await,
    );
    let item = after["data"]["items"][0]["id"].as_i64().unwrap();
    let r = s
        .send(s.b2b(Method::DELETE, &format!("/shopping-list/{id}/items/{item}")))
        .await;
    c.check(
        sl,
        "DELETE",
        "/shopping-list/{shoppingListId}/items/{itemId}",
        200,
        &r,
    );
    let r = s
        .send(s.b2b(Method::DELETE, &format!("/shopping-list/{id}/items/99999")))
        .await;
    c.check(
        sl,
        "DELETE",
        "/shopping-list/{shoppingListId}/items/{itemId}",
        404,
        &r,
    );
    let r = s
        .send(s.b2b(Method::DELETE, &format!("/shopping-list/{id}")))
        .await;
    c.check(sl, "DELETE", one, 200, &r);

    // Company roles: the predefined ones and a custom one, given to a buyer.
    let role = json!({"name": "Purchasing Manager", "permissions": [{"code": "get_addresses", "permissionLevel": 2}]});
    let r = s.b2b_json(post, "/companies/roles", role).await;
    c.check("company", "POST", "/companies/roles", 200, &r);
    let role_id = r.json()["data"]["id"].as_i64().unwrap();
    let r = s.b2b_get("/companies/roles?q=purchasing").await;
    c.check("company", "GET", "/companies/roles", 200, &r);
    assert_eq!(r.json()["data"][0]["id"], role_id);
    let r = s
        .b2b_json(
            put.clone(),
            &format!("/users/{user}"),
            json!({"companyRoleId": role_id}),
        )
        .await;
    c.check("user", "PUT", "/users/{userId}", 200, &r);
    assert_eq!(r.json()["data"]["companyRoleName"], "Purchasing Manager");
    let r = s
        .b2b_json(
            put.clone(),
            &format!("/users/{user}"),
            json!({"companyRoleId": 999}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);

    // A company's catalog: a price list of the store.
    let pl = s
        .core_json(
            Method::POST,
            "/v3/pricelists",
            json!({"name": "Catalog", "active": true}),
        )
        .await
        .json();
    let catalog = pl["data"]["id"].as_i64().unwrap().to_string();
    let r = s
        .b2b_json(
            put,
            "/companies/1/catalogs",
            json!({ "catalogId": catalog }),
        )
        .await;
    c.check("company", "PUT", "/companies/{companyId}/catalogs", 200, &r);
    let company = s.b2b_get("/companies/1").await.json();
    assert_eq!(company["data"]["catalogId"], json!(catalog));
}

#[tokio::test]
async fn responses_match_the_official_schemas() {
    assert!(
        specs().is_dir(),
        "official specs not found at {}: the contract check cannot run without them",
        specs().display()
    );
    let s = start(SandboxOptionsExt::with(|o| {
        o.quota = 0;
        o.b2b_quota = 0;
        o.seed_companies = 6;
        o.seed_orders = 12;
        o.records_hold_ms = Some(0);
    }))
    .await;
    let mut c = Checker {
        specs: Specs {
            docs: Docs::new(specs()),
        },
        violations: Vec::new(),
        checked: 0,
    };
    let g = Method::GET;

    // ---- B2B companies
    c.check(
        "company",
        "GET",
        "/companies",
        200,
        &s.b2b_get("/companies?limit=3").await,
    );
    c.check(
        "company",
        "GET",
        "/companies/{companyId}",
        200,
        &s.b2b_get("/companies/1").await,
    );
    c.check(
        "company",
        "GET",
        "/companies/{companyId}",
        404,
        &s.b2b_get("/companies/999").await,
    );
    let r = s
        .b2b_json(Method::POST, "/companies", company_body(100))
        .await;
    c.check("company", "POST", "/companies", 200, &r);
    let new_company = r.json()["data"]["companyId"].clone();
    // Account hierarchies: company 2 under 1, 3 under 2.
    for (child, parent) in [(2, 1), (3, 2)] {
        let r = s
            .b2b_json(
                Method::POST,
                &format!("/companies/{child}/parent"),
                json!({"parentCompanyId": parent}),
            )
            .await;
        c.check("company", "POST", "/companies/{companyId}/parent", 201, &r);
    }
    let cycle = s
        .b2b_json(
            Method::POST,
            "/companies/1/parent",
            json!({"parentCompanyId": 3}),
        )
        .await;
    c.check(
        "company",
        "POST",
        "/companies/{companyId}/parent",
        400,
        &cycle,
    );
    let subs = s.b2b_get("/companies/1/subsidiaries").await;
    assert_eq!(subs.json()["data"][0]["subsidiaries"][0]["companyId"], 3);
    c.check(
        "company",
        "GET",
        "/companies/{companyId}/subsidiaries",
        200,
        &subs,
    );
    c.check(
        "company",
        "GET",
        "/companies/{companyId}/subsidiaries",
        404,
        &s.b2b_get("/companies/999/subsidiaries").await,
    );
    c.check(
        "company",
        "GET",
        "/companies/{companyId}/hierarchy",
        200,
        &s.b2b_get("/companies/3/hierarchy").await,
    );
    check_company_terms(&s, &mut c).await;
    check_staff(&s, &mut c).await;
    check_shopping_lists(&s, &mut c).await;
    let detached = s
        .b2b_json(Method::DELETE, "/companies/2/subsidiaries/3", json!(null))
        .await;
    assert_eq!(detached.status, 204, "{}", detached.text);
    c.check(
        "company",
        "DELETE",
        "/companies/{companyId}/subsidiaries/{childCompanyId}",
        400,
        &s.b2b_json(Method::DELETE, "/companies/2/subsidiaries/3", json!(null))
            .await,
    );
    c.check(
        "company",
        "POST",
        "/companies",
        422,
        &s.b2b_json(Method::POST, "/companies", json!({"companyName": "x"}))
            .await,
    );
    c.check(
        "company",
        "PUT",
        "/companies/{companyId}",
        200,
        &s.b2b_json(Method::PUT, "/companies/1", json!({"companyPhone": "1"}))
            .await,
    );
    c.check(
        "company",
        "PUT",
        "/companies/{companyId}/status",
        200,
        &s.b2b_json(
            Method::PUT,
            "/companies/1/status",
            json!({"companyStatus": 1}),
        )
        .await,
    );
    c.check(
        "company",
        "POST",
        "/companies/bulk",
        200,
        &s.b2b_json(Method::POST, "/companies/bulk", json!([company_body(101)]))
            .await,
    );
    c.check(
        "company",
        "POST",
        "/companies/bulk",
        400,
        &s.b2b_json(
            Method::POST,
            "/companies/bulk",
            json!([company_body(102), company_body(101)]),
        )
        .await,
    );
    let eleven: Vec<_> = (200..211).map(company_body).collect();
    c.check(
        "company",
        "POST",
        "/companies/bulk",
        413,
        &s.b2b_json(Method::POST, "/companies/bulk", json!(eleven))
            .await,
    );
    c.check(
        "company",
        "POST",
        "/companies/bulk",
        422,
        &s.b2b_json(
            Method::POST,
            "/companies/bulk",
            json!([{"companyName": "x"}]),
        )
        .await,
    );
    c.check(
        "company",
        "PUT",
        "/companies/bulk",
        200,
        &s.b2b_json(
            Method::PUT,
            "/companies/bulk",
            json!([{"companyId": 1, "city": "Austin"}]),
        )
        .await,
    );
    c.check(
        "company",
        "DELETE",
        "/companies/{companyId}",
        200,
        &s.send(s.b2b(Method::DELETE, &format!("/companies/{new_company}")))
            .await,
    );

    // ---- B2B users
    c.check(
        "user",
        "GET",
        "/users",
        200,
        &s.b2b_get("/users?limit=5").await,
    );
    let user = json!({"firstName": "C", "lastName": "T", "email": "ct@test.example", "companyId": 1, "role": 1, "channelIds": [1]});
    let r = s.b2b_json(Method::POST, "/users", user).await;
    c.check("user", "POST", "/users", 200, &r);
    let uid = r.json()["data"]["userId"].clone();
    let bc = r.json()["data"]["bcId"].clone();
    c.check(
        "user",
        "POST",
        "/users",
        422,
        &s.b2b_json(Method::POST, "/users", json!({"firstName": "x"}))
            .await,
    );
    c.check(
        "user",
        "GET",
        "/users/{userId}",
        200,
        &s.b2b_get(&format!("/users/{uid}")).await,
    );
    c.check(
        "user",
        "GET",
        "/users/{userId}",
        404,
        &s.b2b_get("/users/99999").await,
    );
    c.check(
        "user",
        "PUT",
        "/users/{userId}",
        200,
        &s.b2b_json(
            Method::PUT,
            &format!("/users/{uid}"),
            json!({"lastName": "U"}),
        )
        .await,
    );
    c.check(
        "user",
        "GET",
        "/users/customer/{customerId}",
        200,
        &s.b2b_get(&format!("/users/customer/{bc}")).await,
    );
    let bulk = json!([{"firstName": "B", "lastName": "U", "email": "bu@test.example", "companyId": 1, "role": 2, "channelIds": [1]}]);
    c.check(
        "user",
        "POST",
        "/users/bulk",
        200,
        &s.b2b_json(Method::POST, "/users/bulk", bulk).await,
    );
    let many: Vec<_> = (0..11).map(|i| json!({"firstName": "x", "lastName": "y", "email": format!("m{i}@t.example"), "companyId": 1, "role": 2, "channelIds": [1]})).collect();
    c.check(
        "user",
        "POST",
        "/users/bulk",
        413,
        &s.b2b_json(Method::POST, "/users/bulk", json!(many)).await,
    );
    c.check(
        "user",
        "DELETE",
        "/users/{userId}",
        200,
        &s.send(s.b2b(Method::DELETE, &format!("/users/{uid}")))
            .await,
    );
    let lonely = s
        .b2b_json(Method::POST, "/companies", company_body(300))
        .await
        .json()["data"]["customerId"]
        .clone();
    let lonely_user =
        s.b2b_get(&format!("/users/customer/{lonely}")).await.json()["data"]["id"].clone();
    c.check(
        "user",
        "DELETE",
        "/users/{userId}",
        422,
        &s.send(s.b2b(Method::DELETE, &format!("/users/{lonely_user}")))
            .await,
    );

    // ---- B2B addresses
    c.check(
        "address",
        "GET",
        "/addresses",
        200,
        &s.b2b_get("/addresses?limit=3").await,
    );
    let addr = json!({"companyId": 1, "firstName": "A", "lastName": "B", "addressLine1": "1 St", "city": "X", "countryCode": "US"});
    let r = s.b2b_json(Method::POST, "/addresses", addr.clone()).await;
    c.check("address", "POST", "/addresses", 200, &r);
    let aid = r.json()["data"]["addressId"].clone();
    c.check(
        "address",
        "POST",
        "/addresses",
        422,
        &s.b2b_json(Method::POST, "/addresses", json!({"companyId": 1}))
            .await,
    );
    c.check(
        "address",
        "GET",
        "/addresses/{addressId}",
        200,
        &s.b2b_get(&format!("/addresses/{aid}")).await,
    );
    c.check(
        "address",
        "GET",
        "/addresses/{addressId}",
        404,
        &s.b2b_get("/addresses/99999").await,
    );
    c.check(
        "address",
        "PUT",
        "/addresses/{addressId}",
        200,
        &s.b2b_json(
            Method::PUT,
            &format!("/addresses/{aid}"),
            json!({"city": "Y"}),
        )
        .await,
    );
    c.check(
        "address",
        "DELETE",
        "/addresses/{addressId}",
        200,
        &s.send(s.b2b(Method::DELETE, &format!("/addresses/{aid}")))
            .await,
    );
    c.check(
        "address",
        "POST",
        "/addresses/bulk",
        200,
        &s.b2b_json(Method::POST, "/addresses/bulk", json!([addr]))
            .await,
    );
    let many: Vec<_> = (0..11).map(|_| json!({})).collect();
    c.check(
        "address",
        "POST",
        "/addresses/bulk",
        413,
        &s.b2b_json(Method::POST, "/addresses/bulk", json!(many))
            .await,
    );

    // ---- B2B quotes
    c.check(
        "quote",
        "GET",
        "/rfq",
        200,
        &s.b2b_get("/rfq?limit=10").await,
    );
    let quote = json!({"grandTotal": 10, "discount": 0, "subtotal": 10, "expiredAt": "05/07/2027", "companyId": 1, "productList": [{"sku": "SKU-001-1", "quantity": 1, "basePrice": 10, "offeredPrice": 10}]});
    let r = s.b2b_json(Method::POST, "/rfq", quote).await;
    c.check("quote", "POST", "/rfq", 200, &r);
    let qid = r.json()["data"]["quoteId"].clone();
    c.check(
        "quote",
        "POST",
        "/rfq",
        422,
        &s.b2b_json(Method::POST, "/rfq", json!({"grandTotal": 1}))
            .await,
    );
    c.check(
        "quote",
        "GET",
        "/rfq/{quote_id}",
        200,
        &s.b2b_get(&s.quote_path(&qid).await).await,
    );
    c.check(
        "quote",
        "PUT",
        "/rfq/{quote_id}",
        200,
        &s.b2b_json(Method::PUT, &format!("/rfq/{qid}"), json!({"notes": "n"}))
            .await,
    );
    c.check(
        "quote",
        "POST",
        "/rfq/{quote_id}/checkout",
        200,
        &s.send(
            s.b2b(Method::POST, &format!("/rfq/{qid}/checkout"))
                .json(&json!({})),
        )
        .await,
    );
    let order_id = s.core_get("/v2/orders?limit=1").await.json()[0]["id"].to_string();
    c.check(
        "quote",
        "POST",
        "/rfq/{quote_id}/ordered",
        200,
        &s.b2b_json(
            Method::POST,
            &format!("/rfq/{qid}/ordered"),
            json!({"orderId": order_id}),
        )
        .await,
    );
    c.check(
        "quote",
        "POST",
        "/rfq/{quote_id}/ordered",
        422,
        &s.b2b_json(Method::POST, &format!("/rfq/{qid}/ordered"), json!({}))
            .await,
    );
    c.check(
        "quote",
        "DELETE",
        "/rfq/{quote_id}",
        200,
        &s.send(s.b2b(Method::DELETE, &format!("/rfq/{qid}"))).await,
    );

    // ---- B2B orders
    let r = s.b2b_get("/orders?limit=5").await;
    c.check("order", "GET", "/orders", 200, &r);
    let bco = r.json()["data"][0]["bcOrderId"].clone();
    c.check(
        "order",
        "GET",
        "/orders/{bcOrderId}",
        200,
        &s.b2b_get(&format!("/orders/{bco}")).await,
    );
    c.check(
        "order",
        "GET",
        "/orders/{bcOrderId}",
        404,
        &s.b2b_get("/orders/1").await,
    );
    c.check(
        "order",
        "PUT",
        "/orders/{bcOrderId}",
        200,
        &s.b2b_json(
            Method::PUT,
            &format!("/orders/{bco}"),
            json!({"poNumber": "P"}),
        )
        .await,
    );
    c.check(
        "order",
        "GET",
        "/orders/{bcOrderId}/products",
        200,
        &s.b2b_get(&format!("/orders/{bco}/products")).await,
    );
    c.check(
        "order",
        "POST",
        "/orders",
        200,
        &s.b2b_json(
            Method::POST,
            "/orders",
            json!({"bcOrderId": bco, "customerId": lonely}),
        )
        .await,
    );

    // ---- core price lists
    let pl = "price_lists.v3.yml";
    c.check(
        pl,
        "GET",
        "/pricelists",
        200,
        &s.core_get("/v3/pricelists").await,
    );
    let r = s
        .core_json(
            Method::POST,
            "/v3/pricelists",
            json!({"name": "Contract", "active": true}),
        )
        .await;
    c.check(pl, "POST", "/pricelists", 200, &r);
    let plid = r.json()["data"]["id"].clone();
    c.check(
        pl,
        "POST",
        "/pricelists",
        422,
        &s.core_json(Method::POST, "/v3/pricelists", json!({})).await,
    );
    c.check(
        pl,
        "POST",
        "/pricelists",
        409,
        &s.core_json(Method::POST, "/v3/pricelists", json!({"name": "Contract"}))
            .await,
    );
    c.check(
        pl,
        "GET",
        "/pricelists/{price_list_id}",
        200,
        &s.core_get(&format!("/v3/pricelists/{plid}")).await,
    );
    c.check(
        pl,
        "PUT",
        "/pricelists/{price_list_id}",
        200,
        &s.core_json(
            Method::PUT,
            &format!("/v3/pricelists/{plid}"),
            json!({"name": "Contract 2"}),
        )
        .await,
    );
    c.check(pl, "PUT", "/pricelists/{price_list_id}/records", 200, &s.core_json(Method::PUT, &format!("/v3/pricelists/{plid}/records"), json!([{"variant_id": 1, "currency": "USD", "price": 5, "bulk_pricing_tiers": [{"quantity_min": 10, "quantity_max": 20, "type": "price", "amount": 4}]}])).await);
    c.check(
        pl,
        "PUT",
        "/pricelists/{price_list_id}/records",
        422,
        &s.core_json(
            Method::PUT,
            &format!("/v3/pricelists/{plid}/records"),
            json!([{"variant_id": 1}]),
        )
        .await,
    );
    c.check(
        pl,
        "GET",
        "/pricelists/{price_list_id}/records",
        200,
        &s.core_get(&format!("/v3/pricelists/{plid}/records")).await,
    );
    c.check(
        pl,
        "GET",
        "/pricelists/assignments",
        200,
        &s.core_get("/v3/pricelists/assignments").await,
    );
    c.check(
        pl,
        "POST",
        "/pricelists/assignments",
        422,
        &s.core_json(
            Method::POST,
            "/v3/pricelists/assignments",
            json!([{"customer_group_id": 1}]),
        )
        .await,
    );
    c.check(
        pl,
        "PUT",
        "/pricelists/{price_list_id}/assignments",
        200,
        &s.core_json(
            Method::PUT,
            &format!("/v3/pricelists/{plid}/assignments"),
            json!({"customer_group_id": 1, "channel_id": 1}),
        )
        .await,
    );

    // ---- core customer groups (v2) and customers (v3)
    let cg = "customers.v2.yml";
    c.check(
        cg,
        "GET",
        "/customer_groups",
        200,
        &s.core_get("/v2/customer_groups").await,
    );
    let r = s.core_json(Method::POST, "/v2/customer_groups", json!({"name": "Contract group", "discount_rules": [{"type": "all", "method": "percent", "amount": "5.0000"}]})).await;
    c.check(cg, "POST", "/customer_groups", 200, &r);
    let gid = r.json()["id"].clone();
    c.check(
        cg,
        "GET",
        "/customer_groups/{customer_group_id}",
        200,
        &s.core_get(&format!("/v2/customer_groups/{gid}")).await,
    );
    c.check(
        cg,
        "PUT",
        "/customer_groups/{customer_group_id}",
        200,
        &s.core_json(
            Method::PUT,
            &format!("/v2/customer_groups/{gid}"),
            json!({"name": "Renamed group"}),
        )
        .await,
    );
    let cu = "customers.v3.yml";
    c.check(
        cu,
        "GET",
        "/customers",
        200,
        &s.core_get("/v3/customers?limit=5").await,
    );
    c.check(
        cu,
        "POST",
        "/customers",
        200,
        &s.core_json(
            Method::POST,
            "/v3/customers",
            json!([{"email": "k@x.example", "first_name": "K", "last_name": "L"}]),
        )
        .await,
    );
    c.check(
        cu,
        "POST",
        "/customers",
        422,
        &s.core_json(
            Method::POST,
            "/v3/customers",
            json!([{"email": "z@x.example"}]),
        )
        .await,
    );

    // ---- core orders (v2)
    let o2 = "orders.v2.oas2.yml";
    c.check(
        o2,
        "GET",
        "/orders",
        200,
        &s.core_get("/v2/orders?limit=3&sort=date_modified:asc")
            .await,
    );
    let r = s
        .core_json(
            Method::POST,
            "/v2/orders",
            json!({"customer_id": 0, "products": [{"product_id": 2, "quantity": 1}]}),
        )
        .await;
    c.check(o2, "POST", "/orders", 200, &r);
    let oid = r.json()["id"].clone();
    c.check(
        o2,
        "GET",
        "/orders/{order_id}",
        200,
        &s.core_get(&format!("/v2/orders/{oid}")).await,
    );
    c.check(
        o2,
        "PUT",
        "/orders/{order_id}",
        200,
        &s.core_json(
            Method::PUT,
            &format!("/v2/orders/{oid}"),
            json!({"status_id": 2}),
        )
        .await,
    );
    c.check(
        o2,
        "GET",
        "/orders/{order_id}/products",
        200,
        &s.core_get(&format!("/v2/orders/{oid}/products")).await,
    );
    c.check(
        o2,
        "GET",
        "/orders/{order_id}/shipping_addresses",
        200,
        &s.core_get(&format!("/v2/orders/{oid}/shipping_addresses"))
            .await,
    );

    // ---- shipments (v2) and consignments
    let none = s.core_get(&format!("/v2/orders/{oid}/shipments")).await;
    assert_eq!(none.status, 204, "no shipments yet: {}", none.text);
    let with_lines = s
        .core_get(&format!(
            "/v2/orders/{oid}?include=consignments.line_items&consignment_structure=object"
        ))
        .await;
    c.check(o2, "GET", "/orders/{order_id}", 200, &with_lines);
    let consignment = with_lines.json()["consignments"]["shipping"][0].clone();
    let line = consignment["line_items"][0].clone();
    assert!(line["id"].is_i64(), "consignment lines: {consignment}");
    let r = s
        .core_json(
            Method::POST,
            &format!("/v2/orders/{oid}/shipments"),
            json!({"order_address_id": consignment["id"], "tracking_number": "1Z999",
                "shipping_provider": "ups", "comments": "first box",
                "items": [{"order_product_id": line["id"], "quantity": 1}]}),
        )
        .await;
    c.check(o2, "POST", "/orders/{order_id}/shipments", 201, &r);
    let sid = r.json()["id"].clone();
    c.check(
        o2,
        "GET",
        "/orders/{order_id}/shipments",
        200,
        &s.core_get(&format!("/v2/orders/{oid}/shipments")).await,
    );
    c.check(
        o2,
        "GET",
        "/orders/{order_id}/shipments/{shipment_id}",
        200,
        &s.core_get(&format!("/v2/orders/{oid}/shipments/{sid}"))
            .await,
    );
    c.check(
        o2,
        "PUT",
        "/orders/{order_id}/shipments/{shipment_id}",
        200,
        &s.core_json(
            Method::PUT,
            &format!("/v2/orders/{oid}/shipments/{sid}"),
            json!({"tracking_number": "1Z998", "shipping_provider": "ups"}),
        )
        .await,
    );
    c.check(
        o2,
        "GET",
        "/orders/{order_id}",
        200,
        &s.core_get(&format!(
            "/v2/orders/{oid}?include=consignments.line_items&consignment_structure=object"
        ))
        .await,
    );

    // ---- inventory, locations and variants by SKU
    let inv = "inventory.v3.yml";
    c.check(
        "locations.v3.yml",
        "GET",
        "/inventory/locations",
        200,
        &s.core_get("/v3/inventory/locations").await,
    );
    let variants = "catalog/product-variants_catalog.v3.yml";
    c.check(
        variants,
        "GET",
        "/catalog/variants",
        200,
        &s.core_get("/v3/catalog/variants?limit=3").await,
    );
    let by_sku = s
        .core_get("/v3/catalog/variants?sku:in=SKU-001-1,SKU-002-2,NOPE&include_fields=product_id,sku&limit=250")
        .await;
    c.check(variants, "GET", "/catalog/variants", 200, &by_sku);
    let found: Vec<Value> = by_sku.json()["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        found[0],
        json!({"id": 1, "product_id": 1, "sku": "SKU-001-1"})
    );
    c.check(
        inv,
        "PUT",
        "/inventory/adjustments/absolute",
        200,
        &s.core_json(
            Method::PUT,
            "/v3/inventory/adjustments/absolute",
            json!({"reason": "cycle count", "items": [
                {"location_id": 2, "sku": "SKU-001-1", "quantity": 40},
                {"location_id": 2, "variant_id": 2, "quantity": 0}]}),
        )
        .await,
    );
    c.check(
        inv,
        "POST",
        "/inventory/adjustments/relative",
        200,
        &s.core_json(
            Method::POST,
            "/v3/inventory/adjustments/relative",
            json!({"items": [{"location_id": 2, "variant_id": 1, "quantity": -3}]}),
        )
        .await,
    );
    c.check(
        inv,
        "POST",
        "/inventory/adjustments/relative",
        422,
        &s.core_json(
            Method::POST,
            "/v3/inventory/adjustments/relative",
            json!({"items": [{"location_id": 3, "variant_id": 1, "quantity": 1}]}),
        )
        .await,
    );

    // ---- carts (a buyer's, for punch-out)
    let carts = "carts.v3.yml";
    let customer = s.core_get("/v3/customers?limit=1").await.json()["data"][0]["id"].clone();
    let made = s
        .core_json(
            Method::POST,
            "/v3/carts",
            json!({"customer_id": customer, "channel_id": 1, "currency": {"code": "USD"},
                "line_items": [{"quantity": 2, "product_id": 1, "variant_id": 1},
                               {"quantity": 1, "product_id": 2, "list_price": 7.5}]}),
        )
        .await;
    c.check(carts, "POST", "/carts", 201, &made);
    let cart_id = made.json()["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let got = s.core_get(&format!("/v3/carts/{cart_id}")).await;
    c.check(carts, "GET", "/carts/{cartId}", 200, &got);
    let lines = got.json()["data"]["line_items"]["physical_items"].clone();
    assert_eq!(lines[0]["sku"], "SKU-001-1", "{lines}");
    assert_eq!(lines[1]["sale_price"], 7.5, "{lines}");
    assert_eq!(got.json()["data"]["customer_id"], customer);
    let gone = s
        .core_get("/v3/carts/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(gone.status, 404);

    // ---- hooks
    let wh = "webhooks.v3.yml";
    let r = s.core_json(Method::POST, "/v3/hooks", json!({"scope": "store/order/*", "destination": "https://example.test/h", "is_active": true, "headers": {"k": "v"}})).await;
    c.check(wh, "POST", "/hooks", 200, &r);
    let hid = r.json()["data"]["id"].clone();
    c.check(
        wh,
        "POST",
        "/hooks",
        422,
        &s.core_json(Method::POST, "/v3/hooks", json!({})).await,
    );
    c.check(wh, "GET", "/hooks", 200, &s.core_get("/v3/hooks").await);
    c.check(
        wh,
        "GET",
        "/hooks/{webhook_id}",
        200,
        &s.core_get(&format!("/v3/hooks/{hid}")).await,
    );
    c.check(
        wh,
        "GET",
        "/hooks/{webhook_id}",
        404,
        &s.core_get("/v3/hooks/999").await,
    );
    c.check(
        wh,
        "PUT",
        "/hooks/{webhook_id}",
        200,
        &s.core_json(
            Method::PUT,
            &format!("/v3/hooks/{hid}"),
            json!({"is_active": false}),
        )
        .await,
    );
    c.check(
        wh,
        "GET",
        "/hooks/admin",
        200,
        &s.core_get("/v3/hooks/admin").await,
    );
    c.check(
        wh,
        "DELETE",
        "/hooks/{webhook_id}",
        200,
        &s.send(s.core(Method::DELETE, &format!("/v3/hooks/{hid}")))
            .await,
    );
    let _ = g;

    invoice_portal(&s, &mut c).await;

    // ---- compare with the exceptions
    let ex = exceptions();
    let mut used = vec![false; ex.len()];
    let mut unexpected = Vec::new();
    for (spec, route, status, pointer, msg) in &c.violations {
        let hit = ex.iter().position(|e| {
            e.spec == *spec
                && e.route == *route
                && e.status == *status
                && pointer_matches(&e.pointer, pointer)
        });
        match hit {
            Some(i) => used[i] = true,
            None => unexpected.push(format!("{spec} {route} {status} at {pointer:?}: {msg}")),
        }
    }
    let stale: Vec<String> = ex
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| format!("{} {} {} {}", e.spec, e.route, e.status, e.pointer))
        .collect();
    assert!(c.checked >= 110, "only {} responses checked", c.checked);
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "contract violations not listed in contract-exceptions.json:\n{}\n\nexceptions that matched nothing:\n{}",
        unexpected.join("\n"),
        stale.join("\n")
    );
}

/// The Invoice Portal (`invoice-management.yaml`): every route and status the sandbox serves.
async fn invoice_portal(s: &Sb, c: &mut Checker) {
    let (inv, plain) = portal_invoices(s, c).await;
    let paid = portal_payments(s, c, &inv, &plain).await;
    portal_receipts(s, c).await;
    portal_deletes(s, c, &paid, &plain).await;
    // Every request above is one the spec allows (the sandbox checked them as they came).
    let broke: Vec<String> =
        s.sb.contract_violations()
            .iter()
            .filter(|v| v.route.contains("/io/ip/"))
            .map(ToString::to_string)
            .collect();
    assert!(
        broke.is_empty(),
        "portal requests broke the spec: {broke:#?}"
    );
}

/// The portal's invoices, created from the spec's own request examples: the detailed one and
/// the plain one (12.0000 open once the PUT example is applied).
async fn portal_invoices(s: &Sb, c: &mut Checker) -> (Value, Value) {
    let ip = "invoice-management";
    let doc = c
        .specs
        .docs
        .load(&spec_file(ip))
        .unwrap_or_else(|e| panic!("{e}"));
    let example = |op: &str, method: &str, name: &str| {
        doc["paths"][op][method]["requestBody"]["content"]["application/json"]["examples"][name]
            ["value"]
            .clone()
    };
    let post = Method::POST;

    // ---- invoices
    let mut detailed = example("/invoices", "post", "Invoice body with details info");
    detailed["customerId"] = json!("1");
    let r = s
        .b2b_json(post.clone(), "/ip/invoices", detailed.clone())
        .await;
    c.check(ip, "POST", "/invoices", 200, &r);
    let inv = r.json()["data"]["id"].clone();
    let duplicate = Example {
        spec: ip,
        method: "POST",
        template: "/invoices",
        documented: 200,
        name: "400",
    };
    let r = s.b2b_json(post.clone(), "/ip/invoices", detailed).await;
    c.check_example(duplicate, &r, &["/code", "/data/errMsg", "/meta/message"]);
    let mut plain = example("/invoices", "post", "Invoice body without details info");
    plain["customerId"] = json!("1");
    plain["invoiceNumber"] = json!("0000002");
    let r = s.b2b_json(post.clone(), "/ip/invoices", plain).await;
    c.check(ip, "POST", "/invoices", 200, &r);
    let plain = r.json()["data"]["id"].clone();
    c.check(
        ip,
        "GET",
        "/invoices/{invoiceId}",
        200,
        &s.b2b_get(&format!("/ip/invoices/{inv}")).await,
    );
    c.check(
        ip,
        "GET",
        "/invoices/{invoiceId}",
        404,
        &s.b2b_get("/ip/invoices/99999").await,
    );
    let update = example(
        "/invoices/{invoiceId}",
        "put",
        "Update body without details field",
    );
    c.check(
        ip,
        "PUT",
        "/invoices/{invoiceId}",
        200,
        &s.b2b_json(Method::PUT, &format!("/ip/invoices/{plain}"), update)
            .await,
    );
    let order = s.b2b_get("/orders?limit=1").await.json()["data"][0]["bcOrderId"].clone();
    c.check(
        ip,
        "POST",
        "/orders/{orderId}/invoices",
        200,
        &s.send(s.b2b(post.clone(), &format!("/ip/orders/{order}/invoices")))
            .await,
    );
    let no_order = Example {
        spec: ip,
        method: "POST",
        template: "/orders/{orderId}/invoices",
        documented: 200,
        name: "404",
    };
    let r = s.send(s.b2b(post.clone(), "/ip/orders/1/invoices")).await;
    c.check_example(no_order, &r, &["/code", "/data/errMsg", "/meta/message"]);
    c.check(
        ip,
        "GET",
        "/invoices",
        200,
        &s.b2b_get("/ip/invoices?limit=10&sortBy=updatedAt&orderBy=DESC")
            .await,
    );
    (inv, plain)
}

/// An offline payment of the plain invoice (its id answered) and a portal one of the detailed.
async fn portal_payments(s: &Sb, c: &mut Checker, inv: &Value, plain: &Value) -> Value {
    let ip = "invoice-management";
    let post = Method::POST;
    // ---- payments: an offline one (the PUT example left 12.0000 open) and a portal one
    let offline = |amount: &str| {
        json!({"lineItems": [{"invoiceId": plain, "amount": amount}], "currency": "USD",
            "details": {"memo": "Check 1001"}, "customerId": "1", "payerName": "Cash"})
    };
    let r = s
        .b2b_json(post.clone(), "/ip/payments/offline", offline("5.00"))
        .await;
    c.check(ip, "POST", "/payments/offline", 200, &r);
    let paid = r.json()["data"]["paymentId"].clone();
    c.check(
        ip,
        "POST",
        "/payments/offline",
        422,
        &s.b2b_json(post.clone(), "/ip/payments/offline", offline("100.00"))
            .await,
    );
    let portal = s
        .admin_post(
            "/invoice-payments",
            json!({"customerId": "1", "lineItems": [{"invoiceId": inv, "amount": "20.00"}]}),
        )
        .await;
    assert_eq!(portal.status, 201, "{}", portal.text);
    let card = portal.json()["id"].clone();
    c.check(
        ip,
        "GET",
        "/payments",
        200,
        &s.b2b_get("/ip/payments?sortBy=updatedAt&orderBy=DESC")
            .await,
    );
    for id in [&paid, &card] {
        c.check(
            ip,
            "GET",
            "/payments/{paymentId}",
            200,
            &s.b2b_get(&format!("/ip/payments/{id}")).await,
        );
    }
    c.check(
        ip,
        "GET",
        "/payments/{paymentId}",
        404,
        &s.b2b_get("/ip/payments/99999").await,
    );
    let mut full = offline("5.00");
    full["externalId"] = json!("ERP-PAY-1");
    full["processingStatus"] = json!(3);
    c.check(
        ip,
        "PUT",
        "/payments/offline/{paymentId}",
        200,
        &s.b2b_json(Method::PUT, &format!("/ip/payments/offline/{paid}"), full)
            .await,
    );
    c.check(
        ip,
        "PUT",
        "/payments/offline/{paymentId}",
        422,
        &s.b2b_json(
            Method::PUT,
            &format!("/ip/payments/offline/{paid}"),
            offline("6.00"),
        )
        .await,
    );
    let status = |s: i64| json!({ "processingStatus": s });
    let path = format!("/ip/payments/{card}/processing-status");
    c.check(
        ip,
        "PUT",
        "/payments/{paymentId}/processing-status",
        200,
        &s.b2b_json(Method::PUT, &path, status(4)).await,
    );
    c.check(
        ip,
        "PUT",
        "/payments/{paymentId}/processing-status",
        400,
        &s.b2b_json(Method::PUT, &path, status(2)).await,
    );
    paid
}

/// Receipts and their lines.
async fn portal_receipts(s: &Sb, c: &mut Checker) {
    let ip = "invoice-management";
    // ---- receipts and their lines (the first page without `offset`: exclusive of 0)
    let r = s
        .b2b_get("/ip/receipts?limit=10&sortBy=updatedAt&orderBy=DESC")
        .await;
    c.check(ip, "GET", "/receipts", 200, &r);
    let receipt = r.json()["data"][0]["id"].clone();
    c.check(
        ip,
        "GET",
        "/receipts/{receiptId}",
        200,
        &s.b2b_get(&format!("/ip/receipts/{receipt}")).await,
    );
    c.check(
        ip,
        "GET",
        "/receipts/{receiptId}",
        404,
        &s.b2b_get("/ip/receipts/99999").await,
    );
    c.check(
        ip,
        "GET",
        "/receipt-lines",
        200,
        &s.b2b_get("/ip/receipt-lines?paymentStatus%5B%5D=3&paymentStatus%5B%5D=4")
            .await,
    );
    let r = s.b2b_get(&format!("/ip/receipts/{receipt}/lines")).await;
    c.check(ip, "GET", "/receipts/{receiptId}/lines", 200, &r);
    let line = r.json()["data"][0]["id"].clone();
    c.check(
        ip,
        "GET",
        "/receipts/{receiptId}/lines",
        404,
        &s.b2b_get("/ip/receipts/99999/lines").await,
    );
    let line_path = format!("/ip/receipts/{receipt}/lines/{line}");
    c.check(
        ip,
        "GET",
        "/receipts/{receiptId}/lines/{receiptLineId}",
        200,
        &s.b2b_get(&line_path).await,
    );
    c.check(
        ip,
        "DELETE",
        "/receipts/{receiptId}/lines/{receiptLineId}",
        200,
        &s.send(s.b2b(Method::DELETE, &line_path)).await,
    );
    let receipt_path = format!("/ip/receipts/{receipt}");
    for expect in [200, 404] {
        c.check(
            ip,
            "DELETE",
            "/receipts/{receiptId}",
            expect,
            &s.send(s.b2b(Method::DELETE, &receipt_path)).await,
        );
    }
}

/// Deleting the offline payment and the plain invoice, twice (200 then 404).
async fn portal_deletes(s: &Sb, c: &mut Checker, paid: &Value, plain: &Value) {
    let ip = "invoice-management";
    // ---- deletes
    for expect in [200, 404] {
        c.check(
            ip,
            "DELETE",
            "/payments/{paymentId}",
            expect,
            &s.send(s.b2b(Method::DELETE, &format!("/ip/payments/{paid}")))
                .await,
        );
        c.check(
            ip,
            "DELETE",
            "/invoices/{invoiceId}",
            expect,
            &s.send(s.b2b(Method::DELETE, &format!("/ip/invoices/{plain}")))
                .await,
        );
    }
}
