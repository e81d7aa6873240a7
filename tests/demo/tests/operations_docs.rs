//! The operations pages and the template's dashboard tell the truth:
//!
//! - `docs/operations/runbooks.md` has a section for every alarm `infra/template.yaml` creates
//!   (under any parameters), each saying what it means, what to look at and what to do, and no
//!   section for an alarm the template lacks;
//! - every metric a dashboard widget names in the toolkit's namespace is one the code emits,
//!   with dimensions the emitting code sets and values it writes (`AWS/*` metrics excepted);
//! - the dashboard shows commands by outcome, dead letters, queue age and rate-limit waits
//!   beside the business KPIs;
//! - `docs/cost.md` adds up: its per-service figures sum to its total, in the table and in the
//!   section headings.
//!
//! Their links and anchors are checked with every other page's by `docs.rs`.

mod cfn;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cfn::{root, template};
use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// ------------------------------------------------------------------------------- runbooks

/// The logical ids of every alarm in the template, whatever its condition.
fn template_alarms() -> BTreeSet<String> {
    template()["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|(k, _)| k.as_str().unwrap().to_owned())
        .collect()
}

/// The runbook's sections: the first backticked word of each `##` heading, and its text.
fn runbook_sections() -> BTreeMap<String, String> {
    let text = read("docs/operations/runbooks.md");
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if line.starts_with("## ") {
            if let Some((k, v)) = current.take() {
                out.insert(k, v);
            }
            let id = line.split('`').nth(1).unwrap_or_default().to_owned();
            current = Some((id, String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    if let Some((k, v)) = current {
        out.insert(k, v);
    }
    out
}

#[test]
fn every_alarm_the_template_creates_has_a_runbook_section() {
    let sections = runbook_sections();
    let alarms = template_alarms();
    assert!(alarms.len() >= 10, "{alarms:?}");
    for alarm in &alarms {
        let body = sections
            .get(alarm)
            .unwrap_or_else(|| panic!("docs/operations/runbooks.md has no `## `{alarm}`` section"));
        for part in ["**What it means.**", "**Look at.**", "**Do.**"] {
            assert!(body.contains(part), "the runbook of {alarm} lacks {part}");
        }
    }
    for id in sections.keys().filter(|id| id.ends_with("Alarm")) {
        assert!(
            alarms.contains(id),
            "the runbook has a section for {id}, which the template does not create"
        );
    }
}

// ------------------------------------------------------------------------------- metrics

/// What the code emits, read from its source: the namespace, every metric name with the
/// CamelCase literals (dimension names) of the files that emit it, and every string literal
/// (dimension values).
struct Emitted {
    namespace: String,
    metrics: BTreeMap<String, BTreeSet<String>>,
    literals: BTreeSet<String>,
}

/// The string literals of `code` (escapes are kept as written).
fn literals(code: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let mut end = 0;
        let bytes = after.as_bytes();
        while end < bytes.len() && bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        let end = end.min(after.len());
        out.push(&after[..end]);
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out
}

fn camel(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !["tests", "benches", "examples", "target"].contains(&name.as_str()) {
                rust_sources(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn emitted() -> Emitted {
    let mut files = Vec::new();
    rust_sources(&root().join("shared"), &mut files);
    rust_sources(&root().join("functions"), &mut files);
    let mut metrics: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut all = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // The code, without its unit tests (which emit made-up metrics).
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        all.extend(literals(code).into_iter().map(str::to_owned));
        if !code.contains("emit_metrics") {
            continue;
        }
        let mut names = BTreeSet::new();
        for (i, _) in code
            .match_indices("name: \"")
            .chain(code.match_indices("Some(\""))
        {
            let lit = code[i..].split('"').nth(1).unwrap_or_default();
            if camel(lit) {
                names.insert(lit.to_owned());
            }
        }
        let dims: BTreeSet<String> = literals(code)
            .into_iter()
            .filter(|l| camel(l))
            .map(str::to_owned)
            .collect();
        for name in names {
            metrics
                .entry(name)
                .or_default()
                .extend(dims.iter().cloned());
        }
    }
    let telemetry = read("shared/aws/src/telemetry.rs");
    let namespace = telemetry
        .split("METRIC_NAMESPACE: &str = \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("METRIC_NAMESPACE in shared/aws/src/telemetry.rs")
        .to_owned();
    Emitted {
        namespace,
        metrics,
        literals: all,
    }
}

/// One metric a widget names: namespace, name, dimensions (value `None` when any).
#[derive(Debug)]
struct Named {
    namespace: String,
    name: String,
    dimensions: Vec<(String, Option<String>)>,
}

/// The metrics of a `SEARCH('{Namespace,Dim,...} MetricName="X" Dim="v"', ...)` expression.
fn searched(expression: &str) -> Vec<Named> {
    let mut out = Vec::new();
    for search in expression.split("SEARCH('").skip(1) {
        let query = search.split('\'').next().unwrap_or_default();
        let schema = query
            .strip_prefix('{')
            .and_then(|q| q.split('}').next())
            .unwrap_or_else(|| panic!("a SEARCH without a schema: {query}"));
        let mut schema = schema.split(',').map(str::trim);
        let namespace = schema.next().unwrap_or_default().to_owned();
        let mut dimensions: Vec<(String, Option<String>)> =
            schema.map(|d| (d.to_owned(), None)).collect();
        let mut name = String::new();
        let filters = query.split('}').nth(1).unwrap_or_default();
        for filter in filters.split_whitespace() {
            let (key, value) = filter
                .split_once('=')
                .unwrap_or_else(|| panic!("a SEARCH term that is no Key=\"value\": {filter}"));
            let value = value.trim_matches('"').to_owned();
            if key == "MetricName" {
                name = value;
            } else {
                match dimensions.iter_mut().find(|(d, _)| d == key) {
                    Some((_, v)) => *v = Some(value),
                    None => dimensions.push((key.to_owned(), Some(value))),
                }
            }
        }
        out.push(Named {
            namespace,
            name,
            dimensions,
        });
    }
    out
}

/// Every metric the widgets of a dashboard body name.
fn named_metrics(body: &Value) -> Vec<Named> {
    let mut out = Vec::new();
    for widget in body["widgets"].as_array().unwrap() {
        let Some(rows) = widget["properties"]["metrics"].as_array() else {
            continue;
        };
        for row in rows {
            let row = row.as_array().unwrap();
            if let Some(expression) = row[0]["expression"].as_str() {
                out.extend(searched(expression));
                continue;
            }
            let texts: Vec<&str> = row.iter().map_while(Value::as_str).collect();
            assert!(
                texts.len() >= 2 && texts.len().is_multiple_of(2),
                "a metric row that is no namespace, name and dimension pairs: {row:?}"
            );
            out.push(Named {
                namespace: texts[0].to_owned(),
                name: texts[1].to_owned(),
                dimensions: texts[2..]
                    .chunks(2)
                    .map(|p| (p[0].to_owned(), Some(p[1].to_owned())))
                    .collect(),
            });
        }
    }
    out
}

/// What is wrong with the metrics a dashboard body names, given what the code emits.
fn metric_problems(body: &Value, code: &Emitted) -> Vec<String> {
    let mut problems = Vec::new();
    for m in named_metrics(body) {
        if m.namespace.starts_with("AWS/") {
            continue;
        }
        if m.namespace != code.namespace {
            problems.push(format!("{}: namespace {} is not ours", m.name, m.namespace));
            continue;
        }
        let Some(dims) = code.metrics.get(&m.name) else {
            problems.push(format!("{}: the code emits no such metric", m.name));
            continue;
        };
        for (dim, value) in &m.dimensions {
            if !dims.contains(dim) {
                problems.push(format!("{}: the code never sets dimension {dim}", m.name));
            }
            let fixed = value.as_deref().filter(|v| !v.starts_with("${"));
            if let Some(v) = fixed.filter(|v| !code.literals.contains(*v)) {
                problems.push(format!("{}: the code never writes {dim} = {v}", m.name));
            }
        }
    }
    problems
}

/// The dashboard's body (its `!Sub` text: `${...}` stands inside JSON strings, so it parses).
fn dashboard_body() -> Value {
    let t = template();
    let dashboards: Vec<&serde_norway::Value> = t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::CloudWatch::Dashboard"))
        .collect();
    assert_eq!(dashboards.len(), 1);
    let body = match &dashboards[0]["Properties"]["DashboardBody"] {
        serde_norway::Value::Tagged(t) => t.value.as_str().unwrap().to_owned(),
        other => other.as_str().unwrap().to_owned(),
    };
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("the dashboard body: {e}"))
}

#[test]
fn every_dashboard_metric_is_one_the_code_emits() {
    let code = emitted();
    // The scan finds what the code is known to emit.
    for known in [
        "Commands",
        "OrdersExported",
        "TokenValid",
        "RateLimitWaitMs",
    ] {
        assert!(
            code.metrics.contains_key(known),
            "{:?}",
            code.metrics.keys()
        );
    }
    let problems = metric_problems(&dashboard_body(), &code);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_metric_check_refuses_what_the_code_does_not_emit() {
    let body = serde_json::json!({"widgets": [{"type": "metric", "properties": {"metrics": [
        ["B2BEditionToolkit", "OrdersShipped", "Function", "order-export"],
        ["B2BEditionToolkit", "AccountActivationSeconds", "Function", "upsert-worker", "Store", "${StoreHash}"],
        ["B2BEditionToolkit", "OrdersExported", "Function", "order-exporter"],
        ["Custom/Elsewhere", "OrdersExported"],
        [{"expression": "SUM(SEARCH('{B2BEditionToolkit,Function,Kind,Outcome} MetricName=\"Commands\" Outcome=\"lost\"', 'Sum', 300))", "id": "lost"}],
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "${InboundQueue.QueueName}"]
    ]}}]});
    let problems = metric_problems(&body, &emitted());
    assert_eq!(
        problems,
        [
            "OrdersShipped: the code emits no such metric",
            "AccountActivationSeconds: the code never sets dimension Store",
            "OrdersExported: the code never writes Function = order-exporter",
            "OrdersExported: namespace Custom/Elsewhere is not ours",
            "Commands: the code never writes Outcome = lost",
        ],
        "{problems:#?}"
    );
}

#[test]
fn the_dashboard_shows_commands_dead_letters_queue_age_and_rate_limit_waits() {
    let named = named_metrics(&dashboard_body());
    let has = |namespace: &str, name: &str, dim: (&str, &str)| {
        named.iter().any(|m| {
            m.namespace == namespace
                && m.name == name
                && m.dimensions
                    .iter()
                    .any(|(d, v)| d == dim.0 && v.as_deref() == Some(dim.1))
        })
    };
    for outcome in ["created", "updated", "unchanged", "dead_lettered", "failed"] {
        assert!(
            has("B2BEditionToolkit", "Commands", ("Outcome", outcome)),
            "no Commands with Outcome {outcome} on the dashboard"
        );
    }
    // Dead letters waiting, and the age of the oldest message on every queue.
    let dead_letter_queues = ["InboundDeadLetterQueue", "OutboundDeadLetterQueue"];
    let every_queue = [
        "InboundQueue",
        "OutboundQueue",
        dead_letter_queues[0],
        dead_letter_queues[1],
    ];
    let sqs_figures = [
        (
            "ApproximateNumberOfMessagesVisible",
            &dead_letter_queues[..],
        ),
        ("ApproximateAgeOfOldestMessage", &every_queue[..]),
    ];
    for (metric, queues) in sqs_figures {
        for queue in queues {
            let name = format!("${{{queue}.QueueName}}");
            assert!(
                has("AWS/SQS", metric, ("QueueName", &name)),
                "no {metric} of {queue} on the dashboard"
            );
        }
    }
    for metric in ["RateLimitWaitMs", "RateLimited"] {
        assert!(
            has("B2BEditionToolkit", metric, ("Function", "upsert-worker")),
            "no {metric}"
        );
    }
    // Beside the business KPIs, which stay.
    for kpi in [
        "OrdersExported",
        "ExportLagSeconds",
        "QuoteToOrderConversion",
    ] {
        assert!(named.iter().any(|m| m.name == kpi), "no {kpi}");
    }
}

// ------------------------------------------------------------------------------- cost

/// Dollars as cents: `$1,234.56` → 123456.
fn cents(text: &str) -> Option<u64> {
    let amount = text
        .trim()
        .trim_matches('*')
        .strip_prefix('$')?
        .replace(',', "");
    let (whole, fraction) = amount.split_once('.')?;
    Some(whole.parse::<u64>().ok()? * 100 + fraction.parse::<u64>().ok()?)
}

#[test]
fn the_cost_page_adds_up() {
    let page = read("docs/cost.md");
    let total_section = page.split("\n## Total\n").nth(1).expect("a Total section");
    let mut services = 0;
    let mut total = None;
    for row in total_section.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (name, amount) = (cells[1], cents(cells[2]));
        match (name, amount) {
            ("**Total**", Some(c)) => total = Some(c),
            (_, Some(c)) => services += c,
            _ => {}
        }
    }
    let total = total.expect("a **Total** row");
    assert_eq!(
        services, total,
        "the services add up to {services} cents, not {total}"
    );
    // Each service's section says the figure the table gives it.
    let headings: u64 = page
        .lines()
        .filter(|l| l.starts_with("### "))
        .filter_map(|l| l.rsplit(": ").next().and_then(cents))
        .sum();
    assert_eq!(
        headings, total,
        "the section headings add up to {headings} cents"
    );
}
