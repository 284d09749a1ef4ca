//! OUs through HTTP: R-TENANT-2 (a tree inside a tenant).

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn ous_form_a_tree_listed_parents_first() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let emea = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "EMEA", "parentId": tenant.ou_id}),
        )
        .await;
    assert_eq!(emea.status, 201, "{}", emea.text);
    assert_eq!(emea.body["parentId"], tenant.ou_id.as_str());
    let paris = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Paris", "parentId": emea.id()}),
        )
        .await;
    assert_eq!(paris.status, 201, "{}", paris.text);

    let read = app
        .get(&format!("/api/v1/ous/{}", paris.id()), &tenant.admin_token)
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, paris.body);

    let list = app.get("/api/v1/ous", &tenant.admin_token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let ids: Vec<_> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![tenant.ou_id.clone(), emea.id(), paris.id()]);
    assert!(
        list.body["items"][0]["parentId"].is_null(),
        "the first OU is a root"
    );
}

#[actix_web::test]
async fn a_parent_must_be_an_ou_of_the_same_tenant() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    for parent in [
        other.ou_id.as_str(),
        "0193a1d2-7b8c-7d00-8000-000000000009",
        "nope",
    ] {
        let answer = app
            .post(
                "/api/v1/ous",
                &tenant.admin_token,
                &json!({"name": "Child", "parentId": parent}),
            )
            .await;
        assert_eq!(answer.status, 422, "{parent}: {}", answer.text);
        assert_eq!(answer.pointers(), vec!["/parentId"]);
        assert_eq!(answer.body["errors"][0]["code"], "not_found");
    }
    let list = app.get("/api/v1/ous", &tenant.admin_token).await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "nothing stored"
    );
}

#[actix_web::test]
async fn a_bad_ou_body_names_every_field() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let answer = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "x".repeat(129), "parent": tenant.ou_id}),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    let mut pointers = answer.pointers();
    pointers.sort();
    assert_eq!(pointers, vec!["/name", "/parent"]);
    let blank = app
        .post("/api/v1/ous", &tenant.admin_token, &json!({"name": "   "}))
        .await;
    assert_eq!(blank.status, 422);
    assert_eq!(blank.pointers(), vec!["/name"]);
}

#[actix_web::test]
async fn another_tenants_ou_is_not_found() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let path = format!("/api/v1/ous/{}", other.ou_id);
    assert_eq!(app.get(&path, &tenant.admin_token).await.status, 404);
    assert_eq!(
        app.call(Method::DELETE, &path, &tenant.admin_token, None)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&path, &other.admin_token).await.status,
        200,
        "still there"
    );
    let list = app.get("/api/v1/ous", &tenant.admin_token).await;
    assert!(!list.text.contains(&other.ou_id));
}

#[actix_web::test]
async fn a_tenant_user_sees_its_ous_and_those_below_and_cannot_create_any() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let child = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Child", "parentId": tenant.ou_id}),
        )
        .await
        .id();
    let sibling = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Sibling"}),
        )
        .await
        .id();
    let user = app
        .post(
            "/api/v1/tokens",
            &tenant.admin_token,
            &json!({"role": "tenant-user", "ouIds": [tenant.ou_id]}),
        )
        .await;
    let user = user.body["token"].as_str().unwrap().to_owned();
    let list = app.get("/api/v1/ous", &user).await;
    let ids: Vec<_> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![tenant.ou_id.clone(), child.clone()]);
    assert_eq!(
        app.get(&format!("/api/v1/ous/{sibling}"), &user)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/ous/{child}"), &user).await.status,
        200
    );
    assert_eq!(
        app.post("/api/v1/ous", &user, &json!({"name": "Mine"}))
            .await
            .status,
        403
    );
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/ous/{child}"), &user, None)
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn a_system_admin_has_no_ous_of_its_own() {
    let app = spawn_app().await;
    let answer = app
        .post("/api/v1/ous", &app.system_token, &json!({"name": "Root"}))
        .await;
    assert_eq!(answer.status, 403, "{}", answer.text);
    assert_eq!(app.get("/api/v1/ous", &app.system_token).await.status, 403);
}

#[actix_web::test]
async fn an_ou_with_children_is_not_deleted_until_it_is_empty() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let parent = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Parent"}),
        )
        .await
        .id();
    let child = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Child", "parentId": parent}),
        )
        .await
        .id();
    let refused = app
        .call(
            Method::DELETE,
            &format!("/api/v1/ous/{parent}"),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.problem_code(), "ou_in_use");
    assert_eq!(
        app.get(&format!("/api/v1/ous/{parent}"), &tenant.admin_token)
            .await
            .status,
        200
    );

    let gone = app
        .call(
            Method::DELETE,
            &format!("/api/v1/ous/{child}"),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    let gone = app
        .call(
            Method::DELETE,
            &format!("/api/v1/ous/{parent}"),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert_eq!(
        app.get(&format!("/api/v1/ous/{parent}"), &tenant.admin_token)
            .await
            .status,
        404
    );
}

#[actix_web::test]
async fn an_ou_with_a_called_route_is_not_deleted() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    // The fixture's OU holds the fixture's called route.
    let path = format!("/api/v1/ous/{}", tenant.ou_id);
    let refused = app
        .call(Method::DELETE, &path, &tenant.admin_token, None)
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.problem_code(), "ou_in_use");
    let route = format!("/api/v1/called-routes/{}", tenant.queue_id);
    assert_eq!(
        app.call(Method::DELETE, &route, &tenant.admin_token, None)
            .await
            .status,
        204
    );
    assert_eq!(
        app.call(Method::DELETE, &path, &tenant.admin_token, None)
            .await
            .status,
        204
    );
}

#[actix_web::test]
async fn an_ou_with_a_channel_is_not_deleted() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let sales = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Sales"}),
        )
        .await
        .id();
    let mut body = tenant.channel_body("x_sales", &crate::helpers::XCredentials::unique());
    body["ouId"] = json!(sales);
    let channel = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(channel.status, 201, "{}", channel.text);
    let path = format!("/api/v1/ous/{sales}");
    let refused = app
        .call(Method::DELETE, &path, &tenant.admin_token, None)
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.problem_code(), "ou_in_use");
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/channels/{}", channel.id()),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(
        app.call(Method::DELETE, &path, &tenant.admin_token, None)
            .await
            .status,
        204
    );
}

#[actix_web::test]
async fn an_ou_name_is_kept_in_nfc() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let decomposed = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Cafe\u{301}"}),
        )
        .await;
    assert_eq!(decomposed.status, 201, "{}", decomposed.text);
    assert_eq!(decomposed.body["name"], "Caf\u{e9}");
    let read = app
        .get(
            &format!("/api/v1/ous/{}", decomposed.id()),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(read.body["name"], "Caf\u{e9}");
}

#[actix_web::test]
async fn an_ou_name_with_an_invisible_or_bidirectional_control_character_is_refused() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for name in [
        "Sup\u{200B}port",
        "\u{202E}troppuS",
        "Sales\u{2066}",
        "\u{FEFF}Sales",
        "A\u{200F}B",
    ] {
        let answer = app
            .post("/api/v1/ous", &tenant.admin_token, &json!({"name": name}))
            .await;
        assert_eq!(answer.status, 422, "{name:?}: {}", answer.text);
        assert_eq!(answer.pointers(), ["/name"]);
        assert_eq!(
            answer.body["errors"][0]["code"], "invisible_character",
            "{name:?}"
        );
    }
    let list = app.get("/api/v1/ous", &tenant.admin_token).await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "nothing stored"
    );
}

#[actix_web::test]
async fn of_concurrent_deletes_of_one_ou_exactly_one_succeeds() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let ou = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Doomed"}),
        )
        .await
        .id();
    let path = format!("/api/v1/ous/{ou}");
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
    assert_eq!(app.get(&path, &tenant.admin_token).await.status, 404);
}
