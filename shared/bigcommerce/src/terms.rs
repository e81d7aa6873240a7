//! A B2B company's commercial terms (`payment.yaml`, base `/api/v3/io`): which of the store's
//! payment methods it may use, its payment terms (net days) and its credit (available amount,
//! hold, whether purchases beyond it are blocked).
//!
//! Every call is absolute (a `PUT` sets what it names), so a repeated call changes nothing.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::b2b::request::{data, get_found, put};
use super::client::{ApiRequest, BcClient};
use super::error::{Api, BcError};
use super::lenient;
use super::money::Amount;

/// The net-day values B2B Edition's payment terms take (`paymentTerms` enum).
pub const PAYMENT_TERMS_DAYS: [u32; 6] = [0, 5, 15, 30, 45, 60];

/// One of the store's payment methods (`GET /payments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorePaymentMethod {
    /// Its id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// The processor's code (`cod`, `authorizenet` ...): what company settings name.
    pub payment_code: String,
    /// The label buyers see.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub payment_title: Option<String>,
}

/// A payment method as one company has it (`GET /companies/{id}/payments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyPaymentMethod {
    /// The method's id.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub payment_id: Option<i64>,
    /// The processor's code.
    pub code: String,
    /// The label buyers see.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub payment_title: Option<String>,
    /// Whether the company may pay with it.
    #[serde(default)]
    pub is_enabled: bool,
}

/// One change of `PUT /companies/{id}/payments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodSetting {
    /// The processor's code.
    pub code: String,
    /// Enabled for the company or not.
    pub is_enabled: bool,
}

#[derive(Serialize)]
struct PaymentMethodSettings<'a> {
    payments: &'a [PaymentMethodSetting],
}

/// A company's payment terms (`/companies/{id}/payment-terms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentTerms {
    /// Whether the company may pay on terms.
    pub is_enabled: bool,
    /// Net days (one of [`PAYMENT_TERMS_DAYS`]); the store's default when not enabled.
    pub payment_terms: u32,
}

/// A company's credit (`/companies/{id}/credit`); in a `PUT`, only the fields given change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyCredit {
    /// Whether credit is on for the company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_enabled: Option<bool>,
    /// The credit account's currency (ISO 4217).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub credit_currency: Option<String>,
    /// The credit left to spend.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "amount_number"
    )]
    pub available_credit: Option<Amount>,
    /// Whether purchases beyond the available credit are blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_purchases: Option<bool>,
    /// On credit hold: no buyer of the company may purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_hold: Option<bool>,
}

/// The spec declares `availableCredit` a number.
fn amount_number<S: serde::Serializer>(a: &Option<Amount>, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Some(a) => a.to_json_number().serialize(s),
        None => s.serialize_none(),
    }
}

/// The payment, terms and credit calls of one store.
#[derive(Debug, Clone)]
pub struct Terms<'a> {
    client: &'a BcClient,
}

impl BcClient {
    /// B2B Edition payment methods, payment terms and credit of this store's companies.
    pub fn terms(&self) -> Terms<'_> {
        Terms { client: self }
    }
}

impl Terms<'_> {
    fn request(&self, method: Method, path: String) -> ApiRequest {
        ApiRequest::new(Api::B2b, method, path)
    }

    /// The store's payment methods (`GET /payments`).
    pub async fn store_methods(&self) -> Result<Vec<StorePaymentMethod>, BcError> {
        data(self.client, self.request(Method::GET, "/payments".into())).await
    }

    /// Every store payment method as company `company_id` has it; `None` when the company
    /// does not exist.
    pub async fn company_methods(
        &self,
        company_id: i64,
    ) -> Result<Option<Vec<CompanyPaymentMethod>>, BcError> {
        let path = format!("/companies/{company_id}/payments");
        get_found(self.client, path).await
    }

    /// Enables or disables the named methods for the company (the others stay as they are).
    pub async fn set_company_methods(
        &self,
        company_id: i64,
        settings: &[PaymentMethodSetting],
    ) -> Result<(), BcError> {
        let path = format!("/companies/{company_id}/payments");
        let body = PaymentMethodSettings { payments: settings };
        put(self.client, path, &body).await
    }

    /// The company's payment terms.
    pub async fn payment_terms(&self, company_id: i64) -> Result<PaymentTerms, BcError> {
        let path = format!("/companies/{company_id}/payment-terms");
        data(self.client, self.request(Method::GET, path)).await
    }

    /// Sets the company's payment terms.
    pub async fn set_payment_terms(
        &self,
        company_id: i64,
        terms: PaymentTerms,
    ) -> Result<(), BcError> {
        let path = format!("/companies/{company_id}/payment-terms");
        put(self.client, path, &terms).await
    }

    /// The company's credit (400 when the store's credit feature is off).
    pub async fn credit(&self, company_id: i64) -> Result<CompanyCredit, BcError> {
        let path = format!("/companies/{company_id}/credit");
        data(self.client, self.request(Method::GET, path)).await
    }

    /// Changes the fields of the company's credit that `change` gives.
    pub async fn set_credit(&self, company_id: i64, change: &CompanyCredit) -> Result<(), BcError> {
        let path = format!("/companies/{company_id}/credit");
        put(self.client, path, change).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_credit_change_sends_only_its_fields_and_the_amount_as_a_number() {
        let change = CompanyCredit {
            available_credit: Some(Amount::parse("1200.50").unwrap()),
            credit_hold: Some(false),
            ..CompanyCredit::default()
        };
        assert_eq!(
            serde_json::to_value(&change).unwrap(),
            json!({"availableCredit": 1200.5, "creditHold": false})
        );
    }

    #[test]
    fn credit_decodes_with_its_amount_exact() {
        let c: CompanyCredit = serde_json::from_value(json!({
            "creditEnabled": true, "creditCurrency": "USD", "availableCredit": 123.45,
            "limitPurchases": false, "creditHold": true}))
        .unwrap();
        assert_eq!(c.available_credit, Some(Amount::parse("123.45").unwrap()));
        assert_eq!(c.credit_hold, Some(true));
    }
}
