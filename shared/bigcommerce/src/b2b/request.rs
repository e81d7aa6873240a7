//! How the B2B Edition calls are made: the [`B2b`] handle of a client, the `{code, meta, data}`
//! envelope unwrapped, a 404 read as `None`, JSON bodies sent, and the size of bulk creates
//! checked before they are sent.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{ApiRequest, BcClient};
use crate::error::{Api, BcError};

/// The most items a B2B bulk endpoint (`/companies/bulk`, `/users/bulk`, `/addresses/bulk`)
/// takes in one request; more is refused with 413.
pub const B2B_BULK_MAX: usize = 10;

/// B2B Edition API calls.
#[derive(Debug, Clone)]
pub struct B2b<'a> {
    pub(super) client: &'a BcClient,
}

impl BcClient {
    /// The B2B Edition API of this store.
    pub fn b2b(&self) -> B2b<'_> {
        B2b { client: self }
    }
}

/// `{code, meta, data}`: the envelope of a B2B single-object answer.
#[derive(Debug, Deserialize)]
struct Data<T> {
    data: T,
}

/// The answer to `req`, taken out of its `{data}` envelope.
pub(crate) async fn data<T: DeserializeOwned>(
    client: &BcClient,
    req: ApiRequest,
) -> Result<T, BcError> {
    Ok(client.send::<Data<T>>(req).await?.data)
}

/// Turns a 404 into `None`.
pub(crate) fn found<T>(r: Result<T, BcError>) -> Result<Option<T>, BcError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(BcError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `GET path`, taken out of its `{data}` envelope; `None` when it does not exist.
pub(crate) async fn get_found<T: DeserializeOwned>(
    client: &BcClient,
    path: String,
) -> Result<Option<T>, BcError> {
    found(data(client, ApiRequest::get(Api::B2b, path)).await)
}

/// `POST path` with `body` as JSON; the answer taken out of its `{data}` envelope.
pub(crate) async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
    client: &BcClient,
    path: &str,
    body: &B,
) -> Result<T, BcError> {
    data(
        client,
        ApiRequest::new(Api::B2b, Method::POST, path).json(body)?,
    )
    .await
}

/// `PUT path` with `body` as JSON; the answer is not read.
pub(crate) async fn put<B: Serialize + ?Sized>(
    client: &BcClient,
    path: String,
    body: &B,
) -> Result<(), BcError> {
    let req = ApiRequest::new(Api::B2b, Method::PUT, path).json(body)?;
    client.execute(&req).await.map(drop)
}

/// Refuses a bulk create of `count` `what` (`companies`, `users`) over [`B2B_BULK_MAX`] before
/// anything is sent.
pub(crate) fn check_bulk_size(count: usize, what: &str) -> Result<(), BcError> {
    if count > B2B_BULK_MAX {
        return Err(BcError::InvalidRequest(format!(
            "{count} {what} in one bulk create; at most {B2B_BULK_MAX}"
        )));
    }
    Ok(())
}
