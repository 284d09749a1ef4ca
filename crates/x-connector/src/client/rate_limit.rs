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

    /// `x-rate-limit-reset` alone: X may send it on a 429 without the other two, and the
    /// reset time is what the caller needs then.
    pub fn reset_from_headers(headers: &HeaderMap) -> Option<u64> {
        header_u64(headers, "x-rate-limit-reset")
    }

    pub fn reset_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.reset)
    }

    pub fn is_exhausted(&self) -> bool {
        self.remaining == 0
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
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

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::RateLimit;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn all_three_headers_make_a_rate_limit_and_a_reset() {
        let all = headers(&[
            ("x-rate-limit-limit", "300"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1700000900"),
        ]);
        assert_eq!(
            RateLimit::from_headers(&all),
            Some(RateLimit {
                limit: 300,
                remaining: 0,
                reset: 1_700_000_900
            })
        );
        assert_eq!(RateLimit::reset_from_headers(&all), Some(1_700_000_900));
    }

    #[test]
    fn the_reset_alone_is_read_without_a_rate_limit() {
        let reset_only = headers(&[("x-rate-limit-reset", " 1700000900 ")]);
        assert_eq!(RateLimit::from_headers(&reset_only), None);
        assert_eq!(
            RateLimit::reset_from_headers(&reset_only),
            Some(1_700_000_900)
        );
    }

    #[test]
    fn a_reset_that_is_not_a_number_is_no_reset() {
        assert_eq!(
            RateLimit::reset_from_headers(&headers(&[("x-rate-limit-reset", "soon")])),
            None
        );
        assert_eq!(RateLimit::reset_from_headers(&HeaderMap::new()), None);
    }
}
