//! R-INGEST-1, R-INGEST-3: X's signed webhook deliveries at `POST /webhooks/x/{channelId}`.
//! A 200 means stored; every refused signature stores nothing; each message is stored once
//! however often X delivers it; an echo of the account's own message is `outbound`.

use serde_json::{json, Value};
use xchannel_tests::fake_x::{direct_message_delivery, sha256_signature, WebhookDriver};

use xchannel::config::{DatabaseSettings, SqliteSynchronous};

use crate::helpers::{spawn_app, Answer, TestApp, XCredentials};

const ACCOUNT: &str = "4337869213";
const CUSTOMER: &str = "3001969357";

fn customer_dm(event_id: &str, at_ms: u64, text: &str) -> Value {
    direct_message_delivery(
        ACCOUNT,
        event_id,
        at_ms,
        (CUSTOMER, "Jordan Brinks", "furiouscamper"),
        ACCOUNT,
        text,
    )
}

async fn messages(app: &TestApp, token: &str, channel_id: &str) -> Vec<Value> {
    let list = app
        .get(&format!("/api/v1/channels/{channel_id}/messages"), token)
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["items"].as_array().unwrap().clone()
}

async fn channel(app: &TestApp) -> (String, String, XCredentials) {
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(app, "x_support").await;
    (created.id(), tenant.admin_token, credentials)
}

fn refused(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 401, "{what}: {}", answer.text);
    assert_eq!(answer.problem_code(), "invalid_signature", "{what}");
}

#[actix_web::test]
async fn a_signed_delivery_is_stored_once_however_often_x_delivers_it() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_support").await;
    let (id, token) = (created.id(), tenant.admin_token.clone());
    // The URL the channel shows is the one that receives (here on the test's own port).
    let shown = created.body["integration"]["webhookUrl"].as_str().unwrap();
    let path = shown.strip_prefix("https://xchannel.example.com").unwrap();
    assert_eq!(format!("{}{path}", app.base), app.webhook_url(&id));
    let body =
        serde_json::to_vec(&customer_dm("954491830116155396", 1516403560557, "Hello!")).unwrap();
    // The fake X's driver, as X would: three copies of one delivery.
    let statuses = WebhookDriver::new()
        .deliver(&app.webhook_url(&id), &credentials.api_key_secret, &body, 3)
        .await;
    assert_eq!(statuses, vec![Ok(200), Ok(200), Ok(200)]);
    let stored = messages(&app, &token, &id).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let message = &stored[0];
    assert_eq!(message["xEventId"], "954491830116155396");
    assert_eq!(message["conversationId"], format!("{CUSTOMER}-{ACCOUNT}"));
    assert_eq!(message["direction"], "inbound");
    assert_eq!(
        message["sender"],
        json!({"id": CUSTOMER, "username": "furiouscamper", "name": "Jordan Brinks"})
    );
    assert_eq!(message["text"], "Hello!");
    assert_eq!(message["attachments"], json!([]));
    assert_eq!(message["sentAt"], "2018-01-19T23:12:40.557Z");
    // The channel never went through the integration: X may deliver before `active`.
    let read = app.get(&format!("/api/v1/channels/{id}"), &token).await;
    assert_eq!(read.body["status"], "draft");
}

#[actix_web::test]
async fn a_replay_repeating_stored_events_adds_only_the_new_ones() {
    let app = spawn_app().await;
    let (id, token, credentials) = channel(&app).await;
    let first = customer_dm("100000000000000001", 1_733_000_000_000, "first");
    assert_eq!(
        app.deliver(&id, &credentials.api_key_secret, &first)
            .await
            .status,
        200
    );
    // A replay carries the same event beside a new one, in another body.
    let mut replay = customer_dm("100000000000000002", 1_733_000_001_000, "second");
    let events = replay["direct_message_events"].as_array_mut().unwrap();
    events.insert(0, first["direct_message_events"][0].clone());
    assert_eq!(
        app.deliver(&id, &credentials.api_key_secret, &replay)
            .await
            .status,
        200
    );
    let ids: Vec<_> = messages(&app, &token, &id)
        .await
        .iter()
        .map(|m| m["xEventId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["100000000000000002", "100000000000000001"]);
}

#[actix_web::test]
async fn the_account_s_own_message_echoed_by_x_is_outbound_with_its_attachment() {
    let app = spawn_app().await;
    let (id, token, credentials) = channel(&app).await;
    let mut echo = direct_message_delivery(
        ACCOUNT,
        "200000000000000001",
        1_733_000_000_000,
        (ACCOUNT, "Harrison Test", "Harris_0ff"),
        CUSTOMER,
        "How can we help?",
    );
    echo["direct_message_events"][0]["message_create"]["source_app_id"] = json!("13090192");
    echo["direct_message_events"][0]["message_create"]["message_data"]["attachment"] = json!({
        "type": "media",
        "media": {"id_str": "9", "type": "photo", "media_url_https": "https://pbs.twimg.com/dm/9.jpg"}
    });
    assert_eq!(
        app.deliver(&id, &credentials.api_key_secret, &echo)
            .await
            .status,
        200
    );
    let stored = messages(&app, &token, &id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["direction"], "outbound");
    assert_eq!(stored[0]["sender"]["id"], ACCOUNT);
    assert_eq!(stored[0]["conversationId"], format!("{CUSTOMER}-{ACCOUNT}"));
    assert_eq!(
        stored[0]["attachments"],
        json!([{"mediaType": "photo", "url": "https://pbs.twimg.com/dm/9.jpg"}])
    );
}

#[actix_web::test]
async fn every_refused_signature_is_401_and_stores_nothing() {
    let app = spawn_app().await;
    let (id, token, credentials) = channel(&app).await;
    let body =
        serde_json::to_vec(&customer_dm("300000000000000001", 1_733_000_000_000, "hi")).unwrap();
    let good = sha256_signature(&credentials.api_key_secret, &body);
    let tag = good.strip_prefix("sha256=").unwrap();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("empty", Some(String::new())),
        ("scheme only", Some("sha256=".into())),
        (
            "another secret",
            Some(sha256_signature("not-the-secret", &body)),
        ),
        (
            "another body",
            Some(sha256_signature(&credentials.api_key_secret, b"{}")),
        ),
        ("wrong length", Some(format!("sha256={}", &tag[..20]))),
        ("too long", Some(format!("sha256={tag}{tag}"))),
        ("not base64", Some(format!("sha256=!{}", &tag[1..]))),
        ("another scheme", Some(format!("sha1={tag}"))),
        ("upper-case scheme", Some(format!("SHA256={tag}"))),
        ("bare tag", Some(tag.to_owned())),
    ];
    for (what, signature) in &cases {
        refused(
            &app.deliver_raw(&id, signature.as_deref(), &body).await,
            what,
        );
    }
    // A body that is not JSON under a wrong signature is refused for its signature.
    refused(
        &app.deliver_raw(&id, Some(&good), b"not json").await,
        "good signature of another body",
    );
    assert!(messages(&app, &token, &id).await.is_empty());
    // The same body, rightly signed, is stored: the refusals were for the signatures.
    assert_eq!(app.deliver_raw(&id, Some(&good), &body).await.status, 200);
    assert_eq!(messages(&app, &token, &id).await.len(), 1);
}

#[actix_web::test]
async fn a_delivery_to_an_unknown_channel_is_404() {
    let app = spawn_app().await;
    let (_, _, credentials) = channel(&app).await;
    let body = customer_dm("400000000000000001", 1_733_000_000_000, "hi");
    for unknown in ["0193a1d2-7b8c-7d00-8000-000000000001", "not-a-channel"] {
        let answer = app
            .deliver(unknown, &credentials.api_key_secret, &body)
            .await;
        assert_eq!(answer.status, 404, "{}", answer.text);
        assert_eq!(answer.problem_code(), "not_found");
    }
}

#[actix_web::test]
async fn a_validly_signed_body_that_is_not_a_delivery_is_400_and_stores_nothing() {
    let app = spawn_app().await;
    let (id, token, credentials) = channel(&app).await;
    let secret = &credentials.api_key_secret;
    for (body, code) in [
        (&b"{\"for_user_id\": \"1\", "[..], "malformed_json"),
        (&b"not json at all"[..], "malformed_json"),
        (&br#"{"direct_message_events": []}"#[..], "malformed_delivery"),
        (
            &br#"{"for_user_id": "1", "direct_message_events": [{"type": "message_create", "id": "5"}]}"#[..],
            "malformed_delivery",
        ),
        (
            &br#"{"for_user_id": "1", "direct_message_events": [{"type": "message_create", "id": "6", "created_timestamp": "1", "message_create": {"target": {"recipient_id": "1"}, "sender_id": "2", "message_data": {"text": "a\u0000b"}}}]}"#[..],
            "malformed_delivery",
        ),
    ] {
        let answer = app
            .deliver_raw(&id, Some(&sha256_signature(secret, body)), body)
            .await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(answer.problem_code(), code, "{}", String::from_utf8_lossy(body));
    }
    assert!(messages(&app, &token, &id).await.is_empty());
}

#[actix_web::test]
async fn event_kinds_the_service_does_not_keep_are_acknowledged_skipped_and_counted() {
    let app = spawn_app().await;
    let (id, token, credentials) = channel(&app).await;
    let skipped = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("xchannel_webhook_events_skipped_total "))
            .and_then(|n| n.parse().ok())
            .expect("the metric is listed")
    };
    let before = skipped(&app.get("/metrics", "").await.text);
    let body = json!({
        "for_user_id": ACCOUNT,
        "direct_message_indicate_typing_events": [{"created_timestamp": "1", "sender_id": CUSTOMER, "target": {"recipient_id": ACCOUNT}}],
        "direct_message_mark_read_events": [{"created_timestamp": "1", "sender_id": CUSTOMER}],
        "follow_events": [{"type": "follow"}],
        "tweet_create_events": [{"id_str": "1", "text": "hello"}],
        "direct_message_events": [{"type": "message_reaction", "id": "9"}]
    });
    let answer = app.deliver(&id, &credentials.api_key_secret, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(messages(&app, &token, &id).await.is_empty());
    let after = skipped(&app.get("/metrics", "").await.text);
    // The typing and read events, the follow, the tweet and the reaction.
    assert_eq!(after, before + 5);
}

#[actix_web::test]
async fn concurrent_deliveries_and_their_duplicates_store_each_message_once() {
    let app = spawn_app().await;
    let (id, token, credentials) = channel(&app).await;
    let secret = credentials.api_key_secret.clone();
    let sends = (0..160).map(|i| {
        let event = 500_000_000_000_000_000u64 + (i % 40);
        let body = customer_dm(
            &event.to_string(),
            1_733_000_000_000 + (i % 40) * 1000,
            "hi",
        );
        let (app, id, secret) = (&app, &id, &secret);
        async move { app.deliver(id, secret, &body).await.status }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let all = app.all_messages(&token, &id, "").await;
    let mut ids: Vec<_> = all
        .iter()
        .map(|m| m["xEventId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 40, "each of the 40 events once");
    ids.dedup();
    assert_eq!(ids.len(), 40);
}

fn row(channel_id: &str, event: u64) -> xchannel::store::messages::Message {
    xchannel::store::messages::Message {
        id: xchannel::store::new_id(),
        channel_id: channel_id.to_owned(),
        x_event_id: event.to_string(),
        conversation_id: format!("{CUSTOMER}-{ACCOUNT}"),
        direction: "inbound".into(),
        sender_id: CUSTOMER.into(),
        sender_username: None,
        sender_name: None,
        recipient_id: Some(ACCOUNT.into()),
        text: "hi".into(),
        attachments: json!([]),
        sent_at_ms: 1_733_000_000_000 + event as i64,
        received_at: xchannel::store::now(),
        automatic: None,
    }
}

#[actix_web::test]
async fn the_writer_commits_the_deliveries_waiting_together_and_only_a_failing_one_fails() {
    use xchannel::{
        ingest::{DeliveryCounters, GroupCommit},
        store::{Constraint, Store, StoreError},
    };
    let app = spawn_app().await;
    let (id, token, _) = channel(&app).await;
    // A second writer on the service's database, whose commits this test counts.
    let store = Store::open(&DatabaseSettings {
        url: app.database_url.clone(),
        sqlite_synchronous: SqliteSynchronous::Full,
    })
    .await
    .unwrap();
    let counters = DeliveryCounters::default();
    let writer = GroupCommit::start(store, xchannel::clock::Clock::system(), counters.clone());
    // 50 deliveries (10 of them repeats) wait together; one names a deleted channel.
    let gone = "0193a1d2-7b8c-7d00-8000-000000000001";
    let commits = (0..51u64).map(|i| {
        let rows = match i {
            50 => vec![row(gone, 1)],
            _ => vec![row(&id, i % 40)],
        };
        writer.commit(rows)
    });
    let results = futures_util::future::join_all(commits).await;
    assert!(results[..50].iter().all(Result::is_ok), "{results:?}");
    assert!(
        matches!(
            results[50],
            Err(StoreError::Conflict(Constraint::ForeignKey))
        ),
        "{:?}",
        results[50]
    );
    let mut metrics = String::new();
    counters.render(&mut metrics);
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {metrics}"))
    };
    // The group failed on the one delivery, so each was written alone: 50 commits, and
    // the 10 repeats were skipped, not stored again.
    assert_eq!(value("xchannel_messages_stored_total"), 40);
    assert_eq!(value("xchannel_messages_duplicate_total"), 10);
    assert_eq!(app.all_messages(&token, &id, "").await.len(), 40);

    // Without a failing one, the 30 waiting deliveries share one transaction.
    let before = value("xchannel_group_commits_total");
    let commits = (100..130u64).map(|i| writer.commit(vec![row(&id, i)]));
    let results = futures_util::future::join_all(commits).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let mut metrics = String::new();
    counters.render(&mut metrics);
    let after = metrics
        .lines()
        .find_map(|l| l.strip_prefix("xchannel_group_commits_total "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap();
    assert_eq!(after, before + 1, "one transaction for the 30");
    assert_eq!(app.all_messages(&token, &id, "").await.len(), 70);
}

#[actix_web::test]
async fn a_delivery_over_one_mebibyte_is_413_and_stores_nothing() {
    let app = spawn_app().await;
    let (id, token, credentials) = channel(&app).await;
    let text = "x".repeat(1024 * 1024);
    let body = customer_dm("600000000000000001", 1_733_000_000_000, &text);
    let answer = app.deliver(&id, &credentials.api_key_secret, &body).await;
    assert_eq!(answer.status, 413, "{}", answer.text);
    assert_eq!(answer.problem_code(), "payload_too_large");
    assert!(messages(&app, &token, &id).await.is_empty());
}

#[actix_web::test]
async fn several_writers_committing_the_same_deliveries_at_once_store_each_message_once() {
    use xchannel::{
        ingest::{DeliveryCounters, GroupCommit},
        store::Store,
    };
    let app = spawn_app().await;
    let (id, token, _) = channel(&app).await;
    let store = Store::open(&DatabaseSettings {
        url: app.database_url.clone(),
        sqlite_synchronous: SqliteSynchronous::Full,
    })
    .await
    .unwrap();
    let counters = DeliveryCounters::default();
    // Four writers, as PostgreSQL may run (SQLite queues them on its one connection).
    let writer =
        GroupCommit::with_writers(store, xchannel::clock::Clock::system(), counters.clone(), 4);
    // 120 deliveries of three messages each over 60 events, every event in six of them,
    // half of them listing their messages in the opposite order; sent in four waves a
    // moment apart, so that the writers commit overlapping groups at the same time.
    let waves = (0..4u64).map(|wave| {
        let (writer, id) = (&writer, &id);
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(2 * wave)).await;
            let commits = (0..30u64).map(|i| {
                let first = (wave * 30 + i) % 60;
                let mut rows: Vec<_> = (0..3).map(|k| row(id, (first + k * 7) % 60)).collect();
                if i % 2 == 1 {
                    rows.reverse();
                }
                writer.commit(rows)
            });
            futures_util::future::join_all(commits).await
        }
    });
    let results: Vec<_> = futures_util::future::join_all(waves)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let mut metrics = String::new();
    counters.render(&mut metrics);
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {metrics}"))
    };
    assert_eq!(value("xchannel_messages_stored_total"), 60);
    assert_eq!(value("xchannel_messages_duplicate_total"), 360 - 60);
    let all = app.all_messages(&token, &id, "").await;
    let mut events: Vec<_> = all
        .iter()
        .map(|m| m["xEventId"].as_str().unwrap().to_owned())
        .collect();
    events.sort();
    events.dedup();
    assert_eq!(all.len(), 60, "each of the 60 events once");
    assert_eq!(events.len(), 60);
}

/// SQLite: the WAL is copied back into the database (checkpointed) and restarted while
/// deliveries keep coming without a pause, so the part of it in use stays bounded instead
/// of holding every commit (as it would with the writer's checkpoints turned off).
#[actix_web::test]
async fn sqlite_s_wal_is_copied_back_into_the_database_while_deliveries_keep_coming() {
    use sea_orm::{ConnectionTrait, Database};
    if crate::helpers::on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let (id, _, credentials) = channel(&app).await;
    // About 4.8 KB each (X allows 10,000 characters).
    let text = "a message long enough to fill its pages quickly ".repeat(100);
    let mut event = 600_000_000_000_000_000u64;
    // 1,000 deliveries, 40 at a time, back to back.
    for _ in 0..25 {
        let sends = (0..40).map(|_| {
            event += 1;
            let body = customer_dm(&event.to_string(), 1_733_000_000_000, &text);
            let (app, id, secret) = (&app, &id, &credentials.api_key_secret);
            async move { app.deliver(id, secret, &body).await.status }
        });
        let statuses = futures_util::future::join_all(sends).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    }
    let file = app
        .database_url
        .strip_prefix("sqlite://")
        .and_then(|rest| rest.split('?').next())
        .expect("a SQLite file")
        .to_owned();
    let database = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    // 1,000 messages of about 5 KB, each with its event: more than 2,000 pages of 4 KiB,
    // copied into the database file by now.
    let pages = database as i64 / 4096;
    assert!(
        pages > 2_000,
        "the messages reached the database file: {database} bytes"
    );
    // The frames of the WAL in use since its last restart (`log`, in pages). The writer
    // checkpoints and restarts it every 1,000 pages (SQLite's default), a group commit
    // adding a few hundred at most; a WAL never restarted holds every page written.
    let db = Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "PRAGMA wal_checkpoint(PASSIVE)",
        ))
        .await
        .unwrap()
        .expect("the checkpoint's answer");
    let in_use: i64 = row.try_get_by_index(1).unwrap();
    assert!(
        in_use < 1_500,
        "{in_use} WAL frames in use for a database of {pages} pages: the WAL was not restarted"
    );
    db.close().await.ok();
}
