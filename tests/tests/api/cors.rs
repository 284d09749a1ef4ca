//! A browser frontend on another origin may call the API when its origin is allowed
//! (`XCHANNEL_CORS_ALLOWED_ORIGINS`), and read the headers it needs.

use reqwest::Method;

use crate::helpers::{spawn_app, spawn_app_with, SpawnOptions, TestApp};

const DESK: &str = "https://desk.example.com";

async fn with_desk_allowed() -> TestApp {
    spawn_app_with(SpawnOptions {
        cors_allowed_origins: Some(vec![DESK.into()]),
        ..SpawnOptions::default()
    })
    .await
}

async fn preflight(app: &TestApp, origin: &str, method: &str) -> reqwest::Response {
    app.client
        .request(
            Method::OPTIONS,
            format!("{}/api/v1/channels/some-id", app.base),
        )
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization, content-type, if-match",
        )
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_allowed_origin_passes_the_preflight_of_a_patch_and_may_cache_it() {
    let app = with_desk_allowed().await;
    let answer = preflight(&app, DESK, "PATCH").await;
    assert!(answer.status().is_success(), "{}", answer.status());
    let headers = answer.headers();
    assert_eq!(headers["access-control-allow-origin"], DESK);
    let methods = headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        methods.contains("PATCH") && methods.contains("DELETE"),
        "{methods}"
    );
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("if-match") && allowed.contains("authorization"),
        "{allowed}"
    );
    assert_eq!(headers["access-control-max-age"], "3600");
    assert!(
        headers.get("access-control-allow-credentials").is_none(),
        "never credentials"
    );
}

#[actix_web::test]
async fn a_script_on_an_allowed_origin_can_read_the_etag_and_location_it_needs() {
    let app = with_desk_allowed().await;
    let tenant = app.tenant().await;
    let (created, _) = tenant.create_channel(&app, "x_cors").await;
    let answer = app
        .client
        .get(format!("{}/api/v1/channels/{}", app.base, created.id()))
        .bearer_auth(&tenant.admin_token)
        .header("origin", DESK)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["access-control-allow-origin"], DESK);
    let exposed = answer.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in ["etag", "location", "retry-after", "x-request-id"] {
        assert!(exposed.contains(name), "{name} exposed: {exposed}");
    }
}

#[actix_web::test]
async fn another_origin_gets_no_cors_permission() {
    let app = with_desk_allowed().await;
    let answer = preflight(&app, "https://evil.example.net", "GET").await;
    assert!(answer
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[actix_web::test]
async fn without_allowed_origins_no_origin_gets_cors_permission() {
    let app = spawn_app().await;
    let answer = preflight(&app, DESK, "GET").await;
    assert!(answer
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}
