//! The fake X's own OAuth 1.0a verification, written from RFC 5849 without the connector's
//! signer, so a bug shared by both cannot pass unnoticed.

use std::collections::BTreeMap;

use base64::Engine as _;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use ring::hmac;

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED).to_string()
}

fn decode(value: &str) -> String {
    percent_decode_str(value).decode_utf8_lossy().into_owned()
}

/// `application/x-www-form-urlencoded` pairs, decoded (`+` is a space there).
pub fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                decode(&key.replace('+', " ")),
                decode(&value.replace('+', " ")),
            )
        })
        .collect()
}

/// The `oauth_*` parameters of an `Authorization: OAuth ...` header, decoded.
pub fn parse_authorization(header: &str) -> Option<BTreeMap<String, String>> {
    let rest = header.strip_prefix("OAuth ")?;
    let mut params = BTreeMap::new();
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        let value = value.strip_prefix('"')?.strip_suffix('"')?;
        params.insert(key.to_owned(), decode(value));
    }
    Some(params)
}

/// RFC 5849 section 3.4.1: method, base URI and the sorted, encoded parameters.
pub fn base_string(
    method: &str,
    base_uri: &str,
    request_params: &[(String, String)],
    oauth: &BTreeMap<String, String>,
) -> String {
    let mut pairs: Vec<(String, String)> = request_params
        .iter()
        .map(|(k, v)| (k, v))
        .chain(
            oauth
                .iter()
                .filter(|(k, _)| k.as_str() != "oauth_signature" && k.as_str() != "realm"),
        )
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    pairs.sort();
    let normalized = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(base_uri),
        encode(&normalized)
    )
}

/// Why the fake X refused an OAuth 1.0a request; shown in the 401 detail.
#[derive(Debug, PartialEq, Eq)]
pub enum OAuthRefusal {
    Missing(&'static str),
    UnsupportedMethod(String),
    RefusedMethod,
    BadSignature,
    StaleTimestamp,
    ReusedNonce,
}

impl std::fmt::Display for OAuthRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OAuthRefusal::Missing(what) => write!(f, "missing {what}"),
            OAuthRefusal::UnsupportedMethod(m) => {
                write!(f, "unsupported oauth_signature_method {m}")
            }
            OAuthRefusal::RefusedMethod => {
                f.write_str("this fake X is set to refuse HMAC-SHA256, as X may")
            }
            OAuthRefusal::BadSignature => f.write_str("the signature does not match"),
            OAuthRefusal::StaleTimestamp => f.write_str("oauth_timestamp is too far from now"),
            OAuthRefusal::ReusedNonce => f.write_str("oauth_nonce was already used"),
        }
    }
}

/// Checks `oauth_signature` against the secrets, with the algorithm the header names.
pub fn verify_signature(
    oauth: &BTreeMap<String, String>,
    base: &str,
    consumer_secret: &str,
    token_secret: &str,
) -> Result<(), OAuthRefusal> {
    let algorithm = match oauth.get("oauth_signature_method").map(String::as_str) {
        Some("HMAC-SHA1") => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        Some("HMAC-SHA256") => hmac::HMAC_SHA256,
        Some(other) => return Err(OAuthRefusal::UnsupportedMethod(other.to_owned())),
        None => return Err(OAuthRefusal::Missing("oauth_signature_method")),
    };
    let signature = oauth
        .get("oauth_signature")
        .ok_or(OAuthRefusal::Missing("oauth_signature"))?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| OAuthRefusal::BadSignature)?;
    let key = hmac::Key::new(
        algorithm,
        format!("{}&{}", encode(consumer_secret), encode(token_secret)).as_bytes(),
    );
    hmac::verify(&key, base.as_bytes(), &signature).map_err(|_| OAuthRefusal::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_x_documentation_signature_independently() {
        let header = r#"OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0""#;
        let oauth = parse_authorization(header).unwrap();
        let params = form_pairs("include_entities=true&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21");
        let base = base_string(
            "POST",
            "https://api.twitter.com/1.1/statuses/update.json",
            &params,
            &oauth,
        );
        assert_eq!(
            verify_signature(
                &oauth,
                &base,
                "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
            ),
            Ok(())
        );
        assert_eq!(
            verify_signature(
                &oauth,
                &base,
                "wrong",
                "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
            ),
            Err(OAuthRefusal::BadSignature)
        );
    }
}
