//! R-INGEST-4: `GET /api/v1/channels/{id}/messages`: newest first by X's time, cursor
//! pages, filters, the channel's tenant and OU rules; a deleted channel takes its messages.

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::Value;
use xchannel_tests::fake_x::direct_message_delivery;

use crate::helpers::{spawn_app, TestApp};

const ACCOUNT: &str = "1000000000000000001";

/// A delivery of one message between the account and `customer`; `outbound` when the
/// account sent it.
fn dm(event_id: u64, at_ms: u64, customer: &str, outbound: bool) -> Value {
    let (sender, recipient) = match outbound {
        true => (ACCOUNT, customer),
        false => (customer, ACCOUNT),
    };
    direct_message_delivery(
        ACCOUNT,
        &event_id.to_string(),
        at_ms,
        (sender, "Someone", "someone"),
        recipient,
        &format!("message {event_id}"),
    )
}

fn event_ids(items: &[Value]) -> Vec<u64> {
    items
        .iter()
        .map(|m| m["xEventId"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// Six messages in two conversations, delivered out of X's order.
async fn conversation(app: &TestApp, channel_id: &str, secret: &str) {
    let base = 1_733_000_000_000;
    for (event, at, customer, outbound) in [
        (3, base + 3000, "20", false),
        (1, base + 1000, "20", false),
        (2, base + 2000, "20", true),
        (5, base + 5000, "3", false),
        (4, base + 4000, "20", true),
        (6, base + 5000, "3", true),
    ] {
        let answer = app
            .deliver(channel_id, secret, &dm(event, at, customer, outbound))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
}

#[actix_web::test]
async fn messages_are_listed_newest_first_by_x_s_time_across_pages_and_filtered() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_support").await;
    let id = created.id();
    conversation(&app, &id, &credentials.api_key_secret).await;
    let token = &tenant.admin_token;

    let all = app.all_messages(token, &id, "").await;
    let ids = event_ids(&all);
    // 5 and 6 share a time: their order is the service's, but they come first.
    assert_eq!(&ids[2..], &[4, 3, 2, 1], "{ids:?}");
    assert!(ids[..2].contains(&5) && ids[..2].contains(&6), "{ids:?}");

    let outbound = app.all_messages(token, &id, "&direction=outbound").await;
    assert!(outbound.iter().all(|m| m["direction"] == "outbound"));
    let mut outbound = event_ids(&outbound);
    outbound.sort();
    assert_eq!(outbound, [2, 4, 6]);

    let with_3 = app
        .all_messages(token, &id, "&conversationId=3-1000000000000000001")
        .await;
    let mut with_3 = event_ids(&with_3);
    with_3.sort();
    assert_eq!(with_3, [5, 6]);

    let since = app
        .all_messages(token, &id, "&since=2024-11-30T20:53:23Z&direction=inbound")
        .await;
    // 1_733_000_003_000 ms is 2024-11-30T20:53:23Z: messages 3 and 5.
    let mut since = event_ids(&since);
    since.sort();
    assert_eq!(since, [3, 5]);

    let page = app
        .get(&format!("/api/v1/channels/{id}/messages?limit=200"), token)
        .await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 6);
    assert!(page.body["nextCursor"].is_null(), "{}", page.text);
}

#[actix_web::test]
async fn bad_query_parameters_are_400_by_name() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_support").await;
    let id = created.id();
    for (query, pointer) in [
        ("direction=sideways", "/query/direction"),
        ("since=yesterday", "/query/since"),
        ("cursor=abc", "/query/cursor"),
        ("limit=0", "/query/limit"),
        ("conversationId=a%20b", "/query/conversationId"),
        ("order=asc", "/query/order"),
    ] {
        let answer = app
            .get(
                &format!("/api/v1/channels/{id}/messages?{query}"),
                &tenant.admin_token,
            )
            .await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.text);
        assert_eq!(answer.pointers(), [pointer], "{query}");
    }
}

#[actix_web::test]
async fn messages_are_visible_as_their_channel_is() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_support").await;
    let id = created.id();
    conversation(&app, &id, &credentials.api_key_secret).await;
    let path = format!("/api/v1/channels/{id}/messages");

    let own_ou = app.user_token(&tenant.admin_token, &[&tenant.ou_id]).await;
    let listed = app.get(&path, &own_ou).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 6);

    let elsewhere = app.ou(&tenant.admin_token, "Sales", None).await;
    let other_ou = app.user_token(&tenant.admin_token, &[&elsewhere]).await;
    let hidden = app.get(&path, &other_ou).await;
    assert_eq!(hidden.status, 404, "{}", hidden.text);

    let other_tenant = app.tenant().await;
    let foreign = app.get(&path, &other_tenant.admin_token).await;
    assert_eq!(foreign.status, 404, "{}", foreign.text);

    assert_eq!(app.get(&path, "").await.status, 401);
}

#[actix_web::test]
async fn deleting_a_channel_deletes_its_messages() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_support").await;
    let (kept, kept_credentials) = tenant.create_channel(&app, "x_kept").await;
    let id = created.id();
    conversation(&app, &id, &credentials.api_key_secret).await;
    conversation(&app, &kept.id(), &kept_credentials.api_key_secret).await;
    let count = |channel: String| {
        let url = app.database_url.clone();
        async move {
            let db = Database::connect(&url).await.unwrap();
            let row = db
                .query_one(Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM messages WHERE channel_id = '{channel}'"),
                ))
                .await
                .unwrap()
                .unwrap();
            db.close().await.ok();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    assert_eq!(count(id.clone()).await, 6);
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/channels/{id}"),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(count(id.clone()).await, 0);
    assert_eq!(count(kept.id()).await, 6);
    let gone = app
        .get(
            &format!("/api/v1/channels/{id}/messages"),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(gone.status, 404);
}
