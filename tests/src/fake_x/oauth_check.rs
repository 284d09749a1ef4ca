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

/// The `oauth_*` parameters of an `Authorization: OAuth ...` header, refusing what X refuses:
/// a parameter given twice, an empty `oauth_nonce`, an `oauth_version` other than `1.0`.
pub fn parse_authorization_strict(header: &str) -> Result<BTreeMap<String, String>, OAuthRefusal> {
    let rest = header
        .strip_prefix("OAuth ")
        .ok_or(OAuthRefusal::NotOAuth)?;
    let mut params = BTreeMap::new();
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(OAuthRefusal::NotOAuth)?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or(OAuthRefusal::NotOAuth)?;
        if params.insert(key.to_owned(), decode(value)).is_some() {
            return Err(OAuthRefusal::Repeated(key.to_owned()));
        }
    }
    if params.get("oauth_nonce").is_some_and(|n| n.is_empty()) {
        return Err(OAuthRefusal::EmptyNonce);
    }
    if let Some(version) = params.get("oauth_version").filter(|v| v.as_str() != "1.0") {
        return Err(OAuthRefusal::BadVersion(version.clone()));
    }
    Ok(params)
}

/// RFC 5849 section 3.4.1.2: the base string URI of a request the fake received, built from
/// the address the fake is bound to (never from `Host`, `Forwarded` or `X-Forwarded-*`,
/// which a client or proxy chooses), with the scheme's default port left out.
pub fn base_uri(secure: bool, bound: std::net::SocketAddr, path: &str) -> String {
    let scheme = if secure { "https" } else { "http" };
    let host = match bound.ip() {
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    let default_port = if secure { 443 } else { 80 };
    if bound.port() == default_port {
        format!("{scheme}://{host}{path}")
    } else {
        format!("{scheme}://{host}:{}{path}", bound.port())
    }
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
    NotOAuth,
    Repeated(String),
    EmptyNonce,
    BadVersion(String),
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
            OAuthRefusal::NotOAuth => f.write_str("not an OAuth 1.0a header"),
            OAuthRefusal::Repeated(name) => write!(f, "{name} is given more than once"),
            OAuthRefusal::EmptyNonce => f.write_str("oauth_nonce is empty"),
            OAuthRefusal::BadVersion(v) => write!(f, "oauth_version {v:?} is not 1.0"),
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
    fn the_base_uri_leaves_out_the_default_port_of_its_scheme_only() {
        let at = |addr: &str| addr.parse::<std::net::SocketAddr>().unwrap();
        assert_eq!(
            base_uri(true, at("127.0.0.1:443"), "/2/users/me"),
            "https://127.0.0.1/2/users/me"
        );
        assert_eq!(
            base_uri(false, at("127.0.0.1:80"), "/2/users/me"),
            "http://127.0.0.1/2/users/me"
        );
        assert_eq!(
            base_uri(false, at("127.0.0.1:443"), "/2/users/me"),
            "http://127.0.0.1:443/2/users/me"
        );
        assert_eq!(
            base_uri(true, at("127.0.0.1:80"), "/2/dm_events"),
            "https://127.0.0.1:80/2/dm_events"
        );
        assert_eq!(
            base_uri(false, at("127.0.0.1:8089"), "/2/dm_events"),
            "http://127.0.0.1:8089/2/dm_events"
        );
        assert_eq!(
            base_uri(true, at("[::1]:443"), "/2/users/me"),
            "https://[::1]/2/users/me"
        );
    }

    #[test]
    fn a_strict_header_refuses_a_repeat_an_empty_nonce_and_another_version() {
        let ok = r#"OAuth oauth_consumer_key="k", oauth_nonce="n", oauth_version="1.0""#;
        assert!(parse_authorization_strict(ok).is_ok());
        assert!(parse_authorization_strict(r#"OAuth oauth_consumer_key="k""#).is_ok());
        for (header, refusal) in [
            (
                r#"OAuth oauth_nonce="a", oauth_nonce="b""#,
                OAuthRefusal::Repeated("oauth_nonce".into()),
            ),
            (r#"OAuth oauth_nonce="""#, OAuthRefusal::EmptyNonce),
            (
                r#"OAuth oauth_nonce="n", oauth_version="2.0""#,
                OAuthRefusal::BadVersion("2.0".into()),
            ),
            (r#"Bearer abc"#, OAuthRefusal::NotOAuth),
        ] {
            assert_eq!(parse_authorization_strict(header), Err(refusal), "{header}");
        }
    }

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
