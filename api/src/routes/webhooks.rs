//! X's public webhook contract, outside the versioned API and without a bearer token: X
//! calls `GET /webhooks/x/{channelId}?crc_token=...` (the CRC challenge) when the webhook
//! is registered, on `PUT /2/webhooks/{id}` and hourly, and `POST /webhooks/x/{channelId}`
//! with signed deliveries. Both are keyed by the channel's API key secret, through the
//! in-memory keys of `webhook_keys` (R-INGEST-1).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    error::{ApiError, ApiResult, FieldError, Problem},
    id::Id,
    state::AppState,
};

/// Everything under `/webhooks/x`: the one place its routes are registered.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(crc)
        .service(super::deliveries::receive_delivery);
}

/// The scope `configure` is mounted at.
pub const SCOPE: &str = "/webhooks/x";

/// The longest `crc_token` signed. X's tokens are short base64-like strings.
pub const MAX_CRC_TOKEN: usize = 256;

/// The answer X expects to its CRC challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrcAnswer {
    /// `sha256=` and the base64 HMAC-SHA256 of `crc_token`, keyed with the channel's API
    /// key secret.
    #[schema(example = "sha256=x2P4o2bJhL0Xz1cBkKdpM1mKb7T3xO3b0w3yN0U3f1k=")]
    pub response_token: String,
}

/// Whether `token` looks like one of X's CRC tokens: letters, digits and `-_=+/`, 1 to
/// 256 of them. Only such a token is signed, so the endpoint cannot be asked to sign a
/// JSON body and mint the signature of a forged delivery (R-INGEST-9).
pub fn is_crc_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= MAX_CRC_TOKEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'+' | b'/'))
}

/// The `crc_token` of a query, percent-decoded. A `+` stays a `+` (it is not a form's
/// space): X's tokens are base64-like, and a `+` sent unencoded must sign as itself.
fn crc_token(query: &str) -> Option<std::borrow::Cow<'_, str>> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("crc_token="))
        .map(|value| percent_encoding::percent_decode_str(value).decode_utf8_lossy())
}

/// X's CRC challenge: answers `response_token` for a channel of type `x` in any status
/// (X runs it while the webhook is being registered). Other query parameters X may add
/// are ignored.
#[utoipa::path(tag = "webhooks", path = "/webhooks/x/{channelId}", security(()),
    params(
        ("channelId" = Id, Path, description = "the channel, as in its `integration.webhookUrl`"),
        ("crc_token" = String, Query, pattern = "^[A-Za-z0-9_=+/-]{1,256}$", description = "X's challenge"),
    ),
    responses(
    (status = 200, body = CrcAnswer),
    (status = 400, body = Problem, content_type = "application/problem+json", description = "no crc_token, or one not shaped like X's: nothing is signed"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "no such X channel"),
))]
#[get("/{channelId}")]
pub async fn crc(
    state: web::Data<AppState>,
    req: HttpRequest,
    channel_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = crc_token(req.query_string());
    let token = match token {
        None => {
            return Err(ApiError::invalid_query(vec![FieldError::new(
                "/query/crc_token",
                "required",
                "X's CRC challenge comes with a crc_token",
            )]))
        }
        Some(token) if !is_crc_token(&token) => {
            return Err(ApiError::invalid_query(vec![FieldError::new(
                "/query/crc_token",
                "invalid_format",
                "must be 1-256 letters, digits or -_=+/ as X's tokens are; nothing else is signed",
            )]))
        }
        Some(token) => token,
    };
    let channel = Id::from_path(&channel_id, "channel")?;
    let webhook = state
        .webhook_keys
        .key(&state.store, &state.keyring, channel.as_str())
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("channel"))?;
    let mut body = String::with_capacity(64);
    body.push_str("{\"response_token\":\"");
    body.push_str(&webhook.key.crc_response_token(&token));
    body.push_str("\"}");
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plus_in_the_token_is_a_plus_whether_encoded_or_not() {
        assert_eq!(crc_token("crc_token=a+b%2Bc%3D").as_deref(), Some("a+b+c="));
        assert_eq!(crc_token("nonce=1&crc_token=x").as_deref(), Some("x"));
        assert_eq!(crc_token("crc_token=").as_deref(), Some(""));
        assert_eq!(crc_token("other=1"), None);
    }

    // R-INGEST-9
    #[test]
    fn signs_only_tokens_shaped_like_x_ones() {
        for good in [
            "crc-0123abcd",
            "dGVzdA==",
            "a+b/c_d-e=",
            &"x".repeat(MAX_CRC_TOKEN),
        ] {
            assert!(is_crc_token(good), "{good}");
        }
        for bad in [
            "",
            "{\"for_user_id\":\"1\"}",
            "a b",
            "a\nb",
            "é",
            &"x".repeat(MAX_CRC_TOKEN + 1),
        ] {
            assert!(!is_crc_token(bad), "{bad}");
        }
    }
}
