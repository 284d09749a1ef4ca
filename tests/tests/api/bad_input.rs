//! Hostile and odd input: never a 500, never half a change (R-API-2). The helper fails
//! any answer that is a 500 or not a problem document.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, SpawnOptions, XCredentials};

#[actix_web::test]
async fn a_nul_character_anywhere_is_refused_not_stored() {
    // PostgreSQL cannot store U+0000; every text and id is refused before it gets there.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let nul = "a\u{0}b";
    let mut paths = Vec::new();
    for (pointer, value) in [
        ("/nonWorkingTimeNotification", json!(nul)),
        ("/transferKeywords", json!(["agent", nul])),
        (
            "/queueReminder",
            json!({"mode": "all", "content": nul, "progressContent": nul}),
        ),
        ("/ouId", json!(nul)),
        ("/skillQueueId", json!(nul)),
        (
            "/robot",
            json!({"intelligentRobot": {"enabled": true, "robotId": nul}}),
        ),
    ] {
        let mut body = tenant.channel_body("x_nul", &XCredentials::unique());
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut body
        } else {
            body.pointer_mut(parent).unwrap()
        };
        target[key] = value;
        let answer = app
            .post("/api/v1/channels", &tenant.admin_token, &body)
            .await;
        assert_eq!(answer.status, 422, "{pointer}: {}", answer.text);
        paths.push(answer.pointers());
    }
    assert!(paths.iter().all(|p| !p.is_empty()));
    for query in ["ouId=a%00b", "cursor=a%00b", "namePrefix=a%00", "limit=%00"] {
        let answer = app
            .get(&format!("/api/v1/channels?{query}"), &tenant.admin_token)
            .await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.text);
    }
    for query in ["ouId=a%00b", "cursor=a%00b", "mediaType=%00"] {
        let answer = app
            .get(
                &format!("/api/v1/called-routes?{query}"),
                &tenant.admin_token,
            )
            .await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.text);
    }
    let tokens = app
        .get("/api/v1/tokens?tenantId=a%00b", &app.system_token)
        .await;
    assert_eq!(tokens.status, 400);
    let token = app
        .post(
            "/api/v1/tokens",
            &tenant.admin_token,
            &json!({"role": "tenant-user", "ouIds": [nul]}),
        )
        .await;
    assert_eq!(token.status, 422);
    assert_eq!(token.pointers(), ["/ouIds/0"]);
    let ou = app
        .post("/api/v1/ous", &tenant.admin_token, &json!({"name": nul}))
        .await;
    assert_eq!(ou.status, 422);
    let calendar = app
        .call(
            Method::PUT,
            "/api/v1/service-calendar",
            &tenant.admin_token,
            Some(&json!({"nonWorkingDays": [nul]})),
        )
        .await;
    assert_eq!(calendar.status, 422);
    assert_eq!(
        app.get("/api/v1/channels", &tenant.admin_token).await.body["items"],
        json!([])
    );
}

#[actix_web::test]
async fn a_query_parameter_of_the_wrong_type_is_named() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let answer = app
        .get("/api/v1/channels?limit=abc&ouId=nope", &tenant.admin_token)
        .await;
    assert_eq!(answer.status, 400);
    let mut pointers = answer.pointers();
    pointers.sort();
    assert_eq!(pointers, ["/query/limit", "/query/ouId"]);
}

#[actix_web::test]
async fn an_empty_transfer_target_means_the_channels_own_queue() {
    // R-BASIC-11: noAgentReplyTransfer without a target moves the session back to the
    // channel's queue.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let mut body = tenant.channel_body("x_target", &XCredentials::unique());
    body["more"]["noAgentReplyTransfer"] =
        json!({"enabled": true, "timeoutSeconds": 60, "targetSkillQueueId": ""});
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert!(answer.body["more"]["noAgentReplyTransfer"]["targetSkillQueueId"].is_null());
}

#[actix_web::test]
async fn a_weak_etag_never_matches() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_weak").await;
    let path = format!("/api/v1/channels/{}", created.id());
    let body = tenant.channel_body("x_weak", &credentials);
    let weak = app
        .call_with(
            Method::PUT,
            &path,
            &tenant.admin_token,
            Some(&body),
            &[("if-match", "W/\"1\"")],
        )
        .await;
    assert_eq!(weak.status, 412);
    let any = app
        .call_with(
            Method::PUT,
            &path,
            &tenant.admin_token,
            Some(&body),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(any.status, 200);
}

#[actix_web::test]
async fn deleting_a_route_while_a_channel_takes_it_never_leaves_a_dangling_queue() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for round in 0..8 {
        let route = app
            .post("/api/v1/called-routes", &tenant.admin_token, &json!({"name": format!("race_{round}"), "mediaType": "multimedia", "ouId": tenant.ou_id}))
            .await
            .id();
        let mut body = tenant.channel_body(&format!("x_race_{round}"), &XCredentials::unique());
        body["skillQueueId"] = json!(route);
        let route_path = format!("/api/v1/called-routes/{route}");
        let (created, deleted) = futures_util::join!(
            app.post("/api/v1/channels", &tenant.admin_token, &body),
            app.call(Method::DELETE, &route_path, &tenant.admin_token, None),
        );
        let route_exists = app.get(&route_path, &tenant.admin_token).await.status == 200;
        if created.status == 201 {
            assert!(
                route_exists,
                "round {round}: a channel routes to a deleted queue ({})",
                deleted.text
            );
        } else {
            assert!(
                [409, 422].contains(&created.status.as_u16()),
                "{}",
                created.text
            );
        }
    }
}

#[actix_web::test]
async fn an_enterprise_channel_says_when_x_could_not_reach_the_webhook_url() {
    // R-INGEST-6: X registers webhooks only at https URLs without a port.
    let app = spawn_app_with(SpawnOptions {
        public_url: "http://127.0.0.1:8080".into(),
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_http").await;
    let next = created.body["integration"]["nextStep"].as_str().unwrap();
    assert!(
        next.contains("XCHANNEL_PUBLIC_URL") && next.contains("https"),
        "{next}"
    );

    let good = spawn_app().await;
    let tenant = good.tenant().await;
    let (created, _) = tenant.create_channel(&good, "x_https").await;
    assert!(!created.body["integration"]["nextStep"]
        .as_str()
        .unwrap()
        .contains("XCHANNEL_PUBLIC_URL"));
}

#[actix_web::test]
async fn an_id_written_in_upper_case_is_not_one_of_ours() {
    // Ids are compared as written; the reference check and the database agree, so this
    // is a 422 naming the field, not a conflict at insert time.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let mut body = tenant.channel_body("x_upper", &XCredentials::unique());
    body["skillQueueId"] = json!(tenant.queue_id.to_uppercase());
    body["ouId"] = json!(tenant.ou_id.to_uppercase());
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    let mut pointers = answer.pointers();
    pointers.sort();
    assert_eq!(pointers, ["/ouId", "/skillQueueId"]);
}
