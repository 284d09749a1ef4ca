//! The HTTP side of the fake X: one entry point applies injected faults and latency, then
//! routes to X's endpoints, each checking credentials and rate limits the way X does.

// The refusals are X's answers themselves, returned as they are; boxing them would only
// add noise to a test server.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::sync::{Arc, Mutex};

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use base64::Engine as _;
use serde_json::{json, Value};

use super::driver::WebhookDriver;
use super::oauth_check::{
    base_string, base_uri, form_pairs, parse_authorization, parse_authorization_strict,
    verify_signature, OAuthRefusal,
};
use super::parameters::{
    check_query, DM_EVENTS_PARAMETERS, NO_PARAMETERS, TOKEN_PARAMETERS, USERS_ME_PARAMETERS,
};
use super::state::{
    now_rfc3339, now_secs, Endpoint, FakeAccount, FakeApp, FakeDmEvent, Fault, RateLimitBody,
    RateLimitRule, ReceivedRequest, State, Window,
};
use super::webhooks::{
    create_webhook, delete_webhook, list_webhooks, revalidate_webhook, subscribe, subscription,
    unsubscribe,
};

pub(crate) type Shared = Arc<Mutex<State>>;

/// X accepts an OAuth timestamp within a few minutes of its clock.
const TIMESTAMP_TOLERANCE_SECS: u64 = 300;

/// X's longest direct message.
const DM_TEXT_MAX_CHARS: usize = 10_000;

pub(crate) async fn dispatch(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Shared>,
    driver: web::Data<WebhookDriver>,
) -> HttpResponse {
    if req.path() == "/_fake" || req.path().starts_with("/_fake/") {
        return super::admin::handle(&req, &body, &state, &driver).await;
    }
    let endpoint = endpoint_of(req.method().as_str(), req.path());
    let at_ms = super::state::now_millis();
    let (fault, latency, user_id) = {
        let mut s = state.lock().unwrap();
        let user_id = signing_user(&req, &s);
        let fault = match s.faults.pop_front() {
            Some(fault) => Some(fault),
            None => endpoint
                .and_then(|e| s.endpoint_faults.get_mut(&e))
                .and_then(|queue| queue.pop_front()),
        };
        let fault = match fault {
            Some(fault) => Some(fault),
            None => user_id
                .as_ref()
                .and_then(|u| s.user_faults.get_mut(u))
                .and_then(|queue| queue.pop_front()),
        };
        (fault, s.latency, user_id)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match fault {
        Some(Fault::ServerError(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            problem(
                status,
                status.canonical_reason().unwrap_or("Error"),
                "Injected by the fake X",
            )
        }
        Some(Fault::Hang(duration)) => {
            tokio::time::sleep(duration).await;
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                "Answered after a hang",
            )
        }
        Some(Fault::MalformedBody) => HttpResponse::Ok()
            .content_type("application/json")
            .body("{\"data\": {\"id\": "),
        Some(Fault::TooManyRequestsResetOnly(ahead)) => {
            let body = too_many_requests(state.lock().unwrap().settings.rate_limit_body);
            HttpResponse::TooManyRequests()
                .insert_header((
                    "x-rate-limit-reset",
                    (now_secs() + ahead.as_secs()).to_string(),
                ))
                .json(body)
        }
        Some(Fault::TooManyRequests(ahead)) => {
            let body = too_many_requests(state.lock().unwrap().settings.rate_limit_body);
            let rule = endpoint.map_or(
                RateLimitRule {
                    limit: 0,
                    window: ahead,
                },
                Endpoint::x_default_rule,
            );
            let window = Window {
                reset: now_secs() + ahead.as_secs(),
                used: rule.limit,
            };
            rated(HttpResponse::TooManyRequests().json(body), (rule, window))
        }
        Some(Fault::Respond { status, body }) => {
            HttpResponseBuilder::new(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                .content_type("application/json")
                .body(body)
        }
        Some(Fault::Latency(duration)) => {
            tokio::time::sleep(duration).await;
            route(&req, &body, &state, &driver).await
        }
        None => route(&req, &body, &state, &driver).await,
    };
    state.lock().unwrap().received.push(ReceivedRequest {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        authentication: authentication_kind(&req),
        status: response.status().as_u16(),
        user_id,
        at_ms,
    });
    response
}

/// The account whose access token (`oauth_token`) a user-context request names, whether
/// or not its signature holds: for faults aimed at one account and for the record.
fn signing_user(req: &HttpRequest, state: &State) -> Option<String> {
    let header = req.headers().get("authorization")?.to_str().ok()?;
    let oauth = parse_authorization(header)?;
    let token = oauth.get("oauth_token")?;
    state
        .accounts
        .iter()
        .find(|a| &a.access_token == token)
        .map(|a| a.user_id.clone())
}

fn authentication_kind(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get("authorization")?.to_str().ok()?;
    if header.starts_with("OAuth ") {
        parse_authorization(header)?
            .get("oauth_signature_method")
            .cloned()
    } else {
        header.split_once(' ').map(|(scheme, _)| scheme.to_owned())
    }
}

/// The endpoint a request is counted against (and an endpoint fault aimed at).
fn endpoint_of(method: &str, path: &str) -> Option<Endpoint> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    Some(match (method, segments.as_slice()) {
        ("GET", ["2", "users", "me"]) => Endpoint::UsersMe,
        ("GET", ["2", "dm_events"]) => Endpoint::DmEvents,
        ("POST", ["oauth2", "token"]) => Endpoint::Token,
        ("POST" | "GET", ["2", "webhooks"]) | ("PUT" | "DELETE", ["2", "webhooks", _]) => {
            Endpoint::Webhooks
        }
        ("POST" | "GET", ["2", "account_activity", "webhooks", _, "subscriptions", "all"])
        | ("DELETE", ["2", "account_activity", "webhooks", _, "subscriptions", _, "all"]) => {
            Endpoint::Subscriptions
        }
        ("POST", ["2", "dm_conversations", "with", _, "messages"]) => Endpoint::SendMessage,
        ("POST", ["2", "webhooks", "replay"]) => Endpoint::WebhookReplay,
        _ => return None,
    })
}

async fn route(
    req: &HttpRequest,
    body: &[u8],
    state: &Shared,
    driver: &WebhookDriver,
) -> HttpResponse {
    let segments: Vec<&str> = req.path().trim_matches('/').split('/').collect();
    match (req.method().as_str(), segments.as_slice()) {
        ("GET", ["2", "users", "me"]) => users_me(req, body, state),
        ("GET", ["2", "dm_events"]) => dm_events(req, body, state),
        ("POST", ["oauth2", "token"]) => token(req, body, state),
        ("POST", ["2", "webhooks"]) => create_webhook(req, body, state, driver).await,
        ("POST", ["2", "webhooks", "replay"]) => {
            super::replay::create_replay_job(req, body, state, driver).await
        }
        ("GET", ["2", "webhooks"]) => list_webhooks(req, state).await,
        ("PUT", ["2", "webhooks", id]) => revalidate_webhook(req, state, driver, id).await,
        ("DELETE", ["2", "webhooks", id]) => delete_webhook(req, state, id).await,
        ("POST", ["2", "account_activity", "webhooks", id, "subscriptions", "all"]) => {
            subscribe(req, body, state, id)
        }
        ("GET", ["2", "account_activity", "webhooks", id, "subscriptions", "all"]) => {
            subscription(req, body, state, id)
        }
        ("DELETE", ["2", "account_activity", "webhooks", id, "subscriptions", user_id, "all"]) => {
            unsubscribe(req, state, id, user_id).await
        }
        ("POST", ["2", "dm_conversations", "with", participant, "messages"]) => {
            send_message(req, body, state, participant)
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            "Not Found Error",
            "Sorry, that page does not exist.",
        ),
    }
}

/// X's v2 problem document.
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    HttpResponseBuilder::new(status)
        .content_type("application/json")
        .json(json!({
            "title": title, "detail": detail, "type": "about:blank", "status": status.as_u16()
        }))
}

pub(crate) fn unauthorized(detail: impl std::fmt::Display) -> HttpResponse {
    problem(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        &format!("Unauthorized: {detail}"),
    )
}

/// X's 403 to a request authenticated in a way the endpoint does not take: app-only bearer on a
/// user-context endpoint, OAuth 1.0a on an app-only one. Not a refusal of the credentials.
fn unsupported_authentication(used: &str, supported: &str) -> HttpResponse {
    HttpResponse::Forbidden().json(json!({
        "title": "Unsupported Authentication",
        "detail": format!("Authenticating with {used} is forbidden for this endpoint.  Supported authentication types are [{supported}]."),
        "type": "https://api.twitter.com/2/problems/unsupported-authentication",
        "status": 403
    }))
}

pub(crate) fn invalid_request(detail: &str, errors: Value) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({
        "errors": errors,
        "title": "Invalid Request",
        "detail": detail,
        "type": "https://api.twitter.com/2/problems/invalid-request"
    }))
}

/// The rule and window of an endpoint after a call was counted.
type Rate = (RateLimitRule, Window);

/// X's `x-rate-limit-limit`, `-remaining` and `-reset` headers.
fn insert_rate_limit(response: &mut HttpResponse, (rule, window): Rate) {
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-rate-limit-limit", rule.limit),
        ("x-rate-limit-remaining", rule.limit - window.used),
        ("x-rate-limit-reset", window.reset),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

/// An endpoint's own answer, success or refusal, with the rate-limit headers: X sends them on
/// every answer to a call it counted.
fn rated(mut response: HttpResponse, rate: Rate) -> HttpResponse {
    insert_rate_limit(&mut response, rate);
    response
}

/// Counts the call; a 429 with X's headers when the window is used up.
fn rate_limit(state: &mut State, endpoint: Endpoint, caller: &str) -> Result<Rate, HttpResponse> {
    state
        .take_rate_limit(endpoint, caller)
        .map_err(|exhausted| {
            let body = too_many_requests(state.settings.rate_limit_body);
            let mut response = HttpResponse::TooManyRequests().json(body);
            insert_rate_limit(&mut response, exhausted);
            response
        })
}

fn too_many_requests(shape: RateLimitBody) -> Value {
    match shape {
        RateLimitBody::V2Problem => {
            json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429})
        }
        RateLimitBody::V1Code88 => {
            json!({"errors": [{"code": 88, "message": "Rate limit exceeded"}]})
        }
    }
}

/// A user-context endpoint: verifies the OAuth 1.0a signature, counts the call against the
/// account's window, then runs `work` with the state still locked. A refusal is X's answer.
pub(crate) fn as_user(
    req: &HttpRequest,
    body: &[u8],
    state: &Shared,
    endpoint: Endpoint,
    work: impl FnOnce(&mut State, &FakeAccount) -> HttpResponse,
) -> HttpResponse {
    let mut s = state.lock().unwrap();
    let authorized = authenticate_user(req, body, &mut s)
        .and_then(|account| Ok((rate_limit(&mut s, endpoint, &account.user_id)?, account)));
    match authorized {
        Ok((rate, account)) => rated(work(&mut s, &account), rate),
        Err(refusal) => refusal,
    }
}

/// An app-only endpoint: checks the bearer token, counts the call against the app's window,
/// then runs `work` without the state locked, so it may await (a CRC) and lock when it needs.
pub(crate) async fn as_app<Work, Answer>(
    req: &HttpRequest,
    state: &Shared,
    endpoint: Endpoint,
    work: Work,
) -> HttpResponse
where
    Work: FnOnce(FakeApp) -> Answer,
    Answer: Future<Output = HttpResponse>,
{
    let authorized = {
        let mut s = state.lock().unwrap();
        authenticate_bearer(req, &s)
            .and_then(|app| Ok((rate_limit(&mut s, endpoint, &app.api_key)?, app)))
    };
    match authorized {
        Ok((rate, app)) => rated(work(app).await, rate),
        Err(refusal) => refusal,
    }
}

/// Verifies an OAuth 1.0a user-context request with the fake X's own base-string code.
fn authenticate_user(
    req: &HttpRequest,
    body: &[u8],
    state: &mut State,
) -> Result<FakeAccount, HttpResponse> {
    let header = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| unauthorized("no Authorization header"))?;
    if header.starts_with("Bearer ") {
        return Err(unsupported_authentication(
            "OAuth 2.0 Application-Only",
            "OAuth 1.0a User Context, OAuth 2.0 User Context",
        ));
    }
    let checked = (|| {
        let oauth = parse_authorization_strict(header)?;
        let field =
            |name: &'static str| oauth.get(name).cloned().ok_or(OAuthRefusal::Missing(name));
        let consumer_key = field("oauth_consumer_key")?;
        let token = field("oauth_token")?;
        let timestamp: u64 = field("oauth_timestamp")?
            .parse()
            .map_err(|_| OAuthRefusal::StaleTimestamp)?;
        let nonce = field("oauth_nonce")?;
        if now_secs().abs_diff(timestamp) > TIMESTAMP_TOLERANCE_SECS {
            return Err(OAuthRefusal::StaleTimestamp);
        }
        let mut params = form_pairs(req.query_string());
        let is_form = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            params.extend(form_pairs(&String::from_utf8_lossy(body)));
        }
        let mut seen = std::collections::HashSet::new();
        for (name, _) in params.iter().filter(|(k, _)| k.starts_with("oauth_")) {
            if oauth.contains_key(name) || !seen.insert(name) {
                return Err(OAuthRefusal::Repeated(name.clone()));
            }
        }
        if state.settings.refuse_hmac_sha256
            && oauth.get("oauth_signature_method").map(String::as_str) == Some("HMAC-SHA256")
        {
            return Err(OAuthRefusal::RefusedMethod);
        }
        let app = state
            .apps
            .get(&consumer_key)
            .cloned()
            .ok_or(OAuthRefusal::BadSignature)?;
        let account = state
            .account_by_token(&consumer_key, &token)
            .cloned()
            .ok_or(OAuthRefusal::BadSignature)?;
        let config = req.app_config();
        let uri = base_uri(config.secure(), config.local_addr(), req.path());
        let base = base_string(req.method().as_str(), &uri, &params, &oauth);
        verify_signature(
            &oauth,
            &base,
            &app.api_key_secret,
            &account.access_token_secret,
        )?;
        if !state
            .nonces
            .insert(format!("{consumer_key}:{timestamp}:{nonce}"))
        {
            return Err(OAuthRefusal::ReusedNonce);
        }
        Ok(account)
    })();
    checked.map_err(unauthorized)
}

fn authenticate_bearer(req: &HttpRequest, state: &State) -> Result<FakeApp, HttpResponse> {
    let header = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| unauthorized("no bearer token"))?;
    if header.starts_with("OAuth ") {
        return Err(unsupported_authentication(
            "OAuth 1.0a User Context",
            "OAuth 2.0 Application-Only",
        ));
    }
    // Compared as sent: X's bearer tokens hold `%2B` and `%3D`, which a client must not decode.
    let token = header
        .strip_prefix("Bearer ")
        .ok_or_else(|| unauthorized("no bearer token"))?;
    state
        .app_by_bearer(token)
        .cloned()
        .ok_or_else(|| unauthorized("unknown bearer token"))
}

fn users_me(req: &HttpRequest, body: &[u8], state: &Shared) -> HttpResponse {
    as_user(req, body, state, Endpoint::UsersMe, |_, account| {
        if let Err(refusal) = check_query(req, USERS_ME_PARAMETERS) {
            return refusal;
        }
        HttpResponse::Ok().json(json!({
            "data": {"id": account.user_id, "name": account.name, "username": account.username}
        }))
    })
}

fn dm_events(req: &HttpRequest, body: &[u8], state: &Shared) -> HttpResponse {
    as_user(req, body, state, Endpoint::DmEvents, |s, account| {
        dm_events_page(req, s, account)
    })
}

fn dm_events_page(req: &HttpRequest, s: &mut State, account: &FakeAccount) -> HttpResponse {
    if let Err(refusal) = check_query(req, DM_EVENTS_PARAMETERS) {
        return refusal;
    }
    let params = form_pairs(req.query_string());
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let max_results = match param("max_results").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            let value = param("max_results").unwrap_or_default();
            return invalid_request(
                "One or more parameters to your request was invalid.",
                json!([{"parameters": {"max_results": [value]}, "message": format!("The `max_results` query parameter value [{value}] is not between 1 and 100")}]),
            );
        }
    };
    let offset = match param("pagination_token").map(|t| {
        t.strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
    }) {
        None => 0,
        Some(Some(offset)) => offset,
        Some(None) => {
            return invalid_request(
                "One or more parameters to your request was invalid.",
                json!([{"parameters": {"pagination_token": [param("pagination_token")]}, "message": "The `pagination_token` query parameter value is not valid"}]),
            )
        }
    };
    let fields: Vec<&str> = param("dm_event.fields")
        .map(|f| f.split(',').collect())
        .unwrap_or_default();
    let expand_senders =
        param("expansions").is_some_and(|e| e.split(',').any(|x| x == "sender_id"));
    let expand_media =
        param("expansions").is_some_and(|e| e.split(',').any(|x| x == "attachments.media_keys"));
    let media_fields: Vec<&str> = param("media.fields")
        .map(|f| f.split(',').collect())
        .unwrap_or_default();
    let event_types: Option<Vec<&str>> = param("event_types").map(|t| t.split(',').collect());
    let all: Vec<(FakeDmEvent, &str)> = s
        .dm_events
        .get(&account.user_id)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|event| {
            let event_type = s.event_type(&event.id);
            (event, event_type)
        })
        .filter(|(_, event_type)| event_types.as_ref().is_none_or(|t| t.contains(event_type)))
        .collect();
    let page: Vec<&(FakeDmEvent, &str)> = all.iter().skip(offset).take(max_results).collect();
    let mut meta = json!({"result_count": page.len()});
    if offset + page.len() < all.len() {
        meta["next_token"] = json!(format!("page-{}", offset + page.len()));
    }
    if offset > 0 {
        meta["previous_token"] = json!(format!("page-{}", offset.saturating_sub(max_results)));
    }
    let mut answer = json!({"meta": meta});
    if !page.is_empty() {
        answer["data"] = Value::Array(
            page.iter()
                .map(|(event, event_type)| dm_event_json(event, event_type, &fields))
                .collect(),
        );
        if expand_senders {
            let mut senders: Vec<&str> = page.iter().map(|(e, _)| e.sender_id.as_str()).collect();
            senders.sort_unstable();
            senders.dedup();
            let users: Vec<Value> = senders.iter().map(|id| user_json(s, id)).collect();
            answer["includes"] = json!({"users": users});
        }
        let media: Vec<Value> = page
            .iter()
            .flat_map(|(e, _)| &e.media)
            .map(|m| {
                // X sends `media_key` and `type` unless `media.fields` asks for more.
                let mut value = json!({"media_key": m.media_key, "type": m.media_type});
                if media_fields.contains(&"url") {
                    value["url"] = json!(m.url);
                }
                value
            })
            .collect();
        if expand_media && !media.is_empty() {
            answer["includes"]["media"] = Value::Array(media);
        }
    }
    HttpResponse::Ok().json(answer)
}

/// X returns `id`, `event_type` and `text` unless more fields are asked for (R-INGEST-6); a
/// join or leave event has no text.
fn dm_event_json(event: &FakeDmEvent, event_type: &str, fields: &[&str]) -> Value {
    let mut value = json!({"id": event.id, "event_type": event_type});
    if event_type == "MessageCreate" {
        value["text"] = json!(event.text);
    }
    for field in fields {
        match *field {
            "sender_id" => value["sender_id"] = json!(event.sender_id),
            "created_at" => value["created_at"] = json!(event.created_at),
            "dm_conversation_id" => value["dm_conversation_id"] = json!(event.dm_conversation_id),
            "participant_ids" => value["participant_ids"] = json!(event.participant_ids),
            "attachments" if !event.media.is_empty() => {
                let keys: Vec<&str> = event.media.iter().map(|m| m.media_key.as_str()).collect();
                value["attachments"] = json!({ "media_keys": keys });
            }
            _ => {}
        }
    }
    value
}

fn user_json(state: &State, user_id: &str) -> Value {
    match state.accounts.iter().find(|a| a.user_id == user_id) {
        Some(a) => json!({"id": a.user_id, "name": a.name, "username": a.username}),
        None => {
            json!({"id": user_id, "name": format!("Customer {user_id}"), "username": format!("customer{user_id}")})
        }
    }
}

/// `POST /oauth2/token`: Basic auth of the encoded API key and secret; X answers 403 with
/// code 99 when they are wrong.
fn token(req: &HttpRequest, body: &[u8], state: &Shared) -> HttpResponse {
    let mut s = state.lock().unwrap();
    let refused = || {
        HttpResponse::Forbidden().json(json!({"errors": [{"code": 99, "message": "Unable to verify your credentials", "label": "authenticity_token_error"}]}))
    };
    let Some(pair) = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return refused();
    };
    let Some((key, secret)) = pair.split_once(':') else {
        return refused();
    };
    let decode = |v: &str| {
        percent_encoding::percent_decode_str(v)
            .decode_utf8_lossy()
            .into_owned()
    };
    let (key, secret) = (decode(key), decode(secret));
    if let Err(refusal) = check_query(req, TOKEN_PARAMETERS) {
        return refusal;
    }
    let Some(app) = s
        .apps
        .get(&key)
        .filter(|a| a.api_key_secret == secret)
        .cloned()
    else {
        return refused();
    };
    if !form_pairs(&String::from_utf8_lossy(body))
        .iter()
        .any(|(k, v)| k == "grant_type" && v == "client_credentials")
    {
        return HttpResponse::Forbidden().json(json!({"errors": [{"code": 170, "message": "Missing required parameter: grant_type", "label": "forbidden_missing_parameter"}]}));
    }
    match rate_limit(&mut s, Endpoint::Token, &app.api_key) {
        Ok(rate) => rated(
            HttpResponse::Ok()
                .json(json!({"token_type": "bearer", "access_token": app.bearer_token})),
            rate,
        ),
        Err(response) => response,
    }
}

fn send_message(req: &HttpRequest, body: &[u8], state: &Shared, participant: &str) -> HttpResponse {
    as_user(req, body, state, Endpoint::SendMessage, |s, account| {
        if let Err(refusal) = check_query(req, NO_PARAMETERS) {
            return refusal;
        }
        if participant.is_empty() || !participant.bytes().all(|b| b.is_ascii_digit()) {
            return invalid_request(
                "participant_id must be an X id",
                json!([{"message": "participant_id is invalid"}]),
            );
        }
        let Some(text) = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v["text"].as_str().map(str::to_owned))
            .filter(|t| !t.is_empty())
        else {
            return invalid_request(
                "One or more parameters to your request was invalid.",
                json!([{"message": "text is required"}]),
            );
        };
        let length = text.chars().count();
        if length > DM_TEXT_MAX_CHARS {
            return invalid_request(
                "One or more parameters to your request was invalid.",
                json!([{"parameters": {"text": [format!("{length} characters")]}, "message": format!("text must be at most {DM_TEXT_MAX_CHARS} characters, not {length}")}]),
            );
        }
        let id = s.new_id();
        let conversation = conversation_id(&account.user_id, participant);
        let event = FakeDmEvent {
            id: id.clone(),
            text,
            sender_id: account.user_id.clone(),
            participant_ids: vec![account.user_id.clone(), participant.to_owned()],
            created_at: now_rfc3339(),
            dm_conversation_id: conversation.clone(),
            media: Vec::new(),
        };
        s.dm_events
            .entry(account.user_id.clone())
            .or_default()
            .insert(0, event);
        HttpResponse::Created()
            .json(json!({"data": {"dm_conversation_id": conversation, "dm_event_id": id}}))
    })
}

/// X names a one-to-one conversation by both ids, smaller first.
pub(crate) fn conversation_id(a: &str, b: &str) -> String {
    let (a_num, b_num) = (
        a.parse::<u128>().unwrap_or(0),
        b.parse::<u128>().unwrap_or(0),
    );
    if a_num <= b_num {
        format!("{a}-{b}")
    } else {
        format!("{b}-{a}")
    }
}
