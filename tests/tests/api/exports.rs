//! Export tasks (R-EXPORT): an archive of channel settings, AES-256 encrypted, opened by
//! another ZIP implementation (Python's pyzipper, `scripts/export-tools.sh`) and compared
//! field by field with the API's view; files of 2,000 records; the 100,000 limit; tenants
//! and OUs; expiry; a download from a second instance; a task whose instance died.

use std::{collections::HashMap, process::Command, sync::OnceLock, time::Duration};

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};
use xchannel::{
    auth::Role,
    config::Settings,
    routes::tokens,
    startup::Application,
    store::{leases, Store},
};

use crate::helpers::{fresh_settings, Answer, SpawnOptions, TestApp, XCredentials};

const PASSWORD: &str = "Export-2026";

/// The service on `settings`, with or without its workers.
async fn spawn_on(mut settings: Settings, workers: bool) -> TestApp {
    settings.workers.enabled = workers;
    let app = Application::build(settings.clone())
        .await
        .expect("the service starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.state().store.clone();
    actix_web::rt::spawn(app.run_until_stopped());
    let tx = store.write().await.unwrap();
    let system_token = tokens::mint(
        &tx,
        &xchannel::audit::Origin::cli(),
        None,
        Role::SystemAdmin,
        vec![],
        None,
    )
    .await
    .unwrap()
    .token;
    tx.commit().await.unwrap();
    TestApp {
        base,
        client: crate::helpers::http_client(),
        system_token,
        data_dir: settings.keys.data_dir.clone(),
        database_url: settings.database.url.clone(),
        settings,
    }
}

async fn spawn(workers: bool) -> (TestApp, Settings) {
    let settings = fresh_settings(SpawnOptions::default()).await;
    (spawn_on(settings.clone(), workers).await, settings)
}

async fn export(app: &TestApp, token: &str, body: &Value) -> Answer {
    app.post("/api/v1/exports", token, body).await
}

/// Asks for an export and waits until it succeeds.
async fn exported(app: &TestApp, token: &str, body: &Value) -> Value {
    let created = export(app, token, body).await;
    assert_eq!(created.status, 202, "{}", created.text);
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        format!("/api/v1/exports/{}", created.id())
    );
    let task = finished(app, token, &created.id()).await;
    assert_eq!(task["status"], "success", "{task}");
    task
}

/// Polls the task until it is `success` or `failed`.
async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let task = app.get(&format!("/api/v1/exports/{id}"), token).await;
        assert_eq!(task.status, 200, "{}", task.text);
        if task.body["status"] == "success" || task.body["status"] == "failed" {
            return task.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("export {id} did not finish in 60 s");
}

struct Download {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

async fn download(app: &TestApp, token: &str, id: &str) -> Download {
    let path = format!("/api/v1/exports/{id}/archive");
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap().to_vec();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    let text = match status.is_success() {
        true => String::new(),
        false => String::from_utf8_lossy(&bytes).into_owned(),
    };
    crate::spec::check_answer(&Method::GET, &path, status, content_type, &text);
    Download {
        status: status.as_u16(),
        headers,
        bytes,
    }
}

/// The python of the venv with pyzipper (installed once by scripts/export-tools.sh). A
/// missing tool fails the test: this check must not be skipped.
fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/export-tools.sh");
        let out = Command::new("bash")
            .arg(script)
            .output()
            .expect("bash runs scripts/export-tools.sh");
        assert!(
            out.status.success(),
            "scripts/export-tools.sh could not install pyzipper: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    })
}

/// Opens the archive with pyzipper: its entries, or the exit code when it cannot.
fn open_with_pyzipper(bytes: &[u8], password: &str) -> Result<Vec<Value>, i32> {
    let path = std::env::temp_dir().join(format!("export-{}.zip", uuid::Uuid::new_v4()));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/export/open_archive.py"
        ))
        .arg(&path)
        .arg(password)
        .output()
        .expect("python runs");
    std::fs::remove_file(&path).ok();
    match out.status.code() {
        Some(0) => {
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            Ok(doc["entries"].as_array().unwrap().clone())
        }
        code => {
            let code = code.unwrap_or(-1);
            assert_eq!(
                code,
                3,
                "pyzipper failed otherwise than on the password: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Err(code)
        }
    }
}

/// The records of every CSV entry, as maps from column to cell.
fn records(entries: &[Value]) -> Vec<HashMap<String, String>> {
    let mut out = Vec::new();
    for entry in entries {
        let rows = entry["rows"].as_array().expect("a CSV entry");
        let header: Vec<String> = rows[0]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        for row in &rows[1..] {
            let cells = row.as_array().unwrap();
            assert_eq!(cells.len(), header.len());
            out.push(
                header
                    .iter()
                    .cloned()
                    .zip(cells.iter().map(|c| c.as_str().unwrap().to_owned()))
                    .collect(),
            );
        }
    }
    out
}

/// What a cell holds for a value of the API's JSON (the documented form).
fn as_cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Every leaf of the channel's settings in the API's view, as dotted column names; lists
/// are leaves (one cell).
fn leaves(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let name = match prefix {
                    "" => key.clone(),
                    _ => format!("{prefix}.{key}"),
                };
                leaves(v, &name, out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

/// A channel whose every optional setting is on, with a comma in a text.
fn full_channel(tenant: &crate::helpers::Tenant, name: &str) -> (Value, XCredentials) {
    let credentials = XCredentials::unique();
    let mut body = tenant.channel_body(name, &credentials);
    body["nonWorkingTimeNotification"] = json!("Closed, back at 8.\nSee you");
    body["transferKeywords"] = json!(["agent", "human, please"]);
    body["more"] = json!({
        "lastAgentMode": {"enabled": true, "validHours": 24},
        "noCustomerReplyEnd": {"enabled": true, "timeoutSeconds": 600, "reminderSeconds": 300, "reminderText": "Still there?", "endText": "Bye"},
        "noAgentReplyTransfer": {"enabled": true, "timeoutSeconds": 120, "targetSkillQueueId": tenant.queue_id},
        "sessionTransfer": {"enabled": true, "allowedTargets": ["agent", "skillQueue"]}
    });
    (body, credentials)
}

#[actix_web::test]
async fn an_archive_opens_elsewhere_with_the_password_and_holds_every_field_but_no_secret() {
    let (app, _) = spawn(true).await;
    let tenant = app.tenant().await;
    let mut secrets = Vec::new();
    let mut views = HashMap::new();
    for name in ["alpha", "beta", "gamma"] {
        let (body, credentials) = full_channel(&tenant, name);
        let created = app
            .post("/api/v1/channels", &tenant.admin_token, &body)
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        secrets.extend(credentials.secrets().map(str::to_owned));
        secrets.push(credentials.api_key.clone());
        views.insert(created.id(), created.body);
    }
    // A plain one too: absent settings are empty cells.
    let (plain, credentials) = tenant.create_channel(&app, "delta").await;
    secrets.extend(credentials.secrets().map(str::to_owned));
    views.insert(plain.id(), plain.body);

    let task = exported(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD}),
    )
    .await;
    assert_eq!(task["channelCount"], 4);
    assert_eq!(task["progress"], 4);
    assert_eq!(task["fileCount"], 1);
    assert_eq!(task["format"], "csv");
    assert!(task["finishedAt"].is_string() && task["expiresAt"].is_string());
    let got = download(&app, &tenant.admin_token, task["id"].as_str().unwrap()).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.headers["content-type"], "application/zip");
    assert_eq!(
        got.headers["content-length"].to_str().unwrap(),
        got.bytes.len().to_string()
    );
    assert_eq!(task["archiveBytes"], got.bytes.len());
    let disposition = got.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"xchannel-export-"),
        "{disposition}"
    );

    let entries = open_with_pyzipper(&got.bytes, PASSWORD).expect("the password opens it");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["name"], "channels-0001.csv");
    assert_eq!(entries[0]["aesVendorVersion"], 2, "WinZip AE-2");
    assert_eq!(entries[0]["aesStrength"], 3, "AES-256");
    assert_eq!(open_with_pyzipper(&got.bytes, "Wrong-password1"), Err(3));

    // No secret anywhere in the decrypted bytes, nor in the archive itself.
    for entry in &entries {
        let plain = String::from_utf8(
            base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                entry["bytes"].as_str().unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        for secret in &secrets {
            assert!(
                !plain.contains(secret.as_str()),
                "a credential is in the archive"
            );
        }
    }
    let raw = String::from_utf8_lossy(&got.bytes);
    assert!(!raw.contains("alpha"), "entries are encrypted");

    // Every field compared with the API's view of the channel.
    let records = records(&entries);
    assert_eq!(records.len(), 4);
    for record in &records {
        let view = &views[&record["id"]];
        let mut settings = view.clone();
        for not_settings in [
            "id",
            "tenantId",
            "version",
            "status",
            "credentials",
            "integration",
            "warnings",
            "lastPullAt",
            "nextPullAt",
            "lastError",
            "lastDeliveryAt",
            "syncGaps",
            "sendBudget",
            "createdAt",
            "updatedAt",
        ] {
            settings.as_object_mut().unwrap().remove(not_settings);
        }
        let mut names = Vec::new();
        leaves(&settings, "", &mut names);
        for name in names.iter().chain(
            ["id", "status", "createdAt", "updatedAt"]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .iter(),
        ) {
            let cell = record
                .get(name)
                .unwrap_or_else(|| panic!("no column {name}"));
            let pointer = format!("/{}", name.replace('.', "/"));
            assert_eq!(
                cell,
                &as_cell(view.pointer(&pointer)),
                "{name} of {}",
                record["name"]
            );
        }
    }
}

/// Copies channel `source` `n` times with raw SQL (new ids, names and API keys): big
/// tenants without thousands of requests.
pub(crate) async fn clone_channels(app: &TestApp, source: &str, n: usize) {
    let db = Database::connect(&app.database_url).await.unwrap();
    let backend = db.get_database_backend();
    let mut done = 0;
    while done < n {
        let batch = (n - done).min(1000);
        let values: Vec<String> = (0..batch)
            .map(|_| {
                let id = uuid::Uuid::now_v7();
                format!("('{id}', 'copy_{0}', 'fp{0}')", id.simple())
            })
            .collect();
        let sql = format!(
            "INSERT INTO channels (id, tenant_id, name, channel_type, ou_id, skill_queue_id, \
             transfer_queue_id, account_level, status, status_detail, settings, api_key_fingerprint, \
             credentials, credential_hints, credentials_version, version, created_at, updated_at) \
             SELECT v.column1, c.tenant_id, v.column2, c.channel_type, c.ou_id, c.skill_queue_id, \
             c.transfer_queue_id, c.account_level, c.status, c.status_detail, c.settings, v.column3, \
             c.credentials, c.credential_hints, c.credentials_version, c.version, c.created_at, c.updated_at \
             FROM channels c, (VALUES {}) AS v WHERE c.id = '{source}'",
            values.join(", ")
        );
        db.execute(Statement::from_string(backend, sql))
            .await
            .unwrap();
        done += batch;
    }
    db.close().await.ok();
}

async fn sql(app: &TestApp, statement: &str) {
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared(statement).await.unwrap();
    db.close().await.ok();
}

async fn count_rows(app: &TestApp, table: &str, id: &str) -> i64 {
    let db = Database::connect(&app.database_url).await.unwrap();
    let column = if table == "export_chunks" {
        "task_id"
    } else {
        "id"
    };
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = '{id}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    db.close().await.ok();
    row.try_get::<i64>("", "n").unwrap()
}

#[actix_web::test]
async fn two_thousand_records_make_one_file_and_one_more_makes_two() {
    let (app, _) = spawn(true).await;
    let tenant = app.tenant().await;
    let (source, _) = tenant.create_channel(&app, "source").await;
    clone_channels(&app, &source.id(), 1999).await;
    let one = exported(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD}),
    )
    .await;
    assert_eq!(
        (one["channelCount"].as_i64(), one["fileCount"].as_i64()),
        (Some(2000), Some(1))
    );

    clone_channels(&app, &source.id(), 1).await;
    let two = exported(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD}),
    )
    .await;
    assert_eq!(
        (two["channelCount"].as_i64(), two["fileCount"].as_i64()),
        (Some(2001), Some(2))
    );
    let got = download(&app, &tenant.admin_token, two["id"].as_str().unwrap()).await;
    let entries = open_with_pyzipper(&got.bytes, PASSWORD).unwrap();
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["channels-0001.csv", "channels-0002.csv"]);
    let rows: Vec<usize> = entries
        .iter()
        .map(|e| e["rows"].as_array().unwrap().len() - 1)
        .collect();
    assert_eq!(rows, [2000, 1]);
}

#[actix_web::test]
async fn a_hundred_thousand_records_are_accepted_and_one_more_is_refused_with_the_count() {
    // No workers: the accepted task is not run here.
    let (app, _) = spawn(false).await;
    let tenant = app.tenant().await;
    let (source, _) = tenant.create_channel(&app, "source").await;
    clone_channels(&app, &source.id(), 99_999).await;
    let accepted = export(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD}),
    )
    .await;
    assert_eq!(accepted.status, 202, "{}", accepted.text);
    assert_eq!(accepted.body["channelCount"], 100_000);
    assert_eq!(accepted.body["status"], "pending");

    clone_channels(&app, &source.id(), 1).await;
    let refused = export(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD}),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.pointers(), ["/channelIds"]);
    assert!(refused.text.contains("100001"), "{}", refused.text);
    let list = app.get("/api/v1/exports", &tenant.admin_token).await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "nothing created"
    );
}

#[actix_web::test]
async fn a_weak_or_missing_password_and_unknown_ids_are_refused_and_the_password_never_shows() {
    let (app, _) = spawn(false).await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let (foreign, _) = other.create_channel(&app, "foreign").await;
    let (own, _) = tenant.create_channel(&app, "own").await;
    for weak in ["short1A", "alllowercase", "lowerUPPER", &"Aa1".repeat(43)] {
        let answer = export(
            &app,
            &tenant.admin_token,
            &json!({"compressionPassword": weak}),
        )
        .await;
        assert_eq!(answer.status, 422, "{weak}: {}", answer.text);
        assert_eq!(answer.pointers(), ["/compressionPassword"]);
        assert!(!answer.text.contains(weak));
    }
    let missing = export(&app, &tenant.admin_token, &json!({"format": "pdf"})).await;
    assert_eq!(missing.pointers(), ["/compressionPassword", "/format"]);
    let unknown = export(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD, "channelIds": [own.id(), foreign.id(), uuid::Uuid::now_v7().to_string()]}),
    )
    .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert_eq!(unknown.pointers(), ["/channelIds/1", "/channelIds/2"]);

    let created = export(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD, "format": "xlsx"}),
    )
    .await;
    assert_eq!(created.status, 202, "{}", created.text);
    assert!(!created.text.contains(PASSWORD));
    let stored = Database::connect(&app.database_url).await.unwrap();
    let row = stored
        .query_one(Statement::from_string(
            stored.get_database_backend(),
            format!(
                "SELECT password FROM export_tasks WHERE id = '{}'",
                created.id()
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(!row
        .try_get::<String>("", "password")
        .unwrap()
        .contains(PASSWORD));
    stored.close().await.ok();
    assert!(!crate::helpers::captured_logs().contains(PASSWORD));
}

#[actix_web::test]
async fn another_tenant_sees_no_task_and_an_ou_user_exports_only_its_ous() {
    let (app, _) = spawn(true).await;
    let tenant = app.tenant().await;
    let other = app.tenant().await;
    let sales = app.ou(&tenant.admin_token, "Sales", None).await;
    let (support_channel, _) = tenant.create_channel(&app, "support_dm").await;
    let credentials = XCredentials::unique();
    let mut body = tenant.channel_body("sales_dm", &credentials);
    body["ouId"] = json!(sales);
    let sales_channel = app
        .post("/api/v1/channels", &tenant.admin_token, &body)
        .await;
    assert_eq!(sales_channel.status, 201, "{}", sales_channel.text);

    let admin_task = exported(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD}),
    )
    .await;
    let admin_id = admin_task["id"].as_str().unwrap();
    assert_eq!(admin_task["channelCount"], 2);
    for path in [format!("/api/v1/exports/{admin_id}")] {
        assert_eq!(app.get(&path, &other.admin_token).await.status, 404);
    }
    assert_eq!(
        download(&app, &other.admin_token, admin_id).await.status,
        404
    );
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/exports/{admin_id}"),
            &other.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 404);
    let list = app.get("/api/v1/exports", &other.admin_token).await;
    assert_eq!(list.body["items"], json!([]));

    let user = app.user_token(&tenant.admin_token, &[&sales]).await;
    let refused = export(
        &app,
        &user,
        &json!({"compressionPassword": PASSWORD, "channelIds": [support_channel.id()]}),
    )
    .await;
    assert_eq!(refused.pointers(), ["/channelIds/0"]);
    let user_task = exported(&app, &user, &json!({"compressionPassword": PASSWORD})).await;
    assert_eq!(user_task["channelCount"], 1);
    let got = download(&app, &user, user_task["id"].as_str().unwrap()).await;
    let records = records(&open_with_pyzipper(&got.bytes, PASSWORD).unwrap());
    let names: Vec<&str> = records.iter().map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["sales_dm"]);
    // The user sees its own task only; the administrator sees both.
    assert_eq!(
        app.get(&format!("/api/v1/exports/{admin_id}"), &user)
            .await
            .status,
        404
    );
    let mine = app.get("/api/v1/exports", &user).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    let all = app.get("/api/v1/exports", &tenant.admin_token).await;
    let ids: Vec<&str> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [user_task["id"].as_str().unwrap(), admin_id],
        "newest first"
    );
}

#[actix_web::test]
async fn an_archive_downloads_from_a_second_instance_and_a_delete_removes_it() {
    let (app, settings) = spawn(true).await;
    // The second instance serves HTTP only: the archive is in the shared database.
    let second = spawn_on(settings, false).await;
    let tenant = app.tenant().await;
    tenant.create_channel(&app, "one").await;
    let task = exported(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD, "format": "xlsx"}),
    )
    .await;
    let id = task["id"].as_str().unwrap();
    let here = download(&app, &tenant.admin_token, id).await;
    let there = download(&second, &tenant.admin_token, id).await;
    assert_eq!(there.status, 200);
    assert_eq!(here.bytes, there.bytes);
    let entries = open_with_pyzipper(&there.bytes, PASSWORD).unwrap();
    assert_eq!(entries[0]["name"], "channels-0001.xlsx");
    let xlsx = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        entries[0]["bytes"].as_str().unwrap(),
    )
    .unwrap();
    assert!(xlsx.starts_with(b"PK"), "an xlsx file is a ZIP package");
    assert_eq!(
        entries[0]["xlsxSheets"],
        json!(["xl/worksheets/sheet1.xml"])
    );
    let texts: Vec<&str> = entries[0]["xlsxStrings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for expected in [
        "id",
        "x.accountLevel",
        "one",
        "enterprise",
        "SHA-256",
        "Please wait.",
    ] {
        assert!(
            texts.contains(&expected),
            "{expected} is a cell of the sheet: {texts:?}"
        );
    }

    let deleted = second
        .call(
            Method::DELETE,
            &format!("/api/v1/exports/{id}"),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        app.get(&format!("/api/v1/exports/{id}"), &tenant.admin_token)
            .await
            .status,
        404
    );
    assert_eq!(count_rows(&app, "export_chunks", id).await, 0);
}

#[actix_web::test]
async fn an_expired_task_is_gone_at_once_and_its_rows_are_deleted_by_the_service() {
    let (app, _) = spawn(true).await;
    let tenant = app.tenant().await;
    tenant.create_channel(&app, "one").await;
    let task = exported(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD}),
    )
    .await;
    let id = task["id"].as_str().unwrap();
    assert!(count_rows(&app, "export_chunks", id).await > 0);
    // As if XCHANNEL_EXPORT_TTL_HOURS had passed.
    let past = "2020-01-01 00:00:00+00:00";
    sql(
        &app,
        &format!("UPDATE export_tasks SET expires_at = '{past}' WHERE id = '{id}'"),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/exports/{id}"), &tenant.admin_token)
            .await
            .status,
        404
    );
    assert_eq!(download(&app, &tenant.admin_token, id).await.status, 404);
    sql(
        &app,
        &format!("UPDATE leases SET due_at = '{past}' WHERE kind = 'export' AND item = '{id}'"),
    )
    .await;
    for _ in 0..300 {
        if count_rows(&app, "export_tasks", id).await == 0 {
            assert_eq!(count_rows(&app, "export_chunks", id).await, 0);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the expired export was not deleted");
}

#[actix_web::test]
async fn a_task_whose_instance_died_is_taken_up_again_or_failed_never_left_running() {
    let (app, settings) = spawn(false).await;
    let tenant = app.tenant().await;
    tenant.create_channel(&app, "one").await;
    let taken = export(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD}),
    )
    .await;
    let given_up = export(
        &app,
        &tenant.admin_token,
        &json!({"compressionPassword": PASSWORD}),
    )
    .await;
    // A dead instance claimed both and got as far as `running`.
    let store = Store::open(&settings.database).await.unwrap();
    let tx = store.write().await.unwrap();
    let claimed = leases::claim_due(&tx, "export", "dead-instance", Duration::from_secs(1), 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 2);
    sql(&app, "UPDATE export_tasks SET status = 'running'").await;
    // The second one had been interrupted twice before already.
    sql(
        &app,
        &format!(
            "UPDATE leases SET attempts = 3 WHERE item = '{}'",
            given_up.id()
        ),
    )
    .await;
    store.close().await;

    // A live instance on the same database takes over once the leases expire.
    let live = spawn_on(settings, true).await;
    let done = finished(&live, &tenant.admin_token, &taken.id()).await;
    assert_eq!(done["status"], "success", "{done}");
    let failed = finished(&live, &tenant.admin_token, &given_up.id()).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("interrupted"),
        "{failed}"
    );
    assert_eq!(
        download(&live, &tenant.admin_token, &given_up.id())
            .await
            .status,
        409
    );
}
