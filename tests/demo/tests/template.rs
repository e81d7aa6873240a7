//! The SAM template and the workspace agree: every function in `infra/template.yaml` points at a
//! workspace crate whose binary has the crate's name, builds with cargo-lambda on arm64, every
//! function crate is in the template, and `cargo lambda deploy` would give each function the
//! timeout and memory the template gives it.

mod cfn;

use std::collections::BTreeSet;

use cfn::{root, short_ref, template, Deploy};

/// Function crates: folders under `functions/` whose Cargo.toml declares a binary of the folder's name.
fn function_crates() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Table = toml::from_str(&manifest).unwrap();
        let bins = manifest
            .get("bin")
            .and_then(|b| b.as_array())
            .cloned()
            .unwrap_or_default();
        assert!(
            bins.iter()
                .any(|b| b.get("name").and_then(|n| n.as_str()) == Some(name.as_str())),
            "functions/{name} has no binary named {name}"
        );
        assert!(
            manifest
                .get("package")
                .and_then(|p| p.get("metadata"))
                .and_then(|m| m.get("lambda"))
                .is_some(),
            "functions/{name} has no [package.metadata.lambda.deploy] for `cargo lambda deploy`"
        );
        out.insert(name);
    }
    out
}

#[test]
fn every_template_function_is_a_workspace_binary_and_back() {
    let t = template();
    let globals = &t["Globals"]["Function"];
    assert_eq!(globals["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(globals["Architectures"][0].as_str(), Some("arm64"));
    let mut in_template = BTreeSet::new();
    for (name, resource) in t["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let name = name.as_str().unwrap();
        assert_eq!(
            resource["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{name}"
        );
        let code = resource["Properties"]["CodeUri"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: CodeUri"));
        let crate_name = code
            .strip_prefix("../functions/")
            .unwrap_or_else(|| panic!("{name}: CodeUri {code}"));
        assert!(
            root()
                .join("functions")
                .join(crate_name)
                .join("Cargo.toml")
                .is_file(),
            "{name}: {code}"
        );
        // `sam build` must be told which binary: a crate with several (upsert-worker has
        // `redrive` too) otherwise fails in its copy step ("unable to find function binary").
        assert_eq!(
            resource["Metadata"]["BuildProperties"]["Binary"].as_str(),
            Some(crate_name),
            "{name}: Metadata.BuildProperties.Binary names the function binary"
        );
        in_template.insert(crate_name.to_owned());
    }
    assert_eq!(
        in_template,
        function_crates(),
        "template functions vs function crates"
    );
}

#[test]
fn the_inbound_queue_gives_the_worker_six_times_its_timeout() {
    let t = template();
    let worker_timeout = t["Resources"]["UpsertWorkerFunction"]["Properties"]["Timeout"]
        .as_i64()
        .unwrap();
    let visibility = t["Resources"]["InboundQueue"]["Properties"]["VisibilityTimeout"]
        .as_i64()
        .unwrap();
    assert!(
        visibility >= 6 * worker_timeout,
        "{visibility} < 6 x {worker_timeout}"
    );
    let events =
        &t["Resources"]["UpsertWorkerFunction"]["Properties"]["Events"]["Inbound"]["Properties"];
    assert_eq!(
        events["FunctionResponseTypes"][0].as_str(),
        Some("ReportBatchItemFailures")
    );
}

/// A standard queue's batches above 10 need a batching window (Lambda refuses them otherwise);
/// the default batch shares one store-mirror read among many commands.
#[test]
fn large_inbound_batches_come_with_a_batching_window() {
    let t = template();
    let size = &t["Parameters"]["InboundBatchSize"];
    let window = &t["Parameters"]["InboundBatchWindowSeconds"];
    assert!(size["Default"].as_i64().unwrap() >= 100);
    assert!(size["MaxValue"].as_i64().unwrap() <= 10_000);
    assert!(window["MinValue"].as_i64().unwrap() >= 1);
    let events =
        &t["Resources"]["UpsertWorkerFunction"]["Properties"]["Events"]["Inbound"]["Properties"];
    let text = format!("{:?}", events["BatchSize"]);
    assert!(
        text.contains("InboundBatchSize") && text.contains("10"),
        "{text}"
    );
}

/// Schedules live in the stack's own, CloudFormation-named group under short fixed names, so two
/// stacks in one account never collide and no stack name is too long for the 64-character limit.
#[test]
fn schedules_are_in_the_stack_s_own_group_under_short_names() {
    let t = template();
    let resources = t["Resources"].as_mapping().unwrap();
    let groups: Vec<&str> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Scheduler::ScheduleGroup"))
        .map(|(k, r)| {
            assert!(
                r["Properties"]["Name"].is_null(),
                "schedule group {k:?} must let CloudFormation name it"
            );
            k.as_str().unwrap()
        })
        .collect();
    assert_eq!(groups.len(), 1, "one schedule group per stack: {groups:?}");
    let mut seen = 0;
    for (name, resource) in resources {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (event, e) in events {
            if e["Type"].as_str() != Some("ScheduleV2") {
                continue;
            }
            seen += 1;
            let p = &e["Properties"];
            let where_ = format!("{name:?}.{event:?}");
            let sched_name = p["Name"].as_str().unwrap_or_else(|| {
                panic!("{where_}: a schedule needs a fixed name (SAM's default is not unique)")
            });
            assert!(
                sched_name.len() <= 64 && !sched_name.contains("${"),
                "{where_}: name {sched_name:?} must be short and not built from the stack name"
            );
            assert_eq!(
                short_ref(&p["GroupName"]),
                Some(groups[0]),
                "{where_}: not in the stack's schedule group"
            );
        }
    }
    assert!(seen >= 4, "expected the four schedules, found {seen}");
}

/// `[package.metadata.lambda.deploy]` of each function crate (what `cargo lambda deploy` uses)
/// and the template give a function the same timeout and memory: the worker's 300 s is what the
/// inbound queue's visibility timeout is sized on, whichever way it is deployed.
#[test]
fn cargo_lambda_deploy_and_the_template_agree_on_timeout_and_memory() {
    let deploy = Deploy::default_parameters();
    let globals = &deploy.t["Globals"]["Function"];
    let mut checked = 0;
    for (name, resource) in deploy.resources_of("AWS::Serverless::Function") {
        let props = &resource["Properties"];
        let krate = props["CodeUri"]
            .as_str()
            .and_then(|c| c.strip_prefix("../functions/"))
            .unwrap();
        let manifest =
            std::fs::read_to_string(root().join("functions").join(krate).join("Cargo.toml"))
                .unwrap();
        let manifest: toml::Table = toml::from_str(&manifest).unwrap();
        let lambda = &manifest["package"]["metadata"]["lambda"]["deploy"];
        for (cargo_key, template_key) in [("timeout", "Timeout"), ("memory", "MemorySize")] {
            let in_template = deploy
                .text(&props[template_key])
                .or_else(|| deploy.text(&globals[template_key]))
                .unwrap_or_else(|| panic!("{name}: no {template_key}"));
            let in_cargo = lambda
                .get(cargo_key)
                .and_then(toml::Value::as_integer)
                .unwrap_or_else(|| panic!("functions/{krate}: no {cargo_key}"));
            assert_eq!(
                in_template,
                in_cargo.to_string(),
                "{name}: {template_key} in the template vs {cargo_key} in functions/{krate}/Cargo.toml"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, function_crates().len());
}
