//! A channel read can be written back: `PUT` with the body `GET` returned, and `PATCH`
//! with a JSON merge patch (RFC 7396), both checked by the same rules.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Answer, TestApp};

async fn patch(app: &TestApp, token: &str, id: &str, etag: &str, body: &Value) -> Answer {
    let headers = [
        ("content-type", "application/merge-patch+json"),
        ("if-match", etag),
    ];
    app.call_with(
        Method::PATCH,
        &format!("/api/v1/channels/{id}"),
        token,
        Some(body),
        &headers,
    )
    .await
}

#[actix_web::test]
async fn a_channel_as_get_returned_it_is_accepted_back_by_put() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_round_trip").await;
    let read = app
        .get(
            &format!("/api/v1/channels/{}", created.id()),
            &tenant.admin_token,
        )
        .await;
    let headers = [("if-match", read.etag())];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let put = app
        .call_with(
            Method::PUT,
            &format!("/api/v1/channels/{}", created.id()),
            &tenant.admin_token,
            Some(&read.body),
            &headers,
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["version"], 2);
    assert_eq!(put.body["name"], "x_round_trip");
    assert_eq!(
        put.body["credentials"], read.body["credentials"],
        "credentials kept"
    );
}

#[actix_web::test]
async fn a_put_naming_another_channel_id_is_refused_at_that_member() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_one").await;
    let mut body = created.body.clone();
    body["id"] = json!("0193a1d2-7b8c-7d00-8000-000000000009");
    let put = app
        .put_channel(&tenant.admin_token, &created.id(), &body, 1)
        .await;
    assert_eq!(put.status, 422, "{}", put.text);
    assert_eq!(put.pointers(), vec!["/id".to_owned()]);
}

#[actix_web::test]
async fn a_merge_patch_changes_only_what_it_names_and_null_removes_a_member() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_patched").await;
    let id = created.id();
    let answer = patch(
        &app,
        &tenant.admin_token,
        &id,
        &created.etag(),
        &json!({"name": "x_renamed", "nonWorkingTimeNotification": null, "queueReminder": {"content": "One moment."}}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.etag(), "\"2\"");
    assert_eq!(answer.body["name"], "x_renamed");
    assert!(
        answer
            .body
            .get("nonWorkingTimeNotification")
            .is_none_or(Value::is_null),
        "{}",
        answer.text
    );
    assert_eq!(answer.body["queueReminder"]["content"], "One moment.");
    assert_eq!(
        answer.body["queueReminder"]["mode"], created.body["queueReminder"]["mode"],
        "siblings kept"
    );
    assert_eq!(
        answer.body["transferKeywords"],
        created.body["transferKeywords"]
    );
    let read = app
        .get(&format!("/api/v1/channels/{id}"), &tenant.admin_token)
        .await;
    assert_eq!(read.body["name"], "x_renamed", "stored");
}

#[actix_web::test]
async fn a_merge_patch_is_checked_by_the_rules_of_put() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_checked").await;
    let answer = patch(
        &app,
        &tenant.admin_token,
        &created.id(),
        &created.etag(),
        &json!({"name": "9starts_with_a_digit"}),
    )
    .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.pointers(), vec!["/name".to_owned()]);
    let read = app
        .get(
            &format!("/api/v1/channels/{}", created.id()),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(read.body["version"], 1, "nothing stored");
}

#[actix_web::test]
async fn a_merge_patch_rotates_a_sent_secret_and_keeps_the_others() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_rotated").await;
    let body = json!({"x": {"accessTokenSecret": "patched-secret-QRST"}});
    let answer = patch(
        &app,
        &tenant.admin_token,
        &created.id(),
        &created.etag(),
        &body,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["credentials"]["accessTokenSecret"], "••••QRST");
    let stored = app.stored_credentials(&created.id()).await;
    assert_eq!(stored["accessTokenSecret"], "patched-secret-QRST");
    assert_eq!(stored["apiKeySecret"], credentials.api_key_secret.as_str());
}

#[actix_web::test]
async fn a_merge_patch_needs_its_media_type_and_if_match() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_guarded").await;
    let path = format!("/api/v1/channels/{}", created.id());
    let body = json!({"name": "x_other"});
    let as_json = app
        .call_with(
            Method::PATCH,
            &path,
            &tenant.admin_token,
            Some(&body),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(as_json.status, 415, "{}", as_json.text);
    let headers = [("content-type", "application/merge-patch+json")];
    let no_if_match = app
        .call_with(
            Method::PATCH,
            &path,
            &tenant.admin_token,
            Some(&body),
            &headers,
        )
        .await;
    assert_eq!(no_if_match.status, 428, "{}", no_if_match.text);
    let stale = patch(&app, &tenant.admin_token, &created.id(), "\"7\"", &body).await;
    assert_eq!(stale.status, 412, "{}", stale.text);
}
