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

/// X's reference pages disagree on whether webhook answers come inside `{"data": ...}`, so
/// both shapes are read.
#[derive(Deserialize)]
#[serde(untagged)]
enum Wrapped<T> {
    Data { data: T },
    Bare(T),
}

impl<T> Wrapped<T> {
    fn into_inner(self) -> T {
        match self {
            Wrapped::Data { data } | Wrapped::Bare(data) => data,
        }
    }
}

/// `{"data": [...], "meta": ...}`, `{"meta": {"result_count": 0}}` (no `data` when none) or a
/// bare array.
#[derive(Deserialize)]
#[serde(untagged)]
enum List {
    Bare(Vec<Webhook>),
    Data {
        #[serde(default)]
        data: Vec<Webhook>,
    },
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
        let answer: XResponse<Wrapped<Webhook>> = self
            .call(
                Method::POST,
                "/2/webhooks",
                &[],
                Body::Json(json!({ "url": url })),
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(Wrapped::into_inner))
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
        Ok(answer.map(|list| match list {
            List::Bare(webhooks) | List::Data { data: webhooks } => webhooks,
        }))
    }

    /// `PUT /2/webhooks/{id}`: asks X to run the CRC again; answers whether it passed.
    pub async fn revalidate_webhook(
        &self,
        bearer: &BearerToken,
        webhook_id: &str,
    ) -> Result<XResponse<bool>, XError> {
        let path = format!("/2/webhooks/{}", path_segment(webhook_id)?);
        let answer: XResponse<Wrapped<Valid>> = self
            .call(
                Method::PUT,
                &path,
                &[],
                Body::Empty,
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(|d| d.into_inner().valid))
    }

    /// `DELETE /2/webhooks/{id}`; answers whether X deleted it.
    pub async fn delete_webhook(
        &self,
        bearer: &BearerToken,
        webhook_id: &str,
    ) -> Result<XResponse<bool>, XError> {
        let path = format!("/2/webhooks/{}", path_segment(webhook_id)?);
        let answer: XResponse<Wrapped<Deleted>> = self
            .call(
                Method::DELETE,
                &path,
                &[],
                Body::Empty,
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(|d| d.into_inner().deleted))
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

    /// `GET /2/account_activity/webhooks/{id}/subscriptions/all` in the account's user
    /// context: whether the account's events go to this webhook.
    pub async fn account_subscribed(
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
                Method::GET,
                &path,
                &[],
                Body::Empty,
                Credential::User(credentials, method),
            )
            .await?;
        Ok(answer.map(|d| d.data.subscribed))
    }

    /// `DELETE /2/account_activity/webhooks/{id}/subscriptions/{user_id}/all` with the
    /// app-only bearer token: stops routing the account's events to the webhook; answers
    /// whether a subscription was removed.
    pub async fn unsubscribe_account(
        &self,
        bearer: &BearerToken,
        webhook_id: &str,
        user_id: &str,
    ) -> Result<XResponse<bool>, XError> {
        let path = format!(
            "/2/account_activity/webhooks/{}/subscriptions/{}/all",
            path_segment(webhook_id)?,
            path_segment(user_id)?
        );
        let answer: XResponse<Wrapped<Deleted>> = self
            .call(
                Method::DELETE,
                &path,
                &[],
                Body::Empty,
                Credential::Bearer(bearer),
            )
            .await?;
        Ok(answer.map(|d| d.into_inner().deleted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhooks(json: &str) -> Vec<Webhook> {
        match serde_json::from_str::<List>(json).unwrap() {
            List::Bare(webhooks) | List::Data { data: webhooks } => webhooks,
        }
    }

    const ONE: &str = r#"{"id": "1", "url": "https://example.com/x", "valid": true}"#;

    #[test]
    fn a_webhook_list_is_read_wrapped_bare_or_empty_without_data() {
        assert_eq!(
            webhooks(&format!(
                r#"{{"data": [{ONE}], "meta": {{"result_count": 1}}}}"#
            ))
            .len(),
            1
        );
        assert_eq!(webhooks(&format!("[{ONE}]")).len(), 1);
        assert!(webhooks(r#"{"meta": {"result_count": 0}}"#).is_empty());
        assert!(webhooks("[]").is_empty());
    }

    #[test]
    fn a_webhook_answer_is_read_wrapped_or_bare() {
        for json in [format!(r#"{{"data": {ONE}}}"#), ONE.to_owned()] {
            let webhook = serde_json::from_str::<Wrapped<Webhook>>(&json)
                .unwrap()
                .into_inner();
            assert_eq!(webhook.id, "1", "{json}");
        }
        for json in [r#"{"data": {"valid": false}}"#, r#"{"valid": false}"#] {
            let valid = serde_json::from_str::<Wrapped<Valid>>(json)
                .unwrap()
                .into_inner();
            assert!(!valid.valid, "{json}");
        }
        assert!(serde_json::from_str::<Wrapped<Valid>>(r#"{"data": {}}"#).is_err());
    }
}
