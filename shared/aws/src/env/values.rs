//! What a setting's value may be: the checks and parsers the settings of every function share
//! (base URLs, endpoints, queue URLs, table names, numbers within bounds, field names, lists).
//! Each takes the value as text and says what is wrong with it, without naming the variable:
//! [`Env`](super::Env) does that.

use std::net::IpAddr;

use bigcommerce_b2b::b2b::EXTRA_FIELD_SEARCH_SEPARATORS;
use url::Url;

/// Parses a BigCommerce base URL: https, or plain http only towards a loopback host.
pub fn parse_base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim_end_matches('/'))
        .map_err(|e| format!("`{raw}` is not a valid URL ({e})"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("`{raw}` has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(format!(
                "`{raw}` is not https; plain http is allowed only for a loopback host"
            ))
        }
        other => return Err(format!("`{raw}` has scheme `{other}`; expected https")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{raw}` must not carry a query or fragment"));
    }
    Ok(url)
}

/// Checks an SQS queue URL (`https://sqs.{region}.amazonaws.com/{account}/{name}`, or a local
/// stand-in's): an http(s) URL with a host and a queue name, without query or fragment.
pub fn check_queue_url(raw: &str) -> Result<(), String> {
    let url = Url::parse(raw).map_err(|e| {
        format!("`{raw}` is not a queue URL ({e}); expected https://sqs.<region>.amazonaws.com/<account>/<name>")
    })?;
    let named = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .is_some_and(|name| !name.is_empty());
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() || !named {
        return Err(format!(
            "`{raw}` is not a queue URL; expected https://sqs.<region>.amazonaws.com/<account>/<name>"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{raw}` must not carry a query or fragment"));
    }
    Ok(())
}

/// Checks a DynamoDB table name (3 to 255 letters, digits, `_`, `-` and `.`) or table ARN.
pub fn check_table_name(raw: &str) -> Result<(), String> {
    let name_ok = (3..=255).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    let arn_ok = raw.starts_with("arn:") && raw.contains(":table/") && raw.len() <= 1024;
    if name_ok || arn_ok {
        Ok(())
    } else {
        Err(format!(
            "`{raw}` is not a DynamoDB table name (3 to 255 letters, digits, `_`, `-`, `.`) or ARN"
        ))
    }
}

/// Parses an endpoint URL (token endpoints, redirect URIs): https, or plain http only towards a
/// loopback host (tests and local stand-ins).
pub fn https_or_loopback(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("`{raw}` is not a valid URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if url.host_str().is_some_and(is_loopback) => Ok(url),
        _ => Err(format!(
            "`{raw}` must be an https URL (plain http only for a loopback host)"
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Longest company extra field name a setting may give.
const MAX_FIELD_NAME_LEN: usize = 255;

/// The company extra field a setting names (holding `what`): `raw`, the value as set (`None`:
/// unset, `default` then), trimmed. Extra fields are free-text labels in B2B Edition ("Customer
/// Tax Code"), so any name of 1 to 255 characters is taken, except one holding a control
/// character or what the company search parts names with ([`EXTRA_FIELD_SEARCH_SEPARATORS`]:
/// `:` and `,`); whether the store
/// defines it is checked against the store at the first command that needs it. Set but blank is
/// refused: the variable names no field.
pub fn field_name(raw: Option<&str>, what: &str, default: &str) -> Result<String, String> {
    let Some(raw) = raw else {
        return Ok(default.to_owned());
    };
    let field = raw.trim();
    if field.is_empty() {
        return Err(format!(
            "is empty; name the company extra field holding {what} (default `{default}`), or leave the variable unset"
        ));
    }
    if field.chars().count() > MAX_FIELD_NAME_LEN {
        return Err(format!("is longer than {MAX_FIELD_NAME_LEN} characters"));
    }
    if field.chars().any(char::is_control) {
        return Err(format!(
            "{field:?} holds a control character; give the field's name as the store shows it"
        ));
    }
    if let Some(held) = field
        .chars()
        .find(|c| EXTRA_FIELD_SEARCH_SEPARATORS.contains(c))
    {
        return Err(format!(
            "`{field}` holds `{held}`, which B2B Edition's company search (`extraFields=name:value`, items separated by commas) cannot carry in a field name; rename the field in the B2B Edition control panel, or name another"
        ));
    }
    Ok(field.to_owned())
}

/// The whole number `raw` (trimmed) within `min..=max`, or why not.
pub fn whole_number(raw: &str, min: i64, max: i64) -> Result<i64, String> {
    number_within(raw, min, max, "whole number")
}

/// The whole number of seconds `raw` (trimmed) within `min..=max`, or why not (the problem says
/// "seconds").
pub fn whole_seconds(raw: &str, min: i64, max: i64) -> Result<i64, String> {
    number_within(raw, min, max, "whole number of seconds")
}

fn number_within(raw: &str, min: i64, max: i64, kind: &str) -> Result<i64, String> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("`{raw}` is not a {kind} from {min} to {max}")),
    }
}

/// The items of a comma-separated list, trimmed, the empty ones left out.
pub fn list_items(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_is_allowed_for_the_sandbox() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9/",
        ] {
            assert!(parse_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1",
            "http://api.bigcommerce.com",
            "not a url",
            "https://x/?a=1",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_are_whole_and_within_their_bounds_and_a_refusal_quotes_the_value() {
        assert_eq!(whole_number(" 7 ", 1, 10), Ok(7));
        assert_eq!(whole_number("10", 1, 10), Ok(10));
        assert_eq!(
            whole_number(" 11", 1, 10),
            Err("` 11` is not a whole number from 1 to 10".to_owned())
        );
        assert!(whole_number("1.5", 1, 10).is_err());
        assert!(whole_number("", 0, 10).is_err());
        assert_eq!(
            whole_seconds("ten", 1, 60),
            Err("`ten` is not a whole number of seconds from 1 to 60".to_owned())
        );
    }

    #[test]
    fn a_field_name_defaults_when_unset_and_is_refused_when_blank_or_odd() {
        assert_eq!(field_name(None, "x", "dflt"), Ok("dflt".to_owned()));
        assert_eq!(
            field_name(Some(" erp_id "), "x", "dflt"),
            Ok("erp_id".to_owned())
        );
        let blank = field_name(Some("  "), "the external id", "external_id").unwrap_err();
        assert!(blank.starts_with("is empty; name the company extra field holding the external id (default `external_id`)"), "{blank}");
        assert!(field_name(Some(&"x".repeat(256)), "x", "d")
            .unwrap_err()
            .contains("255"));
    }

    #[test]
    fn a_field_name_is_any_label_a_store_gives_its_extra_fields() {
        // B2B Edition's extra fields are free-text labels: BigCommerce's own example store has
        // only "Customer Tax Code".
        for label in [
            "Customer Tax Code",
            "FinTech Enabled",
            "a.b",
            "Código ERP",
            "N° client (ERP)",
        ] {
            assert_eq!(field_name(Some(label), "x", "d"), Ok(label.to_owned()));
        }
        assert_eq!(
            field_name(Some("  Customer Tax Code "), "x", "d"),
            Ok("Customer Tax Code".to_owned())
        );
    }

    #[test]
    fn a_field_name_the_company_search_cannot_carry_is_refused() {
        // `GET /companies?extraFields=name:value` (comma-separated items): a name holding `:` or
        // `,` cannot be told from its value or from the next item.
        for (name, held) in [("Tax:Code", "`:`"), ("Tax, Code", "`,`")] {
            let problem = field_name(Some(name), "x", "d").unwrap_err();
            assert!(problem.contains(held), "{name}: {problem}");
            assert!(problem.contains("extraFields"), "{name}: {problem}");
        }
        assert!(field_name(Some("tax\tcode"), "x", "d")
            .unwrap_err()
            .contains("control character"));
    }

    #[test]
    fn list_items_are_trimmed_and_the_empty_ones_left_out() {
        assert_eq!(
            list_items(" a, b ,,c,").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(list_items("  ").count(), 0);
    }

    #[test]
    fn queue_urls_table_names_and_endpoints() {
        assert!(check_queue_url("https://sqs.us-east-1.amazonaws.com/1/q").is_ok());
        assert!(check_queue_url("http://127.0.0.1:9/1/q.fifo").is_ok());
        for bad in ["q", "https://sqs/", "ftp://x/q", "https://sqs/q?x=1"] {
            assert!(check_queue_url(bad).is_err(), "{bad}");
        }
        assert!(check_table_name("state").is_ok());
        assert!(check_table_name("arn:aws:dynamodb:us-east-1:1:table/state").is_ok());
        assert!(check_table_name("a table").is_err());
        assert!(check_table_name("ab").is_err());
        assert!(https_or_loopback("https://x.example/token").is_ok());
        assert!(https_or_loopback("http://localhost:9/token").is_ok());
        assert!(https_or_loopback("http://x.example/token").is_err());
    }
}
