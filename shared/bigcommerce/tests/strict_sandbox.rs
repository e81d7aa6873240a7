//! Every resource the client calls, driven through the sandbox in strict mode: each request the
//! client sends is checked against BigCommerce's official spec of its route, and the sandbox
//! refuses (and this test fails on) any that breaks it.

use std::sync::Arc;

use bc_sandbox::{RunningSandbox, SandboxOptions};
use bigcommerce_b2b::b2b::{
    AddressFields, B2bOrderFilter, CompanyFields, CompanyFilter, CompanyStatus, QuoteContact,
    QuoteCurrency, QuoteFields, QuoteFilter, QuoteLineFields, QuoteUpdate, SortOrder, UserFields,
    UserFilter,
};
use bigcommerce_b2b::core::{HookFields, PriceListAssignment, PriceRecord};
use bigcommerce_b2b::{BcClient, ClientOptions, StaticToken, StoreHash};
use futures_util::TryStreamExt;
use serde_json::json;

async fn strict_sandbox() -> RunningSandbox {
    bc_sandbox::start(
        SandboxOptions {
            quota: 0,
            b2b_quota: 0,
            seed_companies: 5,
            seed_orders: 6,
            records_hold_ms: Some(0),
            ..SandboxOptions::default()
        }
        .strict(),
    )
    .await
    .unwrap_or_else(|e| panic!("sandbox: {e}"))
}

fn client(sb: &RunningSandbox) -> BcClient {
    let url = url::Url::parse(&sb.base_url()).unwrap();
    let creds = StaticToken::new(StoreHash::parse("sandbox").unwrap(), "sandbox-token");
    BcClient::new(&url, &url, Arc::new(creds), ClientOptions::default()).unwrap()
}

fn company(n: u32) -> CompanyFields {
    CompanyFields {
        company_name: Some(format!("Strict Co {n}")),
        company_phone: Some("555-0100".into()),
        company_email: Some(format!("ap{n}@strict.example")),
        country: Some("US".into()),
        admin_first_name: Some("Ada".into()),
        admin_last_name: Some("Admin".into()),
        admin_email: Some(format!("admin{n}@strict.example")),
        ..CompanyFields::default()
    }
}

#[tokio::test]
async fn companies_users_and_addresses_follow_the_spec() {
    let sb = strict_sandbox().await;
    let bc = client(&sb);
    let b2b = bc.b2b();
    let filter = CompanyFilter {
        sort_by_updated: Some(true),
        order: Some(SortOrder::Asc),
        include_extra_fields: true,
        ..CompanyFilter::default()
    };
    let listed: Vec<_> = b2b.companies(&filter).try_collect().await.unwrap();
    assert!(!listed.is_empty());
    assert!(!b2b.companies_page(&filter, 0, 2).await.unwrap().is_empty());
    let created = b2b.create_company(&company(1)).await.unwrap();
    let id = created.company_id;
    assert!(b2b.company(id).await.unwrap().is_some());
    let ids = b2b
        .create_companies(&[company(2), company(3)])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let rename = CompanyFields {
        company_name: Some("Strict Co One".into()),
        ..CompanyFields::default()
    };
    b2b.update_company(id, &rename).await.unwrap();
    b2b.set_company_status(id, CompanyStatus::Approved)
        .await
        .unwrap();

    let buyer = UserFields {
        first_name: Some("Grace".into()),
        last_name: Some("Buyer".into()),
        email: Some("grace@strict.example".into()),
        company_id: Some(id),
        role: Some(1),
        channel_ids: Some(vec![1]),
        ..UserFields::default()
    };
    let made = b2b.create_user(&buyer).await.unwrap();
    let user = b2b.user(made.user_id).await.unwrap().unwrap();
    let by_email = UserFilter {
        email: Some("grace@strict.example".into()),
        company_id: Some(id),
        ..UserFilter::default()
    };
    let found: Vec<_> = b2b.users(&by_email).try_collect().await.unwrap();
    assert_eq!(found.len(), 1);
    if let Some(customer) = user.customer_id {
        assert!(b2b.user_by_customer(customer).await.unwrap().is_some());
    }
    let more = UserFields {
        email: Some("alan@strict.example".into()),
        ..buyer.clone()
    };
    assert_eq!(b2b.create_users(&[more]).await.unwrap().len(), 1);
    let phone = UserFields {
        phone_number: Some("555-0199".into()),
        ..UserFields::default()
    };
    b2b.update_user(made.user_id, &phone).await.unwrap();

    let country = b2b.country("US").await.unwrap().unwrap();
    let address = AddressFields {
        company_id: Some(id),
        external_id: Some("A-1".into()),
        first_name: Some("Dock".into()),
        last_name: Some("Nine".into()),
        address_line1: Some("9 Pier Rd".into()),
        city: Some("Austin".into()),
        state_name: Some("Texas".into()),
        zip_code: Some("78702".into()),
        country_code: Some("US".into()),
        country_name: Some(country.country_name),
        is_shipping: Some(true),
        ..AddressFields::default()
    };
    let address_id = b2b.create_address(&address).await.unwrap();
    assert!(b2b.address(address_id).await.unwrap().is_some());
    let found: Vec<_> = b2b
        .addresses(Some(id), Some("A-1"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let moved = AddressFields {
        city: Some("Round Rock".into()),
        ..AddressFields::default()
    };
    b2b.update_address(address_id, &moved).await.unwrap();

    let fields: Vec<_> = b2b.company_extra_fields().try_collect().await.unwrap();
    assert!(
        fields.iter().any(|f| f.field_name == "externalId"),
        "{fields:?}"
    );
    let doomed = b2b.create_company(&company(4)).await.unwrap().company_id;
    b2b.delete_company(doomed).await.unwrap();
    assert!(b2b.company(doomed).await.unwrap().is_none());
    sb.shutdown().await;
}

#[tokio::test]
async fn quotes_and_b2b_orders_follow_the_spec() {
    let sb = strict_sandbox().await;
    let bc = client(&sb);
    let b2b = bc.b2b();
    let line = QuoteLineFields {
        sku: "SKU-001-1".into(),
        product_id: 1,
        variant_id: Some(1),
        base_price: 11.0,
        offered_price: 9.9,
        discount: 1.1,
        quantity: 4,
    };
    let quote = QuoteFields {
        company_id: 1,
        reference_number: "Q-STRICT".into(),
        quote_title: "Strict".into(),
        notes: String::new(),
        expired_at: "12/31/2030".into(),
        currency: QuoteCurrency {
            currency_code: "USD".into(),
        },
        contact_info: QuoteContact {
            name: "Admin".into(),
            email: "admin@company0001.example".into(),
        },
        subtotal: 44.0,
        discount: 4.4,
        grand_total: 39.6,
        total_amount: 39.6,
        product_list: vec![line.clone()],
    };
    let id = b2b.create_quote(&quote).await.unwrap();
    let listed = b2b.find_quote(id, 0).await.unwrap().unwrap();
    let created = listed.created_at.unwrap();
    assert!(b2b.quote_created_at(id, created).await.unwrap().is_some());
    assert!(b2b.quote_detail(&listed).await.unwrap().is_some());
    let filter = QuoteFilter {
        oldest_first: true,
        company: Some("Company 0001".into()),
        ..QuoteFilter::default()
    };
    assert!(!b2b.quotes_page(&filter, 0, 10).await.unwrap().is_empty());
    let update = QuoteUpdate {
        expired_at: Some("01/31/2031".into()),
        product_list: Some(vec![QuoteLineFields {
            quantity: 8,
            ..line
        }]),
        subtotal: Some(88.0),
        discount: Some(8.8),
        grand_total: Some(79.2),
    };
    b2b.update_quote(id, &update).await.unwrap();

    let orders: Vec<_> = b2b
        .orders(&B2bOrderFilter {
            oldest_first: true,
            ..B2bOrderFilter::default()
        })
        .try_collect()
        .await
        .unwrap();
    let order = orders.first().expect("seeded company orders");
    assert!(b2b.order(order.bc_order_id).await.unwrap().is_some());
    b2b.order_products(order.bc_order_id).await.unwrap();
    b2b.quote_ordered(id, order.bc_order_id).await.unwrap();
    sb.shutdown().await;
}

#[tokio::test]
async fn core_orders_price_lists_groups_and_hooks_follow_the_spec() {
    let sb = strict_sandbox().await;
    let bc = client(&sb);
    let core = bc.core();
    let since = chrono::DateTime::from_timestamp(0, 0).unwrap();
    let orders: Vec<_> = core
        .orders_modified_since(since, 50)
        .try_collect()
        .await
        .unwrap();
    let first = orders.first().expect("seeded orders").id;
    assert!(!core.orders_page(since, 1, 5).await.unwrap().is_empty());
    assert!(core.order(first).await.unwrap().is_some());
    core.order_products(first).await.unwrap();
    core.order_shipping_addresses(first).await.unwrap();
    core.order_metafields(first).await.unwrap();

    let groups: Vec<_> = core.customer_groups().try_collect().await.unwrap();
    let group = core
        .create_customer_group(&json!({"name": "Strict wholesale"}))
        .await
        .unwrap();
    assert!(core.customer_group(group.id).await.unwrap().is_some());
    core.update_customer_group(group.id, &json!({"name": "Strict wholesale 2"}))
        .await
        .unwrap();
    assert!(!groups.is_empty());

    let list = core
        .price_list(1)
        .await
        .unwrap()
        .expect("a seeded price list");
    let record = PriceRecord {
        variant_id: Some(1),
        sku: None,
        currency: "usd".into(),
        price: Some(9.5),
        sale_price: None,
        retail_price: None,
        map_price: None,
        bulk_pricing_tiers: Vec::new(),
    };
    core.upsert_price_records(list.id, &[record]).await.unwrap();
    let read = core
        .price_records_for(list.id, &[1, 999_999], "USD")
        .await
        .unwrap();
    assert_eq!(read.len(), 1, "{read:?}");
    assert_eq!((read[0].variant_id, read[0].price), (Some(1), Some(9.5)));
    let assignment = PriceListAssignment {
        price_list_id: list.id,
        customer_group_id: group.id,
        channel_id: 1,
    };
    core.assign_price_lists(&[assignment]).await.unwrap();
    assert!(!core
        .price_list_assignments(group.id, 1)
        .await
        .unwrap()
        .is_empty());

    let hook = core
        .create_hook(&HookFields {
            scope: "store/order/created".into(),
            destination: "https://127.0.0.1:9/hooks".into(),
            is_active: true,
            headers: None,
        })
        .await
        .unwrap();
    let hooks: Vec<_> = core.hooks().try_collect().await.unwrap();
    assert!(hooks.iter().any(|h| h.id == hook.id));
    core.update_hook(
        hook.id,
        &HookFields {
            scope: "store/order/created".into(),
            destination: "https://127.0.0.1:9/hooks".into(),
            is_active: false,
            headers: None,
        },
    )
    .await
    .unwrap();
    core.hooks_admin().await.unwrap();
    sb.shutdown().await;
}

#[tokio::test]
async fn a_customers_cart_is_read_as_the_spec_serves_it() {
    let sb = strict_sandbox().await;
    let bc = client(&sb);
    let http = reqwest::Client::new();
    let made: serde_json::Value = http
        .post(format!("{}/stores/sandbox/v3/carts", sb.base_url()))
        .header("X-Auth-Token", "sandbox-token")
        .json(&json!({"customer_id": 0, "line_items": [{"quantity": 4, "product_id": 3, "variant_id": 5}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = made["data"]["id"].as_str().unwrap();
    let cart = bc.core().cart(id).await.unwrap().unwrap();
    assert_eq!(cart.id, id);
    assert_eq!(cart.customer_id, Some(0));
    assert_eq!(cart.currency.unwrap().code, "USD");
    let line = &cart.line_items.physical_items[0];
    assert_eq!(
        (line.sku.as_deref(), line.quantity),
        (Some("SKU-003-1"), Some(4.0))
    );
    assert!(line.unit_price().is_some());
    assert!(bc
        .core()
        .cart("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap()
        .is_none());
}
