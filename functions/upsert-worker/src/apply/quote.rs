//! `quote.upsert`: find a quote by the id map or its reference number, create it from the
//! command's lines, or move its status. The quote's id is the one it was found or created by,
//! never read back from the detail answer (which carries none); its status is compared as the
//! list entry's lenient integer (B2B sends `"status":"2"` as often as `2`).

use b2b_shared::messages::QuoteData;
use bigcommerce_b2b::b2b::{
    Company, Quote, QuoteContact, QuoteCurrency, QuoteFields, QuoteFilter, QuoteLineFields,
    QuoteUpdate, User, UserFilter,
};
use futures_util::TryStreamExt;
use serde_json::Value;

use super::{id_key, Applier, ApplyError, Kind, Outcome};

/// How far our clock and BigCommerce's may disagree when a quote just created is looked for.
const CLOCK_SKEW_SECS: i64 = 300;

/// The id-map entry holding a quote's creation time (unix seconds) beside its id.
fn created_key(key: &str) -> String {
    format!("{key}#created")
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Applier {
    pub(super) async fn quote_upsert(
        &self,
        store: &str,
        external_id: &str,
        company: &Company,
        q: &QuoteData,
    ) -> Result<Outcome, ApplyError> {
        let key = id_key(store, Kind::Quote, external_id);
        if let Some(current) = self.find_quote(&key, external_id).await? {
            return self.quote_status(&current, q).await;
        }
        if q.lines.is_empty() {
            return Err(ApplyError::retry(format!("quote `{external_id}` does not exist yet and the command has no lines to create it")));
        }
        let buyer = self.quote_buyer(company, &q.buyer_email).await?;
        let fields = Self::quote_fields(external_id, company, &buyer, q)?;
        let asked_at = now_secs();
        let id = self.client.b2b().create_quote(&fields).await?;
        self.state.put_id(&key, id).await?;
        // The creation time is what finds the quote again in one narrow page; read it from
        // BigCommerce (never guessed from our clock). Without it, the next lookup lists.
        let since = asked_at - CLOCK_SKEW_SECS;
        if let Some(created) = self.client.b2b().find_quote(id, since).await? {
            self.remember_quote(&key, &created).await?;
        }
        Ok(Outcome::Created)
    }

    /// The list entry of the quote `external_id` names: by the id map (id and creation time,
    /// one narrow page), else among all quotes by its reference number (the mapping then
    /// recorded).
    async fn find_quote(&self, key: &str, external_id: &str) -> Result<Option<Quote>, ApplyError> {
        let b2b = self.client.b2b();
        let id = self.state.get_id(key).await?;
        let created = self.state.get_id(&created_key(key)).await?;
        if let (Some(id), Some(created)) = (id, created) {
            if let Some(found) = b2b.quote_created_at(id, created).await? {
                return Ok(Some(found));
            }
        }
        let quotes: Vec<Quote> = b2b.quotes(&QuoteFilter::default()).try_collect().await?;
        let found = quotes
            .into_iter()
            .find(|x| x.extra.get("referenceNumber").and_then(Value::as_str) == Some(external_id));
        if let Some(found) = &found {
            self.state.put_id(key, found.quote_id).await?;
            self.remember_quote(key, found).await?;
        }
        Ok(found)
    }

    /// Records the creation time of a quote found or created (when its entry gives one).
    async fn remember_quote(&self, key: &str, listed: &Quote) -> Result<(), ApplyError> {
        if let Some(created) = listed.created_at {
            self.state.put_id(&created_key(key), created).await?;
        }
        Ok(())
    }

    /// Moves the quote to the command's status, when it names one the quote does not have.
    async fn quote_status(&self, current: &Quote, q: &QuoteData) -> Result<Outcome, ApplyError> {
        let Some(status) = q.status else {
            return Ok(Outcome::Unchanged);
        };
        if current.status == Some(status.code()) {
            return Ok(Outcome::Unchanged);
        }
        let update = QuoteUpdate {
            status: Some(status.code()),
        };
        self.client
            .b2b()
            .update_quote(current.quote_id, &update)
            .await?;
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
