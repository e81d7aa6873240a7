//! The README, the docs pages, LICENSE and CHANGELOG tell the truth about the project: the Rust
//! version the README asks for is the workspace's `rust-version`, the alarms the SAM page
//! (`docs/deploy/sam.md`) names are the template's, the procurement page's example
//! (`docs/procurement.md`) accepts the sample purchase order, the licence text is the licence
//! Cargo.toml declares, and the changelog has the release and what is unreleased.

mod cfn;

use b2b_cxml::{Credential, PurchaseOrder};
use b2b_shared::secrets::StoreSecret;
use cfn::{root, Deploy};

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn workspace_package() -> toml::Table {
    let manifest: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    manifest["workspace"]["package"].as_table().unwrap().clone()
}

/// A page's section under `heading` (to the next heading of its level or above).
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no {heading:?} in the page"));
    let level = heading.split(' ').next().unwrap().len();
    let rest = &readme[start + heading.len() + 2..];
    let end = rest
        .match_indices("\n#")
        .find(|(i, _)| {
            let hashes = rest[i + 1..].chars().take_while(|c| *c == '#').count();
            hashes <= level
        })
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

#[test]
fn the_readme_asks_for_the_workspace_s_rust_version() {
    let version = workspace_package()["rust-version"]
        .as_str()
        .unwrap()
        .to_owned();
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("Rust {version} or newer")),
        "the README does not say Rust {version} (rust-version in Cargo.toml) is needed"
    );
}

#[test]
fn the_licence_is_the_one_cargo_declares_and_the_changelog_is_kept() {
    assert_eq!(workspace_package()["license"].as_str(), Some("Apache-2.0"));
    let licence = read("LICENSE");
    assert!(licence.trim_start().starts_with("Apache License"));
    assert!(licence.contains("Version 2.0, January 2004"));
    assert!(licence.contains("END OF TERMS AND CONDITIONS"));
    let changelog = read("CHANGELOG.md");
    let version = workspace_package()["version"].as_str().unwrap().to_owned();
    assert!(
        changelog.contains("keepachangelog.com"),
        "Keep a Changelog format"
    );
    assert!(changelog.contains("## [Unreleased]"));
    assert!(changelog.contains(&format!("## [{version}]")));
}

/// Every alarm the SAM page's Alarms section names by metric exists in the template, and
/// every alarm on one of the toolkit's own metrics is named there.
#[test]
fn the_alarms_the_sam_page_names_are_the_template_s() {
    let page = read("docs/deploy/sam.md");
    let alarms = section(&page, "## Alarms")
        .split("\n- ")
        .find(|item| item.starts_with("**Alarms**"))
        .expect("an Alarms item in the Alarms section")
        .to_owned();
    let deploy = Deploy::with(&[("ErpTokenUrl", "https://erp.acme.example/oauth2/token")]);
    let mut metrics = Vec::new();
    for (_, alarm) in deploy.resources_of("AWS::CloudWatch::Alarm") {
        let p = &alarm["Properties"];
        if p["Namespace"].as_str() == Some("B2BEditionToolkit") {
            metrics.push(p["MetricName"].as_str().unwrap().to_owned());
        }
    }
    for metric in &metrics {
        assert!(
            alarms.contains(&format!("`{metric}`")),
            "the alarm on {metric} is not in docs/deploy/sam.md's Alarms"
        );
    }
    let parameters = &deploy.t["Parameters"];
    for word in alarms.split('`').skip(1).step_by(2) {
        let camel = word.chars().next().is_some_and(char::is_uppercase)
            && word.chars().all(char::is_alphanumeric);
        if camel && parameters.get(word).is_none() {
            assert!(
                metrics.iter().any(|m| m == word),
                "docs/deploy/sam.md names an alarm on `{word}`, which the template lacks"
            );
        }
    }
}

fn pairs(creds: &[Credential]) -> Vec<(&str, &str)> {
    creds
        .iter()
        .map(|c| (c.domain.as_str(), c.identity.as_str()))
        .collect()
}

/// The procurement page's example `procurement` section, put in a store secret, accepts the sample
/// purchase order (`events/cxml/order-request.xml`) the way webhook-intake checks it: a known
/// `Sender` with a usable shared secret that matches, addressed to this supplier in the
/// partner's deployment mode, with a buyer identity.
#[test]
fn the_procurement_page_example_accepts_the_sample_order() {
    let page = read("docs/procurement.md");
    let example = section(&page, "## Set-up")
        .split("```json\n")
        .nth(1)
        .and_then(|block| block.split("\n```").next())
        .expect("a json block in the procurement page's Set-up");
    assert!(
        example.trim_start().starts_with("\"procurement\""),
        "{example}"
    );
    let secret = StoreSecret::from_json(&format!(
        r#"{{"store_hash":"abc123","access_token":"t",{example}}}"#
    ))
    .unwrap_or_else(|e| panic!("the procurement page's example: {e}"));
    let config = secret.procurement.as_ref().unwrap();
    let sample = read("functions/webhook-intake/events/cxml/order-request.xml");
    let po = PurchaseOrder::from_xml(sample.as_bytes()).unwrap();

    let partner = config
        .partner(pairs(&po.sender))
        .expect("the sample's Sender is the example's partner");
    let expected = secret
        .partner_secret(partner)
        .unwrap_or_else(|e| panic!("the example's shared secret: {e}"));
    assert!(
        po.sender_secret_matches(expected),
        "the sample's SharedSecret"
    );
    assert!(
        config.is_supplier(pairs(&po.to)),
        "the sample's To is the example's supplier"
    );
    assert!(
        po.deployment_mode
            .eq_ignore_ascii_case(partner.deployment_mode.as_str()),
        "deploymentMode"
    );
    assert!(
        matches!(
            b2b_cxml::buyer_credential(&po.from, partner.buyer_domain.as_deref()),
            b2b_cxml::BuyerChoice::Found { .. }
        ),
        "buyer identity"
    );
}
