//! The app's own credentials: the API key pair and the app-only bearer token obtained with
//! it, and how the pair is presented to X. Both the transport and the token exchange use them.

use base64::Engine as _;

use crate::encode::percent_encode;
use crate::oauth::UserCredentials;
use crate::Secret;

/// The API key and its secret: what the app-only token is obtained with.
#[derive(Clone, Debug)]
pub struct AppCredentials {
    pub api_key: String,
    pub api_key_secret: Secret,
}

impl AppCredentials {
    pub fn new(api_key: impl Into<String>, api_key_secret: impl Into<Secret>) -> Self {
        AppCredentials {
            api_key: api_key.into(),
            api_key_secret: api_key_secret.into(),
        }
    }
}

impl From<&UserCredentials> for AppCredentials {
    fn from(user: &UserCredentials) -> Self {
        AppCredentials {
            api_key: user.api_key.clone(),
            api_key_secret: user.api_key_secret.clone(),
        }
    }
}

/// An OAuth 2.0 app-only bearer token; as secret as the API key secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BearerToken(Secret);

impl BearerToken {
    pub fn new(token: impl Into<Secret>) -> Self {
        BearerToken(token.into())
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// X asks for both values URL-encoded before they are joined and base64-encoded.
pub(crate) fn basic_authorization(app: &AppCredentials) -> String {
    let pair = format!(
        "{}:{}",
        percent_encode(&app.api_key),
        percent_encode(app.api_key_secret.expose())
    );
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}
