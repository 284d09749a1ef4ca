//! The fake X's webhook endpoints (app-only bearer) and account subscriptions (user context
//! to subscribe or check, app-only to remove), with the CRC X runs at registration, on `PUT`
//! and on its schedule, and X's refusals: https without a port, one URL once, the app's limit.

// As in routes.rs: a refusal is the answer itself.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::driver::WebhookDriver;
use super::parameters::{check_query, LIST_WEBHOOKS_PARAMETERS, NO_PARAMETERS};
use super::routes::{as_app, as_user, invalid_request, problem, Shared};
use super::state::{now_rfc3339, Endpoint, FakeApp, FakeWebhook, State};

/// X registers only `https` URLs without a port, unless the test allowed plain http.
fn webhook_url_refusal(url: &str, allow_http: bool) -> Option<String> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Some(format!("{url} is not a URL"));
    };
    if allow_http {
        return (!matches!(parsed.scheme(), "http" | "https"))
            .then(|| "The URL must be http or https".into());
    }
    if parsed.scheme() != "https" {
        return Some("The URL must use https".into());
    }
    // Not `parsed.port()`: `url` drops a default port, so `https://host:443/` would pass.
    explicit_port(url).map(|port| format!("The URL must not specify a port ({port})"))
}

/// The port written in a URL's authority, default or not (`:443` and even a bare `:` count).
fn explicit_port(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let after_host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map_or("", |(_, after)| after),
        None => host_port.find(':').map_or("", |at| &host_port[at..]),
    };
    after_host.strip_prefix(':')
}

pub(super) async fn create_webhook(
    req: &HttpRequest,
    body: &[u8],
    state: &Shared,
    driver: &WebhookDriver,
) -> HttpResponse {
    as_app(req, state, Endpoint::Webhooks, |app| async move {
        if let Err(refusal) = check_query(req, NO_PARAMETERS) {
            return refusal;
        }
        let settings = state.lock().unwrap().settings.clone();
        let Some(url) = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v["url"].as_str().map(str::to_owned))
        else {
            return invalid_request(
                "The body must be JSON with a url",
                json!([{"message": "url is required"}]),
            );
        };
        if let Some(reason) = webhook_url_refusal(&url, settings.allow_http_webhooks) {
            return invalid_request(
                &reason,
                json!([{"parameters": {"url": [url]}, "message": reason}]),
            );
        }
        if settings.refused_webhook_urls.contains(&url) {
            return invalid_request(
                &format!("UrlValidationFailed: X refuses to register {url}"),
                json!([{"parameters": {"url": [url]}, "message": "UrlValidationFailed"}]),
            );
        }
        if let Err(refusal) = webhook_room(&state.lock().unwrap(), &app, &url) {
            return refusal;
        }
        if let Err(reason) = crc(state, driver, &url, &app.api_key_secret).await {
            return invalid_request(
                &format!("CrcValidationFailed: {reason}"),
                json!([{"message": "CrcValidationFailed"}]),
            );
        }
        let mut s = state.lock().unwrap();
        // Checked again: another registration may have finished during the CRC.
        if let Err(refusal) = webhook_room(&s, &app, &url) {
            return refusal;
        }
        let webhook = FakeWebhook {
            id: s.new_id(),
            url,
            valid: true,
            created_at: now_rfc3339(),
            api_key: app.api_key.clone(),
            subscribed_user_ids: Vec::new(),
        };
        s.webhooks.push(webhook.clone());
        webhook_answer(&s, webhook_json(&webhook))
    })
    .await
}

/// X refuses a URL the app already registered, and a webhook past the app's limit.
fn webhook_room(s: &State, app: &FakeApp, url: &str) -> Result<(), HttpResponse> {
    let mine: Vec<&FakeWebhook> = s
        .webhooks
        .iter()
        .filter(|w| w.api_key == app.api_key)
        .collect();
    if mine.iter().any(|w| w.url == url) {
        return Err(invalid_request(
            &format!("DuplicateUrlFailed: a webhook of this app is already registered at {url}"),
            json!([{"parameters": {"url": [url]}, "message": "DuplicateUrlFailed"}]),
        ));
    }
    if mine.len() >= s.settings.webhook_limit {
        return Err(invalid_request(
            &format!(
                "WebhookLimitExceeded: this app may register {} webhook(s)",
                s.settings.webhook_limit
            ),
            json!([{"message": "WebhookLimitExceeded"}]),
        ));
    }
    Ok(())
}

/// A webhook endpoint's answer, inside `data` or bare as the fake is set.
fn webhook_answer(s: &State, value: Value) -> HttpResponse {
    if s.settings.wrap_webhook_answers {
        HttpResponse::Ok().json(json!({ "data": value }))
    } else {
        HttpResponse::Ok().json(value)
    }
}

/// X's CRC against `url`, failed regardless of the answer when the fake is set to.
pub(crate) async fn crc(
    state: &Shared,
    driver: &WebhookDriver,
    url: &str,
    api_key_secret: &str,
) -> Result<(), String> {
    let outcome = driver.crc_check(url, api_key_secret).await;
    if state.lock().unwrap().settings.fail_crc {
        return Err("the fake X is set to fail every CRC".into());
    }
    outcome
}

/// Runs the CRC on one registered webhook, as X does hourly, and records whether it passed.
pub(crate) async fn crc_webhook(
    state: &Shared,
    driver: &WebhookDriver,
    webhook_id: &str,
) -> Result<(), String> {
    let (url, secret) = {
        let s = state.lock().unwrap();
        let webhook = s
            .webhooks
            .iter()
            .find(|w| w.id == webhook_id)
            .ok_or("no such webhook")?;
        let app = s.apps.get(&webhook.api_key).ok_or("webhook without app")?;
        (webhook.url.clone(), app.api_key_secret.clone())
    };
    let outcome = crc(state, driver, &url, &secret).await;
    if let Some(webhook) = state
        .lock()
        .unwrap()
        .webhooks
        .iter_mut()
        .find(|w| w.id == webhook_id)
    {
        webhook.valid = outcome.is_ok();
    }
    outcome
}

fn webhook_json(webhook: &FakeWebhook) -> Value {
    json!({"id": webhook.id, "url": webhook.url, "valid": webhook.valid, "created_at": webhook.created_at})
}

pub(super) async fn list_webhooks(req: &HttpRequest, state: &Shared) -> HttpResponse {
    as_app(req, state, Endpoint::Webhooks, |app| async move {
        if let Err(refusal) = check_query(req, LIST_WEBHOOKS_PARAMETERS) {
            return refusal;
        }
        let s = state.lock().unwrap();
        let mine: Vec<Value> = s
            .webhooks
            .iter()
            .filter(|w| w.api_key == app.api_key)
            .map(webhook_json)
            .collect();
        if !s.settings.wrap_webhook_answers {
            return HttpResponse::Ok().json(mine);
        }
        let mut answer = json!({"meta": {"result_count": mine.len()}});
        if !mine.is_empty() {
            answer["data"] = Value::Array(mine);
        }
        HttpResponse::Ok().json(answer)
    })
    .await
}

fn webhook_not_found(id: &str) -> HttpResponse {
    problem(
        StatusCode::NOT_FOUND,
        "Not Found Error",
        &format!("Could not find webhook with id: [{id}]"),
    )
}

pub(super) async fn revalidate_webhook(
    req: &HttpRequest,
    state: &Shared,
    driver: &WebhookDriver,
    id: &str,
) -> HttpResponse {
    as_app(req, state, Endpoint::Webhooks, |app| async move {
        if let Err(refusal) = check_query(req, NO_PARAMETERS) {
            return refusal;
        }
        let known = state
            .lock()
            .unwrap()
            .webhooks
            .iter()
            .any(|w| w.id == id && w.api_key == app.api_key);
        if !known {
            return webhook_not_found(id);
        }
        let valid = crc_webhook(state, driver, id).await.is_ok();
        webhook_answer(&state.lock().unwrap(), json!({ "valid": valid }))
    })
    .await
}

pub(super) async fn delete_webhook(req: &HttpRequest, state: &Shared, id: &str) -> HttpResponse {
    as_app(req, state, Endpoint::Webhooks, |app| async move {
        if let Err(refusal) = check_query(req, NO_PARAMETERS) {
            return refusal;
        }
        let mut s = state.lock().unwrap();
        let before = s.webhooks.len();
        s.webhooks
            .retain(|w| !(w.id == id && w.api_key == app.api_key));
        if s.webhooks.len() == before {
            return webhook_not_found(id);
        }
        webhook_answer(&s, json!({ "deleted": true }))
    })
    .await
}

pub(super) fn subscribe(req: &HttpRequest, body: &[u8], state: &Shared, id: &str) -> HttpResponse {
    as_user(req, body, state, Endpoint::Subscriptions, |s, account| {
        if let Err(refusal) = check_query(req, NO_PARAMETERS) {
            return refusal;
        }
        let Some(webhook) = s
            .webhooks
            .iter_mut()
            .find(|w| w.id == id && w.api_key == account.api_key)
        else {
            return webhook_not_found(id);
        };
        if !webhook.subscribed_user_ids.contains(&account.user_id) {
            webhook.subscribed_user_ids.push(account.user_id.clone());
        }
        HttpResponse::Ok().json(json!({"data": {"subscribed": true}}))
    })
}

/// `GET .../subscriptions/all` in user context: whether the account is subscribed.
pub(super) fn subscription(
    req: &HttpRequest,
    body: &[u8],
    state: &Shared,
    id: &str,
) -> HttpResponse {
    as_user(req, body, state, Endpoint::Subscriptions, |s, account| {
        if let Err(refusal) = check_query(req, NO_PARAMETERS) {
            return refusal;
        }
        let Some(webhook) = s
            .webhooks
            .iter()
            .find(|w| w.id == id && w.api_key == account.api_key)
        else {
            return webhook_not_found(id);
        };
        let subscribed = webhook.subscribed_user_ids.contains(&account.user_id);
        HttpResponse::Ok().json(json!({"data": {"subscribed": subscribed}}))
    })
}

/// `DELETE .../subscriptions/{user_id}/all` with the app-only bearer token.
pub(super) async fn unsubscribe(
    req: &HttpRequest,
    state: &Shared,
    id: &str,
    user_id: &str,
) -> HttpResponse {
    as_app(req, state, Endpoint::Subscriptions, |app| async move {
        if let Err(refusal) = check_query(req, NO_PARAMETERS) {
            return refusal;
        }
        let mut s = state.lock().unwrap();
        let Some(webhook) = s
            .webhooks
            .iter_mut()
            .find(|w| w.id == id && w.api_key == app.api_key)
        else {
            return webhook_not_found(id);
        };
        let before = webhook.subscribed_user_ids.len();
        webhook.subscribed_user_ids.retain(|u| u != user_id);
        let deleted = webhook.subscribed_user_ids.len() < before;
        HttpResponse::Ok().json(json!({"data": {"deleted": deleted}}))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::explicit_port;

    #[test]
    fn finds_a_port_written_in_the_authority_even_the_default_one() {
        for (url, port) in [
            ("https://example.com/webhook", None),
            ("https://example.com:443/webhook", Some("443")),
            ("https://example.com:8443", Some("8443")),
            ("https://example.com:/webhook", Some("")),
            ("https://user:pass@example.com/webhook", None),
            ("https://user:pass@example.com:443/webhook", Some("443")),
            ("https://[::1]/webhook", None),
            ("https://[::1]:443/webhook", Some("443")),
            ("https://example.com/webhook?next=a:443", None),
        ] {
            assert_eq!(explicit_port(url), port, "{url}");
        }
    }
}
