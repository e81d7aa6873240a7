//! Chaos: 1,000 mixed inbound commands (10 of them poison) go through the upsert-worker while the
//! sandbox answers 10% of API requests with 500/502/503, adds latency, enforces small rate-limit
//! windows, and sends three 429 bursts (half of its 429s without rate-limit headers). Three instances of the real
//! worker binary (under the tests' Lambda Runtime API, sharing one store quota, the state table
//! and the dead-letter queue in moto) take SQS-sized batches; failed messages come back in later
//! rounds, as SQS redelivers them.
//!
//! In the end the sandbox holds exactly the expected state (every entity once, with the fields
//! the commands asked for), exactly the 10 poison messages are dead-lettered, each with its
//! reason, and the sandbox's statistics show faults and both kinds of 429 really happened.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use b2b_test_support::lambda::{function_binary, FunctionProcess, Invoked};
use bc_sandbox::{start, SandboxOptions};
use common::{admin_get, all, int, sqs_record};
use futures_util::StreamExt;
use serde_json::{json, Value};

const STORE: &str = "abc123";
const TOKEN: &str = "tok-chaos";
const COMPANIES: usize = 150;
const USERS_PER_COMPANY: usize = 2; // 300 users
const SECOND_ADDRESS_EVERY: usize = 3; // 150 + 50 = 200 addresses
const PRICE_COMMANDS: usize = 40;
const RECORDS_PER_COMMAND: usize = 5;
const BATCH: usize = 10;
const WORKERS: usize = 3;
const BATCHES_IN_FLIGHT: usize = 3;
const MAX_ROUNDS: u32 = 30;
/// The worker's function timeout (the template's is 120 s; shorter here so a stuck batch shows).
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(60);
const STATUSES: [(&str, i64); 4] = [
    ("pending", 0),
    ("approved", 1),
    ("rejected", 2),
    ("inactive", 3),
];
const ROLES: [(&str, i64); 3] = [("admin", 0), ("senior_buyer", 1), ("junior_buyer", 2)];

/// One message of the run.
struct Msg {
    id: String,
    body: String,
    /// For poison messages: a phrase the dead-letter reason must contain.
    poison: Option<&'static str>,
}

/// What the sandbox must hold afterwards, keyed the way the worker finds entities.
#[derive(Default)]
struct Expected {
    /// External id → company fields.
    companies: BTreeMap<String, Value>,
    /// Email → user fields (buyers and company admins).
    users: BTreeMap<String, Value>,
    /// External id → address fields.
    addresses: BTreeMap<String, Value>,
    /// `variant_id:currency` → price.
    records: BTreeMap<String, Value>,
}

fn ext(i: usize) -> String {
    format!("C-{i:03}")
}

fn command(v: Value) -> String {
    v.to_string()
}

fn build(price_list: i64) -> (Vec<Msg>, Expected) {
    let mut msgs: Vec<Msg> = Vec::new();
    let mut exp = Expected::default();
    let mut push = |body: String, poison: Option<&'static str>| {
        msgs.push(Msg {
            id: String::new(),
            body,
            poison,
        })
    };

    for i in 0..COMPANIES {
        let c = ext(i);
        // The upsert sets no status: each company's status comes from its status commands only,
        // so the expected state does not depend on delivery order.
        push(
            command(
                json!({"type":"company.upsert","version":1,"store_hash":STORE,"external_id":c,
                "company":{"name":format!("Company {i}"),"email":format!("ap@c{i}.example"),"phone":format!("555-{i:04}"),
                    "country":"US","address":{"line1":format!("{i} Main St"),"city":"Austin","state":"Texas","zip_code":format!("78{i:03}")},
                    "admin":{"first_name":"Admin","last_name":format!("No{i}"),"email":format!("admin@c{i}.example")},
                    "extra_fields":{"erp_id":format!("ERP-{i}")}}}),
            ),
            None,
        );
        let (status, code) = STATUSES[i % STATUSES.len()];
        exp.companies.insert(
            c.clone(),
            json!({"companyName":format!("Company {i}"),"companyEmail":format!("ap@c{i}.example"),
                "companyPhone":format!("555-{i:04}"),"country":"US","addressLine1":format!("{i} Main St"),
                "city":"Austin","state":"Texas","zipCode":format!("78{i:03}"),"companyStatus":code,
                "extraFields":{"external_id":c,"erp_id":format!("ERP-{i}")}}),
        );
        exp.users.insert(
            format!("admin@c{i}.example"),
            json!({"firstName":"Admin","lastName":format!("No{i}"),"role":0,"company":c}),
        );
        // Two status commands per company, for the same status: the ERP sends it, then resends
        // it under an idempotency key. Whichever comes first, the end state is the same.
        push(
            command(
                json!({"type":"company.status","version":1,"store_hash":STORE,"external_id":c,"status":status}),
            ),
            None,
        );
        push(
            command(
                json!({"type":"company.status","version":1,"store_hash":STORE,"external_id":c,
                "idempotency_key":format!("resend-{c}"),"status":status}),
            ),
            None,
        );
        for k in 0..USERS_PER_COMPANY {
            let email = format!("buyer{k}@c{i}.example");
            let (role, role_code) = ROLES[(i + k) % ROLES.len()];
            push(
                command(
                    json!({"type":"user.upsert","version":1,"store_hash":STORE,"external_id":format!("U-{i:03}-{k}"),
                    "company_external_id":c,"user":{"first_name":format!("Buyer{k}"),"last_name":format!("Of{i}"),
                    "email":email,"role":role}}),
                ),
                None,
            );
            exp.users.insert(
                email,
                json!({"firstName":format!("Buyer{k}"),"lastName":format!("Of{i}"),"role":role_code,"company":c}),
            );
        }
        let addresses = if i.is_multiple_of(SECOND_ADDRESS_EVERY) {
            2
        } else {
            1
        };
        for k in 0..addresses {
            let a = format!("A-{i:03}-{k}");
            push(
                command(
                    json!({"type":"address.upsert","version":1,"store_hash":STORE,"external_id":a,
                    "company_external_id":c,"address":{"first_name":"Dock","last_name":format!("No{k}"),
                    "line1":format!("{i} Pier Rd"),"city":"Austin","zip_code":"78702","country_code":"us",
                    "is_shipping":true,"is_billing":k == 1}}),
                ),
                None,
            );
            exp.addresses.insert(
                a,
                json!({"company":c,"firstName":"Dock","lastName":format!("No{k}"),"addressLine1":format!("{i} Pier Rd"),
                    "city":"Austin","zipCode":"78702","countryCode":"US","isShipping":true,"isBilling":k == 1}),
            );
        }
    }
    for p in 0..PRICE_COMMANDS {
        let records: Vec<Value> = (0..RECORDS_PER_COMMAND)
            .map(|r| {
                let variant = (p * RECORDS_PER_COMMAND + r + 1) as i64;
                let price = variant as f64 * 0.25 + 1.0;
                exp.records
                    .insert(format!("{variant}:usd"), json!({"price": price}));
                json!({"variant_id": variant, "currency": "usd", "price": price})
            })
            .collect();
        push(
            command(
                json!({"type":"pricelist.records.upsert","version":1,"store_hash":STORE,
                "external_id":format!("PL-{price_list}-{p}"),"price_list_id":price_list,"records":records}),
            ),
            None,
        );
    }

    // The poison: permanent failures, each for its own reason.
    let poison: [(String, &'static str); 10] = [
        (
            command(
                json!({"type":"company.upsert","version":1,"store_hash":STORE,"external_id":"P-1",
                "company":{"name":"Broken","email":"not-an-email","phone":"1","country":"US",
                "admin":{"first_name":"A","last_name":"B","email":"a@p1.example"}}}),
            ),
            "`company.email` is not an email address",
        ),
        (
            command(
                json!({"type":"user.upsert","version":1,"store_hash":STORE,"external_id":"P-2","company_external_id":ext(1),
                "user":{"first_name":"N","last_name":"K","email":"nick@c1.example","role":"admin","nickname":"nk"}}),
            ),
            "unknown field `user.nickname`",
        ),
        (
            command(
                json!({"type":"company.status","version":2,"store_hash":STORE,"external_id":ext(2),"status":"approved"}),
            ),
            "unsupported version 2",
        ),
        (
            r#"{"type":"company.status","version":1,"store_hash":"abc123","external_id":"C-003","#
                .to_owned(),
            "not valid JSON",
        ),
        (
            command(
                json!({"type":"order.delete","version":1,"store_hash":STORE,"external_id":"P-5"}),
            ),
            "unknown command type `order.delete`",
        ),
        (
            command(
                json!({"type":"company.status","version":1,"store_hash":"abc/123","external_id":ext(4),"status":"inactive"}),
            ),
            "`store_hash` must be 1 to 64 letters and digits",
        ),
        (
            command(
                json!({"type":"company.status","version":1,"store_hash":"otherstore","external_id":ext(5),"status":"inactive"}),
            ),
            "is for store `otherstore`",
        ),
        (
            command(
                json!({"type":"address.upsert","version":1,"store_hash":STORE,"external_id":"P-8","company_external_id":ext(6),
                "address":{"first_name":"X","last_name":"Y","line1":"1 Road","city":"Austin","zip_code":"1","country_code":"USA"}}),
            ),
            "`address.country_code` must be a 2-letter ISO 3166 code",
        ),
        (
            command(
                json!({"type":"pricelist.records.upsert","version":1,"store_hash":STORE,"external_id":"P-9",
                "price_list_id":price_list,"records":[{"variant_id":1,"currency":"usd","price":-5}]}),
            ),
            "`records[0].price` must be a non-negative number",
        ),
        (
            // Valid as a command; BigCommerce refuses its record (422 naming it): the worker must
            // not retry it.
            command(
                json!({"type":"pricelist.records.upsert","version":1,"store_hash":STORE,"external_id":"P-10",
                "price_list_id":price_list,"records":[{"sku":"NO-SUCH-SKU","currency":"usd","price":5}]}),
            ),
            "1 of 1 records rejected",
        ),
    ];
    for (body, reason) in poison {
        push(body, Some(reason));
    }
    assert_eq!(msgs.len(), 1_000, "the run is 1,000 commands");

    // Deterministic shuffle: buyers, addresses and statuses often arrive before their company.
    let mut rng = fastrand::Rng::with_seed(0x5eed_c4a0);
    rng.shuffle(&mut msgs);
    for (n, m) in msgs.iter_mut().enumerate() {
        m.id = format!("msg-{n:04}");
    }
    (msgs, exp)
}

fn text(v: &Value, k: &str) -> Value {
    match &v[k] {
        Value::Null => json!(""),
        other => other.clone(),
    }
}

fn extra_fields(v: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for f in v["extraFields"].as_array().into_iter().flatten() {
        if let Some(name) = f["fieldName"].as_str() {
            m.insert(name.to_owned(), f["fieldValue"].clone());
        }
    }
    Value::Object(m)
}

/// Groups `items` by `key`, failing on any duplicate.
fn unique_by(
    items: Vec<Value>,
    what: &str,
    key: impl Fn(&Value) -> String,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let mut dupes = Vec::new();
    for item in items {
        let k = key(&item);
        if out.insert(k.clone(), item).is_some() {
            dupes.push(k);
        }
    }
    assert!(dupes.is_empty(), "duplicated {what}: {dupes:?}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_commands_through_faults_and_429s_give_exactly_the_expected_state() {
    let started = Instant::now();
    let sandbox = start(SandboxOptions {
        store_hash: STORE.into(),
        token: TOKEN.into(),
        // Small windows: the quotas run out every few hundred milliseconds, and creating a
        // company or user also spends a core request behind the client's back (the fan-out).
        quota: 25,
        window_ms: 500,
        b2b_quota: 90,
        b2b_window_ms: 500,
        catalog_products: 100,
        fault_rate: 0.1,
        latency_ms: (0, 5),
        headerless_429_rate: 0.5,
        ..SandboxOptions::default().strict()
    })
    .await
    .expect("sandbox starts");

    // The price list the records go to (admin-free: a plain API call, retried past faults).
    let http = reqwest::Client::new();
    let mut price_list = None;
    for _ in 0..50 {
        let resp = http
            .post(format!("{}/v3/pricelists", sandbox.core_base_url()))
            .header("X-Auth-Token", TOKEN)
            .json(&json!({"name": "Chaos wholesale", "active": true}))
            .send()
            .await
            .unwrap();
        if resp.status().is_success() {
            let v: Value = resp.json().await.unwrap();
            price_list = v["data"]["id"].as_i64();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let price_list = price_list.expect("a price list could be created within 50 tries");

    let (msgs, expected) = build(price_list);
    let poison_ids: BTreeMap<String, &'static str> = msgs
        .iter()
        .filter_map(|m| m.poison.map(|r| (m.id.clone(), r)))
        .collect();
    assert_eq!(poison_ids.len(), 10);
    let index: HashMap<String, usize> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();

    // Three Lambda instances of the real upsert-worker binary (each its own client, so its own
    // view of the rate limits), sharing the store secret, the state table and the dead-letter
    // queue in moto.
    let sdk = b2b_test_support::moto().await;
    let secret_id = b2b_test_support::unique("chaos/store");
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(&secret_id)
        .secret_string(json!({"store_hash": STORE, "access_token": TOKEN}).to_string())
        .send()
        .await
        .expect("secret created in moto");
    let dlq = b2b_test_support::queue(&sdk, "chaos-dlq").await;
    let env = vec![
        ("BC_SECRET_ID", secret_id),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("STATE_TABLE", b2b_test_support::state_table(&sdk).await),
        (
            "INBOUND_QUEUE_URL",
            b2b_test_support::queue(&sdk, "chaos-inbound").await,
        ),
        ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let binary = function_binary("upsert-worker", false).unwrap_or_else(|e| panic!("{e}"));
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        workers.push(
            FunctionProcess::start(&binary, "upsert-worker", &env, INVOCATION_TIMEOUT)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }

    // Three 429 bursts, 3 s apart: the next 8 requests find the quota spent by another app on
    // the store (half of them without rate-limit headers, as the sandbox's 429s are). A
    // headerless 429 holds the instance for seconds (2 s, doubling), as it should.
    let bursts = {
        let url = format!("{}/__sandbox/faults", sandbox.base_url());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for _ in 0..3 {
                tokio::time::sleep(Duration::from_secs(3)).await;
                let _ = http.post(&url).json(&json!({"burst_429": 8})).send().await;
            }
        })
    };

    // SQS: every message is received in some batch; failed ones come back in a later round.
    let mut receives = vec![0u32; msgs.len()];
    let mut pending: Vec<usize> = (0..msgs.len()).collect();
    let mut rounds = 0;
    let mut redeliveries = 0usize;
    while !pending.is_empty() {
        rounds += 1;
        assert!(
            rounds <= MAX_ROUNDS,
            "{} message(s) still failing after {MAX_ROUNDS} rounds: {:?}",
            pending.len(),
            pending.iter().map(|i| &msgs[*i].id).collect::<Vec<_>>()
        );
        let batches: Vec<Vec<Value>> = pending
            .chunks(BATCH)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|i| {
                        receives[*i] += 1;
                        sqs_record(&msgs[*i].id, &msgs[*i].body, receives[*i])
                    })
                    .collect()
            })
            .collect();
        let workers = &workers;
        let mut failed: Vec<usize> = futures_util::stream::iter(batches.into_iter().enumerate())
            .map(|(n, records)| async move {
                let worker = &workers[n % WORKERS];
                match worker
                    .invoke(&json!({ "Records": records }), INVOCATION_TIMEOUT * 2)
                    .await
                {
                    Ok(Invoked::Response(r)) => r["batchItemFailures"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                        .collect::<Vec<_>>(),
                    other => panic!("worker: {other:?} (log: {})", worker.log.display()),
                }
            })
            .buffer_unordered(BATCHES_IN_FLIGHT)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .map(|id| {
                *index
                    .get(&id)
                    .unwrap_or_else(|| panic!("the worker reported an unknown message id `{id}`"))
            })
            .collect();
        failed.sort_unstable();
        let before = failed.len();
        failed.dedup();
        assert_eq!(before, failed.len(), "a message was reported failed twice");
        redeliveries += failed.len();
        pending = failed;
    }

    bursts.abort();

    // The workers logged every retry, 429 and dead letter: never the store's token.
    for w in &workers {
        let log = std::fs::read_to_string(&w.log).unwrap_or_default();
        assert!(!log.is_empty(), "{} is empty", w.log.display());
        assert!(
            !log.contains(TOKEN),
            "{} contains the access token",
            w.log.display()
        );
    }

    // Dead letters: exactly the poison, each with its reason and its original body.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dead = b2b_test_support::drain(&sqs, &dlq).await;
    let mut dead_ids = BTreeSet::new();
    for d in &dead {
        let id = d["message_id"].as_str().expect("message_id").to_owned();
        assert!(
            dead_ids.insert(id.clone()),
            "`{id}` was dead-lettered twice"
        );
        let Some(reason) = poison_ids.get(&id) else {
            panic!("a valid message was dead-lettered: {d:#}");
        };
        let error = d["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(reason),
            "dead letter `{id}`: the reason should say `{reason}`, got `{error}`"
        );
        assert!(!d["kind"].as_str().unwrap_or_default().is_empty(), "{d:#}");
        assert!(d["failed_at"].as_i64().is_some(), "{d:#}");
        assert_eq!(
            d["original"].as_str(),
            Some(msgs[index[&id]].body.as_str()),
            "the dead letter carries the original body"
        );
    }
    assert_eq!(
        dead_ids,
        poison_ids.keys().cloned().collect::<BTreeSet<_>>(),
        "exactly the 10 poison messages are dead-lettered"
    );

    // The state: every entity exactly once, with exactly the expected fields.
    let snapshot = admin_get(&sandbox, "state").await;
    let companies = unique_by(all(&snapshot, "companies"), "company (external id)", |c| {
        extra_fields(c)["external_id"]
            .as_str()
            .unwrap_or("<none>")
            .to_owned()
    });
    let ext_of: HashMap<i64, String> = companies
        .iter()
        .map(|(e, c)| (int(&c["companyId"]).unwrap(), e.clone()))
        .collect();
    let actual_companies: BTreeMap<String, Value> = companies
        .iter()
        .map(|(e, c)| {
            let mut p = json!({});
            for k in [
                "companyName",
                "companyEmail",
                "companyPhone",
                "country",
                "addressLine1",
                "city",
                "state",
                "zipCode",
            ] {
                p[k] = text(c, k);
            }
            p["companyStatus"] = json!(int(&c["companyStatus"]));
            p["extraFields"] = extra_fields(c);
            (e.clone(), p)
        })
        .collect();
    assert_eq!(actual_companies, expected.companies, "companies differ");

    let company_of = |v: &Value| -> Value {
        let id = int(&v["companyId"]).unwrap_or(-1);
        json!(ext_of
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("<company {id}>")))
    };
    let users = unique_by(all(&snapshot, "users"), "user (email)", |u| {
        u["email"].as_str().unwrap_or_default().to_ascii_lowercase()
    });
    let actual_users: BTreeMap<String, Value> = users
        .iter()
        .map(|(email, u)| {
            (
                email.clone(),
                json!({"firstName":text(u, "firstName"),"lastName":text(u, "lastName"),
                    "role":int(&u["role"]),"company":company_of(u)}),
            )
        })
        .collect();
    assert_eq!(actual_users, expected.users, "users differ");
    unique_by(all(&snapshot, "customers"), "core customer (email)", |c| {
        c["email"].as_str().unwrap_or_default().to_ascii_lowercase()
    });

    let addresses = unique_by(all(&snapshot, "addresses"), "address (externalId)", |a| {
        a["externalId"].as_str().unwrap_or_default().to_owned()
    });
    let actual_addresses: BTreeMap<String, Value> = addresses
        .iter()
        .map(|(e, a)| {
            let mut p = json!({"company": company_of(a)});
            for k in [
                "firstName",
                "lastName",
                "addressLine1",
                "city",
                "zipCode",
                "countryCode",
                "isShipping",
                "isBilling",
            ] {
                p[k] = text(a, k);
            }
            (e.clone(), p)
        })
        .collect();
    assert_eq!(actual_addresses, expected.addresses, "addresses differ");

    let actual_records: BTreeMap<String, Value> = all(&snapshot, "records")
        .into_iter()
        .filter(|r| int(&r["price_list_id"]) == Some(price_list))
        .map(|r| {
            (
                format!(
                    "{}:{}",
                    int(&r["variant_id"]).unwrap_or(-1),
                    r["currency"].as_str().unwrap_or_default()
                ),
                json!({"price": r["price"].as_f64()}),
            )
        })
        .collect();
    assert_eq!(actual_records, expected.records, "price records differ");
    assert!(all(&snapshot, "quotes").is_empty());

    // The chaos really happened: otherwise this test proves nothing.
    let stats = admin_get(&sandbox, "stats").await;
    let n = |k: &str| stats[k].as_u64().unwrap_or(0);
    eprintln!(
        "chaos: {} ms, {rounds} rounds, {redeliveries} redeliveries; sandbox: {} requests, {} faults, \
         {} 429s ({} headerless), {} writes",
        started.elapsed().as_millis(),
        n("requests_total"),
        n("faults_injected_total"),
        n("rate_limited_total"),
        n("headerless_429_total"),
        n("writes_total"),
    );
    // The store mirror makes fewer requests than lookups would (about 900 here), so the 10%
    // fault rate gives fewer faults: enough of them, in proportion.
    assert!(
        n("faults_injected_total") >= 50 && n("faults_injected_total") * 20 >= n("requests_total"),
        "too few faults injected: {stats:#}"
    );
    assert!(n("rate_limited_total") > 0, "no 429 was sent: {stats:#}");
    assert!(
        n("headerless_429_total") > 0,
        "no headerless 429 was sent: {stats:#}"
    );
    assert!(
        n("rate_limited_total") > n("headerless_429_total"),
        "no 429 with headers was sent: {stats:#}"
    );
    assert!(redeliveries > 0, "nothing was ever redelivered");
    // Every write the commands call for, once: no entity was created twice and nothing was
    // rewritten by a redelivery. Companies already `approved` (the default) need no status write.
    let status_writes = (0..COMPANIES)
        .filter(|i| STATUSES[i % STATUSES.len()].1 != 1)
        .count();
    let expected_writes = 1 // the price list created above
        + COMPANIES
        + status_writes
        + COMPANIES * USERS_PER_COMPANY
        + expected.addresses.len()
        + PRICE_COMMANDS;
    assert_eq!(
        n("writes_total"),
        expected_writes as u64,
        "successful writes to the sandbox: {stats:#}"
    );
}
