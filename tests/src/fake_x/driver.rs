//! The fake X's side of webhooks: the CRC GET X performs at registration, on PUT and hourly,
//! and signed event deliveries, possibly duplicated as X sometimes does (R-INGEST-1, R-INGEST-3).

use std::time::Duration;

use base64::Engine as _;
use ring::hmac;
use serde_json::{json, Value};

use super::oauth_check::encode;

/// X gives a webhook 3 seconds to answer a CRC.
const CRC_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct WebhookDriver {
    http: reqwest::Client,
}

/// `sha256=` + base64(HMAC-SHA256(secret, message)), computed here independently.
pub fn sha256_signature(secret: &str, message: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, message))
    )
}

impl WebhookDriver {
    pub fn new() -> Self {
        let http = crate::http_client_builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("the fake X's HTTP client builds");
        WebhookDriver { http }
    }

    /// Performs a CRC like X: `GET url?crc_token=...`, expecting the right `response_token`.
    pub async fn crc_check(&self, url: &str, api_key_secret: &str) -> Result<(), String> {
        let crc_token = crc_token();
        let separator = if url.contains('?') { '&' } else { '?' };
        let response = self
            .http
            .get(format!("{url}{separator}crc_token={}", encode(&crc_token)))
            .timeout(CRC_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("CRC request failed: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("CRC answered {status}"));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("CRC answer is not JSON: {e}"))?;
        let expected = sha256_signature(api_key_secret, crc_token.as_bytes());
        match body.get("response_token").and_then(Value::as_str) {
            Some(token) if token == expected => Ok(()),
            Some(_) => Err("CRC response_token is wrong".into()),
            None => Err("CRC answer has no response_token".into()),
        }
    }

    /// POSTs `body` signed with `api_key_secret`, `copies` times; the status of each attempt.
    pub async fn deliver(
        &self,
        url: &str,
        api_key_secret: &str,
        body: &[u8],
        copies: usize,
    ) -> Vec<Result<u16, String>> {
        let signature = sha256_signature(api_key_secret, body);
        let mut statuses = Vec::with_capacity(copies);
        for _ in 0..copies {
            let sent = self
                .http
                .post(url)
                .header("content-type", "application/json; charset=utf-8")
                .header("x-twitter-webhooks-signature", &signature)
                .body(body.to_vec())
                .send()
                .await;
            statuses.push(sent.map(|r| r.status().as_u16()).map_err(|e| e.to_string()));
        }
        statuses
    }

    /// POSTs `body` with whatever signature header the test wants (or none).
    pub async fn deliver_with_signature(
        &self,
        url: &str,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<u16, String> {
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/json; charset=utf-8");
        if let Some(signature) = signature {
            request = request.header("x-twitter-webhooks-signature", signature);
        }
        request
            .body(body.to_vec())
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| e.to_string())
    }
}

impl Default for WebhookDriver {
    fn default() -> Self {
        WebhookDriver::new()
    }
}

/// An Account Activity delivery of one direct message, in X's documented shape.
pub fn direct_message_delivery(
    for_user_id: &str,
    event_id: &str,
    created_timestamp_ms: u64,
    sender: (&str, &str, &str),
    recipient_id: &str,
    text: &str,
) -> Value {
    let (sender_id, sender_name, sender_username) = sender;
    json!({
        "for_user_id": for_user_id,
        "direct_message_events": [{
            "type": "message_create",
            "id": event_id,
            "created_timestamp": created_timestamp_ms.to_string(),
            "message_create": {
                "target": {"recipient_id": recipient_id},
                "sender_id": sender_id,
                "message_data": {"text": text, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}
            }
        }],
        "users": {
            sender_id: {"id": sender_id, "name": sender_name, "screen_name": sender_username, "protected": false, "verified": false}
        }
    })
}

/// A CRC token like X's: base64 of 32 random bytes, so `+`, `/` and the `=` padding appear
/// (here always, so every CRC tests a receiver's decoding of them); sent percent-encoded.
pub fn crc_token() -> String {
    use ring::rand::SecureRandom;
    let random = ring::rand::SystemRandom::new();
    loop {
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes).expect("system randomness");
        let token = base64::engine::general_purpose::STANDARD.encode(bytes);
        if token.contains('+') && token.contains('/') {
            return token;
        }
    }
}

/// 20 random hex characters, for tokens and CRC challenges.
pub fn rand_token() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 10];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("system randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
