//! OAuth 1.0a request signing for calls to X in user context, HMAC-SHA1 or HMAC-SHA256 as the
//! channel chose (R-CRED-7).
//!
//! Query and form parameters are part of the signature base string; JSON bodies are not.

mod hmac_sha256;

use std::fmt;
use std::num::NonZeroU64;

use oauth1_request as oauth;

pub use hmac_sha256::HmacSha256;

use crate::encode::percent_encode;
use crate::Secret;

/// The OAuth 1.0a signature method, chosen per channel by its "interconnection encryption
/// algorithm".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureMethod {
    /// X's documented method.
    HmacSha1,
    /// Offered for channels that refuse SHA-1; X documents only HMAC-SHA1 and may refuse it.
    HmacSha256,
}

impl SignatureMethod {
    /// The `oauth_signature_method` value.
    pub fn name(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
            SignatureMethod::HmacSha256 => "HMAC-SHA256",
        }
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The four values of a channel's X credentials (R-CRED-2). Only the API key is public.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    pub api_key: String,
    pub api_key_secret: Secret,
    pub access_token: Secret,
    pub access_token_secret: Secret,
}

impl UserCredentials {
    pub fn new(
        api_key: impl Into<String>,
        api_key_secret: impl Into<Secret>,
        access_token: impl Into<Secret>,
        access_token_secret: impl Into<Secret>,
    ) -> Self {
        UserCredentials {
            api_key: api_key.into(),
            api_key_secret: api_key_secret.into(),
            access_token: access_token.into(),
            access_token_secret: access_token_secret.into(),
        }
    }

    /// The `Authorization` header value for one request, with a fresh nonce and the current
    /// time. `url` carries no query; `params` are the query (or form) parameters, unencoded.
    pub fn authorization(
        &self,
        method: SignatureMethod,
        http_method: &str,
        url: &str,
        params: &[(&str, &str)],
    ) -> String {
        let protocol = Protocol {
            token: Some((
                self.access_token.expose(),
                self.access_token_secret.expose(),
            )),
            version: true,
            ..Protocol::default()
        };
        sign(
            method,
            (&self.api_key, self.api_key_secret.expose()),
            &protocol,
            http_method,
            url,
            params,
        )
    }

    /// Same as [`Self::authorization`] with a fixed nonce and timestamp, for reproducible
    /// signatures (test vectors, benchmarks).
    pub fn authorization_at(
        &self,
        method: SignatureMethod,
        http_method: &str,
        url: &str,
        params: &[(&str, &str)],
        nonce: &str,
        timestamp: u64,
    ) -> String {
        let protocol = Protocol {
            token: Some((
                self.access_token.expose(),
                self.access_token_secret.expose(),
            )),
            nonce: Some(nonce),
            timestamp: NonZeroU64::new(timestamp),
            version: true,
            ..Protocol::default()
        };
        sign(
            method,
            (&self.api_key, self.api_key_secret.expose()),
            &protocol,
            http_method,
            url,
            params,
        )
    }
}

/// The `oauth_*` values besides the consumer key; the RFC's examples need all of them.
#[derive(Default)]
pub(crate) struct Protocol<'a> {
    pub token: Option<(&'a str, &'a str)>,
    pub callback: Option<&'a str>,
    pub verifier: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub timestamp: Option<NonZeroU64>,
    pub version: bool,
}

pub(crate) fn sign(
    method: SignatureMethod,
    consumer: (&str, &str),
    protocol: &Protocol<'_>,
    http_method: &str,
    url: &str,
    params: &[(&str, &str)],
) -> String {
    // RFC 5849 section 3.4.1.3.2: names and values are encoded first, then sorted by encoded
    // name and encoded value. `oauth1-request` writes a name into the base string as given
    // (so it must arrive encoded twice, as the base string holds it) and would sort by raw
    // value, which differs from the encoded order for a name sent more than once.
    let mut encoded: Vec<(String, String, &str)> = params
        .iter()
        .map(|&(name, value)| {
            (
                percent_encode(name).to_string(),
                percent_encode(value).to_string(),
                value,
            )
        })
        .collect();
    encoded.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let pairs: Vec<(String, &str)> = encoded
        .into_iter()
        .map(|(name, _, value)| (percent_encode(&name).to_string(), value))
        .collect();
    let request = oauth::request::AssertSorted::new(
        pairs.iter().map(|(name, value)| (name.as_str(), *value)),
    );
    let url = base_string_uri(url);
    match method {
        SignatureMethod::HmacSha1 => {
            builder(consumer, protocol, oauth::HMAC_SHA1).authorize(http_method, &url, &request)
        }
        SignatureMethod::HmacSha256 => {
            builder(consumer, protocol, HmacSha256).authorize(http_method, &url, &request)
        }
    }
}

/// RFC 5849 section 3.4.1.2: the scheme and host in lower case and no default port (80 on
/// http, 443 on https), as `url` normalizes them, and as the request itself is sent.
fn base_string_uri(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => parsed.as_str().to_owned(),
        Err(_) => url.to_owned(),
    }
}

fn builder<'a, SM: oauth::signature_method::SignatureMethod>(
    consumer: (&'a str, &'a str),
    protocol: &Protocol<'a>,
    signature_method: SM,
) -> oauth::Builder<'a, SM, &'a str> {
    let mut builder = oauth::Builder::new(
        oauth::Credentials::new(consumer.0, consumer.1),
        signature_method,
    );
    builder
        .token(
            protocol
                .token
                .map(|(token, secret)| oauth::Credentials::new(token, secret)),
        )
        .callback(protocol.callback)
        .verifier(protocol.verifier)
        .nonce(protocol.nonce)
        .timestamp(protocol.timestamp)
        .version(protocol.version);
    builder
}

#[cfg(test)]
mod vectors;
