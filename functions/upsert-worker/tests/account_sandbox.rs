//! The whole B2B account from the ERP, through the worker against the sandbox (contract strict:
//! a request the official spec refuses fails the test): account hierarchies linked parents
//! first, a child that arrives before its parent retried, moves between parents, cycles and
//! parents that never appear dead-lettered naming `company.parent_external_id`; payment terms,
//! payment methods and credit from the customer master, written only where they differ, and
//! what the store cannot take dead-lettered naming its field; sales staff and super admins
//! assigned to companies by difference.

mod common;

use std::sync::Arc;

use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_test_support as support;
use bc_sandbox::RunningSandbox;
use bigcommerce_b2b::ClientOptions;
use reqwest::Method;
use serde_json::{json, Value};
use upsert_worker::{Engine, Worker};

struct Rig {
    sandbox: RunningSandbox,
    worker: Worker,
    dlq: Arc<MemoryQueue>,
}

async fn rig() -> Rig {
    let sandbox = support::sandbox(support::unlimited().strict()).await;
    let client = support::client(&sandbox, ClientOptions::default());
    let dlq = Arc::new(MemoryQueue::default());
    let mut engine = Engine::new(
        client,
        Arc::new(MemoryState::default()),
        "external_id".into(),
    );
    // A delta read every batch: the tests change hierarchies between batches without webhooks.
    engine.context.mirror_max_age = std::time::Duration::ZERO;
    let worker = common::worker(engine, dlq.clone());
    Rig {
        sandbox,
        worker,
        dlq,
    }
}

/// A `company.upsert` of `ext`, under `parent` when given.
fn company(ext: &str, parent: Option<&str>) -> Value {
    let lower = ext.to_lowercase();
    let mut c = json!({"type": "company.upsert", "version": 1, "store_hash": support::STORE,
        "external_id": ext, "idempotency_key": support::unique("k"),
        "company": {"name": format!("Co {ext}"), "email": format!("ap@{lower}.example"),
        "phone": "555-0100", "country": "US",
        "admin": {"first_name": "A", "last_name": "B", "email": format!("admin@{lower}.example")}}});
    if let Some(p) = parent {
        c["company"]["parent_external_id"] = json!(p);
    }
    c
}

const POST_PARENT: &str = "POST /api/v3/io/companies/{companyId}/parent";
const DELETE_SUBSIDIARY: &str =
    "DELETE /api/v3/io/companies/{companyId}/subsidiaries/{childCompanyId}";

impl Rig {
    /// Handles `bodies` as one SQS batch received `receives` times; the ids of the records that
    /// failed (to retry).
    async fn handle_received(&self, bodies: &[Value], receives: u32) -> Vec<String> {
        common::handle_received(&self.worker, bodies, receives).await
    }

    async fn handle(&self, bodies: &[Value]) -> Vec<String> {
        self.handle_received(bodies, 1).await
    }

    /// The sandbox's company whose external id is `ext`.
    async fn company(&self, ext: &str) -> Value {
        let state = support::admin(&self.sandbox, "state").await;
        let found: Vec<Value> = support::all(&state, "companies")
            .into_iter()
            .filter(|c| {
                c["extraFields"].as_array().is_some_and(|f| {
                    f.iter()
                        .any(|f| f["fieldName"] == "external_id" && f["fieldValue"] == ext)
                })
            })
            .collect();
        assert_eq!(
            found.len(),
            1,
            "companies with external id {ext}: {found:?}"
        );
        found[0].clone()
    }

    /// The id of the parent of company `ext` (0 at the top).
    async fn parent_of(&self, ext: &str) -> i64 {
        self.company(ext).await["parentCompany"]["id"]
            .as_i64()
            .unwrap_or(0)
    }

    async fn id_of(&self, ext: &str) -> i64 {
        self.company(ext).await["companyId"].as_i64().unwrap()
    }

    /// Requests served for `route` (`POST /api/v3/io/companies/{companyId}/parent` ...).
    async fn requests(&self, route: &str) -> u64 {
        let stats = support::admin(&self.sandbox, "stats").await;
        stats["requests_by_route"][route].as_u64().unwrap_or(0)
    }

    /// A B2B API read, as the control panel would see the store.
    async fn b2b(&self, path: &str) -> Value {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", self.sandbox.b2b_base_url()))
            .header("X-Auth-Token", support::TOKEN)
            .header("X-Store-Hash", support::STORE)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json::<Value>().await.unwrap()["data"].clone()
    }

    /// The writes of terms, payment methods and credit so far.
    async fn term_writes(&self) -> [u64; 3] {
        [
            self.requests(PUT_TERMS).await,
            self.requests(PUT_METHODS).await,
            self.requests(PUT_CREDIT).await,
        ]
    }

    fn assert_contract_kept(&self) {
        let violations = self.sandbox.contract_violations();
        assert!(violations.is_empty(), "{violations:?}");
    }
}

#[tokio::test]
async fn branches_sent_before_their_parent_wait_for_it_and_are_linked_once() {
    let rig = rig().await;
    // The branches come first in the batch: they wait (in the same invocation) for the parent.
    let batch = [
        company("B-1", Some("P")),
        company("B-2", Some("P")),
        company("P", None),
    ];
    let mut failed = rig.handle(&batch).await;
    for _ in 0..3 {
        if failed.is_empty() {
            break;
        }
        let again: Vec<Value> = batch
            .iter()
            .enumerate()
            .filter(|(i, _)| failed.contains(&format!("m{i}")))
            .map(|(_, b)| b.clone())
            .collect();
        failed = rig.handle(&again).await;
    }
    assert!(failed.is_empty(), "{:?}", rig.dlq.bodies());
    let parent = rig.id_of("P").await;
    assert_eq!(rig.parent_of("B-1").await, parent);
    assert_eq!(rig.parent_of("B-2").await, parent);
    assert_eq!(rig.parent_of("P").await, 0);
    assert_eq!(rig.requests(POST_PARENT).await, 2);

    // The ERP sends its customer master again: the links are there, nothing is written.
    let again = [
        company("B-1", Some("P")),
        company("B-2", Some("P")),
        company("P", None),
    ];
    assert!(rig.handle(&again).await.is_empty());
    assert_eq!(rig.requests(POST_PARENT).await, 2);
    assert!(rig.dlq.bodies().is_empty());
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_branch_moved_to_another_parent_leaves_the_old_one() {
    let rig = rig().await;
    assert!(rig
        .handle(&[company("P", None), company("Q", None)])
        .await
        .is_empty());
    assert!(rig.handle(&[company("B", Some("P"))]).await.is_empty());
    assert_eq!(rig.parent_of("B").await, rig.id_of("P").await);

    assert!(rig.handle(&[company("B", Some("Q"))]).await.is_empty());
    assert_eq!(rig.parent_of("B").await, rig.id_of("Q").await);
    assert_eq!(rig.requests(DELETE_SUBSIDIARY).await, 1);
    assert_eq!(rig.requests(POST_PARENT).await, 2);
    let p = rig.id_of("P").await;
    let subs = support::admin(&rig.sandbox, "state").await;
    let under_p = support::all(&subs, "companies")
        .into_iter()
        .filter(|c| c["parentCompany"]["id"] == p)
        .count();
    assert_eq!(under_p, 0, "P keeps no subsidiary");
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_cycle_is_a_dead_letter_naming_the_field_and_changes_nothing() {
    let rig = rig().await;
    assert!(rig.handle(&[company("P", None)]).await.is_empty());
    assert!(rig.handle(&[company("B", Some("P"))]).await.is_empty());
    assert!(rig.handle(&[company("C", Some("B"))]).await.is_empty());

    // P under its own grandchild, and a company under itself.
    assert!(rig
        .handle(&[company("P", Some("C")), company("B", Some("B"))])
        .await
        .is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 2, "{dead:?}");
    for d in &dead {
        let reason = d["error"].as_str().unwrap();
        assert!(reason.contains("company.parent_external_id"), "{reason}");
        assert!(reason.contains("loop"), "{reason}");
    }
    assert_eq!(rig.parent_of("P").await, 0);
    assert_eq!(rig.parent_of("B").await, rig.id_of("P").await);
    assert_eq!(rig.parent_of("C").await, rig.id_of("B").await);
    assert_eq!(rig.requests(POST_PARENT).await, 2);
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_parent_that_never_appears_is_retried_then_dead_lettered_naming_the_field() {
    let rig = rig().await;
    let child = company("B", Some("NOWHERE"));
    assert_eq!(rig.handle(std::slice::from_ref(&child)).await, ["m0"]);
    assert!(rig.dlq.bodies().is_empty(), "retried, not failed");

    let last = upsert_worker::DEFAULT_MAX_RECEIVES;
    assert!(rig.handle_received(&[child], last).await.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(reason.contains("company.parent_external_id"), "{reason}");
    assert!(reason.contains("NOWHERE"), "{reason}");
    // The company itself was upserted; only the link is missing.
    assert_eq!(rig.parent_of("B").await, 0);
    rig.assert_contract_kept();
}

/// `company("C", None)` with terms, payment methods and credit.
fn customer_master(
    ext: &str,
    net_days: u32,
    methods: &[&str],
    limit: &str,
    balance: &str,
) -> Value {
    let mut c = company(ext, None);
    c["company"]["payment_terms"] = json!({"net_days": net_days});
    c["company"]["payment_methods"] = json!(methods);
    c["company"]["credit"] = json!({"currency": "USD", "limit": limit, "balance": balance});
    c
}

const PUT_TERMS: &str = "PUT /api/v3/io/companies/{companyId}/payment-terms";
const PUT_METHODS: &str = "PUT /api/v3/io/companies/{companyId}/payments";
const PUT_CREDIT: &str = "PUT /api/v3/io/companies/{companyId}/credit";

#[tokio::test]
async fn terms_methods_and_credit_follow_the_customer_master_by_difference() {
    let rig = rig().await;
    let first = customer_master("C", 30, &["purchase_order"], "5000.00", "1200.00");
    assert!(
        rig.handle(&[first]).await.is_empty(),
        "{:?}",
        rig.dlq.bodies()
    );
    let id = rig.id_of("C").await;
    let terms = rig.b2b(&format!("/companies/{id}/payment-terms")).await;
    assert_eq!(terms, json!({"isEnabled": true, "paymentTerms": 30}));
    let methods = rig.b2b(&format!("/companies/{id}/payments")).await;
    let enabled: Vec<&str> = methods
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["isEnabled"] == true)
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert_eq!(enabled, ["purchase_order"], "{methods}");
    let credit = rig.b2b(&format!("/companies/{id}/credit")).await;
    assert_eq!(credit["creditEnabled"], true);
    assert_eq!(credit["creditCurrency"], "USD");
    assert_eq!(credit["availableCredit"].as_f64(), Some(3800.0));
    assert_eq!(credit["creditHold"], false);
    assert_eq!(credit["limitPurchases"], true);
    assert_eq!(rig.term_writes().await, [1, 1, 1]);

    // The same customer master again: everything matches, nothing is written.
    let again = customer_master("C", 30, &["purchase_order"], "5000.00", "1200.00");
    assert!(rig.handle(&[again]).await.is_empty());
    assert_eq!(rig.term_writes().await, [1, 1, 1]);

    // The company paid down its balance and moved to net 45: two writes, the methods stay.
    let paid = customer_master("C", 45, &["purchase_order"], "5000.00", "200.00");
    assert!(rig.handle(&[paid]).await.is_empty());
    assert_eq!(rig.term_writes().await, [2, 1, 2]);
    let credit = rig.b2b(&format!("/companies/{id}/credit")).await;
    assert_eq!(credit["availableCredit"].as_f64(), Some(4800.0));
    assert_eq!(
        rig.b2b(&format!("/companies/{id}/payment-terms")).await["paymentTerms"],
        45
    );
    assert!(rig.dlq.bodies().is_empty());
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_payment_method_the_store_lacks_is_a_dead_letter_naming_the_field() {
    let rig = rig().await;
    let cmd = customer_master("C", 30, &["purchase_order", "barter"], "10", "0");
    assert!(rig.handle(&[cmd]).await.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(reason.contains("company.payment_methods"), "{reason}");
    assert!(reason.contains("barter"), "{reason}");
    assert_eq!(rig.requests(PUT_METHODS).await, 0);
    rig.assert_contract_kept();
}

#[tokio::test]
async fn credit_with_the_stores_credit_feature_off_is_a_dead_letter_naming_the_field() {
    let rig = rig().await;
    support::admin_post(&rig.sandbox, "settings", &json!({"company_credit": false})).await;
    let cmd = customer_master("C", 30, &["cod"], "100", "0");
    assert!(rig.handle(&[cmd]).await.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(reason.contains("company.credit"), "{reason}");
    assert!(reason.contains("credit is not enabled"), "{reason}");
    // What came before the credit is in place; a redrive after the setting is fixed only adds it.
    assert_eq!(rig.term_writes().await, [1, 1, 0]);
    rig.assert_contract_kept();
}

fn sales_rep(email: &str, assign: &[&str], unassign: &[&str]) -> Value {
    json!({"type": "salesrep.assign", "version": 1, "store_hash": support::STORE,
        "external_id": format!("REP-{email}"), "idempotency_key": support::unique("k"),
        "sales_rep": {"email": email, "assign": assign, "unassign": unassign}})
}

fn super_admin(email: &str, assign: &[&str], unassign: &[&str]) -> Value {
    json!({"type": "superadmin.upsert", "version": 1, "store_hash": support::STORE,
        "external_id": format!("SA-{email}"), "idempotency_key": support::unique("k"),
        "super_admin": {"email": email, "first_name": "Olga", "last_name": "Ops",
        "assign": assign, "unassign": unassign}})
}

const PUT_STAFF: &str = "PUT /api/v3/io/sales-staffs/{salesStaffId}";
const PUT_SUPER_ADMIN: &str = "PUT /api/v3/io/super-admins/{superAdminId}";
const POST_SUPER_ADMIN: &str = "POST /api/v3/io/super-admins";

impl Rig {
    /// The ids of the companies sales staff member `id` is assigned to.
    async fn staff_companies(&self, id: i64) -> Vec<i64> {
        let d = self.b2b(&format!("/sales-staffs/{id}")).await;
        let mut ids: Vec<i64> = d["assignedCompanies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    }
}

#[tokio::test]
async fn a_sales_rep_is_assigned_and_removed_by_difference_after_their_companies_exist() {
    let rig = rig().await;
    let rep = json!({"email": "Marie@Seller.example", "name": "Marie Curie"});
    let staff = support::admin_post(&rig.sandbox, "sales-staff", &rep).await["id"]
        .as_i64()
        .unwrap();
    // The rep's accounts before the accounts: retried until they exist.
    let assign = sales_rep("marie@seller.example", &["A", "B"], &[]);
    assert_eq!(rig.handle(std::slice::from_ref(&assign)).await, ["m0"]);
    assert!(rig.dlq.bodies().is_empty());
    assert!(rig
        .handle(&[company("A", None), company("B", None), company("C", None)])
        .await
        .is_empty());
    assert!(rig.handle(&[assign]).await.is_empty());
    let (a, b, c) = (
        rig.id_of("A").await,
        rig.id_of("B").await,
        rig.id_of("C").await,
    );
    assert_eq!(rig.staff_companies(staff).await, [a, b]);
    assert_eq!(rig.requests(PUT_STAFF).await, 1);

    // Again: nothing to write. Then B moves to another rep and C comes in: one PUT.
    let again = sales_rep("marie@seller.example", &["A", "B"], &[]);
    assert!(rig.handle(&[again]).await.is_empty());
    assert_eq!(rig.requests(PUT_STAFF).await, 1);
    let moved = sales_rep("marie@seller.example", &["C"], &["B", "NEVER-MADE"]);
    assert!(rig.handle(&[moved]).await.is_empty());
    assert_eq!(rig.staff_companies(staff).await, [a, c]);
    assert_eq!(rig.requests(PUT_STAFF).await, 2);
    assert!(rig.dlq.bodies().is_empty());

    // Someone who is no sales staff member.
    assert!(rig
        .handle(&[sales_rep("nobody@seller.example", &["A"], &[])])
        .await
        .is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(reason.contains("sales_rep.email"), "{reason}");
    assert!(reason.contains("nobody@seller.example"), "{reason}");
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_super_admin_is_created_once_and_assigned_by_difference() {
    let rig = rig().await;
    assert!(rig
        .handle(&[company("A", None), company("B", None)])
        .await
        .is_empty());
    assert!(rig
        .handle(&[super_admin("ops@agency.example", &["A", "B"], &[])])
        .await
        .is_empty());
    assert_eq!(rig.requests(POST_SUPER_ADMIN).await, 1);
    assert_eq!(rig.requests(PUT_SUPER_ADMIN).await, 1);
    let found = rig.b2b("/companies/super-admins?q=ops").await;
    let admin = found[0]["id"].as_i64().unwrap();
    let assigned = |v: Value| -> Vec<i64> {
        let mut ids: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["companyId"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let (a, b) = (rig.id_of("A").await, rig.id_of("B").await);
    let path = format!("/super-admins/{admin}/companies");
    assert_eq!(assigned(rig.b2b(&path).await), [a, b]);

    // Delivered again (the create's answer lost, say): found by email, nothing written.
    assert!(rig
        .handle(&[super_admin("ops@agency.example", &["A", "B"], &[])])
        .await
        .is_empty());
    assert_eq!(rig.requests(POST_SUPER_ADMIN).await, 1);
    assert_eq!(rig.requests(PUT_SUPER_ADMIN).await, 1);
    assert!(rig
        .handle(&[super_admin("ops@agency.example", &[], &["A"])])
        .await
        .is_empty());
    assert_eq!(assigned(rig.b2b(&path).await), [b]);

    // A buyer's email cannot become a super admin: a dead letter naming the field.
    assert!(rig
        .handle(&[super_admin("admin@a.example", &["A"], &[])])
        .await
        .is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(reason.contains("super_admin.email"), "{reason}");
    rig.assert_contract_kept();
}

const PUT_CATALOG: &str = "PUT /api/v3/io/companies/{companyId}/catalogs";

#[tokio::test]
async fn a_companys_catalog_is_assigned_once_and_refused_on_independent_companies() {
    let rig = rig().await;
    let list = support::price_list(&rig.sandbox).await;
    assert!(rig.handle(&[company("C", None)]).await.is_empty());
    let mut cmd = company("C", None);
    cmd["company"]["catalog_id"] = json!(list);
    assert!(rig.handle(&[cmd.clone()]).await.is_empty());
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dlq.bodies());
    assert_eq!(rig.company("C").await["catalogId"], json!(list.to_string()));
    assert_eq!(rig.requests(PUT_CATALOG).await, 1);
    // Sent again: the company has it, nothing is written.
    cmd["idempotency_key"] = json!(support::unique("k"));
    assert!(rig.handle(&[cmd.clone()]).await.is_empty());
    assert_eq!(rig.requests(PUT_CATALOG).await, 1);
    // A new company takes its catalog in the create (as the spec's string).
    let mut new = company("D", None);
    new["company"]["catalog_id"] = json!(list);
    assert!(rig.handle(&[new]).await.is_empty());
    assert_eq!(rig.company("D").await["catalogId"], json!(list.to_string()));
    assert_eq!(rig.requests(PUT_CATALOG).await, 1);

    // On Independent Companies behavior the store refuses: a dead letter saying what to do.
    support::admin_post(
        &rig.sandbox,
        "settings",
        &json!({"independent_companies": true}),
    )
    .await;
    let retail = json!({"name": "Retail", "active": true});
    let other = support::core_post(&rig.sandbox, "/v3/pricelists", &retail).await;
    let other = other["data"]["id"].as_i64().unwrap();
    cmd["company"]["catalog_id"] = json!(other);
    cmd["idempotency_key"] = json!(support::unique("k"));
    assert!(rig.handle(&[cmd]).await.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(reason.contains("catalog_id"), "{reason}");
    assert!(reason.contains("Independent Companies"), "{reason}");
    assert_eq!(rig.company("C").await["catalogId"], json!(list.to_string()));
    rig.assert_contract_kept();
}

fn customer_group(ext: &str, name: &str, rules: Value) -> Value {
    json!({"type": "customergroup.upsert", "version": 1, "store_hash": support::STORE,
        "external_id": ext, "idempotency_key": support::unique("k"),
        "customer_group": {"name": name, "category_access": {"type": "all"}, "discount_rules": rules}})
}

const PUT_GROUP: &str = "PUT /stores/{store_hash}/v2/customer_groups/{customer_group_id}";
const POST_GROUP: &str = "POST /stores/{store_hash}/v2/customer_groups";

#[tokio::test]
async fn customer_groups_are_made_once_by_external_id_and_companies_wait_to_join_them() {
    let rig = rig().await;
    let rules = json!([{"type": "all", "method": "percent", "amount": "5"},
        {"type": "category", "method": "fixed", "amount": 2.5, "category_id": 18}]);
    let mut member = company("C", None);
    member["company"]["customer_group_external_id"] = json!("G-WHOLESALE");
    // The list comes first, waiting for its company and buyer; the company waits for its
    // group: all made in one invocation, level by level.
    let guide = json!([{"sku": "SKU-001-1", "quantity": 5}]);
    let batch = [
        shopping_list("C", "Weekly", guide),
        member.clone(),
        customer_group("G-WHOLESALE", "Wholesale", rules),
    ];
    let failed = rig.handle(&batch).await;
    assert!(failed.is_empty(), "{failed:?} {:?}", rig.dlq.bodies());
    assert_eq!(rig.lists().await.len(), 1);
    let state = support::admin(&rig.sandbox, "state").await;
    let groups = support::all(&state, "customer_groups");
    let group = groups.iter().find(|g| g["name"] == "Wholesale").unwrap();
    assert_eq!(rig.company("C").await["bcGroupId"], group["id"]);
    assert_eq!(group["discount_rules"].as_array().unwrap().len(), 2);
    assert_eq!(rig.requests(POST_GROUP).await, 1);

    // The same rules in another order and format: nothing written.
    let same = json!([{"type": "category", "method": "fixed", "amount": "2.50", "category_id": 18},
        {"type": "all", "method": "percent", "amount": 5}]);
    assert!(rig
        .handle(&[customer_group("G-WHOLESALE", "Wholesale", same)])
        .await
        .is_empty());
    assert_eq!(rig.requests(PUT_GROUP).await, 0);
    // One rule changed: the rules go as a whole, in one write.
    let changed = json!([{"type": "all", "method": "percent", "amount": "7.5"}]);
    assert!(rig
        .handle(&[customer_group("G-WHOLESALE", "Wholesale", changed)])
        .await
        .is_empty());
    assert_eq!(rig.requests(PUT_GROUP).await, 1);
    let state = support::admin(&rig.sandbox, "state").await;
    let groups = support::all(&state, "customer_groups");
    let group = groups.iter().find(|g| g["name"] == "Wholesale").unwrap();
    assert_eq!(
        group["discount_rules"],
        json!([{"type": "all", "method": "percent", "amount": "7.5000"}])
    );
    assert!(rig.dlq.bodies().is_empty());
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_group_found_by_name_is_adopted_not_made_again() {
    let rig = rig().await;
    let body = json!({"name": "Distributors"});
    support::core_post(&rig.sandbox, "/v2/customer_groups", &body).await;
    let cmd = customer_group("G-DIST", "Distributors", json!([]));
    assert!(rig.handle(&[cmd]).await.is_empty());
    assert_eq!(
        rig.requests(POST_GROUP).await,
        1,
        "only the control panel's create"
    );
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dlq.bodies());
    rig.assert_contract_kept();
}

fn shopping_list(company: &str, name: &str, items: Value) -> Value {
    let lower = company.to_lowercase();
    json!({"type": "shoppinglist.upsert", "version": 1, "store_hash": support::STORE,
        "external_id": format!("GUIDE-{company}-{name}"), "idempotency_key": support::unique("k"),
        "company_external_id": company,
        "shopping_list": {"name": name, "description": "Weekly order guide",
        "buyer_email": format!("admin@{lower}.example"), "items": items}})
}

const POST_LIST: &str = "POST /api/v3/io/shopping-list";
const PUT_LIST: &str = "PUT /api/v3/io/shopping-list/{shoppingListId}";

impl Rig {
    /// The sandbox's shopping lists.
    async fn lists(&self) -> Vec<Value> {
        let state = support::admin(&self.sandbox, "state").await;
        support::all(&state, "shopping_lists")
    }
}

fn quantities(list: &Value) -> Vec<(i64, i64)> {
    let mut q: Vec<(i64, i64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["variantId"].as_i64().unwrap(),
                i["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    q.sort();
    q
}

#[tokio::test]
async fn a_shopping_list_is_made_to_hold_exactly_the_erps_order_guide() {
    let rig = rig().await;
    assert!(rig.handle(&[company("C", None)]).await.is_empty());
    let guide = json!([{"sku": "SKU-001-1", "quantity": 5}, {"sku": "SKU-002-2", "quantity": 1}]);
    assert!(rig
        .handle(&[shopping_list("C", "Weekly", guide.clone())])
        .await
        .is_empty());
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dlq.bodies());
    let lists = rig.lists().await;
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0]["companyId"].as_i64(), Some(rig.id_of("C").await));
    assert_eq!(quantities(&lists[0]), [(1, 5), (4, 1)]);

    // Sent again: it holds them already.
    assert!(rig
        .handle(&[shopping_list("C", "Weekly", guide)])
        .await
        .is_empty());
    assert_eq!(
        (rig.requests(POST_LIST).await, rig.requests(PUT_LIST).await),
        (1, 0)
    );

    // The guide changes: one quantity, one item gone, one new; one write.
    let next = json!([{"sku": "SKU-001-1", "quantity": 8}, {"sku": "SKU-003-1", "quantity": 2}]);
    assert!(rig
        .handle(&[shopping_list("C", "Weekly", next)])
        .await
        .is_empty());
    assert_eq!(
        (rig.requests(POST_LIST).await, rig.requests(PUT_LIST).await),
        (1, 1)
    );
    assert_eq!(quantities(&rig.lists().await[0]), [(1, 8), (5, 2)]);
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dlq.bodies());
    rig.assert_contract_kept();
}

#[tokio::test]
async fn an_unknown_sku_on_a_list_is_a_dead_letter_naming_it_and_nothing_is_written() {
    let rig = rig().await;
    assert!(rig.handle(&[company("C", None)]).await.is_empty());
    let guide = json!([{"sku": "SKU-001-1", "quantity": 5}, {"sku": "NOPE-9", "quantity": 1}]);
    assert!(rig
        .handle(&[shopping_list("C", "Weekly", guide)])
        .await
        .is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(reason.contains("shopping_list.items[1].sku"), "{reason}");
    assert!(reason.contains("NOPE-9"), "{reason}");
    assert!(rig.lists().await.is_empty());
    assert_eq!(rig.requests(POST_LIST).await, 0);
    rig.assert_contract_kept();
}

#[tokio::test]
async fn an_extra_field_the_store_does_not_define_is_a_dead_letter_naming_it() {
    let rig = rig().await;
    let mut cmd = company("C", None);
    cmd["company"]["extra_fields"] = json!({"erp_id": "E-1", "region": "West"});
    assert!(rig.handle(&[cmd]).await.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(reason.contains("`company.extra_fields.region`"), "{reason}");
    assert!(
        reason.contains("erp_id"),
        "the defined fields are listed: {reason}"
    );
    let state = support::admin(&rig.sandbox, "state").await;
    assert!(
        support::all(&state, "companies").is_empty(),
        "nothing written"
    );

    // The fields it defines go through.
    let mut fine = company("C", None);
    fine["company"]["extra_fields"] = json!({"erp_id": "E-1"});
    assert!(rig.handle(&[fine]).await.is_empty());
    assert_eq!(rig.dlq.bodies().len(), 1);
    rig.assert_contract_kept();
}

#[tokio::test]
async fn a_missing_external_id_field_is_a_dead_letter_naming_the_setting() {
    let rig = rig().await;
    support::admin_post(
        &rig.sandbox,
        "faults",
        &json!({"remove_extra_field": "external_id"}),
    )
    .await;
    assert!(rig.handle(&[company("C", None)]).await.is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(
        reason.starts_with("EXTERNAL_ID_FIELD `external_id`"),
        "{reason}"
    );
}

/// A worker whose `EXTERNAL_ID_FIELD` is `field`, read through the settings as a deployment
/// reads it, on `state`, with the store mirror on or off (off: every lookup is a search).
fn worker_with_field(
    sandbox: &RunningSandbox,
    field: &str,
    state: Arc<MemoryState>,
    mirror: bool,
    dlq: Arc<MemoryQueue>,
) -> Worker {
    let settings = upsert_worker::settings::Settings::from_lookup(|k| match k {
        "BC_SECRET_ID" => Some(format!("bigcommerce/store/{}", support::STORE)),
        "INBOUND_QUEUE_URL" => Some("https://sqs/in".into()),
        "STATE_TABLE" => Some("state".into()),
        "DEAD_LETTER_QUEUE_URL" => Some("https://sqs/dlq".into()),
        "EXTERNAL_ID_FIELD" => Some(field.into()),
        _ => None,
    })
    .unwrap_or_else(|e| panic!("EXTERNAL_ID_FIELD `{field}` refused: {e}"));
    let client = support::client(sandbox, ClientOptions::default());
    let mut engine = Engine::new(client, state, settings.external_id_field.clone());
    engine.context.store_mirror = mirror;
    common::worker(engine, dlq)
}

#[tokio::test]
async fn a_store_whose_external_id_field_is_a_label_with_spaces_is_served() {
    // B2B Edition's extra fields are free-text labels: BigCommerce's example store has only
    // "Customer Tax Code".
    let field = "Customer Tax Code";
    let sandbox = support::sandbox(support::unlimited().strict()).await;
    let defined = &sandbox.app().company_extra_fields;
    *defined.lock().unwrap() = vec![field.to_owned()];
    let dlq = Arc::new(MemoryQueue::default());
    let first = worker_with_field(
        &sandbox,
        field,
        Arc::new(MemoryState::default()),
        true,
        dlq.clone(),
    );
    assert!(common::handle_received(&first, &[company("C-1", None)], 1)
        .await
        .is_empty());
    // Another deployment (no id map, no mirror) finds it by a search of that field.
    let second = worker_with_field(
        &sandbox,
        field,
        Arc::new(MemoryState::default()),
        false,
        dlq.clone(),
    );
    let mut renamed = company("C-1", None);
    renamed["company"]["name"] = json!("Co C-1 renamed");
    assert!(common::handle_received(&second, &[renamed], 1)
        .await
        .is_empty());
    assert!(dlq.bodies().is_empty(), "{:?}", dlq.bodies());
    let state = support::admin(&sandbox, "state").await;
    let companies = support::all(&state, "companies");
    assert_eq!(
        companies.len(),
        1,
        "found, not created again: {companies:?}"
    );
    assert_eq!(companies[0]["companyName"], "Co C-1 renamed");
    assert_eq!(companies[0]["extraFields"][0]["fieldName"], field);
    assert_eq!(companies[0]["extraFields"][0]["fieldValue"], "C-1");
    let violations = sandbox.contract_violations();
    assert!(violations.is_empty(), "{violations:?}");
}

fn buyer(company: &str, email: &str, role: Option<&str>) -> Value {
    let mut u = json!({"type": "user.upsert", "version": 1, "store_hash": support::STORE,
        "external_id": format!("U-{email}"), "idempotency_key": support::unique("k"),
        "company_external_id": company,
        "user": {"first_name": "Bo", "last_name": "Buyer", "email": email, "role": "junior_buyer"}});
    if let Some(r) = role {
        u["user"]["company_role"] = json!(r);
    }
    u
}

const PUT_USER: &str = "PUT /api/v3/io/users/{userId}";

#[tokio::test]
async fn buyers_get_company_roles_by_name_and_an_unknown_role_is_a_dead_letter() {
    let rig = rig().await;
    let manager = json!({"name": "Purchasing Manager",
        "permissions": [{"code": "get_addresses", "permissionLevel": 2}]});
    let role = support::b2b_send(&rig.sandbox, Method::POST, "/companies/roles", &manager).await;
    let role_id = role["data"]["id"].as_i64().unwrap();
    assert!(rig.handle(&[company("C", None)]).await.is_empty());
    let batch = [
        buyer("C", "bo@c.example", Some("purchasing manager")),
        buyer("C", "al@c.example", None),
    ];
    assert!(rig.handle(&batch).await.is_empty());
    assert!(rig.dlq.bodies().is_empty(), "{:?}", rig.dlq.bodies());
    let state = support::admin(&rig.sandbox, "state").await;
    let users = support::all(&state, "users");
    let bo = users.iter().find(|u| u["email"] == "bo@c.example").unwrap();
    assert_eq!(bo["companyRoleId"].as_i64(), Some(role_id));
    assert_eq!(bo["companyRoleName"], "Purchasing Manager");

    // Al is promoted by name later: one update; sent again, none.
    let promote = buyer("C", "al@c.example", Some("Purchasing Manager"));
    assert!(rig.handle(std::slice::from_ref(&promote)).await.is_empty());
    assert_eq!(rig.requests(PUT_USER).await, 1);
    let mut again = promote;
    again["idempotency_key"] = json!(support::unique("k"));
    assert!(rig.handle(&[again]).await.is_empty());
    assert_eq!(rig.requests(PUT_USER).await, 1);

    assert!(rig
        .handle(&[buyer("C", "cy@c.example", Some("Buyer King"))])
        .await
        .is_empty());
    let dead = rig.dlq.bodies();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(
        reason.contains("`user.company_role`") && reason.contains("Buyer King"),
        "{reason}"
    );
    assert!(reason.contains("Purchasing Manager"), "{reason}");
    rig.assert_contract_kept();
}
