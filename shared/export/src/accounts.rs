//! The account part of a company document (`COMPANY_ACCOUNT_DETAILS`): what the portal holds
//! about the account beside the company itself, so the ERP sees what changed there: its
//! parent, payment terms, enabled payment methods, credit and sales reps. Four reads per
//! company document, hence opt-in.

use bigcommerce_b2b::b2b::Company;
use bigcommerce_b2b::{BcClient, BcError};
use serde_json::{json, Value};

/// `{parent_company_id, payment_terms, payment_methods, credit, sales_reps}` of `company`;
/// `credit` is `null` when the store's company credit feature is off (its 400).
pub async fn account_data(client: &BcClient, company: &Company) -> Result<Value, BcError> {
    let id = company.company_id;
    let (terms, staff) = (client.terms(), client.staff());
    // Four independent reads: at once, each paced by the client like any other.
    let (payment_terms, methods, credit, reps) = tokio::try_join!(
        terms.payment_terms(id),
        terms.company_methods(id),
        async {
            match terms.credit(id).await {
                Ok(c) => Ok(Some(c)),
                Err(BcError::Rejected { status: 400, .. }) => Ok(None),
                Err(e) => Err(e),
            }
        },
        staff.sales_staff_of_company(id),
    )?;
    let methods: Vec<String> = methods
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.is_enabled)
        .map(|m| m.code)
        .collect();
    let credit = credit.map_or(Value::Null, |c| {
        json!({
            "enabled": c.credit_enabled, "currency": c.credit_currency,
            "available": c.available_credit, "on_hold": c.credit_hold,
            "limit_purchases": c.limit_purchases,
        })
    });
    let reps: Vec<Value> = reps
        .into_iter()
        .map(|s| json!({"id": s.id, "email": s.email, "name": s.sales_rep_name}))
        .collect();
    Ok(json!({
        "parent_company_id": company.parent_id(),
        "payment_terms": {"enabled": payment_terms.is_enabled, "net_days": payment_terms.payment_terms},
        "payment_methods": methods,
        "credit": credit,
        "sales_reps": reps,
    }))
}
