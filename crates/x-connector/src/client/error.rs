//! What can go wrong when calling X, typed so callers can act on it. No variant ever holds a
//! secret: requests are described by method and path, credentials by their kind (R-CRED-3).

use std::fmt;
use std::time::Duration;

use crate::oauth::SignatureMethod;

use super::RateLimit;

/// How a request to X was authenticated, named in errors so an operator knows what X refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authentication {
    /// OAuth 1.0a user context, with the channel's signature method.
    OAuth1(SignatureMethod),
    /// OAuth 2.0 app-only bearer token.
    AppBearer,
    /// API key and secret, to obtain the bearer token.
    ApiKeyBasic,
}

impl fmt::Display for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authentication::OAuth1(method) => {
                write!(f, "OAuth 1.0a user context signed with {method}")
            }
            Authentication::AppBearer => f.write_str("an app-only bearer token"),
            Authentication::ApiKeyBasic => f.write_str("the API key and API key secret"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum XError {
    /// 429: nothing more may be sent before `reset` (seconds since the epoch, when X said).
    #[error("X rate limit reached{}", reset_text(*reset))]
    RateLimited {
        reset: Option<u64>,
        rate_limit: Option<RateLimit>,
    },

    /// 401, or 403 with code 32, 89 or 99 (on `POST /oauth2/token`): X refused the credentials.
    #[error("X refused the credentials ({authentication}): {}{}", x_reason(title, detail), sha256_note(*authentication))]
    Unauthorized {
        authentication: Authentication,
        title: Option<String>,
        detail: Option<String>,
    },

    /// 403 "Unsupported Authentication": the endpoint does not take this kind of
    /// authentication (an app-only bearer token on a user-context endpoint, OAuth 1.0a on
    /// `/2/webhooks`). The credentials were not judged: this is a bug of the caller, not a
    /// refusal the channel's administrator can fix by entering other credentials.
    #[error(
        "X does not take {authentication} on this endpoint: {}",
        x_reason(title, detail)
    )]
    UnsupportedAuthentication {
        authentication: Authentication,
        title: Option<String>,
        detail: Option<String>,
    },

    /// Any other error status, with X's own title and detail.
    #[error("X answered {status}: {}", x_reason(title, detail))]
    Api {
        status: u16,
        title: Option<String>,
        detail: Option<String>,
        rate_limit: Option<RateLimit>,
    },

    /// No complete answer within the configured timeout.
    #[error("X did not answer within {0:?}")]
    Timeout(Duration),

    /// The answer was not the JSON X documents.
    #[error("X sent a malformed answer (status {status}): {reason}")]
    MalformedBody { status: u16, reason: String },

    /// Connection, TLS or protocol failure before an answer arrived.
    #[error("could not reach X: {0}")]
    Transport(String),

    /// No connection to X could be opened (refused, unresolvable, unroutable): the request
    /// never left, so X certainly did not act on it and it can be sent again safely.
    #[error("could not reach X: {0}")]
    NotConnected(String),

    /// The request was refused before sending (bad parameter, bad configuration).
    #[error("invalid request to X: {0}")]
    InvalidRequest(String),
}

fn reset_text(reset: Option<u64>) -> String {
    match reset {
        Some(reset) => format!(" until {reset} (seconds since the epoch)"),
        None => String::new(),
    }
}

fn x_reason(title: &Option<String>, detail: &Option<String>) -> String {
    match (title, detail) {
        (Some(title), Some(detail)) if title != detail => format!("{title}: {detail}"),
        (Some(text), _) | (None, Some(text)) => text.clone(),
        (None, None) => "no reason given".to_owned(),
    }
}

fn sha256_note(authentication: Authentication) -> &'static str {
    match authentication {
        Authentication::OAuth1(SignatureMethod::HmacSha256) => {
            ". X documents HMAC-SHA1 for OAuth 1.0a and may refuse HMAC-SHA256 signatures; \
             if the credentials are right, choose SHA-1 as the channel's encryption algorithm"
        }
        _ => "",
    }
}

impl XError {
    /// Whether X refused the credentials themselves ([`XError::Unauthorized`]): the case a
    /// channel's administrator fixes by entering other credentials. An
    /// [`XError::UnsupportedAuthentication`] is not one.
    pub fn refuses_credentials(&self) -> bool {
        matches!(self, XError::Unauthorized { .. })
    }

    /// Whether X certainly never received the request: no connection was opened. Only then
    /// may a request X has no idempotency key for be sent again without risk.
    pub fn never_reached_x(&self) -> bool {
        matches!(self, XError::NotConnected(_))
    }

    /// The rate-limit state X reported with the failure, if any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        match self {
            XError::RateLimited { rate_limit, .. } | XError::Api { rate_limit, .. } => *rate_limit,
            _ => None,
        }
    }
}
