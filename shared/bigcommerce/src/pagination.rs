//! Pagination of every list endpoint as async streams: callers see items, not pages.
//!
//! - v3: `page`/`limit`, ending by `meta.pagination.total_pages` (or a short page);
//! - v2: `page`/`limit`, ending on `204 No Content`, an empty or a short page;
//! - B2B: `offset`/`limit`, ending by `meta.pagination.totalCount`;
//! - B2B quotes: the same, inside `data.list` / `data.pagination`.
//!
//! An empty page always ends a stream, so a server that miscounts cannot make us loop.

use std::future::Future;

use futures_util::stream::{self, Stream, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::client::{ApiRequest, BcClient};
use super::error::{Api, BcError};
use super::lenient;

/// Largest page the B2B API serves (orders: 200).
pub const B2B_MAX_LIMIT: u32 = 250;
/// Page size used for v2 and v3 lists.
pub const CORE_LIMIT: u32 = 250;

/// A stream of pages built from `fetch`, which maps a cursor to a page and the next cursor.
pub fn pages<T, C, F, Fut>(first: C, fetch: F) -> impl Stream<Item = Result<Vec<T>, BcError>>
where
    F: FnMut(C) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<C>), BcError>>,
{
    stream::try_unfold((fetch, Some(first)), |(mut fetch, cursor)| async move {
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        let (items, next) = fetch(cursor).await?;
        let next = if items.is_empty() { None } else { next };
        Ok(Some((items, (fetch, next))))
    })
}

/// Flattens a stream of pages into a stream of items.
pub fn items<T>(
    pages: impl Stream<Item = Result<Vec<T>, BcError>>,
) -> impl Stream<Item = Result<T, BcError>> {
    pages
        .map_ok(|page| stream::iter(page.into_iter().map(Ok)))
        .try_flatten()
}

#[derive(Debug, Deserialize)]
struct V3Envelope<T> {
    data: Vec<T>,
    #[serde(default)]
    meta: Option<V3Meta>,
}

#[derive(Debug, Deserialize)]
struct V3Meta {
    #[serde(default)]
    pagination: Option<V3Pagination>,
}

#[derive(Debug, Deserialize)]
struct V3Pagination {
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    current_page: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    total_pages: Option<u64>,
}

/// Pages of a v3 list at `path` (e.g. `/v3/pricelists`) with extra `query`.
pub fn v3_pages<T: DeserializeOwned + Send + 'static>(
    client: &BcClient,
    path: impl Into<String>,
    query: Vec<(String, String)>,
) -> impl Stream<Item = Result<Vec<T>, BcError>> + Send + 'static {
    let client = client.clone();
    let path = path.into();
    pages(1u64, move |page| {
        let req = ApiRequest::get(Api::Core, path.clone())
            .queries(&query)
            .query("page", page)
            .query("limit", CORE_LIMIT);
        let client = client.clone();
        async move {
            let env: V3Envelope<T> = client.send(req).await?;
            let next = match env.meta.and_then(|m| m.pagination) {
                Some(V3Pagination {
                    current_page: Some(cur),
                    total_pages: Some(total),
                }) => (cur < total).then_some(page + 1),
                _ => (env.data.len() as u32 >= CORE_LIMIT).then_some(page + 1),
            };
            Ok((env.data, next))
        }
    })
}

/// Pages of a v2 list at `path` (e.g. `/v2/orders`) with extra `query`.
pub fn v2_pages<T: DeserializeOwned + Send + 'static>(
    client: &BcClient,
    path: impl Into<String>,
    query: Vec<(String, String)>,
    limit: u32,
) -> impl Stream<Item = Result<Vec<T>, BcError>> + Send + 'static {
    let client = client.clone();
    let path = path.into();
    pages(1u64, move |page| {
        let (client, path, query) = (client.clone(), path.clone(), query.clone());
        async move { v2_page(&client, &path, &query, page, limit).await }
    })
}

/// Page `page` (from 1) of a v2 list at `path` with extra `query`: its items (none for
/// `204 No Content`) and the next page's number when this one was full.
pub async fn v2_page<T: DeserializeOwned>(
    client: &BcClient,
    path: &str,
    query: &[(String, String)],
    page: u64,
    limit: u32,
) -> Result<(Vec<T>, Option<u64>), BcError> {
    let limit = limit.clamp(1, CORE_LIMIT);
    let req = ApiRequest::get(Api::Core, path)
        .queries(query)
        .query("page", page)
        .query("limit", limit);
    let items: Vec<T> = client.send_optional(req).await?.unwrap_or_default();
    let next = (items.len() as u32 >= limit).then_some(page + 1);
    Ok((items, next))
}

#[derive(Debug, Deserialize)]
struct B2bEnvelope<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    meta: Option<B2bMeta>,
}

/// A B2B list whose spec declares `data` one object (`GET /addresses`): read as a page of one
/// when it is an object, as the page when it is an array.
#[derive(Debug, Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct B2bObjectOrListEnvelope<T> {
    #[serde(default = "Vec::new", deserialize_with = "lenient::one_or_many")]
    data: Vec<T>,
    #[serde(default)]
    meta: Option<B2bMeta>,
}

#[derive(Debug, Deserialize)]
struct B2bMeta {
    #[serde(default)]
    pagination: Option<B2bPagination>,
}

/// `{totalCount, limit, offset}` of a B2B list.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct B2bPagination {
    /// Items matching the filters.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub total_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct QuoteEnvelope<T> {
    data: QuoteData<T>,
}

#[derive(Debug, Deserialize)]
struct QuoteData<T> {
    #[serde(default = "Vec::new")]
    list: Vec<T>,
    #[serde(default)]
    pagination: Option<B2bPagination>,
}

/// The two envelopes of B2B lists: the items and `totalCount`.
trait B2bList<T>: DeserializeOwned {
    fn into_parts(self) -> (Vec<T>, Option<u64>);
}

/// `meta.pagination.totalCount`, when the answer has one.
fn total_count(meta: Option<B2bMeta>) -> Option<u64> {
    meta.and_then(|m| m.pagination).and_then(|p| p.total_count)
}

impl<T: DeserializeOwned> B2bList<T> for B2bEnvelope<T> {
    fn into_parts(self) -> (Vec<T>, Option<u64>) {
        (self.data, total_count(self.meta))
    }
}

impl<T: DeserializeOwned> B2bList<T> for B2bObjectOrListEnvelope<T> {
    fn into_parts(self) -> (Vec<T>, Option<u64>) {
        (self.data, total_count(self.meta))
    }
}

impl<T: DeserializeOwned> B2bList<T> for QuoteEnvelope<T> {
    fn into_parts(self) -> (Vec<T>, Option<u64>) {
        let total = self.data.pagination.and_then(|p| p.total_count);
        (self.data.list, total)
    }
}

/// The page of a B2B list at `path` starting at `offset`, read through envelope `E`: its items,
/// the next page's offset when there is one (by `totalCount`, else by a full page) and
/// `totalCount`.
async fn b2b_list_page<T, E: B2bList<T>>(
    client: &BcClient,
    path: &str,
    query: &[(String, String)],
    offset: u64,
    limit: u32,
) -> Result<B2bPage<T>, BcError> {
    let limit = limit.clamp(1, B2B_MAX_LIMIT);
    let req = ApiRequest::get(Api::B2b, path)
        .queries(query)
        .query("offset", offset)
        .query("limit", limit);
    let (items, total) = client.send::<E>(req).await?.into_parts();
    let next = next_offset(offset, items.len(), limit, total);
    Ok((items, next, total))
}

/// One B2B page: items, the next offset, `totalCount`.
type B2bPage<T> = (Vec<T>, Option<u64>, Option<u64>);

/// The pages of a B2B list at `path` that `fetch` reads by offset, refusing a list that shrank
/// while it was read: offset paging skips an entry when one before the cursor is deleted
/// between two pages, so a `totalCount` below the largest seen ends the stream with
/// [`BcError::ListShrank`] (retryable) instead of a silently incomplete list.
fn b2b_offset_pages<T, F, Fut>(
    path: String,
    mut fetch: F,
) -> impl Stream<Item = Result<Vec<T>, BcError>>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<B2bPage<T>, BcError>>,
{
    pages(
        (0u64, None::<u64>),
        move |(offset, largest): (u64, Option<u64>)| {
            let page = fetch(offset);
            let path = path.clone();
            async move {
                let (items, next, total) = page.await?;
                if let (Some(was), Some(now)) = (largest, total) {
                    if now < was {
                        return Err(BcError::ListShrank {
                            api: Api::B2b,
                            path,
                            was,
                            now,
                        });
                    }
                }
                let largest = largest.max(total);
                Ok((items, next.map(|n| (n, largest))))
            }
        },
    )
}

fn next_offset(offset: u64, got: usize, limit: u32, total: Option<u64>) -> Option<u64> {
    let next = offset + got as u64;
    match total {
        Some(total) => (next < total).then_some(next),
        None => (got as u32 >= limit).then_some(next),
    }
}

/// Pages of a B2B list at `path` (e.g. `/companies`) with extra `query`; `limit` ≤ 250. Ends
/// with [`BcError::ListShrank`] when the list shrank while it was read.
pub fn b2b_pages<T: DeserializeOwned + Send + 'static>(
    client: &BcClient,
    path: impl Into<String>,
    query: Vec<(String, String)>,
    limit: u32,
) -> impl Stream<Item = Result<Vec<T>, BcError>> + Send + 'static {
    b2b_pages_in::<T, B2bEnvelope<T>>(client, path.into(), query, limit)
}

/// [`b2b_pages`] of a list whose spec declares `data` one object (`GET /addresses`): an object
/// is read as a page of one, an array as the page.
pub fn b2b_object_or_list_pages<T: DeserializeOwned + Send + 'static>(
    client: &BcClient,
    path: impl Into<String>,
    query: Vec<(String, String)>,
    limit: u32,
) -> impl Stream<Item = Result<Vec<T>, BcError>> + Send + 'static {
    b2b_pages_in::<T, B2bObjectOrListEnvelope<T>>(client, path.into(), query, limit)
}

/// The pages of a B2B list read through envelope `E`.
fn b2b_pages_in<T, E>(
    client: &BcClient,
    path: String,
    query: Vec<(String, String)>,
    limit: u32,
) -> impl Stream<Item = Result<Vec<T>, BcError>> + Send + 'static
where
    T: DeserializeOwned + Send + 'static,
    E: B2bList<T>,
{
    let client = client.clone();
    b2b_offset_pages(path.clone(), move |offset| {
        let (client, path, query) = (client.clone(), path.clone(), query.clone());
        async move { b2b_list_page::<T, E>(&client, &path, &query, offset, limit).await }
    })
}

/// The page of a B2B list at `path` starting at `offset`, with extra `query`: its items and the
/// next page's offset when there is one (by `totalCount`, else by a full page).
pub async fn b2b_page<T: DeserializeOwned>(
    client: &BcClient,
    path: &str,
    query: &[(String, String)],
    offset: u64,
    limit: u32,
) -> Result<(Vec<T>, Option<u64>), BcError> {
    let (items, next, _) =
        b2b_list_page::<T, B2bEnvelope<T>>(client, path, query, offset, limit).await?;
    Ok((items, next))
}

/// Pages of the B2B quotes list (`/rfq`), whose envelope is `data.list` / `data.pagination`.
/// Ends with [`BcError::ListShrank`] when the list shrank while it was read.
pub fn b2b_quote_pages<T: DeserializeOwned + Send + 'static>(
    client: &BcClient,
    query: Vec<(String, String)>,
    limit: u32,
) -> impl Stream<Item = Result<Vec<T>, BcError>> + Send + 'static {
    let client = client.clone();
    b2b_offset_pages("/rfq".to_owned(), move |offset| {
        let (client, query) = (client.clone(), query.clone());
        async move { b2b_list_page::<T, QuoteEnvelope<T>>(&client, "/rfq", &query, offset, limit).await }
    })
}

/// The page of the B2B quotes list (`/rfq`, envelope `data.list` / `data.pagination`) starting
/// at `offset`: its quotes and the next page's offset when there is one.
pub async fn b2b_quote_page<T: DeserializeOwned>(
    client: &BcClient,
    query: &[(String, String)],
    offset: u64,
    limit: u32,
) -> Result<(Vec<T>, Option<u64>), BcError> {
    let (items, next, _) =
        b2b_list_page::<T, QuoteEnvelope<T>>(client, "/rfq", query, offset, limit).await?;
    Ok((items, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_stop_at_the_total_or_a_short_page() {
        assert_eq!(next_offset(0, 10, 10, Some(25)), Some(10));
        assert_eq!(next_offset(20, 5, 10, Some(25)), None);
        assert_eq!(next_offset(0, 10, 10, None), Some(10));
        assert_eq!(next_offset(10, 3, 10, None), None);
    }

    #[tokio::test]
    async fn an_empty_page_ends_the_stream_even_with_a_next_cursor() {
        let calls = std::sync::atomic::AtomicU32::new(0);
        let s = pages(0u32, |c| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                let items: Vec<u32> = if c < 2 { vec![c] } else { vec![] };
                Ok((items, Some(c + 1)))
            }
        });
        let all: Vec<u32> = items(s).try_collect().await.unwrap();
        assert_eq!(all, vec![0, 1]);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
