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
    let terms = client.terms();
    let payment_terms = terms.payment_terms(id).await?;
    let methods: Vec<String> = terms
        .company_methods(id)
        .await?
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.is_enabled)
        .map(|m| m.code)
        .collect();
    let credit = match terms.credit(id).await {
        Ok(c) => json!({
            "enabled": c.credit_enabled, "currency": c.credit_currency,
            "available": c.available_credit, "on_hold": c.credit_hold,
            "limit_purchases": c.limit_purchases,
        }),
        Err(BcError::Rejected { status: 400, .. }) => Value::Null,
        Err(e) => return Err(e),
    };
    let reps: Vec<Value> = client
        .staff()
        .sales_staff_of_company(id)
        .await?
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
