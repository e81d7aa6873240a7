//! Upserts price records into a price list from a JSON file.
//!
//! ```sh
//! BC_STORE_HASH=abc123 BC_ACCESS_TOKEN=... \
//!   cargo run -p bigcommerce-b2b --example upsert_price_list -- 3 prices.json
//! ```
//!
//! `prices.json` is an array of records as BigCommerce takes them:
//! `[{"sku":"BOLT-M8","currency":"usd","price":0.42},{"variant_id":101,"currency":"usd","price":1.1}]`.
//! Any number of records goes in batches of 1,000, at most two in flight (BigCommerce's limit per
//! store); records BigCommerce refuses (a 207 answer) are printed with their reasons.

mod support;

use bigcommerce_b2b::core::PriceRecord;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(list), Some(file)) = (args.next(), args.next()) else {
        return Err("usage: upsert_price_list <price_list_id> <records.json>".into());
    };
    let price_list_id: i64 = list
        .parse()
        .map_err(|e| format!("price list id `{list}`: {e}"))?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
    let records: Vec<PriceRecord> =
        serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;

    let client = support::client_from_env()?;
    let Some(price_list) = client.core().price_list(price_list_id).await? else {
        return Err(format!("price list {price_list_id} does not exist in this store").into());
    };
    let report = client
        .core()
        .upsert_price_records(price_list_id, &records)
        .await?;
    println!(
        "price list {} {}: {} records in {} batches, {} rejected",
        price_list.id,
        price_list.name.as_deref().unwrap_or(""),
        report.records,
        report.batches,
        report.rejected.len()
    );
    for rejected in &report.rejected {
        println!("  rejected {}: {:?}", rejected.data, rejected.field_errors);
    }
    Ok(())
}
