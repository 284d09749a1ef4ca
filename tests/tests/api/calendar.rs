//! The service calendar through HTTP: R-TENANT-5 (the tenant's non-working days).

use reqwest::Method;
use serde_json::json;

use crate::{helpers::spawn_app, tenants::tenant_with};

const PATH: &str = "/api/v1/service-calendar";

#[actix_web::test]
async fn a_new_tenant_has_no_non_working_days_and_its_time_zone() {
    let app = spawn_app().await;
    let (_, admin) = tenant_with(
        &app,
        json!({"name": "Acme", "timeZone": "America/New_York"}),
    )
    .await;
    let calendar = app.get(PATH, &admin).await;
    assert_eq!(calendar.status, 200, "{}", calendar.text);
    assert_eq!(
        calendar.body,
        json!({"timeZone": "America/New_York", "nonWorkingDays": []})
    );
}

#[actix_web::test]
async fn put_replaces_the_list_and_answers_it_sorted() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let put = app
        .call(
            Method::PUT,
            PATH,
            &tenant.admin_token,
            Some(&json!({"nonWorkingDays": ["2027-01-01", "2026-12-25", "2026-05-01"]})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(
        put.body["nonWorkingDays"],
        json!(["2026-05-01", "2026-12-25", "2027-01-01"])
    );
    assert_eq!(app.get(PATH, &tenant.admin_token).await.body, put.body);

    let replaced = app
        .call(
            Method::PUT,
            PATH,
            &tenant.admin_token,
            Some(&json!({"nonWorkingDays": ["2026-11-11"]})),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(
        app.get(PATH, &tenant.admin_token).await.body["nonWorkingDays"],
        json!(["2026-11-11"])
    );

    let cleared = app
        .call(
            Method::PUT,
            PATH,
            &tenant.admin_token,
            Some(&json!({"nonWorkingDays": []})),
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert_eq!(
        app.get(PATH, &tenant.admin_token).await.body["nonWorkingDays"],
        json!([])
    );
}

#[actix_web::test]
async fn an_invalid_date_is_named_by_its_position_and_nothing_changes() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let first = app
        .call(
            Method::PUT,
            PATH,
            &tenant.admin_token,
            Some(&json!({"nonWorkingDays": ["2026-01-01"]})),
        )
        .await;
    assert_eq!(first.status, 200);
    for bad in [
        json!("2026-02-30"),
        json!("2026-1-5"),
        json!("25/12/2026"),
        json!("2026-12-25T00:00:00Z"),
        json!(20261225),
    ] {
        let answer = app
            .call(
                Method::PUT,
                PATH,
                &tenant.admin_token,
                Some(&json!({"nonWorkingDays": ["2026-12-24", bad]})),
            )
            .await;
        assert_eq!(answer.status, 422, "{bad}: {}", answer.text);
        assert_eq!(answer.pointers(), vec!["/nonWorkingDays/1"], "{bad}");
    }
    assert_eq!(
        app.get(PATH, &tenant.admin_token).await.body["nonWorkingDays"],
        json!(["2026-01-01"])
    );
}

#[actix_web::test]
async fn a_date_listed_twice_is_refused() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let answer = app
        .call(
            Method::PUT,
            PATH,
            &tenant.admin_token,
            Some(&json!({"nonWorkingDays": ["2026-12-25", "2027-01-01", "2026-12-25"]})),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.pointers(), vec!["/nonWorkingDays/2"]);
    assert_eq!(answer.body["errors"][0]["code"], "duplicate");
}

#[actix_web::test]
async fn the_list_is_required() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    app.call(
        Method::PUT,
        PATH,
        &tenant.admin_token,
        Some(&json!({"nonWorkingDays": ["2026-12-25"]})),
    )
    .await;
    for body in [
        json!({}),
        json!({"nonWorkingDays": null}),
        json!({"days": ["2026-12-26"]}),
    ] {
        let answer = app
            .call(Method::PUT, PATH, &tenant.admin_token, Some(&body))
            .await;
        assert_eq!(answer.status, 422, "{body}: {}", answer.text);
        assert!(
            answer.pointers().contains(&"/nonWorkingDays".to_owned()),
            "{body}: {:?}",
            answer.pointers()
        );
    }
    assert_eq!(
        app.get(PATH, &tenant.admin_token).await.body["nonWorkingDays"],
        json!(["2026-12-25"]),
        "nothing cleared"
    );
}

#[actix_web::test]
async fn a_tenant_user_reads_the_calendar_but_cannot_change_it() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    app.call(
        Method::PUT,
        PATH,
        &tenant.admin_token,
        Some(&json!({"nonWorkingDays": ["2026-12-25"]})),
    )
    .await;
    let user = app
        .post(
            "/api/v1/tokens",
            &tenant.admin_token,
            &json!({"role": "tenant-user", "ouIds": [tenant.ou_id]}),
        )
        .await;
    let user = user.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(PATH, &user).await.body["nonWorkingDays"],
        json!(["2026-12-25"])
    );
    let put = app
        .call(
            Method::PUT,
            PATH,
            &user,
            Some(&json!({"nonWorkingDays": []})),
        )
        .await;
    assert_eq!(put.status, 403);
    assert_eq!(put.problem_code(), "forbidden");
    assert_eq!(
        app.get(PATH, &user).await.body["nonWorkingDays"],
        json!(["2026-12-25"])
    );
}

#[actix_web::test]
async fn each_tenant_has_its_own_calendar() {
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let other = app.tenant().await;
    app.call(
        Method::PUT,
        PATH,
        &acme.admin_token,
        Some(&json!({"nonWorkingDays": ["2026-12-25"]})),
    )
    .await;
    app.call(
        Method::PUT,
        PATH,
        &other.admin_token,
        Some(&json!({"nonWorkingDays": ["2026-07-14"]})),
    )
    .await;
    assert_eq!(
        app.get(PATH, &acme.admin_token).await.body["nonWorkingDays"],
        json!(["2026-12-25"])
    );
    assert_eq!(
        app.get(PATH, &other.admin_token).await.body["nonWorkingDays"],
        json!(["2026-07-14"])
    );
    assert_eq!(
        app.get(PATH, &app.system_token).await.status,
        403,
        "a system administrator has no tenant"
    );
}

#[actix_web::test]
async fn concurrent_replacements_leave_one_whole_list() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let lists: Vec<_> = (0..4)
        .map(|i| json!({"nonWorkingDays": ["2026-12-24", "2026-12-25", format!("2027-01-0{}", i + 1)]}))
        .collect();
    let answers = futures_util::future::join_all(
        lists
            .iter()
            .map(|body| app.call(Method::PUT, PATH, &tenant.admin_token, Some(body))),
    )
    .await;
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let stored = app.get(PATH, &tenant.admin_token).await.body["nonWorkingDays"].clone();
    assert!(
        lists.iter().any(|l| l["nonWorkingDays"] == stored),
        "one of the lists, whole: {stored}"
    );
}
