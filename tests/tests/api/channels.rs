//! Channels through HTTP: R-CRED, R-BASIC, R-ROBOT, R-API-2 and R-API-4.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, SpawnOptions, XCredentials};

#[actix_web::test]
async fn creates_a_channel_and_reads_it_back_with_its_etag() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_support_en").await;
    assert_eq!(created.etag(), "\"1\"");
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["x"]["accountLevel"], "enterprise");
    assert!(created.body["createdAt"].is_string() && created.body["updatedAt"].is_string());
    let id = created.id();
    assert_eq!(
        created.body["integration"]["webhookUrl"],
        format!("https://xchannel.example.com/webhooks/x/{id}")
    );

    let read = app
        .get(&format!("/api/v1/channels/{id}"), &tenant.admin_token)
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.etag(), "\"1\"");
    assert_eq!(read.body, created.body);

    let path = format!("/api/v1/channels/{id}");
    let unchanged = app
        .call_with(
            Method::GET,
            &path,
            &tenant.admin_token,
            None,
            &[("if-none-match", "\"1\"")],
        )
        .await;
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.text.is_empty());
    let changed = app
        .call_with(
            Method::GET,
            &path,
            &tenant.admin_token,
            None,
            &[("if-none-match", "\"0\"")],
        )
        .await;
    assert_eq!(changed.status, 200);
}

#[actix_web::test]
async fn names_every_bad_field_at_once() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let mut body = tenant.channel_body("9starts_with_digit", &XCredentials::unique());
    body["queueReminder"] = json!({"mode": "queue", "content": "Wait <here>"});
    body["workTime"]["workday"] =
        json!([{"start": "08:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]);
    body["skillQueueId"] = json!("no-such-queue");
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.problem_code(), "validation_failed");
    let pointers = answer.pointers();
    for expected in ["/name", "/queueReminder/content", "/skillQueueId"] {
        assert!(
            pointers.iter().any(|p| p == expected),
            "{expected} in {pointers:?}"
        );
    }
    assert!(
        pointers.iter().any(|p| p.starts_with("/workTime/workday")),
        "{pointers:?}"
    );
    let list = app.get("/api/v1/channels", &tenant.admin_token).await;
    assert_eq!(
        list.body["items"],
        json!([]),
        "a refused create stores nothing"
    );
}

#[actix_web::test]
async fn answers_400_to_malformed_json_and_413_to_a_huge_body() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let response = app
        .client
        .post(format!("{}/api/v1/channels", app.base))
        .bearer_auth(&tenant.admin_token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "malformed_json");

    let mut body = tenant.channel_body("big", &XCredentials::unique());
    body["nonWorkingTimeNotification"] = json!("a".repeat(1024 * 1024 + 1));
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.problem_code(), "payload_too_large");
}

#[actix_web::test]
async fn refuses_a_duplicate_name_in_a_tenant_but_not_in_another() {
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let other = app.tenant().await;
    acme.create_channel(&app, "x_support").await;
    let again = app
        .post(
            "/api/v1/channels",
            &acme.admin_token,
            &acme.channel_body("x_support", &XCredentials::unique()),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.problem_code(), "channel_name_taken");
    other.create_channel(&app, "x_support").await;
}

#[actix_web::test]
async fn refuses_an_api_key_used_by_another_channel_of_the_tenant() {
    // R-CRED-4: one X project serves one channel, so no message is delivered twice.
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let (_, credentials) = acme.create_channel(&app, "first").await;
    let mut reused = XCredentials::unique();
    reused.api_key = credentials.api_key.clone();
    let answer = app
        .post(
            "/api/v1/channels",
            &acme.admin_token,
            &acme.channel_body("second", &reused),
        )
        .await;
    assert_eq!(answer.status, 409);
    assert_eq!(answer.problem_code(), "api_key_in_use");
    assert!(
        !answer.text.contains(&credentials.api_key),
        "the key is not echoed"
    );

    let (other, _) = acme.create_channel(&app, "other").await;
    let path = format!("/api/v1/channels/{}", other.id());
    let edit = app
        .call_with(
            Method::PUT,
            &path,
            &acme.admin_token,
            Some(&acme.channel_body("other", &reused)),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(
        edit.status, 409,
        "an edit cannot take the key either: {}",
        edit.text
    );
    assert_eq!(edit.problem_code(), "api_key_in_use");
}

#[actix_web::test]
async fn another_tenant_may_enter_the_same_api_key_without_learning_it_is_used() {
    // The consumer key travels in every OAuth header, so it is no proof of ownership: at
    // create, another tenant's key neither blocks nor reveals anything (the integration
    // submit is where X proves who holds all four credentials).
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let other = app.tenant().await;
    let (_, credentials) = acme.create_channel(&app, "first").await;
    let mut reused = XCredentials::unique();
    reused.api_key = credentials.api_key.clone();
    let answer = app
        .post(
            "/api/v1/channels",
            &other.admin_token,
            &other.channel_body("second", &reused),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let mut again = XCredentials::unique();
    again.api_key = credentials.api_key.clone();
    let twice = app
        .post(
            "/api/v1/channels",
            &other.admin_token,
            &other.channel_body("third", &again),
        )
        .await;
    assert_eq!(
        twice.status, 409,
        "within the other tenant the key is now taken: {}",
        twice.text
    );
}

#[actix_web::test]
async fn refuses_a_voice_route_as_skill_queue() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let voice = app
        .post(
            "/api/v1/called-routes",
            &tenant.admin_token,
            &json!({"name": "phones", "mediaType": "voice", "ouId": tenant.ou_id}),
        )
        .await;
    let mut body = tenant.channel_body("x_voice", &XCredentials::unique());
    body["skillQueueId"] = json!(voice.id());
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.body["errors"][0]["pointer"], "/skillQueueId");
    assert_eq!(answer.body["errors"][0]["code"], "not_multimedia");
}

#[actix_web::test]
async fn another_tenants_channel_is_not_found() {
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let other = app.tenant().await;
    let (created, _) = acme.create_channel(&app, "private").await;
    let path = format!("/api/v1/channels/{}", created.id());
    assert_eq!(app.get(&path, &other.admin_token).await.status, 404);
    let put = app
        .call_with(
            Method::PUT,
            &path,
            &other.admin_token,
            Some(&other.channel_body("private", &XCredentials::unique())),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(put.status, 404);
    assert_eq!(
        app.call(Method::DELETE, &path, &other.admin_token, None)
            .await
            .status,
        404
    );
    assert_eq!(app.get(&path, &acme.admin_token).await.status, 200);
}

#[actix_web::test]
async fn a_stale_if_match_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_edit").await;
    let path = format!("/api/v1/channels/{}", created.id());
    let mut body = tenant.channel_body("x_edit", &credentials);
    body["nonWorkingTimeNotification"] = json!("Back at eight.");

    let missing = app
        .call(Method::PUT, &path, &tenant.admin_token, Some(&body))
        .await;
    assert_eq!(missing.status, 428);

    let first = app
        .call_with(
            Method::PUT,
            &path,
            &tenant.admin_token,
            Some(&body),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.etag(), "\"2\"");
    assert_eq!(first.body["nonWorkingTimeNotification"], "Back at eight.");

    body["nonWorkingTimeNotification"] = json!("Lost update");
    let stale = app
        .call_with(
            Method::PUT,
            &path,
            &tenant.admin_token,
            Some(&body),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.problem_code(), "version_mismatch");
    let read = app.get(&path, &tenant.admin_token).await;
    assert_eq!(read.body["nonWorkingTimeNotification"], "Back at eight.");
    assert_eq!(read.body["version"], 2);
}

#[actix_web::test]
async fn of_two_concurrent_edits_from_one_version_exactly_one_wins() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_race").await;
    let path = format!("/api/v1/channels/{}", created.id());
    let bodies: Vec<_> = (0..4)
        .map(|i| {
            let mut body = tenant.channel_body("x_race", &credentials);
            body["callTransferInteractionTimes"] = json!(i);
            body
        })
        .collect();
    let answers = futures_util::future::join_all(bodies.iter().map(|b| {
        app.call_with(
            Method::PUT,
            &path,
            &tenant.admin_token,
            Some(b),
            &[("if-match", "\"1\"")],
        )
    }))
    .await;
    let won = answers.iter().filter(|a| a.status == 200).count();
    let lost = answers.iter().filter(|a| a.status == 412).count();
    assert_eq!((won, lost), (1, 3));
    assert_eq!(app.get(&path, &tenant.admin_token).await.body["version"], 2);
}

#[actix_web::test]
async fn rotating_credentials_replaces_sent_ones_and_keeps_omitted_ones() {
    // R-CRED-5.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_rotate").await;
    let path = format!("/api/v1/channels/{}", created.id());
    let mut body = tenant.channel_body("x_rotate", &credentials);
    let x = body["x"].as_object_mut().unwrap();
    x.remove("apiKey");
    x.remove("apiKeySecret");
    x.remove("accessToken");
    x.insert("accessTokenSecret".into(), json!("rotated-secret-WXYZ"));
    let answer = app
        .call_with(
            Method::PUT,
            &path,
            &tenant.admin_token,
            Some(&body),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["credentials"]["accessTokenSecret"], "••••WXYZ");
    assert_eq!(
        answer.body["credentials"]["apiKey"],
        created.body["credentials"]["apiKey"]
    );
    assert_eq!(
        answer.body["credentials"]["accessToken"],
        created.body["credentials"]["accessToken"]
    );
}

#[actix_web::test]
async fn a_new_channel_must_carry_all_four_credentials() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let mut body = tenant.channel_body("x_partial", &XCredentials::unique());
    body["x"]
        .as_object_mut()
        .unwrap()
        .remove("accessTokenSecret");
    body["x"]["apiKeySecret"] = json!("has space");
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(answer.status, 422);
    let pointers = answer.pointers();
    assert!(
        pointers.contains(&"/x/accessTokenSecret".to_owned()),
        "{pointers:?}"
    );
    assert!(
        pointers.contains(&"/x/apiKeySecret".to_owned()),
        "{pointers:?}"
    );
    assert!(
        !answer.text.contains("has space"),
        "the refused secret is not echoed"
    );
}

#[actix_web::test]
async fn sha1_channels_carry_a_warning() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let mut body = tenant.channel_body("x_sha1", &XCredentials::unique());
    body["x"]["signatureAlgorithm"] = json!("SHA-1");
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(answer.status, 201);
    let warnings = answer.body["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("SHA-1")),
        "{warnings:?}"
    );
    let (sha256, _) = tenant.create_channel(&app, "x_sha256").await;
    assert_eq!(sha256.body["warnings"], json!([]));
}

#[actix_web::test]
async fn lists_channels_by_name_with_filters_and_pages() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for name in ["x_b", "x_a", "y_c", "x_c"] {
        tenant.create_channel(&app, name).await;
    }
    let mut body = tenant.channel_body("x_basic", &XCredentials::unique());
    body["x"]["accountLevel"] = json!("basic");
    app.post("/api/v1/channels", &tenant.admin_token, &body)
        .await;

    let names = |a: &crate::helpers::Answer| -> Vec<String> {
        a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = app
        .get(
            "/api/v1/channels?namePrefix=x_&limit=2",
            &tenant.admin_token,
        )
        .await;
    assert_eq!(names(&first), ["x_a", "x_b"]);
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    let second = app
        .get(
            &format!("/api/v1/channels?namePrefix=x_&limit=2&cursor={cursor}"),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(names(&second), ["x_basic", "x_c"]);
    assert!(second.body["nextCursor"].is_null());

    let basic = app
        .get("/api/v1/channels?accountLevel=basic", &tenant.admin_token)
        .await;
    assert_eq!(names(&basic), ["x_basic"]);
    let drafts = app
        .get("/api/v1/channels?status=draft", &tenant.admin_token)
        .await;
    assert_eq!(names(&drafts).len(), 5);

    let bad = app
        .get(
            "/api/v1/channels?limit=0&status=gone&accountLevel=gold",
            &tenant.admin_token,
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.pointers().len(), 3, "{}", bad.text);
}

#[actix_web::test]
async fn tenant_users_see_only_channels_of_their_ous_and_cannot_write() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other_ou = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Sales"}),
        )
        .await
        .id();
    tenant.create_channel(&app, "support_channel").await;
    let mut body = tenant.channel_body("sales_channel", &XCredentials::unique());
    body["ouId"] = json!(other_ou);
    assert_eq!(
        app.post("/api/v1/channels", &tenant.admin_token, &body)
            .await
            .status,
        201
    );

    let user = app
        .post(
            "/api/v1/tokens",
            &tenant.admin_token,
            &json!({"role": "tenant-user", "ouIds": [other_ou]}),
        )
        .await;
    assert_eq!(user.status, 201, "{}", user.text);
    let user_token = user.body["token"].as_str().unwrap();
    let list = app.get("/api/v1/channels", user_token).await;
    let names: Vec<_> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, [json!("sales_channel")]);
    let refused = app
        .post(
            "/api/v1/channels",
            user_token,
            &tenant.channel_body("mine", &XCredentials::unique()),
        )
        .await;
    assert_eq!(refused.status, 403);
}

#[actix_web::test]
async fn refuses_the_x_channel_in_a_chinese_mainland_deployment() {
    // R-INTEG-5.
    let app = spawn_app_with(SpawnOptions {
        region: xchannel::config::Region::ChineseMainland,
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    let answer = app
        .post(
            "/api/v1/channels",
            &tenant.admin_token,
            &tenant.channel_body("x_cn", &XCredentials::unique()),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.pointers(), ["/type"]);
    assert_eq!(answer.body["errors"][0]["code"], "unavailable_in_region");
}

#[actix_web::test]
async fn deletes_a_channel_and_frees_its_name_and_key() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_gone").await;
    let path = format!("/api/v1/channels/{}", created.id());
    let stale = app
        .call_with(
            Method::DELETE,
            &path,
            &tenant.admin_token,
            None,
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(
        app.call(Method::DELETE, &path, &tenant.admin_token, None)
            .await
            .status,
        204
    );
    assert_eq!(app.get(&path, &tenant.admin_token).await.status, 404);
    let again = app
        .post(
            "/api/v1/channels",
            &tenant.admin_token,
            &tenant.channel_body("x_gone", &credentials),
        )
        .await;
    assert_eq!(again.status, 201);
}

#[actix_web::test]
async fn asks_for_a_token_and_refuses_a_wrong_one() {
    let app = spawn_app().await;
    let none = app.get("/api/v1/channels", "").await;
    assert_eq!(none.status, 401);
    assert_eq!(none.problem_code(), "unauthenticated");
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    assert_eq!(
        app.get("/api/v1/channels", "xch_not-a-real-token")
            .await
            .status,
        401
    );
    let system = app.get("/api/v1/channels", &app.system_token).await;
    assert_eq!(system.status, 403, "a system token acts in no tenant");
}

#[actix_web::test]
async fn the_service_calendar_and_time_zone_decide_which_segments_apply() {
    // R-TENANT-5 with R-BASIC-5: workday 08:00-18:00, non-workday 10:00-16:00.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let mut body = tenant.channel_body("x_hours", &XCredentials::unique());
    body["workTime"] = json!({
        "workday": [{"start": "08:00", "end": "18:00"}],
        "nonWorkday": [{"start": "10:00", "end": "16:00"}]
    });
    let created = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let tenant_id = created.body["tenantId"].as_str().unwrap();
    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{tenant_id}"),
            &app.system_token,
            Some(&json!({"timeZone": "Asia/Tokyo"})),
        )
        .await;
    assert_eq!(patched.status, 200);
    let put = app
        .call(
            Method::PUT,
            "/api/v1/service-calendar",
            &tenant.admin_token,
            Some(&json!({"nonWorkingDays": ["2026-12-25"]})),
        )
        .await;
    assert_eq!(put.status, 200);
    let at = |instant: &str| format!("/api/v1/channels/{}/work-time?at={instant}", created.id());

    // 2026-12-24 23:30 UTC is 08:30 on the 25th in Tokyo: a non-working day, before 10:00.
    let holiday_morning = app
        .get(&at("2026-12-24T23:30:00Z"), &tenant.admin_token)
        .await;
    assert_eq!(holiday_morning.status, 200, "{}", holiday_morning.text);
    assert_eq!(holiday_morning.body["localDate"], "2026-12-25");
    assert_eq!(holiday_morning.body["localTime"], "08:30");
    assert_eq!(holiday_morning.body["dayKind"], "nonWorkday");
    assert_eq!(holiday_morning.body["working"], false);

    // The same local time a day earlier is a workday, inside 08:00-18:00.
    let workday_morning = app
        .get(&at("2026-12-23T23:30:00Z"), &tenant.admin_token)
        .await;
    assert_eq!(workday_morning.body["dayKind"], "workday");
    assert_eq!(workday_morning.body["working"], true);

    let bad = app.get(&at("yesterday"), &tenant.admin_token).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.pointers(), ["/query/at"]);
}

#[actix_web::test]
async fn an_instant_whose_year_leaves_0000_9999_is_refused() {
    // RFC 3339 has four-digit years: an answer about 10000-01-01 could not be written.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_years").await;
    let tenant_id = created.body["tenantId"].as_str().unwrap();
    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{tenant_id}"),
            &app.system_token,
            Some(&json!({"timeZone": "Pacific/Kiritimati"})),
        )
        .await;
    assert_eq!(patched.status, 200);
    let at = |instant: &str| format!("/api/v1/channels/{}/work-time?at={instant}", created.id());
    for instant in [
        "9999-12-31T23:00:00-10:00",   // 10000-01-01 in UTC
        "0000-01-01T05:00:00%2B10:00", // year -1 in UTC
        "9999-12-31T20:00:00Z",        // 10000-01-01 in Kiritimati (UTC+14)
    ] {
        let answer = app.get(&at(instant), &tenant.admin_token).await;
        assert_eq!(answer.status, 400, "{instant}: {}", answer.text);
        assert_eq!(answer.pointers(), ["/query/at"], "{instant}");
        assert_eq!(answer.body["errors"][0]["code"], "out_of_range");
    }
    let last = app
        .get(&at("9999-12-31T09:00:00Z"), &tenant.admin_token)
        .await;
    assert_eq!(last.status, 200, "{}", last.text);
    assert_eq!(last.body["localDate"], "9999-12-31");
}

#[actix_web::test]
async fn a_progress_reminder_left_out_gets_the_default_and_an_emptied_one_is_refused() {
    // R-BASIC-9: a settings page shows the default; clearing it leaves a mandatory value empty.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for mode in ["all", "progress"] {
        let mut body = tenant.channel_body(&format!("x_left_out_{mode}"), &XCredentials::unique());
        body["queueReminder"] = json!({"mode": mode, "content": "Please wait."});
        let created = app
            .post("/api/v1/channels", &tenant.admin_token, &body)
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        assert!(created.body["queueReminder"]["progressContent"]
            .as_str()
            .unwrap()
            .contains("${position}"));

        for emptied in ["", "   "] {
            let mut body =
                tenant.channel_body(&format!("x_emptied_{mode}"), &XCredentials::unique());
            body["queueReminder"] =
                json!({"mode": mode, "content": "Please wait.", "progressContent": emptied});
            let refused = app
                .post("/api/v1/channels", &tenant.admin_token, &body)
                .await;
            assert_eq!(refused.status, 422, "{mode} {emptied:?}: {}", refused.text);
            assert_eq!(refused.pointers(), ["/queueReminder/progressContent"]);
            assert_eq!(refused.body["errors"][0]["code"], "required");
        }
    }
}
