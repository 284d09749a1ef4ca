//! The audit trail (issue 17): every change through the API leaves exactly one event with
//! its actor and, for an edit, its field-level changes; a refused or rolled-back change
//! leaves none; tenants see only their own trail and tenant users only their channels';
//! pages run newest first; no secret is in the trail, as stored or as served; events past
//! their retention are deleted by the service.

use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};
use xchannel_tests::fake_x::{FakeAccount, FakeX};

use crate::helpers::{
    free_port, on_postgres, spawn_app, spawn_app_with, Answer, SpawnOptions, Tenant, TestApp,
    XCredentials,
};
use crate::secrets::{rows_as_text, shown_form};

const ISRG_ROOT_X1: &str = include_str!("../../../crates/x-connector/tests/data/isrg-root-x1.pem");

/// Every event the token sees for `query`, all pages followed, newest first.
async fn events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    events_at(app, token, "/api/v1/audit-events", query).await
}

async fn events_at(app: &TestApp, token: &str, path: &str, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}?limit=200{query}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page = app.get(&url, token).await;
        assert_eq!(page.status, 200, "{url}: {}", page.text);
        all.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return all,
        }
    }
}

/// The one event of `action` about `resource_id`; fails unless there is exactly one.
async fn the_event(app: &TestApp, action: &str, resource_id: &str) -> Value {
    let found = events(
        app,
        &app.system_token,
        &format!("&action={action}&resourceId={resource_id}"),
    )
    .await;
    assert_eq!(found.len(), 1, "one {action} of {resource_id}: {found:#?}");
    found.into_iter().next().unwrap()
}

async fn count_rows(app: &TestApp) -> i64 {
    let db = Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_events",
        ))
        .await
        .unwrap()
        .unwrap();
    db.close().await.ok();
    row.try_get::<i64>("", "n").unwrap()
}

fn token_id_of(minted: &Answer) -> String {
    minted.body["id"].as_str().unwrap().to_owned()
}

/// The actor of an event made with the token minted as `minted`.
fn actor_of(minted: &Answer) -> Value {
    json!({
        "type": "token",
        "tokenId": minted.body["id"],
        "label": minted.body["label"],
        "role": minted.body["role"],
    })
}

/// The id of the system token of the test app (minted by the CLI path at start).
async fn system_token_id(app: &TestApp) -> String {
    let minted = events(app, &app.system_token, "&action=token.minted&actor=cli").await;
    assert_eq!(minted.len(), 1, "{minted:#?}");
    minted[0]["resource"]["id"].as_str().unwrap().to_owned()
}

fn pointers(event: &Value) -> Vec<&str> {
    event["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["pointer"].as_str().unwrap())
        .collect()
}

fn change<'a>(event: &'a Value, pointer: &str) -> &'a Value {
    event["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["pointer"] == pointer)
        .unwrap_or_else(|| panic!("no change at {pointer}: {event:#}"))
}

#[actix_web::test]
async fn each_change_of_settings_leaves_exactly_one_event_with_its_actor_and_changes() {
    let app = spawn_app().await;
    let system = json!({"type": "token", "tokenId": system_token_id(&app).await, "label": null, "role": "system-admin"});

    let tenant = app
        .call_with(
            Method::POST,
            "/api/v1/tenants",
            &app.system_token,
            Some(&json!({"name": format!("Audit {}", &uuid::Uuid::new_v4().simple().to_string()[..8])})),
            &[("x-request-id", "audit-test-request-1")],
        )
        .await;
    assert_eq!(tenant.status, 201, "{}", tenant.text);
    let tenant_id = tenant.id();
    let created = the_event(&app, "tenant.created", &tenant_id).await;
    assert_eq!(created["actor"], system);
    assert_eq!(created["tenantId"], tenant_id.as_str());
    assert_eq!(created["requestId"], "audit-test-request-1");
    assert_eq!(
        created["resource"],
        json!({"type": "tenant", "id": tenant_id, "name": tenant.body["name"]})
    );
    assert_eq!(created["changes"], json!([]));

    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{tenant_id}"),
            &app.system_token,
            Some(&json!({"timeZone": "Europe/Paris"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let updated = the_event(&app, "tenant.updated", &tenant_id).await;
    assert_eq!(
        updated["changes"],
        json!([{"pointer": "/timeZone", "before": "UTC", "after": "Europe/Paris"}])
    );

    let minted = app
        .post(
            "/api/v1/tokens",
            &app.system_token,
            &json!({"tenantId": tenant_id, "role": "tenant-admin", "label": "Audit admin"}),
        )
        .await;
    assert_eq!(minted.status, 201, "{}", minted.text);
    let admin_token = minted.body["token"].as_str().unwrap().to_owned();
    let admin = actor_of(&minted);
    assert_eq!(admin["label"], "Audit admin");
    let event = the_event(&app, "token.minted", &token_id_of(&minted)).await;
    assert_eq!(event["actor"], system);
    assert_eq!(event["tenantId"], tenant_id.as_str());
    assert_eq!(event["resource"]["name"], "Audit admin");

    let ou = app.ou(&admin_token, "Audited OU", None).await;
    assert_eq!(the_event(&app, "ou.created", &ou).await["actor"], admin);
    let route = app
        .route(&admin_token, "audited_queue", "multimedia", &ou)
        .await;
    let event = the_event(&app, "calledRoute.created", &route).await;
    assert_eq!(event["actor"], admin);
    assert_eq!(event["resource"]["name"], "audited_queue");

    let t = Tenant {
        id: tenant_id.clone(),
        admin_token: admin_token.clone(),
        ou_id: ou.clone(),
        queue_id: route.clone(),
    };
    let credentials = XCredentials::unique();
    let body = t.channel_body("audited_channel", &credentials);
    let channel = app.post("/api/v1/channels", &admin_token, &body).await;
    assert_eq!(channel.status, 201, "{}", channel.text);
    let channel_id = channel.id();
    let event = the_event(&app, "channel.created", &channel_id).await;
    assert_eq!(event["actor"], admin);
    assert_eq!(
        event["resource"],
        json!({"type": "channel", "id": channel_id, "name": "audited_channel"})
    );

    // "Who switched this channel to SHA-1?", with a secret rotated in the same edit.
    let mut edit = body.clone();
    edit["x"]["signatureAlgorithm"] = json!("SHA-1");
    edit["x"]["apiKeySecret"] = json!(format!("rotated{}", credentials.api_key_secret));
    edit["transferKeywords"] = json!(["agent", "human"]);
    let put = app.put_channel(&admin_token, &channel_id, &edit, 1).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let event = the_event(&app, "channel.updated", &channel_id).await;
    assert_eq!(event["actor"], admin);
    assert_eq!(
        pointers(&event),
        [
            "/transferKeywords",
            "/x/signatureAlgorithm",
            "/x/apiKeySecret"
        ]
    );
    assert_eq!(
        change(&event, "/x/signatureAlgorithm"),
        &json!({"pointer": "/x/signatureAlgorithm", "before": "SHA-256", "after": "SHA-1"})
    );
    assert_eq!(
        change(&event, "/transferKeywords"),
        &json!({"pointer": "/transferKeywords", "before": ["agent"], "after": ["agent", "human"]})
    );
    assert_eq!(
        change(&event, "/x/apiKeySecret"),
        &json!({"pointer": "/x/apiKeySecret", "changed": true, "hint": put.body["credentials"]["apiKeySecret"]})
    );

    // A merge patch is an edit too, with its own event.
    let patch = app
        .client
        .patch(format!("{}/api/v1/channels/{channel_id}", app.base))
        .bearer_auth(&admin_token)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", "\"2\"")
        .body(r#"{"callTransferInteractionTimes": 5}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    let edits = events(
        &app,
        &admin_token,
        &format!("&action=channel.updated&resourceId={channel_id}"),
    )
    .await;
    assert_eq!(edits.len(), 2);
    assert_eq!(
        edits[0]["changes"],
        json!([{"pointer": "/callTransferInteractionTimes", "before": 3, "after": 5}])
    );

    let calendar = app
        .call(
            Method::PUT,
            "/api/v1/service-calendar",
            &admin_token,
            Some(&json!({"nonWorkingDays": ["2026-12-25", "2027-01-01"]})),
        )
        .await;
    assert_eq!(calendar.status, 200, "{}", calendar.text);
    let event = the_event(&app, "serviceCalendar.replaced", &tenant_id).await;
    assert_eq!(event["actor"], admin);
    assert_eq!(
        event["changes"],
        json!([{"pointer": "/nonWorkingDays", "before": [], "after": ["2026-12-25", "2027-01-01"]}])
    );

    let certificate = app
        .post(
            "/api/v1/certificates",
            &app.system_token,
            &json!({"name": "X roots", "pem": ISRG_ROOT_X1}),
        )
        .await;
    assert_eq!(certificate.status, 201, "{}", certificate.text);
    let certificate_id = certificate.id();
    let event = the_event(&app, "certificate.created", &certificate_id).await;
    assert_eq!(event["tenantId"], Value::Null);
    let removed = app
        .call(
            Method::DELETE,
            &format!("/api/v1/certificates/{certificate_id}"),
            &app.system_token,
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    the_event(&app, "certificate.deleted", &certificate_id).await;

    for (path, action, id) in [
        (
            format!("/api/v1/channels/{channel_id}"),
            "channel.deleted",
            &channel_id,
        ),
        (
            format!("/api/v1/called-routes/{route}"),
            "calledRoute.deleted",
            &route,
        ),
        (format!("/api/v1/ous/{ou}"), "ou.deleted", &ou),
    ] {
        let deleted = app.call(Method::DELETE, &path, &admin_token, None).await;
        assert_eq!(deleted.status, 204, "{path}: {}", deleted.text);
        let event = the_event(&app, action, id).await;
        assert_eq!(event["actor"], admin, "{action}");
        assert_eq!(event["tenantId"], tenant_id.as_str(), "{action}");
    }

    let user = app
        .post(
            "/api/v1/tokens",
            &admin_token,
            &json!({"role": "tenant-user", "label": "Night shift"}),
        )
        .await;
    assert_eq!(user.status, 201, "{}", user.text);
    assert_eq!(
        the_event(&app, "token.minted", &token_id_of(&user)).await["actor"],
        admin
    );
    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", token_id_of(&user)),
            &admin_token,
            None,
        )
        .await;
    assert_eq!(revoked.status, 204);
    let event = the_event(&app, "token.revoked", &token_id_of(&user)).await;
    assert_eq!(event["actor"], admin);
    assert_eq!(event["resource"]["name"], "Night shift");

    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tenants/{tenant_id}"),
            &app.system_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(
        the_event(&app, "tenant.deleted", &tenant_id).await["actor"],
        system
    );
    // The trail outlives the tenant it tells of.
    let trail = events(&app, &app.system_token, &format!("&tenantId={tenant_id}")).await;
    assert_eq!(trail.len(), 15, "{trail:#?}");
}

#[actix_web::test]
async fn a_refused_or_rolled_back_change_leaves_no_event() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, credentials) = tenant.create_channel(&app, "refusals").await;
    let id = created.id();
    let before = count_rows(&app).await;

    // 422: a rule broken.
    let mut bad = tenant.channel_body("refusals", &credentials);
    bad["name"] = json!("9starts_with_a_digit");
    assert_eq!(
        app.put_channel(&tenant.admin_token, &id, &bad, 1)
            .await
            .status,
        422
    );
    let bad_create = app
        .post("/api/v1/channels", &tenant.admin_token, &bad)
        .await;
    assert_eq!(bad_create.status, 422);
    // 409: the name of another channel.
    let (_, other) = tenant.create_channel(&app, "refusals_other").await;
    let before = before + 1;
    let taken = tenant.channel_body("refusals", &other);
    let conflict = app
        .post("/api/v1/channels", &tenant.admin_token, &taken)
        .await;
    assert_eq!(conflict.status, 409, "{}", conflict.text);
    // 412: an edit from a stale version, a delete at a stale version.
    let body = tenant.channel_body("refusals", &credentials);
    assert_eq!(
        app.put_channel(&tenant.admin_token, &id, &body, 7)
            .await
            .status,
        412
    );
    let stale_delete = app
        .call_with(
            Method::DELETE,
            &format!("/api/v1/channels/{id}"),
            &tenant.admin_token,
            None,
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(stale_delete.status, 412);
    // 409 after the write: revoking the last system token is written, then rolled back.
    let own = system_token_id(&app).await;
    let last = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{own}"),
            &app.system_token,
            None,
        )
        .await;
    assert_eq!(last.status, 409, "{}", last.text);
    // 409: an OU still in use; 403: a tenant user may not edit.
    let in_use = app
        .call(
            Method::DELETE,
            &format!("/api/v1/ous/{}", tenant.ou_id),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(in_use.status, 409);
    let user = app.user_token(&tenant.admin_token, &[&tenant.ou_id]).await;
    let before = before + 1;
    assert_eq!(app.put_channel(&user, &id, &body, 1).await.status, 403);

    assert_eq!(
        count_rows(&app).await,
        before,
        "no event for a refused change"
    );
    assert!(events(&app, &app.system_token, "&action=token.revoked")
        .await
        .is_empty());
    assert!(events(
        &app,
        &app.system_token,
        &format!("&action=channel.updated&resourceId={id}")
    )
    .await
    .is_empty());
}

#[actix_web::test]
async fn each_tenant_sees_its_own_trail_and_a_tenant_user_only_its_channels() {
    let app = spawn_app().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    let other_ou = app.ou(&a.admin_token, "Elsewhere", None).await;
    let other_route = app
        .route(&a.admin_token, "elsewhere_queue", "multimedia", &other_ou)
        .await;
    let (mine, _) = a.create_channel(&app, "in_my_ou").await;
    let elsewhere = Tenant {
        id: a.id.clone(),
        admin_token: a.admin_token.clone(),
        ou_id: other_ou.clone(),
        queue_id: other_route,
    };
    let (theirs, _) = elsewhere.create_channel(&app, "in_another_ou").await;
    let (b_channel, _) = b.create_channel(&app, "of_tenant_b").await;

    let seen_by_a = events(&app, &a.admin_token, "").await;
    assert!(!seen_by_a.is_empty());
    assert!(
        seen_by_a.iter().all(|e| e["tenantId"] == a.id.as_str()),
        "{seen_by_a:#?}"
    );
    assert!(seen_by_a
        .iter()
        .any(|e| e["resource"]["id"] == theirs.id().as_str()));
    let seen_by_b = events(&app, &b.admin_token, "").await;
    assert!(seen_by_b.iter().all(|e| e["tenantId"] == b.id.as_str()));
    assert!(seen_by_b
        .iter()
        .any(|e| e["resource"]["id"] == b_channel.id().as_str()));

    // A tenant token does not see another tenant's trail, not even by naming it.
    assert!(events(&app, &a.admin_token, &format!("&tenantId={}", b.id))
        .await
        .is_empty());
    assert_eq!(
        events(&app, &a.admin_token, &format!("&tenantId={}", a.id)).await,
        seen_by_a
    );
    let history = app
        .get(
            &format!("/api/v1/channels/{}/history", b_channel.id()),
            &a.admin_token,
        )
        .await;
    assert_eq!(history.status, 404);

    // The user of one OU sees the events of that OU's channels, and nothing else.
    let user = app.user_token(&a.admin_token, &[&a.ou_id]).await;
    let seen_by_user = events(&app, &user, "").await;
    assert_eq!(seen_by_user.len(), 1, "{seen_by_user:#?}");
    assert_eq!(seen_by_user[0]["action"], "channel.created");
    assert_eq!(seen_by_user[0]["resource"]["id"], mine.id().as_str());
    let history = events_at(
        &app,
        &user,
        &format!("/api/v1/channels/{}/history", mine.id()),
        "",
    )
    .await;
    assert_eq!(history, seen_by_user);
    let hidden = app
        .get(&format!("/api/v1/channels/{}/history", theirs.id()), &user)
        .await;
    assert_eq!(hidden.status, 404);

    // The system administrator sees every tenant, and one when it asks.
    let all = events(&app, &app.system_token, "").await;
    assert!(all.iter().any(|e| e["tenantId"] == a.id.as_str()));
    assert!(all.iter().any(|e| e["tenantId"] == b.id.as_str()));
    let only_b = events(&app, &app.system_token, &format!("&tenantId={}", b.id)).await;
    assert_eq!(only_b, seen_by_b);
    let no_tenant = app
        .get(
            &format!("/api/v1/channels/{}/history", mine.id()),
            &app.system_token,
        )
        .await;
    assert_eq!(no_tenant.status, 403);
}

#[actix_web::test]
async fn the_trail_pages_newest_first_and_filters_by_each_field() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let started = chrono::Utc::now();
    let mut ous = Vec::new();
    for i in 0..5 {
        ous.push(
            app.ou(&tenant.admin_token, &format!("Page {i}"), None)
                .await,
        );
    }
    let ended = chrono::Utc::now();

    // Pages of two, newest first, each event once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/api/v1/audit-events?resourceType=ou&limit=2{cursor}"),
                &tenant.admin_token,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|e| e["resource"]["id"].as_str().unwrap().to_owned()),
        );
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let mut newest_first: Vec<String> = std::iter::once(tenant.ou_id.clone())
        .chain(ous.clone())
        .collect();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let all = events(&app, &tenant.admin_token, "").await;
    let times: Vec<&str> = all.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> =
        times.iter().map(|t| t.parse().unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    // Each filter.
    let one = events(
        &app,
        &tenant.admin_token,
        &format!("&resourceId={}", ous[2]),
    )
    .await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["action"], "ou.created");
    let by_action = events(&app, &tenant.admin_token, "&action=calledRoute.created").await;
    assert_eq!(by_action.len(), 1);
    assert_eq!(by_action[0]["resource"]["id"], tenant.queue_id.as_str());
    let admin_id = all.iter().find(|e| e["action"] == "ou.created").unwrap()["actor"]["tokenId"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_admin = events(&app, &tenant.admin_token, &format!("&actor={admin_id}")).await;
    assert_eq!(by_admin.len(), 7, "six OUs and a route: {by_admin:#?}");
    let system_id = system_token_id(&app).await;
    let by_system_admin = events(&app, &tenant.admin_token, &format!("&actor={system_id}")).await;
    let actions: Vec<&str> = by_system_admin
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["token.minted", "tenant.created"]);
    let by_service = events(&app, &tenant.admin_token, "&actor=system").await;
    assert!(
        by_service.is_empty(),
        "the service changed nothing: {by_service:#?}"
    );
    let by_cli = events(&app, &app.system_token, "&actor=cli").await;
    assert_eq!(by_cli.len(), 1, "the test's system token");
    assert_eq!(by_cli[0]["actor"], json!({"type": "cli"}));
    let from = started.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let to = ended.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let window = events(&app, &tenant.admin_token, &format!("&from={from}&to={to}"))
        .await
        .into_iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let mut five = ous.clone();
    five.reverse();
    assert_eq!(window, five);
    let before = events(&app, &tenant.admin_token, &format!("&to={from}")).await;
    assert_eq!(before.len(), all.len() - 5);

    // Bad filters: one 400 naming each.
    let bad = app
        .get(
            "/api/v1/audit-events?resourceType=planet&resourceId=nope&action=channel.eaten&actor=someone&from=yesterday&to=2026-13-01&limit=0&cursor=a%20b",
            &tenant.admin_token,
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let mut named = bad.pointers();
    named.sort();
    assert_eq!(
        named,
        [
            "/query/action",
            "/query/actor",
            "/query/cursor",
            "/query/from",
            "/query/limit",
            "/query/resourceId",
            "/query/resourceType",
            "/query/to"
        ]
    );
    let backwards = app
        .get(
            &format!("/api/v1/audit-events?from={to}&to={from}"),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(backwards.status, 200, "an empty window: {}", backwards.text);
    assert_eq!(backwards.body["items"], json!([]));
    let unknown = app
        .get("/api/v1/audit-events?verb=x", &tenant.admin_token)
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.pointers(), ["/query/verb"]);
}

#[actix_web::test]
async fn no_secret_is_in_the_trail_as_stored_or_as_served() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, first) = tenant.create_channel(&app, "secret_keeper").await;
    let id = created.id();
    // Every credential rotated, then again with the API key alone.
    let second = XCredentials::unique();
    let put = app
        .put_channel(
            &tenant.admin_token,
            &id,
            &tenant.channel_body("secret_keeper", &second),
            1,
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let third = XCredentials::unique();
    let mut body = tenant.channel_body("secret_keeper", &second);
    body["x"]["apiKey"] = json!(third.api_key);
    let put = app.put_channel(&tenant.admin_token, &id, &body, 2).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let edits = events(&app, &tenant.admin_token, "&action=channel.updated").await;
    assert_eq!(
        pointers(&edits[1]),
        [
            "/x/apiKey",
            "/x/apiKeySecret",
            "/x/accessToken",
            "/x/accessTokenSecret"
        ]
    );
    assert!(edits[1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["changed"] == true && c.get("before").is_none() && c.get("after").is_none()));
    assert_eq!(pointers(&edits[0]), ["/x/apiKey"]);

    // An export with a compression password, downloaded and deleted.
    let password = format!("Zip-{}", uuid::Uuid::new_v4().simple());
    let export = app
        .post(
            "/api/v1/exports",
            &tenant.admin_token,
            &json!({"format": "csv", "compressionPassword": password}),
        )
        .await;
    assert_eq!(export.status, 202, "{}", export.text);
    let export_id = export.id();
    let started = Instant::now();
    loop {
        let task = app
            .get(&format!("/api/v1/exports/{export_id}"), &tenant.admin_token)
            .await;
        if task.body["status"] == "success" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{}", task.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let archive = app
        .client
        .get(format!("{}/api/v1/exports/{export_id}/archive", app.base))
        .bearer_auth(&tenant.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(archive.status(), 200);
    archive.bytes().await.unwrap();
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/exports/{export_id}"),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    for action in ["export.created", "export.downloaded", "export.deleted"] {
        let event = the_event(&app, action, &export_id).await;
        assert_eq!(event["tenantId"], tenant.id.as_str());
        assert_eq!(event["changes"], json!([]));
    }

    let mut secrets: Vec<String> = Vec::new();
    for c in [&first, &second, &third] {
        secrets.push(c.api_key.clone());
        secrets.extend(c.secrets().iter().map(|s| s.to_string()));
    }
    secrets.push(password);
    secrets.push(tenant.admin_token.clone());
    secrets.push(app.system_token.clone());

    let db = Database::connect(&app.database_url).await.unwrap();
    let stored = rows_as_text(&db, "audit_events").await.join("\n");
    db.close().await.ok();
    assert!(stored.contains("channel.updated") && stored.contains("export.downloaded"));
    let mut served = String::new();
    for token in [&app.system_token, &tenant.admin_token] {
        for path in [
            "/api/v1/audit-events",
            &format!("/api/v1/channels/{id}/history"),
        ] {
            let mut cursor = String::new();
            loop {
                let page = app.get(&format!("{path}?limit=1{cursor}"), token).await;
                if page.status == 403 {
                    break; // the system administrator reads no tenant's channel
                }
                assert_eq!(page.status, 200, "{}", page.text);
                served.push_str(&page.text);
                match page.body["nextCursor"].as_str() {
                    Some(next) => cursor = format!("&cursor={next}"),
                    None => break,
                }
            }
        }
    }
    assert!(served.contains("secret_keeper"));
    for secret in &secrets {
        assert_eq!(
            shown_form(&stored, secret),
            None,
            "{secret} stored in the trail"
        );
        assert_eq!(
            shown_form(&served, secret),
            None,
            "{secret} served from the trail"
        );
    }
}

const USER_ID: &str = "1000000000000000077";

#[actix_web::test]
async fn a_submit_and_its_outcome_are_recorded_the_outcome_by_the_service() {
    let fake = FakeX::start().await.unwrap();
    fake.allow_http_webhooks(true);
    let port = free_port();
    let app = spawn_app_with(SpawnOptions {
        bind: Some(format!("127.0.0.1:{port}")),
        public_url: format!("http://127.0.0.1:{port}"),
        x_api_base_url: Some(fake.base_url().to_owned()),
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    let known = XCredentials::unique();
    fake.add_app(&known.api_key, &known.api_key_secret);
    fake.add_account(FakeAccount {
        user_id: USER_ID.into(),
        name: "Support Desk".into(),
        username: "support_desk".into(),
        api_key: known.api_key.clone(),
        access_token: known.access_token.clone(),
        access_token_secret: known.access_token_secret.clone(),
    });
    let mut body = tenant.channel_body("goes_active", &known);
    body["x"]["accountLevel"] = json!("pro");
    let active = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(active.status, 201, "{}", active.text);
    let (unknown, _) = tenant.create_channel(&app, "fails_at_x").await;

    for id in [active.id(), unknown.id()] {
        let submitted = app
            .call(
                Method::POST,
                &format!("/api/v1/channels/{id}/integration"),
                &tenant.admin_token,
                None,
            )
            .await;
        assert_eq!(submitted.status, 202, "{}", submitted.text);
        let started = Instant::now();
        while app
            .get(
                &format!("/api/v1/channels/{id}/integration"),
                &tenant.admin_token,
            )
            .await
            .body["status"]
            == "verifying"
        {
            assert!(started.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let submit = the_event(&app, "integration.submitted", &active.id()).await;
    assert_eq!(submit["actor"]["type"], "token");
    assert_eq!(submit["actor"]["role"], "tenant-admin");
    let activated = the_event(&app, "integration.activated", &active.id()).await;
    assert_eq!(activated["actor"], json!({"type": "system"}));
    assert_eq!(activated["requestId"], Value::Null);
    assert_eq!(
        activated["changes"],
        json!([{"pointer": "/status", "before": "verifying", "after": "active"}])
    );
    let failed = the_event(&app, "integration.failed", &unknown.id()).await;
    assert_eq!(failed["actor"], json!({"type": "system"}));
    let view = app
        .get(
            &format!("/api/v1/channels/{}/integration", unknown.id()),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(
        change(&failed, "/integration/lastError/code")["after"],
        view.body["lastError"]["code"]
    );
    // The history of a channel: its creation, the submit and the outcome, newest first.
    let history = events_at(
        &app,
        &tenant.admin_token,
        &format!("/api/v1/channels/{}/history", active.id()),
        "",
    )
    .await;
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "integration.activated",
            "integration.submitted",
            "channel.created"
        ]
    );
}

#[actix_web::test]
async fn events_past_their_retention_are_deleted_by_the_service_and_newer_ones_kept() {
    let app = spawn_app_with(SpawnOptions {
        audit_retention_interval: Some(Duration::from_millis(200)),
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    let old_id = uuid::Uuid::new_v4().to_string();
    let at = (chrono::Utc::now() - chrono::Duration::days(366)).to_rfc3339();
    let timestamp = match on_postgres() {
        true => format!("'{at}'::timestamptz"),
        false => format!("'{at}'"),
    };
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO audit_events (id, at, tenant_id, actor_type, action, resource_type, resource_id) \
         VALUES ('{old_id}', {timestamp}, '{}', 'system', 'ou.created', 'ou', '{old_id}')",
        tenant.id
    ))
    .await
    .unwrap();
    db.close().await.ok();
    let started = Instant::now();
    while !events(&app, &tenant.admin_token, &format!("&resourceId={old_id}"))
        .await
        .is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "an event 366 days old is still there"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    the_event(&app, "ou.created", &tenant.ou_id).await;
}
