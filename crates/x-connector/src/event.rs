//! One direct message as the service keeps it, whichever of X's delivery shapes brought
//! it: today the Account Activity webhook; X's Activity API (`dm.received`/`dm.sent` in a
//! v2 envelope) or a `GET /2/dm_events` page can produce the same [`MessageEvent`], so
//! storage never learns which shape it came from (R-INGEST-2, R-INGEST-3).

use serde::{Deserialize, Serialize};

use crate::client::DmEventsPage;
use crate::webhook::{MalformedDelivery, WebhookDelivery};

/// A direct message sent to or by a subscribed account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageEvent {
    /// X's event id: the same in webhooks, `dm_events` and replays, so one unique key
    /// deduplicates every path.
    pub id: String,
    /// X's `dm_conversation_id`; for one-to-one conversations `{smaller}-{larger}` user id.
    pub conversation_id: String,
    pub sender_id: String,
    pub recipient_id: Option<String>,
    pub text: String,
    /// X's time, milliseconds since the epoch (1970 to 9999).
    pub created_at_ms: i64,
    pub attachments: Vec<Attachment>,
    /// The sender's display name and handle, when the delivery names the sender.
    pub sender_name: Option<String>,
    pub sender_username: Option<String>,
}

/// A medium attached to a message: its kind as X names it (`photo`, `video`,
/// `animated_gif`) and where X serves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub media_type: String,
    pub url: String,
}

/// Whether a message came to the account or was sent by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

impl MessageEvent {
    /// `outbound` when `account_id` (the channel's own account) sent it: X echoes what the
    /// account sent, through any app; `inbound` otherwise.
    pub fn direction(&self, account_id: &str) -> Direction {
        if self.sender_id == account_id {
            Direction::Outbound
        } else {
            Direction::Inbound
        }
    }
}

/// What one signed delivery carries, in the one event type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveredEvents {
    /// The subscribed account the delivery is for.
    pub for_user_id: String,
    /// The direct messages, in delivery order.
    pub messages: Vec<MessageEvent>,
    /// Events of kinds the service does not keep (typing, read receipts, follows, tweets).
    pub skipped_events: usize,
}

impl DeliveredEvents {
    /// Parses the raw body of a signed delivery, of any shape the service knows.
    pub fn parse(body: &[u8]) -> Result<Self, MalformedDelivery> {
        WebhookDelivery::parse(body).map(DeliveredEvents::from)
    }
}

impl From<WebhookDelivery> for DeliveredEvents {
    fn from(delivery: WebhookDelivery) -> Self {
        let users = delivery.users;
        let messages = delivery
            .direct_messages
            .into_iter()
            .map(|dm| {
                let sender = users.get(&dm.sender_id);
                MessageEvent {
                    conversation_id: one_to_one_conversation_id(&dm.sender_id, &dm.recipient_id),
                    sender_name: sender.and_then(|u| u.name.clone()),
                    sender_username: sender.and_then(|u| u.screen_name.clone()),
                    id: dm.id,
                    sender_id: dm.sender_id,
                    recipient_id: Some(dm.recipient_id),
                    text: dm.text,
                    created_at_ms: dm.created_timestamp_ms,
                    attachments: dm.attachments,
                }
            })
            .collect();
        DeliveredEvents {
            for_user_id: delivery.for_user_id,
            messages,
            skipped_events: delivery.skipped_events + delivery.other_events,
        }
    }
}

/// The direct messages of one `GET /2/dm_events` page, in the one event type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledEvents {
    /// The messages, newest first as X lists them.
    pub messages: Vec<MessageEvent>,
    /// Events of other types (participants joining or leaving).
    pub skipped_events: usize,
}

/// A page whose `MessageCreate` event lacks what the minute pull's query asks for: not
/// what X documents, so the page is not stored in part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DM event {id}: {reason}")]
pub struct MalformedDmEvent {
    pub id: String,
    pub reason: String,
}

impl PulledEvents {
    /// Reads a page fetched with `DmEventsQuery::minute_pull`: senders' names and handles
    /// from `includes.users`, attachments from `includes.media`, the recipient from the
    /// participants of a one-to-one conversation.
    pub fn from_page(page: &DmEventsPage) -> Result<Self, MalformedDmEvent> {
        let mut messages = Vec::with_capacity(page.events.len());
        let mut skipped_events = 0;
        for event in &page.events {
            if event.event_type != "MessageCreate" {
                skipped_events += 1;
                continue;
            }
            let bad = |reason: &str| MalformedDmEvent {
                id: event.id.clone(),
                reason: reason.to_owned(),
            };
            let sender_id = event.sender_id.clone().ok_or_else(|| bad("no sender_id"))?;
            let created_at_ms = event
                .created_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp_millis())
                .filter(|ms| (0..=crate::webhook::LATEST_MS).contains(ms))
                .ok_or_else(|| bad("no created_at in RFC 3339 between 1970 and 9999"))?;
            let participants = event.participant_ids.as_deref().unwrap_or_default();
            let recipient_id = match participants {
                [a, b] if *a == sender_id => Some(b.clone()),
                [a, b] if *b == sender_id => Some(a.clone()),
                _ => None,
            };
            let conversation_id = match (&event.dm_conversation_id, &recipient_id) {
                (Some(id), _) => id.clone(),
                (None, Some(recipient)) => one_to_one_conversation_id(&sender_id, recipient),
                (None, None) => return Err(bad("no dm_conversation_id")),
            };
            let sender = page.users.iter().find(|u| u.id == sender_id);
            let attachments = event
                .attachments
                .iter()
                .flat_map(|a| &a.media_keys)
                .filter_map(|key| page.media.iter().find(|m| m.media_key == *key))
                .filter_map(|m| {
                    let url = m.url.clone().or_else(|| m.preview_image_url.clone())?;
                    Some(Attachment {
                        media_type: m.media_type.clone(),
                        url,
                    })
                })
                .collect();
            messages.push(MessageEvent {
                id: event.id.clone(),
                conversation_id,
                sender_name: sender.map(|u| u.name.clone()),
                sender_username: sender.map(|u| u.username.clone()),
                sender_id,
                recipient_id,
                text: event.text.clone().unwrap_or_default(),
                created_at_ms,
                attachments,
            });
        }
        Ok(PulledEvents {
            messages,
            skipped_events,
        })
    }
}

/// X's id of a one-to-one conversation: the two user ids, smaller first, joined by `-`.
/// User ids are numbers; compared as numbers (a shorter id is smaller), not as text.
pub fn one_to_one_conversation_id(a: &str, b: &str) -> String {
    let key = |id: &str| (id.len(), id.to_owned());
    let (low, high) = if key(a) <= key(b) { (a, b) } else { (b, a) };
    format!("{low}-{high}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_to_one_conversation_is_named_by_its_ids_in_numeric_order() {
        assert_eq!(one_to_one_conversation_id("30", "4"), "4-30");
        assert_eq!(one_to_one_conversation_id("4", "30"), "4-30");
        assert_eq!(
            one_to_one_conversation_id("4337869213", "3001969357"),
            "3001969357-4337869213"
        );
    }

    const DELIVERY: &str = r#"{
      "for_user_id": "4337869213",
      "direct_message_events": [
        {"type": "message_create", "id": "954491830116155396", "created_timestamp": "1516403560557",
         "message_create": {"target": {"recipient_id": "4337869213"}, "sender_id": "3001969357",
           "message_data": {"text": "Look", "attachment": {"type": "media",
             "media": {"id_str": "9", "type": "photo", "media_url_https": "https://pbs.twimg.com/dm/9.jpg"}}}}},
        {"type": "message_create", "id": "954491830116155397", "created_timestamp": "1516403560600",
         "message_create": {"target": {"recipient_id": "3001969357"}, "sender_id": "4337869213",
           "source_app_id": "13090192", "message_data": {"text": "Thanks"}}},
        {"type": "message_read", "id": "5"}
      ],
      "direct_message_indicate_typing_events": [{"created_timestamp": "1", "sender_id": "3001969357"}],
      "users": {"3001969357": {"id": "3001969357", "name": "Jordan Brinks", "screen_name": "furiouscamper"}}
    }"#;

    #[test]
    fn an_account_activity_delivery_becomes_message_events() {
        let events = DeliveredEvents::parse(DELIVERY.as_bytes()).unwrap();
        assert_eq!(events.for_user_id, "4337869213");
        assert_eq!(events.skipped_events, 2);
        let [inbound, echo] = events.messages.as_slice() else {
            panic!("two messages: {:?}", events.messages)
        };
        assert_eq!(inbound.id, "954491830116155396");
        assert_eq!(inbound.conversation_id, "3001969357-4337869213");
        assert_eq!(echo.conversation_id, "3001969357-4337869213");
        assert_eq!(inbound.sender_name.as_deref(), Some("Jordan Brinks"));
        assert_eq!(inbound.sender_username.as_deref(), Some("furiouscamper"));
        assert_eq!(inbound.created_at_ms, 1516403560557);
        assert_eq!(
            inbound.attachments,
            vec![Attachment {
                media_type: "photo".into(),
                url: "https://pbs.twimg.com/dm/9.jpg".into()
            }]
        );
        assert_eq!(inbound.direction(&events.for_user_id), Direction::Inbound);
        assert_eq!(echo.direction(&events.for_user_id), Direction::Outbound);
        assert_eq!(echo.sender_name, None);
        assert!(echo.attachments.is_empty());
    }

    fn pulled(json: &str) -> Result<PulledEvents, MalformedDmEvent> {
        let page: serde_json::Value = serde_json::from_str(json).unwrap();
        let events = serde_json::from_value(page["data"].clone()).unwrap();
        let users = serde_json::from_value(page["includes"]["users"].clone()).unwrap_or_default();
        let media = serde_json::from_value(page["includes"]["media"].clone()).unwrap_or_default();
        PulledEvents::from_page(&DmEventsPage {
            events,
            users,
            media,
            next_token: None,
        })
    }

    #[test]
    fn a_dm_events_page_becomes_message_events_like_a_delivery() {
        let pulled = pulled(
            r#"{"data": [
              {"id": "3", "event_type": "MessageCreate", "text": "Thanks", "sender_id": "4337869213",
               "participant_ids": ["4337869213", "3001969357"], "dm_conversation_id": "3001969357-4337869213",
               "created_at": "2018-01-19T23:12:40.600Z"},
              {"id": "2", "event_type": "ParticipantsJoin", "participant_ids": ["3001969357"],
               "dm_conversation_id": "3001969357-4337869213", "created_at": "2018-01-19T23:12:40.000Z"},
              {"id": "1", "event_type": "MessageCreate", "text": "Look", "sender_id": "3001969357",
               "participant_ids": ["3001969357", "4337869213"], "dm_conversation_id": "3001969357-4337869213",
               "created_at": "2018-01-19T23:12:40.557Z", "attachments": {"media_keys": ["3_9"]}}
            ],
            "includes": {"users": [{"id": "3001969357", "name": "Jordan Brinks", "username": "furiouscamper"}],
                         "media": [{"media_key": "3_9", "type": "photo", "url": "https://pbs.twimg.com/dm/9.jpg"}]}}"#,
        )
        .unwrap();
        assert_eq!(pulled.skipped_events, 1);
        let [echo, inbound] = pulled.messages.as_slice() else {
            panic!("two messages: {:?}", pulled.messages)
        };
        assert_eq!(echo.direction("4337869213"), Direction::Outbound);
        assert_eq!(echo.recipient_id.as_deref(), Some("3001969357"));
        assert_eq!(echo.sender_name, None);
        assert_eq!(inbound.direction("4337869213"), Direction::Inbound);
        assert_eq!(inbound.sender_username.as_deref(), Some("furiouscamper"));
        assert_eq!(inbound.created_at_ms, 1516403560557);
        assert_eq!(inbound.conversation_id, "3001969357-4337869213");
        assert_eq!(
            inbound.attachments,
            vec![Attachment {
                media_type: "photo".into(),
                url: "https://pbs.twimg.com/dm/9.jpg".into()
            }]
        );
    }

    #[test]
    fn a_pulled_message_without_its_time_is_malformed() {
        let error = pulled(
            r#"{"data": [{"id": "7", "event_type": "MessageCreate", "text": "a", "sender_id": "1",
                "dm_conversation_id": "1-2"}]}"#,
        )
        .unwrap_err();
        assert_eq!(error.id, "7");
    }

    #[test]
    fn tells_a_body_that_is_not_json_from_json_of_another_shape() {
        assert!(DeliveredEvents::parse(b"{not json").unwrap_err().not_json());
        assert!(!DeliveredEvents::parse(br#"{"direct_message_events": []}"#)
            .unwrap_err()
            .not_json());
    }

    #[test]
    fn refuses_a_time_outside_1970_to_9999() {
        for stamp in ["-1", "253402300800000", "99999999999999999999"] {
            let body = format!(
                r#"{{"for_user_id": "1", "direct_message_events": [{{"type": "message_create", "id": "6",
                "created_timestamp": "{stamp}", "message_create": {{"target": {{"recipient_id": "1"}},
                "sender_id": "2", "message_data": {{"text": "a"}}}}}}]}}"#
            );
            assert!(DeliveredEvents::parse(body.as_bytes()).is_err(), "{stamp}");
        }
    }
}
