//! Called routes through HTTP: R-TENANT-3 (name, media type, OU) and R-TENANT-4 (what a
//! tenant user sees when OU isolation is enforced).

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    helpers::{spawn_app, TestApp},
    tenants::tenant_with,
};

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn route(app: &TestApp, token: &str, name: &str, media_type: &str, ou_id: &str) -> String {
    let answer = app
        .post(
            "/api/v1/called-routes",
            token,
            &json!({"name": name, "mediaType": media_type, "ouId": ou_id}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.id()
}

async fn ou(app: &TestApp, token: &str, name: &str, parent: Option<&str>) -> String {
    let answer = app
        .post(
            "/api/v1/ous",
            token,
            &json!({"name": name, "parentId": parent}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.id()
}

async fn user_token(app: &TestApp, admin_token: &str, ou_ids: &[&str]) -> String {
    let answer = app
        .post(
            "/api/v1/tokens",
            admin_token,
            &json!({"role": "tenant-user", "ouIds": ou_ids}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn creates_a_voice_route_and_reads_it_back() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let created = app
        .post(
            "/api/v1/called-routes",
            &tenant.admin_token,
            &json!({"name": "phones", "mediaType": "voice", "ouId": tenant.ou_id}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["mediaType"], "voice");
    assert_eq!(created.body["ouId"], tenant.ou_id.as_str());
    let read = app
        .get(
            &format!("/api/v1/called-routes/{}", created.id()),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created.body);
}

#[actix_web::test]
async fn the_media_type_is_multimedia_or_voice() {
    // R-TENANT-3.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for media in [json!("video"), json!("Voice"), json!(""), json!(1)] {
        let answer = app
            .post(
                "/api/v1/called-routes",
                &tenant.admin_token,
                &json!({"name": "q", "mediaType": media, "ouId": tenant.ou_id}),
            )
            .await;
        assert_eq!(answer.status, 422, "{media}: {}", answer.text);
        assert_eq!(answer.pointers(), vec!["/mediaType"], "{media}");
    }
    let list = app.get("/api/v1/called-routes", &tenant.admin_token).await;
    assert_eq!(names(&list.body), vec!["dm_queue"], "nothing stored");
}

#[actix_web::test]
async fn an_empty_body_names_every_required_field() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let answer = app
        .post("/api/v1/called-routes", &tenant.admin_token, &json!({}))
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    let mut pointers = answer.pointers();
    pointers.sort();
    assert_eq!(pointers, vec!["/mediaType", "/name", "/ouId"]);
}

#[actix_web::test]
async fn the_ou_must_belong_to_the_tenant() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let answer = app
        .post(
            "/api/v1/called-routes",
            &tenant.admin_token,
            &json!({"name": "q", "mediaType": "voice", "ouId": other.ou_id}),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.pointers(), vec!["/ouId"]);
}

#[actix_web::test]
async fn a_duplicate_name_is_refused_in_the_tenant_but_not_in_another() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let again = app
        .post(
            "/api/v1/called-routes",
            &tenant.admin_token,
            &json!({"name": "dm_queue", "mediaType": "voice", "ouId": tenant.ou_id}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.problem_code(), "called_route_name_taken");
    // The fixture gave the other tenant a "dm_queue" of its own already; one more name works.
    route(
        &app,
        &other.admin_token,
        "voice_line",
        "voice",
        &other.ou_id,
    )
    .await;
    route(
        &app,
        &tenant.admin_token,
        "voice_line",
        "voice",
        &tenant.ou_id,
    )
    .await;
}

#[actix_web::test]
async fn of_concurrent_creates_with_one_name_exactly_one_wins() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let body = json!({"name": "rush", "mediaType": "multimedia", "ouId": tenant.ou_id});
    let answers = futures_util::future::join_all(
        (0..6).map(|_| app.post("/api/v1/called-routes", &tenant.admin_token, &body)),
    )
    .await;
    let statuses: Vec<_> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let list = app.get("/api/v1/called-routes", &tenant.admin_token).await;
    assert_eq!(names(&list.body), vec!["dm_queue", "rush"]);
}

#[actix_web::test]
async fn routes_are_filtered_by_ou_and_media_type() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let sales = ou(&app, &tenant.admin_token, "Sales", None).await;
    route(&app, &tenant.admin_token, "phones", "voice", &tenant.ou_id).await;
    route(&app, &tenant.admin_token, "sales_dm", "multimedia", &sales).await;
    route(&app, &tenant.admin_token, "sales_phone", "voice", &sales).await;
    let token = &tenant.admin_token;

    let all = app.get("/api/v1/called-routes", token).await;
    assert_eq!(
        names(&all.body),
        vec!["dm_queue", "phones", "sales_dm", "sales_phone"]
    );
    let by_ou = app
        .get(&format!("/api/v1/called-routes?ouId={sales}"), token)
        .await;
    assert_eq!(names(&by_ou.body), vec!["sales_dm", "sales_phone"]);
    let voice = app
        .get("/api/v1/called-routes?mediaType=voice", token)
        .await;
    assert_eq!(names(&voice.body), vec!["phones", "sales_phone"]);
    let both = app
        .get(
            &format!("/api/v1/called-routes?ouId={sales}&mediaType=multimedia"),
            token,
        )
        .await;
    assert_eq!(names(&both.body), vec!["sales_dm"]);
    let bad = app
        .get("/api/v1/called-routes?mediaType=video", token)
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.problem_code(), "invalid_query");
}

#[actix_web::test]
async fn routes_are_listed_page_by_page() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for name in ["a", "b", "c", "d"] {
        route(&app, &tenant.admin_token, name, "voice", &tenant.ou_id).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/called-routes?limit=2".to_owned();
    for _ in 0..5 {
        let page = app.get(&path, &tenant.admin_token).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.body["items"].as_array().unwrap().len() <= 2);
        seen.extend(names(&page.body));
        match page.body["nextCursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/called-routes?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, vec!["a", "b", "c", "d", "dm_queue"]);
}

#[actix_web::test]
async fn with_isolation_a_tenant_user_sees_only_routes_of_its_ous_and_below() {
    // R-TENANT-4.
    let app = spawn_app().await;
    let (_, admin) = tenant_with(&app, json!({"name": "Isolated", "ouIsolation": true})).await;
    let a = ou(&app, &admin, "A", None).await;
    let a_child = ou(&app, &admin, "A1", Some(&a)).await;
    let b = ou(&app, &admin, "B", None).await;
    route(&app, &admin, "a_queue", "multimedia", &a).await;
    route(&app, &admin, "a1_queue", "voice", &a_child).await;
    let b_queue = route(&app, &admin, "b_queue", "multimedia", &b).await;

    let user = user_token(&app, &admin, &[&a]).await;
    let list = app.get("/api/v1/called-routes", &user).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(names(&list.body), vec!["a1_queue", "a_queue"]);
    assert_eq!(
        app.get(&format!("/api/v1/called-routes/{b_queue}"), &user)
            .await
            .status,
        404
    );
    let asked_for_b = app
        .get(&format!("/api/v1/called-routes?ouId={b}"), &user)
        .await;
    assert_eq!(
        names(&asked_for_b.body),
        Vec::<String>::new(),
        "a filter does not widen the view"
    );

    let nobody = user_token(&app, &admin, &[]).await;
    let list = app.get("/api/v1/called-routes", &nobody).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(names(&list.body), Vec::<String>::new());

    let list = app.get("/api/v1/called-routes", &admin).await;
    assert_eq!(
        names(&list.body),
        vec!["a1_queue", "a_queue", "b_queue"],
        "administrators see all"
    );
}

#[actix_web::test]
async fn without_isolation_a_tenant_user_sees_every_route() {
    let app = spawn_app().await;
    let (tenant_id, admin) = tenant_with(&app, json!({"name": "Open"})).await;
    let a = ou(&app, &admin, "A", None).await;
    let b = ou(&app, &admin, "B", None).await;
    route(&app, &admin, "a_queue", "multimedia", &a).await;
    let b_queue = route(&app, &admin, "b_queue", "multimedia", &b).await;
    let user = user_token(&app, &admin, &[&a]).await;
    let list = app.get("/api/v1/called-routes", &user).await;
    assert_eq!(names(&list.body), vec!["a_queue", "b_queue"]);
    assert_eq!(
        app.get(&format!("/api/v1/called-routes/{b_queue}"), &user)
            .await
            .status,
        200
    );

    // Turning isolation on takes effect for the same token.
    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{tenant_id}"),
            &app.system_token,
            Some(&json!({"ouIsolation": true})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let list = app.get("/api/v1/called-routes", &user).await;
    assert_eq!(names(&list.body), vec!["a_queue"]);
}

#[actix_web::test]
async fn another_tenants_route_is_not_found() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let path = format!("/api/v1/called-routes/{}", other.queue_id);
    assert_eq!(app.get(&path, &tenant.admin_token).await.status, 404);
    assert_eq!(
        app.call(Method::DELETE, &path, &tenant.admin_token, None)
            .await
            .status,
        404
    );
    assert_eq!(app.get(&path, &other.admin_token).await.status, 200);
    let list = app.get("/api/v1/called-routes", &tenant.admin_token).await;
    assert!(!list.text.contains(&other.queue_id));
}

#[actix_web::test]
async fn a_tenant_user_cannot_create_or_delete_routes() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let user = user_token(&app, &tenant.admin_token, &[&tenant.ou_id]).await;
    let create = app
        .post(
            "/api/v1/called-routes",
            &user,
            &json!({"name": "mine", "mediaType": "voice", "ouId": tenant.ou_id}),
        )
        .await;
    assert_eq!(create.status, 403);
    let delete = app
        .call(
            Method::DELETE,
            &format!("/api/v1/called-routes/{}", tenant.queue_id),
            &user,
            None,
        )
        .await;
    assert_eq!(delete.status, 403);
    assert_eq!(
        app.get(&format!("/api/v1/called-routes/{}", tenant.queue_id), &user)
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn a_route_used_as_skill_queue_is_not_deleted_until_the_channel_is_gone() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (channel, _) = tenant.create_channel(&app, "x_support").await;
    let path = format!("/api/v1/called-routes/{}", tenant.queue_id);
    let refused = app
        .call(Method::DELETE, &path, &tenant.admin_token, None)
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.problem_code(), "called_route_in_use");
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("x_support"));
    assert_eq!(app.get(&path, &tenant.admin_token).await.status, 200);

    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/channels/{}", channel.id()),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        app.call(Method::DELETE, &path, &tenant.admin_token, None)
            .await
            .status,
        204
    );
    assert_eq!(app.get(&path, &tenant.admin_token).await.status, 404);
}

#[actix_web::test]
async fn route_names_are_compared_in_nfc() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let composed = app
        .post(
            "/api/v1/called-routes",
            &tenant.admin_token,
            &json!({"name": "Caf\u{e9}", "mediaType": "voice", "ouId": tenant.ou_id}),
        )
        .await;
    assert_eq!(composed.status, 201, "{}", composed.text);
    let decomposed = app
        .post(
            "/api/v1/called-routes",
            &tenant.admin_token,
            &json!({"name": "Cafe\u{301}", "mediaType": "voice", "ouId": tenant.ou_id}),
        )
        .await;
    assert_eq!(
        decomposed.status, 409,
        "the same name in NFD: {}",
        decomposed.text
    );
    assert_eq!(decomposed.problem_code(), "called_route_name_taken");
    let other = app
        .post(
            "/api/v1/called-routes",
            &tenant.admin_token,
            &json!({"name": "Cafe\u{301} 2", "mediaType": "voice", "ouId": tenant.ou_id}),
        )
        .await;
    assert_eq!(other.body["name"], "Caf\u{e9} 2", "stored in NFC");
}

#[actix_web::test]
async fn a_route_name_with_a_zero_width_space_or_a_right_to_left_override_is_refused() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for name in ["dm\u{200B}_queue", "\u{202E}eueuq_md", "dm\u{2060}queue"] {
        let answer = app
            .post(
                "/api/v1/called-routes",
                &tenant.admin_token,
                &json!({"name": name, "mediaType": "voice", "ouId": tenant.ou_id}),
            )
            .await;
        assert_eq!(answer.status, 422, "{name:?}: {}", answer.text);
        assert_eq!(answer.pointers(), ["/name"]);
        assert_eq!(answer.body["errors"][0]["code"], "invisible_character");
    }
}

#[actix_web::test]
async fn of_concurrent_deletes_of_one_route_exactly_one_succeeds() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let id = route(&app, &tenant.admin_token, "doomed", "voice", &tenant.ou_id).await;
    let path = format!("/api/v1/called-routes/{id}");
    let answers = futures_util::future::join_all(
        (0..8).map(|_| app.call(Method::DELETE, &path, &tenant.admin_token, None)),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [204, 404].contains(s)),
        "{statuses:?}"
    );
}
