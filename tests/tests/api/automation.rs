//! The sender of automatic messages (issue 19's foundation): a decision to send, recorded
//! in the database, goes to X once, is stored `outbound` with `automatic: <reason>` and is
//! listed with the conversation; a decision taken twice under one key sends once; the
//! send budget's reserve skips it, with the reason; a send an instance died in is never
//! sent again.

use std::time::{Duration, Instant};

use sea_orm::{Database, DatabaseConnection, TransactionTrait};
use serde_json::Value;
use xchannel::automation::{self, Reason};

use crate::helpers::{insert_sending_automatic_message, SpawnOptions};
use crate::world::{world, world_with, Channel, World, CUSTOMER};

/// The conversation row of `id`, as the library reads it.
async fn conversation_row(
    db: &DatabaseConnection,
    w: &World,
    id: &str,
) -> xchannel::store::conversations::Conversation {
    xchannel::store::conversations::find(db, &w.tenant.id, id)
        .await
        .unwrap()
}

/// Decides, as a rule would, to send `text` for `reason` in the conversation `id`.
pub(crate) async fn decide(
    w: &World,
    id: &str,
    reason: Reason,
    text: &str,
    key: Option<&str>,
) -> bool {
    let db = Database::connect(&w.app.database_url).await.unwrap();
    let conversation = conversation_row(&db, w, id).await;
    let tx = db.begin().await.unwrap();
    let decided = automation::enqueue(
        &tx,
        w.app.clock(),
        &conversation,
        reason,
        text.to_owned(),
        key.map(str::to_owned),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    db.close().await.ok();
    decided.is_some()
}

/// The conversation's automatic messages once none is pending or sending.
pub(crate) async fn settled(w: &World, id: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let list = w
            .app
            .get(
                &format!("/api/v1/conversations/{id}/automatic-messages"),
                &w.tenant.admin_token,
            )
            .await;
        assert_eq!(list.status, 200, "{}", list.text);
        let items = list.body["items"].as_array().unwrap().clone();
        if items
            .iter()
            .all(|m| m["status"] != "pending" && m["status"] != "sending")
        {
            return items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still unsettled: {}",
            list.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn opened(w: &World, channel: &Channel) -> String {
    w.customer_writes(channel, CUSTOMER, "Hello").await;
    w.conversation(channel).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn a_decision_is_sent_once_and_stored_as_an_automatic_outbound_message() {
    let w = world().await;
    let channel = w.channel("x_auto", false).await;
    let id = opened(&w, &channel).await;

    assert!(decide(&w, &id, Reason::QueueReminder, "Please wait.", Some("q1")).await);
    // The same decision again (another instance, a repeated event): nothing new.
    assert!(!decide(&w, &id, Reason::QueueReminder, "Please wait.", Some("q1")).await);

    let items = settled(&w, &id).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["status"], "sent", "{items:?}");
    assert_eq!(items[0]["reason"], "queue_reminder");
    assert_eq!(w.sends().len(), 1, "X received one message");
    let stored = w.messages(&id).await;
    let sent: Vec<&Value> = stored
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .collect();
    assert_eq!(sent.len(), 1, "{stored:?}");
    assert_eq!(sent[0]["text"], "Please wait.");
    assert_eq!(sent[0]["automatic"], "queue_reminder");
    assert_eq!(items[0]["messageId"], sent[0]["id"]);
    // The customer's own message is nobody's automatic one.
    assert!(stored
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .all(|m| m["automatic"].is_null()));
}

#[actix_web::test]
async fn below_the_reserve_an_automatic_message_is_skipped_with_the_reason() {
    fn keep_every_send(settings: &mut xchannel::config::Settings) {
        // X's window allows 15: all of them are kept for agents.
        settings.automation.reserve = 15;
    }
    let w = world_with(SpawnOptions {
        tune: Some(keep_every_send),
        ..SpawnOptions::default()
    })
    .await;
    let channel = w.channel("x_budget", false).await;
    let id = opened(&w, &channel).await;
    assert!(decide(&w, &id, Reason::NonWorkingTime, "We are closed.", None).await);
    let items = settled(&w, &id).await;
    assert_eq!(items[0]["status"], "skipped", "{items:?}");
    assert!(
        items[0]["detail"]
            .as_str()
            .unwrap()
            .contains("kept for agents' replies"),
        "{items:?}"
    );
    assert!(w.sends().is_empty(), "nothing went to X");
    // An agent's reply is never held back by the reserve.
    let reply = w.reply(&w.tenant.admin_token, &id, "Hello!", None).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(w.sends().len(), 1);
}

#[actix_web::test]
async fn a_send_an_instance_died_in_is_recorded_uncertain_and_not_sent_again() {
    let w = world().await;
    let channel = w.channel("x_crash", false).await;
    let id = opened(&w, &channel).await;
    let db = Database::connect(&w.app.database_url).await.unwrap();
    // As a dead instance leaves it: X was being asked, its lease has expired. Inserted
    // `sending` so the running sender cannot take it first.
    let conversation = conversation_row(&db, &w, &id).await;
    let row = insert_sending_automatic_message(
        &db,
        &w.tenant.id,
        &channel.id,
        &conversation.id,
        "queue_reminder",
        "Please wait.",
    )
    .await;
    let now = xchannel::store::now();
    let tx = db.begin().await.unwrap();
    xchannel::store::leases::schedule(&tx, automation::SEND_KIND, &row, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let items = settled(&w, &id).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "uncertain", "{items:?}");
    assert!(w.sends().is_empty(), "not sent a second time");
}
