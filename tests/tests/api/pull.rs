//! The minute pull of Basic and Pro channels (issue 15) against the fake X, with an
//! interval of a second or two: DMs pulled and readable through `GET .../messages`, each
//! stored once however often X lists it, the echo `outbound`, the cursor honoured, X's
//! budget and 429 obeyed, X failing shown on the channel without stopping the others, a
//! 401 failing the integration, push and pull of one message storing it once, and two
//! instances on one database never pulling a channel twice within an interval.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use xchannel_tests::fake_x::{
    direct_message_delivery, Endpoint, FakeAccount, FakeDmEvent, FakeMedia, FakeX, Fault,
    WebhookDriver,
};

use crate::helpers::{
    fresh_settings, spawn_app_with, spawn_instance, SpawnOptions, Tenant, TestApp, XCredentials,
};

const CUSTOMER: &str = "3001969357";

struct World {
    app: TestApp,
    fake: FakeX,
    tenant: Tenant,
}

async fn world(interval: Duration) -> World {
    let fake = FakeX::start().await.unwrap();
    let app = spawn_app_with(SpawnOptions {
        x_api_base_url: Some(fake.base_url().to_owned()),
        pull_interval: Some(interval),
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    World { app, fake, tenant }
}

/// A fresh X account id, so channels of one test never share an account.
fn new_user_id() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000;
    format!("1{n:018}")
}

struct PulledChannel {
    id: String,
    user_id: String,
    credentials: XCredentials,
}

impl World {
    /// Registers the channel's app and account at X.
    fn known_to_x(&self, credentials: &XCredentials, user_id: &str) {
        self.fake
            .add_app(&credentials.api_key, &credentials.api_key_secret);
        self.fake.add_account(FakeAccount {
            user_id: user_id.into(),
            name: "Support Desk".into(),
            username: "support_desk".into(),
            api_key: credentials.api_key.clone(),
            access_token: credentials.access_token.clone(),
            access_token_secret: credentials.access_token_secret.clone(),
        });
    }

    /// A draft channel of `level` whose credentials X knows.
    async fn draft(&self, name: &str, level: &str) -> PulledChannel {
        let credentials = XCredentials::unique();
        let user_id = new_user_id();
        self.known_to_x(&credentials, &user_id);
        let mut body = self.tenant.channel_body(name, &credentials);
        body["x"]["accountLevel"] = json!(level);
        let created = self
            .app
            .post("/api/v1/channels", &self.tenant.admin_token, &body)
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        PulledChannel {
            id: created.id(),
            user_id,
            credentials,
        }
    }

    async fn submit(&self, id: &str) {
        let answer = self
            .app
            .call(
                Method::POST,
                &format!("/api/v1/channels/{id}/integration"),
                &self.tenant.admin_token,
                None,
            )
            .await;
        assert_eq!(answer.status, 202, "{}", answer.text);
        self.until(id, "active", |c| c["status"] != "verifying")
            .await;
        let channel = self.channel(id).await;
        assert_eq!(channel["status"], "active", "{channel}");
    }

    /// An active Pro channel, pulled from now on.
    async fn active(&self, name: &str) -> PulledChannel {
        let channel = self.draft(name, "pro").await;
        self.submit(&channel.id).await;
        channel
    }

    async fn channel(&self, id: &str) -> Value {
        let answer = self
            .app
            .get(&format!("/api/v1/channels/{id}"), &self.tenant.admin_token)
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body
    }

    /// Waits (30 s at most) until the channel satisfies `done`; the channel then.
    async fn until(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let channel = self.channel(id).await;
            if done(&channel) {
                return channel;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "waited 30 s for {what}: {channel}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn messages(&self, id: &str) -> Vec<Value> {
        self.app
            .all_messages(&self.tenant.admin_token, id, "")
            .await
    }

    /// Waits until the channel holds `n` messages; they then, newest first.
    async fn until_messages(&self, id: &str, n: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let messages = self.messages(id).await;
            if messages.len() >= n {
                return messages;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "waited 30 s for {n} messages, {} stored",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The `GET /2/dm_events` calls X received signed by `user_id`: (query, status).
    fn dm_calls(&self, user_id: &str) -> Vec<(String, u16)> {
        self.fake
            .received()
            .into_iter()
            .filter(|r| r.path == "/2/dm_events" && r.user_id.as_deref() == Some(user_id))
            .map(|r| (r.query, r.status))
            .collect()
    }

    async fn until_calls(&self, user_id: &str, n: usize) {
        let started = Instant::now();
        while self.dm_calls(user_id).len() < n {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "waited 30 s for {n} calls of dm_events: {:?}",
                self.dm_calls(user_id)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn at(value: &Value) -> chrono::DateTime<chrono::Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a time: {value}"))
        .parse()
        .unwrap()
}

fn event_ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["xEventId"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_once_each(messages: &[Value]) {
    let mut ids = event_ids(messages);
    let all = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all, "a message stored twice");
}

// R-INGEST-2, R-INGEST-4, R-INGEST-6
#[actix_web::test]
async fn a_pro_channel_s_dms_are_pulled_once_each_with_the_echo_outbound_and_the_media() {
    let w = world(Duration::from_secs(1)).await;
    let channel = w.draft("pulled", "pro").await;
    let user = channel.user_id.clone();
    let hello = w
        .fake
        .add_received_message(&user, CUSTOMER, "Hello, my order?");
    w.fake.add_dm_event(
        &user,
        FakeDmEvent {
            id: "1900000000000000001".into(),
            text: "Look at this".into(),
            sender_id: CUSTOMER.into(),
            participant_ids: vec![CUSTOMER.into(), user.clone()],
            created_at: "2026-12-01T10:00:01.000Z".into(),
            dm_conversation_id: format!("{CUSTOMER}-{user}"),
            media: vec![FakeMedia {
                media_key: "3_1900000000000000009".into(),
                media_type: "photo".into(),
                url: "https://pbs.twimg.com/dm/9.jpg".into(),
            }],
        },
    );
    // What the account sent, as X lists it: the echo.
    w.fake.add_dm_event(
        &user,
        FakeDmEvent {
            id: "1900000000000000002".into(),
            text: "We are on it".into(),
            sender_id: user.clone(),
            participant_ids: vec![user.clone(), CUSTOMER.into()],
            created_at: "2026-12-01T10:00:02.000Z".into(),
            dm_conversation_id: format!("{CUSTOMER}-{user}"),
            media: vec![],
        },
    );
    w.fake.add_participant_event(&user, CUSTOMER, true);
    w.submit(&channel.id).await;
    let messages = w.until_messages(&channel.id, 3).await;
    let by_id: HashMap<String, &Value> = messages
        .iter()
        .map(|m| (m["xEventId"].as_str().unwrap().to_owned(), m))
        .collect();
    assert_eq!(
        messages.len(),
        3,
        "the join event is no message: {messages:?}"
    );
    let inbound = by_id[&hello];
    assert_eq!(inbound["direction"], "inbound");
    assert_eq!(inbound["conversationId"], format!("{CUSTOMER}-{user}"));
    assert_eq!(
        inbound["sender"],
        json!({"id": CUSTOMER, "username": format!("customer{CUSTOMER}"), "name": format!("Customer {CUSTOMER}")})
    );
    assert_eq!(inbound["text"], "Hello, my order?");
    let photo = by_id["1900000000000000001"];
    assert_eq!(
        photo["attachments"],
        json!([{"mediaType": "photo", "url": "https://pbs.twimg.com/dm/9.jpg"}])
    );
    assert_eq!(photo["sentAt"], "2026-12-01T10:00:01Z");
    let echo = by_id["1900000000000000002"];
    assert_eq!(echo["direction"], "outbound");
    assert_eq!(echo["sender"]["username"], "support_desk");
    // The query is the issue's, and the channel shows the pull.
    let (query, status) = w.dm_calls(&user).last().cloned().unwrap();
    assert_eq!(status, 200);
    for part in [
        "dm_event.fields=id%2Cevent_type%2Ctext%2Csender_id%2Cparticipant_ids%2Cdm_conversation_id%2Ccreated_at%2Cattachments%2Creferenced_tweets",
        "expansions=sender_id%2Cattachments.media_keys",
        "user.fields=name%2Cusername",
        "max_results=100",
    ] {
        assert!(query.contains(part), "{part} in {query}");
    }
    let shown = w
        .until(&channel.id, "a pull shown", |c| c["lastPullAt"].is_string())
        .await;
    assert!(shown["lastError"].is_null(), "{shown}");
    assert!(
        at(&shown["nextPullAt"]) > at(&shown["lastPullAt"]),
        "{shown}"
    );
    assert!(shown["lastDeliveryAt"].is_null());
    // Later pulls list the same events again: each stays stored once.
    let calls = w.dm_calls(&user).len();
    w.until_calls(&user, calls + 2).await;
    let again = w.messages(&channel.id).await;
    assert_eq!(again.len(), 3, "{again:?}");
    let metrics = w.app.get("/metrics", "").await.text;
    assert!(
        metrics.contains("xchannel_pulls_total{reach=\"complete\"}"),
        "{metrics}"
    );
}

// R-INGEST-2: out of budget mid-way, the walk keeps its place; repeats across pages
// store once; a complete walk's newest event is the cursor the next walk stops at.
#[actix_web::test]
async fn a_walk_out_of_budget_keeps_its_place_and_the_next_stops_at_the_cursor() {
    let w = world(Duration::from_secs(1)).await;
    let channel = w.draft("long_history", "pro").await;
    let user = channel.user_id.clone();
    for n in 0..150 {
        w.fake
            .add_received_message(&user, CUSTOMER, &format!("message {n}"));
    }
    // One read per 2-second window: the verification's probe takes the first.
    w.fake
        .set_user_rate_limit(Endpoint::DmEvents, &user, 1, Duration::from_secs(2));
    w.submit(&channel.id).await;
    // The probe, then the newest page of 100 with nothing left in the window.
    w.until_calls(&user, 2).await;
    w.until_messages(&channel.id, 100).await;
    // Ten more arrive before the walk goes on: X's pages shift, the next one repeats ten.
    for n in 150..160 {
        w.fake
            .add_received_message(&user, CUSTOMER, &format!("message {n}"));
    }
    let messages = w.until_messages(&channel.id, 160).await;
    assert_once_each(&messages);
    let calls = w.dm_calls(&user);
    assert!(
        calls[2].0.contains("pagination_token=page-100"),
        "the walk went on from its place: {calls:?}"
    );
    // Every call stayed within X's budget: not one 429.
    assert!(calls.iter().all(|(_, status)| *status == 200), "{calls:?}");
    // The next walks read the newest page only: the cursor stops them.
    let seen = calls.len();
    w.until_calls(&user, seen + 2).await;
    let later = &w.dm_calls(&user)[seen..];
    assert!(
        later.iter().all(|(q, _)| !q.contains("pagination_token")),
        "{later:?}"
    );
    assert_eq!(w.messages(&channel.id).await.len(), 160);
}

// R-INGEST-2: remaining 0 before the reset: not called.
#[actix_web::test]
async fn a_channel_whose_budget_is_spent_is_not_called_before_x_s_reset() {
    let w = world(Duration::from_secs(1)).await;
    let channel = w.draft("spent", "pro").await;
    w.fake.set_user_rate_limit(
        Endpoint::DmEvents,
        &channel.user_id,
        1,
        Duration::from_secs(900),
    );
    w.submit(&channel.id).await;
    let shown = w
        .until(&channel.id, "the next pull", |c| {
            c["nextPullAt"].is_string()
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        w.dm_calls(&channel.user_id).len(),
        1,
        "only the verification's probe"
    );
    let next = at(&shown["nextPullAt"]);
    assert!(
        next > chrono::Utc::now() + chrono::Duration::seconds(800),
        "{shown}"
    );
    assert!(shown["lastPullAt"].is_null(), "{shown}");
}

// R-INGEST-2: a 429 defers to X's reset and shows on the channel.
#[actix_web::test]
async fn a_429_defers_the_pull_to_x_s_reset() {
    let w = world(Duration::from_secs(1)).await;
    let channel = w.active("limited").await;
    w.until(&channel.id, "a first pull", |c| c["lastPullAt"].is_string())
        .await;
    w.fake.inject_for_user(
        &channel.user_id,
        Fault::TooManyRequestsResetOnly(Duration::from_secs(600)),
    );
    let shown = w
        .until(&channel.id, "the 429", |c| {
            c["lastError"]["code"] == "x_rate_limited"
        })
        .await;
    let next = at(&shown["nextPullAt"]);
    assert!(
        next > chrono::Utc::now() + chrono::Duration::seconds(550),
        "{shown}"
    );
    let calls = w.dm_calls(&channel.user_id).len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        w.dm_calls(&channel.user_id).len(),
        calls,
        "called before the reset"
    );
    assert!(
        shown["lastError"]["message"]
            .as_str()
            .unwrap()
            .contains("allows calls again"),
        "{shown}"
    );
}

// R-INGEST-2: 5xx, timeouts and garbage back off and show; the other channels go on.
#[actix_web::test]
async fn x_failing_shows_on_the_channel_backs_off_and_leaves_the_others_alone() {
    let w = world(Duration::from_secs(1)).await;
    let healthy = w.active("healthy").await;
    let failing = [
        (
            w.active("x_5xx").await,
            Fault::ServerError(503),
            "x_unreachable",
        ),
        (
            w.active("x_hangs").await,
            Fault::Hang(Duration::from_secs(6)),
            "x_unreachable",
        ),
        (
            w.active("x_garbage").await,
            Fault::MalformedBody,
            "x_unexpected_answer",
        ),
    ];
    for (channel, fault, _) in &failing {
        w.until(&channel.id, "a first pull", |c| c["lastPullAt"].is_string())
            .await;
        for _ in 0..2 {
            w.fake.inject_for_user(&channel.user_id, fault.clone());
        }
    }
    let before = w.dm_calls(&healthy.user_id).len();
    for (channel, _, code) in &failing {
        let shown = w
            .until(&channel.id, code, |c| c["lastError"]["code"] == *code)
            .await;
        let failed_at = at(&shown["lastError"]["at"]);
        // Two intervals at least after one failure, four after two.
        assert!(
            at(&shown["nextPullAt"]) >= failed_at + chrono::Duration::milliseconds(1900),
            "{shown}"
        );
        assert_eq!(shown["status"], "active");
    }
    // The healthy channel kept its minute (here: its second) meanwhile.
    assert!(w.dm_calls(&healthy.user_id).len() >= before + 2);
    assert!(w.channel(&healthy.id).await["lastError"].is_null());
    // Once X answers again, each failing channel is pulled and its error goes.
    for (channel, _, _) in &failing {
        w.fake
            .add_received_message(&channel.user_id, CUSTOMER, "back");
        w.until(&channel.id, "recovery", |c| c["lastError"].is_null())
            .await;
        w.until_messages(&channel.id, 1).await;
    }
}

// R-INTEG-3: X refusing the credentials to the pull fails the integration.
#[actix_web::test]
async fn a_401_to_the_pull_fails_the_integration_with_x_credentials_refused() {
    let w = world(Duration::from_secs(1)).await;
    let channel = w.active("revoked").await;
    w.until(&channel.id, "a first pull", |c| c["lastPullAt"].is_string())
        .await;
    w.fake.inject_for_user(
        &channel.user_id,
        Fault::Respond {
            status: 401,
            body: json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}).to_string(),
        },
    );
    let shown = w
        .until(&channel.id, "failed", |c| c["status"] == "failed")
        .await;
    assert_eq!(
        shown["integration"]["lastError"]["code"], "x_credentials_refused",
        "{shown}"
    );
    assert_eq!(shown["lastError"]["code"], "x_credentials_refused");
    assert!(shown["nextPullAt"].is_null(), "{shown}");
    let calls = w.dm_calls(&channel.user_id).len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        w.dm_calls(&channel.user_id).len(),
        calls,
        "pulled after a 401"
    );
}

// R-INGEST-3: the account level edited mid-way (Enterprise to Pro): a message X
// delivered by webhook and then listed by dm_events is stored once.
#[actix_web::test]
async fn a_message_seen_by_push_and_by_pull_is_stored_once() {
    let w = world(Duration::from_secs(1)).await;
    let channel = w.draft("switched", "enterprise").await;
    let user = channel.user_id.clone();
    let event_id = w
        .fake
        .add_received_message(&user, CUSTOMER, "Pushed and pulled");
    let delivery = direct_message_delivery(
        &user,
        &event_id,
        1_764_583_200_000,
        (CUSTOMER, "Jordan Brinks", "furiouscamper"),
        &user,
        "Pushed and pulled",
    );
    let statuses = WebhookDriver::new()
        .deliver(
            &w.app.webhook_url(&channel.id),
            &channel.credentials.api_key_secret,
            &serde_json::to_vec(&delivery).unwrap(),
            1,
        )
        .await;
    assert_eq!(statuses, vec![Ok(200)]);
    let pushed = w.channel(&channel.id).await;
    assert!(pushed["lastDeliveryAt"].is_string(), "{pushed}");
    assert_eq!(w.messages(&channel.id).await.len(), 1);
    // Enterprise becomes Pro: back to draft, submitted again, pulled from now on.
    let patched = w
        .app
        .call_with(
            Method::PATCH,
            &format!("/api/v1/channels/{}", channel.id),
            &w.tenant.admin_token,
            Some(&json!({"x": {"accountLevel": "pro"}})),
            &[
                ("if-match", format!("\"{}\"", pushed["version"]).as_str()),
                ("content-type", "application/merge-patch+json"),
            ],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let only_pulled = w.fake.add_received_message(&user, CUSTOMER, "Pulled only");
    w.submit(&channel.id).await;
    let messages = w.until_messages(&channel.id, 2).await;
    w.until(&channel.id, "a pull", |c| c["lastPullAt"].is_string())
        .await;
    let messages_after = w.messages(&channel.id).await;
    assert_eq!(messages_after.len(), 2, "{messages_after:?}");
    let ids = event_ids(&messages);
    assert!(
        ids.contains(&event_id) && ids.contains(&only_pulled),
        "{ids:?}"
    );
    // The pushed copy stays as it came (the delivery's sender name), not a second row.
    let pushed_copy = messages.iter().find(|m| m["xEventId"] == event_id).unwrap();
    assert_eq!(pushed_copy["sender"]["name"], "Jordan Brinks");
}

// R-INGEST-2, DESIGN "Many instances, one PostgreSQL": two instances pulling 200
// channels; X sees each channel's account read at most once per interval.
#[actix_web::test]
async fn two_instances_never_pull_a_channel_twice_within_one_interval() {
    let interval = Duration::from_secs(2);
    let w = world(interval).await;
    let mut users = Vec::new();
    for n in 0..200 {
        let channel = w.draft(&format!("many_{n}"), "pro").await;
        w.fake
            .add_received_message(&channel.user_id, CUSTOMER, &format!("hello {n}"));
        let answer = w
            .app
            .call(
                Method::POST,
                &format!("/api/v1/channels/{}/integration", channel.id),
                &w.tenant.admin_token,
                None,
            )
            .await;
        assert_eq!(answer.status, 202, "{}", answer.text);
        users.push(channel.user_id);
    }
    // A second instance on the same database, with its own workers.
    let mut settings = fresh_settings(SpawnOptions::default()).await;
    settings.database = w.app.settings.database.clone();
    settings.keys = w.app.settings.keys.clone();
    settings.x = w.app.settings.x.clone();
    settings.workers = w.app.settings.workers.clone();
    let _second = spawn_instance(&settings).await;
    let started = Instant::now();
    // Every channel pulled at least twice more after all were verified.
    loop {
        let received = w.fake.received();
        let counts: Vec<usize> = users
            .iter()
            .map(|u| {
                received
                    .iter()
                    .filter(|r| r.path == "/2/dm_events" && r.user_id.as_ref() == Some(u))
                    .count()
            })
            .collect();
        if counts.iter().all(|c| *c >= 4) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "channels pulled too rarely: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let received = w.fake.received();
    for user in &users {
        // The first call is the verification's probe; the pulls follow.
        let times: Vec<u64> = received
            .iter()
            .filter(|r| r.path == "/2/dm_events" && r.user_id.as_ref() == Some(user))
            .map(|r| r.at_ms)
            .skip(1)
            .collect();
        // Pulls keep the cadence of their plan, so two may come a claim's delay closer
        // than the interval (on a loaded machine, most of it); a channel pulled twice
        // within one would be read twice at once, by both instances, milliseconds apart.
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= interval.as_millis() as u64 / 4,
                "account {user} read twice {gap} ms apart: {times:?}"
            );
        }
    }
}
