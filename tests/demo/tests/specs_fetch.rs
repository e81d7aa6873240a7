//! `make specs` (scripts/fetch-specs.sh) keeps the specs only when every file matches its
//! checksum: run against a local copy of the specs, once as it is and once with a file changed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn fetch(source: &Path, dest: &Path) -> Output {
    Command::new("bash")
        .arg(root().join("scripts/fetch-specs.sh"))
        .env("SPECS_SOURCE", source)
        .env("SPECS_DEST", dest)
        .env_remove("SPECS_FORCE")
        .output()
        .expect("the script runs")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_specs_are_kept_only_when_every_checksum_matches() {
    let specs = bc_sandbox::specs::dir_or_panic();
    let scratch = std::env::temp_dir().join(format!("specs-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();

    let dest = scratch.join("good/bigcommerce");
    let out = fetch(&specs, &dest);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("files checked"), "{said}");
    assert!(dest.join("MANIFEST.tsv").is_file());
    assert!(dest
        .join("docs/b2b-edition/specs/api-v3/company/company.yaml")
        .is_file());

    let tampered = scratch.join("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    copy_tree(&specs, &tampered);
    let victim = tampered.join("reference/price_lists.v3.yml");
    let mut text = std::fs::read_to_string(&victim).unwrap();
    text.push_str("\n# changed\n");
    std::fs::write(&victim, text).unwrap();
    let dest = scratch.join("bad/bigcommerce");
    let out = fetch(&tampered, &dest);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("reference/price_lists.v3.yml does not match its checksum"),
        "{err}"
    );
    assert!(!dest.exists(), "nothing is kept after a mismatch");
    std::fs::remove_dir_all(&scratch).ok();
}
