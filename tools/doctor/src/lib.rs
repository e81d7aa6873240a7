//! `doctor`: checks one BigCommerce store for real use by the toolkit, before a deployment
//! points at it, and prints a table with a fix for every failure.
//!
//! - Token scopes: one cheap read per API family the toolkit calls (orders, customers, price
//!   lists, webhooks, B2B Edition); a 403 names the scope to grant.
//! - B2B Edition: its API answers for this store.
//! - Per feature the deployment uses ([`Feature`]: the worker's command families by default,
//!   punch-out when set up), every scope it needs, modify scopes included, probed without
//!   writing ([`features`]); a missing one fails its feature with the scope to grant.
//! - Punch-out can read carts (`GET /v3/carts/{id}`; a warning without the scope when punch-out
//!   is not among the features, a failure of `feature: punch-out` when it is).
//! - The external-id extra field exists (`GET /companies/extra-fields`).
//! - Webhooks: registered (for `--webhook-destination`) and active; no destination domain blocked.
//! - The plan's rate-limit quota (from the answers' headers).
//! - With `--write-test`, a reversible write: a company named `toolkit-doctor-<uuid>` created,
//!   read back and deleted.

pub mod features;

pub use features::Feature;

use bigcommerce_b2b::b2b::{CompanyFields, ExtraField};
use bigcommerce_b2b::client::ApiRequest;
use bigcommerce_b2b::ratelimit::parse_rate_limit;
use bigcommerce_b2b::{Api, BcClient, BcError};
use futures_util::TryStreamExt;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Ready for use.
    Pass,
    /// Works, but worth a look.
    Warn,
    /// Not ready: the fix says what to do.
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was checked.
    pub check: String,
    /// How it came out.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (for warnings and failures).
    pub fix: Option<String>,
}

impl Finding {
    fn pass(check: &str, detail: impl Into<String>) -> Self {
        Self::new(check, Status::Pass, detail, None)
    }

    fn new(check: &str, status: Status, detail: impl Into<String>, fix: Option<String>) -> Self {
        Self {
            check: check.to_owned(),
            status,
            detail: detail.into(),
            fix,
        }
    }
}

/// What to check beyond the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The company extra field carrying the external id (the worker's `EXTERNAL_ID_FIELD`).
    pub external_id_field: String,
    /// webhook-intake's URL: hooks must deliver there.
    pub webhook_destination: Option<String>,
    /// Make the reversible write.
    pub write_test: bool,
    /// The features the deployment uses: each one's scopes are checked.
    pub features: Vec<Feature>,
}

/// One read per API family the toolkit calls, and the scope it needs.
const PROBES: [(&str, Api, &str, &str); 5] = [
    (
        "scope: orders",
        Api::Core,
        "/v2/orders",
        "Orders: read-only",
    ),
    (
        "scope: customers",
        Api::Core,
        "/v3/customers",
        "Customers: modify",
    ),
    (
        "scope: price lists",
        Api::Core,
        "/v3/pricelists",
        "Products: modify",
    ),
    (
        "scope: webhooks",
        Api::Core,
        "/v3/hooks",
        "Information & settings: read-only",
    ),
    ("B2B Edition", Api::B2b, "/companies", "B2B Edition: modify"),
];

/// Runs every check against the store `client` serves.
pub async fn diagnose(client: &BcClient, options: &Options) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (check, api, path, scope) in PROBES {
        findings.push(probe(client, check, api, path, scope).await);
    }
    if !options.features.contains(&Feature::PunchOut) {
        findings.push(carts(client).await);
    }
    findings.extend(features::check(client, &options.features).await);
    findings.push(extra_field(client, &options.external_id_field).await);
    findings.extend(webhooks(client, options.webhook_destination.as_deref()).await);
    if options.write_test {
        findings.push(write_test(client, &options.external_id_field).await);
    }
    findings
}

/// A read of `path`; the core probes also report the plan's quota.
async fn probe(client: &BcClient, check: &str, api: Api, path: &str, scope: &str) -> Finding {
    let req = ApiRequest::get(api, path).query("limit", 1);
    match client.execute(&req).await {
        Ok(resp) => {
            let limits = parse_rate_limit(api, &resp.headers);
            let quota = match (limits.quota, api) {
                (Some(q), Api::Core) => format!("; quota {q} requests per window"),
                (Some(q), Api::B2b) => format!("; quota {q} requests per minute"),
                (None, _) => String::new(),
            };
            Finding::pass(check, format!("GET {path} answered {}{quota}", resp.status))
        }
        Err(e) => refused(check, path, scope, api, &e),
    }
}

fn refused(check: &str, path: &str, scope: &str, api: Api, e: &BcError) -> Finding {
    let fail = |detail: String, fix: String| Finding::new(check, Status::Fail, detail, Some(fix));
    match e {
        BcError::Unauthorized { status: 403, .. } => fail(
            format!("GET {path} answered 403: the token lacks this scope"),
            format!("grant the API account the scope `{scope}` (Settings → API → Store-level API accounts, or the app's scopes), then use the new token"),
        ),
        BcError::Unauthorized { status, .. } => fail(
            format!("GET {path} answered {status}: the token is not accepted"),
            "check the store hash and the access token; a revoked token needs a new API account or a reinstall".into(),
        ),
        BcError::NotFound { .. } if api == Api::B2b => fail(
            format!("GET {path} answered 404: B2B Edition does not answer for this store"),
            "enable B2B Edition for the store (Apps → B2B Edition), and give the token the `B2B Edition` scope".into(),
        ),
        other => fail(
            format!("GET {path} failed: {other}"),
            if other.is_retryable() {
                "the store did not answer; run the doctor again".into()
            } else {
                "see the error; the request is refused for this store".into()
            },
        ),
    }
}

/// A cart that cannot exist, read as punch-out reads a shopper's cart.
const NO_CART: &str = "00000000-0000-4000-8000-000000000000";

/// Punch-out reads the shopper's cart: with the scope an unknown cart is 404, without it 403.
/// Asked only when punch-out is not among the features (then it is a warning: a heads-up for a
/// deployment that may add it).
async fn carts(client: &BcClient) -> Finding {
    let check = "scope: carts (punch-out)";
    match client.core().cart(NO_CART).await {
        Ok(_) => Finding::pass(check, "GET /v3/carts/{cartId} is allowed"),
        Err(BcError::Unauthorized { status: 403, .. }) => Finding::new(
            check,
            Status::Warn,
            "GET /v3/carts/{cartId} answered 403: punch-out cannot read the shopper's cart",
            Some("for punch-out, grant the API account the scope `Carts: read-only` (and `Customers Login: login`)".into()),
        ),
        Err(e) => refused(check, "/v3/carts/{cartId}", "Carts: read-only", Api::Core, &e),
    }
}

/// The external-id extra field is defined.
async fn extra_field(client: &BcClient, name: &str) -> Finding {
    let check = "external-id extra field";
    match client
        .b2b()
        .company_extra_fields()
        .try_collect::<Vec<_>>()
        .await
    {
        Ok(fields) if fields.iter().any(|f| f.field_name == name) => {
            Finding::pass(check, format!("company extra field `{name}` is defined"))
        }
        Ok(fields) => {
            let names: Vec<&str> = fields.iter().map(|f| f.field_name.as_str()).collect();
            Finding::new(
                check,
                Status::Fail,
                format!("no company extra field `{name}` (defined: {})", list(&names)),
                Some(format!("in the B2B Edition control panel, Settings → Account settings → Company extra fields, add a text field `{name}` (unique values), or set EXTERNAL_ID_FIELD to one of those defined")),
            )
        }
        Err(e) => Finding::new(
            check,
            Status::Fail,
            format!("GET /companies/extra-fields failed: {e}"),
            Some("give the token the `B2B Edition` scope".into()),
        ),
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Hooks registered and active, and no blocked destination domain.
async fn webhooks(client: &BcClient, destination: Option<&str>) -> Vec<Finding> {
    let check = "webhooks";
    let hooks = match client.core().hooks().try_collect::<Vec<_>>().await {
        Ok(h) => h,
        Err(e) => {
            let fix = Some("give the token the `Information & settings` scope".into());
            return vec![Finding::new(
                check,
                Status::Fail,
                format!("GET /v3/hooks failed: {e}"),
                fix,
            )];
        }
    };
    let ours: Vec<_> = hooks
        .iter()
        .filter(|h| destination.is_none_or(|d| h.destination == d))
        .collect();
    let inactive: Vec<String> = ours
        .iter()
        .filter(|h| !h.is_active)
        .map(|h| format!("{} ({})", h.id, h.scope))
        .collect();
    let mut findings = vec![if ours.is_empty() {
        let to = destination.map_or(String::new(), |d| format!(" to {d}"));
        Finding::new(
            check,
            Status::Fail,
            format!("no webhook delivers{to}"),
            Some("run token-refresh with {\"task\": \"check-webhooks\"} (WEBHOOK_DESTINATION, WEBHOOK_SCOPES): it creates them".into()),
        )
    } else if !inactive.is_empty() {
        Finding::new(
            check,
            Status::Fail,
            format!("deactivated: {}", inactive.join(", ")),
            Some("fix what made deliveries fail, then run token-refresh with {\"task\": \"check-webhooks\"}: it re-enables them".into()),
        )
    } else {
        Finding::pass(check, format!("{} registered, all active", ours.len()))
    }];
    findings.push(blocked_domains(client).await);
    findings
}

async fn blocked_domains(client: &BcClient) -> Finding {
    let check = "blocked destinations";
    match client.core().hooks_admin().await {
        Ok(admin) if admin.blocked_domains.is_empty() => Finding::pass(check, "none"),
        Ok(admin) => {
            let domains: Vec<String> = admin
                .blocked_domains
                .iter()
                .map(|d| match d.time_left {
                    Some(s) => format!("{} ({s} s left)", d.destination),
                    None => d.destination.clone(),
                })
                .collect();
            Finding::new(
                check,
                Status::Fail,
                format!("BigCommerce blocks deliveries to {}", domains.join(", ")),
                Some("make the endpoint answer 2xx quickly; BigCommerce lifts the block when its time runs out".into()),
            )
        }
        Err(e) => Finding::new(
            check,
            Status::Warn,
            format!("GET /v3/hooks/admin failed: {e}"),
            Some("give the token the `Information & settings` scope to see blocked domains".into()),
        ),
    }
}

/// A company created, read back and deleted.
async fn write_test(client: &BcClient, external_id_field: &str) -> Finding {
    let check = "write test";
    let tag = format!("toolkit-doctor-{}", uuid_v4());
    let fields = CompanyFields {
        company_name: Some(tag.clone()),
        company_email: Some(format!("{tag}@doctor.invalid")),
        company_phone: Some("0000000000".into()),
        country: Some("US".into()),
        admin_first_name: Some("Toolkit".into()),
        admin_last_name: Some("Doctor".into()),
        admin_email: Some(format!("admin-{tag}@doctor.invalid")),
        extra_fields: vec![ExtraField {
            field_name: external_id_field.to_owned(),
            field_value: Some(tag.clone()),
        }],
        ..CompanyFields::default()
    };
    let fail = |detail: String| {
        let fix = "give the token the `B2B Edition: modify` scope; delete any company named toolkit-doctor-* left behind".to_owned();
        Finding::new(check, Status::Fail, detail, Some(fix))
    };
    let created = match client.b2b().create_company(&fields).await {
        Ok(c) => c,
        Err(e) => return fail(format!("creating company {tag} failed: {e}")),
    };
    let id = created.company_id;
    let read = client.b2b().company(id).await;
    let deleted = client.b2b().delete_company(id).await;
    match (read, deleted) {
        (Ok(Some(c)), Ok(())) if c.company_name.as_deref() == Some(tag.as_str()) => Finding::pass(
            check,
            format!("company {id} ({tag}) created, read back and deleted"),
        ),
        (_, Err(e)) => fail(format!(
            "company {id} ({tag}) was created but not deleted: {e}"
        )),
        (read, Ok(())) => fail(format!(
            "company {id} was deleted, but reading it back gave {read:?}"
        )),
    }
}

/// A random version-4 UUID (not for secrets: it only tags the test company).
fn uuid_v4() -> String {
    let mut b: [u8; 16] = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Whether any check failed.
pub fn any_failed(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.status == Status::Fail)
}

/// The findings as a text table: check, status, what was found, and the fix when there is one.
pub fn table(findings: &[Finding]) -> String {
    let width = findings
        .iter()
        .map(|f| f.check.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!("{:width$}  {:4}  detail\n", "check", "");
    for f in findings {
        out.push_str(&format!(
            "{:width$}  {:4}  {}\n",
            f.check,
            f.status.label(),
            f.detail
        ));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("{:width$}  {:4}  fix: {fix}\n", "", ""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_a_fix_under_each_failure() {
        let findings = [
            Finding::pass("scope: orders", "GET /v2/orders answered 200"),
            Finding::new(
                "webhooks",
                Status::Fail,
                "deactivated: 7",
                Some("re-enable".into()),
            ),
        ];
        let t = table(&findings);
        assert!(t.contains("scope: orders  ok"), "{t}");
        assert!(t.contains("webhooks       FAIL  deactivated: 7\n"), "{t}");
        assert!(t.contains("fix: re-enable"), "{t}");
        assert!(any_failed(&findings));
        assert!(!any_failed(&findings[..1]));
    }

    #[test]
    fn tags_are_version_4_uuids() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!("89ab".contains(&u[19..20]), "{u}");
        assert_ne!(u, uuid_v4());
    }
}
