//! Tests of the environment reader; test-only (`#[cfg(test)] mod tests` in `mod.rs`).

use std::time::Duration;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Env<'static> {
    Env::new(lookup_from(pairs))
}

/// The problems recorded so far, as `VARIABLE: reason`.
fn problems(env: Env<'_>) -> Vec<String> {
    match env.finish(None::<()>) {
        Ok(()) => Vec::new(),
        Err(e) => e
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.variable, p.reason))
            .collect(),
    }
}

#[test]
fn text_is_trimmed_and_blank_is_unset_but_raw_keeps_it() {
    let e = env(&[("A", "  x  "), ("BLANK", "  ")]);
    assert_eq!(e.get("A").as_deref(), Some("x"));
    assert_eq!(e.get("BLANK"), None);
    assert_eq!(e.get("UNSET"), None);
    assert_eq!(e.raw("BLANK").as_deref(), Some("  "));
    assert_eq!(e.raw("A").as_deref(), Some("  x  "));
    assert_eq!(e.get_or("BLANK", "dflt"), "dflt");
    assert_eq!(e.get_or("A", "dflt"), "x");
    assert_eq!(e.lookup()("A").as_deref(), Some("  x  "));
    assert!(problems(e).is_empty());
}

#[test]
fn a_lookup_from_pairs_gives_the_first_value_of_a_variable() {
    let lookup = lookup_from(&[("A", "1"), ("B", " "), ("A", "2")]);
    assert_eq!(lookup("A").as_deref(), Some("1"));
    assert_eq!(lookup("B").as_deref(), Some(" "));
    assert_eq!(lookup("C"), None);
}

#[test]
fn a_required_variable_names_what_it_is_for() {
    let mut e = env(&[("SET", " v "), ("BLANK", "")]);
    assert_eq!(e.required("SET", "a thing").as_deref(), Some("v"));
    assert_eq!(e.required("BLANK", "the blank one"), None);
    assert_eq!(e.required("UNSET", "the unset one"), None);
    assert_eq!(
        problems(e),
        [
            "BLANK: is not set (the blank one)",
            "UNSET: is not set (the unset one)"
        ]
    );
}

#[test]
fn bounded_numbers_count_a_blank_value_and_quote_the_value_as_set() {
    let mut e = env(&[
        ("OK", " 5 "),
        ("LOW", "0"),
        ("WORD", " ten "),
        ("BLANK", ""),
    ]);
    assert_eq!(e.bounded("OK", 1, 10), Some(5));
    assert_eq!(e.bounded("UNSET", 1, 10), None);
    assert_eq!(e.bounded("LOW", 1, 10), None);
    assert_eq!(e.bounded("WORD", 1, 10), None);
    assert_eq!(e.bounded("BLANK", 1, 10), None);
    assert_eq!(
        problems(e),
        [
            "LOW: `0` is not a whole number from 1 to 10",
            "WORD: ` ten ` is not a whole number from 1 to 10",
            "BLANK: `` is not a whole number from 1 to 10"
        ]
    );
}

#[test]
fn seconds_are_durations_within_bounds() {
    let mut e = env(&[("ZERO", "0"), ("MAX", "3600"), ("OVER", "3601")]);
    assert_eq!(e.secs("ZERO", 0, 3600), Some(Duration::ZERO));
    assert_eq!(e.secs("MAX", 0, 3600), Some(Duration::from_secs(3600)));
    assert_eq!(e.secs("OVER", 0, 3600), None);
    assert_eq!(e.secs("UNSET", 0, 3600), None);
    assert_eq!(
        problems(e),
        ["OVER: `3601` is not a whole number from 0 to 3600"]
    );
}

#[test]
fn flags_are_on_or_off_in_any_case_and_blank_is_the_default() {
    let on = [("A", "on"), ("B", " TRUE "), ("C", "1")];
    let off = [("D", "Off"), ("E", "false"), ("F", "0")];
    let mut e = env(&[on.as_slice(), off.as_slice(), &[("BLANK", " ")]].concat());
    for (name, _) in on {
        assert!(e.flag(name, false), "{name}");
    }
    for (name, _) in off {
        assert!(!e.flag(name, true), "{name}");
    }
    assert!(e.flag("BLANK", true));
    assert!(!e.flag("UNSET", false));
    assert!(problems(e).is_empty());
    let mut e = env(&[("MAYBE", " Maybe ")]);
    assert!(e.flag("MAYBE", true));
    assert_eq!(problems(e), ["MAYBE: `maybe` is not `on` or `off`"]);
}

#[test]
fn a_choice_is_one_of_its_words_as_spelt_or_in_any_case() {
    const EXACT: Words<u8> = Words {
        words: &[("flag", 1), ("skip", 2)],
        expected: "flag or skip",
        any_case: false,
    };
    const ANY_CASE: Words<u8> = Words {
        expected: "one of flag, skip",
        any_case: true,
        ..EXACT
    };
    let mut e = env(&[("A", " skip "), ("B", "Skip"), ("C", ""), ("D", "SKIP")]);
    assert_eq!(e.choice("A", &EXACT), Some(2));
    assert_eq!(e.choice("B", &EXACT), None);
    assert_eq!(e.choice("C", &EXACT), None);
    assert_eq!(e.choice("UNSET", &EXACT), None);
    assert_eq!(e.choice("D", &ANY_CASE), Some(2));
    assert_eq!(e.choice("B", &ANY_CASE), Some(2));
    assert_eq!(
        problems(e),
        ["B: `Skip` is not flag or skip", "C: `` is not flag or skip"]
    );
    let mut e = env(&[("X", " NOPE ")]);
    assert_eq!(e.choice("X", &ANY_CASE), None);
    assert_eq!(problems(e), ["X: `nope` is not one of flag, skip"]);
}

#[test]
fn lists_are_split_on_commas_and_blank_is_a_list_of_nothing() {
    let e = env(&[("L", " a, b ,,c"), ("BLANK", " ")]);
    assert_eq!(e.list("L").unwrap(), ["a", "b", "c"]);
    assert_eq!(e.list("BLANK").unwrap(), Vec::<String>::new());
    assert_eq!(e.list("UNSET"), None);
}

#[test]
fn urls_and_parsed_values_record_their_problem() {
    let mut e = env(&[
        ("GOOD", " https://x.example/a "),
        ("PLAIN", "http://x.example/a"),
        ("BLANK", ""),
    ]);
    assert_eq!(
        e.url("GOOD").map(String::from).as_deref(),
        Some("https://x.example/a")
    );
    assert_eq!(e.url("PLAIN"), None);
    assert_eq!(e.url("BLANK"), None);
    let default = e.parse_or("UNSET", "http://127.0.0.1:9", https_or_loopback);
    assert_eq!(
        default.map(String::from).as_deref(),
        Some("http://127.0.0.1:9/")
    );
    assert_eq!(e.parse("GOOD", |v| Ok(v.len())), Some(19));
    assert_eq!(e.parse("GOOD", |_| Err::<(), _>("no".into())), None);
    assert_eq!(
        problems(e),
        [
            "PLAIN: `http://x.example/a` must be an https URL (plain http only for a loopback host)",
            "GOOD: no"
        ]
    );
}

#[test]
fn extra_fields_default_when_unset_and_refuse_a_blank_name() {
    let mut e = env(&[
        ("F", " erp_id "),
        ("BLANK", " "),
        ("BAD", "a:b"),
        ("LABEL", "Customer Tax Code"),
    ]);
    assert_eq!(e.extra_field("F", "the id", "external_id"), "erp_id");
    assert_eq!(
        e.extra_field("LABEL", "the id", "external_id"),
        "Customer Tax Code"
    );
    assert_eq!(
        e.extra_field("UNSET", "the id", "external_id"),
        "external_id"
    );
    assert_eq!(
        e.extra_field("BLANK", "the id", "external_id"),
        "external_id"
    );
    assert_eq!(e.extra_field("BAD", "the id", "external_id"), "external_id");
    let found = problems(e);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("BLANK: is empty;"), "{found:?}");
    assert!(found[1].starts_with("BAD: `a:b` holds `:`"), "{found:?}");
}

#[test]
fn problems_of_other_readers_and_checks_are_kept_in_order() {
    let mut e = env(&[]);
    e.problem("FIRST", "one");
    assert_eq!(e.check("SECOND", Err::<(), _>("two".into())), None);
    assert_eq!(e.check("OK", Ok::<_, String>(3)), Some(3));
    let other: Result<(), Vec<ConfigProblem>> = Err(vec![ConfigProblem {
        variable: "THIRD",
        reason: "three".into(),
    }]);
    assert_eq!(e.take(other), None);
    assert_eq!(e.take(Ok::<_, ConfigProblem>(4)), Some(4));
    assert_eq!(problems(e), ["FIRST: one", "SECOND: two", "THIRD: three"]);
}

#[test]
fn a_whole_part_is_none_when_it_found_a_problem() {
    let mut e = env(&[("N", "x")]);
    assert_eq!(e.whole(|_| Some(1)), Some(1));
    assert_eq!(e.whole(|e| Some(e.bounded("N", 1, 2))), None);
    e.problem("EARLIER", "counts for the part before it only");
    assert_eq!(e.whole(|_| Some(2)), Some(2));
    assert_eq!(problems(e).len(), 2);
}

#[test]
fn finish_gives_the_value_only_without_problems() {
    assert_eq!(env(&[]).finish(Some(7)).unwrap(), 7);
    let mut e = env(&[]);
    e.problem("X", "bad");
    let err = e.finish(Some(7)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot start, 1 problem in the configuration: (1) X: bad."
    );
    let read = Env::read_with(|_| Some(" 4 ".to_owned()), |e| e.bounded("N", 1, 9));
    assert_eq!(read.unwrap(), 4);
}
