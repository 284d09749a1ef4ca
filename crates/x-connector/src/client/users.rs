//! `GET /2/users/me`: proves the channel's tokens and names the X account (R-INTEG-2).

use reqwest::Method;
use serde::Deserialize;

use crate::oauth::{SignatureMethod, UserCredentials};

use super::transport::{Body, Credential};
use super::{Data, XClient, XError, XResponse};

/// An X account as v2 describes it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct XUser {
    pub id: String,
    pub name: String,
    /// The handle, without `@`.
    pub username: String,
}

impl XClient {
    pub async fn users_me(
        &self,
        credentials: &UserCredentials,
        method: SignatureMethod,
    ) -> Result<XResponse<XUser>, XError> {
        let answer: XResponse<Data<XUser>> = self
            .call(
                Method::GET,
                "/2/users/me",
                &[],
                Body::Empty,
                Credential::User(credentials, method),
            )
            .await?;
        Ok(answer.map(|d| d.data))
    }
}
