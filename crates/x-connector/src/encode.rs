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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_byte_but_the_unreserved_characters_as_upper_case_hex() {
        assert_eq!(percent_encode("AZaz09-._~").to_string(), "AZaz09-._~");
        assert_eq!(percent_encode("!*'()").to_string(), "%21%2A%27%28%29");
        assert_eq!(percent_encode("a b+c").to_string(), "a%20b%2Bc");
        assert_eq!(
            percent_encode("/:=&%?#@").to_string(),
            "%2F%3A%3D%26%25%3F%23%40"
        );
        assert_eq!(percent_encode("é☃").to_string(), "%C3%A9%E2%98%83");
    }

    #[test]
    fn a_query_string_encodes_names_and_values_as_the_signature_does_in_the_order_given() {
        let params = [
            ("z b", "1 + 1".to_owned()),
            ("a", "~!*'()/:=&é".to_owned()),
            ("a", String::new()),
        ];
        assert_eq!(
            query_string(&params),
            "z%20b=1%20%2B%201&a=~%21%2A%27%28%29%2F%3A%3D%26%C3%A9&a="
        );
        assert_eq!(query_string(&[]), "");
    }
}
