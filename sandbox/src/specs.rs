//! Where BigCommerce's official specs are on this machine: the contract tests and the sandbox's
//! own checks read them from one place.
//!
//! In order: `BC_SPECS_DIR`; `../shared/specs/bigcommerce` beside the repository; the folder
//! `make specs` fills (`.specs/bigcommerce`, fetched at a pinned commit and checked against
//! `scripts/specs.sha256`). A folder counts when it has its `MANIFEST.tsv`.

use std::path::{Path, PathBuf};

/// The repository's root folder.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The folder holding the specs, or one sentence saying how to get them.
pub fn dir() -> Result<PathBuf, String> {
    let root = repo_root();
    let env = std::env::var_os("BC_SPECS_DIR").map(PathBuf::from);
    if let Some(dir) = &env {
        return if dir.join("MANIFEST.tsv").is_file() {
            Ok(dir.clone())
        } else {
            Err(format!(
                "BC_SPECS_DIR={} has no MANIFEST.tsv; unset it or run `make specs`",
                dir.display()
            ))
        };
    }
    let candidates = [
        root.join("../shared/specs/bigcommerce"),
        root.join(".specs/bigcommerce"),
    ];
    candidates
        .into_iter()
        .find(|d| d.join("MANIFEST.tsv").is_file())
        .ok_or_else(|| {
            "BigCommerce's specs were not found (BC_SPECS_DIR, ../shared/specs/bigcommerce, \
             .specs/bigcommerce): run `make specs` to fetch them"
                .to_owned()
        })
}

/// [`dir`], or a panic with its sentence (for tests).
pub fn dir_or_panic() -> PathBuf {
    dir().unwrap_or_else(|e| panic!("{e}"))
}
