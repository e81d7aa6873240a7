//! The `doctor` command: checks one store for real use (see the library's documentation), prints
//! the table, and exits 1 when any check failed, 2 when it could not run.

use std::process::ExitCode;
use std::sync::Arc;

use b2b_doctor::{any_failed, diagnose, table, Feature, Options};
use bigcommerce_b2b::{BcClient, ClientOptions, Credentials, StaticToken, StoreHash};
use clap::Parser;
use secrecy::{ExposeSecret, SecretString};

/// Checks a BigCommerce store for use by the B2B Edition toolkit.
#[derive(Debug, Parser)]
#[command(name = "doctor", version)]
struct Cli {
    /// The store hash (with --token).
    #[arg(long, requires = "token")]
    store_hash: Option<String>,
    /// The access token (or the BC_ACCESS_TOKEN variable).
    #[arg(long, env = "BC_ACCESS_TOKEN", hide_env_values = true)]
    token: Option<SecretString>,
    /// Instead of a hash and a token: the Secrets Manager id of the store secret.
    #[arg(long, conflicts_with_all = ["store_hash", "token"])]
    secret_id: Option<String>,
    /// The management API's base URL.
    #[arg(long, default_value = bigcommerce_b2b::DEFAULT_API_URL)]
    api_url: String,
    /// The B2B Edition API's base URL.
    #[arg(long, default_value = bigcommerce_b2b::DEFAULT_B2B_API_URL)]
    b2b_api_url: String,
    /// The company extra field carrying the external id (the worker's EXTERNAL_ID_FIELD).
    #[arg(long, default_value = "external_id")]
    external_id_field: String,
    /// webhook-intake's URL: the hooks must deliver there.
    #[arg(long)]
    webhook_destination: Option<String>,
    /// Also create, read back and delete a company tagged `toolkit-doctor-<uuid>`.
    #[arg(long)]
    write_test: bool,
    /// The features the deployment uses, comma-separated (accounts, customer-groups,
    /// price-lists, orders, inventory, invoices, purchase-orders, punch-out): each one's scopes
    /// are checked. Default: every command family of the worker, and punch-out when the store
    /// secret sets it up.
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<Feature>>,
}

/// The credentials, and whether the store secret sets up punch-out (`procurement.punchout`).
async fn credentials(cli: &Cli) -> Result<(Arc<dyn Credentials>, bool), String> {
    if let Some(id) = &cli.secret_id {
        let sdk = aws_config::load_from_env().await;
        let api = b2b_shared::SecretsApi::new(aws_sdk_secretsmanager::Client::new(&sdk));
        let cache = b2b_shared::SecretCache::new(api, id.clone(), std::time::Duration::ZERO);
        let secret = b2b_shared::SecretSource::current(&cache)
            .await
            .map_err(|e| format!("the store secret could not be read: {e}"))?;
        let punchout = secret
            .procurement
            .as_ref()
            .is_some_and(|p| p.punchout.is_some());
        let creds = Arc::new(b2b_shared::secrets::StaticCredentials(secret));
        return Ok((creds, punchout));
    }
    let (Some(hash), Some(token)) = (&cli.store_hash, &cli.token) else {
        return Err("give --store-hash and --token (or BC_ACCESS_TOKEN), or --secret-id".into());
    };
    let hash = StoreHash::parse(hash).map_err(|e| format!("--store-hash: {e}"))?;
    Ok((
        Arc::new(StaticToken::new(hash, token.expose_secret())),
        false,
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut punchout = false;
    let client = match credentials(&cli).await.and_then(|(c, p)| {
        punchout = p;
        let urls = (cli.api_url.as_str(), cli.b2b_api_url.as_str());
        let parse = |u: &str| url::Url::parse(u).map_err(|e| format!("`{u}`: {e}"));
        BcClient::new(
            &parse(urls.0)?,
            &parse(urls.1)?,
            c,
            ClientOptions::default(),
        )
        .map_err(|e| e.to_string())
    }) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("doctor: {e}");
            return ExitCode::from(2);
        }
    };
    let features = cli.features.unwrap_or_else(|| {
        let mut all = Feature::WORKER.to_vec();
        if punchout {
            all.push(Feature::PunchOut);
        }
        all
    });
    let options = Options {
        external_id_field: cli.external_id_field,
        webhook_destination: cli.webhook_destination,
        write_test: cli.write_test,
        features,
    };
    let findings = diagnose(&client, &options).await;
    print!("{}", table(&findings));
    if any_failed(&findings) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
