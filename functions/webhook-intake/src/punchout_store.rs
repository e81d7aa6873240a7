//! What punch-out asks of the store (see [`crate::punchout`]): the buyer a setup signs in (one
//! approved company's buyer with a storefront account), the cart a return sends back; each
//! lookup given at most [`LOOKUP_TIME`].

use std::sync::Arc;
use std::time::Duration;

use b2b_shared::stores::clients::StoreClients;
use bigcommerce_b2b::b2b::{CompanyStatus, UserFilter};
use bigcommerce_b2b::storefront::Cart;
use bigcommerce_b2b::StoreHash;
use futures_util::future::BoxFuture;
use futures_util::TryStreamExt;

/// The most a store lookup of a punch-out may take.
pub const LOOKUP_TIME: Duration = Duration::from_secs(5);

/// The shopper a punch-out signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shopper {
    /// The BigCommerce customer id of the buyer.
    pub customer_id: i64,
    /// The buyer's company.
    pub company_id: i64,
}

/// What a punch-out asks of the store.
pub trait PunchOutStore: Send + Sync {
    /// The buyer with `email` of the company whose procurement identity is `identity`:
    /// `Ok(Err(why))` when there is none, `Err(why)` when the store could not be asked.
    fn shopper<'a>(
        &'a self,
        store: &'a StoreHash,
        identity: &'a str,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Result<Shopper, String>, String>>;
    /// The cart `cart_id`, `None` when there is none; `Err(why)` when the store could not be
    /// asked.
    fn cart<'a>(
        &'a self,
        store: &'a StoreHash,
        cart_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Cart>, String>>;
}

/// [`PunchOutStore`] through the stores' BigCommerce clients.
pub struct StorePunchOut {
    /// A client per store served.
    pub clients: Arc<StoreClients>,
    /// `PROCUREMENT_IDENTITY_FIELD`: the company extra field holding the identity.
    pub identity_field: String,
}

impl StorePunchOut {
    async fn client(&self, store: &StoreHash) -> Result<bigcommerce_b2b::BcClient, String> {
        crate::precheck::store_client(&self.clients, store).await
    }

    async fn find_shopper(
        &self,
        store: &StoreHash,
        identity: &str,
        email: &str,
    ) -> Result<Result<Shopper, String>, String> {
        let client = self.client(store).await?;
        let company =
            match crate::precheck::buyer_company(&client, &self.identity_field, identity).await? {
                Ok(company) => company,
                Err(why) => return Ok(Err(why)),
            };
        if company.status() != Some(CompanyStatus::Approved) {
            return Ok(Err(format!(
                "the company of `{identity}` is not approved to buy"
            )));
        }
        let filter = UserFilter {
            company_id: Some(company.company_id),
            email: Some(email.to_owned()),
            ..UserFilter::default()
        };
        let users: Vec<_> = client
            .b2b()
            .users(&filter)
            .try_collect()
            .await
            .map_err(|e| e.to_string())?;
        let user = users.into_iter().find(|u| {
            u.company_id == Some(company.company_id)
                && u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
        });
        Ok(
            match user.and_then(|u| u.customer_id.filter(|id| *id > 0)) {
                Some(customer_id) => Ok(Shopper {
                    customer_id,
                    company_id: company.company_id,
                }),
                None => Err(format!(
                "`{email}` is not a buyer of the company of `{identity}` with a storefront account"
            )),
            },
        )
    }
}

impl PunchOutStore for StorePunchOut {
    fn shopper<'a>(
        &'a self,
        store: &'a StoreHash,
        identity: &'a str,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Result<Shopper, String>, String>> {
        Box::pin(self.find_shopper(store, identity, email))
    }

    fn cart<'a>(
        &'a self,
        store: &'a StoreHash,
        cart_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Cart>, String>> {
        Box::pin(async move {
            let client = self.client(store).await?;
            client.core().cart(cart_id).await.map_err(|e| e.to_string())
        })
    }
}

/// Runs `lookup` within [`LOOKUP_TIME`]; a timeout is a lookup that failed.
pub(crate) async fn within<T>(
    lookup: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(LOOKUP_TIME, lookup)
        .await
        .unwrap_or_else(|_| Err("the store did not answer in time".into()))
}
