//! The query parameters each endpoint of the fake X knows, and the values X lists for them:
//! X answers 400 to any other parameter or value (R-INGEST-6).

use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use super::oauth_check::form_pairs;
use super::routes::invalid_request;

/// A query parameter an endpoint knows, with the values it takes when X lists them (a
/// comma-separated list of those); `None` takes any value.
pub(crate) type Parameter = (&'static str, Option<&'static [&'static str]>);

pub(crate) const DM_EVENT_FIELDS: &[&str] = &[
    "attachments",
    "created_at",
    "dm_conversation_id",
    "entities",
    "event_type",
    "id",
    "participant_ids",
    "referenced_tweets",
    "sender_id",
    "text",
];
pub(crate) const DM_EVENT_EXPANSIONS: &[&str] = &[
    "attachments.media_keys",
    "participant_ids",
    "referenced_tweets.id",
    "sender_id",
];
pub(crate) const EVENT_TYPES: &[&str] = &["MessageCreate", "ParticipantsJoin", "ParticipantsLeave"];
pub(crate) const USER_FIELDS: &[&str] = &[
    "affiliation",
    "connection_status",
    "created_at",
    "description",
    "entities",
    "id",
    "is_identity_verified",
    "location",
    "most_recent_tweet_id",
    "name",
    "parody",
    "pinned_tweet_id",
    "profile_banner_url",
    "profile_image_url",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "subscription",
    "subscription_type",
    "url",
    "username",
    "verified",
    "verified_followers_count",
    "verified_type",
    "withheld",
];
pub(crate) const USER_EXPANSIONS: &[&str] = &[
    "affiliation.user_id",
    "most_recent_tweet_id",
    "pinned_tweet_id",
];
pub(crate) const WEBHOOK_FIELDS: &[&str] = &["created_at", "id", "url", "valid"];

pub(crate) const DM_EVENTS_PARAMETERS: &[Parameter] = &[
    ("dm_event.fields", Some(DM_EVENT_FIELDS)),
    ("event_types", Some(EVENT_TYPES)),
    ("expansions", Some(DM_EVENT_EXPANSIONS)),
    ("max_results", None),
    ("media.fields", None),
    ("pagination_token", None),
    ("tweet.fields", None),
    ("user.fields", Some(USER_FIELDS)),
];
pub(crate) const USERS_ME_PARAMETERS: &[Parameter] = &[
    ("expansions", Some(USER_EXPANSIONS)),
    ("tweet.fields", None),
    ("user.fields", Some(USER_FIELDS)),
];
pub(crate) const LIST_WEBHOOKS_PARAMETERS: &[Parameter] =
    &[("webhook_config.fields", Some(WEBHOOK_FIELDS))];
pub(crate) const TOKEN_PARAMETERS: &[Parameter] = &[("grant_type", None)];
pub(crate) const NO_PARAMETERS: &[Parameter] = &[];

/// Checks the query against the parameters an endpoint knows and the values X lists for
/// them: X answers 400 to anything else, naming the parameter.
#[allow(clippy::result_large_err)] // a refusal is the answer itself
pub(crate) fn check_query(req: &HttpRequest, known: &[Parameter]) -> Result<(), HttpResponse> {
    for (name, value) in form_pairs(req.query_string()) {
        let Some((_, values)) = known.iter().find(|(k, _)| *k == name) else {
            let names: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
            return Err(invalid_request(
                "One or more parameters to your request was invalid.",
                json!([{"parameters": {&name: [&value]}, "message": format!("The query parameter [{name}] is not one of [{}]", names.join(","))}]),
            ));
        };
        let Some(values) = values else { continue };
        if let Some(bad) = value.split(',').find(|v| !values.contains(v)) {
            return Err(invalid_request(
                "One or more parameters to your request was invalid.",
                json!([{"parameters": {&name: [&value]}, "message": format!("The `{name}` query parameter value [{bad}] is not one of [{}]", values.join(","))}]),
            ));
        }
    }
    Ok(())
}
