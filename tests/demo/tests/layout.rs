//! The crate graph holds to the layout `docs/extending/layout.md` shows: the BigCommerce client links no AWS SDK
//! and none of our other crates, no function depends on another function, and nothing shared
//! depends on a function or on the sandbox.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .expect("workspace root")
}

/// `cargo metadata` of the workspace, with the resolved dependency graph.
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root())
        .args(["metadata", "--format-version", "1"])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("metadata is JSON")
}

/// The workspace members: name → (manifest folder, declared path dependencies by name).
fn members(meta: &Value) -> HashMap<String, (PathBuf, Vec<(String, PathBuf)>)> {
    let ids: HashSet<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| ids.contains(p["id"].as_str().unwrap()))
        .map(|p| {
            let dir = PathBuf::from(p["manifest_path"].as_str().unwrap())
                .parent()
                .unwrap()
                .to_path_buf();
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|d| {
                    let path = d["path"].as_str()?;
                    Some((d["name"].as_str()?.to_owned(), PathBuf::from(path)))
                })
                .collect();
            (p["name"].as_str().unwrap().to_owned(), (dir, deps))
        })
        .collect()
}

/// Every package `name` links in a normal build (its non-dev, non-build dependencies, all the
/// way down).
fn normal_closure(meta: &Value, name: &str) -> HashSet<String> {
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let start = names
        .iter()
        .find(|(_, n)| **n == name)
        .map(|(id, _)| *id)
        .unwrap_or_else(|| panic!("no package {name}"));
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue = VecDeque::from([start]);
    while let Some(id) = queue.pop_front() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(dep_id) {
                queue.push_back(dep_id);
            }
        }
    }
    seen.iter().map(|id| names[id].to_owned()).collect()
}

/// The AWS SDK crates (not the aws-lc crypto rustls uses) among `linked`.
fn aws_sdk_crates(linked: &HashSet<String>) -> Vec<&String> {
    linked
        .iter()
        .filter(|n| {
            [
                "aws-sdk-",
                "aws-config",
                "aws-smithy",
                "aws-types",
                "aws-runtime",
            ]
            .iter()
            .any(|p| n.starts_with(p))
                || n.starts_with("aws-credential-types")
                || n.starts_with("aws-sigv4")
        })
        .collect()
}

#[test]
fn the_client_crate_links_no_aws_sdk_and_none_of_our_crates() {
    let meta = metadata();
    let linked = normal_closure(&meta, "bigcommerce-b2b");
    assert!(linked.contains("reqwest"), "the closure was computed");
    let aws_sdk = aws_sdk_crates(&linked);
    assert!(aws_sdk.is_empty(), "the client links {aws_sdk:?}");
    let ours: Vec<&String> = linked
        .iter()
        .filter(|n| members(&meta).contains_key(n.as_str()))
        .collect();
    assert!(ours.is_empty(), "the client depends on {ours:?}");
}

#[test]
fn the_command_vocabulary_links_no_aws_sdk_and_only_the_client_of_ours() {
    let meta = metadata();
    let linked = normal_closure(&meta, "b2b-commands");
    assert!(linked.contains("jsonschema"), "the closure was computed");
    let aws_sdk = aws_sdk_crates(&linked);
    assert!(aws_sdk.is_empty(), "the commands link {aws_sdk:?}");
    let ours: Vec<&String> = linked
        .iter()
        .filter(|n| members(&meta).contains_key(n.as_str()))
        .collect();
    assert_eq!(ours, ["bigcommerce-b2b"], "the commands depend on {ours:?}");
}

#[test]
fn no_function_depends_on_another_and_nothing_shared_depends_upward() {
    let meta = metadata();
    let root = root();
    let functions = root.join("functions");
    let shared = root.join("shared");
    let sandbox = root.join("sandbox");
    let members = members(&meta);
    let mut checked = 0;
    for (name, (dir, deps)) in &members {
        for (dep, path) in deps {
            if dir.starts_with(&functions) {
                assert!(
                    !path.starts_with(&functions),
                    "function {name} depends on function {dep}"
                );
                checked += 1;
            }
            if dir.starts_with(&shared) {
                let upward = path.starts_with(&functions) || path.starts_with(&sandbox);
                // Test code may use the sandbox and the test helpers; the libraries may not.
                let normal = normal_closure(&meta, name).contains(dep.as_str());
                assert!(
                    !(upward && normal),
                    "shared crate {name} links {dep} from {}",
                    path.display()
                );
            }
        }
    }
    assert!(
        checked >= 5,
        "every function's path dependencies were checked"
    );
    let aws = normal_closure(&meta, "b2b-shared");
    assert!(
        aws.contains("bigcommerce-b2b") && !aws.contains("b2b-export"),
        "b2b-shared uses the client and not the export library"
    );
    for function in ["upsert-worker", "order-export"] {
        assert!(normal_closure(&meta, function).contains("b2b-export"));
    }
    // The archive's S3 writes are order-export's: the export library links no S3 SDK (the
    // worker links it for one read, its field mapping at cold start).
    assert!(
        !normal_closure(&meta, "b2b-export").contains("aws-sdk-s3"),
        "b2b-export does not link the S3 SDK"
    );
}
