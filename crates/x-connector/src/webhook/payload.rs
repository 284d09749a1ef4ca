//! Account Activity deliveries parsed into typed direct messages. Event kinds we do not handle
//! (tweets, follows, typing indicators...) are skipped; a malformed delivery is an error.

use std::collections::HashMap;

use serde::Deserialize;

/// One POST from X to the webhook, reduced to what a contact center uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The subscribed account this delivery is for.
    pub for_user_id: String,
    /// `direct_message_events` of type `message_create`, in delivery order.
    pub direct_messages: Vec<DirectMessage>,
    /// Users mentioned by the events, by id.
    pub users: HashMap<String, WebhookUser>,
    /// Apps that sent messages, by id.
    pub apps: HashMap<String, WebhookApp>,
    /// How many events of other kinds were present and skipped.
    pub skipped_events: usize,
    /// How many events of the other lists were present (`tweet_create_events`,
    /// `follow_events`, `direct_message_indicate_typing_events`...), all skipped.
    pub other_events: usize,
}

/// A direct message sent to or by the subscribed account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectMessage {
    /// X's event id, the deduplication key (R-INGEST-3).
    pub id: String,
    /// Milliseconds since the epoch, as X sends it.
    pub created_timestamp_ms: i64,
    pub sender_id: String,
    pub recipient_id: String,
    pub text: String,
    /// Set when the message was sent through an app (our own sends echo back this way).
    pub source_app_id: Option<String>,
    /// The media attached to the message (X allows one per message).
    pub attachments: Vec<crate::event::Attachment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct WebhookUser {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub screen_name: Option<String>,
    #[serde(default)]
    pub profile_image_url_https: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct WebhookApp {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// The delivery is not JSON, or not the shape X documents.
#[derive(Debug, thiserror::Error)]
#[error("malformed webhook delivery: {detail}")]
pub struct MalformedDelivery {
    detail: String,
    not_json: bool,
}

impl MalformedDelivery {
    fn shape(detail: impl Into<String>) -> Self {
        MalformedDelivery {
            detail: detail.into(),
            not_json: false,
        }
    }

    fn of_serde(err: serde_json::Error) -> Self {
        MalformedDelivery {
            not_json: matches!(
                err.classify(),
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof
            ),
            detail: err.to_string(),
        }
    }

    /// Whether the body is not JSON at all (rather than JSON of another shape).
    pub fn not_json(&self) -> bool {
        self.not_json
    }
}

/// The latest instant a delivery may name: the end of year 9999, in milliseconds.
pub const LATEST_MS: i64 = 253_402_300_799_999;

#[derive(Deserialize)]
struct RawDelivery {
    for_user_id: String,
    #[serde(default)]
    direct_message_events: Vec<RawEvent>,
    #[serde(default)]
    users: HashMap<String, WebhookUser>,
    #[serde(default)]
    apps: HashMap<String, WebhookApp>,
    /// Every other member, read only to count the events of the lists we skip.
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

/// Only `type` is read first, so unknown kinds never fail on fields we do not model.
#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct RawMessageCreateEvent {
    id: String,
    created_timestamp: String,
    message_create: RawMessageCreate,
}

#[derive(Deserialize)]
struct RawMessageCreate {
    target: RawTarget,
    sender_id: String,
    #[serde(default)]
    source_app_id: Option<String>,
    message_data: RawMessageData,
}

#[derive(Deserialize)]
struct RawTarget {
    recipient_id: String,
}

#[derive(Deserialize)]
struct RawMessageData {
    text: String,
    #[serde(default)]
    attachment: Option<RawAttachment>,
}

/// `{"type": "media", "media": {"type": "photo", "media_url_https": ...}}`.
#[derive(Deserialize)]
struct RawAttachment {
    #[serde(default)]
    media: Option<RawMedia>,
}

#[derive(Deserialize)]
struct RawMedia {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    media_url_https: Option<String>,
    #[serde(default)]
    media_url: Option<String>,
}

impl WebhookDelivery {
    /// Parses the raw body of a signed delivery.
    pub fn parse(body: &[u8]) -> Result<Self, MalformedDelivery> {
        let raw: RawDelivery = serde_json::from_slice(body).map_err(MalformedDelivery::of_serde)?;
        let mut direct_messages = Vec::new();
        let mut skipped_events = 0;
        for event in raw.direct_message_events {
            if event.kind == "message_create" {
                direct_messages.push(message_create(event.rest)?);
            } else {
                skipped_events += 1;
            }
        }
        Ok(WebhookDelivery {
            for_user_id: raw.for_user_id,
            direct_messages,
            users: raw.users,
            apps: raw.apps,
            skipped_events,
            other_events: raw
                .other
                .iter()
                .filter(|(name, _)| name.ends_with("_events"))
                .filter_map(|(_, events)| events.as_array().map(Vec::len))
                .sum(),
        })
    }
}

fn message_create(
    fields: serde_json::Map<String, serde_json::Value>,
) -> Result<DirectMessage, MalformedDelivery> {
    let raw: RawMessageCreateEvent = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| MalformedDelivery::shape(format!("message_create event: {e}")))?;
    let created_timestamp_ms = raw
        .created_timestamp
        .parse()
        .ok()
        .filter(|ms| (0..=LATEST_MS).contains(ms))
        .ok_or_else(|| {
            MalformedDelivery::shape(format!(
                "created_timestamp {:?} is not a time in milliseconds between 1970 and 9999",
                raw.created_timestamp
            ))
        })?;
    let attachments = raw
        .message_create
        .message_data
        .attachment
        .and_then(|a| a.media)
        .and_then(|m| {
            let url = m.media_url_https.or(m.media_url)?;
            Some(crate::event::Attachment {
                media_type: m.kind.unwrap_or_else(|| "media".to_owned()),
                url,
            })
        })
        .into_iter()
        .collect();
    Ok(DirectMessage {
        id: raw.id,
        created_timestamp_ms,
        sender_id: raw.message_create.sender_id,
        recipient_id: raw.message_create.target.recipient_id,
        text: raw.message_create.message_data.text,
        source_app_id: raw.message_create.source_app_id,
        attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example delivery from X's Account Activity documentation.
    const DOCUMENTED: &str = r#"{
      "for_user_id": "4337869213",
      "direct_message_events": [{
        "type": "message_create",
        "id": "954491830116155396",
        "created_timestamp": "1516403560557",
        "message_create": {
          "target": {"recipient_id": "4337869213"},
          "sender_id": "3001969357",
          "source_app_id": "13090192",
          "message_data": {
            "text": "Hello World!",
            "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}
          }
        }
      }],
      "apps": {"13090192": {"id": "13090192", "name": "FuriousCamperTestApp1", "url": "https://twitter.com/furiouscamper"}},
      "users": {
        "3001969357": {"id": "3001969357", "created_timestamp": "1422556069340", "name": "Jordan Brinks",
          "screen_name": "furiouscamper", "location": "Boulder, CO", "protected": false, "verified": false,
          "followers_count": 22, "friends_count": 45, "statuses_count": 494,
          "profile_image_url": "null", "profile_image_url_https": "https://pbs.twimg.com/profile_images/1/a.jpg"},
        "4337869213": {"id": "4337869213", "created_timestamp": "1448312972328", "name": "Harrison Test",
          "screen_name": "Harris_0ff", "location": "Burlington, MA", "protected": false, "verified": false}
      }
    }"#;

    #[test]
    fn parses_the_documented_direct_message_delivery() {
        let delivery = WebhookDelivery::parse(DOCUMENTED.as_bytes()).unwrap();
        assert_eq!(delivery.for_user_id, "4337869213");
        assert_eq!(
            delivery.direct_messages,
            vec![DirectMessage {
                id: "954491830116155396".into(),
                created_timestamp_ms: 1516403560557,
                sender_id: "3001969357".into(),
                recipient_id: "4337869213".into(),
                text: "Hello World!".into(),
                source_app_id: Some("13090192".into()),
                attachments: vec![],
            }]
        );
        assert_eq!(
            delivery.users["3001969357"].screen_name.as_deref(),
            Some("furiouscamper")
        );
        assert_eq!(
            delivery.apps["13090192"].name.as_deref(),
            Some("FuriousCamperTestApp1")
        );
        assert_eq!(delivery.skipped_events, 0);
    }

    #[test]
    fn skips_event_kinds_it_does_not_handle() {
        let body = r#"{
          "for_user_id": "1",
          "tweet_create_events": [{"id_str": "9", "text": "hi"}],
          "favorite_events": [{"id": "x"}],
          "direct_message_events": [
            {"type": "message_reaction", "id": "5"},
            {"type": "message_create", "id": "6", "created_timestamp": "1",
             "message_create": {"target": {"recipient_id": "1"}, "sender_id": "2", "message_data": {"text": "a"}}}
          ],
          "direct_message_indicate_typing_events": [{"sender_id": "2"}]
        }"#;
        let delivery = WebhookDelivery::parse(body.as_bytes()).unwrap();
        assert_eq!(delivery.direct_messages.len(), 1);
        assert_eq!(delivery.direct_messages[0].id, "6");
        assert_eq!(delivery.direct_messages[0].source_app_id, None);
        assert_eq!(delivery.skipped_events, 1);
        assert_eq!(delivery.other_events, 3);
    }

    #[test]
    fn a_delivery_without_direct_messages_is_empty_not_an_error() {
        let delivery =
            WebhookDelivery::parse(br#"{"for_user_id": "1", "follow_events": []}"#).unwrap();
        assert!(delivery.direct_messages.is_empty());
    }

    #[test]
    fn refuses_a_body_that_is_not_json() {
        assert!(WebhookDelivery::parse(b"test=1&other_test=2").is_err());
    }

    #[test]
    fn refuses_a_delivery_without_for_user_id() {
        assert!(WebhookDelivery::parse(br#"{"direct_message_events": []}"#).is_err());
    }

    #[test]
    fn refuses_a_message_create_without_text() {
        let body = r#"{"for_user_id": "1", "direct_message_events": [
            {"type": "message_create", "id": "6", "created_timestamp": "1",
             "message_create": {"target": {"recipient_id": "1"}, "sender_id": "2", "message_data": {}}}]}"#;
        assert!(WebhookDelivery::parse(body.as_bytes()).is_err());
    }

    #[test]
    fn refuses_a_timestamp_that_is_not_a_number() {
        let body = r#"{"for_user_id": "1", "direct_message_events": [
            {"type": "message_create", "id": "6", "created_timestamp": "yesterday",
             "message_create": {"target": {"recipient_id": "1"}, "sender_id": "2", "message_data": {"text": "a"}}}]}"#;
        assert!(WebhookDelivery::parse(body.as_bytes()).is_err());
    }

    #[test]
    fn refuses_direct_message_events_that_are_not_a_list() {
        assert!(
            WebhookDelivery::parse(br#"{"for_user_id": "1", "direct_message_events": {}}"#)
                .is_err()
        );
    }
}
