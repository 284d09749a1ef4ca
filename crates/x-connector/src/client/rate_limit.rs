//! X's rate-limit headers, carried as data on every answer (R-INGEST-2).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// `x-rate-limit-limit`, `x-rate-limit-remaining` and `x-rate-limit-reset` of one answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in the current window.
    pub limit: u64,
    /// Requests left in the current window.
    pub remaining: u64,
    /// When the window resets, in seconds since the Unix epoch.
    pub reset: u64,
}

impl RateLimit {
    /// Reads the three headers; `None` when any is absent or not a number.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        Some(RateLimit {
            limit: header_u64(headers, "x-rate-limit-limit")?,
            remaining: header_u64(headers, "x-rate-limit-remaining")?,
            reset: header_u64(headers, "x-rate-limit-reset")?,
        })
    }

    pub fn reset_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.reset)
    }

    pub fn is_exhausted(&self) -> bool {
        self.remaining == 0
    }
}

pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// A successful answer from X: the decoded value and the rate-limit state after the call.
#[derive(Clone, Debug)]
pub struct XResponse<T> {
    pub value: T,
    pub rate_limit: Option<RateLimit>,
}

impl<T> XResponse<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> XResponse<U> {
        XResponse {
            value: f(self.value),
            rate_limit: self.rate_limit,
        }
    }
}
