//! R-CONV-2: `GET /api/v1/events`, the tenant's live stream (Server-Sent Events). A signed
//! delivery's messages arrive as `message.received` / `message.sent`; an integration's
//! status changes as `channel.status_changed`; `Last-Event-ID` resumes exactly after an
//! event, across a restart and from another instance on the same database; appends that
//! commit out of order are neither skipped nor repeated; tenants and OUs see only their
//! own; retention prunes, and a resume point older than it starts with `stream.resync`.

use std::{collections::BTreeSet, time::Duration};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};
use xchannel::{
    auth::Role,
    config::Settings,
    events::{self, NewEvent},
    routes::tokens,
    startup::Application,
    state::AppState,
};
use xchannel_tests::fake_x::direct_message_delivery;

use crate::helpers::{fresh_settings, spawn_app, SpawnOptions, Tenant, TestApp};

const ACCOUNT: &str = "4337869213";
const CUSTOMER: &str = "3001969357";
/// Longer than SQLite's once-a-second catch-up between instances of one process.
const WAIT: Duration = Duration::from_secs(30);

fn customer_dm(event_id: &str, text: &str) -> Value {
    direct_message_delivery(
        ACCOUNT,
        event_id,
        1_733_000_000_000,
        (CUSTOMER, "Jordan Brinks", "furiouscamper"),
        ACCOUNT,
        text,
    )
}

/// One event (or comment) block of a stream.
#[derive(Debug, Clone, Default)]
struct Block {
    id: Option<String>,
    event: Option<String>,
    data: Value,
    retry: Option<String>,
    comments: Vec<String>,
}

/// A client of the stream, reading it block by block.
struct Sse {
    response: reqwest::Response,
    buffer: String,
    /// Whether `event` passes over the `conversation.*` events a new message's conversation
    /// writes after it (most tests here follow the messages only).
    skip_conversations: bool,
}

impl Sse {
    async fn open(base: &str, token: &str, query: &str, last_event_id: Option<&str>) -> Sse {
        let mut request = reqwest::Client::new()
            .get(format!("{base}/api/v1/events{query}"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("the service answers");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        let mut sse = Sse {
            response,
            buffer: String::new(),
            skip_conversations: true,
        };
        let first = sse.block().await.expect("the stream starts");
        assert_eq!(first.retry.as_deref(), Some("3000"), "{first:?}");
        sse
    }

    /// The next block, or `None` when nothing comes within `WAIT`.
    async fn block(&mut self) -> Option<Block> {
        self.block_within(WAIT).await
    }

    async fn block_within(&mut self, wait: Duration) -> Option<Block> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let text: String = self.buffer.drain(..end + 2).collect();
                return Some(parse_block(&text));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .expect("the stream reads")?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event, heartbeats passed over.
    async fn event(&mut self) -> Option<Block> {
        self.event_within(WAIT).await
    }

    async fn event_within(&mut self, wait: Duration) -> Option<Block> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let block = self.block_within(left).await?;
            let conversation = block
                .event
                .as_deref()
                .is_some_and(|e| e.starts_with("conversation."));
            if block.event.is_some() && !(conversation && self.skip_conversations) {
                return Some(block);
            }
        }
    }

    /// Whether the service ends the stream within `wait` (whatever comes before).
    async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None)) => return true,
                Ok(Err(error)) => panic!("the stream breaks instead of ending: {error}"),
            }
        }
    }

    /// Asserts that no event comes within `wait`.
    async fn quiet_for(&mut self, wait: Duration) {
        if let Some(extra) = self.event_within(wait).await {
            panic!("no event expected, got {extra:?}");
        }
    }
}

fn parse_block(text: &str) -> Block {
    let mut block = Block::default();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            block.comments.push(comment.trim().to_owned());
        } else if let Some((field, value)) = line.split_once(": ") {
            match field {
                "id" => block.id = Some(value.to_owned()),
                "event" => block.event = Some(value.to_owned()),
                "data" => block.data = serde_json::from_str(value).expect("data is JSON"),
                "retry" => block.retry = Some(value.to_owned()),
                other => panic!("unknown field {other} in {text:?}"),
            }
        }
    }
    block
}

/// An instance this test can stop, with the state its handlers share.
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

/// Stops `instance` as SIGTERM does: its streams end, then the server drains.
async fn stop(instance: Instance) {
    instance.state.events.close();
    instance.handle.stop(true).await;
}

/// A `TestApp` talking to `instance`, with a fresh system administrator token.
async fn test_app(instance: &Instance, settings: &Settings) -> TestApp {
    let tx = instance.state.store.write().await.unwrap();
    let system_token = tokens::mint(
        &tx,
        &xchannel::audit::Origin::cli(),
        None,
        Role::SystemAdmin,
        vec![],
        None,
    )
    .await
    .unwrap()
    .token;
    tx.commit().await.unwrap();
    TestApp {
        base: instance.base.clone(),
        client: crate::helpers::http_client(),
        system_token,
        data_dir: settings.keys.data_dir.clone(),
        database_url: settings.database.url.clone(),
        settings: settings.clone(),
    }
}

async fn channel(app: &TestApp, tenant: &Tenant, name: &str) -> (String, String) {
    let (created, credentials) = tenant.create_channel(app, name).await;
    (created.id(), credentials.api_key_secret)
}

async fn deliver(app: &TestApp, channel_id: &str, secret: &str, body: &Value) {
    let answer = app.deliver(channel_id, secret, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

fn x_event_id(block: &Block) -> &str {
    block.data["data"]["xEventId"].as_str().unwrap_or("")
}

#[actix_web::test]
async fn a_signed_delivery_reaches_the_stream_as_message_received_and_an_echo_as_message_sent() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (id, secret) = channel(&app, &tenant, "x_support").await;
    let mut stream = Sse::open(&app.base, &tenant.admin_token, "", None).await;
    stream.skip_conversations = false;
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("954491830116155396", "Hello!"),
    )
    .await;
    let received = stream.event().await.expect("message.received arrives");
    assert_eq!(received.event.as_deref(), Some("message.received"));
    let event_id = received.id.clone().unwrap();
    assert!(event_id.parse::<i64>().unwrap() > 0, "{event_id}");
    assert_eq!(received.data["id"].to_string(), event_id);
    assert_eq!(received.data["type"], "message.received");
    assert_eq!(received.data["channelId"], id.as_str());
    let message = &received.data["data"];
    assert_eq!(message["xEventId"], "954491830116155396");
    assert_eq!(message["direction"], "inbound");
    assert_eq!(message["text"], "Hello!");
    assert_eq!(
        message["sender"],
        json!({"id": CUSTOMER, "username": "furiouscamper", "name": "Jordan Brinks"})
    );
    // The message as the API lists it, exactly.
    let listed = app.all_messages(&tenant.admin_token, &id, "").await;
    assert_eq!(&listed[0], message);
    // Then the conversation it opened, with the robot (this channel's intelligent robot
    // is on), written in the same transaction: the ids follow on.
    let mut last = event_id.parse::<i64>().unwrap();
    let opened = stream
        .event()
        .await
        .expect("the conversation's event arrives");
    assert_eq!(
        opened.event.as_deref(),
        Some("conversation.opened"),
        "{opened:?}"
    );
    assert_eq!(opened.data["data"]["customer"]["id"], CUSTOMER);
    assert_eq!(opened.data["data"]["state"], "robot");
    let opened_id = opened.id.unwrap().parse::<i64>().unwrap();
    assert_eq!(opened_id, last + 1);
    last = opened_id;

    // X's duplicate is stored once, so it is streamed once; the account's echo is sent.
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("954491830116155396", "Hello!"),
    )
    .await;
    let echo = direct_message_delivery(
        ACCOUNT,
        "954491830116155397",
        1_733_000_001_000,
        (ACCOUNT, "Harrison Test", "Harris_0ff"),
        CUSTOMER,
        "How can we help?",
    );
    deliver(&app, &id, &secret, &echo).await;
    let sent = stream.event().await.expect("message.sent arrives");
    assert_eq!(sent.event.as_deref(), Some("message.sent"));
    assert_eq!(x_event_id(&sent), "954491830116155397");
    assert_eq!(sent.id.unwrap().parse::<i64>().unwrap(), last + 1);
}

#[actix_web::test]
async fn last_event_id_resumes_exactly_after_it_across_a_restart() {
    let settings = fresh_settings(SpawnOptions::default()).await;
    let first = start(&settings).await;
    let app = test_app(&first, &settings).await;
    let tenant = app.tenant().await;
    let (id, secret) = channel(&app, &tenant, "x_support").await;
    let mut stream = Sse::open(&app.base, &tenant.admin_token, "", None).await;
    stream.skip_conversations = false;
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("100000000000000001", "one"),
    )
    .await;
    let seen = stream.event().await.unwrap();
    assert_eq!(x_event_id(&seen), "100000000000000001");
    drop(stream);
    // Written while the client is away.
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("100000000000000002", "two"),
    )
    .await;
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("100000000000000003", "three"),
    )
    .await;
    stop(first).await;

    let second = start(&settings).await;
    let mut resumed = Sse::open(
        &second.base,
        &tenant.admin_token,
        "",
        Some(seen.id.as_deref().unwrap()),
    )
    .await;
    resumed.skip_conversations = false;
    // The conversation the first message opened, then what came while the client was away.
    let opened = resumed.event().await.unwrap();
    assert_eq!(opened.event.as_deref(), Some("conversation.opened"));
    let two = resumed.event().await.unwrap();
    let three = resumed.event().await.unwrap();
    assert_eq!(
        [x_event_id(&two), x_event_id(&three)],
        ["100000000000000002", "100000000000000003"]
    );
    // Then live, with nothing repeated in between.
    let app = TestApp {
        base: second.base.clone(),
        ..app
    };
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("100000000000000004", "four"),
    )
    .await;
    let four = resumed.event().await.unwrap();
    assert_eq!(x_event_id(&four), "100000000000000004");
    let ids: Vec<i64> = [&seen, &opened, &two, &three, &four]
        .iter()
        .map(|b| b.id.as_ref().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    // `lastEventId` in the query (for EventSource) does the same.
    let query = format!("?lastEventId={}", two.id.as_deref().unwrap());
    let mut by_query = Sse::open(&second.base, &tenant.admin_token, &query, None).await;
    assert_eq!(
        x_event_id(&by_query.event().await.unwrap()),
        "100000000000000003"
    );
    drop((resumed, by_query));
    stop(second).await;
}

#[actix_web::test]
async fn an_event_written_through_one_instance_reaches_a_stream_of_another_and_resumes_there() {
    let app = spawn_app().await;
    let other = start(&app.settings).await;
    let tenant = app.tenant().await;
    let (id, secret) = channel(&app, &tenant, "x_support").await;
    let mut on_other = Sse::open(&other.base, &tenant.admin_token, "", None).await;
    let mut on_first = Sse::open(&app.base, &tenant.admin_token, "", None).await;
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("100000000000000011", "one"),
    )
    .await;
    let one = on_other
        .event()
        .await
        .expect("the other instance streams it");
    assert_eq!(x_event_id(&one), "100000000000000011");
    assert_eq!(on_first.event().await.unwrap().id, one.id);
    drop(on_other);
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("100000000000000012", "two"),
    )
    .await;
    // Resumed on the other instance after what the first one streamed.
    let seen = on_first.event().await.unwrap();
    assert_eq!(x_event_id(&seen), "100000000000000012");
    let mut resumed = Sse::open(&other.base, &tenant.admin_token, "", one.id.as_deref()).await;
    let two = resumed.event().await.unwrap();
    assert_eq!(two.id, seen.id);
    resumed.quiet_for(Duration::from_millis(1500)).await;
    drop((resumed, on_first));
    stop(other).await;
}

#[actix_web::test]
async fn appends_committing_out_of_order_are_streamed_once_each_in_id_order() {
    let app = spawn_app().await;
    let other = start(&app.settings).await;
    let tenant = app.tenant().await;
    let mut stream = Sse::open(&other.base, &tenant.admin_token, "", None).await;
    stream.skip_conversations = false;
    const APPENDS: usize = 30;
    // Transactions that append and then hold on for a while before committing: the
    // later-started ones would commit first if ids were handed out at insert time.
    let writers: Vec<_> = (0..APPENDS)
        .map(|n| {
            let store = other.state.store.clone();
            let tenant_id = tenant.id.clone();
            tokio::spawn(async move {
                let tx = store.write().await.unwrap();
                events::append(
                    &tx,
                    NewEvent {
                        tenant_id,
                        channel_id: None,
                        kind: events::CONVERSATION_OPENED,
                        data: json!({"n": n}),
                    },
                )
                .await
                .unwrap();
                tokio::time::sleep(Duration::from_millis((n as u64 * 7) % 40)).await;
                tx.commit().await.unwrap();
            })
        })
        .collect();
    let mut got = Vec::new();
    let mut resumed_once = false;
    while got.len() < APPENDS {
        let block = stream.event().await.expect("every append arrives");
        got.push((
            block.id.unwrap().parse::<i64>().unwrap(),
            block.data["data"]["n"].as_u64().unwrap(),
        ));
        // Halfway, the client reconnects (to the first instance) and resumes.
        if got.len() == APPENDS / 2 && !resumed_once {
            resumed_once = true;
            let last = got.last().unwrap().0.to_string();
            stream = Sse::open(&app.base, &tenant.admin_token, "", Some(&last)).await;
            stream.skip_conversations = false;
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    stream.quiet_for(Duration::from_millis(1500)).await;
    let ids: Vec<i64> = got.iter().map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    let payloads: BTreeSet<u64> = got.iter().map(|(_, n)| *n).collect();
    assert_eq!(payloads, (0..APPENDS as u64).collect(), "{got:?}");
    drop(stream);
    stop(other).await;
}

#[actix_web::test]
async fn a_stream_shows_only_its_tenant_and_a_tenant_user_only_its_ous_channels() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let stranger = app.tenant().await;
    let (mine, my_secret) = channel(&app, &tenant, "x_support").await;
    let (theirs, their_secret) = channel(&app, &stranger, "x_support").await;
    // A second channel of the tenant, in another OU.
    let sales = app.ou(&tenant.admin_token, "Sales", None).await;
    let credentials = crate::helpers::XCredentials::unique();
    let mut body = tenant.channel_body("x_sales", &credentials);
    body["ouId"] = json!(sales);
    let created = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let sales_channel = created.id();
    let support_user = app.user_token(&tenant.admin_token, &[&tenant.ou_id]).await;

    let mut admin = Sse::open(&app.base, &tenant.admin_token, "", None).await;
    let mut user = Sse::open(&app.base, &support_user, "", None).await;
    deliver(
        &app,
        &theirs,
        &their_secret,
        &customer_dm("100000000000000021", "theirs"),
    )
    .await;
    deliver(
        &app,
        &sales_channel,
        &credentials.api_key_secret,
        &customer_dm("100000000000000022", "sales"),
    )
    .await;
    deliver(
        &app,
        &mine,
        &my_secret,
        &customer_dm("100000000000000023", "mine"),
    )
    .await;
    let first = admin.event().await.unwrap();
    let second = admin.event().await.unwrap();
    assert_eq!(
        [x_event_id(&first), x_event_id(&second)],
        ["100000000000000022", "100000000000000023"]
    );
    let only = user.event().await.unwrap();
    assert_eq!(x_event_id(&only), "100000000000000023");
    user.quiet_for(Duration::from_millis(1500)).await;
    // Resuming from before them all changes nothing.
    let before = (first.id.unwrap().parse::<i64>().unwrap() - 5)
        .max(0)
        .to_string();
    let mut resumed = Sse::open(&app.base, &support_user, "", Some(&before)).await;
    assert_eq!(
        x_event_id(&resumed.event().await.unwrap()),
        "100000000000000023"
    );
    resumed.quiet_for(Duration::from_millis(1500)).await;
    // Another tenant's channel, and one outside the user's OUs, are not found.
    for (token, channel_id) in [
        (&tenant.admin_token, &theirs),
        (&support_user, &sales_channel),
    ] {
        let refused = app
            .get(&format!("/api/v1/events?channelId={channel_id}"), token)
            .await;
        assert_eq!(refused.status, 404, "{}", refused.text);
    }
    // A system administrator acts in no tenant.
    let refused = app.get("/api/v1/events", &app.system_token).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
}

#[actix_web::test]
async fn channel_and_type_filters_pass_only_what_they_name_and_bad_ones_are_refused() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (one, one_secret) = channel(&app, &tenant, "x_one").await;
    let (two, two_secret) = channel(&app, &tenant, "x_two").await;
    let token = &tenant.admin_token;
    let mut of_two = Sse::open(&app.base, token, &format!("?channelId={two}"), None).await;
    let mut sent_only = Sse::open(&app.base, token, "?type=message.sent", None).await;
    deliver(
        &app,
        &one,
        &one_secret,
        &customer_dm("100000000000000031", "to one"),
    )
    .await;
    deliver(
        &app,
        &two,
        &two_secret,
        &customer_dm("100000000000000032", "to two"),
    )
    .await;
    let echo = direct_message_delivery(
        ACCOUNT,
        "100000000000000033",
        1_733_000_001_000,
        (ACCOUNT, "Harrison Test", "Harris_0ff"),
        CUSTOMER,
        "reply on one",
    );
    deliver(&app, &one, &one_secret, &echo).await;
    assert_eq!(
        x_event_id(&of_two.event().await.unwrap()),
        "100000000000000032"
    );
    of_two.quiet_for(Duration::from_millis(1500)).await;
    let sent = sent_only.event().await.unwrap();
    assert_eq!(sent.event.as_deref(), Some("message.sent"));
    assert_eq!(x_event_id(&sent), "100000000000000033");

    // An empty Last-Event-ID (EventSource before its first event) is no resume point.
    let mut empty = Sse::open(&app.base, token, &format!("?channelId={one}"), Some("")).await;
    empty.quiet_for(Duration::from_millis(500)).await;
    for (query, headers, pointer) in [
        ("?type=message.deleted", vec![], "/query/type"),
        ("?channelId=nope", vec![], "/query/channelId"),
        ("?lastEventId=ten", vec![], "/query/lastEventId"),
        ("", vec![("last-event-id", "-1")], "/header/last-event-id"),
    ] {
        let refused = app
            .call_with(
                reqwest::Method::GET,
                &format!("/api/v1/events{query}"),
                token,
                None,
                &headers,
            )
            .await;
        assert_eq!(refused.status, 400, "{query}: {}", refused.text);
        assert_eq!(refused.pointers(), [pointer], "{query}");
    }
}

#[actix_web::test]
async fn an_idle_stream_gets_a_heartbeat_comment_and_ends_after_its_time() {
    let mut settings = fresh_settings(SpawnOptions::default()).await;
    settings.events.heartbeat = Duration::from_millis(300);
    settings.events.stream_for = Duration::from_secs(2);
    let instance = start(&settings).await;
    let app = test_app(&instance, &settings).await;
    let tenant = app.tenant().await;
    let mut stream = Sse::open(&app.base, &tenant.admin_token, "", None).await;
    let block = stream
        .block_within(Duration::from_secs(10))
        .await
        .expect("a heartbeat");
    assert_eq!(block.comments, ["heartbeat"], "{block:?}");
    assert!(block.event.is_none());
    // Then it ends, for the client to resume (with `Last-Event-ID`), maybe elsewhere.
    assert!(stream.ends_within(Duration::from_secs(15)).await);
    drop(stream);
    stop(instance).await;
}

#[actix_web::test]
async fn the_integration_s_status_changes_are_streamed() {
    // X is where nothing listens: the verification fails at once.
    let x = format!("http://127.0.0.1:{}", crate::helpers::free_port());
    let app = crate::helpers::spawn_app_with(SpawnOptions {
        x_api_base_url: Some(x),
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    let (id, _) = channel(&app, &tenant, "x_support").await;
    let mut stream = Sse::open(
        &app.base,
        &tenant.admin_token,
        "?type=channel.status_changed",
        None,
    )
    .await;
    let submitted = app
        .post(
            &format!("/api/v1/channels/{id}/integration"),
            &tenant.admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(submitted.status, 202, "{}", submitted.text);
    let verifying = stream.event().await.unwrap();
    assert_eq!(verifying.event.as_deref(), Some("channel.status_changed"));
    assert_eq!(
        verifying.data["data"],
        json!({"channelId": id, "status": "verifying", "previousStatus": "draft"})
    );
    let failed = stream.event().await.unwrap();
    assert_eq!(failed.data["data"]["status"], "failed");
    assert_eq!(failed.data["data"]["previousStatus"], "verifying");
    let read = app
        .get(
            &format!("/api/v1/channels/{id}/integration"),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(
        failed.data["data"]["error"]["code"], read.body["lastError"]["code"],
        "{}",
        read.text
    );
}

#[actix_web::test]
async fn retention_prunes_old_events_and_an_older_resume_point_starts_with_a_resync() {
    let mut settings = fresh_settings(SpawnOptions::default()).await;
    settings.events.prune_every = Duration::from_millis(200);
    let instance = start(&settings).await;
    let app = test_app(&instance, &settings).await;
    let tenant = app.tenant().await;
    let (id, secret) = channel(&app, &tenant, "x_support").await;
    let mut stream = Sse::open(&app.base, &tenant.admin_token, "", None).await;
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("100000000000000041", "old"),
    )
    .await;
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("100000000000000042", "old too"),
    )
    .await;
    let old = stream.event().await.unwrap();
    let old_too = stream.event().await.unwrap();
    drop(stream);
    // Both written long ago, as far as retention can tell.
    let db = Database::connect(&settings.database.url).await.unwrap();
    let backend = db.get_database_backend();
    let long_ago = (chrono::Utc::now() - chrono::Duration::hours(73)).to_rfc3339();
    db.execute(Statement::from_string(
        backend,
        format!("UPDATE events SET created_at = '{long_ago}'"),
    ))
    .await
    .unwrap();
    deliver(
        &app,
        &id,
        &secret,
        &customer_dm("100000000000000043", "recent"),
    )
    .await;
    let count = || async {
        let row = db
            .query_one(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM events",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while count().await != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "old events are pruned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    db.close().await.ok();
    // After the last pruned event: nothing lost, so no resync.
    let mut after_pruned =
        Sse::open(&app.base, &tenant.admin_token, "", old_too.id.as_deref()).await;
    assert_eq!(
        x_event_id(&after_pruned.event().await.unwrap()),
        "100000000000000043"
    );
    // Before it: the events in between are gone; the stream says so first.
    let mut too_old = Sse::open(&app.base, &tenant.admin_token, "", old.id.as_deref()).await;
    let resync = too_old.event().await.unwrap();
    assert_eq!(resync.event.as_deref(), Some("stream.resync"));
    assert_eq!(resync.id, old_too.id);
    assert_eq!(resync.data["data"]["lastEventId"], old.id.clone().unwrap());
    assert_eq!(
        x_event_id(&too_old.event().await.unwrap()),
        "100000000000000043"
    );
    drop((after_pruned, too_old));
    stop(instance).await;
}

/// One transaction appending more events than one statement takes (a group commit of
/// 2,000 new messages opening 2,000 conversations, say): they are written in several
/// round trips, numbered without a gap after the events before, in the order given.
#[actix_web::test]
async fn an_append_larger_than_one_statement_is_numbered_in_order_without_a_gap() {
    use xchannel::store::events::{after, last_id};
    let app = spawn_app().await;
    let instance = start(&app.settings).await;
    let tenant = app.tenant().await;
    let store = instance.state.store.clone();
    let before = last_id(store.reader()).await.unwrap();
    const COUNT: u64 = 9_001;
    let tx = store.write().await.unwrap();
    events::append_all(
        &tx,
        (0..COUNT)
            .map(|n| NewEvent {
                tenant_id: tenant.id.clone(),
                channel_id: None,
                kind: events::CONVERSATION_OPENED,
                data: json!({"n": n}),
            })
            .collect(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        last_id(store.reader()).await.unwrap(),
        before + COUNT as i64,
        "the counter moved past every event"
    );
    let read = after(store.reader(), before, COUNT + 1).await.unwrap();
    assert_eq!(read.len() as u64, COUNT);
    for (i, event) in read.iter().enumerate() {
        assert_eq!(event.id, before + 1 + i as i64, "ids without a gap");
        let data: Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(data["n"], i as u64, "in the order given");
    }
    stop(instance).await;
}
