//! Lists every B2B company of a store with its buyers.
//!
//! ```sh
//! BC_STORE_HASH=abc123 BC_ACCESS_TOKEN=... cargo run -p bigcommerce-b2b --example list_companies
//! ```
//!
//! Every page of `GET /companies` and `GET /users?companyId=` is followed; the client paces itself
//! by the B2B rate-limit headers, so a large store takes as long as its quota allows, not longer.

mod support;

use bigcommerce_b2b::b2b::{CompanyFilter, UserFilter};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = support::client_from_env()?;
    let companies: Vec<_> = client
        .b2b()
        .companies(&CompanyFilter::default())
        .try_collect()
        .await?;
    let mut buyers_total = 0;
    for company in &companies {
        let name = company.company_name.as_deref().unwrap_or("(no name)");
        println!("company {} {name}", company.company_id);
        let filter = UserFilter {
            company_id: Some(company.company_id),
            ..UserFilter::default()
        };
        let buyers: Vec<_> = client.b2b().users(&filter).try_collect().await?;
        for buyer in &buyers {
            println!(
                "  buyer {} {} {} <{}>",
                buyer.id,
                buyer.first_name.as_deref().unwrap_or(""),
                buyer.last_name.as_deref().unwrap_or(""),
                buyer.email.as_deref().unwrap_or("")
            );
        }
        buyers_total += buyers.len();
    }
    let stats = client.stats();
    println!(
        "{} companies, {buyers_total} buyers, {} requests ({} rate-limited)",
        companies.len(),
        stats.requests,
        stats.rate_limited
    );
    Ok(())
}
