//! Percent-encoding as OAuth 1.0a defines it (RFC 5849 section 3.6): everything but the
//! unreserved characters. Query strings we send use the same encoding as the string we sign.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

const RFC3986_RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn percent_encode(value: &str) -> impl std::fmt::Display + '_ {
    utf8_percent_encode(value, RFC3986_RESERVED)
}

/// `key=value&...` with both sides encoded, in the order given.
pub(crate) fn query_string(params: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&format!(
            "{}={}",
            percent_encode(key),
            percent_encode(value)
        ));
    }
    out
}
