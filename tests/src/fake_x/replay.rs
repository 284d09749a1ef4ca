//! The fake X's webhook replay, `POST /2/webhooks/replay` (Enterprise): app-only bearer
//! token; a JSON body with `webhook_id`, `from_date` and `to_date` as `yyyymmddhhmm` UTC
//! (`from_date` inclusive, `to_date` exclusive, within the last 5 days); one job per webhook
//! at a time (409 while one runs); a webhook X marks invalid is refused. X answers the
//! job's id, then delivers every stored DM event of the webhook's subscribed accounts in
//! the range, oldest first, signed like live deliveries, and ends with a
//! `replay_job_status` delivery (`job_state` `Complete`).

// As in routes.rs: a refusal is the answer itself.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::driver::{direct_message_delivery, WebhookDriver};
use super::parameters::{check_query, NO_PARAMETERS};
use super::routes::{as_app, invalid_request, problem, Shared};
use super::state::{days_from_civil, now_rfc3339, now_secs, Endpoint, FakeDmEvent};

/// How far back X replays.
const REPLAY_DAYS: u64 = 5;

/// `yyyymmddhhmm` to seconds since the epoch.
fn minute_secs(text: &str) -> Option<u64> {
    if text.len() != 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |range: std::ops::Range<usize>| text[range].parse::<u32>().ok();
    let (y, m, d, hh, mm) = (n(0..4)?, n(4..6)?, n(6..8)?, n(8..10)?, n(10..12)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(y), m, d);
    u64::try_from(days * 86_400 + i64::from(hh * 3600 + mm * 60)).ok()
}

/// X's `created_at` (`2026-12-01T13:05:39.000Z`) to milliseconds since the epoch.
pub(crate) fn created_at_ms(text: &str) -> Option<u64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    let (clock, millis) = time.split_once('.').unwrap_or((time, "0"));
    let mut clock = clock.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (clock.next()??, clock.next()??, clock.next()??);
    let millis: i64 = format!("{millis:0<3}")[..3].parse().ok()?;
    let days = days_from_civil(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    u64::try_from((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000 + millis).ok()
}

fn missing(names: &[&str]) -> HttpResponse {
    let errors: Vec<Value> = names
        .iter()
        .map(|n| json!({"parameters": {*n: []}, "message": format!("The `{n}` body parameter is required")}))
        .collect();
    invalid_request(
        "One or more parameters to your request was invalid.",
        Value::Array(errors),
    )
}

fn bad_date(name: &str, value: &str, why: &str) -> HttpResponse {
    invalid_request(
        "One or more parameters to your request was invalid.",
        json!([{"parameters": {name: [value]}, "message": format!("The `{name}` value [{value}] {why}")}]),
    )
}

pub(super) async fn create_replay_job(
    req: &HttpRequest,
    body: &[u8],
    state: &Shared,
    driver: &WebhookDriver,
) -> HttpResponse {
    as_app(req, state, Endpoint::WebhookReplay, |app| async move {
        if let Err(refusal) = check_query(req, NO_PARAMETERS) {
            return refusal;
        }
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return invalid_request(
                "The body must be a JSON object",
                json!([{"message": "webhook_id, from_date and to_date are required"}]),
            );
        };
        let field = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
        let names = ["webhook_id", "from_date", "to_date"];
        let absent: Vec<&str> = names.into_iter().filter(|n| field(n).is_none()).collect();
        if !absent.is_empty() {
            return missing(&absent);
        }
        let (webhook_id, from_date, to_date) = (
            field("webhook_id").unwrap_or_default(),
            field("from_date").unwrap_or_default(),
            field("to_date").unwrap_or_default(),
        );
        let Some(from) = minute_secs(&from_date) else {
            return bad_date("from_date", &from_date, "is not in yyyymmddhhmm format");
        };
        let Some(to) = minute_secs(&to_date) else {
            return bad_date("to_date", &to_date, "is not in yyyymmddhhmm format");
        };
        if from + REPLAY_DAYS * 86_400 < now_secs() {
            return bad_date("from_date", &from_date, "is more than 5 days ago");
        }
        if to < from {
            return bad_date("to_date", &to_date, "is before from_date");
        }
        let (job_id, created_at, url, secret, events) = {
            let mut s = state.lock().unwrap();
            let Some(webhook) = s
                .webhooks
                .iter()
                .find(|w| w.id == webhook_id && w.api_key == app.api_key)
                .cloned()
            else {
                return problem(
                    StatusCode::NOT_FOUND,
                    "Not Found Error",
                    &format!("Could not find webhook with id: [{webhook_id}]"),
                );
            };
            if !webhook.valid {
                return invalid_request(
                    "Webhook is marked invalid and requires a CRC check",
                    json!([{"parameters": {"webhook_id": [webhook_id]}, "message": "WebhookInvalid"}]),
                );
            }
            if s.replay_jobs.contains_key(&webhook_id) {
                return problem(
                    StatusCode::CONFLICT,
                    "Conflict",
                    &format!("A replay job is already in progress for webhook {webhook_id}"),
                );
            }
            let job_id = s.new_id();
            s.replay_jobs.insert(webhook_id.clone(), job_id.clone());
            let (from_ms, to_ms) = (from * 1000, to * 1000);
            let mut events: Vec<(String, FakeDmEvent)> = Vec::new();
            for user_id in &webhook.subscribed_user_ids {
                for event in s.dm_events.get(user_id).into_iter().flatten() {
                    let at = created_at_ms(&event.created_at).unwrap_or(0);
                    let message = s.event_type(&event.id) == "MessageCreate";
                    if message && (from_ms..to_ms).contains(&at) {
                        events.push((user_id.clone(), event.clone()));
                    }
                }
            }
            events.sort_by_key(|(_, e)| created_at_ms(&e.created_at));
            let secret = s
                .apps
                .get(&webhook.api_key)
                .map(|a| a.api_key_secret.clone())
                .unwrap_or_default();
            (job_id, now_rfc3339(), webhook.url, secret, events)
        };
        let (job, hook) = (job_id.clone(), webhook_id.clone());
        let (state, driver) = (state.clone(), driver.clone());
        tokio::spawn(async move {
            while state.lock().unwrap().settings.hold_replay_jobs {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            for (user_id, event) in events {
                let sender = event.sender_id.clone();
                let recipient = event
                    .participant_ids
                    .iter()
                    .find(|p| **p != sender)
                    .cloned()
                    .unwrap_or_else(|| user_id.clone());
                let delivery = direct_message_delivery(
                    &user_id,
                    &event.id,
                    created_at_ms(&event.created_at).unwrap_or(0),
                    (&sender, &format!("Customer {sender}"), &format!("customer{sender}")),
                    &recipient,
                    &event.text,
                );
                let body = serde_json::to_vec(&delivery).unwrap_or_default();
                driver.deliver(&url, &secret, &body, 1).await;
            }
            let status = json!({"replay_job_status": {
                "webhook_id": hook, "job_state": "Complete",
                "job_state_description": "Job completed successfully", "job_id": job}});
            let body = serde_json::to_vec(&status).unwrap_or_default();
            driver.deliver(&url, &secret, &body, 1).await;
            state.lock().unwrap().replay_jobs.remove(&hook);
        });
        HttpResponse::Ok().json(json!({"created_at": created_at, "job_id": job_id}))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_x_minutes_and_times() {
        assert_eq!(minute_secs("202504242057"), Some(1_745_528_220));
        assert_eq!(minute_secs("2025042420"), None);
        assert_eq!(minute_secs("202513242057"), None);
        assert_eq!(
            created_at_ms("2025-04-24T20:57:15.242Z"),
            Some(1_745_528_235_242)
        );
        assert_eq!(
            created_at_ms("2025-04-24T20:57:15Z"),
            Some(1_745_528_235_000)
        );
    }
}
