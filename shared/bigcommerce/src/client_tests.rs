//! Behaviour of the HTTP core against a mock server: auth headers, retries, pacing, 401 re-read,
//! deadlines, pagination and lenient models.
// Test-only: compiled under #[cfg(test)] from its parent module.

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use mockito::{Matcher, Server, ServerGuard};
use reqwest::Method;
use secrecy::ExposeSecret;
use tokio::time::Instant;

use super::*;
use crate::b2b::{CompanyFilter, CompanyStatus, QuoteFilter};
use crate::core::PriceRecord;
use crate::credentials::{Credentials, CredentialsError, StaticToken, StoreAuth, StoreHash};
use futures_util::future::BoxFuture;

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(20),
        shed_base: Duration::from_millis(60),
        shed_cap: Duration::from_millis(120),
        reset_jitter: Duration::from_millis(1),
        min_attempt_time: Duration::from_millis(50),
    }
}

fn options() -> ClientOptions {
    ClientOptions {
        retry: fast_retry(),
        ..ClientOptions::default()
    }
}

fn static_creds(token: &str) -> Arc<dyn Credentials> {
    Arc::new(StaticToken::new(StoreHash::parse("abc123").unwrap(), token))
}

/// Credentials that hand out the next token of a list on each refresh, counting refreshes.
struct RotatingToken {
    tokens: std::sync::Mutex<Vec<Arc<StoreAuth>>>,
    refreshes: std::sync::atomic::AtomicUsize,
}

impl RotatingToken {
    fn new(tokens: &[&str]) -> Self {
        let hash = StoreHash::parse("abc123").unwrap();
        Self {
            tokens: std::sync::Mutex::new(
                tokens
                    .iter()
                    .map(|t| Arc::new(StoreAuth::new(hash.clone(), *t)))
                    .collect(),
            ),
            refreshes: Default::default(),
        }
    }
}

impl Credentials for RotatingToken {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreAuth>, CredentialsError>> {
        let first = self.tokens.lock().unwrap().first().cloned();
        Box::pin(async move { first.ok_or_else(|| CredentialsError::permanent("no token")) })
    }
    fn refresh<'a>(
        &'a self,
        rejected: &'a Arc<StoreAuth>,
    ) -> BoxFuture<'a, Result<Arc<StoreAuth>, CredentialsError>> {
        self.refreshes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut tokens = self.tokens.lock().unwrap();
        if tokens.len() > 1 && Arc::ptr_eq(&tokens[0], rejected) {
            tokens.remove(0);
        }
        drop(tokens);
        self.current()
    }
}

fn client_for(server: &ServerGuard, creds: Arc<dyn Credentials>, opts: ClientOptions) -> BcClient {
    let url = Url::parse(&server.url()).unwrap();
    BcClient::new(&url, &url, creds, opts).unwrap()
}

fn core_headers(left: u32, reset_ms: u64) -> [(&'static str, String); 3] {
    [
        ("X-Rate-Limit-Requests-Left", left.to_string()),
        ("X-Rate-Limit-Time-Reset-Ms", reset_ms.to_string()),
        ("X-Rate-Limit-Requests-Quota", "150".to_string()),
    ]
}

#[tokio::test]
async fn sends_auth_headers_and_store_hash_on_b2b_only() {
    let mut server = Server::new_async().await;
    let core = server
        .mock("GET", "/stores/abc123/v3/pricelists/7")
        .match_header("x-auth-token", "tok")
        .match_header("accept", "application/json")
        .match_header("x-store-hash", Matcher::Missing)
        .with_body(r#"{"data":{"id":7,"name":"Wholesale","active":true},"meta":{}}"#)
        .create_async()
        .await;
    let b2b = server
        .mock("GET", "/api/v3/io/companies/12")
        .match_header("x-auth-token", "tok")
        .match_header("x-store-hash", "abc123")
        .with_body(r#"{"code":200,"meta":{"message":"SUCCESS"},"data":{"companyId":"12","companyName":"Acme","companyStatus":"1","bcGroupId":"5","createdAt":"1620872672","updatedAt":"1620872700","uuid":"u-1"}}"#)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let pl = client.core().price_list(7).await.unwrap().unwrap();
    assert_eq!(pl.name.as_deref(), Some("Wholesale"));
    let company = client.b2b().company(12).await.unwrap().unwrap();
    assert_eq!(company.company_id, 12);
    assert_eq!(company.status(), Some(CompanyStatus::Approved));
    assert_eq!(company.bc_group_id, Some(5));
    assert_eq!(company.updated_at, Some(1620872700));
    core.assert_async().await;
    b2b.assert_async().await;
}

#[tokio::test]
async fn b2b_fields_decode_as_string_or_number() {
    let mut server = Server::new_async().await;
    server
        .mock("GET", "/api/v3/io/companies/3")
        .with_body(r#"{"code":200,"meta":{"message":"SUCCESS"},"data":{"companyId":3,"companyStatus":0,"bcGroupId":9,"catalogId":"","createdAt":1620872672,"extraFields":null}}"#)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let c = client.b2b().company(3).await.unwrap().unwrap();
    assert_eq!(
        (c.company_status, c.bc_group_id, c.catalog_id),
        (Some(0), Some(9), None)
    );
    assert!(c.extra_fields.is_empty());
}

#[tokio::test]
async fn retries_429_with_headers_after_the_announced_reset() {
    let mut server = Server::new_async().await;
    let mut limited = server
        .mock("GET", "/stores/abc123/v3/pricelists/1")
        .with_status(429)
        .with_body(r#"{"status":429,"title":"Too many requests"}"#);
    for (k, v) in core_headers(0, 80) {
        limited = limited.with_header(k, &v);
    }
    let limited = limited.expect(1).create_async().await;
    let client = client_for(&server, static_creds("tok"), options());
    let task = tokio::spawn({
        let client = client.clone();
        async move { client.core().price_list(1).await }
    });
    // Once the 429 reached the server, the client waits the announced 80 ms: swap the mock.
    for _ in 0..2_000 {
        if limited.matched_async().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    limited.assert_async().await;
    limited.remove_async().await;
    let ok = server
        .mock("GET", "/stores/abc123/v3/pricelists/1")
        .with_body(r#"{"data":{"id":1},"meta":{}}"#)
        .expect(1)
        .create_async()
        .await;
    let pl = task.await.unwrap().unwrap().unwrap();
    assert_eq!(pl.id, 1);
    ok.assert_async().await;
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.rate_limited, stats.retries),
        (2, 1, 1)
    );
    assert!(
        stats.waited_ms >= 80,
        "waited {} ms, reset was 80 ms",
        stats.waited_ms
    );
}

#[tokio::test]
async fn a_429_without_headers_backs_off_longer_then_gives_up() {
    let mut server = Server::new_async().await;
    let shed = server
        .mock("GET", "/stores/abc123/v3/pricelists/1")
        .with_status(429)
        .expect(4)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let err = client.core().price_list(1).await.unwrap_err();
    assert!(
        matches!(err, BcError::RateLimited { attempts: 4, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    shed.assert_async().await;
    // Three shed back-offs of at least 30, 60 and 60 ms (upper-half jitter of 60, 120, 120).
    assert!(client.stats().waited_ms >= 150, "{:?}", client.stats());
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let mut server = Server::new_async().await;
    let failing = server
        .mock("GET", "/api/v3/io/users/5")
        .with_status(503)
        .with_body("<html>unavailable</html>")
        .expect(2)
        .create_async()
        .await;
    // A back-off of at least 100 ms after the second failure: time to swap the mock.
    let slow = ClientOptions {
        retry: RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(200),
            ..fast_retry()
        },
        ..options()
    };
    let client = client_for(&server, static_creds("tok"), slow);
    let task = tokio::spawn({
        let client = client.clone();
        async move { client.b2b().user(5).await }
    });
    // Let both failures reach the server (not just leave the client), then answer.
    for _ in 0..2_000 {
        if failing.matched_async().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    failing.assert_async().await;
    failing.remove_async().await;
    server
        .mock("GET", "/api/v3/io/users/5")
        .with_body(r#"{"code":200,"meta":{"message":"SUCCESS"},"data":{"id":5,"customerId":"77","email":"a@b.c","role":"1"}}"#)
        .create_async()
        .await;
    let user = task.await.unwrap().unwrap().unwrap();
    assert_eq!(
        (user.id, user.customer_id, user.role),
        (5, Some(77), Some(1))
    );
}

#[tokio::test]
async fn a_post_answered_by_a_gateway_error_is_never_repeated() {
    // 502, 503 and 504 may come after the write (a gateway timing out on a create that
    // succeeded): one attempt each, a retryable error for the caller, who looks up first.
    let mut server = Server::new_async().await;
    for status in [502, 503, 504] {
        let create = server
            .mock("POST", "/api/v3/io/rfq")
            .with_status(status)
            .expect(1)
            .create_async()
            .await;
        let client = client_for(&server, static_creds("tok"), options());
        let body = crate::spec_replay_tests::minimal_quote("Q-1");
        let err = client.b2b().create_quote(&body).await.unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert_eq!(err.status(), Some(status as u16));
        create.assert_async().await;
        create.remove_async().await;
    }
}

#[tokio::test]
async fn permanent_errors_are_not_retried_and_carry_the_parsed_body() {
    let mut server = Server::new_async().await;
    let rejected = server
        .mock("POST", "/api/v3/io/users")
        .with_status(422)
        .with_body(r#"{"code":422,"meta":{"message":"Parameter Error"},"data":{"errMsg":"email already exists"}}"#)
        .expect(1)
        .create_async()
        .await;
    let boom = server
        .mock("POST", "/api/v3/io/companies")
        .with_status(500)
        .expect(1)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let err = client
        .b2b()
        .create_user(&Default::default())
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(err.status(), Some(422));
    assert_eq!(
        err.to_string(),
        "b2b API rejected the request (422): Parameter Error; email already exists"
    );
    // A POST answered 500 may have created the company: not repeated here, but retryable later.
    let err = client
        .b2b()
        .create_company(&Default::default())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        BcError::Server {
            status: 500,
            attempts: 1,
            ..
        }
    ));
    assert!(err.is_retryable());
    rejected.assert_async().await;
    boom.assert_async().await;
}

#[tokio::test]
async fn bulk_company_create_sends_one_array_and_returns_the_ids_in_order() {
    use crate::b2b::{CompanyFields, B2B_BULK_MAX};
    let mut server = Server::new_async().await;
    let bulk = server
        .mock("POST", "/api/v3/io/companies/bulk")
        .match_body(Matcher::Json(serde_json::json!([
            {"companyName": "A"},
            {"companyName": "B"}
        ])))
        .with_body(
            r#"{"code":200,"meta":[{"companyId":"7"},{"companyId":9}],"data":{"id":"task-1"}}"#,
        )
        .expect(1)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let named = |n: &str| CompanyFields {
        company_name: Some(n.to_owned()),
        ..CompanyFields::default()
    };
    let ids = client
        .b2b()
        .create_companies(&[named("A"), named("B")])
        .await
        .unwrap();
    assert_eq!(ids, vec![7, 9]);
    bulk.assert_async().await;
    // More than BigCommerce takes is refused before a request is spent.
    let too_many = vec![named("x"); B2B_BULK_MAX + 1];
    let err = client.b2b().create_companies(&too_many).await.unwrap_err();
    assert!(matches!(err, BcError::InvalidRequest(_)), "{err}");
    assert_eq!(client.stats().requests, 1);
}

#[tokio::test]
async fn bulk_user_create_returns_the_new_users_in_order() {
    use crate::b2b::{UserFields, B2B_BULK_MAX};
    let mut server = Server::new_async().await;
    let bulk = server
        .mock("POST", "/api/v3/io/users/bulk")
        .match_body(Matcher::Json(serde_json::json!([
            {"email": "a@x.example"},
            {"email": "b@x.example"}
        ])))
        .with_body(r#"{"code":200,"meta":{"message":"SUCCESS"},"data":[{"userId":5,"bcId":50},{"userId":"6","bcId":60}]}"#)
        .expect(1)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let user = |e: &str| UserFields {
        email: Some(e.to_owned()),
        ..UserFields::default()
    };
    let created = client
        .b2b()
        .create_users(&[user("a@x.example"), user("b@x.example")])
        .await
        .unwrap();
    let ids: Vec<i64> = created.iter().map(|u| u.user_id).collect();
    assert_eq!(ids, vec![5, 6]);
    bulk.assert_async().await;
    let err = client
        .b2b()
        .create_users(&vec![user("x@x.example"); B2B_BULK_MAX + 1])
        .await
        .unwrap_err();
    assert!(matches!(err, BcError::InvalidRequest(_)), "{err}");
    assert_eq!(client.stats().requests, 1);
}

#[tokio::test]
async fn a_401_rereads_the_secret_once_then_succeeds() {
    let mut server = Server::new_async().await;
    let old = server
        .mock("GET", "/stores/abc123/v3/pricelists/2")
        .match_header("x-auth-token", "revoked")
        .with_status(401)
        .with_body(r#"{"status":401,"title":"Unauthorized"}"#)
        .expect(1)
        .create_async()
        .await;
    let new = server
        .mock("GET", "/stores/abc123/v3/pricelists/2")
        .match_header("x-auth-token", "rotated")
        .with_body(r#"{"data":{"id":2},"meta":{}}"#)
        .expect(1)
        .create_async()
        .await;
    let cache = Arc::new(RotatingToken::new(&["revoked", "rotated"]));
    let client = client_for(&server, cache.clone(), options());
    assert_eq!(client.core().price_list(2).await.unwrap().unwrap().id, 2);
    old.assert_async().await;
    new.assert_async().await;
    assert_eq!(
        cache.current().await.unwrap().access_token.expose_secret(),
        "rotated"
    );
    assert_eq!(cache.refreshes.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_second_401_is_a_permanent_unauthorized() {
    let mut server = Server::new_async().await;
    let denied = server
        .mock("GET", "/stores/abc123/v3/pricelists/2")
        .with_status(401)
        .with_body(r#"{"status":401,"title":"Unauthorized"}"#)
        .expect(2)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let err = client.core().price_list(2).await.unwrap_err();
    assert!(
        matches!(err, BcError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    denied.assert_async().await;
}

#[tokio::test]
async fn pacing_waits_for_the_reset_at_the_low_water_mark() {
    let mut server = Server::new_async().await;
    let mut low = server
        .mock("GET", "/stores/abc123/v3/pricelists/1")
        .with_body(r#"{"data":{"id":1},"meta":{}}"#);
    for (k, v) in core_headers(5, 150) {
        low = low.with_header(k, &v);
    }
    let low = low.expect(2).create_async().await;
    let client = client_for(&server, static_creds("tok"), options());
    client.core().price_list(1).await.unwrap();
    assert_eq!(client.stats().waited_ms, 0);
    // 5 left = the low-water mark: the next call waits for the window (150 ms) instead of spending them.
    client.core().price_list(1).await.unwrap();
    let stats = client.stats();
    assert!(stats.waited_ms >= 150, "{stats:?}");
    assert_eq!(stats.rate_limited, 0);
    low.assert_async().await;
}

#[tokio::test]
async fn no_retry_starts_that_cannot_finish_before_the_deadline() {
    let mut server = Server::new_async().await;
    let mut limited = server
        .mock("GET", "/stores/abc123/v3/pricelists/1")
        .with_status(429);
    for (k, v) in core_headers(0, 30_000) {
        limited = limited.with_header(k, &v);
    }
    let limited = limited.expect(1).create_async().await;
    let client = client_for(&server, static_creds("tok"), options())
        .with_deadline(Instant::now() + Duration::from_secs(2));
    let err = client.core().price_list(1).await.unwrap_err();
    match &err {
        BcError::DeadlineExceeded { last: Some(last) } => {
            assert!(matches!(**last, BcError::RateLimited { .. }), "{last:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(err.status(), Some(429));
    assert!(err.retry_after().unwrap() >= Duration::from_secs(30));
    assert_eq!(
        client.stats().waited_ms,
        0,
        "it must give up at once, not sleep"
    );
    limited.assert_async().await;
    // Nothing at all is sent once the deadline has passed.
    let late = client_for(&server, static_creds("tok"), options()).with_deadline(Instant::now());
    assert!(matches!(
        late.core().price_list(1).await,
        Err(BcError::DeadlineExceeded { last: None })
    ));
}

#[tokio::test]
async fn v2_pages_end_on_204() {
    let mut server = Server::new_async().await;
    let page1 = server
        .mock("GET", "/stores/abc123/v2/orders")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("page".into(), "1".into()),
            Matcher::UrlEncoded("limit".into(), "2".into()),
            Matcher::UrlEncoded("sort".into(), "date_modified:asc".into()),
            Matcher::UrlEncoded("min_date_modified".into(), "2026-01-01T00:00:00Z".into()),
        ]))
        .with_body(r#"[{"id":1,"date_modified":"Thu, 01 Jan 2026 10:00:00 +0000","status_id":11,"subtotal_inc_tax":"10.00"},{"id":2,"date_modified":"Thu, 01 Jan 2026 11:00:00 +0000"}]"#)
        .create_async()
        .await;
    let page2 = server
        .mock("GET", "/stores/abc123/v2/orders")
        .match_query(Matcher::UrlEncoded("page".into(), "2".into()))
        .with_status(204)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let since = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let orders: Vec<_> = client
        .core()
        .orders_modified_since(since, 2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(orders.iter().map(|o| o.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(orders[0].extra["subtotal_inc_tax"], "10.00");
    assert_eq!(
        orders[1].modified_at().unwrap().to_rfc3339(),
        "2026-01-01T11:00:00+00:00"
    );
    page1.assert_async().await;
    page2.assert_async().await;
}

#[tokio::test]
async fn b2b_offset_pagination_follows_total_count() {
    let mut server = Server::new_async().await;
    let body = |ids: &[i64], offset: u32| {
        let data: Vec<_> = ids
            .iter()
            .map(|i| serde_json::json!({"companyId": i.to_string(), "companyStatus": "1"}))
            .collect();
        serde_json::json!({"code":200,"meta":{"message":"SUCCESS","pagination":{"totalCount":3,"limit":250,"offset":offset}},"data":data}).to_string()
    };
    let first = server
        .mock("GET", "/api/v3/io/companies")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("offset".into(), "0".into()),
            Matcher::UrlEncoded("limit".into(), "250".into()),
            Matcher::UrlEncoded("extraFields".into(), "erp_id:C-1".into()),
        ]))
        .with_body(body(&[1, 2], 0))
        .create_async()
        .await;
    let second = server
        .mock("GET", "/api/v3/io/companies")
        .match_query(Matcher::UrlEncoded("offset".into(), "2".into()))
        .with_body(body(&[3], 2))
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let filter = CompanyFilter {
        extra_fields: vec![("erp_id".into(), "C-1".into())],
        ..Default::default()
    };
    let ids: Vec<i64> = client
        .b2b()
        .companies(&filter)
        .map_ok(|c| c.company_id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, [1, 2, 3]);
    first.assert_async().await;
    second.assert_async().await;
}

#[tokio::test]
async fn a_b2b_list_that_shrinks_between_pages_is_refused_not_returned_short() {
    // Three companies; the first is deleted after page one: at offset 2 the list holds [2, 3]
    // shifted to offsets 0 and 1, so company 3 would be skipped.
    let mut server = Server::new_async().await;
    let body = |ids: &[i64], total: u32| {
        let data: Vec<_> = ids
            .iter()
            .map(|i| serde_json::json!({"companyId": i.to_string(), "companyStatus": "1"}))
            .collect();
        serde_json::json!({"code":200,"meta":{"message":"SUCCESS","pagination":{"totalCount":total,"limit":2,"offset":0}},"data":data}).to_string()
    };
    server
        .mock("GET", "/api/v3/io/companies")
        .match_query(Matcher::UrlEncoded("offset".into(), "0".into()))
        .with_body(body(&[1, 2], 3))
        .create_async()
        .await;
    server
        .mock("GET", "/api/v3/io/companies")
        .match_query(Matcher::UrlEncoded("offset".into(), "2".into()))
        .with_body(body(&[], 2))
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let pages =
        crate::pagination::b2b_pages::<serde_json::Value>(&client, "/companies", Vec::new(), 2);
    let got: Result<Vec<Vec<serde_json::Value>>, BcError> = pages.try_collect().await;
    match got {
        Err(e @ BcError::ListShrank { was: 3, now: 2, .. }) => {
            assert!(e.is_retryable());
            assert!(
                e.to_string().contains("/companies shrank from 3 to 2"),
                "{e}"
            );
        }
        other => panic!("expected ListShrank, got {other:?}"),
    }
}

#[tokio::test]
async fn quote_lists_use_their_own_envelope() {
    let mut server = Server::new_async().await;
    server
        .mock("GET", "/api/v3/io/rfq")
        .match_query(Matcher::UrlEncoded("offset".into(), "0".into()))
        .with_body(r#"{"code":200,"message":"SUCCESS","data":{"list":[{"quoteId":"9","status":4,"bcOrderId":"120","updatedAt":1700000000,"company":"Acme"}],"pagination":{"totalCount":1,"limit":250,"offset":0}}}"#)
        .expect(1)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let quotes: Vec<_> = client
        .b2b()
        .quotes(&QuoteFilter {
            oldest_first: true,
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(quotes.len(), 1);
    assert_eq!(
        (quotes[0].quote_id, quotes[0].status, quotes[0].bc_order_id),
        (9, Some(4), Some(120))
    );
    assert_eq!(quotes[0].extra["company"], "Acme");
}

#[tokio::test]
async fn a_quote_detail_is_asked_for_with_its_creation_date() {
    let mut server = Server::new_async().await;
    // quote.yaml: `date` is required, "the date that the quote was created", %m/%d/%Y.
    let detail = server
        .mock("GET", "/api/v3/io/rfq/9")
        .match_query(Matcher::UrlEncoded("date".into(), "11/14/2023".into()))
        .with_body(r#"{"code":200,"data":{"referenceNumber":"Q-1","status":"2"},"meta":{"message":"SUCCESS"}}"#)
        .expect(1)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let listed: crate::b2b::Quote =
        serde_json::from_str(r#"{"quoteId":"9","createdAt":1700000000}"#).unwrap();
    let found = client.b2b().quote_detail(&listed).await.unwrap();
    assert_eq!(found.unwrap()["referenceNumber"], "Q-1");
    detail.assert_async().await;

    let undated: crate::b2b::Quote = serde_json::from_str(r#"{"quoteId":"9"}"#).unwrap();
    let err = client.b2b().quote_detail(&undated).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(
        err.to_string().contains("quote 9") && err.to_string().contains("createdAt"),
        "{err}"
    );
}

#[tokio::test]
async fn addresses_are_filtered_by_the_specs_external_id_parameter() {
    let mut server = Server::new_async().await;
    let list = server
        .mock("GET", "/api/v3/io/addresses")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("externalId[]".into(), "A-5".into()),
            Matcher::UrlEncoded("limit".into(), "249".into()),
        ]))
        .with_body(r#"{"code":200,"data":[],"meta":{"pagination":{"totalCount":0,"limit":249,"offset":0}}}"#)
        .expect(1)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let found: Vec<_> = client
        .b2b()
        .addresses(None, Some("A-5"))
        .try_collect()
        .await
        .unwrap();
    assert!(found.is_empty());
    list.assert_async().await;
}

#[tokio::test]
async fn a_country_is_looked_up_by_its_iso_code() {
    let mut server = Server::new_async().await;
    server
        .mock("GET", "/api/v3/io/countries")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("searchType".into(), "1".into()),
            Matcher::UrlEncoded("q".into(), "US".into()),
        ]))
        .with_body(r#"{"code":200,"data":{"countryCode":"US","countryName":"United States"},"meta":{"message":"SUCCESS"}}"#)
        .create_async()
        .await;
    server
        .mock("GET", "/api/v3/io/countries")
        .match_query(Matcher::UrlEncoded("q".into(), "ZZ".into()))
        .with_status(404)
        .with_body(r#"{"code":404,"data":{},"meta":{"message":"Not found"}}"#)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let us = client.b2b().country("US").await.unwrap().unwrap();
    assert_eq!(us.country_name, "United States");
    assert_eq!(client.b2b().country("ZZ").await.unwrap(), None);
}

/// `n` records by SKU (`SKU-0`, `SKU-1`, ...) at 10 USD.
fn price_records(n: usize) -> Vec<PriceRecord> {
    (0..n)
        .map(|i| PriceRecord {
            variant_id: None,
            sku: Some(format!("SKU-{i}")),
            currency: "usd".into(),
            price: Some(10.0),
            sale_price: None,
            retail_price: None,
            map_price: None,
            bulk_pricing_tiers: Vec::new(),
        })
        .collect()
}

#[tokio::test]
async fn price_records_are_upserted_in_batches_of_1000() {
    let mut server = Server::new_async().await;
    let batches = server
        .mock("PUT", "/stores/abc123/v3/pricelists/4/records")
        .match_header("content-type", "application/json")
        .with_body("{}")
        .expect(3)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let records = price_records(2_500);
    let report = client
        .core()
        .upsert_price_records(4, &records)
        .await
        .unwrap();
    assert_eq!((report.batches, report.records), (3, 2_500));
    assert!(report.rejected.is_empty());
    batches.assert_async().await;
}

#[tokio::test]
async fn a_422_naming_records_reports_them_rejected_and_the_rest_counted() {
    let mut server = Server::new_async().await;
    server
        .mock("PUT", "/stores/abc123/v3/pricelists/4/records")
        .with_status(422)
        .with_body(
            r#"{"batch_errors":[{"data":{"price_list_id":4,"sku":"SKU-1","currency":"usd"},
                "field_errors":{"sku":"No variant with this SKU"}}]}"#,
        )
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let records = price_records(3);
    let report = client
        .core()
        .upsert_price_records(4, &records)
        .await
        .unwrap();
    assert_eq!((report.batches, report.records), (1, 3));
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].data["sku"], "SKU-1");
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_is_refused_before_sending() {
    let server = Server::new_async().await;
    let client = client_for(&server, static_creds("bad\ntoken"), options());
    let err = client
        .execute(&ApiRequest::new(Api::Core, Method::GET, "/v3/hooks"))
        .await
        .unwrap_err();
    assert!(matches!(err, BcError::InvalidRequest(_)));
    assert!(!err.to_string().contains("bad"));
}

#[tokio::test]
async fn a_single_b2b_order_decodes_as_object_or_one_element_array() {
    let mut server = Server::new_async().await;
    server
        .mock("GET", "/api/v3/io/orders/120")
        .with_body(r#"{"code":200,"meta":{"message":"SUCCESS"},"data":[{"bcOrderId":120,"companyId":"7","poNumber":"PO-1"}]}"#)
        .create_async()
        .await;
    server
        .mock("GET", "/api/v3/io/orders/121")
        .with_body(
            r#"{"code":200,"meta":{"message":"SUCCESS"},"data":{"bcOrderId":"121","companyId":7}}"#,
        )
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let a = client.b2b().order(120).await.unwrap().unwrap();
    assert_eq!(
        (a.bc_order_id, a.company_id, a.po_number.as_deref()),
        (120, Some(7), Some("PO-1"))
    );
    let b = client.b2b().order(121).await.unwrap().unwrap();
    assert_eq!(b.bc_order_id, 121);
}

#[test]
fn address_fields_send_only_what_is_set_and_diff_against_an_answer() {
    use crate::b2b::AddressFields;
    let wanted = AddressFields {
        company_id: Some(7),
        external_id: Some("A-5".into()),
        city: Some("Austin".into()),
        is_shipping: Some(true),
        ..AddressFields::default()
    };
    assert_eq!(
        serde_json::to_value(&wanted).unwrap(),
        serde_json::json!({"companyId": 7, "externalId": "A-5", "city": "Austin", "isShipping": true})
    );
    let current = serde_json::json!({"addressId": 3, "companyId": 8, "externalId": "A-5",
        "city": "Dallas", "isShipping": true});
    let diff = wanted.changed_from(&current).unwrap();
    assert_eq!(
        diff,
        AddressFields {
            city: Some("Austin".into()),
            ..AddressFields::default()
        },
        "companyId never moves an address; equal fields are left out"
    );
}

#[test]
fn a_quote_update_carries_only_what_changes_and_never_a_status() {
    let update = crate::b2b::QuoteUpdate {
        expired_at: Some("01/31/2027".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        serde_json::json!({"expiredAt": "01/31/2027"})
    );
    assert!(crate::b2b::QuoteUpdate::default().is_empty());
    assert_eq!(
        serde_json::to_value(crate::b2b::QuoteUpdate::default()).unwrap(),
        serde_json::json!({})
    );
}

fn portal_list(items: &[serde_json::Value], total: u32) -> String {
    serde_json::json!({"code": 200, "data": items,
        "meta": {"message": "SUCCESS", "pagination": {"totalCount": total, "offset": 0, "limit": 250}}})
    .to_string()
}

fn receipt(id: i64, updated: i64) -> serde_json::Value {
    serde_json::json!({"id": id, "createdAt": updated, "updatedAt": updated, "storeHash": "abc123",
        "customerId": "5", "payerName": "Check", "payerCustomerId": "5", "transactionType": "Paid",
        "paymentType": "Offline", "referenceNumber": "r", "paymentId": id,
        "total": {"code": "USD", "value": "1.0000"}})
}

#[tokio::test]
async fn changes_since_read_newest_first_without_offset_zero_and_stop_at_an_older_entry() {
    let mut server = Server::new_async().await;
    let first: Vec<_> = (0..250).map(|i| receipt(1000 - i, 5_000 - i)).collect();
    server
        .mock("GET", "/api/v3/io/ip/receipts")
        // `GET /receipts` declares offset exclusive of 0: the first page goes without it.
        .match_query(Matcher::Exact(
            "sortBy=updatedAt&orderBy=DESC&limit=250".into(),
        ))
        .with_body(portal_list(&first, 400))
        .expect(1)
        .create_async()
        .await;
    let second = [
        receipt(750, 4_750),
        receipt(749, 4_000),
        receipt(748, 3_999),
    ];
    server
        .mock("GET", "/api/v3/io/ip/receipts")
        .match_query(Matcher::UrlEncoded("offset".into(), "250".into()))
        .with_body(portal_list(&second, 400))
        .expect(1)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let got = client.invoice_portal().receipts_since(4_000).await.unwrap();
    assert_eq!(got.len(), 252, "the older entry ends the read");
    assert_eq!(got.last().map(|r| r.id), Some(749));
}

#[tokio::test]
async fn invoice_money_goes_as_a_number_on_create_and_a_string_on_update() {
    use crate::money::{Amount, Money};
    use crate::receivables::InvoiceFields;
    let mut server = Server::new_async().await;
    let create = server
        .mock("POST", "/api/v3/io/ip/invoices")
        .match_body(Matcher::PartialJson(serde_json::json!({
            "invoiceNumber": "INV-1", "customerId": "7",
            "openBalance": {"code": "USD", "value": 12.5}})))
        .with_body(r#"{"code":200,"data":{"id":12},"meta":{"message":"Success"}}"#)
        .expect(1)
        .create_async()
        .await;
    let update = server
        .mock("PUT", "/api/v3/io/ip/invoices/12")
        .match_body(Matcher::Json(serde_json::json!({
            "openBalance": {"code": "USD", "value": "0.0000"}})))
        .with_body(r#"{"code":200,"data":{"id":12},"meta":{"message":"SUCCESS"}}"#)
        .expect(1)
        .create_async()
        .await;
    let client = client_for(&server, static_creds("tok"), options());
    let money = |v: &str| Money {
        code: "USD".into(),
        value: Amount::parse(v).unwrap(),
    };
    let fields = InvoiceFields {
        invoice_number: Some("INV-1".into()),
        customer_id: Some("7".into()),
        original_balance: Some(money("12.5")),
        open_balance: Some(money("12.5")),
        ..InvoiceFields::default()
    };
    let portal = client.invoice_portal();
    assert_eq!(portal.create_invoice(&fields).await.unwrap(), 12);
    let paid = InvoiceFields {
        open_balance: Some(money("0")),
        ..InvoiceFields::default()
    };
    portal.update_invoice(12, &paid).await.unwrap();
    create.assert_async().await;
    update.assert_async().await;
}
