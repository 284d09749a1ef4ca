//! `GET /2/dm_events` and the pager that walks back to the last event already stored
//! (R-INGEST-2, R-INGEST-6).

use reqwest::Method;
use serde::Deserialize;

use crate::oauth::{SignatureMethod, UserCredentials};

use super::transport::{Body, Credential};
use super::{RateLimit, XClient, XError, XResponse, XUser};

/// One DM event. X returns only `id`, `event_type` and `text` unless `dm_event.fields` asks
/// for more, so everything else is optional.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DmEvent {
    pub id: String,
    pub event_type: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub sender_id: Option<String>,
    /// RFC 3339, as X sends it.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub dm_conversation_id: Option<String>,
    #[serde(default)]
    pub participant_ids: Option<Vec<String>>,
    /// The media attached, by key into `includes.media` (`attachments.media_keys`).
    #[serde(default)]
    pub attachments: Option<DmAttachments>,
    /// Posts the message shares.
    #[serde(default)]
    pub referenced_tweets: Option<Vec<ReferencedTweet>>,
}

/// `attachments` of a DM event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct DmAttachments {
    #[serde(default)]
    pub media_keys: Vec<String>,
}

/// A post a DM event refers to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ReferencedTweet {
    pub id: String,
}

/// A medium from `includes.media` (the `attachments.media_keys` expansion). X sends
/// `media_key` and `type` unless `media.fields` asks for more.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct XMedia {
    pub media_key: String,
    #[serde(rename = "type")]
    pub media_type: String,
    #[serde(default)]
    pub url: Option<String>,
    /// A video's or GIF's still, which X gives instead of `url`.
    #[serde(default)]
    pub preview_image_url: Option<String>,
}

/// The parameters of one `GET /2/dm_events` call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DmEventsQuery {
    pub dm_event_fields: Vec<String>,
    pub expansions: Vec<String>,
    pub user_fields: Vec<String>,
    pub media_fields: Vec<String>,
    pub event_types: Option<String>,
    /// 1 to 100; X answers 400 outside that range, so we refuse before sending.
    pub max_results: Option<u32>,
    pub pagination_token: Option<String>,
}

impl DmEventsQuery {
    /// What ingestion needs: who sent what, when, in which conversation, with the senders.
    pub fn for_ingestion() -> Self {
        DmEventsQuery {
            dm_event_fields: [
                "id",
                "event_type",
                "text",
                "sender_id",
                "created_at",
                "dm_conversation_id",
                "participant_ids",
            ]
            .map(String::from)
            .to_vec(),
            expansions: vec!["sender_id".into()],
            user_fields: vec!["id".into(), "name".into(), "username".into()],
            media_fields: Vec::new(),
            event_types: Some("MessageCreate".into()),
            max_results: Some(100),
            pagination_token: None,
        }
    }

    /// The minute pull's query (issue 15): every field a stored message needs, the
    /// senders' names and handles and the attached media, 100 events a page. All event
    /// types come (X's default); what is not a `MessageCreate` is skipped when read.
    /// `media.fields` asks for the media's URL, which X leaves out by default.
    pub fn minute_pull() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        DmEventsQuery {
            dm_event_fields: list(&[
                "id",
                "event_type",
                "text",
                "sender_id",
                "participant_ids",
                "dm_conversation_id",
                "created_at",
                "attachments",
                "referenced_tweets",
            ]),
            expansions: list(&["sender_id", "attachments.media_keys"]),
            user_fields: list(&["name", "username"]),
            media_fields: list(&["type", "url", "preview_image_url"]),
            event_types: None,
            max_results: Some(100),
            pagination_token: None,
        }
    }

    fn params(&self) -> Result<Vec<(&'static str, String)>, XError> {
        let mut params = Vec::new();
        if !self.dm_event_fields.is_empty() {
            params.push(("dm_event.fields", self.dm_event_fields.join(",")));
        }
        if let Some(event_types) = &self.event_types {
            params.push(("event_types", event_types.clone()));
        }
        if !self.expansions.is_empty() {
            params.push(("expansions", self.expansions.join(",")));
        }
        if let Some(max_results) = self.max_results {
            if !(1..=100).contains(&max_results) {
                return Err(XError::InvalidRequest(format!(
                    "max_results {max_results} is not between 1 and 100"
                )));
            }
            params.push(("max_results", max_results.to_string()));
        }
        if let Some(token) = &self.pagination_token {
            params.push(("pagination_token", token.clone()));
        }
        if !self.user_fields.is_empty() {
            params.push(("user.fields", self.user_fields.join(",")));
        }
        if !self.media_fields.is_empty() {
            params.push(("media.fields", self.media_fields.join(",")));
        }
        Ok(params)
    }
}

/// One page, newest event first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DmEventsPage {
    pub events: Vec<DmEvent>,
    /// Users from `includes.users` (the `sender_id` expansion).
    pub users: Vec<XUser>,
    /// Media from `includes.media` (the `attachments.media_keys` expansion).
    pub media: Vec<XMedia>,
    /// The token of the next (older) page; `None` on the last page.
    pub next_token: Option<String>,
}

#[derive(Deserialize)]
struct RawPage {
    data: Option<Vec<DmEvent>>,
    #[serde(default)]
    includes: RawIncludes,
    meta: Option<RawMeta>,
    #[serde(default)]
    errors: Vec<RawPartialError>,
}

#[derive(Deserialize, Default)]
struct RawIncludes {
    #[serde(default)]
    users: Vec<XUser>,
    #[serde(default)]
    media: Vec<XMedia>,
}

#[derive(Deserialize)]
struct RawMeta {
    result_count: u64,
    next_token: Option<String>,
}

#[derive(Deserialize)]
struct RawPartialError {
    title: Option<String>,
    detail: Option<String>,
}

impl RawPage {
    fn into_page(self) -> Result<DmEventsPage, XError> {
        let next_token = self.meta.as_ref().and_then(|m| m.next_token.clone());
        let events = match (self.data, &self.meta) {
            (Some(events), _) => events,
            // X leaves `data` out when there is nothing to return (R-INGEST-6).
            (None, Some(meta)) if meta.result_count == 0 => Vec::new(),
            (None, _) => {
                let first = self.errors.into_iter().next();
                return Err(match first {
                    Some(error) => XError::Api {
                        status: 200,
                        title: error.title,
                        detail: error.detail,
                        rate_limit: None,
                    },
                    None => XError::MalformedBody {
                        status: 200,
                        reason: "no data and no meta.result_count of 0".into(),
                    },
                });
            }
        };
        Ok(DmEventsPage {
            events,
            users: self.includes.users,
            media: self.includes.media,
            next_token,
        })
    }
}

/// Why a walk stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkStop {
    /// Found the event already stored; everything newer was collected.
    ReachedKnownEvent,
    /// X has no older page.
    NoMorePages,
    /// The page budget ran out before either of the above.
    PageLimit,
    /// X said no requests remain in this window; walking on would only earn a 429.
    RateLimitExhausted,
}

/// The events newer than the known one, newest first.
#[derive(Clone, Debug)]
pub struct DmEventWalk {
    pub events: Vec<DmEvent>,
    pub users: Vec<XUser>,
    pub stop: WalkStop,
    pub pages: usize,
    /// The rate-limit state after the last call.
    pub rate_limit: Option<RateLimit>,
}

impl DmEventWalk {
    /// True when a known event was given but not reached: messages between it and the oldest
    /// one collected may be missing, and the caller must record the gap (R-INGEST-2).
    pub fn has_gap(&self, known_event_id: Option<&str>) -> bool {
        known_event_id.is_some() && self.stop != WalkStop::ReachedKnownEvent
    }
}

impl XClient {
    /// One page of `GET /2/dm_events`.
    pub async fn dm_events(
        &self,
        credentials: &UserCredentials,
        method: SignatureMethod,
        query: &DmEventsQuery,
    ) -> Result<XResponse<DmEventsPage>, XError> {
        let params = query.params()?;
        let answer: XResponse<RawPage> = self
            .call(
                Method::GET,
                "/2/dm_events",
                &params,
                Body::Empty,
                Credential::User(credentials, method),
            )
            .await?;
        let rate_limit = answer.rate_limit;
        let page = answer.value.into_page().map_err(|error| match error {
            XError::Api {
                status,
                title,
                detail,
                ..
            } => XError::Api {
                status,
                title,
                detail,
                rate_limit,
            },
            other => other,
        })?;
        Ok(XResponse {
            value: page,
            rate_limit,
        })
    }

    /// Walks pages from the newest back until `known_event_id`, the last page, `max_pages`
    /// or an exhausted rate limit, whichever comes first.
    pub async fn walk_dm_events(
        &self,
        credentials: &UserCredentials,
        method: SignatureMethod,
        query: &DmEventsQuery,
        known_event_id: Option<&str>,
        max_pages: usize,
    ) -> Result<DmEventWalk, XError> {
        let mut query = query.clone();
        query.pagination_token = None;
        let mut walk = DmEventWalk {
            events: Vec::new(),
            users: Vec::new(),
            stop: WalkStop::NoMorePages,
            pages: 0,
            rate_limit: None,
        };
        loop {
            let answer = self.dm_events(credentials, method, &query).await?;
            walk.pages += 1;
            walk.rate_limit = answer.rate_limit;
            let page = answer.value;
            walk.users.extend(page.users);
            for event in page.events {
                if Some(event.id.as_str()) == known_event_id {
                    walk.stop = WalkStop::ReachedKnownEvent;
                    return Ok(walk);
                }
                walk.events.push(event);
            }
            let Some(next_token) = page.next_token else {
                walk.stop = WalkStop::NoMorePages;
                return Ok(walk);
            };
            if walk.pages >= max_pages {
                walk.stop = WalkStop::PageLimit;
                return Ok(walk);
            }
            if walk.rate_limit.is_some_and(|r| r.is_exhausted()) {
                walk.stop = WalkStop::RateLimitExhausted;
                return Ok(walk);
            }
            query.pagination_token = Some(next_token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> Result<DmEventsPage, XError> {
        serde_json::from_str::<RawPage>(json).unwrap().into_page()
    }

    #[test]
    fn a_missing_data_with_result_count_zero_is_an_empty_page() {
        let page = page(r#"{"meta": {"result_count": 0}}"#).unwrap();
        assert!(page.events.is_empty());
        assert_eq!(page.next_token, None);
    }

    #[test]
    fn a_missing_data_with_errors_keeps_x_title_and_detail() {
        let error =
            page(r#"{"errors": [{"title": "Forbidden", "detail": "no DM access"}]}"#).unwrap_err();
        assert!(error.to_string().contains("no DM access"), "{error}");
    }

    #[test]
    fn a_missing_data_without_meta_is_malformed() {
        assert!(matches!(page("{}"), Err(XError::MalformedBody { .. })));
    }

    #[test]
    fn reads_only_the_default_fields_when_no_more_were_asked() {
        let page = page(
            r#"{"data": [{"id": "1", "event_type": "MessageCreate", "text": "hi"}],
            "meta": {"result_count": 1, "next_token": "abc"}}"#,
        )
        .unwrap();
        assert_eq!(page.events[0].sender_id, None);
        assert_eq!(page.next_token.as_deref(), Some("abc"));
    }

    #[test]
    fn refuses_max_results_outside_1_to_100_before_sending() {
        for bad in [0, 101] {
            let query = DmEventsQuery {
                max_results: Some(bad),
                ..DmEventsQuery::default()
            };
            assert!(matches!(query.params(), Err(XError::InvalidRequest(_))));
        }
        let query = DmEventsQuery {
            max_results: Some(100),
            ..DmEventsQuery::default()
        };
        assert!(query.params().is_ok());
    }
}
