//! OAuth 1.0a signatures checked against a second implementation of RFC 5849 written here by
//! hand (its own percent-encoding, base string and HMAC key), on the edges the published
//! vectors leave out: reserved characters in parameters and in both secrets, repeated
//! parameter names, and ports in the request URL (R-CRED-7).

use std::collections::BTreeMap;

use base64::Engine as _;
use ring::hmac;
use x_connector::{SignatureMethod, UserCredentials};

const NONCE: &str = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
const TIMESTAMP: u64 = 1318622958;

/// RFC 5849 section 3.6: every byte of the UTF-8 form but `ALPHA DIGIT - . _ ~` as `%XX`.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The `oauth_*` values of an `Authorization: OAuth ...` header, decoded.
fn header_parameters(header: &str) -> BTreeMap<String, String> {
    let rest = header
        .strip_prefix("OAuth ")
        .unwrap_or_else(|| panic!("not an OAuth header: {header}"));
    rest.split(',')
        .map(|part| {
            let (key, value) = part.trim().split_once('=').unwrap();
            (
                key.to_owned(),
                decode(value.strip_prefix('"').unwrap().strip_suffix('"').unwrap()),
            )
        })
        .collect()
}

/// RFC 5849 section 3.4.1: the method, the base string URI as given, and every parameter
/// encoded, then sorted by encoded name and encoded value.
fn base_string(
    method: &str,
    base_uri: &str,
    params: &[(&str, &str)],
    oauth: &BTreeMap<String, String>,
) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (encode(k), encode(v)))
        .chain(
            oauth
                .iter()
                .filter(|(k, _)| *k != "oauth_signature")
                .map(|(k, v)| (encode(k), encode(v))),
        )
        .collect();
    pairs.sort();
    let normalized = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&{}&{}", encode(base_uri), encode(&normalized))
}

/// RFC 5849 section 3.4.2: HMAC over the base string with `key`, in base64.
fn hmac_base64(method: SignatureMethod, key: &str, base: &str) -> String {
    let algorithm = match method {
        SignatureMethod::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        SignatureMethod::HmacSha256 => hmac::HMAC_SHA256,
    };
    let key = hmac::Key::new(algorithm, key.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, base.as_bytes()))
}

struct Signed {
    oauth: BTreeMap<String, String>,
    signature: String,
}

fn sign(
    credentials: &UserCredentials,
    method: SignatureMethod,
    http_method: &str,
    url: &str,
    params: &[(&str, &str)],
) -> Signed {
    let header = credentials.authorization_at(method, http_method, url, params, NONCE, TIMESTAMP);
    signed(method, &header)
}

fn signed(method: SignatureMethod, header: &str) -> Signed {
    let oauth = header_parameters(header);
    assert_eq!(oauth["oauth_signature_method"], method.name(), "{header}");
    let signature = oauth["oauth_signature"].clone();
    Signed { oauth, signature }
}

/// The signature RFC 5849 gives for these secrets over the base string of `base_uri`.
fn expected(
    signed: &Signed,
    method: SignatureMethod,
    http_method: &str,
    base_uri: &str,
    params: &[(&str, &str)],
    secrets: (&str, &str),
) -> String {
    let base = base_string(http_method, base_uri, params, &signed.oauth);
    hmac_base64(
        method,
        &format!("{}&{}", encode(secrets.0), encode(secrets.1)),
        &base,
    )
}

const METHODS: [SignatureMethod; 2] = [SignatureMethod::HmacSha1, SignatureMethod::HmacSha256];

fn plain_credentials() -> UserCredentials {
    UserCredentials::new(
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    )
}
const PLAIN_SECRETS: (&str, &str) = (
    "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
);

#[test]
fn the_reference_encoding_is_rfc_5849_percent_encoding() {
    assert_eq!(encode("!*'()"), "%21%2A%27%28%29");
    assert_eq!(encode("a-b.c_d~e"), "a-b.c_d~e");
    assert_eq!(encode("a b+c"), "a%20b%2Bc");
    assert_eq!(encode("/:=&%"), "%2F%3A%3D%26%25");
    assert_eq!(encode("é☃"), "%C3%A9%E2%98%83");
}

#[test]
fn reserved_characters_in_parameter_values_are_encoded_as_rfc_5849_says() {
    let params: &[(&str, &str)] = &[
        ("brackets", "!*'()"),
        ("tilde", "stays~as~is"),
        ("space_and_plus", "1 + 1 = 2"),
        ("url", "https://example.com/a?b=c&d=e"),
        ("percent", "100%"),
        ("unicode", "café ☃"),
        ("reserved", "@#$[]?,;"),
    ];
    for method in METHODS {
        for http_method in ["GET", "POST"] {
            let signed = sign(
                &plain_credentials(),
                method,
                http_method,
                "https://api.x.com/2/dm_events",
                params,
            );
            let want = expected(
                &signed,
                method,
                http_method,
                "https://api.x.com/2/dm_events",
                params,
                PLAIN_SECRETS,
            );
            assert_eq!(signed.signature, want, "{method} {http_method}");
        }
    }
}

#[test]
fn reserved_characters_in_parameter_names_are_encoded_as_rfc_5849_says() {
    let params: &[(&str, &str)] = &[
        ("filter[name]", "x"),
        ("a b", "1"),
        ("dm_event.fields", "id,text"),
        ("é", "2"),
        ("!*'()", "3"),
    ];
    for method in METHODS {
        let signed = sign(
            &plain_credentials(),
            method,
            "GET",
            "https://api.x.com/2/dm_events",
            params,
        );
        let want = expected(
            &signed,
            method,
            "GET",
            "https://api.x.com/2/dm_events",
            params,
            PLAIN_SECRETS,
        );
        assert_eq!(signed.signature, want, "{method}");
    }
}

#[test]
fn a_repeated_parameter_name_is_sorted_by_encoded_value() {
    // Raw, "a0" sorts before "a:"; encoded, "a%3A" sorts before "a0" (RFC 5849 3.4.1.3.2).
    let params: &[(&str, &str)] = &[("ids", "a0"), ("ids", "a:"), ("ids", "a-"), ("ids", "a/")];
    for method in METHODS {
        let signed = sign(
            &plain_credentials(),
            method,
            "GET",
            "https://api.x.com/2/users",
            params,
        );
        let want = expected(
            &signed,
            method,
            "GET",
            "https://api.x.com/2/users",
            params,
            PLAIN_SECRETS,
        );
        assert_eq!(signed.signature, want, "{method}");
    }
}

#[test]
fn reserved_characters_in_both_secrets_are_encoded_into_the_hmac_key() {
    let consumer_secret = "cs!*'()~+/:=&%é";
    let token_secret = "ts &=+/~%C3@";
    let credentials =
        UserCredentials::new("consumer-key", consumer_secret, "1-token", token_secret);
    let params: &[(&str, &str)] = &[(
        "status",
        "Hello Ladies + Gentlemen, a signed OAuth request!",
    )];
    for method in METHODS {
        let signed = sign(
            &credentials,
            method,
            "POST",
            "https://api.x.com/1.1/statuses/update.json",
            params,
        );
        let want = expected(
            &signed,
            method,
            "POST",
            "https://api.x.com/1.1/statuses/update.json",
            params,
            (consumer_secret, token_secret),
        );
        assert_eq!(signed.signature, want, "{method}");
        // The raw secrets joined by `&` would give another key, so the check above tells them apart.
        let base = base_string(
            "POST",
            "https://api.x.com/1.1/statuses/update.json",
            params,
            &signed.oauth,
        );
        assert_ne!(
            signed.signature,
            hmac_base64(method, &format!("{consumer_secret}&{token_secret}"), &base),
            "{method}"
        );
    }
}

#[test]
fn the_hmac_key_is_the_encoded_consumer_secret_and_token_secret_joined_by_an_ampersand() {
    // With `&` and `=` inside the secrets only encoding keeps the two apart.
    let credentials = UserCredentials::new("consumer-key", "a&b", "1-token", "c=d");
    for method in METHODS {
        let signed = sign(
            &credentials,
            method,
            "GET",
            "https://api.x.com/2/users/me",
            &[],
        );
        let base = base_string("GET", "https://api.x.com/2/users/me", &[], &signed.oauth);
        assert_eq!(
            signed.signature,
            hmac_base64(method, "a%26b&c%3Dd", &base),
            "{method}"
        );
    }
}

#[test]
fn a_default_port_is_left_out_of_the_signed_url() {
    // RFC 5849 3.4.1.2: port 80 on http and 443 on https are not part of the base string URI.
    for method in METHODS {
        for (url, base_uri) in [
            (
                "https://api.x.com:443/2/users/me",
                "https://api.x.com/2/users/me",
            ),
            (
                "http://api.x.com:80/2/users/me",
                "http://api.x.com/2/users/me",
            ),
        ] {
            let with_port = sign(&plain_credentials(), method, "GET", url, &[]);
            assert_eq!(
                with_port.signature,
                expected(&with_port, method, "GET", base_uri, &[], PLAIN_SECRETS),
                "{method} {url}"
            );
            let without = sign(&plain_credentials(), method, "GET", base_uri, &[]);
            assert_eq!(with_port.signature, without.signature, "{method} {url}");
        }
    }
}

#[test]
fn a_non_default_port_stays_in_the_signed_url() {
    for method in METHODS {
        for url in [
            "https://api.x.com:8443/2/users/me",
            "http://127.0.0.1:8080/2/users/me",
            "http://api.x.com:443/2/users/me",
            "https://api.x.com:80/2/users/me",
        ] {
            let signed = sign(&plain_credentials(), method, "GET", url, &[]);
            assert_eq!(
                signed.signature,
                expected(&signed, method, "GET", url, &[], PLAIN_SECRETS),
                "{method} {url}"
            );
            let (scheme, rest) = url.split_once("://").unwrap();
            let portless = format!(
                "{scheme}://{}{}",
                rest.split(':').next().unwrap(),
                &rest[rest.find('/').unwrap()..]
            );
            assert_ne!(
                signed.signature,
                expected(&signed, method, "GET", &portless, &[], PLAIN_SECRETS),
                "{method} {url}"
            );
        }
    }
}

#[test]
fn an_upper_case_scheme_and_host_are_signed_in_lower_case() {
    // RFC 5849 3.4.1.2; the path keeps its case.
    for method in METHODS {
        let signed = sign(
            &plain_credentials(),
            method,
            "GET",
            "HTTPS://API.X.COM/2/Users/Me",
            &[],
        );
        assert_eq!(
            signed.signature,
            expected(
                &signed,
                method,
                "GET",
                "https://api.x.com/2/Users/Me",
                &[],
                PLAIN_SECRETS
            ),
            "{method}"
        );
    }
}

#[test]
fn a_fresh_authorization_carries_every_protocol_value_and_signs_them() {
    // `authorization` is what XClient sends: a new nonce and the current time each call.
    let (consumer_secret, token_secret) = ("cs!*'()~", "ts&=+/");
    let credentials =
        UserCredentials::new("consumer-key", consumer_secret, "1-token", token_secret);
    let params: &[(&str, &str)] = &[("max_results", "100"), ("dm_event.fields", "id,text")];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for method in METHODS {
        let header =
            credentials.authorization(method, "GET", "https://api.x.com/2/dm_events", params);
        let fresh = signed(method, &header);
        assert_eq!(
            fresh.oauth["oauth_consumer_key"], "consumer-key",
            "{header}"
        );
        assert_eq!(fresh.oauth["oauth_token"], "1-token", "{header}");
        assert_eq!(fresh.oauth["oauth_version"], "1.0", "{header}");
        assert!(fresh.oauth["oauth_nonce"].len() >= 8, "{header}");
        let timestamp: u64 = fresh.oauth["oauth_timestamp"].parse().unwrap();
        assert!(timestamp.abs_diff(now) <= 60, "{header}");
        let want = expected(
            &fresh,
            method,
            "GET",
            "https://api.x.com/2/dm_events",
            params,
            (consumer_secret, token_secret),
        );
        assert_eq!(fresh.signature, want, "{method}");
    }
}

#[test]
fn an_unauthorized_error_names_the_signature_method_x_refused() {
    // R-CRED-7: the operator reads which method X refused.
    for method in METHODS {
        let error = x_connector::XError::Unauthorized {
            authentication: x_connector::Authentication::OAuth1(method),
            title: None,
            detail: None,
        };
        assert!(
            error
                .to_string()
                .contains(&format!("signed with {}", method.name())),
            "{error}"
        );
        assert_eq!(method.to_string(), method.name());
    }
    assert_eq!(SignatureMethod::HmacSha1.to_string(), "HMAC-SHA1");
    assert_eq!(SignatureMethod::HmacSha256.to_string(), "HMAC-SHA256");
}
