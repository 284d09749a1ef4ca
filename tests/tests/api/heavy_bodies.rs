//! The costliest bodies a tenant administrator can send: answered quickly, with a bounded
//! list of violations, and without holding up anyone else's requests.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::helpers::{spawn_app, Answer, Tenant, TestApp, XCredentials};

/// Generous for a debug build on a busy machine; the release figures are far lower.
const QUICK: Duration = Duration::from_secs(5);

/// 100,000 distinct keywords: about 0.9 MiB.
fn keyword_flood(tenant: &Tenant) -> Value {
    let mut body = tenant.channel_body("x_flood", &XCredentials::unique());
    body["transferKeywords"] = json!((0..100_000).map(|i| format!("k{i}")).collect::<Vec<_>>());
    body
}

/// 20,000 unknown properties (shape violations) beside 20,000 repeated transfer targets
/// (rule violations).
fn shape_and_rule_flood(tenant: &Tenant) -> Value {
    let mut body = tenant.channel_body("x_flood", &XCredentials::unique());
    body["more"]["sessionTransfer"]["allowedTargets"] = json!(vec!["agent"; 20_000]);
    let object: &mut Map<String, Value> = body.as_object_mut().unwrap();
    for i in 0..20_000 {
        object.insert(format!("u{i}"), json!(0));
    }
    body
}

async fn post_quickly(app: &TestApp, tenant: &Tenant, body: &Value) -> (Answer, Duration) {
    post_within(QUICK, app, tenant, body).await
}

async fn post_within(
    limit: Duration,
    app: &TestApp,
    tenant: &Tenant,
    body: &Value,
) -> (Answer, Duration) {
    let started = Instant::now();
    let answer = tokio::time::timeout(
        limit,
        app.post("/api/v1/channels", &tenant.admin_token, body),
    )
    .await
    .unwrap_or_else(|_| panic!("no answer within {limit:?}"));
    (answer, started.elapsed())
}

#[actix_web::test]
async fn a_list_of_100000_keywords_is_one_violation_answered_quickly() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let body = keyword_flood(&tenant);
    assert!(serde_json::to_vec(&body).unwrap().len() < 1024 * 1024);
    let (answer, took) = post_quickly(&app, &tenant, &body).await;
    assert_eq!(
        answer.status,
        422,
        "{}",
        &answer.text[..answer.text.len().min(500)]
    );
    assert_eq!(answer.pointers(), ["/transferKeywords"], "took {took:?}");
    assert_eq!(answer.body["errors"][0]["code"], "too_many");
}

#[actix_web::test]
async fn twenty_thousand_shape_and_twenty_thousand_rule_violations_are_answered_quickly_and_capped()
{
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (answer, took) = post_quickly(&app, &tenant, &shape_and_rule_flood(&tenant)).await;
    assert_eq!(
        answer.status,
        422,
        "{}",
        &answer.text[..answer.text.len().min(500)]
    );
    let listed = answer.body["errors"].as_array().unwrap();
    assert_eq!(listed.len(), 100, "took {took:?}");
    // 20,000 unknown properties, and every target after the first repeats it.
    assert_eq!(answer.body["detail"], "100 of 39999 violations listed");
    assert!(
        answer.text.len() < 32 * 1024,
        "the answer is {} bytes",
        answer.text.len()
    );
    let pointers = answer.pointers();
    assert!(
        pointers.iter().all(|p| p.starts_with("/u")),
        "shape violations first: {pointers:?}"
    );
}

#[actix_web::test]
async fn a_list_of_200000_items_gets_a_small_answer() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let mut body = tenant.channel_body("x_flood", &XCredentials::unique());
    body["transferKeywords"] = json!(vec![0; 200_000]);
    let (answer, _) = post_quickly(&app, &tenant, &body).await;
    assert_eq!(answer.status, 422);
    assert_eq!(
        answer.pointers(),
        ["/transferKeywords"],
        "a list over its limit is one violation"
    );

    // 200,000 items of the wrong type are 200,000 shape violations: found in linear time,
    // but in a debug build that takes longer than the keyword flood.
    let mut body = tenant.channel_body("x_flood", &XCredentials::unique());
    body["more"]["sessionTransfer"]["allowedTargets"] = json!(vec![0; 200_000]);
    let (answer, _) = post_within(Duration::from_secs(20), &app, &tenant, &body).await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.body["errors"].as_array().unwrap().len(), 100);
    assert_eq!(answer.body["detail"], "100 of 200000 violations listed");
    assert!(
        answer.text.len() < 32 * 1024,
        "the answer is {} bytes",
        answer.text.len()
    );
    let mut object = Map::new();
    for i in 0..90_000 {
        object.insert(format!("p{i}"), json!(0));
    }
    let (answer, _) = post_within(
        Duration::from_secs(20),
        &app,
        &tenant,
        &Value::Object(object),
    )
    .await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.body["errors"].as_array().unwrap().len(), 100);
    // 90,000 unknown properties (just under 1 MiB) and the five required ones missing.
    assert_eq!(answer.body["detail"], "100 of 90005 violations listed");
    assert!(
        answer.text.len() < 32 * 1024,
        "the answer is {} bytes",
        answer.text.len()
    );
}

#[actix_web::test]
async fn healthz_answers_at_once_while_four_heavy_bodies_are_checked() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let bodies = [
        keyword_flood(&tenant),
        shape_and_rule_flood(&tenant),
        keyword_flood(&tenant),
        shape_and_rule_flood(&tenant),
    ];
    // Four at once on a debug build may take a while; what matters is the probe.
    let heavy = futures_util::future::join_all(
        bodies
            .iter()
            .map(|b| post_within(Duration::from_secs(30), &app, &tenant, b)),
    );
    let probe = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let started = Instant::now();
        let answer = tokio::time::timeout(QUICK, app.get("/healthz", ""))
            .await
            .expect("healthz answers");
        (answer.status, started.elapsed())
    };
    let (answers, (status, took)) = futures_util::join!(heavy, probe);
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "healthz took {took:?}");
    assert!(answers.iter().all(|(a, _)| a.status == 422));
}
