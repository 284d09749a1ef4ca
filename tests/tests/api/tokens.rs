//! API tokens through HTTP: R-API-3 (bearer tokens bound to a tenant and a role, stored
//! hashed, shown once, revocable).

use reqwest::Method;
use serde_json::json;

use crate::{
    helpers::spawn_app,
    tenants::{tenant_id_of, tenant_with},
};

#[actix_web::test]
async fn a_system_admin_mints_a_tenant_admin_token_that_works_in_that_tenant() {
    let app = spawn_app().await;
    let (tenant_id, _) = tenant_with(&app, json!({"name": "Acme"})).await;
    let minted = app
        .post(
            "/api/v1/tokens",
            &app.system_token,
            &json!({"tenantId": tenant_id, "role": "tenant-admin", "label": "ops"}),
        )
        .await;
    assert_eq!(minted.status, 201, "{}", minted.text);
    assert_eq!(minted.body["tenantId"], tenant_id.as_str());
    assert_eq!(minted.body["role"], "tenant-admin");
    assert_eq!(minted.body["label"], "ops");
    assert_eq!(minted.body["ouIds"], json!([]));
    let token = minted.body["token"].as_str().unwrap();
    assert!(token.starts_with(minted.body["prefix"].as_str().unwrap()));
    let ou = app
        .post("/api/v1/ous", token, &json!({"name": "Sales"}))
        .await;
    assert_eq!(
        ou.status, 201,
        "the new token administers its tenant: {}",
        ou.text
    );
}

#[actix_web::test]
async fn a_tenant_admin_mints_a_tenant_user_for_its_own_tenant() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let tenant_id = tenant_id_of(&app, &tenant.admin_token).await;
    // Without tenantId the caller's tenant is meant; naming it is the same.
    for body in [
        json!({"role": "tenant-user", "ouIds": [tenant.ou_id]}),
        json!({"tenantId": tenant_id, "role": "tenant-user", "ouIds": [tenant.ou_id]}),
    ] {
        let minted = app.post("/api/v1/tokens", &tenant.admin_token, &body).await;
        assert_eq!(minted.status, 201, "{}", minted.text);
        assert_eq!(minted.body["tenantId"], tenant_id.as_str());
        assert_eq!(minted.body["role"], "tenant-user");
        assert_eq!(minted.body["ouIds"], json!([tenant.ou_id]));
        let user = minted.body["token"].as_str().unwrap();
        assert_eq!(app.get("/api/v1/called-routes", user).await.status, 200);
        let refused = app
            .post("/api/v1/ous", user, &json!({"name": "Nope"}))
            .await;
        assert_eq!(refused.status, 403, "a tenant user is no administrator");
    }
}

#[actix_web::test]
async fn a_tenant_admin_cannot_mint_for_another_tenant() {
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let other = app.tenant().await;
    let other_id = tenant_id_of(&app, &other.admin_token).await;
    let answer = app
        .post(
            "/api/v1/tokens",
            &acme.admin_token,
            &json!({"tenantId": other_id, "role": "tenant-admin"}),
        )
        .await;
    assert_eq!(answer.status, 404, "{}", answer.text);
    assert!(!answer.text.contains("\"token\""));
    let tokens = app
        .get(
            &format!("/api/v1/tokens?tenantId={other_id}"),
            &app.system_token,
        )
        .await;
    assert_eq!(
        tokens.body["items"].as_array().unwrap().len(),
        1,
        "nothing minted: {}",
        tokens.text
    );
}

#[actix_web::test]
async fn only_tenant_roles_can_be_minted() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for role in [json!("system-admin"), json!("owner"), json!(3)] {
        let answer = app
            .post(
                "/api/v1/tokens",
                &tenant.admin_token,
                &json!({"role": role}),
            )
            .await;
        assert_eq!(answer.status, 422, "{role}: {}", answer.text);
        assert_eq!(answer.pointers(), vec!["/role"], "{role}");
    }
    let missing = app
        .post("/api/v1/tokens", &tenant.admin_token, &json!({}))
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.pointers(), vec!["/role"]);
    assert_eq!(missing.body["errors"][0]["code"], "required");
}

#[actix_web::test]
async fn a_system_admin_must_name_an_existing_tenant() {
    let app = spawn_app().await;
    let missing = app
        .post(
            "/api/v1/tokens",
            &app.system_token,
            &json!({"role": "tenant-admin"}),
        )
        .await;
    assert_eq!(missing.status, 422, "{}", missing.text);
    assert_eq!(missing.pointers(), vec!["/tenantId"]);
    let unknown = app
        .post(
            "/api/v1/tokens",
            &app.system_token,
            &json!({"tenantId": "0193a1d2-7b8c-7d00-8000-000000000001", "role": "tenant-admin"}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert_eq!(unknown.pointers(), vec!["/tenantId"]);
}

#[actix_web::test]
async fn ou_ids_that_do_not_exist_in_the_tenant_are_named() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let answer = app
        .post(
            "/api/v1/tokens",
            &tenant.admin_token,
            &json!({"role": "tenant-user", "ouIds": [tenant.ou_id, "0193a1d2-7b8c-7d00-8000-000000000009", other.ou_id]}),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.pointers(), vec!["/ouIds/1", "/ouIds/2"]);
    assert_eq!(answer.body["errors"][0]["code"], "not_found");
    let tokens = app.get("/api/v1/tokens", &tenant.admin_token).await;
    assert_eq!(
        tokens.body["items"].as_array().unwrap().len(),
        1,
        "nothing minted"
    );
}

#[actix_web::test]
async fn a_bad_role_and_unknown_ous_are_named_at_once() {
    // R-API-2: every failing field, all at once.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let answer = app
        .post(
            "/api/v1/tokens",
            &tenant.admin_token,
            &json!({"role": "boss", "ouIds": ["0193a1d2-7b8c-7d00-8000-000000000009"]}),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.pointers(), vec!["/role", "/ouIds/0"]);
}

#[actix_web::test]
async fn the_token_list_never_shows_a_token() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let minted = app
        .post(
            "/api/v1/tokens",
            &tenant.admin_token,
            &json!({"role": "tenant-user", "ouIds": [tenant.ou_id]}),
        )
        .await;
    let user_token = minted.body["token"].as_str().unwrap().to_owned();
    let list = app.get("/api/v1/tokens", &tenant.admin_token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        assert!(item.get("token").is_none(), "{item}");
        assert!(item["prefix"].as_str().unwrap().len() < 12);
    }
    for secret in [&user_token, &tenant.admin_token] {
        assert!(!list.text.contains(secret.as_str()));
        assert!(
            !list.text.contains(&secret[8..]),
            "not even the part after the prefix"
        );
    }
    let system_list = app.get("/api/v1/tokens", &app.system_token).await;
    assert!(!system_list.text.contains(&app.system_token[8..]));
}

#[actix_web::test]
async fn a_tenant_admin_lists_only_its_tenants_tokens() {
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let other = app.tenant().await;
    let acme_id = tenant_id_of(&app, &acme.admin_token).await;
    let list = app.get("/api/v1/tokens", &other.admin_token).await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items.iter().all(|t| t["tenantId"] != acme_id.as_str()));
    // Asking for another tenant's tokens does not widen the view.
    let sneaky = app
        .get(
            &format!("/api/v1/tokens?tenantId={acme_id}"),
            &other.admin_token,
        )
        .await;
    assert!(
        sneaky.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["tenantId"] != acme_id.as_str()),
        "{}",
        sneaky.text
    );
}

#[actix_web::test]
async fn a_revoked_token_is_refused_at_once() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let minted = app
        .post(
            "/api/v1/tokens",
            &tenant.admin_token,
            &json!({"role": "tenant-admin"}),
        )
        .await;
    let token = minted.body["token"].as_str().unwrap().to_owned();
    // Used once, so a cache would know it.
    assert_eq!(app.get("/api/v1/ous", &token).await.status, 200);
    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", minted.id()),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    let after = app.get("/api/v1/ous", &token).await;
    assert_eq!(after.status, 401);
    assert_eq!(after.problem_code(), "unauthenticated");
    let list = app.get("/api/v1/tokens", &tenant.admin_token).await;
    let listed = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == minted.id().as_str())
        .cloned();
    assert!(listed.expect("still listed")["revokedAt"].is_string());
    let again = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", minted.id()),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(again.status, 404);
    assert_eq!(
        app.get("/api/v1/ous", &tenant.admin_token).await.status,
        200,
        "other tokens still work"
    );
}

#[actix_web::test]
async fn a_tenant_admin_cannot_revoke_another_tenants_token() {
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let other = app.tenant().await;
    let other_tokens = app.get("/api/v1/tokens", &other.admin_token).await;
    let other_token_id = other_tokens.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{other_token_id}"),
            &acme.admin_token,
            None,
        )
        .await;
    assert_eq!(answer.status, 404);
    assert_eq!(app.get("/api/v1/ous", &other.admin_token).await.status, 200);
}

#[actix_web::test]
async fn a_tenant_user_cannot_mint_list_or_revoke_tokens() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let minted = app
        .post(
            "/api/v1/tokens",
            &tenant.admin_token,
            &json!({"role": "tenant-user", "ouIds": [tenant.ou_id]}),
        )
        .await;
    let user = minted.body["token"].as_str().unwrap().to_owned();
    let mint = app
        .post("/api/v1/tokens", &user, &json!({"role": "tenant-user"}))
        .await;
    assert_eq!(mint.status, 403);
    assert_eq!(mint.problem_code(), "forbidden");
    assert_eq!(app.get("/api/v1/tokens", &user).await.status, 403);
    let revoke = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", minted.id()),
            &user,
            None,
        )
        .await;
    assert!(
        revoke.status == 403 || revoke.status == 404,
        "{}",
        revoke.status
    );
    assert_eq!(
        app.get("/api/v1/called-routes", &user).await.status,
        200,
        "still valid"
    );
}

/// The ids of the active system administrator tokens.
async fn active_system_token_ids(app: &crate::helpers::TestApp, token: &str) -> Vec<String> {
    let list = app.get("/api/v1/tokens", token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["revokedAt"].is_null())
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn the_last_system_admin_token_cannot_be_revoked() {
    let app = spawn_app().await;
    let ids = active_system_token_ids(&app, &app.system_token).await;
    assert_eq!(ids.len(), 1);
    let refused = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", ids[0]),
            &app.system_token,
            None,
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.problem_code(), "last_system_admin");
    assert!(
        refused.body["detail"].as_str().unwrap().contains("last"),
        "{}",
        refused.text
    );
    assert_eq!(
        app.get("/api/v1/tenants", &app.system_token).await.status,
        200,
        "the token still works"
    );

    // With a second one, either may go; then the other is the last again.
    let second = app.mint_system_token().await;
    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", ids[0]),
            &second,
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    let left = active_system_token_ids(&app, &second).await;
    assert_eq!(left.len(), 1);
    let refused = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", left[0]),
            &second,
            None,
        )
        .await;
    assert_eq!(refused.status, 409);
}

#[actix_web::test]
async fn system_admins_revoking_each_other_at_once_leave_one() {
    let app = spawn_app().await;
    let tokens = [
        app.system_token.clone(),
        app.mint_system_token().await,
        app.mint_system_token().await,
    ];
    let ids = active_system_token_ids(&app, &app.system_token).await;
    assert_eq!(ids.len(), 3);
    // Every token revokes every token, itself included, all at once.
    let calls: Vec<(&str, String)> = tokens
        .iter()
        .flat_map(|token| {
            ids.iter()
                .map(move |id| (token.as_str(), format!("/api/v1/tokens/{id}")))
        })
        .collect();
    let answers = futures_util::future::join_all(
        calls
            .iter()
            .map(|(token, path)| app.call(Method::DELETE, path, token, None)),
    )
    .await;
    let revoked = answers.iter().filter(|a| a.status == 204).count();
    assert_eq!(
        revoked,
        2,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for answer in answers.iter().filter(|a| a.status != 204) {
        assert!(
            [401, 404, 409].contains(&answer.status.as_u16()),
            "{}",
            answer.text
        );
    }
    // A token's own request racing its revocation may cache it again on this instance for
    // the cache's two seconds; after that only the database decides.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let survivor: Vec<_> =
        futures_util::future::join_all(tokens.iter().map(|t| app.get("/api/v1/tenants", t))).await;
    assert_eq!(
        survivor.iter().filter(|a| a.status == 200).count(),
        1,
        "exactly one system token still works"
    );
}
