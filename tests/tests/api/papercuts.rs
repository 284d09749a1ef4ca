//! What a new user trips over: the root page, misspelt query parameters, a stale write
//! that does not say what is current, requests missing from the logs.

use crate::helpers::{captured_logs, spawn_app};
use reqwest::Method;

#[actix_web::test]
async fn the_root_page_leads_to_the_documentation() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = client.get(format!("{}/", app.base)).send().await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    assert_eq!(answer.headers()["location"], "/docs/");
}

#[actix_web::test]
async fn a_misspelt_query_parameter_is_refused_by_name() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    tenant.create_channel(&app, "x_listed").await;
    let answer = app
        .get("/api/v1/channels?nmePrefix=x", &tenant.admin_token)
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.pointers(), vec!["/query/nmePrefix".to_owned()]);
    assert_eq!(answer.body["errors"][0]["code"], "unknown_parameter");
    let known = app
        .get("/api/v1/channels?namePrefix=x&limit=5", &tenant.admin_token)
        .await;
    assert_eq!(known.status, 200, "{}", known.text);
}

#[actix_web::test]
async fn a_stale_write_answers_with_the_current_etag() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "x_stale").await;
    let body = tenant.channel_body("x_stale", &credentials);
    let path = format!("/api/v1/channels/{}", created.id());
    let stale = app
        .call_with(
            Method::PUT,
            &path,
            &tenant.admin_token,
            Some(&body),
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    assert_eq!(stale.etag(), "\"1\"", "the 412 names the current version");
    let retried = app
        .call_with(
            Method::PUT,
            &path,
            &tenant.admin_token,
            Some(&body),
            &[("if-match", &stale.etag())],
        )
        .await;
    assert_eq!(retried.status, 200, "{}", retried.text);
}

#[actix_web::test]
async fn every_request_is_logged_at_info_with_its_route_status_and_id() {
    let app = spawn_app().await;
    let answer = app
        .call_with(
            Method::GET,
            "/api/v1/tenants",
            &app.system_token,
            None,
            &[("x-request-id", "trace-me-42")],
        )
        .await;
    assert_eq!(answer.status, 200);
    let logs = captured_logs();
    let line = logs
        .lines()
        .find(|l| l.contains("trace-me-42") && l.contains(" INFO ") && l.contains("request"))
        .unwrap_or_else(|| panic!("an info line for the request: {logs}"));
    assert!(
        line.contains("status=200") && line.contains("route=/api/v1/tenants"),
        "{line}"
    );
    assert!(line.contains("elapsed_us="), "{line}");
}

#[actix_web::test]
async fn a_date_of_the_right_form_that_names_no_day_says_which_part_is_out_of_range() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for (day, says) in [
        ("2026-13-01", "month 13 is out of range"),
        ("2026-00-10", "month 00 is out of range"),
        ("2026-02-30", "day 30 is out of range for 2026-02"),
    ] {
        let answer = app
            .call(
                Method::PUT,
                "/api/v1/service-calendar",
                &tenant.admin_token,
                Some(&serde_json::json!({"nonWorkingDays": [day]})),
            )
            .await;
        assert_eq!(answer.status, 422, "{}", answer.text);
        let error = &answer.body["errors"][0];
        assert_eq!(error["code"], "out_of_range", "{day}");
        assert!(
            error["detail"].as_str().unwrap().contains(says),
            "{day}: {}",
            answer.text
        );
    }
    let answer = app
        .call(
            Method::PUT,
            "/api/v1/service-calendar",
            &tenant.admin_token,
            Some(&serde_json::json!({"nonWorkingDays": ["25/12/2026"]})),
        )
        .await;
    assert_eq!(answer.body["errors"][0]["code"], "invalid_format");
}

#[actix_web::test]
async fn every_list_names_its_next_cursor_and_null_on_the_last_page() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    tenant.create_channel(&app, "x_one").await;
    tenant.create_channel(&app, "x_two").await;
    let first = app
        .get("/api/v1/channels?limit=1", &tenant.admin_token)
        .await;
    let cursor = first.body["nextCursor"].as_str().expect("a next page");
    let last = app
        .get(
            &format!("/api/v1/channels?limit=1&cursor={cursor}"),
            &tenant.admin_token,
        )
        .await;
    let last: serde_json::Value = serde_json::from_str(&last.text).unwrap();
    assert!(last.as_object().unwrap().contains_key("nextCursor"));
    assert!(last["nextCursor"].is_null());
    for list in ["/api/v1/tenants", "/api/v1/tokens", "/api/v1/called-routes"] {
        let token = if list == "/api/v1/tenants" {
            &app.system_token
        } else {
            &tenant.admin_token
        };
        let answer = app.get(list, token).await;
        assert_eq!(answer.status, 200, "{list}: {}", answer.text);
        assert_eq!(
            answer.body.as_object().unwrap().get("nextCursor"),
            Some(&serde_json::Value::Null),
            "{list}"
        );
    }
}

#[actix_web::test]
async fn the_docs_page_is_titled_after_the_service_and_still_loads_swagger_ui() {
    let app = spawn_app().await;
    for path in ["/docs/", "/docs/index.html"] {
        let page = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("<title>xchannel API documentation</title>"),
            "{html}"
        );
        assert!(html.contains("swagger-ui-bundle.js"), "{html}");
    }
    let script = reqwest::get(format!("{}/docs/swagger-initializer.js", app.base))
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("/openapi.json"));
}

#[actix_web::test]
async fn the_documented_examples_are_accepted_in_the_order_of_the_first_steps() {
    // Each request example of the document, sent as "Try it out" would after the ids of
    // the earlier steps are put in, is accepted; the 201 example of a channel holds values
    // within each field's limits (the service's own answer to that body is of its shape).
    let app = spawn_app().await;
    let doc: serde_json::Value =
        serde_json::to_value(<xchannel::openapi::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    let example = |schema: &str| doc["components"]["schemas"][schema]["example"].clone();
    let tenant = app
        .post("/api/v1/tenants", &app.system_token, &example("TenantIn"))
        .await;
    assert_eq!(tenant.status, 201, "{}", tenant.text);
    let mut token = example("TokenIn");
    token["tenantId"] = tenant.body["id"].clone();
    let admin = app.post("/api/v1/tokens", &app.system_token, &token).await;
    assert_eq!(admin.status, 201, "{}", admin.text);
    let admin = admin.body["token"].as_str().unwrap().to_owned();
    let ou = app.post("/api/v1/ous", &admin, &example("OuIn")).await;
    assert_eq!(ou.status, 201, "{}", ou.text);
    let mut route = example("CalledRouteIn");
    route["ouId"] = ou.body["id"].clone();
    let route = app.post("/api/v1/called-routes", &admin, &route).await;
    assert_eq!(route.status, 201, "{}", route.text);
    let mut channel = example("ChannelDraft");
    channel["ouId"] = ou.body["id"].clone();
    channel["skillQueueId"] = route.body["id"].clone();
    let created = app.post("/api/v1/channels", &admin, &channel).await;
    assert_eq!(created.status, 201, "{}", created.text);
    // The 201 example, sent back as the channel's PUT body (its read-only members and ids
    // made this channel's), is accepted: every value is within its field's limits.
    let shown = example("ChannelOut");
    let mut again = shown.clone();
    for member in ["id", "tenantId", "ouId", "skillQueueId"] {
        again[member] = created.body[member].clone();
    }
    let replaced = app
        .call_with(
            Method::PUT,
            &format!("/api/v1/channels/{}", created.id()),
            &admin,
            Some(&again),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&shown), keys(&created.body));
}
