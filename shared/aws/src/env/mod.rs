//! One reader of environment variables for the settings of every function.
//!
//! Settings are read once, at cold start, through a lookup: a variable's name to its value (the
//! process environment, or a map in tests). [`Env`] wraps the lookup and reads each variable the
//! way every function reads it: text trimmed, blank as unset; numbers within bounds; durations in
//! seconds; on/off flags; one of a few words; comma-separated lists; URLs, queue URLs and table
//! names checked. A reader that finds a problem records it (naming the variable) and returns
//! `None` or the default it was given, so reading goes on; [`Env::finish`] then gives the
//! settings, or the one [`ConfigError`] naming every problem, one per variable, in the order
//! they were read: a deployment with three mistakes is fixed in one round rather than three.
//!
//! How a blank value (set, but empty or white space) counts depends on what is read, and each
//! reader says which:
//! - text ([`Env::get`], [`Env::required`], [`Env::parse`], [`Env::url`], [`Env::flag`]): a
//!   blank value is unset;
//! - numbers and words ([`Env::bounded`], [`Env::secs`], [`Env::choice`]) and lists
//!   ([`Env::list`]): a set value counts even when blank, and names no number, word or item;
//! - [`Env::raw`]: the value exactly as set.
//!
//! ```
//! use b2b_shared::env::Env;
//!
//! struct Settings {
//!     table: String,
//!     batch: i64,
//!     verbose: bool,
//! }
//!
//! fn read(env: &mut Env<'_>) -> Option<Settings> {
//!     let table = env.required("TABLE", "the table to write to");
//!     let batch = env.bounded("BATCH", 1, 100).unwrap_or(10);
//!     let verbose = env.flag("VERBOSE", false);
//!     Some(Settings { table: table?, batch, verbose })
//! }
//!
//! let lookup = |name: &str| (name == "BATCH").then(|| "0".to_owned());
//! let Err(error) = Env::read_with(lookup, read) else {
//!     panic!("two problems")
//! };
//! assert_eq!(
//!     error.to_string(),
//!     "cannot start, 2 problems in the configuration: (1) TABLE: is not set (the table to write \
//!      to); (2) BATCH: `0` is not a whole number from 1 to 100."
//! );
//! ```

mod problems;
mod values;

use std::fmt;
use std::time::Duration;

use url::Url;

pub use problems::{ConfigError, ConfigProblem, Problems};
pub use values::{
    check_queue_url, check_table_name, field_name, https_or_loopback, list_items, parse_base_url,
    whole_number, whole_seconds,
};

/// The words [`Env::flag`] accepts, in any case.
const FLAG_WORDS: Words<bool> = Words {
    words: &[
        ("on", true),
        ("true", true),
        ("1", true),
        ("off", false),
        ("false", false),
        ("0", false),
    ],
    expected: "`on` or `off`",
    any_case: true,
};

/// The words a setting may be (read by [`Env::choice`]), each standing for a value.
#[derive(Debug, Clone, Copy)]
pub struct Words<T: 'static> {
    /// Each word, and the value it stands for; in lower case when `any_case`.
    pub words: &'static [(&'static str, T)],
    /// What a refused value is not, in the problem (`flag or skip`).
    pub expected: &'static str,
    /// Whether a value is matched in any case (lower-cased first, and quoted so in the problem),
    /// or only as spelt.
    pub any_case: bool,
}

/// The process environment as a lookup (what `from_env` readers pass to `from_lookup`).
pub fn process_lookup(variable: &str) -> Option<String> {
    std::env::var(variable).ok()
}

/// A lookup over fixed `(variable, value)` pairs, for tests and tools: the first pair naming a
/// variable gives its value.
pub fn lookup_from(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'static {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(variable, value)| (variable.to_string(), value.to_string()))
        .collect();
    move |variable| {
        let pair = pairs.iter().find(|(name, _)| name == variable);
        pair.map(|(_, value)| value.clone())
    }
}

/// A lookup of environment variables: a variable's name to its value, `None` when unset.
pub type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// Environment variables read through a lookup, and every problem found in them.
pub struct Env<'a> {
    lookup: Box<Lookup<'a>>,
    problems: Problems,
}

impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl<'a> Env<'a> {
    /// A reader of the variables `lookup` gives (a name to its value), no problem found yet.
    pub fn new(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Self {
            lookup: Box::new(lookup),
            problems: Problems::default(),
        }
    }

    /// Reads settings through `lookup` with `read`, then [`finish`](Self::finish)es: what a
    /// settings type's `from_lookup` is.
    pub fn read_with<T>(
        lookup: impl Fn(&str) -> Option<String> + 'a,
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Result<T, ConfigError> {
        let mut env = Self::new(lookup);
        let value = read(&mut env);
        env.finish(value)
    }

    /// The lookup itself, for a reader that takes one rather than an [`Env`].
    pub fn lookup(&self) -> &Lookup<'a> {
        &*self.lookup
    }

    /// `variable` exactly as set (a blank value included); `None` when unset.
    pub fn raw(&self, variable: &str) -> Option<String> {
        (self.lookup)(variable)
    }

    /// `variable`, trimmed; `None` when unset or blank.
    pub fn get(&self, variable: &str) -> Option<String> {
        self.raw(variable)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// `variable`, trimmed, or `default` when it is unset or blank.
    pub fn get_or(&self, variable: &str, default: &str) -> String {
        self.get(variable).unwrap_or_else(|| default.to_owned())
    }

    /// The items of the comma-separated `variable`, trimmed, the empty ones left out; `None`
    /// when unset (a blank value is a list of nothing).
    pub fn list(&self, variable: &str) -> Option<Vec<String>> {
        let raw = self.raw(variable)?;
        Some(list_items(&raw).map(str::to_owned).collect())
    }

    /// Records `reason` as a problem of `variable`.
    pub fn problem(&mut self, variable: &'static str, reason: impl Into<String>) {
        self.problems.push(ConfigProblem {
            variable,
            reason: reason.into(),
        });
    }

    /// The value of `checked`, or `None` with its error recorded as `variable`'s problem.
    pub fn check<T>(&mut self, variable: &'static str, checked: Result<T, String>) -> Option<T> {
        checked
            .map_err(|reason| self.problem(variable, reason))
            .ok()
    }

    /// The value of another reader's `result`, or `None` with its problems recorded.
    pub fn take<T, E: Into<Vec<ConfigProblem>>>(&mut self, result: Result<T, E>) -> Option<T> {
        self.problems.take(result)
    }

    /// Reads one part of the settings with `read`: its value when it found no problem, `None`
    /// when it did (its problems recorded), as a part read by a reader of its own would be.
    pub fn whole<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let before = self.problems.len();
        let value = read(self);
        value.filter(|_| self.problems.len() == before)
    }

    /// `variable`, trimmed, which must be set: unset or blank, `is not set ({what})` is recorded.
    pub fn required(&mut self, variable: &'static str, what: &str) -> Option<String> {
        let value = self.get(variable);
        if value.is_none() {
            self.problem(variable, format!("is not set ({what})"));
        }
        value
    }

    /// `variable`, trimmed, read by `parse`; `None` when unset or blank, or refused (recorded).
    pub fn parse<T>(
        &mut self,
        variable: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.get(variable)?;
        self.check(variable, parse(&raw))
    }

    /// `variable`, trimmed, or `default` when unset or blank, read by `parse`; `None` when
    /// refused (recorded).
    pub fn parse_or<T>(
        &mut self,
        variable: &'static str,
        default: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.get_or(variable, default);
        self.check(variable, parse(&raw))
    }

    /// The endpoint URL `variable` (https, or plain http towards a loopback host: see
    /// [`https_or_loopback`]); `None` when unset or blank, or refused (recorded).
    pub fn url(&mut self, variable: &'static str) -> Option<Url> {
        self.parse(variable, https_or_loopback)
    }

    /// The whole number `variable` within `min..=max`; `None` when unset or refused (recorded;
    /// a blank value names no number, and the problem quotes the value as set).
    pub fn bounded(&mut self, variable: &'static str, min: i64, max: i64) -> Option<i64> {
        let raw = self.raw(variable)?;
        self.check(variable, whole_number(&raw, min, max))
    }

    /// The duration `variable`, a whole number of seconds within `min..=max`, read as
    /// [`bounded`](Self::bounded) is.
    pub fn secs(&mut self, variable: &'static str, min: u64, max: u64) -> Option<Duration> {
        let bound = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let secs = self.bounded(variable, bound(min), bound(max))?;
        u64::try_from(secs).ok().map(Duration::from_secs)
    }

    /// The value of the word `variable` is, trimmed, one of `words`; `None` when unset or
    /// refused (recorded: ``"`value` is not {expected}"``; a blank value is no word).
    pub fn choice<T: Copy>(&mut self, variable: &'static str, words: &Words<T>) -> Option<T> {
        let raw = self.raw(variable)?;
        let value = if words.any_case {
            raw.trim().to_ascii_lowercase()
        } else {
            raw.trim().to_owned()
        };
        let found = words.words.iter().find(|(word, _)| *word == value);
        let found = found.map(|(_, option)| *option);
        let expected = words.expected;
        self.check(
            variable,
            found.ok_or(format!("`{value}` is not {expected}")),
        )
    }

    /// The switch `variable`: `on`, `true` or `1`, `off`, `false` or `0`, in any case;
    /// `default` when unset or blank, or refused (recorded: ``"`value` is not `on` or `off`"``).
    pub fn flag(&mut self, variable: &'static str, default: bool) -> bool {
        if self.get(variable).is_none() {
            return default;
        }
        self.choice(variable, &FLAG_WORDS).unwrap_or(default)
    }

    /// The company extra field `variable` names, holding `what` (see [`field_name`]):
    /// `default` when unset, or refused (recorded; a blank value names no field).
    pub fn extra_field(&mut self, variable: &'static str, what: &str, default: &str) -> String {
        let field = extra_field_name(&self.lookup, variable, what, default);
        self.take(field).unwrap_or_else(|| default.to_owned())
    }

    /// The settings read, `value`, when no problem was recorded; otherwise every problem, in
    /// the order found. (`value` is `None` only where a problem was recorded: were it `None`
    /// without one, the error would name none.)
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ConfigError> {
        match value {
            Some(value) if self.problems.is_empty() => Ok(value),
            _ => Err(self.problems.into_error()),
        }
    }
}

/// The company extra field `variable` names (holding `what`) through `lookup`: any label of 1
/// to 255 characters the company search can carry, `default` when unset (see [`field_name`]).
pub fn extra_field_name(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    what: &str,
    default: &str,
) -> Result<String, ConfigProblem> {
    field_name(lookup(variable).as_deref(), what, default)
        .map_err(|reason| ConfigProblem { variable, reason })
}

#[cfg(test)]
mod tests;
