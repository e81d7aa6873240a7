//! The docs tell the truth about the repository: every relative link in the README and the docs
//! pages resolves to a file (and a `#fragment` to a heading of it), every environment variable a
//! page names is one the code reads or the deployment sets, and the deploy checklist's parameter
//! table is the template's `Parameters`. Each check is a function over text, tested below on
//! small broken inputs so it is seen to fail.

mod cfn;

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use cfn::root;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The `UPPER_SNAKE` names a page may write that are no variable of ours, each with its reason.
const NOT_VARIABLES: &[(&str, &str)] = &[
    (
        "AWS_REGION",
        "set by Lambda itself and read by the AWS SDK, not by our code",
    ),
    (
        "CHANGE_ME",
        "a placeholder value the secret checks refuse (the marker `changeme`), not a variable",
    ),
    (
        "COMMAND_TYPES",
        "a Rust constant (the command registry's list of types), not a variable",
    ),
    (
        "OTHERS_WAIT_FOR_IT",
        "a Rust associated constant of the worker's `Apply` trait, not a variable",
    ),
];

/// The Markdown files the checks read: the README and every page under `docs/`.
fn markdown_files() -> Vec<String> {
    let mut files = vec!["README.md".to_owned()];
    let mut dirs = vec![root().join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let rel = path.strip_prefix(root()).unwrap();
                files.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    files
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn parser(text: &str) -> Parser<'_> {
    Parser::new_ext(text, Options::ENABLE_TABLES)
}

/// Every link and image destination of a Markdown text.
fn destinations(text: &str) -> Vec<String> {
    parser(text)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.to_string())
            }
            _ => None,
        })
        .collect()
}

/// The text of every heading of a Markdown text (inline code included, markup left out).
fn headings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for event in parser(text) {
        match event {
            Event::Start(Tag::Heading { .. }) => current = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => out.extend(current.take()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = current.as_mut() {
                    h.push_str(&t);
                }
            }
            _ => {}
        }
    }
    out
}

/// A heading's anchor as GitHub makes it: lower case, every character that is not a letter, a
/// digit, `-`, `_` or a space dropped, each space a `-`.
fn github_slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// A heading's anchor as MkDocs makes it (Python-Markdown's `toc` slugify): characters other
/// than ASCII letters, digits, `_`, `-` and spaces dropped, trimmed, lower case, and each run
/// of spaces and `-` one `-`. (Its NFKD step keeps `é` as `e`; the pages use no such heading.)
fn mkdocs_slug(heading: &str) -> String {
    let kept: String = heading
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-') || c.is_whitespace())
        .collect();
    let mut slug = String::new();
    for c in kept.trim().to_lowercase().chars() {
        if c == '-' || c.is_whitespace() {
            if !slug.ends_with('-') {
                slug.push('-');
            }
        } else {
            slug.push(c);
        }
    }
    slug
}

/// The anchors of a Markdown file: MkDocs' rules under `docs/` (the site), GitHub's elsewhere.
/// A repeated heading gets `-1`, `-2`... on GitHub and `_1`, `_2`... in MkDocs.
fn anchors(rel: &str, text: &str) -> BTreeSet<String> {
    let site = rel.starts_with("docs/");
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    for heading in headings(text) {
        let slug = if site {
            mkdocs_slug(&heading)
        } else {
            github_slug(&heading)
        };
        let n = seen.entry(slug.clone()).or_insert(0);
        let anchor = match *n {
            0 => slug.clone(),
            k if site => format!("{slug}_{k}"),
            k => format!("{slug}-{k}"),
        };
        *n += 1;
        out.insert(anchor);
    }
    out
}

/// `base`'s folder joined with `link`, normalised; None when it leaves the repository.
fn resolve(base: &str, link: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let dir = Path::new(base).parent().unwrap_or(Path::new(""));
    for component in dir.join(link).components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// What a file of the repository is, for the link check.
enum Target {
    /// A Markdown file, with its text.
    Markdown(String),
    /// Any other file, or a folder.
    Other,
}

/// The problems of the relative links in `rel`'s `text`; `lookup` answers what a repository
/// path is (None: nothing there).
fn link_problems(rel: &str, text: &str, lookup: &dyn Fn(&str) -> Option<Target>) -> Vec<String> {
    let mut problems = Vec::new();
    for dest in destinations(text) {
        if dest.contains("://") || dest.starts_with("mailto:") {
            continue;
        }
        let (path, fragment) = match dest.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (dest.as_str(), None),
        };
        if path.starts_with('/') {
            problems.push(format!("{rel}: `{dest}` is absolute; links are relative"));
            continue;
        }
        let target = if path.is_empty() {
            Some(rel.to_owned())
        } else {
            resolve(rel, path)
        };
        let Some(target) = target else {
            problems.push(format!("{rel}: `{dest}` leaves the repository"));
            continue;
        };
        match (lookup(&target), fragment) {
            (None, _) => problems.push(format!("{rel}: `{dest}`: no file {target}")),
            (Some(Target::Markdown(linked)), Some(fragment)) => {
                if !anchors(&target, &linked).contains(fragment) {
                    problems.push(format!(
                        "{rel}: `{dest}`: {target} has no heading #{fragment}"
                    ));
                }
            }
            (Some(Target::Other), Some(fragment)) => {
                problems.push(format!(
                    "{rel}: `{dest}`: #{fragment} in a file that is not Markdown"
                ));
            }
            (Some(_), None) => {}
        }
    }
    problems
}

fn repository_lookup(path: &str) -> Option<Target> {
    let full = root().join(path);
    if path.ends_with(".md") && full.is_file() {
        Some(Target::Markdown(read(path)))
    } else if full.exists() {
        Some(Target::Other)
    } else {
        None
    }
}

#[test]
fn every_relative_link_in_the_readme_and_the_docs_resolves() {
    let files = markdown_files();
    assert!(files.len() > 20, "the pages were found: {files:?}");
    let problems: Vec<String> = files
        .iter()
        .flat_map(|rel| link_problems(rel, &read(rel), &repository_lookup))
        .collect();
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

/// The names in backticks that look like environment variables: `UPPER_SNAKE`, at least one `_`.
fn variables(text: &str) -> BTreeSet<String> {
    parser(text)
        .filter_map(|event| match event {
            Event::Code(code) => Some(code.to_string()),
            _ => None,
        })
        .filter(|code| {
            let mut parts = code.split('_');
            let first = parts.next().unwrap_or("");
            code.contains('_')
                && first.starts_with(|c: char| c.is_ascii_uppercase())
                && code.split('_').all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                })
        })
        .collect()
}

/// Whether `word` occurs in `text` as a whole word (not inside a longer name).
fn has_word(text: &str, word: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(name_char) && !after.is_some_and(name_char)
    })
}

/// The variables of `page` that neither the code (`rust`, as a string literal `"NAME"`) nor the
/// deployment (`deployment`: the template, the Makefile, scripts, samconfig.toml, as a word)
/// knows, less the deliberate exceptions.
fn unknown_variables(page: &str, rust: &str, deployment: &str) -> Vec<String> {
    variables(page)
        .into_iter()
        .filter(|v| !NOT_VARIABLES.iter().any(|(name, _)| name == v))
        .filter(|v| !rust.contains(&format!("\"{v}\"")) && !has_word(deployment, v))
        .collect()
}

/// The text of every file under `dirs` whose name ends with one of `exts` (any, when empty).
fn texts_under(dirs: &[&str], exts: &[&str]) -> String {
    let mut out = String::new();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| root().join(d)).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if exts.is_empty() || exts.iter().any(|e| path.to_string_lossy().ends_with(e)) {
            // Binary files (none expected) are skipped rather than read as text.
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn every_environment_variable_the_docs_name_is_read_or_set() {
    let rust = texts_under(&["functions", "shared", "tools"], &[".rs"]);
    let deployment = ["infra/template.yaml", "Makefile", "samconfig.toml"]
        .iter()
        .map(|f| read(f))
        .chain([texts_under(&["scripts"], &[])])
        .collect::<Vec<_>>()
        .join("\n");
    let mut problems = Vec::new();
    let mut named = 0;
    for rel in markdown_files() {
        let page = read(&rel);
        named += variables(&page).len();
        for v in unknown_variables(&page, &rust, &deployment) {
            problems.push(format!(
                "{rel}: `{v}` is neither read by the code nor set by the deployment"
            ));
        }
    }
    assert!(named > 50, "the variables were found ({named})");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The first-column names (in backticks) of the table whose first header cell is `parameter`.
fn parameter_rows(page: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let (mut in_table, mut in_head, mut found) = (false, false, false);
    let (mut cell, mut first_cell) = (String::new(), true);
    for event in parser(page) {
        match event {
            Event::Start(Tag::Table(_)) => in_table = true,
            Event::End(TagEnd::Table) => {
                in_table = false;
                if found {
                    break;
                }
            }
            Event::Start(Tag::TableHead) => (in_head, first_cell) = (true, true),
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) => first_cell = true,
            Event::Start(Tag::TableCell) => cell.clear(),
            Event::Text(t) | Event::Code(t) if in_table => cell.push_str(&t),
            Event::End(TagEnd::TableCell) => {
                if first_cell && in_head {
                    found = cell.trim() == "parameter";
                } else if first_cell && found {
                    rows.push(cell.trim().to_owned());
                }
                first_cell = false;
            }
            _ => {}
        }
    }
    rows
}

/// What differs between the table's rows and the template's parameters.
fn parameter_problems(rows: &[String], parameters: &BTreeSet<String>) -> Vec<String> {
    let listed: BTreeSet<String> = rows.iter().cloned().collect();
    let mut problems: Vec<String> = parameters
        .difference(&listed)
        .map(|p| format!("the template's parameter {p} has no row"))
        .collect();
    problems.extend(
        listed
            .difference(parameters)
            .map(|r| format!("the row {r} names no parameter of the template")),
    );
    if listed.len() != rows.len() {
        problems.push("a parameter has two rows".into());
    }
    problems
}

#[test]
fn the_deploy_checklist_lists_every_template_parameter() {
    let template = cfn::template();
    let parameters: BTreeSet<String> = template["Parameters"]
        .as_mapping()
        .expect("the template has Parameters")
        .keys()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    assert!(parameters.len() > 20, "{parameters:?}");
    let rows = parameter_rows(&read("docs/deploy/checklist.md"));
    let problems = parameter_problems(&rows, &parameters);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// The checks, on small inputs: each one fails where it should.

fn fake_repo<'a>(files: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<Target> + 'a {
    move |path| {
        files
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(p, text)| match p.ends_with(".md") {
                true => Target::Markdown((*text).to_owned()),
                false => Target::Other,
            })
    }
}

#[test]
fn the_link_check_finds_a_missing_file_and_a_missing_anchor() {
    let repo = fake_repo(&[
        (
            "docs/a.md",
            "# A page\n\n## The store secret\n\n## 3. Secrets and their shapes\n",
        ),
        (
            "README.md",
            "# Title\n\n## Punch-out: the buyer shops, the cart goes back\n",
        ),
        ("functions/x.yaml", "k: v"),
    ]);
    let page = "[ok](a.md#the-store-secret) [ok](a.md#3-secrets-and-their-shapes) \
                [ok](../README.md#punch-out-the-buyer-shops-the-cart-goes-back) \
                [ok](../functions/x.yaml) [ok](https://example.com/x#y) [ok](#a-page)";
    assert_eq!(
        link_problems("docs/a.md", page, &repo),
        Vec::<String>::new()
    );

    let broken = "[a](missing.md) [b](a.md#no-such-heading) [c](../../../outside.md) \
                  [d](../functions/x.yaml#frag) [e](#nope)";
    let problems = link_problems("docs/a.md", broken, &repo);
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert!(
        problems[0].contains("no file docs/missing.md"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("has no heading #no-such-heading"),
        "{problems:?}"
    );
    assert!(
        problems[2].contains("leaves the repository"),
        "{problems:?}"
    );
}

#[test]
fn the_slugs_follow_github_and_mkdocs() {
    assert_eq!(
        github_slug("auth-callback (GET /auth, /load)"),
        "auth-callback-get-auth-load"
    );
    assert_eq!(github_slug("a — b"), "a--b");
    assert_eq!(mkdocs_slug("a — b"), "a-b");
    assert_eq!(
        mkdocs_slug("3. The secrets and their JSON shapes"),
        "3-the-secrets-and-their-json-shapes"
    );
    let twice = anchors("docs/x.md", "## Notes\n\n## Notes\n");
    assert!(
        twice.contains("notes") && twice.contains("notes_1"),
        "{twice:?}"
    );
}

#[test]
fn the_variable_check_finds_an_invented_variable() {
    let page = "Set `STATE_TABLE` and `MADE_UP_VARIABLE`, `AWS_REGION` is AWS's; \
                `WebhookScopes` and `store_hash` are no variables; `PUBLIC_URL` is set.";
    assert_eq!(
        variables(page).into_iter().collect::<Vec<_>>(),
        [
            "AWS_REGION",
            "MADE_UP_VARIABLE",
            "PUBLIC_URL",
            "STATE_TABLE"
        ]
    );
    let rust = r#"let table = env.required("STATE_TABLE")?;"#;
    let deployment = "Environment:\n  Variables:\n    PUBLIC_URL: !Ref PublicUrl\n";
    assert_eq!(
        unknown_variables(page, rust, deployment),
        ["MADE_UP_VARIABLE"]
    );
    // A longer name does not make a shorter one known.
    assert_eq!(
        unknown_variables("`PUBLIC`_x `PUBLIC_UR`", rust, deployment),
        ["PUBLIC_UR"]
    );
}

#[test]
fn the_parameter_check_finds_a_missing_and_an_invented_row() {
    let page = "Text.\n\n| other | x |\n|---|---|\n| `Nope` | y |\n\n\
                | parameter | default | what |\n|---|---|---|\n\
                | `StoreHash` | required | the store |\n| `Invented` | 1 | no such |\n";
    let rows = parameter_rows(page);
    assert_eq!(rows, ["StoreHash", "Invented"]);
    let parameters: BTreeSet<String> = ["StoreHash", "AlarmEmail"].map(String::from).into();
    assert_eq!(
        parameter_problems(&rows, &parameters),
        [
            "the template's parameter AlarmEmail has no row",
            "the row Invented names no parameter of the template"
        ]
    );
}
