//! The JSON Schema files users read (`schemas/`) and our parsers accept and refuse the same
//! messages.
// Test-only: compiled under #[cfg(test)] from its parent module.

use serde_json::{json, Value};

use super::{Command, InboundMessage, WebhookEvent, WebhookPayload};

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!("{}/../../schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: Value = serde_json::from_str(&text).unwrap();
    // Formats are assertions here, as in the worker (`2026-02-30` is not a `date`).
    jsonschema::options()
        .should_validate_formats(true)
        .build(&value)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn base(kind: &str) -> Value {
    json!({"type": kind, "version": 1, "store_hash": "abc123", "external_id": "X-1"})
}

fn with(mut v: Value, extra: Value) -> Value {
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    v
}

/// One valid command of every type.
pub(crate) fn valid_commands() -> Vec<Value> {
    vec![
        with(
            base("company.upsert"),
            json!({"idempotency_key": "k1", "company": {
            "name": "Acme", "email": "a@acme.example", "phone": "1", "country": "US",
            "address": {"line1": "1 Main", "city": "Austin"},
            "admin": {"first_name": "A", "last_name": "B", "email": "ab@acme.example"},
            "extra_fields": {"erp_id": "X-1"}, "price_lists": [{"channel_id": 1, "price_list_id": 2}], "status": "approved",
            "customer_group_external_id": "PG-1", "catalog_id": 4, "parent_external_id": "X-0", "payment_terms": {"net_days": 30}, "payment_methods": ["cod", "purchase_order"],
            "credit": {"currency": "USD", "limit": "5000.00", "balance": 1200.5, "on_hold": false}}}),
        ),
        with(base("company.status"), json!({"status": "inactive"})),
        with(
            base("user.upsert"),
            json!({"company_external_id": "C-1", "user": {
            "first_name": "G", "last_name": "H", "email": "g@acme.example", "role": "junior_buyer", "company_role": "Purchasing Manager", "channel_ids": [1, 2]}}),
        ),
        with(
            base("address.upsert"),
            json!({"company_external_id": "C-1", "address": {
            "first_name": "G", "last_name": "H", "line1": "2 Side St", "city": "Austin", "zip_code": "78701",
            "country_code": "US", "is_shipping": true, "is_default_shipping": true}}),
        ),
        with(
            base("pricelist.records.upsert"),
            json!({"price_list_id": 3, "records": [
            {"sku": "A", "currency": "usd", "price": 1.5},
            {"variant_id": 7, "currency": "EUR", "price": 2, "bulk_pricing_tiers": [{"quantity_min": 10, "quantity_max": 0, "type": "percent", "amount": 5}]}]}),
        ),
        with(
            base("pricelist.assign"),
            json!({"price_list_id": 3, "customer_group_id": 4}),
        ),
        with(
            base("pricelist.assign"),
            json!({"price_list_id": 3, "company_external_id": "C-1", "channel_id": 2}),
        ),
        with(
            base("quote.upsert"),
            json!({"company_external_id": "C-1", "quote": {
            "buyer_email": "g@acme.example", "currency": "USD", "expires_on": "2026-12-31",
            "lines": [{"sku": "A", "product_id": 1, "quantity": 5, "base_price": 10, "offered_price": 9}]}}),
        ),
        with(
            base("quote.upsert"),
            json!({"company_external_id": "C-1", "quote": {
            "buyer_email": "g@acme.example", "currency": "USD", "expires_on": "2026-12-31", "status": "ordered", "order_id": 120}}),
        ),
        with(
            base("quote.upsert"),
            json!({"company_external_id": "C-1", "quote": {
            "buyer_email": "g@acme.example", "currency": "USD", "expires_on": "2026-12-31", "status": "expired"}}),
        ),
        // 10..
        with(
            base("order.status"),
            json!({"order": {"id": 101, "reference": "SO-1"}, "status": "SHIPPED"}),
        ),
        with(
            base("order.status"),
            json!({"order": {"reference": "SO-1"}, "status_id": 10}),
        ),
        with(
            base("shipment.create"),
            json!({"order": {"id": 101}, "shipment": {
            "lines": [{"sku": "A", "quantity": 2}, {"order_product_id": 5, "quantity": 1}],
            "tracking_number": "1Z999", "shipping_provider": "ups", "comments": "box 1 of 2"}}),
        ),
        with(
            base("shipment.update"),
            json!({"order": {"id": 101}, "shipment": {"tracking_number": "1Z998"}}),
        ),
        with(
            base("shipment.delete"),
            json!({"order": {"reference": "SO-1"}, "shipment_id": 9}),
        ),
        // 15..
        with(
            base("inventory.set"),
            json!({"reason": "nightly", "items": [
            {"sku": "A", "location_code": "WH-EAST", "quantity": 0},
            {"variant_id": 7, "location_id": 2, "quantity": 2_147_483_647_i64}]}),
        ),
        with(
            base("inventory.adjust"),
            json!({"items": [{"sku": "A", "location_id": 1, "quantity": -3}]}),
        ),
        // 17..
        with(
            base("invoice.upsert"),
            json!({"company_external_id": "C-1", "invoice": {
            "number": "INV-1", "kind": "invoice", "currency": "USD", "total": "90.00", "open_balance": 90,
            "balance_as_of": "2026-11-02T10:00:00Z", "issued_on": "2026-11-01", "due_on": "2026-12-01",
            "order_id": 101, "purchase_order_number": "PO-7",
            "lines": [{"sku": "A", "description": "Widget", "quantity": 2, "unit_price": "40.00", "unit_discount": "5"}],
            "costs": [{"description": "Freight", "amount": "20.00"}],
            "pdf_url": "https://erp.example/inv/1.pdf", "terms": "Net 30", "extra_fields": {"Region": "West"}}}),
        ),
        with(
            base("invoice.balance"),
            json!({"company_external_id": "C-1", "balance": {"currency": "USD",
            "invoices": [{"invoice_external_id": "INV-E-1", "open_balance": "50", "paid": "40.00"},
                         {"invoice_number": "INV-2", "open_balance": 0, "paid": 10}],
            "offline_payment": {"memo": "Cheque 1234", "payer_name": "Acme AP"}}}),
        ),
        with(
            base("salesrep.assign"),
            json!({"sales_rep": {"email": "marie@seller.example", "assign": ["C-1", "C-2"], "unassign": ["C-3"]}}),
        ),
        with(
            base("superadmin.upsert"),
            json!({"super_admin": {"email": "ops@agency.example", "first_name": "Olga", "last_name": "Ops",
            "phone": "555-0100", "channel_ids": [1], "assign": ["C-1"]}}),
        ),
        with(
            base("customergroup.upsert"),
            json!({"customer_group": {"name": "Wholesale", "is_default": false,
            "category_access": {"type": "specific", "categories": [18, 19]},
            "discount_rules": [{"type": "all", "method": "percent", "amount": "5"},
                {"type": "category", "method": "fixed", "amount": 2.5, "category_id": 18},
                {"type": "product", "method": "price", "amount": "9.99", "product_id": 3}]}}),
        ),
        with(
            base("shoppinglist.upsert"),
            json!({"company_external_id": "C-1", "shopping_list": {"name": "Weekly order guide",
            "description": "Standing order", "buyer_email": "ada@acme.example", "status": "draft",
            "channel_id": 1, "items": [{"sku": "SKU-1", "quantity": 24}, {"sku": "SKU-2", "quantity": 6}]}}),
        ),
        with(
            base("order.create"),
            json!({"company_identity": "AN01000000001", "order": {"po_number": "4500012345",
            "buyer_email": "ada@acme.example", "currency": "USD",
            "lines": [{"sku": "SKU-1", "quantity": 2, "unit_price": "12.50", "description": "Widget",
                       "line_number": 10, "unit_of_measure": "EA"},
                      {"sku": "SKU-2", "quantity": 1, "unit_price": 4}],
            "shipping": "10", "tax": "2.20", "total": "41.20",
            "ship_to": {"first_name": "Ada", "last_name": "Lovelace", "company": "Acme Supply",
                "line1": "1 Dock Rd", "city": "Austin", "state": "TX", "zip_code": "78701", "country_code": "US"},
            "bill_to": {"company": "Acme Supply", "line1": "1 Main St", "city": "Austin", "zip_code": "78701",
                "country_code": "US", "email": "ap@acme.example"},
            "comments": "Dock 4"},
            "procurement": {"partner": "acme-coupa", "payload_id": "1@acme", "order_id": "4500012345",
                "order_date": "2026-12-03T10:00:00-08:00"}}),
        ),
        with(
            base("order.cancel"),
            json!({"order": {"reference": "AN01000000001:4500012345"}, "reason": "not needed",
            "procurement": {"partner": "acme-coupa", "payload_id": "2@acme", "order_id": "4500012345"}}),
        ),
    ]
}

/// The valid command of type `kind`.
fn valid(kind: &str) -> Value {
    valid_commands()
        .into_iter()
        .find(|c| c["type"] == kind)
        .unwrap_or_else(|| panic!("no valid {kind}"))
}

fn invalid_commands() -> Vec<Value> {
    let v = valid_commands();
    let mut out = Vec::new();
    let mut typo = v[0].clone();
    typo["company"]["nmae"] = json!("x");
    out.push(typo);
    let mut bad_email = v[2].clone();
    bad_email["user"]["email"] = json!("nope");
    out.push(bad_email);
    let mut no_variant = v[4].clone();
    no_variant["records"][0] = json!({"currency": "usd", "price": 1});
    out.push(no_variant);
    let mut both = v[5].clone();
    both["company_external_id"] = json!("C-1");
    out.push(both);
    let mut neither = v[5].clone();
    neither.as_object_mut().unwrap().remove("customer_group_id");
    out.push(neither);
    let mut no_lines = v[7].clone();
    no_lines["quote"].as_object_mut().unwrap().remove("lines");
    out.push(no_lines);
    out.push(with(v[1].clone(), json!({"version": 2})));
    let mut nothing_to_do = valid("salesrep.assign");
    nothing_to_do["sales_rep"] = json!({"email": "marie@seller.example"});
    out.push(nothing_to_do);
    let mut no_name = valid("superadmin.upsert");
    no_name["super_admin"]
        .as_object_mut()
        .unwrap()
        .remove("first_name");
    out.push(no_name);
    let mut zero_quantity = valid("shoppinglist.upsert");
    zero_quantity["shopping_list"]["items"][0]["quantity"] = json!(0);
    out.push(zero_quantity);
    let mut no_buyer = valid("shoppinglist.upsert");
    no_buyer["shopping_list"]
        .as_object_mut()
        .unwrap()
        .remove("buyer_email");
    out.push(no_buyer);
    let mut two_companies = valid("order.create");
    two_companies["company_external_id"] = json!("C-1");
    out.push(two_companies);
    let mut no_company = valid("order.create");
    no_company
        .as_object_mut()
        .unwrap()
        .remove("company_identity");
    out.push(no_company);
    let mut no_lines = valid("order.create");
    no_lines["order"]["lines"] = json!([]);
    out.push(no_lines);
    let mut bad_country = valid("order.create");
    bad_country["order"]["bill_to"]["country_code"] = json!("USA");
    out.push(bad_country);
    let mut bad_method = valid("customergroup.upsert");
    bad_method["customer_group"]["discount_rules"][0]["method"] = json!("half");
    out.push(bad_method);
    let mut two_groups = v[0].clone();
    two_groups["company"]["customer_group_id"] = json!(3);
    two_groups["company"]["customer_group_external_id"] = json!("PG-1");
    out.push(two_groups);
    let mut net_31 = v[0].clone();
    net_31["company"]["payment_terms"]["net_days"] = json!(31);
    out.push(net_31);
    let mut negative_limit = v[0].clone();
    negative_limit["company"]["credit"]["limit"] = json!("-1");
    out.push(negative_limit);
    let mut no_currency = v[0].clone();
    no_currency["company"]["credit"]
        .as_object_mut()
        .unwrap()
        .remove("currency");
    out.push(no_currency);
    out.push(with(v[1].clone(), json!({"store_hash": "a/b"})));
    out.push(with(v[1].clone(), json!({"status": "archived"})));
    // BigCommerce's API cannot archive a quote, and links an order only given its id.
    let mut archived = v[8].clone();
    archived["quote"] = json!({"buyer_email": "g@acme.example", "currency": "USD",
        "expires_on": "2026-12-31", "status": "archived"});
    out.push(archived);
    let mut unlinked = v[8].clone();
    unlinked["quote"]
        .as_object_mut()
        .unwrap()
        .remove("order_id");
    out.push(unlinked);
    out.push(with(v[1].clone(), json!({"type": "company.delete"})));
    // Where the hand-written checks and the schema once disagreed (issue 16).
    let mut two_ats = v[2].clone();
    two_ats["user"]["email"] = json!("a@b@c.d");
    out.push(two_ats);
    for empty in [json!(null), json!(""), json!([]), json!({}), json!(false)] {
        let mut unknown = v[0].clone();
        unknown["company"]["colour"] = empty;
        out.push(unknown);
    }
    // Fulfillment (issue 19): each a clear refusal naming its field.
    let mut no_order = v[10].clone();
    no_order["order"] = json!({});
    out.push(no_order);
    out.push(with(v[10].clone(), json!({"status_id": 2})));
    out.push(with(v[11].clone(), json!({"status_id": 15})));
    let mut both_keys = v[12].clone();
    both_keys["shipment"]["lines"][0]["order_product_id"] = json!(5);
    out.push(both_keys);
    let mut overflow = v[12].clone();
    overflow["shipment"]["lines"][0]["quantity"] = json!(2_147_483_648_i64);
    out.push(overflow);
    let mut nothing = v[12].clone();
    nothing["shipment"]["lines"] = json!([]);
    out.push(nothing);
    let mut long = v[12].clone();
    long["shipment"]["tracking_number"] = json!("x".repeat(51));
    out.push(long);
    let mut empty_update = v[13].clone();
    empty_update["shipment"] = json!({});
    out.push(empty_update);
    let mut lines_update = v[13].clone();
    lines_update["shipment"]["lines"] = json!([{"sku": "A", "quantity": 1}]);
    out.push(lines_update);
    let mut negative = v[15].clone();
    negative["items"][0]["quantity"] = json!(-1);
    out.push(negative);
    let mut zero = v[16].clone();
    zero["items"][0]["quantity"] = json!(0);
    out.push(zero);
    let mut two_locations = v[15].clone();
    two_locations["items"][0]["location_id"] = json!(1);
    out.push(two_locations);
    let mut no_variant = v[16].clone();
    no_variant["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("sku");
    out.push(no_variant);
    let mut no_items = v[15].clone();
    no_items["items"] = json!([]);
    out.push(no_items);
    let mut no_such_day = v[7].clone();
    no_such_day["quote"]["expires_on"] = json!("2026-02-30");
    out.push(no_such_day);
    // Receivables (issue 20).
    let mut five_places = v[17].clone();
    five_places["invoice"]["total"] = json!("90.00001");
    out.push(five_places);
    let mut dollars = v[17].clone();
    dollars["invoice"]["currency"] = json!("usd");
    out.push(dollars);
    let mut no_number = v[17].clone();
    no_number["invoice"]
        .as_object_mut()
        .unwrap()
        .remove("number");
    out.push(no_number);
    let mut unnamed = v[18].clone();
    unnamed["balance"]["invoices"][0]
        .as_object_mut()
        .unwrap()
        .remove("invoice_external_id");
    out.push(unnamed);
    let mut no_invoices = v[18].clone();
    no_invoices["balance"]["invoices"] = json!([]);
    out.push(no_invoices);
    out
}

#[test]
fn the_schema_the_worker_validates_with_is_the_file_users_read() {
    let path = format!(
        "{}/../../schemas/inbound-command.v1.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        super::validation::INBOUND_COMMAND_SCHEMA
    );
}

#[test]
fn schema_and_parser_agree_on_valid_commands() {
    let validator = schema("inbound-command.v1.schema.json");
    for cmd in valid_commands() {
        let errors: Vec<String> = validator.iter_errors(&cmd).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "schema refuses {cmd}: {errors:?}");
        let parsed = Command::from_value(cmd.clone())
            .unwrap_or_else(|e| panic!("parser refuses {cmd}: {e}"));
        // What the worker re-encodes is still valid.
        assert!(
            validator.is_valid(&serde_json::to_value(&parsed).unwrap()),
            "{parsed:?}"
        );
        assert!(matches!(
            InboundMessage::from_value(cmd),
            Ok(InboundMessage::Command(_))
        ));
    }
}

#[test]
fn the_schema_takes_an_array_of_commands_as_the_queue_and_post_inbound_do() {
    let validator = schema("inbound-command.v1.schema.json");
    let batch = Value::Array(valid_commands());
    let errors: Vec<String> = validator
        .iter_errors(&batch)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    for refused in [
        json!([]),
        json!([[valid("company.status")]]),
        json!([valid("company.status"), {"type": "mystery", "version": 1}]),
    ] {
        assert!(!validator.is_valid(&refused), "{refused}");
    }
}

#[test]
fn schema_and_parser_agree_on_invalid_commands() {
    let validator = schema("inbound-command.v1.schema.json");
    for cmd in invalid_commands() {
        assert!(!validator.is_valid(&cmd), "schema accepts {cmd}");
        assert!(
            Command::from_value(cmd.clone()).is_err(),
            "parser accepts {cmd}"
        );
    }
}

#[test]
fn console_fixture_commands_are_valid() {
    let validator = schema("inbound-command.v1.schema.json");
    let dir = format!(
        "{}/../../functions/webhook-intake/events",
        env!("CARGO_MANIFEST_DIR")
    );
    for name in ["inbound-single.json", "inbound-batch.json"] {
        let event: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}")).unwrap())
                .unwrap();
        let body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
        let items = if body.is_array() {
            body.as_array().unwrap().clone()
        } else {
            vec![body]
        };
        for item in items {
            assert!(validator.is_valid(&item), "{name}: {item}");
        }
    }
}

#[test]
fn normalized_webhook_events_match_their_schema() {
    let validator = schema("webhook-event.v1.schema.json");
    for payload in [
        json!({"scope":"store/order/created","store_id":"1","data":{"type":"order","id":250},"hash":"h","created_at":1,"producer":"stores/abc123"}),
        json!({"scope":"store/priceList/record/updated","data":[{"price_list_id":1}]}),
    ] {
        let p: WebhookPayload = serde_json::from_value(payload).unwrap();
        let event =
            serde_json::to_value(WebhookEvent::normalize(p, "abc123", "bodyhash", 7)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&event)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{event}: {errors:?}");
        assert!(matches!(
            InboundMessage::from_value(event),
            Ok(InboundMessage::Webhook(_))
        ));
    }
}

#[test]
fn a_company_both_assigned_and_unassigned_is_refused_naming_it() {
    let mut both_ways = valid("salesrep.assign");
    both_ways["sales_rep"]["unassign"] = json!(["C-1"]);
    let err = Command::from_value(both_ways).unwrap_err();
    assert_eq!(
        err.problems,
        ["`sales_rep.assign` and `sales_rep.unassign` both name company `C-1`"]
    );
}

#[test]
fn what_the_schema_cannot_check_of_groups_and_lists_is_refused_naming_the_field() {
    let mut group = valid("customergroup.upsert");
    group["customer_group"]["discount_rules"] = json!([
        {"type": "price_list", "price_list_id": 3},
        {"type": "all", "method": "percent", "amount": "5"},
        {"type": "category", "method": "fixed", "amount": "1"}
    ]);
    let err = Command::from_value(group).unwrap_err();
    assert_eq!(
        err.problems,
        [
            "`customer_group.discount_rules`: a `price_list` rule must be the only rule",
            "`customer_group.discount_rules[2].category_id` is required for a `category` rule"
        ]
    );
    let mut both = valid("order.create");
    both["company_external_id"] = json!("C-1");
    let err = Command::from_value(both).unwrap_err();
    assert_eq!(
        err.problems,
        ["needs `company_external_id` or `company_identity`, not both"]
    );
    let mut po = valid("order.create");
    po["order"]["total"] = json!("41.00");
    let err = Command::from_value(po).unwrap_err();
    assert_eq!(
        err.problems,
        ["`order.total` 41.0000 is not the lines plus shipping plus tax (41.2000)"]
    );
    let mut list = valid("shoppinglist.upsert");
    list["shopping_list"]["items"][1]["sku"] = json!("SKU-1");
    let err = Command::from_value(list).unwrap_err();
    assert_eq!(
        err.problems,
        ["`shopping_list.items[1].sku`: `SKU-1` is named twice (give one line per SKU)"]
    );
}
