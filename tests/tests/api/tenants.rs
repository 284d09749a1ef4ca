//! Tenants through HTTP: R-TENANT-1 (name, IANA time zone, OU isolation) and who may see them.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, TestApp};

/// The tenant a tenant token belongs to, as the token list shows it.
pub async fn tenant_id_of(app: &TestApp, admin_token: &str) -> String {
    let tokens = app.get("/api/v1/tokens", admin_token).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    tokens.body["items"][0]["tenantId"]
        .as_str()
        .expect("a tenant id")
        .to_owned()
}

/// A new tenant created with `body`, and a tenant administrator token for it.
pub async fn tenant_with(app: &TestApp, body: serde_json::Value) -> (String, String) {
    let tenant = app.post("/api/v1/tenants", &app.system_token, &body).await;
    assert_eq!(tenant.status, 201, "{}", tenant.text);
    let admin = app
        .post(
            "/api/v1/tokens",
            &app.system_token,
            &json!({"tenantId": tenant.id(), "role": "tenant-admin"}),
        )
        .await;
    assert_eq!(admin.status, 201, "{}", admin.text);
    (
        tenant.id(),
        admin.body["token"].as_str().unwrap().to_owned(),
    )
}

#[actix_web::test]
async fn a_system_admin_creates_a_tenant_with_utc_and_no_isolation_by_default() {
    // R-TENANT-1: isolation off and UTC unless told otherwise.
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"name": "Acme"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["name"], "Acme");
    assert_eq!(created.body["timeZone"], "UTC");
    assert_eq!(created.body["ouIsolation"], false);
    assert!(created.body["createdAt"].is_string() && created.body["updatedAt"].is_string());

    let read = app
        .get(
            &format!("/api/v1/tenants/{}", created.id()),
            &app.system_token,
        )
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created.body);
}

#[actix_web::test]
async fn a_tenant_keeps_the_time_zone_and_isolation_it_was_created_with() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"name": "Paris office", "timeZone": "Europe/Paris", "ouIsolation": true}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let read = app
        .get(
            &format!("/api/v1/tenants/{}", created.id()),
            &app.system_token,
        )
        .await;
    assert_eq!(read.body["timeZone"], "Europe/Paris");
    assert_eq!(read.body["ouIsolation"], true);
}

#[actix_web::test]
async fn a_time_zone_that_is_not_an_iana_name_is_refused() {
    let app = spawn_app().await;
    for zone in ["Mars/Olympus_Mons", "+02:00", "CEST"] {
        let answer = app
            .post(
                "/api/v1/tenants",
                &app.system_token,
                &json!({"name": "Acme", "timeZone": zone}),
            )
            .await;
        assert_eq!(answer.status, 422, "{zone}: {}", answer.text);
        assert_eq!(answer.problem_code(), "validation_failed");
        assert_eq!(answer.pointers(), vec!["/timeZone"], "{zone}");
    }
    let list = app.get("/api/v1/tenants", &app.system_token).await;
    assert_eq!(
        list.body["items"],
        json!([]),
        "a refused create stores nothing"
    );
}

#[actix_web::test]
async fn unknown_and_missing_fields_are_named_at_once() {
    // R-API-2: every failing field in one answer.
    let app = spawn_app().await;
    let answer = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"timezone": "UTC", "ouIsolation": "yes"}),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    let mut pointers = answer.pointers();
    pointers.sort();
    assert_eq!(pointers, vec!["/name", "/ouIsolation", "/timezone"]);
    let unknown = answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["pointer"] == "/timezone")
        .unwrap();
    assert_eq!(unknown["code"], "unknown_property");
}

#[actix_web::test]
async fn a_system_admin_lists_tenants_page_by_page() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for name in ["One", "Two", "Three"] {
        ids.push(
            app.post("/api/v1/tenants", &app.system_token, &json!({"name": name}))
                .await
                .id(),
        );
    }
    let first = app.get("/api/v1/tenants?limit=2", &app.system_token).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["nextCursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = app
        .get(
            &format!("/api/v1/tenants?limit=2&cursor={cursor}"),
            &app.system_token,
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert!(second.body["nextCursor"].is_null());
    let seen: Vec<_> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.body["items"].as_array().unwrap())
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, ids);
}

#[actix_web::test]
async fn patching_a_tenant_changes_only_the_fields_sent() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"name": "Acme"}),
        )
        .await;
    let path = format!("/api/v1/tenants/{}", created.id());
    let patched = app
        .call(
            Method::PATCH,
            &path,
            &app.system_token,
            Some(&json!({"timeZone": "Asia/Tokyo", "ouIsolation": true})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["name"], "Acme");
    assert_eq!(patched.body["timeZone"], "Asia/Tokyo");
    assert_eq!(patched.body["ouIsolation"], true);

    let renamed = app
        .call(
            Method::PATCH,
            &path,
            &app.system_token,
            Some(&json!({"name": "Acme Corp"})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let read = app.get(&path, &app.system_token).await;
    assert_eq!(read.body["name"], "Acme Corp");
    assert_eq!(read.body["timeZone"], "Asia/Tokyo");
    assert_eq!(read.body["ouIsolation"], true);
}

#[actix_web::test]
async fn a_refused_patch_changes_nothing() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"name": "Acme"}),
        )
        .await;
    let path = format!("/api/v1/tenants/{}", created.id());
    let answer = app
        .call(
            Method::PATCH,
            &path,
            &app.system_token,
            Some(&json!({"name": "New", "timeZone": "Nowhere/Town"})),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.pointers(), vec!["/timeZone"]);
    let unknown = app
        .call(
            Method::PATCH,
            &path,
            &app.system_token,
            Some(&json!({"name": "New", "id": "x"})),
        )
        .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.body["errors"][0]["code"], "unknown_property");
    assert_eq!(app.get(&path, &app.system_token).await.body["name"], "Acme");
}

#[actix_web::test]
async fn a_change_refuses_fields_sent_as_null() {
    // Leaving a field out keeps it; null is no name, no time zone, no setting (issue 12 item 9).
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"name": "Acme"}),
        )
        .await;
    let path = format!("/api/v1/tenants/{}", created.id());
    let body = json!({"name": null, "timeZone": null, "ouIsolation": null});
    let answer = app
        .call(Method::PATCH, &path, &app.system_token, Some(&body))
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(
        answer.pointers(),
        vec!["/name", "/timeZone", "/ouIsolation"]
    );
    assert!(answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["code"] == "invalid_type"));
    let read = app.get(&path, &app.system_token).await;
    assert_eq!(
        (read.body["name"].as_str(), read.body["timeZone"].as_str()),
        (Some("Acme"), Some("UTC"))
    );
}

#[actix_web::test]
async fn any_cursor_of_the_documented_form_is_a_place_in_the_list() {
    // A cursor is the sort key of the row a page starts after: one never issued still names
    // a place; one of another form is a bad parameter.
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for name in ["One", "Two", "Three"] {
        ids.push(
            app.post("/api/v1/tenants", &app.system_token, &json!({"name": name}))
                .await
                .id(),
        );
    }
    let after_first = app
        .get(
            &format!("/api/v1/tenants?cursor={}", ids[0]),
            &app.system_token,
        )
        .await;
    assert_eq!(after_first.status, 200, "{}", after_first.text);
    let listed: Vec<_> = after_first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(listed, vec![json!(ids[1]), json!(ids[2])]);
    let past_the_end = app
        .get("/api/v1/tenants?cursor=zzzz", &app.system_token)
        .await;
    assert_eq!(
        (past_the_end.status.as_u16(), &past_the_end.body["items"]),
        (200, &json!([]))
    );
    for bad in ["a%20b", "", "%C3%A9t%C3%A9"] {
        let answer = app
            .get(&format!("/api/v1/tenants?cursor={bad}"), &app.system_token)
            .await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.text);
        assert_eq!(answer.pointers(), vec!["/query/cursor"]);
    }
}

#[actix_web::test]
async fn a_system_admin_token_is_forbidden_inside_a_tenant() {
    // It holds no tenant: every tenant endpoint answers the documented 403.
    let app = spawn_app().await;
    let id = "0193a1d2-7b8c-7d00-8000-000000000001";
    for path in [
        "/api/v1/ous".to_owned(),
        format!("/api/v1/ous/{id}"),
        "/api/v1/called-routes".to_owned(),
        format!("/api/v1/called-routes/{id}"),
        "/api/v1/channels".to_owned(),
        format!("/api/v1/channels/{id}"),
        format!("/api/v1/channels/{id}/work-time"),
        "/api/v1/service-calendar".to_owned(),
    ] {
        let answer = app.get(&path, &app.system_token).await;
        assert_eq!(answer.status, 403, "{path}: {}", answer.text);
        assert_eq!(answer.problem_code(), "forbidden");
    }
}

#[actix_web::test]
async fn an_unknown_tenant_is_not_found() {
    let app = spawn_app().await;
    let missing = "0193a1d2-7b8c-7d00-8000-000000000001";
    assert_eq!(
        app.get(&format!("/api/v1/tenants/{missing}"), &app.system_token)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/api/v1/tenants/not-an-id", &app.system_token)
            .await
            .status,
        404
    );
    let patch = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{missing}"),
            &app.system_token,
            Some(&json!({"name": "X"})),
        )
        .await;
    assert_eq!(patch.status, 404);
}

#[actix_web::test]
async fn a_tenant_admin_cannot_create_list_or_patch_tenants() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let tenant_id = tenant_id_of(&app, &tenant.admin_token).await;
    let create = app
        .post(
            "/api/v1/tenants",
            &tenant.admin_token,
            &json!({"name": "Mine"}),
        )
        .await;
    assert_eq!(create.status, 403);
    assert_eq!(create.problem_code(), "forbidden");
    assert_eq!(
        app.get("/api/v1/tenants", &tenant.admin_token).await.status,
        403
    );
    let own = format!("/api/v1/tenants/{tenant_id}");
    let patch = app
        .call(
            Method::PATCH,
            &own,
            &tenant.admin_token,
            Some(&json!({"ouIsolation": true})),
        )
        .await;
    assert_eq!(patch.status, 403);
    assert_eq!(
        app.get(&own, &tenant.admin_token).await.body["ouIsolation"],
        false
    );
    let list = app.get("/api/v1/tenants", &app.system_token).await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "nothing was created"
    );
}

#[actix_web::test]
async fn a_tenant_token_reads_its_own_tenant_and_not_another() {
    let app = spawn_app().await;
    let acme = app.tenant().await;
    let other = app.tenant().await;
    let (acme_id, other_id) = (
        tenant_id_of(&app, &acme.admin_token).await,
        tenant_id_of(&app, &other.admin_token).await,
    );
    let own = app
        .get(&format!("/api/v1/tenants/{acme_id}"), &acme.admin_token)
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.body["id"], acme_id.as_str());
    let foreign = app
        .get(&format!("/api/v1/tenants/{other_id}"), &acme.admin_token)
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.problem_code(), "not_found");
}

#[actix_web::test]
async fn requests_without_a_valid_token_are_unauthenticated() {
    let app = spawn_app().await;
    let none = app.get("/api/v1/tenants", "").await;
    assert_eq!(none.status, 401);
    assert_eq!(none.problem_code(), "unauthenticated");
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    assert_eq!(app.get("/api/v1/tenants", "xch_made_up").await.status, 401);
    assert_eq!(
        app.get("/api/v1/tenants", "not-even-ours").await.status,
        401
    );
}

#[actix_web::test]
async fn tenant_names_are_unique_whatever_their_case_or_composition() {
    let app = spawn_app().await;
    let first = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"name": "Café Acme"}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    for same in ["café acme", "CAFE\u{301} ACME", "Café Acme"] {
        let again = app
            .post("/api/v1/tenants", &app.system_token, &json!({"name": same}))
            .await;
        assert_eq!(again.status, 409, "{same}: {}", again.text);
        assert_eq!(again.problem_code(), "tenant_name_taken");
    }
    let other = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"name": "Other"}),
        )
        .await;
    assert_eq!(other.status, 201);
    let renamed = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{}", other.id()),
            &app.system_token,
            Some(&json!({"name": "CAFÉ ACME"})),
        )
        .await;
    assert_eq!(renamed.status, 409, "{}", renamed.text);
    assert_eq!(renamed.problem_code(), "tenant_name_taken");
    // Renaming a tenant to its own name in another case is allowed.
    let recased = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{}", first.id()),
            &app.system_token,
            Some(&json!({"name": "CAFÉ ACME"})),
        )
        .await;
    assert_eq!(recased.status, 200, "{}", recased.text);
    let list = app.get("/api/v1/tenants", &app.system_token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    // A look-alike with an invisible character is refused, not a third tenant.
    let hidden = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"name": "Café\u{200B} Acme"}),
        )
        .await;
    assert_eq!(hidden.status, 422, "{}", hidden.text);
    assert_eq!(hidden.body["errors"][0]["code"], "invisible_character");
    // Stored in NFC: the decomposed spelling reads back composed.
    let decomposed = app
        .post(
            "/api/v1/tenants",
            &app.system_token,
            &json!({"name": "Re\u{301}sume\u{301}"}),
        )
        .await;
    assert_eq!(decomposed.status, 201, "{}", decomposed.text);
    assert_eq!(decomposed.body["name"], "Résumé");
}

#[actix_web::test]
async fn of_eight_concurrent_creations_of_one_name_one_makes_a_tenant() {
    let app = spawn_app().await;
    let body = json!({"name": "Twice"});
    let answers = futures_util::future::join_all(
        (0..8).map(|_| app.post("/api/v1/tenants", &app.system_token, &body)),
    )
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    assert!(answers
        .iter()
        .filter(|a| a.status == 409)
        .all(|a| a.problem_code() == "tenant_name_taken"));
    let list = app.get("/api/v1/tenants", &app.system_token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_tenant_with_channels_is_kept_and_its_counts_are_answered() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    tenant.create_channel(&app, "x_kept").await;
    let path = format!("/api/v1/tenants/{}", tenant.id);
    for query in ["", "?cascade=false"] {
        let refused = app
            .call(
                Method::DELETE,
                &format!("{path}{query}"),
                &app.system_token,
                None,
            )
            .await;
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert_eq!(refused.problem_code(), "tenant_in_use");
        assert_eq!(
            refused.body["counts"],
            json!({"channels": 1, "ous": 1, "calledRoutes": 1, "tokens": 1})
        );
    }
    assert_eq!(app.get(&path, &app.system_token).await.status, 200);
    assert_eq!(
        app.get("/api/v1/channels", &tenant.admin_token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad = app
        .call(
            Method::DELETE,
            &format!("{path}?cascade=yes"),
            &app.system_token,
            None,
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.pointers(), ["/query/cascade"]);
}

#[actix_web::test]
async fn a_cascading_delete_removes_everything_the_tenant_owns_and_its_tokens_stop_at_once() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let kept = app.tenant().await;
    tenant.create_channel(&app, "x_gone").await;
    kept.create_channel(&app, "x_kept").await;
    let child = app
        .post(
            "/api/v1/ous",
            &tenant.admin_token,
            &json!({"name": "Child", "parentId": tenant.ou_id}),
        )
        .await;
    assert_eq!(child.status, 201, "{}", child.text);
    let calendar = app
        .call(
            Method::PUT,
            "/api/v1/service-calendar",
            &tenant.admin_token,
            Some(&json!({"nonWorkingDays": ["2026-12-25"]})),
        )
        .await;
    assert_eq!(calendar.status, 200, "{}", calendar.text);
    // The token was just used, so it sits in the token cache.
    assert_eq!(
        app.get("/api/v1/channels", &tenant.admin_token)
            .await
            .status,
        200
    );
    let path = format!("/api/v1/tenants/{}", tenant.id);
    let deleted = app
        .call(
            Method::DELETE,
            &format!("{path}?cascade=true"),
            &app.system_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(
        app.get("/api/v1/channels", &tenant.admin_token)
            .await
            .status,
        401
    );
    assert_eq!(app.get(&path, &app.system_token).await.status, 404);
    let again = app
        .call(Method::DELETE, &path, &app.system_token, None)
        .await;
    assert_eq!(again.status, 404);
    let tokens = app
        .get(
            &format!("/api/v1/tokens?tenantId={}", tenant.id),
            &app.system_token,
        )
        .await;
    assert!(
        tokens.status == 404 || tokens.body["items"] == json!([]),
        "{}",
        tokens.text
    );
    // Nothing of it is left in the database; the other tenant keeps what it has.
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    for table in [
        "channels",
        "called_routes",
        "ous",
        "non_working_days",
        "api_tokens",
    ] {
        use sea_orm::ConnectionTrait;
        let count = |tenant: &str| {
            sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table} WHERE tenant_id = '{tenant}'"),
            )
        };
        let left = db.query_one(count(&tenant.id)).await.unwrap().unwrap();
        assert_eq!(left.try_get::<i64>("", "n").unwrap(), 0, "{table}");
        if table != "non_working_days" {
            let theirs = db.query_one(count(&kept.id)).await.unwrap().unwrap();
            assert!(theirs.try_get::<i64>("", "n").unwrap() > 0, "{table}");
        }
    }
    db.close().await.ok();
    let theirs = app.get("/api/v1/channels", &kept.admin_token).await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 1);
    // The name is free again.
    let name = app
        .get(&format!("/api/v1/tenants/{}", kept.id), &app.system_token)
        .await;
    assert_eq!(name.status, 200);
}

#[actix_web::test]
async fn a_tenant_without_channels_is_deleted_with_its_ous_and_tokens() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let path = format!("/api/v1/tenants/{}", tenant.id);
    let deleted = app
        .call(Method::DELETE, &path, &app.system_token, None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(
        app.get("/api/v1/ous", &tenant.admin_token).await.status,
        401
    );
    let tenant_admin_may_not = app.tenant().await;
    let refused = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tenants/{}", tenant_admin_may_not.id),
            &tenant_admin_may_not.admin_token,
            None,
        )
        .await;
    assert_eq!(refused.status, 403);
}

#[actix_web::test]
async fn the_tenant_names_migration_renames_later_duplicates_instead_of_failing() {
    use migrations::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, Database, Statement};
    let settings = crate::helpers::fresh_settings(Default::default()).await;
    if settings.database.is_sqlite() {
        std::fs::create_dir_all(&settings.keys.data_dir).unwrap();
    }
    let db = Database::connect(&settings.database.url).await.unwrap();
    Migrator::up(&db, Some(4)).await.unwrap();
    let backend = db.get_database_backend();
    for (id, name, at) in [
        (
            "0193a1d2-7b8c-7d00-8000-000000000001",
            "Acme",
            "2026-01-01T00:00:00Z",
        ),
        (
            "0193a1d2-7b8c-7d00-8000-000000000002",
            "ACME",
            "2026-01-02T00:00:00Z",
        ),
        (
            "0193a1d2-7b8c-7d00-8000-000000000003",
            "Acme (2)",
            "2026-01-03T00:00:00Z",
        ),
        (
            "0193a1d2-7b8c-7d00-8000-000000000004",
            "acme",
            "2026-01-04T00:00:00Z",
        ),
    ] {
        let at: sea_orm::prelude::ChronoDateTimeUtc = at.parse().unwrap();
        let insert = Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "INSERT INTO tenants (id, name, time_zone, ou_isolation, created_at, updated_at) \
                     VALUES ($1, $2, 'UTC', false, $3, $3)"
                }
                _ => {
                    "INSERT INTO tenants (id, name, time_zone, ou_isolation, created_at, updated_at) \
                     VALUES (?, ?, 'UTC', false, ?, ?)"
                }
            },
            match backend {
                sea_orm::DbBackend::Postgres => vec![id.into(), name.into(), at.into()],
                _ => vec![id.into(), name.into(), at.into(), at.into()],
            },
        );
        db.execute(insert).await.unwrap();
    }
    Migrator::up(&db, None)
        .await
        .expect("the migration copes with duplicates");
    let rows = db
        .query_all(Statement::from_string(
            backend,
            "SELECT name FROM tenants ORDER BY id",
        ))
        .await
        .unwrap();
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect();
    assert_eq!(names, ["Acme", "ACME (3)", "Acme (2)", "acme (4)"]);
    db.close().await.ok();
}
