//! Tenant and OU isolation of channels: another tenant's channel, OU or called route does not
//! exist for a caller, and a tenant user sees only the channels of its OUs and below.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Answer, XCredentials};

fn names(list: &Answer) -> BTreeSet<String> {
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// The single problem of a 422: its pointer and code.
fn only_error(answer: &Answer) -> (String, String) {
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.problem_code(), "validation_failed");
    let errors = answer.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{}", answer.text);
    (
        errors[0]["pointer"].as_str().unwrap().to_owned(),
        errors[0]["code"].as_str().unwrap().to_owned(),
    )
}

#[actix_web::test]
async fn each_tenant_lists_only_its_own_channels() {
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let other = app.tenant().await;
    let (acme_first, _) = acme.create_channel(&app, "x_shared_name").await;
    acme.create_channel(&app, "x_acme_only").await;
    let (other_first, _) = other.create_channel(&app, "x_shared_name").await;
    other.create_channel(&app, "x_other_only").await;
    other.create_channel(&app, "x_other_more").await;

    let acme_list = app.get("/api/v1/channels", &acme.admin_token).await;
    assert_eq!(names(&acme_list), set(&["x_acme_only", "x_shared_name"]));
    let other_list = app.get("/api/v1/channels", &other.admin_token).await;
    assert_eq!(
        names(&other_list),
        set(&["x_other_more", "x_other_only", "x_shared_name"])
    );

    let tenant_of = |answer: &Answer| answer.body["tenantId"].as_str().unwrap().to_owned();
    for (list, tenant_id, foreign_id) in [
        (&acme_list, tenant_of(&acme_first), other_first.id()),
        (&other_list, tenant_of(&other_first), acme_first.id()),
    ] {
        for item in list.body["items"].as_array().unwrap() {
            assert_eq!(item["tenantId"], tenant_id.as_str(), "{item}");
            assert_ne!(item["id"], foreign_id.as_str());
        }
    }
    // Filters and pages do not widen the list either.
    let filtered = app
        .get(
            "/api/v1/channels?namePrefix=x_shared&limit=1",
            &acme.admin_token,
        )
        .await;
    assert_eq!(names(&filtered), set(&["x_shared_name"]));
    assert_eq!(filtered.body["items"][0]["id"], acme_first.id().as_str());
    assert!(filtered.body["nextCursor"].is_null(), "{}", filtered.text);
}

#[actix_web::test]
async fn a_tenant_user_reads_channels_of_its_ou_and_below_by_id_but_not_of_another_ou() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let child = app
        .ou(&tenant.admin_token, "Support_EMEA", Some(&tenant.ou_id))
        .await;
    let sibling = app.ou(&tenant.admin_token, "Sales", None).await;
    let in_ou = |name: &str, ou: &str| {
        let mut body = tenant.channel_body(name, &XCredentials::unique());
        body["ouId"] = json!(ou);
        body
    };
    let mut ids = Vec::new();
    for (name, ou) in [
        ("x_support", &tenant.ou_id),
        ("x_support_emea", &child),
        ("x_sales", &sibling),
    ] {
        let created = app
            .post("/api/v1/channels", &tenant.admin_token, &in_ou(name, ou))
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        ids.push(created.id());
    }
    let [support, emea, sales] = [&ids[0], &ids[1], &ids[2]];
    let user = app.user_token(&tenant.admin_token, &[&tenant.ou_id]).await;

    let own = app.get(&format!("/api/v1/channels/{support}"), &user).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.body["name"], "x_support");
    let below = app.get(&format!("/api/v1/channels/{emea}"), &user).await;
    assert_eq!(
        below.status, 200,
        "a channel of a child OU is visible: {}",
        below.text
    );
    assert_eq!(below.body["name"], "x_support_emea");

    let hidden = app.get(&format!("/api/v1/channels/{sales}"), &user).await;
    assert_eq!(hidden.status, 404, "{}", hidden.text);
    assert_eq!(hidden.problem_code(), "not_found");
    assert!(!hidden.text.contains("x_sales"), "{}", hidden.text);
    // The sibling OU's own user reads it; so does the administrator.
    let sales_user = app.user_token(&tenant.admin_token, &[&sibling]).await;
    assert_eq!(
        app.get(&format!("/api/v1/channels/{sales}"), &sales_user)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/channels/{support}"), &sales_user)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/channels/{sales}"), &tenant.admin_token)
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn a_channel_naming_another_tenants_ou_or_multimedia_route_is_refused_at_that_field() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    // Both exist, and the other tenant's route is multimedia: only the tenant differs.
    assert_eq!(
        app.get(&format!("/api/v1/ous/{}", other.ou_id), &other.admin_token)
            .await
            .status,
        200
    );
    let other_route = app
        .get(
            &format!("/api/v1/called-routes/{}", other.queue_id),
            &other.admin_token,
        )
        .await;
    assert_eq!(
        other_route.body["mediaType"], "multimedia",
        "{}",
        other_route.text
    );

    let mut foreign_ou = tenant.channel_body("x_foreign_ou", &XCredentials::unique());
    foreign_ou["ouId"] = json!(other.ou_id);
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &foreign_ou)
        .await;
    assert_eq!(
        only_error(&answer),
        ("/ouId".to_owned(), "not_found".to_owned())
    );

    let mut foreign_queue = tenant.channel_body("x_foreign_queue", &XCredentials::unique());
    foreign_queue["skillQueueId"] = json!(other.queue_id);
    let answer = app
        .post("/api/v1/channels", &tenant.admin_token, &foreign_queue)
        .await;
    assert_eq!(
        only_error(&answer),
        ("/skillQueueId".to_owned(), "not_found".to_owned())
    );

    assert_eq!(
        names(&app.get("/api/v1/channels", &tenant.admin_token).await),
        set(&[]),
        "nothing stored"
    );

    // An edit is checked the same way, and leaves the channel as it was.
    let (created, credentials) = tenant.create_channel(&app, "x_mine").await;
    let mut edit = tenant.channel_body("x_mine", &credentials);
    edit["ouId"] = json!(other.ou_id);
    let answer = app
        .put_channel(&tenant.admin_token, &created.id(), &edit, 1)
        .await;
    assert_eq!(
        only_error(&answer),
        ("/ouId".to_owned(), "not_found".to_owned())
    );
    let mut edit = tenant.channel_body("x_mine", &credentials);
    edit["skillQueueId"] = json!(other.queue_id);
    let answer = app
        .put_channel(&tenant.admin_token, &created.id(), &edit, 1)
        .await;
    assert_eq!(
        only_error(&answer),
        ("/skillQueueId".to_owned(), "not_found".to_owned())
    );
    let read = app
        .get(
            &format!("/api/v1/channels/{}", created.id()),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(read.body["version"], 1);
    assert_eq!(read.body["ouId"], tenant.ou_id.as_str());
    assert_eq!(read.body["skillQueueId"], tenant.queue_id.as_str());
}

#[actix_web::test]
async fn the_no_agent_reply_transfer_target_must_be_a_multimedia_route_of_the_tenant() {
    // R-BASIC-11 with R-TENANT-3.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let voice = app
        .route(&tenant.admin_token, "phones", "voice", &tenant.ou_id)
        .await;
    let second = app
        .route(
            &tenant.admin_token,
            "escalations",
            "multimedia",
            &tenant.ou_id,
        )
        .await;
    let with_target = |name: &str, target: &str| -> Value {
        let mut body = tenant.channel_body(name, &XCredentials::unique());
        body["more"]["noAgentReplyTransfer"] =
            json!({"enabled": true, "timeoutSeconds": 120, "targetSkillQueueId": target});
        body
    };
    let pointer = "/more/noAgentReplyTransfer/targetSkillQueueId";
    for (target, code) in [
        ("0193a1d2-7b8c-7d00-8000-000000000009", "not_found"),
        ("no-such-queue", "not_found"),
        (other.queue_id.as_str(), "not_found"),
        (voice.as_str(), "not_multimedia"),
    ] {
        let answer = app
            .post(
                "/api/v1/channels",
                &tenant.admin_token,
                &with_target("x_refused", target),
            )
            .await;
        assert_eq!(
            only_error(&answer),
            (pointer.to_owned(), code.to_owned()),
            "target {target}"
        );
    }
    assert_eq!(
        names(&app.get("/api/v1/channels", &tenant.admin_token).await),
        set(&[]),
        "nothing stored"
    );

    let accepted = app
        .post(
            "/api/v1/channels",
            &tenant.admin_token,
            &with_target("x_escalating", &second),
        )
        .await;
    assert_eq!(accepted.status, 201, "{}", accepted.text);
    assert_eq!(
        accepted.body["more"]["noAgentReplyTransfer"]["targetSkillQueueId"],
        second.as_str()
    );
    // Empty means the channel's own queue: nothing to look up.
    let own_queue = app
        .post(
            "/api/v1/channels",
            &tenant.admin_token,
            &with_target("x_own_queue", ""),
        )
        .await;
    assert_eq!(own_queue.status, 201, "{}", own_queue.text);
}

#[actix_web::test]
async fn the_ou_filter_lists_exactly_the_channels_of_that_ou() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let sales = app.ou(&tenant.admin_token, "Sales", None).await;
    let child = app
        .ou(&tenant.admin_token, "Support_EMEA", Some(&tenant.ou_id))
        .await;
    let empty = app.ou(&tenant.admin_token, "Empty", None).await;
    for (name, ou) in [
        ("x_support_a", &tenant.ou_id),
        ("x_support_b", &tenant.ou_id),
        ("x_sales", &sales),
        ("x_emea", &child),
    ] {
        let mut body = tenant.channel_body(name, &XCredentials::unique());
        body["ouId"] = json!(ou);
        assert_eq!(
            app.post("/api/v1/channels", &tenant.admin_token, &body)
                .await
                .status,
            201
        );
    }
    other.create_channel(&app, "x_other_support").await;

    let by_ou = |ou: &str| format!("/api/v1/channels?ouId={ou}");
    assert_eq!(
        names(&app.get(&by_ou(&tenant.ou_id), &tenant.admin_token).await),
        set(&["x_support_a", "x_support_b"])
    );
    assert_eq!(
        names(&app.get(&by_ou(&sales), &tenant.admin_token).await),
        set(&["x_sales"])
    );
    assert_eq!(
        names(&app.get(&by_ou(&child), &tenant.admin_token).await),
        set(&["x_emea"])
    );
    assert_eq!(
        names(&app.get(&by_ou(&empty), &tenant.admin_token).await),
        set(&[])
    );
    assert_eq!(
        names(&app.get(&by_ou(&other.ou_id), &tenant.admin_token).await),
        set(&[]),
        "another tenant's OU"
    );
    // Combined with the tenant user's own view: the filter only narrows it.
    let user = app.user_token(&tenant.admin_token, &[&tenant.ou_id]).await;
    assert_eq!(
        names(&app.get(&by_ou(&child), &user).await),
        set(&["x_emea"])
    );
    assert_eq!(names(&app.get(&by_ou(&sales), &user).await), set(&[]));
}
