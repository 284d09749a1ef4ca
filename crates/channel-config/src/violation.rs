//! Violations: what a request got wrong, located by JSON pointer, all of them at once.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

/// One broken rule, located in the request body.
///
/// `message` is meant for a human and never repeats a credential value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Violation {
    /// JSON pointer into the request body, e.g. `/workTime/workday/1/end`.
    pub pointer: String,
    /// Stable snake_case code a client can program against, e.g. `too_long`.
    pub code: String,
    /// Plain English explanation.
    pub message: String,
}

impl Violation {
    /// A violation at `pointer` (relative to whatever is being parsed).
    pub fn new(pointer: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// The same violation seen from a parent: `prefix` is put in front of the pointer.
    #[must_use]
    pub fn under(mut self, prefix: &str) -> Self {
        self.pointer.insert_str(0, prefix);
        self
    }
}

/// Every violation found in one request; never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// The violations, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &Violation> {
        self.0.iter()
    }

    /// Whether some violation sits at `pointer` with `code` (handy in tests and callers).
    pub fn contains(&self, pointer: &str, code: &str) -> bool {
        self.0
            .iter()
            .any(|v| v.pointer == pointer && v.code == code)
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} violation(s):", self.0.len())?;
        for v in &self.0 {
            write!(f, " {} [{}] {};", v.pointer, v.code, v.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

impl From<Vec<Violation>> for Violations {
    fn from(v: Vec<Violation>) -> Self {
        Self(v)
    }
}

/// Gathers the outcome of parsing many fields so that every failure is kept.
#[derive(Default)]
pub(crate) struct Collector {
    violations: Vec<Violation>,
}

impl Collector {
    /// Keeps the value, or records its violations under `prefix`.
    pub(crate) fn take<T>(&mut self, prefix: &str, result: Result<T, Vec<Violation>>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(found) => {
                self.violations
                    .extend(found.into_iter().map(|v| v.under(prefix)));
                None
            }
        }
    }

    /// Records one violation directly.
    pub(crate) fn push(&mut self, violation: Violation) {
        self.violations.push(violation);
    }

    /// `Err` with everything recorded, or `Ok` when nothing was.
    pub(crate) fn finish(self) -> Result<(), Vec<Violation>> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(self.violations)
        }
    }

    /// Everything recorded so far (used when some field could not be built).
    pub(crate) fn into_violations(self) -> Vec<Violation> {
        self.violations
    }
}

/// Number of Unicode scalar values: the unit every length rule counts in.
pub(crate) fn char_len(s: &str) -> usize {
    s.chars().count()
}
