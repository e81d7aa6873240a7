//! The whole B2B account from the ERP end to end with the real binaries (issue 21): the
//! customer master (a parent with two branches, sent branches first; net-30 terms, payment
//! methods, credit), the territory table (a sales rep) and a super admin go through
//! `POST /inbound` of `webhook-intake` to the inbound queue (moto) and the `upsert-worker`
//! binary applies them to the sandbox (strict: every request checked against BigCommerce's
//! specs). A loop in the hierarchy and an unknown sales rep are dead letters naming their
//! field; terms the store does not offer are refused at intake. Customer groups, catalogs,
//! order guides (shopping lists) and company roles by name go the same way; an unknown SKU
//! and an undefined extra field are dead letters naming them.

mod common;

use b2b_test_support::lambda::{answer_of, http_post, FunctionProcess};
use b2b_test_support::{drain, moto, queue, state_table, unique, unlimited, STORE};
use bc_sandbox::RunningSandbox;
use common::{admin_get, all, sandbox_store_secret, start_function, work_off};
use serde_json::{json, Value};

fn company(ext: &str, parent: Option<&str>) -> Value {
    let lower = ext.to_lowercase();
    let mut c = json!({"type": "company.upsert", "version": 1, "store_hash": STORE,
        "external_id": ext, "idempotency_key": unique("k"),
        "company": {"name": format!("Northwind {ext}"), "email": format!("ap@{lower}.example"),
        "phone": "555-0100", "country": "US",
        "admin": {"first_name": "N", "last_name": "D", "email": format!("admin@{lower}.example")}}});
    if let Some(p) = parent {
        c["company"]["parent_external_id"] = json!(p);
    }
    c
}

struct Rig {
    intake: FunctionProcess,
    worker: FunctionProcess,
    sqs: aws_sdk_sqs::Client,
    inbound: String,
    outbound: String,
    env: Vec<(&'static str, String)>,
}

impl Rig {
    /// Sends `batch` through intake, then the worker until nothing fails (as SQS redelivers);
    /// how many worker invocations it took.
    async fn apply(&self, batch: &[Value]) -> usize {
        let answer = answer_of(
            &self.intake,
            &http_post(
                "/inbound",
                &b2b_test_support::stores::inbound_key(STORE),
                &json!(batch),
            ),
        )
        .await;
        assert_eq!(answer["statusCode"], 202, "{answer}");
        let pending = drain(&self.sqs, &self.inbound).await;
        assert_eq!(pending.len(), batch.len());
        work_off(&self.worker, pending).await
    }
}

fn by_external_id<'a>(companies: &'a [Value], ext: &str) -> &'a Value {
    companies
        .iter()
        .find(|c| {
            c["extraFields"].as_array().is_some_and(|f| {
                f.iter()
                    .any(|f| f["fieldName"] == "external_id" && f["fieldValue"] == ext)
            })
        })
        .unwrap_or_else(|| panic!("no company {ext}"))
}

/// Moto's queues and state table, the strict sandbox, and the two binaries.
async fn start(name: &str) -> (Rig, RunningSandbox, String) {
    let sdk = moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let inbound = queue(&sdk, &format!("{name}-inbound")).await;
    let dlq = queue(&sdk, &format!("{name}-dlq")).await;
    let outbound = queue(&sdk, &format!("{name}-outbound")).await;
    let secret_id = sandbox_store_secret(&sdk, &format!("e2e-{name}")).await;
    let sandbox = b2b_test_support::sandbox(unlimited().strict()).await;
    let env = vec![
        ("BC_SECRET_ID", secret_id),
        ("STATE_TABLE", state_table(&sdk).await),
        ("INBOUND_QUEUE_URL", inbound.clone()),
        ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
        ("OUTBOUND_QUEUE_URL", outbound.clone()),
        ("EXPORT_STREAMS", "shoppinglists".to_owned()),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("EXTERNAL_ID_FIELD", "external_id".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let rig = Rig {
        intake: start_function("webhook-intake", &env).await,
        worker: start_function("upsert-worker", &env).await,
        sqs,
        inbound,
        outbound,
        env,
    };
    (rig, sandbox, dlq)
}

#[tokio::test]
async fn the_erp_builds_a_parent_with_branches_terms_credit_and_a_sales_rep() {
    let (rig, sandbox, dlq) = start("acct").await;
    let rep = json!({"email": "marie@seller.example", "name": "Marie Curie"});
    b2b_test_support::admin_post(&sandbox, "sales-staff", &rep).await;

    // The customer master, branches first, the parent with its terms and credit.
    let mut parent = company("NW", None);
    parent["company"]["payment_terms"] = json!({"net_days": 30});
    parent["company"]["payment_methods"] = json!(["purchase_order"]);
    parent["company"]["credit"] =
        json!({"currency": "USD", "limit": "20000", "balance": "4500.50"});
    rig.apply(&[
        company("NW-TX", Some("NW")),
        company("NW-CA", Some("NW")),
        parent,
    ])
    .await;
    let rep = json!({"type": "salesrep.assign", "version": 1, "store_hash": STORE,
        "external_id": "REP-marie", "sales_rep": {"email": "marie@seller.example",
        "assign": ["NW", "NW-TX", "NW-CA"]}});
    let admin = json!({"type": "superadmin.upsert", "version": 1, "store_hash": STORE,
        "external_id": "SA-ops", "super_admin": {"email": "ops@agency.example",
        "first_name": "Olga", "last_name": "Ops", "assign": ["NW-TX"]}});
    // Bad input: the parent under its own branch, a rep the store lacks.
    let cycle = company("NW", Some("NW-TX"));
    let stranger = json!({"type": "salesrep.assign", "version": 1, "store_hash": STORE,
        "external_id": "REP-x", "sales_rep": {"email": "nobody@seller.example", "assign": ["NW"]}});
    assert_eq!(rig.apply(&[rep, admin, cycle, stranger]).await, 1);

    let state = admin_get(&sandbox, "state").await;
    let companies = all(&state, "companies");
    let nw = by_external_id(&companies, "NW")["companyId"].clone();
    for branch in ["NW-TX", "NW-CA"] {
        assert_eq!(
            by_external_id(&companies, branch)["parentCompany"]["id"],
            nw
        );
    }
    assert_eq!(
        by_external_id(&companies, "NW")["parentCompany"]["id"]
            .as_i64()
            .unwrap_or(0),
        0,
        "the loop changed nothing"
    );
    let key = nw.to_string();
    assert_eq!(
        state["company_terms"][&key],
        json!({"isEnabled": true, "paymentTerms": 30})
    );
    assert_eq!(state["company_credit"][&key]["availableCredit"], 15499.5);
    assert_eq!(state["company_payments"][&key]["cod"], false);
    let staff = state["sales_staff"].as_object().unwrap();
    let assigned = staff.values().next().unwrap()["assigned"]
        .as_object()
        .unwrap()
        .len();
    assert_eq!(assigned, 3);
    let admins = state["super_admins"].as_object().unwrap();
    assert_eq!(admins.len(), 1);

    let dead = drain(&rig.sqs, &dlq).await;
    assert_eq!(dead.len(), 2, "{dead:#?}");
    let reasons: Vec<&str> = dead.iter().filter_map(|d| d["error"].as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("company.parent_external_id")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("sales_rep.email")),
        "{reasons:?}"
    );

    // Terms the store does not offer never reach the queue.
    let mut net31 = company("NW", None);
    net31["company"]["payment_terms"] = json!({"net_days": 31});
    let refused = answer_of(
        &rig.intake,
        &http_post(
            "/inbound",
            &b2b_test_support::stores::inbound_key(STORE),
            &json!([net31]),
        ),
    )
    .await;
    assert_eq!(refused["statusCode"], 400, "{refused}");
    assert!(
        refused["body"]
            .as_str()
            .unwrap()
            .contains("company.payment_terms.net_days"),
        "{refused}"
    );
    assert!(
        sandbox.contract_violations().is_empty(),
        "{:?}",
        sandbox.contract_violations()
    );
}

#[tokio::test]
async fn customer_groups_catalogs_and_order_guides_reach_the_store() {
    let (rig, sandbox, dlq) = start("assort").await;
    let price_list = b2b_test_support::price_list(&sandbox).await;
    let mut member = company("NW", None);
    member["company"]["customer_group_external_id"] = json!("PG-WHSL");
    member["company"]["catalog_id"] = json!(price_list);
    let group = json!({"type": "customergroup.upsert", "version": 1, "store_hash": STORE,
        "external_id": "PG-WHSL", "customer_group": {"name": "Wholesale",
        "discount_rules": [{"type": "all", "method": "percent", "amount": "5"}]}});
    let guide = |items: Value| {
        json!({"type": "shoppinglist.upsert", "version": 1, "store_hash": STORE,
        "external_id": format!("GUIDE-{}", unique("g")), "company_external_id": "NW",
        "shopping_list": {"name": "Weekly", "buyer_email": "admin@nw.example", "items": items}})
    };
    // The company and its list come before the group: they wait for it and for the company.
    let rounds = rig
        .apply(&[
            member,
            guide(json!([{"sku": "SKU-001-1", "quantity": 12}])),
            group,
        ])
        .await;
    assert!(rounds >= 1);
    // An unknown SKU and an extra field the store lacks: dead letters naming them, the list
    // and companies as they were. A buyer takes a company role by name.
    let mut stray = company("NW-2", None);
    stray["company"]["extra_fields"] = json!({"territory": "West"});
    let buyer = json!({"type": "user.upsert", "version": 1, "store_hash": STORE,
        "external_id": "U-lead", "company_external_id": "NW", "user": {"first_name": "Lea",
        "last_name": "Lead", "email": "lea@nw.example", "role": "junior_buyer",
        "company_role": "senior buyer"}});
    rig.apply(&[
        guide(json!([{"sku": "SKU-001-1", "quantity": 3}, {"sku": "GONE-1", "quantity": 1}])),
        stray,
        buyer,
    ])
    .await;

    let state = admin_get(&sandbox, "state").await;
    let companies = all(&state, "companies");
    let nw = by_external_id(&companies, "NW");
    assert_eq!(nw["bcGroupName"], "Wholesale");
    assert_eq!(nw["catalogId"], json!(price_list.to_string()));
    let lists = all(&state, "shopping_lists");
    assert_eq!(lists.len(), 1, "{lists:?}");
    assert_eq!(lists[0]["items"][0]["quantity"], 12);
    // The order-export binary brings the order guide back for demand planning, with SKUs.
    let export = start_function("order-export", &rig.env).await;
    let report = answer_of(&export, &json!({})).await;
    assert_eq!(report["complete"], true, "{report}");
    let docs = drain(&rig.sqs, &rig.outbound).await;
    let guides: Vec<&Value> = docs
        .iter()
        .filter(|d| d["type"] == "shopping_list")
        .collect();
    assert_eq!(guides.len(), 1, "{docs:#?}");
    assert_eq!(guides[0]["data"]["items"][0]["sku"], "SKU-001-1");
    assert_eq!(guides[0]["data"]["items"][0]["quantity"], 12);
    let lea = all(&state, "users")
        .into_iter()
        .find(|u| u["email"] == "lea@nw.example")
        .unwrap();
    assert_eq!(lea["companyRoleName"], "Senior Buyer");
    let dead = drain(&rig.sqs, &dlq).await;
    assert_eq!(dead.len(), 2, "{dead:#?}");
    let reasons: Vec<&str> = dead.iter().filter_map(|d| d["error"].as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("shopping_list.items[1].sku") && r.contains("GONE-1")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("`company.extra_fields.territory`")),
        "{reasons:?}"
    );
    assert!(
        sandbox.contract_violations().is_empty(),
        "{:?}",
        sandbox.contract_violations()
    );
}
