//! A taken name and a taken API key are reported together, with the rule violations of the
//! same body (issue 13 item 5): one round trip names everything to fix.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Answer, TestApp, XCredentials};

/// (pointer, code) of every listed field, in order.
fn listed(answer: &Answer) -> Vec<(String, String)> {
    answer.body["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect()
}

/// The body sent three ways: POST, PUT and PATCH of another channel of the tenant.
async fn sent_three_ways(app: &TestApp, token: &str, other_id: &str, body: &Value) -> Vec<Answer> {
    let path = format!("/api/v1/channels/{other_id}");
    vec![
        app.post("/api/v1/channels", token, body).await,
        app.call_with(Method::PUT, &path, token, Some(body), &[("if-match", "*")])
            .await,
        app.call_with(
            Method::PATCH,
            &path,
            token,
            Some(body),
            &[
                ("if-match", "*"),
                ("content-type", "application/merge-patch+json"),
            ],
        )
        .await,
    ]
}

#[actix_web::test]
async fn a_taken_name_and_a_taken_api_key_are_listed_with_the_rule_violations_in_one_422() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (_, taken) = tenant.create_channel(&app, "x_taken").await;
    let (other, _) = tenant.create_channel(&app, "x_other").await;
    let mut credentials = XCredentials::unique();
    credentials.api_key = taken.api_key.clone();
    let mut body = tenant.channel_body("x_taken", &credentials);
    body["queueReminder"]["content"] = json!("<b>wait</b>");
    for answer in sent_three_ways(&app, &tenant.admin_token, &other.id(), &body).await {
        assert_eq!(answer.status, 422, "{}", answer.text);
        assert_eq!(answer.problem_code(), "validation_failed");
        assert_eq!(
            listed(&answer),
            pairs(&[
                ("/queueReminder/content", "forbidden_character"),
                ("/name", "channel_name_taken"),
                ("/x/apiKey", "api_key_in_use"),
            ])
        );
        assert!(
            !answer.text.contains(&taken.api_key),
            "the key is not echoed"
        );
    }
}

#[actix_web::test]
async fn conflicts_alone_are_one_409_listing_each() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (_, taken) = tenant.create_channel(&app, "x_taken").await;
    let (other, other_credentials) = tenant.create_channel(&app, "x_other").await;
    let mut credentials = XCredentials::unique();
    credentials.api_key = taken.api_key.clone();
    let body = tenant.channel_body("x_taken", &credentials);
    for answer in sent_three_ways(&app, &tenant.admin_token, &other.id(), &body).await {
        assert_eq!(answer.status, 409, "{}", answer.text);
        assert_eq!(answer.problem_code(), "channel_name_taken");
        assert_eq!(
            listed(&answer),
            pairs(&[
                ("/name", "channel_name_taken"),
                ("/x/apiKey", "api_key_in_use"),
            ])
        );
    }
    // The key alone: 409 api_key_in_use, one field.
    let body = tenant.channel_body("x_free", &credentials);
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(answer.status, 409, "{}", answer.text);
    assert_eq!(answer.problem_code(), "api_key_in_use");
    assert_eq!(listed(&answer), pairs(&[("/x/apiKey", "api_key_in_use")]));
    // A channel keeps its own name and key on an edit.
    let kept = app
        .call_with(
            Method::PUT,
            &format!("/api/v1/channels/{}", other.id()),
            &tenant.admin_token,
            Some(&tenant.channel_body("x_other", &other_credentials)),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(kept.status, 200, "{}", kept.text);
}
