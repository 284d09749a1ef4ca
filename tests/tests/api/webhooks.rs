//! X's public webhook: the CRC challenge answered with the channel's key, only for tokens
//! shaped like X's, and a rotated secret seen by every instance within a couple of seconds
//! (R-INGEST-1, R-INGEST-9, R-CRED-5).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use xchannel_tests::fake_x::sha256_signature;

use crate::helpers::{spawn_app, spawn_instance, TestApp, XCredentials};

async fn crc(app: &TestApp, base: &str, channel_id: &str, token: &str) -> (u16, String) {
    let url = format!("{base}/webhooks/x/{channel_id}");
    let response = app
        .client
        .get(&url)
        .query(&[("crc_token", token)])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.unwrap();
    crate::spec::check_answer(
        &Method::GET,
        &format!("/webhooks/x/{channel_id}"),
        status,
        content_type.as_deref(),
        &text,
    );
    (status.as_u16(), text)
}

fn expected(secret: &str, token: &str) -> String {
    json!({ "response_token": sha256_signature(secret, token.as_bytes()) }).to_string()
}

// R-INGEST-1
#[actix_web::test]
async fn answers_the_crc_challenge_with_the_hmac_of_the_api_key_secret() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (channel, credentials) = tenant.create_channel(&app, "crc_channel").await;
    let id = channel.id();
    assert_eq!(
        channel.body["integration"]["webhookUrl"],
        format!("https://xchannel.example.com/webhooks/x/{id}")
    );
    for token in ["crc-0123456789abcdef", "dGVzdA+/_-=="] {
        let (status, body) = crc(&app, &app.base, &id, token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, expected(&credentials.api_key_secret, token));
    }
    // X may add parameters of its own; they do not change the answer.
    let url = format!("{}/webhooks/x/{id}?crc_token=abc&nonce=123", app.base);
    let body = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, expected(&credentials.api_key_secret, "abc"));
}

// R-INGEST-1
#[actix_web::test]
async fn an_unknown_channel_is_404_and_a_missing_token_400() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (channel, _) = tenant.create_channel(&app, "crc_channel").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(crc(&app, &app.base, &unknown, "abc").await.0, 404);
    assert_eq!(crc(&app, &app.base, "not-an-id", "abc").await.0, 404);
    let url = format!("{}/webhooks/x/{}", app.base, channel.id());
    let answer = app.client.get(url).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let problem: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(problem["errors"][0]["pointer"], "/query/crc_token");
    // A deleted channel answers no more.
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/channels/{}", channel.id()),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(crc(&app, &app.base, &channel.id(), "abc").await.0, 404);
}

// R-INGEST-9: the CRC key is the delivery key, so the endpoint is no signing oracle.
#[actix_web::test]
async fn refuses_to_sign_anything_not_shaped_like_an_x_crc_token() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (channel, _) = tenant.create_channel(&app, "crc_channel").await;
    let forged = r#"{"for_user_id":"1","direct_message_events":[]}"#;
    for token in [forged, "a\tb", "a%b", "", &"a".repeat(257), "é"] {
        let (status, body) = crc(&app, &app.base, &channel.id(), token).await;
        assert_eq!(status, 400, "{token}: {body}");
        assert!(!body.contains("sha256="), "{body}");
    }
    assert_eq!(
        crc(&app, &app.base, &channel.id(), &"a".repeat(256))
            .await
            .0,
        200
    );
}

// R-CRED-5, DESIGN "Hot paths": the key follows a rotation on every instance.
#[actix_web::test]
async fn a_rotated_api_key_secret_signs_the_crc_on_every_instance_within_two_seconds() {
    let app = spawn_app().await;
    let other = spawn_instance(&app.settings).await;
    let tenant = app.tenant().await;
    let (channel, old) = tenant.create_channel(&app, "crc_channel").await;
    let id = channel.id();
    for base in [&app.base, &other] {
        assert_eq!(
            crc(&app, base, &id, "abc").await.1,
            expected(&old.api_key_secret, "abc")
        );
    }
    let new = XCredentials::unique();
    let mut body = tenant.channel_body("crc_channel", &old);
    body["x"]["apiKeySecret"] = json!(new.api_key_secret);
    let put = app.put_channel(&tenant.admin_token, &id, &body, 1).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let rotated = Instant::now();
    for base in [&app.base, &other] {
        loop {
            // Judged by when the question was asked: a slow answer is not a stale key.
            let asked = rotated.elapsed();
            let (_, answer) = crc(&app, base, &id, "abc").await;
            if answer == expected(&new.api_key_secret, "abc") {
                break;
            }
            assert_eq!(answer, expected(&old.api_key_secret, "abc"));
            assert!(
                asked < Duration::from_millis(2500),
                "{base} still signs with the old secret, asked {asked:?} after the rotation"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
