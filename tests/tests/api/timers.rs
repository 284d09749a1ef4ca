//! The timeouts of the channel's settings (R-BASIC-11, issue 19), through the HTTP API
//! against the fake X, with the service's clock moved instead of waiting:
//! `noCustomerReplyEnd` reminds a silent customer after `reminderSeconds` and ends the
//! conversation after `timeoutSeconds`, both counted from the agent's message;
//! `noAgentReplyTransfer` moves a conversation its agent does not answer. Timers live in
//! the database: they survive a restart, and two instances never fire one twice.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use xchannel::{config::Settings, startup::Application, state::AppState};
use xchannel_tests::fake_x::FakeX;

use crate::helpers::{
    fresh_settings, insert_sending_automatic_message, spawn_instance, SpawnOptions, TestApp,
};
use crate::world::{world, Channel, World, ACCOUNT, CUSTOMER};

const REMINDER_TEXT: &str = "Are you still there?";
const END_TEXT: &str = "We close this chat now. Write again any time.";

/// `noCustomerReplyEnd` on: remind after 60 s, end after 180 s of customer silence.
fn no_customer_reply_end() -> Value {
    json!({"noCustomerReplyEnd": {
        "enabled": true, "timeoutSeconds": 180, "reminderSeconds": 60,
        "reminderText": REMINDER_TEXT, "endText": END_TEXT
    }})
}

/// `noAgentReplyTransfer` on: 90 s for the agent, then to `target` (the channel's own
/// queue when `None`).
fn no_agent_reply_transfer(target: Option<&str>) -> Value {
    json!({"noAgentReplyTransfer": {
        "enabled": true, "timeoutSeconds": 90, "targetSkillQueueId": target
    }})
}

/// Changes the channel's `more` settings as an administrator does (merge patch).
async fn set_more(w: &World, channel: &Channel, more: Value) {
    let path = format!("/api/v1/channels/{}", channel.id);
    let current = w.app.get(&path, &w.tenant.admin_token).await;
    assert_eq!(current.status, 200, "{}", current.text);
    let if_match = current.etag();
    let patched = w
        .app
        .call_with(
            Method::PATCH,
            &path,
            &w.tenant.admin_token,
            Some(&json!({ "more": more })),
            &[
                ("if-match", if_match.as_str()),
                ("content-type", "application/merge-patch+json"),
            ],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
}

/// An active channel (no robot) with `more` settings.
async fn channel_with(w: &World, name: &str, more: Value) -> Channel {
    let channel = w.channel(name, false).await;
    set_more(w, &channel, more).await;
    channel
}

/// `customer` writes and the conversation is assigned to `agent`; its id.
async fn assigned(w: &World, channel: &Channel, customer: &str, agent: &str) -> String {
    w.customer_writes(channel, customer, "Hello, my order is late")
        .await;
    let id = open_of(w, channel, customer).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assign = w
        .admin_act(&id, "assign", Some(&json!({ "agentId": agent })))
        .await;
    assert_eq!(assign.status, 200, "{}", assign.text);
    id
}

/// The open conversation of `customer` on the channel.
async fn open_of(w: &World, channel: &Channel, customer: &str) -> Value {
    let list = w
        .app
        .get(
            &format!("/api/v1/conversations?channelId={}", channel.id),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["customer"]["id"] == customer && c["state"] != "ended")
        .unwrap_or_else(|| panic!("no open conversation of {customer}: {}", list.text))
        .clone()
}

async fn conversation(w: &World, id: &str) -> Value {
    let read = w
        .app
        .get(
            &format!("/api/v1/conversations/{id}"),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    read.body
}

async fn automatic(w: &World, id: &str) -> Vec<Value> {
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

/// The agent replies; the service's clock just before and just after.
async fn agent_replies(w: &World, id: &str, text: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let before = w.app.clock().now();
    let reply = w.reply(&w.tenant.admin_token, id, text, None).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    (before, w.app.clock().now())
}

/// What X delivered to customers from the channel's account, oldest first.
fn sent_texts(w: &World) -> Vec<String> {
    let mut texts: Vec<String> = w
        .fake
        .dm_events(ACCOUNT)
        .into_iter()
        .filter(|e| e.sender_id == ACCOUNT)
        .map(|e| e.text)
        .collect();
    texts.reverse();
    texts
}

/// Waits until `check` holds of the conversation (20 s at most).
async fn until(w: &World, id: &str, what: &str, check: impl Fn(&Value, &[Value]) -> bool) {
    let started = Instant::now();
    loop {
        let c = conversation(w, id).await;
        let auto = automatic(w, id).await;
        if check(&c, &auto) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what}: {c}\n{auto:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn sent(auto: &[Value], reason: &str) -> usize {
    auto.iter()
        .filter(|m| m["reason"] == reason && m["status"] == "sent")
        .count()
}

/// The tenant's events of `kind` about conversation `id` so far, as the event stream
/// gives them from its start (read until `count` came, 20 s at most): their `data`.
async fn events_about(w: &World, kind: &str, id: &str, count: usize) -> Vec<Value> {
    let mut response = w
        .app
        .client
        .get(format!(
            "{}/api/v1/events?type={kind}&lastEventId=0",
            w.app.base
        ))
        .bearer_auth(&w.tenant.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let started = Instant::now();
    let mut text = String::new();
    loop {
        let found: Vec<Value> = text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .filter(|e| e["type"] == kind && e["data"]["id"] == id)
            .map(|e| e["data"].clone())
            .collect();
        if found.len() >= count {
            return found;
        }
        let left = Duration::from_secs(20).saturating_sub(started.elapsed());
        match tokio::time::timeout(left, response.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("{count} {kind} of {id} expected: {other:?}\n{text}"),
        }
    }
}

/// A few of the timers worker's polls (1 s each) with the clock where it is.
async fn a_few_polls() {
    tokio::time::sleep(Duration::from_millis(2500)).await;
}

fn due_at(c: &Value) -> DateTime<Utc> {
    c["timer"]["dueAt"]
        .as_str()
        .unwrap_or_else(|| panic!("no timer: {c}"))
        .parse()
        .unwrap()
}

/// How far before a timer's due time a "not yet" check puts the clock. The clock runs
/// with real time between the test's moves, so a check counts its margin from the due
/// time itself, not from moves made earlier (a slow machine's seconds would add up).
const MARGIN: chrono::Duration = chrono::Duration::seconds(15);

/// Puts the service's clock `MARGIN` before `due`, for a check that nothing fired yet.
fn before_due(w: &World, due: DateTime<Utc>) {
    w.app.clock().set(due - MARGIN);
}

/// Puts the service's clock a second past `due` (or leaves it where it is, if later).
fn past_due(w: &World, due: DateTime<Utc>) {
    let at = due + chrono::Duration::seconds(1);
    if w.app.clock().now() < at {
        w.app.clock().set(at);
    }
}

/// `timer.dueAt` is `seconds` after a moment within `window`.
fn assert_due(c: &Value, name: &str, window: (DateTime<Utc>, DateTime<Utc>), seconds: i64) {
    assert_eq!(c["timer"]["name"], name, "{c}");
    let due = due_at(c);
    let s = chrono::Duration::seconds(seconds);
    let slack = chrono::Duration::milliseconds(1);
    assert!(
        due >= window.0 + s - slack && due <= window.1 + s + slack,
        "{name} due {due}, expected {seconds} s after {:?}",
        window
    );
}

// R-BASIC-11 noCustomerReplyEnd, end to end: the agent writes, the customer stays
// silent; the reminder comes at reminderSeconds (not before), the end text and `ended`
// at timeoutSeconds, both counted from the agent's message.
#[actix_web::test]
async fn a_silent_customer_is_reminded_then_the_conversation_ends() {
    let w = world().await;
    let channel = channel_with(&w, "x_silent", no_customer_reply_end()).await;
    let id = assigned(&w, &channel, CUSTOMER, "agent-1").await;
    assert!(conversation(&w, &id).await["timer"].is_null());

    let replied = agent_replies(&w, &id, "Let me check your order.").await;
    let c = conversation(&w, &id).await;
    assert_due(&c, "no_customer_reply_reminder", replied, 60);
    let reminder = due_at(&c);

    // Just under the reminder's time: nothing.
    before_due(&w, reminder);
    a_few_polls().await;
    assert!(automatic(&w, &id).await.is_empty());
    assert_eq!(sent_texts(&w), ["Let me check your order."]);

    // Past it: the reminder, once; the end is next, counted from the agent's message.
    past_due(&w, reminder);
    until(&w, &id, "the reminder is sent", |_, auto| {
        sent(auto, "no_customer_reply_reminder") == 1
    })
    .await;
    let c = conversation(&w, &id).await;
    assert_eq!(c["state"], "agent");
    assert_due(&c, "no_customer_reply_end", replied, 180);
    assert_eq!(
        sent_texts(&w),
        ["Let me check your order.", REMINDER_TEXT],
        "the customer received the reminder"
    );
    let messages = w.messages(&id).await;
    assert_eq!(messages[0]["text"], REMINDER_TEXT, "{messages:?}");
    assert_eq!(messages[0]["automatic"], "no_customer_reply_reminder");
    let end = due_at(&c);

    // Just under the timeout: still open.
    before_due(&w, end);
    a_few_polls().await;
    assert_eq!(conversation(&w, &id).await["state"], "agent");
    assert_eq!(automatic(&w, &id).await.len(), 1);

    // Past it: the end text, and the conversation is over.
    past_due(&w, end);
    until(
        &w,
        &id,
        "the end text is sent and the conversation ended",
        |c, auto| c["state"] == "ended" && sent(auto, "no_customer_reply_end") == 1,
    )
    .await;
    let c = conversation(&w, &id).await;
    assert!(c["timer"].is_null(), "{c}");
    assert!(c["endedAt"].is_string(), "{c}");
    assert_eq!(
        sent_texts(&w),
        ["Let me check your order.", REMINDER_TEXT, END_TEXT]
    );
    // The end text is the last message of the conversation it ended (sent after the end).
    let messages = w.messages(&id).await;
    assert_eq!(messages[0]["text"], END_TEXT, "{messages:?}");
    assert_eq!(messages[0]["automatic"], "no_customer_reply_end");
    assert_eq!(c["counts"]["outbound"], 3, "{c}");
    // The router hears of it as of any end.
    let ended = events_about(&w, "conversation.ended", &id, 1).await;
    assert_eq!(ended[0]["state"], "ended", "{ended:?}");

    // Nothing more, however long the silence.
    w.app.clock().advance(Duration::from_secs(86_400));
    a_few_polls().await;
    assert_eq!(automatic(&w, &id).await.len(), 2);
    assert_eq!(w.sends().len(), 3);
    // The customer's next message opens a new conversation, without a timer.
    w.customer_writes(&channel, CUSTOMER, "I am back").await;
    let again = open_of(&w, &channel, CUSTOMER).await;
    assert_ne!(again["id"], id.as_str());
    assert!(again["timer"].is_null());
}

// R-BASIC-11: the customer's answer cancels the wait; nothing is sent however long the
// conversation stays quiet afterwards.
#[actix_web::test]
async fn a_customer_reply_cancels_the_reminder_and_the_end() {
    let w = world().await;
    let channel = channel_with(&w, "x_answered", no_customer_reply_end()).await;
    let id = assigned(&w, &channel, CUSTOMER, "agent-1").await;
    agent_replies(&w, &id, "Which order number?").await;
    assert_eq!(
        conversation(&w, &id).await["timer"]["name"],
        "no_customer_reply_reminder"
    );
    w.app.clock().advance(Duration::from_secs(30));
    w.customer_writes(&channel, CUSTOMER, "It is 4711").await;
    let c = conversation(&w, &id).await;
    assert!(c["timer"].is_null(), "{c}");

    w.app.clock().advance(Duration::from_secs(600));
    a_few_polls().await;
    assert!(automatic(&w, &id).await.is_empty());
    assert_eq!(conversation(&w, &id).await["state"], "agent");
    assert_eq!(w.sends().len(), 1, "only the agent's reply");
}

// R-BASIC-11: each agent message starts the silence again.
#[actix_web::test]
async fn a_new_agent_message_restarts_the_wait() {
    let w = world().await;
    let channel = channel_with(&w, "x_restart", no_customer_reply_end()).await;
    let id = assigned(&w, &channel, CUSTOMER, "agent-1").await;
    agent_replies(&w, &id, "One moment.").await;
    let first = due_at(&conversation(&w, &id).await);
    w.app.clock().advance(Duration::from_secs(40));
    let second = agent_replies(&w, &id, "Found it: it ships today.").await;
    let c = conversation(&w, &id).await;
    assert_due(&c, "no_customer_reply_reminder", second, 60);
    let due = due_at(&c);

    // The first message's reminder time passes: nothing.
    assert!(due - MARGIN > first, "{first} {due}");
    before_due(&w, due);
    a_few_polls().await;
    assert!(automatic(&w, &id).await.is_empty());
    // The second's: the reminder.
    past_due(&w, due);
    until(&w, &id, "the reminder is sent", |_, auto| {
        sent(auto, "no_customer_reply_reminder") == 1
    })
    .await;
    assert_due(
        &conversation(&w, &id).await,
        "no_customer_reply_end",
        second,
        180,
    );
}

// R-BASIC-11: a channel without the timeouts (their default) never acts on its own.
#[actix_web::test]
async fn with_the_settings_off_nothing_happens() {
    let w = world().await;
    let channel = w.channel("x_off", false).await;
    let id = assigned(&w, &channel, CUSTOMER, "agent-1").await;
    assert!(conversation(&w, &id).await["timer"].is_null());
    agent_replies(&w, &id, "Hello!").await;
    assert!(conversation(&w, &id).await["timer"].is_null());
    w.customer_writes(&channel, CUSTOMER, "Hi").await;
    assert!(conversation(&w, &id).await["timer"].is_null());
    w.app.clock().advance(Duration::from_secs(2 * 86_400));
    a_few_polls().await;
    let c = conversation(&w, &id).await;
    assert_eq!(c["state"], "agent");
    assert_eq!(c["agentId"], "agent-1");
    assert!(automatic(&w, &id).await.is_empty());
    assert_eq!(w.sends().len(), 1);
}

// R-BASIC-11: an edit applies to the next decision: a rule switched off before its timer
// fires does nothing, and the timer goes.
#[actix_web::test]
async fn switching_the_setting_off_before_the_timer_fires_cancels_it() {
    let w = world().await;
    let channel = channel_with(&w, "x_edited", no_customer_reply_end()).await;
    let id = assigned(&w, &channel, CUSTOMER, "agent-1").await;
    agent_replies(&w, &id, "Checking.").await;
    assert_eq!(
        conversation(&w, &id).await["timer"]["name"],
        "no_customer_reply_reminder"
    );
    set_more(
        &w,
        &channel,
        json!({"noCustomerReplyEnd": {"enabled": false}}),
    )
    .await;

    w.app.clock().advance(Duration::from_secs(65));
    until(&w, &id, "the timer is dropped", |c, _| c["timer"].is_null()).await;
    w.app.clock().advance(Duration::from_secs(600));
    a_few_polls().await;
    assert!(automatic(&w, &id).await.is_empty());
    assert_eq!(conversation(&w, &id).await["state"], "agent");
    assert_eq!(w.sends().len(), 1);
}

// R-BASIC-11 noAgentReplyTransfer, end to end: an agent who does not write within
// timeoutSeconds loses the conversation to the target queue; an agent's message cancels
// the wait; a customer who writes and waits starts it again, from the first unanswered
// message.
#[actix_web::test]
async fn an_unanswered_conversation_moves_to_the_target_queue() {
    let w = world().await;
    let overflow = w
        .app
        .route(
            &w.tenant.admin_token,
            "overflow",
            "multimedia",
            &w.tenant.ou_id,
        )
        .await;
    let channel = channel_with(&w, "x_unanswered", no_agent_reply_transfer(Some(&overflow))).await;
    w.customer_writes(&channel, CUSTOMER, "Anybody there?")
        .await;
    let id = open_of(&w, &channel, CUSTOMER).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = w.app.clock().now();
    let assign = w
        .admin_act(&id, "assign", Some(&json!({"agentId": "agent-1"})))
        .await;
    assert_eq!(assign.status, 200, "{}", assign.text);
    let window = (before, w.app.clock().now());
    // The answer to the assignment shows the timer it started.
    assert_due(&assign.body, "no_agent_reply_transfer", window, 90);
    let due = due_at(&assign.body);

    before_due(&w, due);
    a_few_polls().await;
    assert_eq!(conversation(&w, &id).await["state"], "agent");

    past_due(&w, due);
    until(&w, &id, "the conversation is transferred", |c, _| {
        c["state"] == "queued"
    })
    .await;
    let c = conversation(&w, &id).await;
    assert_eq!(c["skillQueueId"], overflow.as_str(), "{c}");
    assert!(c["agentId"].is_null(), "{c}");
    assert!(c["timer"].is_null(), "{c}");
    let moved = events_about(&w, "conversation.transferred", &id, 1).await;
    assert_eq!(moved[0]["skillQueueId"], overflow.as_str(), "{moved:?}");
    assert_eq!(moved[0]["state"], "queued");

    // The next agent answers in time: no transfer.
    let assign = w
        .admin_act(&id, "assign", Some(&json!({"agentId": "agent-2"})))
        .await;
    assert_eq!(assign.body["timer"]["name"], "no_agent_reply_transfer");
    w.app.clock().advance(Duration::from_secs(30));
    agent_replies(&w, &id, "Sorry for the wait, how can I help?").await;
    assert!(conversation(&w, &id).await["timer"].is_null());
    w.app.clock().advance(Duration::from_secs(300));
    a_few_polls().await;
    assert_eq!(conversation(&w, &id).await["state"], "agent");

    // The customer writes twice and waits: the time counts from the first message.
    let first = w.app.clock().now();
    w.customer_writes(&channel, CUSTOMER, "My order 4711 is late")
        .await;
    let window = (first, w.app.clock().now());
    w.app.clock().advance(Duration::from_secs(60));
    w.customer_writes(&channel, CUSTOMER, "Hello?").await;
    assert_due(
        &conversation(&w, &id).await,
        "no_agent_reply_transfer",
        window,
        90,
    );
    w.app.clock().advance(Duration::from_secs(35));
    until(&w, &id, "transferred again", |c, _| c["state"] == "queued").await;
    let c = conversation(&w, &id).await;
    assert_eq!(c["skillQueueId"], overflow.as_str(), "{c}");
    assert!(
        automatic(&w, &id).await.is_empty(),
        "a transfer sends nothing"
    );
}

// R-BASIC-11: without a target the conversation goes back to the channel's own queue.
#[actix_web::test]
async fn without_a_target_the_conversation_goes_back_to_the_channels_queue() {
    let w = world().await;
    let elsewhere = w
        .app
        .route(
            &w.tenant.admin_token,
            "elsewhere",
            "multimedia",
            &w.tenant.ou_id,
        )
        .await;
    let channel = channel_with(&w, "x_back", no_agent_reply_transfer(None)).await;
    w.customer_writes(&channel, CUSTOMER, "Hello").await;
    let id = open_of(&w, &channel, CUSTOMER).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The router had moved it to another queue before an agent took it.
    let moved = w
        .admin_act(
            &id,
            "transfer",
            Some(&json!({"target": {"type": "skillQueue", "id": elsewhere}})),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert!(moved.body["timer"].is_null(), "only an agent is timed");
    let assign = w
        .admin_act(&id, "assign", Some(&json!({"agentId": "agent-1"})))
        .await;
    assert_eq!(assign.body["timer"]["name"], "no_agent_reply_transfer");
    // Handed to another agent: that agent has the full time.
    w.app.clock().advance(Duration::from_secs(60));
    let before = w.app.clock().now();
    let handed = w
        .admin_act(
            &id,
            "transfer",
            Some(&json!({"target": {"type": "agent", "id": "agent-2"}})),
        )
        .await;
    assert_eq!(handed.status, 200, "{}", handed.text);
    let window = (before, w.app.clock().now());
    assert_due(&handed.body, "no_agent_reply_transfer", window, 90);
    let due = due_at(&handed.body);
    before_due(&w, due);
    a_few_polls().await;
    assert_eq!(conversation(&w, &id).await["agentId"], "agent-2");
    past_due(&w, due);
    until(&w, &id, "the conversation is transferred", |c, _| {
        c["state"] == "queued"
    })
    .await;
    let c = conversation(&w, &id).await;
    assert_eq!(c["skillQueueId"], w.tenant.queue_id.as_str(), "{c}");
    assert!(c["timer"].is_null(), "{c}");
}

/// An instance this test can stop.
struct Instance {
    base: String,
    handle: actix_web::dev::ServerHandle,
    state: std::sync::Arc<AppState>,
}

async fn start(settings: &Settings) -> Instance {
    let app = Application::build(settings.clone())
        .await
        .expect("the service starts");
    let instance = Instance {
        base: format!("http://127.0.0.1:{}", app.port()),
        handle: app.handle(),
        state: app.state(),
    };
    actix_web::rt::spawn(app.run_until_stopped());
    instance
}

async fn stop(instance: Instance) {
    instance.state.events.close();
    instance.handle.stop(true).await;
}

// R-BASIC-11, DESIGN "nothing that must outlive a request lives in process memory": the
// timer set by one instance fires after it stopped, from the database, in the next.
#[actix_web::test]
async fn a_timer_survives_a_restart() {
    let fake = FakeX::start().await.unwrap();
    let settings = fresh_settings(SpawnOptions {
        x_api_base_url: Some(fake.base_url().to_owned()),
        ..SpawnOptions::default()
    })
    .await;
    let first = start(&settings).await;
    let mut app = TestApp {
        base: first.base.clone(),
        client: crate::helpers::http_client(),
        system_token: String::new(),
        data_dir: settings.keys.data_dir.clone(),
        database_url: settings.database.url.clone(),
        settings: settings.clone(),
    };
    app.system_token = app.mint_system_token().await;
    let tenant = app.tenant().await;
    let w = World { app, fake, tenant };
    let channel = channel_with(&w, "x_restarted", no_customer_reply_end()).await;
    let id = assigned(&w, &channel, CUSTOMER, "agent-1").await;
    let replied = agent_replies(&w, &id, "Let me look.").await;
    stop(first).await;

    // While no instance runs, the reminder's time passes.
    w.app.clock().advance(Duration::from_secs(65));
    let second = start(&settings).await;
    let w = World {
        app: TestApp {
            base: second.base.clone(),
            ..w.app
        },
        ..w
    };
    until(
        &w,
        &id,
        "the next instance sends the reminder",
        |_, auto| sent(auto, "no_customer_reply_reminder") == 1,
    )
    .await;
    assert_due(
        &conversation(&w, &id).await,
        "no_customer_reply_end",
        replied,
        180,
    );
    w.app.clock().advance(Duration::from_secs(120));
    until(&w, &id, "and ends the conversation", |c, auto| {
        c["state"] == "ended" && sent(auto, "no_customer_reply_end") == 1
    })
    .await;
    assert_eq!(sent_texts(&w), ["Let me look.", REMINDER_TEXT, END_TEXT]);
    stop(second).await;
}

// R-BASIC-11, DESIGN "Many instances": three instances on one database, timers of three
// conversations due at once: each customer hears each reminder and each end text once.
#[actix_web::test]
async fn instances_sharing_the_database_fire_each_timer_once() {
    // Several instances share a database on PostgreSQL (README, "With PostgreSQL"); a
    // SQLite file belongs to one instance, whose deferred write transactions another
    // process's writer may refuse (`SQLITE_BUSY`) instead of waiting.
    if !crate::helpers::on_postgres() {
        eprintln!("instances share a database on PostgreSQL only: run with XCHANNEL_TEST_BACKEND=postgres");
        return;
    }
    let w = world().await;
    let channel = channel_with(&w, "x_shared", no_customer_reply_end()).await;
    let _second = spawn_instance(&w.app.settings).await;
    let _third = spawn_instance(&w.app.settings).await;
    let customers = ["3001969357", "3001969358", "3001969359"];
    let mut ids = Vec::new();
    for (n, customer) in customers.iter().enumerate() {
        let id = assigned(&w, &channel, customer, &format!("agent-{n}")).await;
        agent_replies(&w, &id, &format!("Hello, I am agent {n}.")).await;
        ids.push(id);
    }
    w.app.clock().advance(Duration::from_secs(65));
    for id in &ids {
        until(&w, id, "the reminder is sent", |_, auto| {
            sent(auto, "no_customer_reply_reminder") == 1
        })
        .await;
    }
    w.app.clock().advance(Duration::from_secs(120));
    for id in &ids {
        until(&w, id, "the conversation ends", |c, auto| {
            c["state"] == "ended" && sent(auto, "no_customer_reply_end") == 1
        })
        .await;
    }
    a_few_polls().await;
    for id in &ids {
        assert_eq!(automatic(&w, id).await.len(), 2, "one reminder, one end");
    }
    let texts = sent_texts(&w);
    assert_eq!(
        texts.iter().filter(|t| *t == REMINDER_TEXT).count(),
        3,
        "{texts:?}"
    );
    assert_eq!(
        texts.iter().filter(|t| *t == END_TEXT).count(),
        3,
        "{texts:?}"
    );
    assert_eq!(
        w.sends().len(),
        9,
        "three replies, three reminders, three ends"
    );
}

/// X's echo of a message the channel's account sent to the customer, delivered by webhook.
async fn echo_delivered(w: &World, channel: &Channel, text: &str) {
    let body = xchannel_tests::fake_x::direct_message_delivery(
        ACCOUNT,
        &crate::world::event_id(),
        crate::world::now_ms(),
        (ACCOUNT, "Support Desk", "support_desk"),
        CUSTOMER,
        text,
    );
    let answer = w
        .app
        .deliver(&channel.id, &channel.credentials.api_key_secret, &body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

// R-BASIC-11: X's echo of the service's own reminder, stored before the sender records
// it, is not an agent's message and restarts nothing; a message the agent typed in X's
// own app is one.
#[actix_web::test]
async fn the_echo_of_a_reminder_being_sent_is_not_an_agent_message() {
    use sea_orm::{ConnectionTrait, Database};
    let w = world().await;
    let channel = channel_with(&w, "x_echo", no_customer_reply_end()).await;
    let id = assigned(&w, &channel, CUSTOMER, "agent-1").await;
    let replied = agent_replies(&w, &id, "Checking.").await;
    // As the sender leaves it while X is asked: `sending`, its lease held elsewhere.
    let db = Database::connect(&w.app.database_url).await.unwrap();
    insert_sending_automatic_message(
        &db,
        &w.tenant.id,
        &channel.id,
        &id,
        "no_customer_reply_reminder",
        REMINDER_TEXT,
    )
    .await;

    w.app.clock().advance(Duration::from_secs(20));
    // The text is not compared: X rewrites links in what it delivers.
    echo_delivered(&w, &channel, "Are you still there? (as X rewrote it)").await;
    let c = conversation(&w, &id).await;
    assert_eq!(c["counts"]["outbound"], 2, "the echo is stored: {c}");
    assert_due(&c, "no_customer_reply_reminder", replied, 60);

    // Once the sender has recorded its message, what the account sends is a person's.
    db.execute_unprepared("UPDATE automatic_messages SET status = 'sent'")
        .await
        .unwrap();
    db.close().await.ok();
    let typed = (w.app.clock().now(), w.app.clock().now());
    echo_delivered(&w, &channel, "Typed in the X app.").await;
    let c = conversation(&w, &id).await;
    let window = (typed.0, w.app.clock().now());
    assert_due(&c, "no_customer_reply_reminder", window, 60);
}
