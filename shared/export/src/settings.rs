//! How an export runs: the streams, the overlap, the first run's start, page sizes, and how
//! invoice-payment orders are treated, read through a lookup of environment variables.

use std::time::Duration;

use b2b_shared::env::{ConfigProblem, Env, Words};

use serde::Deserialize;

/// The things exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamKind {
    /// Core v2 orders with products, shipping addresses and their B2B order.
    Orders,
    /// B2B quotes (`/rfq`).
    Quotes,
    /// B2B companies with their buyers.
    Companies,
    /// Invoice Portal payments (online and offline) with the invoices they pay.
    Payments,
    /// Invoice Portal receipts with their lines.
    Receipts,
    /// B2B shopping lists with their items (a walk of every company: opt-in).
    #[serde(rename = "shoppinglists")]
    ShoppingLists,
}

impl StreamKind {
    /// Every stream, in the order they are exported.
    pub const ALL: [StreamKind; 6] = [
        StreamKind::Orders,
        StreamKind::Quotes,
        StreamKind::Companies,
        StreamKind::Payments,
        StreamKind::Receipts,
        StreamKind::ShoppingLists,
    ];

    /// The stream's name for people (status pages).
    pub fn title(self) -> &'static str {
        match self {
            StreamKind::Orders => "Orders export",
            StreamKind::Quotes => "Quotes export",
            StreamKind::Companies => "Companies export",
            StreamKind::Payments => "Payments export",
            StreamKind::Receipts => "Receipts export",
            StreamKind::ShoppingLists => "Shopping lists export",
        }
    }

    /// The stream's name in watermark keys, documents and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Orders => "orders",
            StreamKind::Quotes => "quotes",
            StreamKind::Companies => "companies",
            StreamKind::Payments => "payments",
            StreamKind::Receipts => "receipts",
            StreamKind::ShoppingLists => "shoppinglists",
        }
    }

    /// Whether the stream's list filters by modification time (read oldest first, page by
    /// page); the Invoice Portal's lists do not, and are read newest first down to the position
    /// in one go (see `bigcommerce_b2b::receivables`).
    pub fn filters_by_time(self) -> bool {
        !matches!(
            self,
            StreamKind::Payments | StreamKind::Receipts | StreamKind::ShoppingLists
        )
    }

    fn parse(name: &str) -> Option<StreamKind> {
        StreamKind::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// What to do with invoice-portal payment orders (order metafield `orderType = invoice payment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoicePayments {
    /// Export them with `invoice_payment: true`.
    Flag,
    /// Leave them out.
    Skip,
}

/// How an export runs.
#[derive(Debug, Clone)]
pub struct ExportSettings {
    /// `EXPORT_STREAMS`: comma-separated (default `orders,quotes,companies`; `payments` and
    /// `receipts` export the Invoice Portal's, for stores that use it).
    pub streams: Vec<StreamKind>,
    /// `EXPORT_OVERLAP_SECONDS`: re-read window at the start of a run (default 300).
    pub overlap: Duration,
    /// `EXPORT_START_DAYS`: how far back the first run starts (default 30).
    pub first_run_days: i64,
    /// `INVOICE_PAYMENT_ORDERS`: `flag` (default) or `skip`.
    pub invoice_payments: InvoicePayments,
    /// `EXPORT_PAGE_SIZE`: items per page (default 250 for orders; B2B pages are capped at 250).
    pub page_size: u32,
    /// Time kept back from the Lambda deadline to save positions (default 15 s).
    pub deadline_margin: Duration,
    /// Stop after this many pages per stream and run (tests, throttling); `None`: no limit.
    pub max_pages_per_run: Option<usize>,
    /// Documents built at once (default 4).
    pub concurrency: usize,
    /// `COMPANY_ACCOUNT_DETAILS`: `true` adds `account` (parent, terms, payment methods, credit,
    /// sales reps) to company documents, four reads each (default `false`).
    pub company_accounts: bool,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self {
            streams: vec![
                StreamKind::Orders,
                StreamKind::Quotes,
                StreamKind::Companies,
            ],
            overlap: Duration::from_secs(300),
            first_run_days: 30,
            invoice_payments: InvoicePayments::Flag,
            page_size: 250,
            deadline_margin: Duration::from_secs(15),
            max_pages_per_run: None,
            concurrency: 4,
            company_accounts: false,
        }
    }
}

/// The words of `INVOICE_PAYMENT_ORDERS`, as spelt.
const INVOICE_PAYMENT_WORDS: Words<InvoicePayments> = Words {
    words: &[
        ("flag", InvoicePayments::Flag),
        ("skip", InvoicePayments::Skip),
    ],
    expected: "flag or skip",
    any_case: false,
};

/// The words of `COMPANY_ACCOUNT_DETAILS`, as spelt.
const TRUE_OR_FALSE: Words<bool> = Words {
    words: &[("true", true), ("false", false)],
    expected: "true or false",
    any_case: false,
};

impl ExportSettings {
    /// Reads the settings through `lookup`, reporting every malformed value.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Vec<ConfigProblem>> {
        Env::read_with(lookup, |env| Some(Self::read(env))).map_err(Vec::from)
    }

    /// Reads the settings through `env`, each unset or malformed one (its problem recorded) at
    /// its default.
    pub fn read(env: &mut Env<'_>) -> Self {
        let d = Self::default();
        let streams = streams(env).unwrap_or(d.streams);
        let overlap = env.secs("EXPORT_OVERLAP_SECONDS", 0, 86_400);
        let first_run_days = env.bounded("EXPORT_START_DAYS", 0, 3_650);
        let page_size = env.bounded("EXPORT_PAGE_SIZE", 1, 250);
        let invoice_payments = env.choice("INVOICE_PAYMENT_ORDERS", &INVOICE_PAYMENT_WORDS);
        let company_accounts = env.choice("COMPANY_ACCOUNT_DETAILS", &TRUE_OR_FALSE);
        Self {
            streams,
            overlap: overlap.unwrap_or(d.overlap),
            first_run_days: first_run_days.unwrap_or(d.first_run_days),
            page_size: page_size.map_or(d.page_size, |n| n as u32),
            invoice_payments: invoice_payments.unwrap_or(d.invoice_payments),
            company_accounts: company_accounts.unwrap_or(d.company_accounts),
            ..d
        }
    }
}

/// `EXPORT_STREAMS`: the streams named (each unknown one is a problem, and so is naming none);
/// `None` when unset.
fn streams(env: &mut Env<'_>) -> Option<Vec<StreamKind>> {
    let mut streams = Vec::new();
    for part in env.list("EXPORT_STREAMS")? {
        match StreamKind::parse(&part) {
            Some(stream) => streams.push(stream),
            None => env.problem(
                "EXPORT_STREAMS",
                format!("`{part}` is not orders, quotes, companies, payments or receipts"),
            ),
        }
    }
    if streams.is_empty() {
        env.problem("EXPORT_STREAMS", "name at least one stream");
    }
    Some(streams)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_from_the_environment() {
        let env = |k: &str| match k {
            "EXPORT_STREAMS" => Some("orders, quotes".to_string()),
            "INVOICE_PAYMENT_ORDERS" => Some("skip".to_string()),
            _ => None,
        };
        let s = ExportSettings::from_lookup(env).unwrap();
        assert_eq!(s.streams, [StreamKind::Orders, StreamKind::Quotes]);
        assert_eq!(s.invoice_payments, InvoicePayments::Skip);
        let bad = |k: &str| match k {
            "EXPORT_STREAMS" => Some("orders,invoices".to_string()),
            "EXPORT_PAGE_SIZE" => Some("1000".to_string()),
            _ => None,
        };
        let err = ExportSettings::from_lookup(bad).unwrap_err();
        let vars: Vec<&str> = err.iter().map(|p| p.variable).collect();
        assert_eq!(vars, ["EXPORT_STREAMS", "EXPORT_PAGE_SIZE"]);
        assert!(err[0].reason.contains("`invoices`"), "{err:?}");
    }
}
