//! Published OAuth 1.0a vectors: X's "Creating a signature" page and RFC 5849 section 1.2.

use std::num::NonZeroU64;

use base64::Engine as _;
use ring::hmac;

use super::*;

/// The `oauth_signature` value of an `Authorization` header, percent-decoded.
fn signature_of(header: &str) -> String {
    let encoded = header
        .split(',')
        .find_map(|part| part.trim().strip_prefix("oauth_signature=\""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no oauth_signature in {header}"));
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

fn x_documentation_credentials() -> UserCredentials {
    UserCredentials::new(
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    )
}

const X_STATUS_PARAMS: &[(&str, &str)] = &[
    ("include_entities", "true"),
    (
        "status",
        "Hello Ladies + Gentlemen, a signed OAuth request!",
    ),
];

fn sign_x_example(url: &str, method: SignatureMethod) -> String {
    x_documentation_credentials().authorization_at(
        method,
        "POST",
        url,
        X_STATUS_PARAMS,
        "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        1318622958,
    )
}

#[test]
fn hmac_sha1_reproduces_x_documentation_example_on_api_twitter_com() {
    let header = sign_x_example(
        "https://api.twitter.com/1.1/statuses/update.json",
        SignatureMethod::HmacSha1,
    );
    assert_eq!(signature_of(&header), "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
}

#[test]
fn hmac_sha1_reproduces_x_documentation_example_on_api_x_com() {
    let header = sign_x_example(
        "https://api.x.com/1.1/statuses/update.json",
        SignatureMethod::HmacSha1,
    );
    assert_eq!(signature_of(&header), "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
}

#[test]
fn header_carries_every_protocol_parameter_x_documents() {
    let header = sign_x_example(
        "https://api.x.com/1.1/statuses/update.json",
        SignatureMethod::HmacSha1,
    );
    assert!(header.starts_with("OAuth "), "{header}");
    for expected in [
        "oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\"",
        "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\"",
        "oauth_signature_method=\"HMAC-SHA1\"",
        "oauth_timestamp=\"1318622958\"",
        "oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\"",
        "oauth_version=\"1.0\"",
    ] {
        assert!(
            header.contains(expected),
            "{expected} missing from {header}"
        );
    }
}

#[test]
fn hmac_sha256_signs_the_same_base_string_with_sha256() {
    // X's own base string for its example, copied from its documentation page, with the
    // method name swapped; the key is the two secrets joined by `&`.
    let base = "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521";
    let key = hmac::Key::new(
        hmac::HMAC_SHA256,
        b"kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw&LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    );
    let expected =
        base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, base.as_bytes()));

    let header = sign_x_example(
        "https://api.x.com/1.1/statuses/update.json",
        SignatureMethod::HmacSha256,
    );
    assert!(
        header.contains("oauth_signature_method=\"HMAC-SHA256\""),
        "{header}"
    );
    assert_eq!(signature_of(&header), expected);
}

#[test]
fn fresh_signatures_differ_by_nonce() {
    let credentials = x_documentation_credentials();
    let a = credentials.authorization(
        SignatureMethod::HmacSha1,
        "GET",
        "https://api.x.com/2/users/me",
        &[],
    );
    let b = credentials.authorization(
        SignatureMethod::HmacSha1,
        "GET",
        "https://api.x.com/2/users/me",
        &[],
    );
    assert_ne!(signature_of(&a), signature_of(&b));
}

const RFC_CLIENT: (&str, &str) = ("dpf43f3p2l4k3l03", "kd94hf93k423kf44");

fn rfc_sign(protocol: Protocol<'_>, method: &str, url: &str, params: &[(&str, &str)]) -> String {
    signature_of(&sign(
        SignatureMethod::HmacSha1,
        RFC_CLIENT,
        &protocol,
        method,
        url,
        params,
    ))
}

#[test]
fn reproduces_rfc_5849_temporary_credentials_request() {
    let protocol = Protocol {
        callback: Some("http://printer.example.com/ready"),
        nonce: Some("wIjqoS"),
        timestamp: NonZeroU64::new(137131200),
        ..Protocol::default()
    };
    assert_eq!(
        rfc_sign(protocol, "POST", "https://photos.example.net/initiate", &[]),
        "74KNZJeDHnMBp0EMJ9ZHt/XKycU="
    );
}

#[test]
fn reproduces_rfc_5849_token_request() {
    let protocol = Protocol {
        token: Some(("hh5s93j4hdidpola", "hdhd0244k9j7ao03")),
        verifier: Some("hfdp7dh39dks9884"),
        nonce: Some("walatlh"),
        timestamp: NonZeroU64::new(137131201),
        ..Protocol::default()
    };
    assert_eq!(
        rfc_sign(protocol, "POST", "https://photos.example.net/token", &[]),
        "gKgrFCywp7rO0OXSjdot/IHF7IU="
    );
}

#[test]
fn reproduces_rfc_5849_protected_resource_request_with_query_parameters() {
    let protocol = Protocol {
        token: Some(("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00")),
        nonce: Some("chapoH"),
        timestamp: NonZeroU64::new(137131202),
        ..Protocol::default()
    };
    assert_eq!(
        rfc_sign(
            protocol,
            "GET",
            "http://photos.example.net/photos",
            &[("size", "original"), ("file", "vacation.jpg")]
        ),
        "MdpQcU8iPSUjWoN/UDMsK2sui9I="
    );
}

#[test]
fn credentials_debug_output_shows_no_secret() {
    let shown = format!("{:?}", x_documentation_credentials());
    assert!(
        shown.contains("xvz1evFS4wEEPTGEFPHBog"),
        "the API key is public: {shown}"
    );
    for secret in ["kAcSOqF21", "370773112-Gm", "LswwdoUa"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
}
