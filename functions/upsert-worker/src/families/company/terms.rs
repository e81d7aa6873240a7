//! A `company.upsert`'s commercial terms from the ERP's customer master: payment on terms (net
//! days), the store payment methods the company may use, and its credit (available amount,
//! hold, purchases limited to it).
//!
//! Each is read, compared and written only where it differs, with absolute `PUT`s: a retry, a
//! replay or a process killed between two of them converges on the same state. What the store
//! cannot take (a payment method it lacks, credit with the store's credit feature off) is a
//! permanent dead letter naming the field.

use b2b_commands::{CompanyData, CreditData, PaymentTermsData};
use bigcommerce_b2b::money::Amount;
use bigcommerce_b2b::terms::{CompanyCredit, PaymentMethodSetting, PaymentTerms};
use bigcommerce_b2b::BcError;

use crate::engine::context::Context;
use crate::engine::outcome::{ApplyError, Outcome};
use crate::lookups::companies;

/// Brings company `external_id`'s terms, payment methods and credit to what `data` says
/// (each left alone when absent); `upserted` is what the upsert did, returned as `Updated`
/// when only the terms changed.
pub(crate) async fn sync_terms(
    cx: &Context,
    store: &str,
    external_id: &str,
    data: &CompanyData,
    upserted: Outcome,
) -> Result<Outcome, ApplyError> {
    if data.payment_terms.is_none() && data.payment_methods.is_none() && data.credit.is_none() {
        return Ok(upserted);
    }
    let company = companies::require_id(cx, store, external_id).await?;
    let mut changed = false;
    if let Some(terms) = data.payment_terms {
        changed |= sync_payment_terms(cx, company, terms).await?;
    }
    if let Some(codes) = &data.payment_methods {
        changed |= sync_payment_methods(cx, company, codes).await?;
    }
    if let Some(credit) = &data.credit {
        changed |= sync_credit(cx, company, credit).await?;
    }
    Ok(match upserted {
        Outcome::Unchanged | Outcome::Replayed if changed => Outcome::Updated,
        other => other,
    })
}

async fn sync_payment_terms(
    cx: &Context,
    company: i64,
    wanted: PaymentTermsData,
) -> Result<bool, ApplyError> {
    let api = cx.client.terms();
    let now = api.payment_terms(company).await?;
    let want = PaymentTerms {
        is_enabled: wanted.enabled,
        payment_terms: wanted.net_days,
    };
    // Off, the days are the store's default: only whether terms are on matters.
    let same = now.is_enabled == want.is_enabled
        && (!want.is_enabled || now.payment_terms == want.payment_terms);
    if same {
        return Ok(false);
    }
    api.set_payment_terms(company, want)
        .await
        .map_err(|e| named("company.payment_terms", e))?;
    Ok(true)
}

async fn sync_payment_methods(
    cx: &Context,
    company: i64,
    codes: &[String],
) -> Result<bool, ApplyError> {
    let api = cx.client.terms();
    let methods = api
        .company_methods(company)
        .await?
        .ok_or_else(|| ApplyError::retry(format!("company {company} vanished")))?;
    let unknown: Vec<&str> = codes
        .iter()
        .filter(|c| !methods.iter().any(|m| m.code == **c))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let offered: Vec<&str> = methods.iter().map(|m| m.code.as_str()).collect();
        return Err(ApplyError::Permanent(format!(
            "`company.payment_methods`: the store has no payment method `{}` (it offers: {})",
            unknown.join("`, `"),
            offered.join(", ")
        )));
    }
    let changes: Vec<PaymentMethodSetting> = methods
        .iter()
        .filter_map(|m| {
            let enabled = codes.contains(&m.code);
            (m.is_enabled != enabled).then(|| PaymentMethodSetting {
                code: m.code.clone(),
                is_enabled: enabled,
            })
        })
        .collect();
    if changes.is_empty() {
        return Ok(false);
    }
    api.set_company_methods(company, &changes)
        .await
        .map_err(|e| named("company.payment_methods", e))?;
    Ok(true)
}

async fn sync_credit(cx: &Context, company: i64, wanted: &CreditData) -> Result<bool, ApplyError> {
    let api = cx.client.terms();
    let now = api
        .credit(company)
        .await
        .map_err(|e| named("company.credit", e))?;
    let change = credit_change(&now, wanted)?;
    if change == CompanyCredit::default() {
        return Ok(false);
    }
    api.set_credit(company, &change)
        .await
        .map_err(|e| named("company.credit", e))?;
    Ok(true)
}

/// The fields of `now` that differ from what the ERP says (empty: nothing to write).
fn credit_change(now: &CompanyCredit, wanted: &CreditData) -> Result<CompanyCredit, ApplyError> {
    let available = wanted
        .limit
        .checked_sub(wanted.balance)
        .ok_or_else(|| {
            ApplyError::Permanent("`company.credit`: limit less balance overflows".into())
        })?
        .max(Amount::ZERO);
    let differs = |a: Option<bool>, b: bool| (a != Some(b)).then_some(b);
    Ok(CompanyCredit {
        credit_enabled: differs(now.credit_enabled, true),
        credit_currency: (now.credit_currency.as_deref() != Some(wanted.currency.as_str()))
            .then(|| wanted.currency.clone()),
        available_credit: (now.available_credit != Some(available)).then_some(available),
        limit_purchases: differs(now.limit_purchases, wanted.limit_purchases),
        credit_hold: differs(now.credit_hold, wanted.on_hold),
    })
}

/// A refusal of the store's, permanent and naming the command's field; anything else as usual.
fn named(field: &str, e: BcError) -> ApplyError {
    match e {
        BcError::Rejected { status, body, .. } => ApplyError::Permanent(format!(
            "`{field}`: BigCommerce refused it ({status}): {body}"
        )),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credit(limit: &str, balance: &str) -> CreditData {
        CreditData {
            currency: "USD".into(),
            limit: Amount::parse(limit).unwrap(),
            balance: Amount::parse(balance).unwrap(),
            on_hold: false,
            limit_purchases: true,
        }
    }

    #[test]
    fn only_what_differs_is_sent() {
        let now = CompanyCredit {
            credit_enabled: Some(true),
            credit_currency: Some("USD".into()),
            available_credit: Some(Amount::parse("100").unwrap()),
            limit_purchases: Some(true),
            credit_hold: Some(false),
        };
        assert_eq!(
            credit_change(&now, &credit("500", "400")).unwrap(),
            CompanyCredit::default()
        );
        let change = credit_change(&now, &credit("500", "250")).unwrap();
        assert_eq!(
            change,
            CompanyCredit {
                available_credit: Some(Amount::parse("250").unwrap()),
                ..CompanyCredit::default()
            }
        );
    }

    #[test]
    fn an_account_over_its_limit_has_no_credit_left_not_a_negative_amount() {
        let change = credit_change(&CompanyCredit::default(), &credit("500", "650")).unwrap();
        assert_eq!(change.available_credit, Some(Amount::ZERO));
        assert_eq!(change.credit_enabled, Some(true));
        assert_eq!(change.credit_currency.as_deref(), Some("USD"));
    }
}
