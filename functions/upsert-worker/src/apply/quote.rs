//! `quote.upsert`: find a quote by the id map or its reference number, create it from the
//! command's lines, or move its status. The quote's id is the one it was found or created by,
//! never read back from the detail answer (which carries none).

use b2b_shared::messages::QuoteData;
use bigcommerce_b2b::b2b::{
    Company, QuoteContact, QuoteCurrency, QuoteFields, QuoteLineFields, QuoteUpdate, User,
    UserFilter,
};
use futures_util::TryStreamExt;
use serde_json::Value;

use super::{id_key, Applier, ApplyError, Kind, Outcome};

impl Applier {
    pub(super) async fn quote_upsert(
        &self,
        store: &str,
        external_id: &str,
        company: &Company,
        q: &QuoteData,
    ) -> Result<Outcome, ApplyError> {
        let key = id_key(store, Kind::Quote, external_id);
        if let Some((id, current)) = self.find_quote(&key, external_id).await? {
            return self.quote_status(id, &current, q).await;
        }
        if q.lines.is_empty() {
            return Err(ApplyError::retry(format!("quote `{external_id}` does not exist yet and the command has no lines to create it")));
        }
        let buyer = self.quote_buyer(company, &q.buyer_email).await?;
        let fields = Self::quote_fields(external_id, company, &buyer, q)?;
        let id = self.client.b2b().create_quote(&fields).await?;
        self.state.put_id(&key, id).await?;
        Ok(Outcome::Created)
    }

    /// The quote `external_id` names, with the id it was found by: the id map first, else the
    /// quote list searched for the reference number (the mapping then recorded).
    async fn find_quote(
        &self,
        key: &str,
        external_id: &str,
    ) -> Result<Option<(i64, Value)>, ApplyError> {
        if let Some(id) = self.state.get_id(key).await? {
            if let Some(found) = self.client.b2b().quote(id).await? {
                return Ok(Some((id, found)));
            }
        }
        let quotes: Vec<_> = self
            .client
            .b2b()
            .quotes(&Default::default())
            .try_collect()
            .await?;
        let Some(found) = quotes
            .iter()
            .find(|x| x.extra.get("referenceNumber").and_then(Value::as_str) == Some(external_id))
        else {
            return Ok(None);
        };
        self.state.put_id(key, found.quote_id).await?;
        let id = found.quote_id;
        Ok(self.client.b2b().quote(id).await?.map(|v| (id, v)))
    }

    /// Moves quote `id` to the command's status, when it names one the quote does not have.
    async fn quote_status(
        &self,
        id: i64,
        current: &Value,
        q: &QuoteData,
    ) -> Result<Outcome, ApplyError> {
        let Some(status) = q.status else {
            return Ok(Outcome::Unchanged);
        };
        if current.get("status").and_then(Value::as_i64) == Some(status.code()) {
            return Ok(Outcome::Unchanged);
        }
        let update = QuoteUpdate {
            status: Some(status.code()),
        };
        self.client.b2b().update_quote(id, &update).await?;
        Ok(Outcome::Updated)
    }

    /// The buyer of `company` with `email` (retried later while it does not exist).
    async fn quote_buyer(&self, company: &Company, email: &str) -> Result<User, ApplyError> {
        let filter = UserFilter {
            email: Some(email.to_owned()),
            company_id: Some(company.company_id),
            ..UserFilter::default()
        };
        let buyers: Vec<_> = self.client.b2b().users(&filter).try_collect().await?;
        buyers
            .into_iter()
            .find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .ok_or_else(|| {
                ApplyError::retry(format!(
                    "buyer `{email}` does not exist yet in company `{}`; retrying later",
                    company.company_id
                ))
            })
    }

    /// The create request for the quote the command describes.
    fn quote_fields(
        external_id: &str,
        company: &Company,
        buyer: &User,
        q: &QuoteData,
    ) -> Result<QuoteFields, ApplyError> {
        let expires =
            chrono::NaiveDate::parse_from_str(&q.expires_on, "%Y-%m-%d").map_err(|_| {
                ApplyError::Permanent(format!("`expires_on` `{}` is not a date", q.expires_on))
            })?;
        let per_line = |price: fn(&b2b_shared::messages::QuoteLine) -> f64| -> f64 {
            q.lines.iter().map(|l| price(l) * l.quantity as f64).sum()
        };
        let subtotal = per_line(|l| l.base_price);
        let total = per_line(|l| l.offered_price);
        let product_list = q
            .lines
            .iter()
            .map(|l| QuoteLineFields {
                sku: l.sku.clone(),
                product_id: l.product_id,
                variant_id: l.variant_id,
                base_price: l.base_price,
                offered_price: l.offered_price,
                discount: l.base_price - l.offered_price,
                quantity: l.quantity,
            })
            .collect();
        let name = format!(
            "{} {}",
            buyer.first_name.clone().unwrap_or_default(),
            buyer.last_name.clone().unwrap_or_default()
        );
        Ok(QuoteFields {
            company_id: company.company_id,
            reference_number: external_id.to_owned(),
            quote_title: q.title.clone().unwrap_or_default(),
            notes: q.notes.clone().unwrap_or_default(),
            expired_at: expires.format("%m/%d/%Y").to_string(),
            currency: QuoteCurrency {
                currency_code: q.currency.to_ascii_uppercase(),
            },
            contact_info: QuoteContact {
                name: name.trim().to_owned(),
                email: q.buyer_email.clone(),
            },
            subtotal,
            discount: subtotal - total,
            grand_total: total,
            total_amount: total,
            product_list,
            status: q.status.map(|s| s.code()).unwrap_or(0),
        })
    }
}
