//! The fake X's own control endpoints under `/_fake/`, a path X does not use: register apps
//! and accounts, add or deliver direct messages, run the CRC and turn the fake's switches, so a
//! person can demo the whole flow by hand with `curl` (README, "The fake X").

// As in routes.rs: a refusal is the answer itself.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Deserialize;
use serde_json::{json, Value};

use super::driver::{rand_token, WebhookDriver};
use super::oauth_check::base_uri;
use super::routes::Shared;
use super::state::{FakeAccount, FakeApp, FakeSettings, FakeWebhook};
use super::webhooks::crc_webhook;

fn refused(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponseBuilder::new(status).json(json!({ "error": message.into() }))
}

fn body<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, HttpResponse> {
    let bytes = if bytes.is_empty() { b"{}" } else { bytes };
    serde_json::from_slice(bytes).map_err(|e| refused(StatusCode::BAD_REQUEST, e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApp {
    api_key: Option<String>,
    api_key_secret: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    api_key: String,
    user_id: Option<String>,
    name: Option<String>,
    username: Option<String>,
    access_token: Option<String>,
    access_token_secret: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMessage {
    user_id: String,
    sender_id: String,
    text: String,
    #[serde(default = "one")]
    copies: usize,
}

/// Every answer's delay, for benchmarks (X's own latency).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Latency {
    ms: u64,
}

/// The requests received, oldest first (`?path=/2/dm_events` for one path): who signed
/// each, when, and what the fake answered, so a benchmark can tell how often each account
/// was read.
fn requests(req: &HttpRequest, state: &Shared) -> HttpResponse {
    let pairs = super::oauth_check::form_pairs(req.query_string());
    let path = pairs
        .iter()
        .find(|(k, _)| k == "path")
        .map(|(_, v)| v.as_str());
    let s = state.lock().unwrap();
    let listed: Vec<Value> = s
        .received
        .iter()
        .filter(|r| path.is_none_or(|p| r.path == p))
        .map(|r| {
            json!({"method": r.method, "path": r.path, "user_id": r.user_id,
                   "status": r.status, "at_ms": r.at_ms})
        })
        .collect();
    HttpResponse::Ok().json(listed)
}

fn one() -> usize {
    1
}

pub(crate) async fn handle(
    req: &HttpRequest,
    bytes: &[u8],
    state: &Shared,
    driver: &WebhookDriver,
) -> HttpResponse {
    let segments: Vec<&str> = req.path().trim_matches('/').split('/').collect();
    let answer = match (req.method().as_str(), &segments[1..]) {
        ("GET", []) => Ok(overview(req, state)),
        ("POST", ["apps"]) => body(bytes).map(|new| add_app(state, new)),
        ("POST", ["accounts"]) => match body(bytes) {
            Ok(new) => add_account(state, new),
            Err(refusal) => Err(refusal),
        },
        ("POST", ["messages"]) => body(bytes).map(|new: NewMessage| {
            let id =
                state
                    .lock()
                    .unwrap()
                    .add_received_message(&new.user_id, &new.sender_id, &new.text);
            HttpResponse::Created().json(json!({ "event_id": id }))
        }),
        ("POST", ["deliveries"]) => match body::<NewMessage>(bytes) {
            Ok(new) => deliver(state, driver, new).await,
            Err(refusal) => Err(refusal),
        },
        ("POST", ["crc"]) => Ok(scheduled_crc(state, driver).await),
        ("POST", ["webhooks", id, "crc"]) => Ok(one_crc(state, driver, id).await),
        ("GET", ["settings"]) => Ok(HttpResponse::Ok().json(&state.lock().unwrap().settings)),
        ("PUT" | "POST", ["latency"]) => body(bytes).map(|latency: Latency| {
            state.lock().unwrap().latency = std::time::Duration::from_millis(latency.ms);
            HttpResponse::Ok().json(json!({ "ms": latency.ms }))
        }),
        ("GET", ["requests"]) => Ok(requests(req, state)),
        ("PATCH" | "PUT" | "POST", ["settings"]) => change_settings(state, bytes),
        _ => Err(refused(
            StatusCode::NOT_FOUND,
            "unknown fake X control endpoint; see the README, \"The fake X\"",
        )),
    };
    answer.unwrap_or_else(|refusal| refusal)
}

fn app_json(app: &FakeApp) -> Value {
    json!({"api_key": app.api_key, "api_key_secret": app.api_key_secret, "bearer_token": app.bearer_token})
}

fn account_json(account: &FakeAccount) -> Value {
    json!({
        "user_id": account.user_id, "name": account.name, "username": account.username,
        "api_key": account.api_key, "access_token": account.access_token,
        "access_token_secret": account.access_token_secret
    })
}

fn webhook_json(webhook: &FakeWebhook) -> Value {
    json!({
        "id": webhook.id, "url": webhook.url, "valid": webhook.valid, "api_key": webhook.api_key,
        "subscribed_user_ids": webhook.subscribed_user_ids
    })
}

/// Everything a person needs to use the fake: its base URL, the apps and accounts with their
/// (demo) credentials, the webhooks and the switches.
fn overview(req: &HttpRequest, state: &Shared) -> HttpResponse {
    let config = req.app_config();
    let s = state.lock().unwrap();
    let mut apps: Vec<&FakeApp> = s.apps.values().collect();
    apps.sort_by(|a, b| a.api_key.cmp(&b.api_key));
    HttpResponse::Ok().json(json!({
        "base_url": base_uri(config.secure(), config.local_addr(), ""),
        "apps": apps.into_iter().map(app_json).collect::<Vec<_>>(),
        "accounts": s.accounts.iter().map(account_json).collect::<Vec<_>>(),
        "webhooks": s.webhooks.iter().map(webhook_json).collect::<Vec<_>>(),
        "settings": s.settings,
    }))
}

fn add_app(state: &Shared, new: NewApp) -> HttpResponse {
    let mut s = state.lock().unwrap();
    let api_key = new
        .api_key
        .unwrap_or_else(|| format!("demo{}", rand_token()));
    let secret = new.api_key_secret.unwrap_or_else(rand_token);
    let app = s.add_app(&api_key, &secret);
    HttpResponse::Created().json(app_json(&app))
}

fn add_account(state: &Shared, new: NewAccount) -> Result<HttpResponse, HttpResponse> {
    let mut s = state.lock().unwrap();
    if !s.apps.contains_key(&new.api_key) {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            format!("no app has the API key {}", new.api_key),
        ));
    }
    let user_id = match new.user_id {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => id,
        Some(id) => {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                format!("user_id {id:?} is not an X id (digits)"),
            ))
        }
        None => s.new_id(),
    };
    let account = FakeAccount {
        name: new.name.unwrap_or_else(|| format!("Account {user_id}")),
        username: new.username.unwrap_or_else(|| format!("account{user_id}")),
        api_key: new.api_key,
        access_token: new
            .access_token
            .unwrap_or_else(|| format!("{user_id}-{}", rand_token())),
        access_token_secret: new.access_token_secret.unwrap_or_else(rand_token),
        user_id,
    };
    s.accounts.push(account.clone());
    Ok(HttpResponse::Created().json(account_json(&account)))
}

async fn deliver(
    state: &Shared,
    driver: &WebhookDriver,
    new: NewMessage,
) -> Result<HttpResponse, HttpResponse> {
    let delivery = super::deliver_direct_message(
        state,
        driver,
        &new.user_id,
        &new.sender_id,
        &new.text,
        new.copies,
    )
    .await
    .map_err(|reason| refused(StatusCode::CONFLICT, reason))?;
    let statuses: Vec<Value> = delivery
        .statuses
        .iter()
        .map(|status| match status {
            Ok(code) => json!(code),
            Err(reason) => json!(reason),
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "event_id": delivery.event_id, "webhook_url": delivery.webhook_url, "statuses": statuses
    })))
}

fn crc_json(id: &str, outcome: Result<(), String>) -> Value {
    match outcome {
        Ok(()) => json!({"id": id, "valid": true}),
        Err(reason) => json!({"id": id, "valid": false, "reason": reason}),
    }
}

async fn one_crc(state: &Shared, driver: &WebhookDriver, id: &str) -> HttpResponse {
    if !state.lock().unwrap().webhooks.iter().any(|w| w.id == id) {
        return refused(StatusCode::NOT_FOUND, format!("no webhook {id}"));
    }
    let outcome = crc_webhook(state, driver, id).await;
    HttpResponse::Ok().json(crc_json(id, outcome))
}

async fn scheduled_crc(state: &Shared, driver: &WebhookDriver) -> HttpResponse {
    let outcomes = super::scheduled_crc(state, driver).await;
    HttpResponse::Ok().json(
        outcomes
            .into_iter()
            .map(|(id, outcome)| crc_json(&id, outcome))
            .collect::<Vec<_>>(),
    )
}

/// Merges the members sent onto the current switches (a JSON merge patch of them).
fn change_settings(state: &Shared, bytes: &[u8]) -> Result<HttpResponse, HttpResponse> {
    let patch: serde_json::Map<String, Value> = body(bytes)?;
    let mut s = state.lock().unwrap();
    let mut merged = serde_json::to_value(&s.settings).expect("settings serialize");
    for (name, value) in patch {
        merged[name] = value;
    }
    let settings: FakeSettings = serde_json::from_value(merged)
        .map_err(|e| refused(StatusCode::BAD_REQUEST, e.to_string()))?;
    s.settings = settings;
    Ok(HttpResponse::Ok().json(&s.settings))
}
