//! The official examples replayed through the real client: each route we call answers with its
//! spec example (served by mockito), and the client's own envelope handling and decoders must
//! read it, so a model that only fits our sandbox fails here.
// Test-only: compiled under #[cfg(test)] from its parent module.

use std::sync::Arc;

use futures_util::TryStreamExt;
use mockito::{Matcher, Mock, Server, ServerGuard};
use serde_json::Value;
use url::Url;

use super::b2b::{
    CompanyFields, Quote, QuoteContact, QuoteCurrency, QuoteFields, QuoteFilter, UserFields,
};
use super::client::{BcClient, ClientOptions};
use super::credentials::{StaticToken, StoreHash};
use crate::spec_examples::response_examples;

const COMPANY: &str = "docs/b2b-edition/specs/api-v3/company/company.yaml";
const USER: &str = "docs/b2b-edition/specs/api-v3/user/user.yaml";
const ADDRESS: &str = "docs/b2b-edition/specs/api-v3/address/address.yaml";
const QUOTE: &str = "docs/b2b-edition/specs/api-v3/quote/quote.yaml";
const ORDER: &str = "docs/b2b-edition/specs/api-v3/order/order.yaml";
const PRICE_LISTS: &str = "reference/price_lists.v3.yml";
const WEBHOOKS: &str = "reference/webhooks.v3.yml";
const ORDERS_V2: &str = "reference/orders.v2.oas2.yml";

fn client(server: &ServerGuard) -> BcClient {
    let url = Url::parse(&server.url()).unwrap();
    let creds = Arc::new(StaticToken::new(StoreHash::parse("abc123").unwrap(), "tok"));
    BcClient::new(&url, &url, creds, ClientOptions::default()).unwrap()
}

/// A quote create without lines, for routes whose answer alone is under test.
pub(crate) fn minimal_quote(reference: &str) -> QuoteFields {
    QuoteFields {
        company_id: 1,
        reference_number: reference.into(),
        quote_title: String::new(),
        notes: String::new(),
        expired_at: "01/01/2030".into(),
        currency: QuoteCurrency {
            currency_code: "USD".into(),
        },
        contact_info: QuoteContact {
            name: "A".into(),
            email: "a@example.com".into(),
        },
        subtotal: 1.0,
        discount: 0.0,
        grand_total: 1.0,
        total_amount: 1.0,
        product_list: Vec::new(),
    }
}

/// The first official example of a response.
fn example(spec: &str, path: &str, method: &str) -> Value {
    response_examples(spec, path, method, "200")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{spec}: no example for {method} {path}"))
}

/// Serves `body` at `route` (any query) and returns the mock.
async fn serve(server: &mut ServerGuard, method: &str, route: &str, body: &Value) -> Mock {
    server
        .mock(method, route)
        .match_query(Matcher::Any)
        .with_header("content-type", "application/json")
        .with_body(body.to_string())
        .create_async()
        .await
}

#[tokio::test]
async fn company_examples_read_through_the_client() {
    let mut s = Server::new_async().await;
    let list = example(COMPANY, "/companies", "get");
    // One page: the example's own pagination may promise more than it holds.
    let mut one_page = list.clone();
    one_page["meta"]["pagination"]["totalCount"] =
        Value::from(list["data"].as_array().map_or(0, Vec::len));
    serve(&mut s, "GET", "/api/v3/io/companies", &one_page).await;
    let b2b = client(&s);
    let companies: Vec<_> = b2b
        .b2b()
        .companies(&Default::default())
        .try_collect()
        .await
        .unwrap();
    assert!(!companies.is_empty() && companies.iter().all(|c| c.company_id > 0));

    serve(
        &mut s,
        "GET",
        "/api/v3/io/companies/7",
        &example(COMPANY, "/companies/{companyId}", "get"),
    )
    .await;
    assert!(b2b.b2b().company(7).await.unwrap().is_some());
    serve(
        &mut s,
        "POST",
        "/api/v3/io/companies",
        &example(COMPANY, "/companies", "post"),
    )
    .await;
    let created = b2b
        .b2b()
        .create_company(&CompanyFields::default())
        .await
        .unwrap();
    assert!(created.company_id > 0);
    serve(
        &mut s,
        "POST",
        "/api/v3/io/companies/bulk",
        &example(COMPANY, "/companies/bulk", "post"),
    )
    .await;
    let ids = b2b
        .b2b()
        .create_companies(&[CompanyFields::default()])
        .await
        .unwrap();
    assert!(!ids.is_empty() && ids.iter().all(|id| *id > 0), "{ids:?}");

    let fields = example(COMPANY, "/companies/extra-fields", "get");
    let mut one_page = fields.clone();
    one_page["meta"]["pagination"]["totalCount"] =
        Value::from(fields["data"].as_array().map_or(0, Vec::len));
    serve(
        &mut s,
        "GET",
        "/api/v3/io/companies/extra-fields",
        &one_page,
    )
    .await;
    let configs: Vec<_> = b2b
        .b2b()
        .company_extra_fields()
        .try_collect()
        .await
        .unwrap();
    assert!(
        !configs.is_empty() && configs.iter().all(|f| !f.field_name.is_empty()),
        "{configs:?}"
    );
}

#[tokio::test]
async fn user_and_address_examples_read_through_the_client() {
    let mut s = Server::new_async().await;
    let b2b = client(&s);
    serve(
        &mut s,
        "GET",
        "/api/v3/io/users/5",
        &example(USER, "/users/{userId}", "get"),
    )
    .await;
    assert!(b2b.b2b().user(5).await.unwrap().is_some_and(|u| u.id > 0));
    serve(
        &mut s,
        "POST",
        "/api/v3/io/users",
        &example(USER, "/users", "post"),
    )
    .await;
    let created = b2b.b2b().create_user(&UserFields::default()).await.unwrap();
    assert!(created.user_id > 0);
    serve(
        &mut s,
        "POST",
        "/api/v3/io/users/bulk",
        &example(USER, "/users/bulk", "post"),
    )
    .await;
    let created = b2b
        .b2b()
        .create_users(&[UserFields::default()])
        .await
        .unwrap();
    assert!(!created.is_empty());

    serve(
        &mut s,
        "GET",
        "/api/v3/io/addresses/3",
        &example(ADDRESS, "/addresses/{addressId}", "get"),
    )
    .await;
    assert!(b2b.b2b().address(3).await.unwrap().is_some());
    serve(
        &mut s,
        "POST",
        "/api/v3/io/addresses",
        &example(ADDRESS, "/addresses", "post"),
    )
    .await;
    let id = b2b.b2b().create_address(&Default::default()).await.unwrap();
    assert!(id > 0);
    serve(
        &mut s,
        "GET",
        "/api/v3/io/countries",
        &example(ADDRESS, "/countries", "get"),
    )
    .await;
    let country = b2b.b2b().country("US").await.unwrap().unwrap();
    assert!(!country.country_name.is_empty());
}

#[tokio::test]
async fn the_address_list_reads_as_its_spec_declares_it_and_as_a_list() {
    // address.yaml declares `GET /addresses`'s `data` one address (a contract exception: every
    // other B2B list, and the sandbox, answer an array); the client reads both.
    let mut s = Server::new_async().await;
    let b2b = client(&s);
    let declared = example(ADDRESS, "/addresses", "get");
    assert!(declared["data"].is_object(), "{declared:#}");
    let mut one = declared.clone();
    one["meta"]["pagination"]["totalCount"] = Value::from(1);
    let as_object = serve(&mut s, "GET", "/api/v3/io/addresses", &one).await;
    let read: Vec<_> = b2b
        .b2b()
        .addresses(Some(1), None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(read.len(), 1, "{read:?}");
    assert!(read[0].id > 0 && read[0].external_id.is_some(), "{read:?}");
    as_object.remove_async().await;

    let mut listed = one.clone();
    listed["data"] = Value::Array(vec![declared["data"].clone()]);
    serve(&mut s, "GET", "/api/v3/io/addresses", &listed).await;
    let read: Vec<_> = b2b
        .b2b()
        .addresses_modified_since(Some(1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(read.len(), 1, "{read:?}");
}

#[tokio::test]
async fn quote_and_order_examples_read_through_the_client() {
    let mut s = Server::new_async().await;
    let b2b = client(&s);
    let list = example(QUOTE, "/rfq", "get");
    let mut one_page = list.clone();
    one_page["data"]["pagination"]["totalCount"] =
        Value::from(list["data"]["list"].as_array().map_or(0, Vec::len));
    serve(&mut s, "GET", "/api/v3/io/rfq", &one_page).await;
    let quotes: Vec<Quote> = b2b
        .b2b()
        .quotes(&QuoteFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert!(!quotes.is_empty());
    // The detail is asked for with the list entry's creation date, and carries no id of its
    // own: the id stays the one the list gave.
    let detail = example(QUOTE, "/rfq/{quote_id}", "get");
    assert!(detail["data"].get("quoteId").is_none() && detail["data"].get("id").is_none());
    serve(
        &mut s,
        "GET",
        &format!("/api/v3/io/rfq/{}", quotes[0].quote_id),
        &detail,
    )
    .await;
    assert!(b2b.b2b().quote_detail(&quotes[0]).await.unwrap().is_some());
    serve(
        &mut s,
        "POST",
        "/api/v3/io/rfq",
        &example(QUOTE, "/rfq", "post"),
    )
    .await;
    let body = minimal_quote("R");
    assert!(b2b.b2b().create_quote(&body).await.unwrap() > 0);

    serve(
        &mut s,
        "GET",
        "/api/v3/io/orders/120",
        &example(ORDER, "/orders/{bcOrderId}", "get"),
    )
    .await;
    assert!(b2b
        .b2b()
        .order(120)
        .await
        .unwrap()
        .is_some_and(|o| o.bc_order_id > 0));
}

#[tokio::test]
async fn core_examples_read_through_the_client() {
    let mut s = Server::new_async().await;
    let bc = client(&s);
    serve(
        &mut s,
        "GET",
        "/stores/abc123/v3/pricelists/2",
        &example(PRICE_LISTS, "/pricelists/{price_list_id}", "get"),
    )
    .await;
    assert!(bc.core().price_list(2).await.unwrap().is_some());
    serve(
        &mut s,
        "GET",
        "/stores/abc123/v3/pricelists/assignments",
        &example(PRICE_LISTS, "/pricelists/assignments", "get"),
    )
    .await;
    let assigned = bc.core().price_list_assignments(1, 1).await.unwrap();
    assert!(!assigned.is_empty());
    serve(
        &mut s,
        "GET",
        "/stores/abc123/v2/orders/100",
        &example(ORDERS_V2, "/orders/{order_id}", "get"),
    )
    .await;
    assert!(bc
        .core()
        .order(100)
        .await
        .unwrap()
        .is_some_and(|o| o.modified_at().is_some()));
    serve(
        &mut s,
        "GET",
        "/stores/abc123/v3/hooks/admin",
        &example(WEBHOOKS, "/hooks/admin", "get"),
    )
    .await;
    bc.core().hooks_admin().await.unwrap();
}

#[tokio::test]
async fn a_listed_user_without_an_id_is_refused_naming_the_field() {
    // Never guess an id: a list entry that lacks one is a permanent decode error.
    let mut s = Server::new_async().await;
    let body = serde_json::json!({"code": 200, "data": [{"email": "g@acme.example", "firstName": "G"}],
        "meta": {"message": "SUCCESS", "pagination": {"totalCount": 1, "limit": 250, "offset": 0}}});
    serve(&mut s, "GET", "/api/v3/io/users", &body).await;
    let b2b = client(&s);
    let err = b2b
        .b2b()
        .users(&Default::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    let text = err.to_string();
    assert!(text.contains("`id`") && text.contains("/users"), "{text}");
}
