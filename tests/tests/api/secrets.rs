//! R-CRED-3: credentials never appear in a response, a log line or the database.

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

use xchannel::{
    config::{Options, Secret, Settings},
    startup::Application,
};

use crate::helpers::{captured_logs, on_postgres, spawn_app, TestApp, MASTER_KEY};

/// Every stored byte of the database as text: the SQLite files, or every row of every
/// table on PostgreSQL.
async fn database_contents(app: &TestApp) -> String {
    if on_postgres() {
        let db = Database::connect(&app.database_url).await.unwrap();
        let mut out = String::new();
        for table in ["tenants", "api_tokens", "ous", "called_routes", "channels"] {
            let rows = db
                .query_all(Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT row_to_json(t)::text AS row FROM {table} t"),
                ))
                .await
                .unwrap();
            for row in rows {
                out.push_str(&row.try_get::<String>("", "row").unwrap());
            }
        }
        db.close().await.ok();
        out
    } else {
        let mut out = String::new();
        for entry in std::fs::read_dir(&app.data_dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
        out
    }
}

#[actix_web::test]
async fn credentials_never_reach_a_response_a_log_line_or_the_database() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_secret").await;
    let path = format!("/api/v1/channels/{}", created.id());
    let mut texts = vec![created.text.clone()];
    texts.push(app.get(&path, &tenant.admin_token).await.text);
    texts.push(app.get("/api/v1/channels", &tenant.admin_token).await.text);
    // A refused edit and a conflicting create must not echo them either.
    let mut bad = tenant.channel_body("x_secret", &credentials);
    bad["name"] = json!("bad name");
    texts.push(app.call_with(Method::PUT, &path, &tenant.admin_token, Some(&bad), &[("if-match", "\"1\"")]).await.text);
    texts.push(app.post("/api/v1/channels", &tenant.admin_token, &tenant.channel_body("x_other", &credentials)).await.text);
    texts.push(app.call_with(Method::PUT, &path, &tenant.admin_token, Some(&tenant.channel_body("x_secret", &credentials)), &[("if-match", "\"9\"")]).await.text);
    let logs = captured_logs();
    let stored = database_contents(&app).await;
    assert!(stored.contains("x_secret"), "the scan reads the stored channel");

    for secret in credentials.secrets().into_iter().chain([credentials.api_key.as_str()]) {
        for text in &texts {
            assert!(!text.contains(secret), "a response shows a credential: {text}");
        }
        assert!(!logs.contains(secret), "the logs show a credential");
        assert!(!stored.contains(secret), "the database holds a credential in plaintext");
    }
}

#[actix_web::test]
async fn tokens_are_shown_once_and_stored_hashed() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let list = app.get("/api/v1/tokens", &tenant.admin_token).await;
    assert_eq!(list.status, 200);
    assert!(!list.text.contains(&tenant.admin_token));
    assert!(!database_contents(&app).await.contains(&tenant.admin_token));
    assert!(!captured_logs().contains(&tenant.admin_token));
}

#[actix_web::test]
async fn refuses_to_start_with_a_master_key_that_cannot_open_the_stored_credentials() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    tenant.create_channel(&app, "x_sealed").await;
    let settings = |key: &str, previous: Vec<Secret>| {
        Settings::resolve(Options {
            bind: Some("127.0.0.1:0".into()),
            database_url: Some(app.database_url.clone()),
            data_dir: Some(app.data_dir.clone()),
            master_key: Some(Secret::new(key)),
            previous_master_keys: Some(previous),
            ..Options::default()
        })
        .unwrap()
    };
    let other_key = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";
    let refused = Application::build(settings(other_key, vec![])).await;
    let message = refused.err().expect("a wrong master key is refused at start").to_string();
    assert!(message.contains("XCHANNEL_MASTER_KEY"), "{message}");
    assert!(!message.contains(other_key) && !message.contains(MASTER_KEY), "{message}");

    // Rotating: the new key with the old one among the previous keys starts.
    let rotated = Application::build(settings(other_key, vec![Secret::new(MASTER_KEY)])).await;
    assert!(rotated.is_ok());
}
