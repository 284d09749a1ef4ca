//! Retention of the replies' `Idempotency-Key`s (issue 15): a key is remembered for 24
//! hours after the request that first used it, then forgotten, so the same key is a new
//! request. No test waits a day: the key's first use is written a day into the past, and
//! the retention runs every 100 ms.

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, Statement, Value as DbValue};
use serde_json::Value;
use xchannel::config::Settings;

use crate::helpers::SpawnOptions;
use crate::world::{world_with, CUSTOMER};

fn prune_often(settings: &mut Settings) {
    settings.workers.idempotency_key_prune_every = Duration::from_millis(100);
}

/// The conversation's outbound messages of `text`.
fn sent(messages: &[Value], text: &str) -> usize {
    messages
        .iter()
        .filter(|m| m["direction"] == "outbound" && m["text"] == text)
        .count()
}

#[actix_web::test]
async fn an_idempotency_key_is_forgotten_a_day_after_its_first_use() {
    let w = world_with(SpawnOptions {
        tune: Some(prune_often),
        ..SpawnOptions::default()
    })
    .await;
    let channel = w.channel("x_keys", false).await;
    w.customer_writes(&channel, CUSTOMER, "Hi").await;
    let id = w.conversation_id(&channel).await;
    let token = w.tenant.admin_token.clone();
    let old = w.reply(&token, &id, "Yesterday", Some("key-old")).await;
    assert_eq!(old.status, 201, "{}", old.text);
    let fresh = w.reply(&token, &id, "Today", Some("key-fresh")).await;
    assert_eq!(fresh.status, 201, "{}", fresh.text);
    let reused = w.reply(&token, &id, "Another", Some("key-old")).await;
    assert_eq!(reused.status, 422, "{}", reused.text);
    assert_eq!(reused.problem_code(), "idempotency_key_reused");

    // The first use of `key-old` was 25 hours ago.
    let db = Database::connect(&w.app.database_url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = "UPDATE reply_requests SET created_at = $1 WHERE idempotency_key = 'key-old'";
    let sql = match backend {
        sea_orm::DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace("$1", "?"),
    };
    let day_ago = Utc::now() - chrono::Duration::hours(25);
    let aged = db
        .execute(Statement::from_sql_and_values(
            backend,
            sql,
            [DbValue::from(day_ago)],
        ))
        .await
        .unwrap();
    assert_eq!(aged.rows_affected(), 1);
    db.close().await.ok();

    // Forgotten: the same key is a new request, and sends.
    let started = Instant::now();
    let again = loop {
        let again = w.reply(&token, &id, "Another", Some("key-old")).await;
        if again.status != 422 {
            break again;
        }
        assert_eq!(again.problem_code(), "idempotency_key_reused");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the key is never forgotten"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(again.status, 201, "{}", again.text);
    assert!(again.headers.get("idempotent-replayed").is_none());
    // A key used within the day is still remembered: its first answer, nothing sent.
    let repeated = w.reply(&token, &id, "Today", Some("key-fresh")).await;
    assert_eq!(repeated.status, 201, "{}", repeated.text);
    assert_eq!(repeated.headers["idempotent-replayed"], "true");
    assert_eq!(repeated.body["id"], fresh.body["id"]);
    let messages = w.messages(&id).await;
    assert_eq!(sent(&messages, "Yesterday"), 1);
    assert_eq!(sent(&messages, "Today"), 1);
    assert_eq!(sent(&messages, "Another"), 1);
}
