//! The app-only bearer token (`POST /oauth2/token`, client_credentials) that webhook
//! management needs.

use reqwest::Method;
use serde::Deserialize;

use super::app_credentials::{AppCredentials, BearerToken};
use super::transport::{Body, Credential};
use super::{XClient, XError, XResponse};

#[derive(Deserialize)]
struct TokenAnswer {
    token_type: String,
    access_token: String,
}

impl XClient {
    /// `POST /oauth2/token` with `grant_type=client_credentials`.
    pub async fn app_bearer_token(
        &self,
        app: &AppCredentials,
    ) -> Result<XResponse<BearerToken>, XError> {
        let form = [("grant_type", "client_credentials".to_owned())];
        let answer: XResponse<TokenAnswer> = self
            .call(
                Method::POST,
                "/oauth2/token",
                &[],
                Body::Form(&form),
                Credential::ApiKey(app),
            )
            .await?;
        if !answer.value.token_type.eq_ignore_ascii_case("bearer") {
            return Err(XError::MalformedBody {
                status: 200,
                reason: format!("token_type is {:?}, not bearer", answer.value.token_type),
            });
        }
        Ok(answer.map(|token| BearerToken::new(token.access_token)))
    }
}
