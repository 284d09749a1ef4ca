//! What the customer is told on the service's own (issue 19), through the HTTP API against
//! the fake X, the service's clock moved instead of waiting: the non-working time
//! notification (R-BASIC-5, R-BASIC-6, R-TENANT-5) at the edges of work time, on a
//! calendar holiday, across daylight saving time, once per customer per closed period and
//! never for an echo; the queue reminder when a conversation enters a queue and the
//! progress reminder the router asks for (R-BASIC-7..9), one story per mode; the preview;
//! the channel's send budget and its reserve (R-CONV-3).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{Answer, SpawnOptions};
use crate::world::{world, world_with, Channel, World, CUSTOMER};

/// Another customer of the channel, each with a conversation of its own.
const CUSTOMER_2: &str = "3001969358";
const CUSTOMER_3: &str = "3001969359";
const CUSTOMER_4: &str = "3001969360";

const CLOSED: &str = "We are closed now and answer from 9:00.";

fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

/// The world's tenant in Paris (R-TENANT-1).
async fn in_paris(w: &World) {
    let patched = w
        .app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{}", w.tenant.id),
            &w.app.system_token,
            Some(&json!({"timeZone": "Europe/Paris"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
}

/// A robot-less channel whose agents work 09:00-18:00 on workdays and 10:00-16:00 on the
/// calendar's non-working days, with the notification `CLOSED`.
async fn office_hours(w: &World, name: &str) -> Channel {
    w.channel_with(name, false, |body| {
        body["workTime"] = json!({
            "workday": [{"start": "09:00", "end": "18:00"}],
            "nonWorkday": [{"start": "10:00", "end": "16:00"}]
        });
        body["nonWorkingTimeNotification"] = json!(CLOSED);
    })
    .await
}

/// The customer's open conversation on the channel.
async fn conversation_of(w: &World, channel: &Channel, customer: &str) -> Value {
    let list = w
        .app
        .get(
            &format!("/api/v1/conversations?channelId={}", channel.id),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let found: Vec<&Value> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["customer"]["id"] == customer && c["state"] != "ended")
        .collect();
    assert_eq!(found.len(), 1, "{}", list.text);
    found[0].clone()
}

/// The customer writes at `at` (service clock); the id of its conversation.
async fn writes_at(w: &World, channel: &Channel, customer: &str, at: &str) -> String {
    w.app.clock().set(instant(at));
    w.customer_writes(channel, customer, "Hello?").await;
    conversation_of(w, channel, customer).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The conversation's automatic messages as decided so far (the decision commits with
/// the message that caused it, so this is complete when the delivery has been answered).
async fn decided(w: &World, id: &str) -> Vec<Value> {
    let list = w
        .app
        .get(
            &format!("/api/v1/conversations/{id}/automatic-messages"),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["items"].as_array().unwrap().clone()
}

/// The reasons of the conversation's automatic messages, in the order decided.
async fn reasons(w: &World, id: &str) -> Vec<String> {
    decided(w, id)
        .await
        .iter()
        .map(|m| m["reason"].as_str().unwrap().to_owned())
        .collect()
}

/// The conversation's automatic messages once none is pending or sending.
async fn settled(w: &World, id: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let items = decided(w, id).await;
        if items
            .iter()
            .all(|m| m["status"] != "pending" && m["status"] != "sending")
        {
            return items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still unsettled: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The texts of the conversation's outbound messages with their `automatic`, oldest first.
async fn sent_texts(w: &World, id: &str) -> Vec<(String, String)> {
    let mut sent: Vec<(String, String)> = w
        .messages(id)
        .await
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .map(|m| {
            (
                m["automatic"].as_str().unwrap_or("").to_owned(),
                m["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    sent.reverse();
    sent
}

async fn report(w: &World, token: &str, id: &str, body: &Value) -> Answer {
    w.app
        .post(
            &format!("/api/v1/conversations/{id}/queue-position"),
            token,
            body,
        )
        .await
}

async fn admin_report(w: &World, id: &str, position: u64, wait_seconds: u64) -> Answer {
    let answer = report(
        w,
        &w.tenant.admin_token,
        id,
        &json!({"position": position, "waitSeconds": wait_seconds}),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    answer
}

// R-BASIC-5, R-BASIC-6, R-TENANT-1: a minute before closing is work time, a minute after
// is not; the notice is sent by X, stored outbound as `non_working_time`, and the
// conversation opens and queues as usual.
#[actix_web::test]
async fn a_message_a_minute_after_closing_gets_the_notice_and_one_a_minute_before_does_not() {
    let w = world().await;
    in_paris(&w).await;
    let channel = office_hours(&w, "x_hours").await;
    // Wednesday 2027-01-13; Paris is UTC+1: 17:59 there.
    let before = writes_at(&w, &channel, CUSTOMER, "2027-01-13T16:59:00Z").await;
    assert!(decided(&w, &before).await.is_empty(), "still work time");

    // 18:01 in Paris: another customer.
    let after = writes_at(&w, &channel, CUSTOMER_2, "2027-01-13T17:01:00Z").await;
    let items = settled(&w, &after).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["reason"], "non_working_time");
    assert_eq!(items[0]["status"], "sent", "{items:?}");
    assert_eq!(items[0]["text"], CLOSED);
    assert_eq!(
        sent_texts(&w, &after).await,
        [("non_working_time".to_owned(), CLOSED.to_owned())]
    );
    assert_eq!(w.sends().len(), 1, "X received the notice once");
    let conversation = conversation_of(&w, &channel, CUSTOMER_2).await;
    assert_eq!(
        conversation["state"], "queued",
        "opened and queued as usual"
    );

    // The first customer writes again after closing: its own notice.
    w.customer_writes(&channel, CUSTOMER, "Anyone?").await;
    assert_eq!(reasons(&w, &before).await, ["non_working_time"]);
}

// R-BASIC-6: once per customer per closed period: a second message in the same evening
// and one the next morning before opening get nothing; after the next closing, another.
#[actix_web::test]
async fn the_notice_comes_once_per_customer_per_closed_period() {
    let w = world().await;
    in_paris(&w).await;
    let channel = office_hours(&w, "x_once").await;
    let id = writes_at(&w, &channel, CUSTOMER, "2027-01-13T19:00:00Z").await;
    assert_eq!(reasons(&w, &id).await, ["non_working_time"]);
    w.customer_writes(&channel, CUSTOMER, "Hello again").await;
    writes_at(&w, &channel, CUSTOMER, "2027-01-14T07:59:00Z").await; // 08:59 in Paris
    assert_eq!(reasons(&w, &id).await, ["non_working_time"], "same period");
    writes_at(&w, &channel, CUSTOMER, "2027-01-14T08:01:00Z").await; // 09:01: working
    assert_eq!(reasons(&w, &id).await, ["non_working_time"]);
    writes_at(&w, &channel, CUSTOMER, "2027-01-14T17:01:00Z").await; // 18:01: closed again
    assert_eq!(
        reasons(&w, &id).await,
        ["non_working_time", "non_working_time"],
        "the next closed period has its own"
    );
    let items = settled(&w, &id).await;
    assert!(items.iter().all(|m| m["status"] == "sent"), "{items:?}");
    assert_eq!(w.sends().len(), 2);
}

// R-TENANT-5: a day the service calendar lists follows the non-workday segments
// (10:00-16:00): 09:30 is closed there though a workday would be open, 15:59 is open,
// 16:01 is closed.
#[actix_web::test]
async fn a_calendar_holiday_follows_the_non_workday_segments() {
    let w = world().await;
    in_paris(&w).await;
    let calendar = w
        .app
        .call(
            Method::PUT,
            "/api/v1/service-calendar",
            &w.tenant.admin_token,
            Some(&json!({"nonWorkingDays": ["2027-01-14"]})),
        )
        .await;
    assert_eq!(calendar.status, 200, "{}", calendar.text);
    let channel = office_hours(&w, "x_holiday").await;
    let morning = writes_at(&w, &channel, CUSTOMER, "2027-01-14T08:30:00Z").await;
    assert_eq!(reasons(&w, &morning).await, ["non_working_time"], "09:30");
    let noon = writes_at(&w, &channel, CUSTOMER_2, "2027-01-14T14:59:00Z").await;
    assert!(decided(&w, &noon).await.is_empty(), "15:59 is open");
    writes_at(&w, &channel, CUSTOMER_2, "2027-01-14T15:01:00Z").await;
    assert_eq!(reasons(&w, &noon).await, ["non_working_time"], "16:01");
    // The day after is a workday again: 09:30 there is open.
    let next = writes_at(&w, &channel, CUSTOMER_3, "2027-01-15T08:30:00Z").await;
    assert!(decided(&w, &next).await.is_empty());
}

// R-TENANT-5, R-BASIC-5: the tenant's wall clock across daylight saving time. Paris moves
// to UTC+2 at 01:00 UTC on 2027-03-28 and back to UTC+1 at 01:00 UTC on 2027-10-31; each
// instant below would be judged the other way with the offset of the day before.
#[actix_web::test]
async fn work_time_follows_daylight_saving_time_in_the_tenants_zone() {
    let w = world().await;
    in_paris(&w).await;
    let channel = w
        .channel_with("x_dst", false, |body| {
            body["workTime"] = json!({
                "workday": [{"start": "08:00", "end": "18:00"}],
                "nonWorkday": [{"start": "08:00", "end": "18:00"}]
            });
            body["nonWorkingTimeNotification"] = json!(CLOSED);
        })
        .await;
    // Summer time: 05:59 UTC is 07:59 (closed), 06:01 UTC is 08:01 (open), 16:01 UTC is
    // 18:01 (closed).
    let early = writes_at(&w, &channel, CUSTOMER_2, "2027-03-28T05:59:00Z").await;
    assert_eq!(
        reasons(&w, &early).await,
        ["non_working_time"],
        "07:59 CEST"
    );
    let spring = writes_at(&w, &channel, CUSTOMER, "2027-03-28T06:01:00Z").await;
    assert!(decided(&w, &spring).await.is_empty(), "08:01 CEST is open");
    writes_at(&w, &channel, CUSTOMER, "2027-03-28T16:01:00Z").await;
    assert_eq!(
        reasons(&w, &spring).await,
        ["non_working_time"],
        "18:01 CEST"
    );

    // Winter time again: 06:30 UTC is 07:30 (closed), 16:30 UTC is 17:30 (open).
    let autumn = writes_at(&w, &channel, CUSTOMER_3, "2027-10-31T06:30:00Z").await;
    assert_eq!(
        reasons(&w, &autumn).await,
        ["non_working_time"],
        "07:30 CET"
    );
    let late = writes_at(&w, &channel, CUSTOMER_4, "2027-10-31T16:30:00Z").await;
    assert!(decided(&w, &late).await.is_empty(), "17:30 CET is open");
    writes_at(&w, &channel, CUSTOMER_4, "2027-10-31T17:01:00Z").await;
    assert_eq!(reasons(&w, &late).await, ["non_working_time"], "18:01 CET");
    let items = settled(&w, &late).await;
    assert_eq!(items[0]["status"], "sent", "{items:?}");
}

/// The account's own message to the customer, as X echoes it to the webhook (sent from
/// another client, X's app for instance).
async fn echo(w: &World, channel: &Channel, text: &str) {
    let body = xchannel_tests::fake_x::direct_message_delivery(
        crate::world::ACCOUNT,
        &crate::world::event_id(),
        crate::world::now_ms(),
        (crate::world::ACCOUNT, "Support Desk", "support_desk"),
        CUSTOMER,
        text,
    );
    let answer = w
        .app
        .deliver(&channel.id, &channel.credentials.api_key_secret, &body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

// R-BASIC-6: only a customer's message gets the notice, never an echo of the account's
// own, even in a conversation open after closing.
#[actix_web::test]
async fn an_echo_of_the_accounts_own_message_gets_no_notice() {
    let w = world().await;
    in_paris(&w).await;
    let channel = office_hours(&w, "x_echo").await;
    let id = writes_at(&w, &channel, CUSTOMER, "2027-01-13T16:30:00Z").await;
    w.app.clock().set(instant("2027-01-13T18:00:00Z"));
    echo(&w, &channel, "We will get back to you.").await;
    let messages = w.messages(&id).await;
    assert_eq!(
        messages.len(),
        2,
        "the echo is in the conversation: {messages:?}"
    );
    let conversation = conversation_of(&w, &channel, CUSTOMER).await;
    assert_eq!(conversation["counts"], json!({"inbound": 1, "outbound": 1}));
    // The echo is the conversation's latest message, outbound.
    let time = |field: &str| instant(conversation[field].as_str().unwrap());
    assert!(
        time("lastOutboundAt") >= time("lastInboundAt"),
        "the echo is the last outbound message: {conversation}"
    );
    assert!(decided(&w, &id).await.is_empty(), "no notice for an echo");
    w.customer_writes(&channel, CUSTOMER, "Thanks").await;
    assert_eq!(reasons(&w, &id).await, ["non_working_time"]);
}

// R-BASIC-6: no notification text, no notice; an edit of the channel applies to the next
// message (the settings are read in the transaction that stores it).
#[actix_web::test]
async fn without_a_text_nothing_is_sent_and_an_edit_applies_to_the_next_message() {
    let w = world().await;
    in_paris(&w).await;
    let channel = w
        .channel_with("x_silent", false, |body| {
            body["workTime"] = json!({
                "workday": [{"start": "09:00", "end": "18:00"}],
                "nonWorkday": [{"start": "09:00", "end": "18:00"}]
            });
            body.as_object_mut()
                .unwrap()
                .remove("nonWorkingTimeNotification");
        })
        .await;
    let id = writes_at(&w, &channel, CUSTOMER, "2027-01-13T20:00:00Z").await;
    assert!(decided(&w, &id).await.is_empty());

    let path = format!("/api/v1/channels/{}", channel.id);
    let current = w.app.get(&path, &w.tenant.admin_token).await;
    let patched = w
        .app
        .client
        .patch(format!("{}{path}", w.app.base))
        .bearer_auth(&w.tenant.admin_token)
        .header("if-match", current.etag())
        .header("content-type", "application/merge-patch+json")
        .body(json!({"nonWorkingTimeNotification": "Closed for tonight."}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    w.customer_writes(&channel, CUSTOMER, "Hello?").await;
    let items = decided(&w, &id).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["text"], "Closed for tonight.");
}

// R-CONV-3: with the reserve at X's whole window, the notice is decided but skipped, with
// the reason, and nothing goes to X.
#[actix_web::test]
async fn the_reserve_kept_for_agents_skips_the_notice() {
    fn keep_every_send(settings: &mut xchannel::config::Settings) {
        settings.automation.reserve = 15;
    }
    let w = world_with(SpawnOptions {
        tune: Some(keep_every_send),
        ..SpawnOptions::default()
    })
    .await;
    in_paris(&w).await;
    let channel = office_hours(&w, "x_reserve").await;
    let shown = w
        .app
        .get(
            &format!("/api/v1/channels/{}", channel.id),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(shown.body["sendBudget"]["reserve"], 15, "{}", shown.text);
    let id = writes_at(&w, &channel, CUSTOMER, "2027-01-13T20:00:00Z").await;
    let items = settled(&w, &id).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["reason"], "non_working_time");
    assert_eq!(items[0]["status"], "skipped", "{items:?}");
    assert!(
        items[0]["detail"]
            .as_str()
            .unwrap()
            .contains("kept for agents' replies"),
        "{items:?}"
    );
    assert!(w.sends().is_empty(), "nothing went to X");
    assert!(sent_texts(&w, &id).await.is_empty());
}

/// A channel whose queue reminder settings are `reminder`, robot on or off.
async fn reminding(w: &World, name: &str, robot: bool, reminder: Value) -> Channel {
    w.channel_with(name, robot, move |body| {
        body["queueReminder"] = reminder;
    })
    .await
}

const PROGRESS: &str =
    "Hi ${nickName} (${userId}): you are number ${position}, about ${waitTime} seconds";

fn progress_text(position: u64, wait: u64) -> String {
    format!("Hi Jordan Brinks ({CUSTOMER}): you are number {position}, about {wait} seconds")
}

// R-BASIC-7..9, mode `all`: the queue reminder when the DM opens the conversation queued,
// the progress reminder for the router's report, both sent and in the conversation.
#[actix_web::test]
async fn mode_all_sends_the_queue_reminder_and_the_progress_reminder() {
    let w = world().await;
    let channel = reminding(
        &w,
        "x_all",
        false,
        json!({"mode": "all", "content": "Please wait.", "progressContent": PROGRESS}),
    )
    .await;
    w.customer_writes(&channel, CUSTOMER, "Hello").await;
    let id = w.conversation_id(&channel).await;
    assert_eq!(reasons(&w, &id).await, ["queue_reminder"]);
    // Sent before the report, so the conversation's messages have one order.
    settled(&w, &id).await;

    let answer = admin_report(&w, &id, 2, 90).await;
    assert_eq!(answer.body["decided"], true, "{}", answer.text);
    assert_eq!(answer.body["reason"], Value::Null);
    assert_eq!(answer.body["mode"], "all");
    assert_eq!(answer.body["automaticMessage"]["reason"], "queue_progress");
    assert_eq!(
        answer.body["automaticMessage"]["text"],
        progress_text(2, 90)
    );
    let items = settled(&w, &id).await;
    assert!(items.iter().all(|m| m["status"] == "sent"), "{items:?}");
    assert_eq!(
        sent_texts(&w, &id).await,
        [
            ("queue_reminder".to_owned(), "Please wait.".to_owned()),
            ("queue_progress".to_owned(), progress_text(2, 90)),
        ]
    );
    assert_eq!(w.sends().len(), 2);
}

// R-BASIC-7, R-BASIC-8, mode `queue`: the queue reminder, and no progress reminder.
#[actix_web::test]
async fn mode_queue_sends_the_queue_reminder_only() {
    let w = world().await;
    let channel = reminding(
        &w,
        "x_queue",
        false,
        json!({"mode": "queue", "content": "Please wait."}),
    )
    .await;
    w.customer_writes(&channel, CUSTOMER, "Hello").await;
    let id = w.conversation_id(&channel).await;
    let answer = admin_report(&w, &id, 1, 30).await;
    assert_eq!(answer.body["decided"], false, "{}", answer.text);
    assert_eq!(answer.body["reason"], "progress_off");
    assert_eq!(answer.body["mode"], "queue");
    assert_eq!(answer.body["automaticMessage"], Value::Null);
    settled(&w, &id).await;
    assert_eq!(
        sent_texts(&w, &id).await,
        [("queue_reminder".to_owned(), "Please wait.".to_owned())]
    );
}

// R-BASIC-7, R-BASIC-9, mode `progress`: no queue reminder, the progress reminder (here
// the default template, `${waitTime}` in seconds as it reads).
#[actix_web::test]
async fn mode_progress_sends_the_progress_reminder_only() {
    let w = world().await;
    let channel = reminding(
        &w,
        "x_progress",
        false,
        json!({"mode": "progress", "content": "Never sent."}),
    )
    .await;
    w.customer_writes(&channel, CUSTOMER, "Hello").await;
    let id = w.conversation_id(&channel).await;
    assert!(decided(&w, &id).await.is_empty(), "no queue reminder");
    let answer = admin_report(&w, &id, 4, 240).await;
    assert_eq!(answer.body["decided"], true, "{}", answer.text);
    settled(&w, &id).await;
    assert_eq!(
        sent_texts(&w, &id).await,
        [(
            "queue_progress".to_owned(),
            "You are currently in the queue, in position 4, and are expected to wait for 240 seconds".to_owned()
        )]
    );
}

// R-BASIC-7, mode `off`: neither reminder.
#[actix_web::test]
async fn mode_off_sends_no_reminder() {
    let w = world().await;
    let channel = reminding(
        &w,
        "x_off",
        false,
        json!({"mode": "off", "content": "Never sent."}),
    )
    .await;
    w.customer_writes(&channel, CUSTOMER, "Hello").await;
    let id = w.conversation_id(&channel).await;
    let answer = admin_report(&w, &id, 1, 10).await;
    assert_eq!(answer.body["decided"], false);
    assert_eq!(answer.body["reason"], "progress_off");
    assert_eq!(answer.body["mode"], "off");
    assert!(decided(&w, &id).await.is_empty());
    assert!(w.sends().is_empty());
}

// R-BASIC-8: robot -> queued (the router's queue), a transfer to another queue and one
// from an agent back to a queue each enter a queue; an assignment does not.
#[actix_web::test]
async fn entering_a_queue_from_the_robot_another_queue_or_an_agent_sends_the_reminder() {
    let w = world().await;
    let other = w
        .app
        .route(
            &w.tenant.admin_token,
            "vip_queue",
            "multimedia",
            &w.tenant.ou_id,
        )
        .await;
    let channel = reminding(
        &w,
        "x_robot",
        true,
        json!({"mode": "queue", "content": "Please wait."}),
    )
    .await;
    w.customer_writes(&channel, CUSTOMER, "Hello robot").await;
    let id = w.conversation_id(&channel).await;
    assert!(decided(&w, &id).await.is_empty(), "opened in the robot");

    let queued = w.admin_act(&id, "queue", Some(&json!({}))).await;
    assert_eq!(queued.status, 200, "{}", queued.text);
    assert_eq!(reasons(&w, &id).await, ["queue_reminder"]);
    let moved = w
        .admin_act(
            &id,
            "transfer",
            Some(&json!({"target": {"type": "skillQueue", "id": other}})),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(reasons(&w, &id).await, ["queue_reminder", "queue_reminder"]);
    let assigned = w
        .admin_act(&id, "assign", Some(&json!({"agentId": "agent-1"})))
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    assert_eq!(reasons(&w, &id).await.len(), 2, "an assignment is no queue");
    let back = w
        .admin_act(
            &id,
            "transfer",
            Some(&json!({"target": {"type": "skillQueue", "id": w.tenant.queue_id}})),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(reasons(&w, &id).await.len(), 3);
    let items = settled(&w, &id).await;
    assert!(items.iter().all(|m| m["status"] == "sent"), "{items:?}");
    assert_eq!(w.sends().len(), 3);
}

// R-BASIC-9: at most one progress reminder a minute per conversation, by the service's
// clock; 61 seconds later another is allowed.
#[actix_web::test]
async fn a_progress_reminder_is_sent_at_most_once_a_minute() {
    let w = world().await;
    let channel = reminding(
        &w,
        "x_throttle",
        false,
        json!({"mode": "progress", "progressContent": PROGRESS}),
    )
    .await;
    w.customer_writes(&channel, CUSTOMER, "Hello").await;
    let id = w.conversation_id(&channel).await;
    let first = admin_report(&w, &id, 5, 300).await;
    assert_eq!(first.body["decided"], true, "{}", first.text);
    settled(&w, &id).await;
    let again = admin_report(&w, &id, 4, 240).await;
    assert_eq!(again.body["decided"], false, "{}", again.text);
    assert_eq!(again.body["reason"], "throttled");
    let retry = again.body["retryAfterSeconds"].as_u64().unwrap();
    assert!((1..=60).contains(&retry), "{}", again.text);
    assert_eq!(again.body["nextAllowedAt"], first.body["nextAllowedAt"]);

    w.app.clock().advance(Duration::from_secs(61));
    let later = admin_report(&w, &id, 3, 180).await;
    assert_eq!(later.body["decided"], true, "{}", later.text);
    assert_eq!(
        later.body["automaticMessage"]["text"],
        progress_text(3, 180)
    );
    settled(&w, &id).await;
    let texts: Vec<String> = sent_texts(&w, &id)
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(texts, [progress_text(5, 300), progress_text(3, 180)]);
}

// R-API-2: every bad field named at once, nothing decided; only a queued conversation
// (409 `conversation_state`); only the router (a tenant administrator), not an agent.
#[actix_web::test]
async fn a_bad_report_names_each_field_and_only_a_queued_conversation_takes_one() {
    let w = world().await;
    let channel = reminding(
        &w,
        "x_reports",
        false,
        json!({"mode": "all", "content": "Please wait."}),
    )
    .await;
    w.customer_writes(&channel, CUSTOMER, "Hello").await;
    let id = w.conversation_id(&channel).await;
    let token = &w.tenant.admin_token;
    let bad = report(&w, token, &id, &json!({"position": 0, "waitSeconds": -1})).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.pointers(), ["/position", "/waitSeconds"]);
    let bad = report(&w, token, &id, &json!({"position": "3", "rank": 1})).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let mut pointers = bad.pointers();
    pointers.sort();
    assert_eq!(pointers, ["/position", "/rank", "/waitSeconds"]);
    let bad = report(
        &w,
        token,
        &id,
        &json!({"position": 2.5, "waitSeconds": 1e30}),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.pointers(), ["/position", "/waitSeconds"]);
    assert_eq!(
        reasons(&w, &id).await,
        ["queue_reminder"],
        "nothing decided"
    );

    let agent = w
        .app
        .post(
            "/api/v1/tokens",
            token,
            &json!({"role": "agent", "ouIds": [w.tenant.ou_id]}),
        )
        .await;
    assert_eq!(agent.status, 201, "{}", agent.text);
    let agent = agent.body["token"].as_str().unwrap();
    let refused = report(&w, agent, &id, &json!({"position": 1, "waitSeconds": 0})).await;
    assert_eq!(refused.status, 403, "{}", refused.text);

    let assigned = w
        .admin_act(&id, "assign", Some(&json!({"agentId": "agent-1"})))
        .await;
    assert_eq!(assigned.status, 200);
    let late = report(&w, token, &id, &json!({"position": 1, "waitSeconds": 0})).await;
    assert_eq!(late.status, 409, "{}", late.text);
    assert_eq!(late.problem_code(), "conversation_state");
    assert_eq!(reasons(&w, &id).await, ["queue_reminder"]);
    let unknown = report(
        &w,
        token,
        "0193a1d2-7b8c-7d00-8000-00000000dead",
        &json!({"position": 1, "waitSeconds": 0}),
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);
}

// R-BASIC-7..9: the preview renders the channel's texts with defaults or given values, or
// unsaved settings checked by the channel's rules; a text the mode does not send is null.
#[actix_web::test]
async fn the_preview_renders_both_texts_from_the_stored_or_the_unsaved_settings() {
    let w = world().await;
    let channel = reminding(
        &w,
        "x_preview",
        false,
        json!({"mode": "all", "content": "Please wait.", "progressContent": PROGRESS}),
    )
    .await;
    let path = format!("/api/v1/channels/{}/queue-reminder/preview", channel.id);
    let token = &w.tenant.admin_token;
    let defaults = w.app.post(&path, token, &json!({})).await;
    assert_eq!(defaults.status, 200, "{}", defaults.text);
    assert_eq!(
        defaults.body,
        json!({
            "mode": "all",
            "queueReminder": "Please wait.",
            "progressReminder": "Hi Jordan (2244994945): you are number 3, about 180 seconds",
            "values": {"userId": "2244994945", "nickName": "Jordan", "position": 3, "waitSeconds": 180}
        })
    );
    let given = w
        .app
        .post(
            &path,
            token,
            &json!({"userId": "42", "nickName": "Ada", "position": 1, "waitSeconds": 5}),
        )
        .await;
    assert_eq!(
        given.body["progressReminder"],
        "Hi Ada (42): you are number 1, about 5 seconds"
    );

    let unsaved = w
        .app
        .post(
            &path,
            token,
            &json!({"queueReminder": {"mode": "queue", "content": "One moment."}}),
        )
        .await;
    assert_eq!(unsaved.status, 200, "{}", unsaved.text);
    assert_eq!(unsaved.body["mode"], "queue");
    assert_eq!(unsaved.body["queueReminder"], "One moment.");
    assert_eq!(unsaved.body["progressReminder"], Value::Null);
    let progress_only = w
        .app
        .post(
            &path,
            token,
            &json!({"queueReminder": {"mode": "progress"}}),
        )
        .await;
    assert_eq!(progress_only.body["queueReminder"], Value::Null);
    assert_eq!(
        progress_only.body["progressReminder"],
        "You are currently in the queue, in position 3, and are expected to wait for 180 seconds"
    );

    let bad = w
        .app
        .post(
            &path,
            token,
            &json!({"position": 0, "userId": "@ada",
                    "queueReminder": {"mode": "all", "content": "<b>", "progressContent": "${rank}"}}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let mut pointers = bad.pointers();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/position",
            "/queueReminder/content",
            "/queueReminder/progressContent",
            "/userId"
        ]
    );
    let missing = w
        .app
        .post(
            &path,
            token,
            &json!({"queueReminder": {"content": "Wait."}}),
        )
        .await;
    assert_eq!(missing.status, 422, "{}", missing.text);
    assert_eq!(missing.pointers(), ["/queueReminder/mode"]);
    // The stored settings are untouched by a preview.
    let stored = w
        .app
        .get(&format!("/api/v1/channels/{}", channel.id), token)
        .await;
    assert_eq!(stored.body["queueReminder"]["content"], "Please wait.");
    // A tenant user of the channel's OU previews too.
    let user = w.app.user_token(token, &[&w.tenant.ou_id]).await;
    let by_user = w.app.post(&path, &user, &json!({})).await;
    assert_eq!(by_user.status, 200, "{}", by_user.text);
}

// R-CONV-3: the channel shows its send budget, in its own view and in the list: X's
// window less what the account sent, and the reserve kept for agents.
#[actix_web::test]
async fn the_channel_shows_its_send_budget_in_its_view_and_the_list() {
    let w = world().await;
    let channel = reminding(
        &w,
        "x_budget",
        false,
        json!({"mode": "queue", "content": "Please wait."}),
    )
    .await;
    let path = format!("/api/v1/channels/{}", channel.id);
    let fresh = w.app.get(&path, &w.tenant.admin_token).await;
    assert_eq!(fresh.status, 200, "{}", fresh.text);
    let budget = &fresh.body["sendBudget"];
    assert_eq!(budget["remaining"], 15, "{}", fresh.text);
    assert_eq!(budget["reserve"], 3);
    assert_eq!(budget["sentLast15Minutes"], 0);
    assert_eq!(budget["sentLast24Hours"], 0);

    // The queue reminder is one send.
    w.customer_writes(&channel, CUSTOMER, "Hello").await;
    let id = w.conversation_id(&channel).await;
    let items = settled(&w, &id).await;
    assert_eq!(items[0]["status"], "sent", "{items:?}");
    let after = w.app.get(&path, &w.tenant.admin_token).await;
    let budget = &after.body["sendBudget"];
    assert_eq!(budget["sentLast15Minutes"], 1, "{}", after.text);
    assert_eq!(budget["sentLast24Hours"], 1);
    assert_eq!(budget["remaining"], 14);
    let list = w.app.get("/api/v1/channels", &w.tenant.admin_token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let listed = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == channel.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["sendBudget"], after.body["sendBudget"]);

    // Twenty minutes on, the send has left X's 15-minute window but not the day.
    w.app.clock().advance(Duration::from_secs(20 * 60));
    let later = w.app.get(&path, &w.tenant.admin_token).await;
    let budget = &later.body["sendBudget"];
    assert_eq!(budget["sentLast15Minutes"], 0, "{}", later.text);
    assert_eq!(budget["sentLast24Hours"], 1, "{}", later.text);
    assert_eq!(budget["remaining"], 15, "{}", later.text);
}

// R-BASIC-8 with R-BASIC-11: a timer that moves an unanswered conversation back to a queue
// (noAgentReplyTransfer) enters that queue, so the customer hears the queue reminder again.
#[actix_web::test]
async fn a_timer_that_moves_the_conversation_to_a_queue_sends_the_queue_reminder() {
    let w = world().await;
    let channel = w
        .channel_with("x_timer", false, |body| {
            body["queueReminder"] = json!({"mode": "queue", "content": "Please wait."});
            body["more"]["noAgentReplyTransfer"] =
                json!({"enabled": true, "timeoutSeconds": 30, "targetSkillQueueId": null});
        })
        .await;
    w.customer_writes(&channel, CUSTOMER, "Hello").await;
    let id = w.conversation_id(&channel).await;
    assert_eq!(reasons(&w, &id).await, ["queue_reminder"]);
    let assigned = w
        .admin_act(&id, "assign", Some(&json!({"agentId": "agent-1"})))
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    w.app.clock().advance(Duration::from_secs(31));
    let started = Instant::now();
    loop {
        let now = w
            .app
            .get(
                &format!("/api/v1/conversations/{id}"),
                &w.tenant.admin_token,
            )
            .await;
        if now.body["state"] == "queued" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not moved: {}",
            now.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reasons(&w, &id).await, ["queue_reminder", "queue_reminder"]);
    let items = settled(&w, &id).await;
    assert!(items.iter().all(|m| m["status"] == "sent"), "{items:?}");
}
