//! What is wrong with a function's settings: one [`ConfigProblem`] per variable, collected
//! into the one [`ConfigError`] a function that cannot start reports.

use std::fmt;

use super::values::whole_number;

/// One missing or malformed variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The environment variable concerned.
    pub variable: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigProblem {
    /// The whole number `raw` of `variable`, within `min..=max`, or the problem with it.
    pub fn bounded(variable: &'static str, raw: &str, min: i64, max: i64) -> Result<i64, Self> {
        whole_number(raw, min, max).map_err(|reason| ConfigProblem { variable, reason })
    }
}

/// The problems of one function's settings, collected from every reader (the common
/// [`Config`](crate::Config) and the function's own), so that all of them are reported at once;
/// [`Env`](super::Env) keeps its problems in one.
#[derive(Debug, Default)]
pub struct Problems(Vec<ConfigProblem>);

impl Problems {
    /// The value of `result`, or `None` with its problems kept.
    pub fn take<T, E: Into<Vec<ConfigProblem>>>(&mut self, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.0.extend(e.into())).ok()
    }

    /// Keeps one problem.
    pub fn push(&mut self, problem: ConfigProblem) {
        self.0.push(problem);
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems found, as the error a function refuses to start with.
    pub fn into_error(self) -> ConfigError {
        ConfigError { problems: self.0 }
    }
}

impl From<ConfigError> for Vec<ConfigProblem> {
    fn from(e: ConfigError) -> Self {
        e.problems
    }
}

impl From<ConfigProblem> for Vec<ConfigProblem> {
    fn from(p: ConfigProblem) -> Self {
        vec![p]
    }
}

/// Every configuration problem found, reported together.
///
/// Its `Debug` form is one line naming each problem, because that is what a `main` returning
/// the error prints (and what the function's log shows) when it cannot start; `{:#?}` shows the
/// fields.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in the order the variables are read.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("ConfigError")
                .field("problems", &self.problems)
                .finish();
        }
        fmt::Display::fmt(self, f)
    }
}

/// One line naming every problem: what a function that cannot start logs.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        let plural = if n == 1 { "" } else { "s" };
        write!(f, "cannot start, {n} problem{plural} in the configuration:")?;
        for (i, p) in self.problems.iter().enumerate() {
            let sep = if i == 0 { "" } else { ";" };
            let reason = p.reason.replace(['\n', '\r'], " ");
            write!(f, "{sep} ({}) {}: {reason}", i + 1, p.variable)?;
        }
        write!(f, ".")
    }
}
