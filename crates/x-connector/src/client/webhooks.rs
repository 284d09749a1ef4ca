//! Webhook management with the app-only bearer token, and the user-context subscription
//! that routes an account's events to a webhook (R-INTEG-2).

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::oauth::{SignatureMethod, UserCredentials};

use super::messages::path_segment;
use super::transport::{Body, Credential};
use super::{BearerToken, Data, XClient, XError, XResponse};

/// A webhook as X lists it. `valid` is false until a CRC check passes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub valid: bool,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Deserialize)]
struct List {
    #[serde(default)]
    data: Vec<Webhook>,
}

#[derive(Deserialize)]
struct Valid {
    valid: bool,
}

#[derive(Deserialize)]
struct Deleted {
    deleted: bool,
}

#[derive(Deserialize)]
struct Subscribed {
    subscribed: bool,
}

impl XClient {
    /// `POST /2/webhooks`; X runs a CRC against `url` before answering.
    pub async fn create_webhook(
        &self,
        bearer: &BearerToken,
        url: &str,
    ) -> Result<XResponse<Webhook>, XError> {
        let answer: XResponse<Data<Webhook>> = self
            .call(
                Method::POST,
                "/2/webhooks",
                &[],
                Body::Json(json!({ "url": url })),
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(|d| d.data))
    }

    /// `GET /2/webhooks`; no `data` means none registered.
    pub async fn list_webhooks(
        &self,
        bearer: &BearerToken,
    ) -> Result<XResponse<Vec<Webhook>>, XError> {
        let answer: XResponse<List> = self
            .call(
                Method::GET,
                "/2/webhooks",
                &[],
                Body::Empty,
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(|l| l.data))
    }

    /// `PUT /2/webhooks/{id}`: asks X to run the CRC again; answers whether it passed.
    pub async fn revalidate_webhook(
        &self,
        bearer: &BearerToken,
        webhook_id: &str,
    ) -> Result<XResponse<bool>, XError> {
        let path = format!("/2/webhooks/{}", path_segment(webhook_id)?);
        let answer: XResponse<Data<Valid>> = self
            .call(
                Method::PUT,
                &path,
                &[],
                Body::Empty,
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(|d| d.data.valid))
    }

    /// `DELETE /2/webhooks/{id}`; answers whether X deleted it.
    pub async fn delete_webhook(
        &self,
        bearer: &BearerToken,
        webhook_id: &str,
    ) -> Result<XResponse<bool>, XError> {
        let path = format!("/2/webhooks/{}", path_segment(webhook_id)?);
        let answer: XResponse<Data<Deleted>> = self
            .call(
                Method::DELETE,
                &path,
                &[],
                Body::Empty,
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(|d| d.data.deleted))
    }

    /// `DELETE /2/account_activity/webhooks/{id}/subscriptions/{user_id}/all` with the app's
    /// bearer token: the account's events no longer go to the webhook.
    pub async fn unsubscribe_account(
        &self,
        bearer: &BearerToken,
        webhook_id: &str,
        user_id: &str,
    ) -> Result<XResponse<()>, XError> {
        let path = format!(
            "/2/account_activity/webhooks/{}/subscriptions/{}/all",
            path_segment(webhook_id)?,
            path_segment(user_id)?
        );
        let answer: XResponse<serde_json::Value> = self
            .call(
                Method::DELETE,
                &path,
                &[],
                Body::Empty,
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(drop))
    }

    /// `POST /2/account_activity/webhooks/{id}/subscriptions/all` in the account's user context.
    pub async fn subscribe_account(
        &self,
        credentials: &UserCredentials,
        method: SignatureMethod,
        webhook_id: &str,
    ) -> Result<XResponse<bool>, XError> {
        let path = format!(
            "/2/account_activity/webhooks/{}/subscriptions/all",
            path_segment(webhook_id)?
        );
        let answer: XResponse<Data<Subscribed>> = self
            .call(
                Method::POST,
                &path,
                &[],
                Body::Empty,
                Credential::User(credentials, method),
            )
            .await?;
        Ok(answer.map(|d| d.data.subscribed))
    }
}
