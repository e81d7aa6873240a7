//! What the toolkit does for a shopper's storefront session: the Customer Login API
//! ([`customer_login_url`]: a short-lived HS256 JWT signed with the app's client secret, opened
//! at `/login/token/{jwt}`, `reference/customer_login.yml`) and the management API's carts
//! ([`Cart`], `GET /v3/carts/{cartId}`, `reference/carts.v3.yml`).
//!
//! A login token is valid for 30 seconds after its `iat` and for one visit only: make it when
//! the shopper's browser is about to open it, never in advance.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::client::ApiRequest;
use super::core::{Core, Data};
use super::error::{Api, BcError};
use super::lenient;
use super::money::Amount;

/// The claims of a customer login token (`customerLoginSSO` in `customer_login.yml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginClaims {
    /// The app's client id.
    pub iss: String,
    /// When the token was made (unix seconds); BigCommerce takes it for 30 seconds.
    pub iat: i64,
    /// A value unique to this token.
    pub jti: String,
    /// Always `customer_login`.
    pub operation: String,
    /// The store.
    pub store_hash: String,
    /// The customer signed in.
    pub customer_id: i64,
    /// The storefront channel (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    /// The relative path the shopper lands on (BigCommerce's default: `/account.php`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_to: Option<String>,
}

impl LoginClaims {
    /// The claims signing `customer_id` in to `store_hash` for the app `client_id`, made at
    /// `now` with the unique `jti`.
    pub fn new(client_id: &str, store_hash: &str, customer_id: i64, now: i64, jti: &str) -> Self {
        LoginClaims {
            iss: client_id.to_owned(),
            iat: now,
            jti: jti.to_owned(),
            operation: "customer_login".to_owned(),
            store_hash: store_hash.to_owned(),
            customer_id,
            channel_id: None,
            redirect_to: None,
        }
    }
}

/// A login URL could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The storefront URL is not an absolute http(s) URL.
    #[error("the storefront URL must be an absolute https:// URL")]
    StorefrontUrl,
    /// `redirect_to` is not a path on the storefront (it must start with one `/`).
    #[error("redirect_to must be a path on the storefront, starting with one `/`")]
    RedirectTo,
    /// The token could not be signed.
    #[error("the login token could not be signed: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
}

/// `{storefront}/login/token/{jwt}`: opening it signs the customer of `claims` in to the
/// storefront (`storefront` like `https://store.example.com`, without a path).
pub fn customer_login_url(
    storefront: &str,
    claims: &LoginClaims,
    client_secret: &SecretString,
) -> Result<String, LoginError> {
    let base = url::Url::parse(storefront).map_err(|_| LoginError::StorefrontUrl)?;
    if !matches!(base.scheme(), "https" | "http") || base.host_str().is_none() {
        return Err(LoginError::StorefrontUrl);
    }
    if let Some(path) = &claims.redirect_to {
        if !path.starts_with('/') || path.starts_with("//") {
            return Err(LoginError::RedirectTo);
        }
    }
    let key = EncodingKey::from_secret(client_secret.expose_secret().as_bytes());
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)?;
    Ok(format!(
        "{}/login/token/{token}",
        storefront.trim_end_matches('/')
    ))
}

/// A cart (`Cart_Full`), with what a punch-out needs of it.
#[derive(Debug, Clone, Deserialize)]
pub struct Cart {
    /// The cart's id (a UUID).
    pub id: String,
    /// The customer it belongs to (0: a guest).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub customer_id: Option<i64>,
    /// The storefront channel.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub channel_id: Option<i64>,
    /// The cart's currency.
    #[serde(default)]
    pub currency: Option<CartCurrency>,
    /// Whether its prices include tax.
    #[serde(default)]
    pub tax_included: Option<bool>,
    /// Its lines.
    #[serde(default)]
    pub line_items: CartLines,
}

/// A cart's currency.
#[derive(Debug, Clone, Deserialize)]
pub struct CartCurrency {
    /// ISO 4217 code.
    pub code: String,
}

/// A cart's lines by kind (`LineItemsGet`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CartLines {
    /// Physical products.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub physical_items: Vec<CartLine>,
    /// Digital products.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub digital_items: Vec<CartLine>,
    /// Items not in the catalog, added by an app.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub custom_items: Vec<CartLine>,
    /// Gift certificates (no SKU: never part of a purchase order).
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub gift_certificates: Vec<serde_json::Value>,
}

impl CartLines {
    /// Every line with a product: physical, digital and custom.
    pub fn products(&self) -> impl Iterator<Item = &CartLine> {
        self.physical_items
            .iter()
            .chain(&self.digital_items)
            .chain(&self.custom_items)
    }
}

/// One line of a cart.
#[derive(Debug, Clone, Deserialize)]
pub struct CartLine {
    /// The line's id.
    pub id: String,
    /// The variant's SKU.
    #[serde(default)]
    pub sku: Option<String>,
    /// The product's name.
    #[serde(default)]
    pub name: Option<String>,
    /// How many: a number (custom items: a string, as `ItemCustomGet` declares it).
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub quantity: Option<f64>,
    /// The product.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub product_id: Option<i64>,
    /// The variant.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub variant_id: Option<i64>,
    /// The price per unit before discounts.
    #[serde(default)]
    pub list_price: Option<Amount>,
    /// The price per unit the shopper pays (after product discounts).
    #[serde(default)]
    pub sale_price: Option<Amount>,
}

impl CartLine {
    /// What one unit costs the shopper: the sale price, else the list price.
    pub fn unit_price(&self) -> Option<Amount> {
        self.sale_price.or(self.list_price)
    }
}

impl Core<'_> {
    /// `GET /v3/carts/{cartId}`; `None` when there is no such cart (or it was converted to
    /// an order).
    pub async fn cart(&self, cart_id: &str) -> Result<Option<Cart>, BcError> {
        let id: String = url::form_urlencoded::byte_serialize(cart_id.as_bytes()).collect();
        let req = ApiRequest::get(Api::Core, format!("/v3/carts/{id}"));
        match self.client().send::<Data<Cart>>(req).await {
            Ok(d) => Ok(Some(d.data)),
            Err(BcError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, DecodingKey, Validation};

    #[test]
    fn the_login_url_carries_a_token_signed_with_the_client_secret() {
        let secret = SecretString::from("app-secret");
        let mut claims = LoginClaims::new("client-1", "abc123", 42, 1_700_000_000, "jti-1");
        claims.redirect_to = Some("/cart.php".into());
        let url = customer_login_url("https://shop.example/", &claims, &secret).unwrap();
        let token = url
            .strip_prefix("https://shop.example/login/token/")
            .unwrap();
        let mut v = Validation::new(Algorithm::HS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let read = decode::<LoginClaims>(token, &DecodingKey::from_secret(b"app-secret"), &v)
            .unwrap()
            .claims;
        assert_eq!(read, claims);
        assert!(decode::<LoginClaims>(token, &DecodingKey::from_secret(b"other"), &v).is_err());
        let raw: serde_json::Value =
            decode::<serde_json::Value>(token, &DecodingKey::from_secret(b"app-secret"), &v)
                .unwrap()
                .claims;
        assert_eq!(raw["operation"], "customer_login");
        assert!(raw.get("channel_id").is_none(), "{raw}");
    }

    #[test]
    fn a_bad_storefront_or_landing_page_is_refused() {
        let secret = SecretString::from("s");
        let mut claims = LoginClaims::new("c", "abc", 1, 0, "j");
        for bad in ["shop.example", "ftp://shop.example", "/relative"] {
            assert!(matches!(
                customer_login_url(bad, &claims, &secret),
                Err(LoginError::StorefrontUrl)
            ));
        }
        for bad in ["https://evil.example/", "//evil.example", "cart.php"] {
            claims.redirect_to = Some(bad.into());
            assert!(matches!(
                customer_login_url("https://shop.example", &claims, &secret),
                Err(LoginError::RedirectTo)
            ));
        }
    }

    #[test]
    fn a_cart_decodes_with_its_lines_and_prices() {
        let cart: Cart = serde_json::from_value(serde_json::json!({
            "id": "4a6d1e0b-0d5f-4bd6-8e5e-8e5d3f0c7a11", "customer_id": 7, "channel_id": 1,
            "currency": {"code": "USD"}, "tax_included": false, "base_amount": 50,
            "line_items": {"physical_items": [{"id": "l1", "variant_id": 3, "product_id": 2,
                "sku": "SKU-002-1", "name": "Widget", "quantity": 2, "list_price": 25,
                "sale_price": 22.5}], "digital_items": [], "gift_certificates": [],
                "custom_items": [{"id": "c1", "sku": "CUSTOM", "name": "Setup", "quantity": "1",
                "list_price": "10"}]}
        }))
        .unwrap();
        let lines: Vec<&CartLine> = cart.line_items.products().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].unit_price(), Some(Amount::parse("22.5").unwrap()));
        assert_eq!(lines[1].unit_price(), Some(Amount::parse("10").unwrap()));
        assert_eq!(cart.customer_id, Some(7));
        assert_eq!(lines[1].quantity, Some(1.0));
    }
}
