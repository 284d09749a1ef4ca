//! `POST /2/dm_conversations/with/{participant_id}/messages`: an agent's reply to a customer.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::oauth::{SignatureMethod, UserCredentials};

use super::transport::{Body, Credential};
use super::{Data, XClient, XError, XResponse};

/// What X answers (201) for a sent message; `dm_event_id` is how its echo is recognised.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SentMessage {
    pub dm_conversation_id: String,
    pub dm_event_id: String,
}

impl XClient {
    pub async fn send_direct_message(
        &self,
        credentials: &UserCredentials,
        method: SignatureMethod,
        participant_id: &str,
        text: &str,
    ) -> Result<XResponse<SentMessage>, XError> {
        let path = format!(
            "/2/dm_conversations/with/{}/messages",
            path_segment(participant_id)?
        );
        let answer: XResponse<Data<SentMessage>> = self
            .call(
                Method::POST,
                &path,
                &[],
                Body::Json(json!({ "text": text })),
                Credential::User(credentials, method),
            )
            .await?;
        Ok(answer.map(|d| d.data))
    }
}

/// X's ids are decimal strings; anything else would change the path we sign.
pub(crate) fn path_segment(id: &str) -> Result<&str, XError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(XError::InvalidRequest(format!("{id:?} is not an X id")))
    }
}
