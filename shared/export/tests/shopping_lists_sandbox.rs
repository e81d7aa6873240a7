//! The shopping lists stream against the sandbox: every company's shared lists are exported
//! with their items and SKUs, matching the schema users read; a later run brings only what
//! changed (a list whose items changed comes again, under a new dedupe key), and a junior
//! buyer's private draft stays private.

mod common;

use std::sync::Arc;

use b2b_export::{Exporter, StreamKind};
use b2b_shared::queue::MemoryQueue;
use b2b_test_support as support;
use bc_sandbox::RunningSandbox;
use reqwest::Method;
use serde_json::{json, Value};

struct Rig {
    sandbox: RunningSandbox,
    exporter: Exporter,
    outbox: Arc<MemoryQueue>,
}

async fn rig() -> Rig {
    let (sandbox, exporter, outbox) = common::strict_export(vec![StreamKind::ShoppingLists]).await;
    Rig {
        sandbox,
        exporter,
        outbox,
    }
}

impl Rig {
    async fn b2b(&self, method: Method, path: &str, body: Value) -> Value {
        support::b2b_send(&self.sandbox, method, path, &body).await
    }

    /// The id of a buyer of company `company` with `role` (made when there is none).
    async fn buyer(&self, company: i64, role: i64) -> i64 {
        let email = format!("r{role}@c{company}.example");
        let made = self
            .b2b(
                Method::POST,
                "/users",
                json!({"firstName": "R", "lastName": "B", "email": email,
                "companyId": company, "role": role, "channelIds": [1]}),
            )
            .await;
        made["data"]["userId"].as_i64().unwrap()
    }

    async fn list(&self, user: i64, name: &str, status: i64, items: Value) -> i64 {
        let made = self
            .b2b(
                Method::POST,
                "/shopping-list",
                json!({"name": name, "status": status,
                "userId": user, "items": items}),
            )
            .await;
        made["data"]["shoppingListId"].as_i64().unwrap()
    }

    fn docs(&self) -> Vec<Value> {
        self.outbox
            .bodies()
            .into_iter()
            .filter(|d| d["type"] == "shopping_list")
            .collect()
    }
}

#[tokio::test]
async fn every_companys_lists_reach_the_erp_with_skus_and_changes_come_again() {
    let rig = rig().await;
    let state = support::admin(&rig.sandbox, "state").await;
    let companies: Vec<i64> = support::all(&state, "companies")
        .iter()
        .map(|c| c["companyId"].as_i64().unwrap())
        .collect();
    let senior = rig.buyer(companies[0], 1).await;
    let junior = rig.buyer(companies[1], 2).await;
    let guide = rig
        .list(
            senior,
            "Weekly",
            0,
            json!([{"productId": 1, "variantId": 1, "quantity": 5},
            {"productId": 2, "variantId": 4, "quantity": 2}]),
        )
        .await;
    let shared = rig
        .list(
            junior,
            "For approval",
            40,
            json!([{"productId": 3, "variantId": 5, "quantity": 1}]),
        )
        .await;
    rig.list(junior, "My draft", 30, json!([])).await;

    let report = rig.exporter.run(None, None).await;
    assert!(report.complete, "{report:?}");
    let docs = rig.docs();
    let ids: std::collections::BTreeSet<i64> =
        docs.iter().map(|d| d["id"].as_i64().unwrap()).collect();
    assert_eq!(
        ids,
        [guide, shared].into(),
        "the draft stays private: {docs:#?}"
    );
    let weekly = docs.iter().find(|d| d["id"] == guide).unwrap();
    assert_eq!(weekly["data"]["shopping_list"]["name"], "Weekly");
    assert_eq!(
        weekly["data"]["items"],
        json!([{"id": 1, "product_id": 1, "variant_id": 1, "sku": "SKU-001-1", "quantity": 5},
            {"id": 2, "product_id": 2, "variant_id": 4, "sku": "SKU-002-2", "quantity": 2}])
    );
    let schema = common::document_schema();
    for doc in rig.outbox.bodies() {
        let errors: Vec<String> = schema.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{doc:#}");
    }

    // The guide changes a second later: the next run brings it again, under a new key.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    rig.b2b(
        Method::PUT,
        &format!("/shopping-list/{guide}"),
        json!({"items": [{"productId": 1, "variantId": 1, "quantity": 8}]}),
    )
    .await;
    rig.exporter.run(None, None).await;
    let keys: std::collections::BTreeSet<String> = rig
        .docs()
        .iter()
        .filter(|d| d["id"] == guide)
        .map(|d| d["dedupe_key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        rig.sandbox.contract_violations().is_empty(),
        "{:?}",
        rig.sandbox.contract_violations()
    );
}
