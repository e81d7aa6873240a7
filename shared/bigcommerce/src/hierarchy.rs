//! B2B Edition account hierarchies (`company.yaml`, "Account Hierarchies"): a company's
//! subsidiaries (nested), attaching a parent, detaching a subsidiary.
//!
//! A company's current parent is in its own answer ([`crate::b2b::Company::parent_id`]); these
//! calls change it. `GET .../hierarchy` is limited to 15 calls a minute per store, so the
//! toolkit reads subsidiaries instead.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{ApiRequest, BcClient};
use super::error::{Api, BcError};
use super::lenient;
use super::pagination::{b2b_pages, items, B2B_MAX_LIMIT};
use futures_util::TryStreamExt;

/// One company of a hierarchy tree, with its own subsidiaries nested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HierarchyNode {
    /// Company id.
    #[serde(deserialize_with = "lenient::i64")]
    pub company_id: i64,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub company_name: Option<String>,
    /// Its status.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub company_status: Option<i64>,
    /// Its subsidiaries.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub subsidiaries: Vec<HierarchyNode>,
}

impl HierarchyNode {
    /// Whether `id` is this company or lies anywhere below it.
    pub fn contains(&self, id: i64) -> bool {
        self.company_id == id || self.subsidiaries.iter().any(|s| s.contains(id))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Parent {
    parent_company_id: i64,
}

/// The hierarchy calls of one store.
#[derive(Debug, Clone)]
pub struct Hierarchies<'a> {
    client: &'a BcClient,
}

impl BcClient {
    /// The B2B Edition account hierarchies of this store.
    pub fn hierarchies(&self) -> Hierarchies<'_> {
        Hierarchies { client: self }
    }
}

impl Hierarchies<'_> {
    /// Every direct subsidiary of `company_id`, each with its own nested
    /// (`GET /companies/{id}/subsidiaries`, every page).
    pub async fn subsidiaries(&self, company_id: i64) -> Result<Vec<HierarchyNode>, BcError> {
        let path = format!("/companies/{company_id}/subsidiaries");
        items(b2b_pages(self.client, path, Vec::new(), B2B_MAX_LIMIT))
            .try_collect()
            .await
    }

    /// Makes `parent_id` the parent of `company_id` (`POST /companies/{id}/parent`).
    pub async fn set_parent(&self, company_id: i64, parent_id: i64) -> Result<(), BcError> {
        let body = Parent {
            parent_company_id: parent_id,
        };
        let path = format!("/companies/{company_id}/parent");
        let req = ApiRequest::new(Api::B2b, Method::POST, path).json(&body)?;
        self.client.execute(&req).await.map(drop)
    }

    /// Detaches `child_id` from `parent_id`
    /// (`DELETE /companies/{parent}/subsidiaries/{child}`); its own subsidiaries stay with it.
    pub async fn remove_subsidiary(&self, parent_id: i64, child_id: i64) -> Result<(), BcError> {
        let path = format!("/companies/{parent_id}/subsidiaries/{child_id}");
        let req = ApiRequest::new(Api::B2b, Method::DELETE, path);
        self.client.execute(&req).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_contains_itself_and_everything_below() {
        let tree: HierarchyNode = serde_json::from_value(serde_json::json!({
            "companyId": 1, "companyName": "A", "companyStatus": 1,
            "subsidiaries": [{"companyId": 2, "subsidiaries": [{"companyId": 4}]}, {"companyId": 3}]
        }))
        .unwrap();
        assert!(tree.contains(1) && tree.contains(4) && tree.contains(3));
        assert!(!tree.contains(5));
    }
}
