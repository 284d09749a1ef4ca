//! R-CRED-3: credentials never appear in a response, a log line or the database.

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

use xchannel::{
    config::{Options, Secret, Settings},
    startup::Application,
};

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

use crate::helpers::{
    captured_logs, on_postgres, spawn_app, Answer, TestApp, XCredentials, MASTER_KEY,
};

/// Every table of the database, as the database itself lists them.
async fn table_names(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let sql = if on_postgres() {
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    };
    let rows = db
        .query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

/// One text per row: every column of the row, blobs in hex.
pub(crate) async fn rows_as_text(db: &sea_orm::DatabaseConnection, table: &str) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = if on_postgres() {
        format!("SELECT row_to_json(t)::text AS row FROM \"{table}\" t")
    } else {
        let columns = db
            .query_all(Statement::from_string(
                backend,
                format!("SELECT name FROM pragma_table_info('{table}')"),
            ))
            .await
            .unwrap();
        let columns: Vec<String> = columns
            .iter()
            .map(|c| {
                let name = c.try_get::<String>("", "name").unwrap();
                format!("COALESCE(CASE WHEN typeof(\"{name}\") = 'blob' THEN hex(\"{name}\") ELSE CAST(\"{name}\" AS TEXT) END, '')")
            })
            .collect();
        format!(
            "SELECT {} AS row FROM \"{table}\"",
            columns.join(" || char(9) || ")
        )
    };
    let rows = db
        .query_all(Statement::from_string(backend, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "row").unwrap())
        .collect()
}

/// Every row of every table the database lists; on SQLite also every byte of its files
/// (the journal and freed pages included).
pub(crate) async fn database_contents(app: &TestApp) -> String {
    let db = Database::connect(&app.database_url).await.unwrap();
    let tables = table_names(&db).await;
    for expected in [
        "tenants",
        "api_tokens",
        "ous",
        "called_routes",
        "channels",
        "non_working_days",
        "trust_anchors",
        "messages",
        "channel_integrations",
    ] {
        assert!(
            tables.iter().any(|t| t == expected),
            "the scan reads {expected}: {tables:?}"
        );
    }
    let mut out = String::new();
    for table in &tables {
        for row in rows_as_text(&db, table).await {
            out.push_str(&row);
            out.push('\n');
        }
    }
    db.close().await.ok();
    if !on_postgres() {
        for entry in std::fs::read_dir(&app.data_dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    out
}

/// The base64 characters that stand for `secret` wherever it sits in a longer text: one
/// string per alignment (0, 1 or 2 bytes before it), keeping only the characters its own
/// bytes decide.
fn base64_cores(engine: &impl base64::Engine, secret: &str) -> Vec<String> {
    let n = secret.len();
    (0..3)
        .map(|shift| {
            let mut shifted = vec![b'"'; shift];
            shifted.extend_from_slice(secret.as_bytes());
            let encoded = engine.encode(&shifted);
            encoded[shift.div_ceil(3) * 4..(shift + n) / 3 * 4].to_owned()
        })
        .collect()
}

/// `text` with every `%XX` turned back into its byte, so a secret percent-encoded by any
/// encoder (RFC 3986, forms, `encodeURIComponent`; either case of hex) reads as itself.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Each way a secret could be written down: as is, base64 (standard and URL-safe) and hex
/// (either case).
fn written_forms(secret: &str) -> Vec<(String, String)> {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    let mut forms = vec![
        ("plaintext".to_owned(), secret.to_owned()),
        ("hex".to_owned(), hex.clone()),
        ("HEX".to_owned(), hex.to_uppercase()),
    ];
    for (shift, core) in base64_cores(&STANDARD, secret).into_iter().enumerate() {
        forms.push((format!("base64 (alignment {shift})"), core));
    }
    for (shift, core) in base64_cores(&URL_SAFE, secret).into_iter().enumerate() {
        forms.push((format!("URL-safe base64 (alignment {shift})"), core));
    }
    forms
}

/// How `text` shows `secret`, if it does: one of its written forms, or percent-encoded.
pub(crate) fn shown_form(text: &str, secret: &str) -> Option<String> {
    written_forms(secret)
        .into_iter()
        .find(|(_, written)| text.contains(written.as_str()))
        .map(|(form, _)| form)
        .or_else(|| {
            percent_decoded(text)
                .contains(secret)
                .then(|| "percent-encoded".to_owned())
        })
}

/// Credentials unique to this test, with reserved characters, so each written form differs
/// from the plaintext.
fn reserved_credentials() -> XCredentials {
    let unique = XCredentials::unique();
    XCredentials {
        api_key: unique.api_key,
        api_key_secret: format!("{}!*'()~+/:=&%", unique.api_key_secret),
        access_token: format!("{}-+/=", unique.access_token),
        access_token_secret: format!("{}@#$[]?,;", unique.access_token_secret),
    }
}

#[test]
fn every_written_form_of_a_secret_is_found_in_a_longer_text() {
    // The scan below is only as good as this.
    let secret = "aks0123456789abcdef!*'()~+/:=&%";
    let around = |inner: &str| format!("{{\"apiKeySecret\":\"{inner}\",\"more\":1}}");
    let hex = |text: String, upper: bool| -> String {
        text.bytes()
            .map(|b| {
                if upper {
                    format!("{b:02X}")
                } else {
                    format!("{b:02x}")
                }
            })
            .collect()
    };
    let percent = |text: String, keep: &[u8], lower: bool| -> String {
        text.bytes()
            .map(|b| match b {
                _ if b.is_ascii_alphanumeric() || keep.contains(&b) => char::from(b).to_string(),
                _ if lower => format!("%{b:02x}"),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let texts = [
        ("plaintext", around(secret)),
        (
            "base64 at offset 0 mod 3",
            STANDARD.encode(format!("x{}", around(secret))),
        ),
        (
            "base64 at offset 1 mod 3",
            STANDARD.encode(format!("xy{}", around(secret))),
        ),
        ("base64 at offset 2 mod 3", STANDARD.encode(around(secret))),
        (
            "URL-safe base64",
            URL_SAFE.encode(format!("x{}", around(secret))),
        ),
        (
            "URL-safe base64 without padding",
            URL_SAFE_NO_PAD.encode(format!("xy{}", around(secret))),
        ),
        ("hex", hex(around(secret), false)),
        ("HEX", hex(around(secret), true)),
        ("RFC 3986", percent(around(secret), b"-._~", false)),
        ("form", percent(around(secret), b"*-._", false)),
        (
            "encodeURIComponent, lower-case hex",
            percent(around(secret), b"-_.!~*'()", true),
        ),
    ];
    for (encoding, text) in &texts {
        assert!(
            shown_form(text, secret).is_some(),
            "{encoding}: the secret is not found in {text}"
        );
        assert!(
            shown_form(text, "aks0123456789abXdef!*'()~+/:=&%").is_none(),
            "{encoding}: another secret is found in {text}"
        );
    }
}

#[actix_web::test]
async fn credentials_never_reach_a_response_a_log_line_or_the_database() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let credentials = reserved_credentials();
    let created = app
        .post(
            "/api/v1/channels",
            &tenant.admin_token,
            &tenant.channel_body("x_secret", &credentials),
        )
        .await;
    let id = created.id();
    let path = format!("/api/v1/channels/{id}");
    let mut answers: Vec<(&str, u16, Answer)> = vec![("create", 201, created)];
    answers.push(("read", 200, app.get(&path, &tenant.admin_token).await));
    answers.push((
        "list",
        200,
        app.get("/api/v1/channels", &tenant.admin_token).await,
    ));
    // A refused edit and a conflicting create must not echo them either.
    let mut bad = tenant.channel_body("x_secret", &credentials);
    bad["name"] = json!("bad name");
    answers.push((
        "refused edit",
        422,
        app.put_channel(&tenant.admin_token, &id, &bad, 1).await,
    ));
    answers.push((
        "conflicting create",
        409,
        app.post(
            "/api/v1/channels",
            &tenant.admin_token,
            &tenant.channel_body("x_other", &credentials),
        )
        .await,
    ));
    let body = tenant.channel_body("x_secret", &credentials);
    answers.push((
        "stale edit",
        412,
        app.put_channel(&tenant.admin_token, &id, &body, 9).await,
    ));
    let mut edit = tenant.channel_body("x_secret", &credentials);
    edit["nonWorkingTimeNotification"] = json!("Back at eight.");
    answers.push((
        "edit",
        200,
        app.put_channel(&tenant.admin_token, &id, &edit, 1).await,
    ));
    // Rotation: new secrets, the same API key.
    let rotated = XCredentials {
        api_key: credentials.api_key.clone(),
        ..reserved_credentials()
    };
    let rotation = tenant.channel_body("x_secret", &rotated);
    answers.push((
        "rotation",
        200,
        app.put_channel(&tenant.admin_token, &id, &rotation, 2)
            .await,
    ));
    answers.push((
        "read after rotation",
        200,
        app.get(&path, &tenant.admin_token).await,
    ));
    // Deliveries: signed with the rotated secret (stored), with the old one (refused),
    // validly signed but not JSON; then the messages listed.
    let delivery = serde_json::to_vec(&xchannel_tests::fake_x::direct_message_delivery(
        "4337869213",
        "954491830116155396",
        1516403560557,
        ("3001969357", "Jordan Brinks", "furiouscamper"),
        "4337869213",
        "Hello",
    ))
    .unwrap();
    let sign = |secret: &str, body: &[u8]| xchannel_tests::fake_x::sha256_signature(secret, body);
    let current = sign(&rotated.api_key_secret, &delivery);
    answers.push((
        "delivery",
        200,
        app.deliver_raw(&id, Some(&current), &delivery).await,
    ));
    let old = sign(&credentials.api_key_secret, &delivery);
    answers.push((
        "delivery signed with the old secret",
        401,
        app.deliver_raw(&id, Some(&old), &delivery).await,
    ));
    let not_json = b"{\"for_user_id\": ";
    answers.push((
        "malformed delivery",
        400,
        app.deliver_raw(
            &id,
            Some(&sign(&rotated.api_key_secret, not_json)),
            not_json,
        )
        .await,
    ));
    answers.push((
        "messages",
        200,
        app.get(&format!("{path}/messages"), &tenant.admin_token)
            .await,
    ));
    answers.push((
        "delete",
        204,
        app.call(Method::DELETE, &path, &tenant.admin_token, None)
            .await,
    ));
    answers.push((
        "read after delete",
        404,
        app.get(&path, &tenant.admin_token).await,
    ));
    // Conflicts listed with the violations (issue 13 item 5) name the key's field, not the key.
    let kept = app
        .post(
            "/api/v1/channels",
            &tenant.admin_token,
            &tenant.channel_body("x_kept", &credentials),
        )
        .await;
    assert_eq!(kept.status, 201, "{}", kept.text);
    let mut conflicting = tenant.channel_body("x_kept", &rotated);
    conflicting["queueReminder"]["content"] = json!("<wait>");
    answers.push((
        "conflicts with violations",
        422,
        app.post("/api/v1/channels", &tenant.admin_token, &conflicting)
            .await,
    ));
    // Another tenant holding the same credentials, kept (409) then deleted with them.
    let doomed = app.tenant().await;
    let theirs = app
        .post(
            "/api/v1/channels",
            &doomed.admin_token,
            &doomed.channel_body("x_doomed", &credentials),
        )
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    let tenant_path = format!("/api/v1/tenants/{}", doomed.id);
    answers.push((
        "tenant kept",
        409,
        app.call(Method::DELETE, &tenant_path, &app.system_token, None)
            .await,
    ));
    answers.push((
        "tenant deleted",
        204,
        app.call(
            Method::DELETE,
            &format!("{tenant_path}?cascade=true"),
            &app.system_token,
            None,
        )
        .await,
    ));
    for (what, status, answer) in &answers {
        assert_eq!(answer.status, *status, "{what}: {}", answer.text);
    }
    let (_, _, listed) = answers.iter().find(|(w, ..)| *w == "messages").unwrap();
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        listed.text
    );
    assert_eq!(
        answers[8].2.body["credentials"]["accessTokenSecret"],
        format!(
            "••••{}",
            &rotated.access_token_secret[rotated.access_token_secret.len() - 4..]
        )
    );

    let logs = captured_logs();
    assert!(!logs.is_empty(), "the service's logs are captured");
    assert!(
        logs.lines()
            .any(|line| line.contains(&path) && line.contains("DELETE")),
        "the logs hold this test's requests"
    );
    let stored = database_contents(&app).await;
    assert!(
        stored.contains(&tenant.queue_id),
        "the scan reads the stored rows"
    );

    let secrets = credentials
        .secrets()
        .into_iter()
        .chain(rotated.secrets())
        .chain([credentials.api_key.as_str()]);
    for secret in secrets {
        for (what, _, answer) in &answers {
            let shown = format!("{}\n{:?}", answer.text, answer.headers);
            assert_eq!(
                shown_form(&shown, secret),
                None,
                "the {what} answer shows a credential: {shown}"
            );
        }
        assert_eq!(
            shown_form(&logs, secret),
            None,
            "the logs show a credential"
        );
        assert_eq!(
            shown_form(&stored, secret),
            None,
            "the database holds a credential"
        );
    }
}

#[actix_web::test]
async fn tokens_are_shown_once_and_stored_hashed() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let list = app.get("/api/v1/tokens", &tenant.admin_token).await;
    assert_eq!(list.status, 200);
    assert!(!list.text.contains(&tenant.admin_token));
    assert!(!database_contents(&app).await.contains(&tenant.admin_token));
    assert!(!captured_logs().contains(&tenant.admin_token));
}

#[actix_web::test]
async fn refuses_to_start_with_a_master_key_that_cannot_open_the_stored_credentials() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    tenant.create_channel(&app, "x_sealed").await;
    let settings = |key: &str, previous: Vec<Secret>| {
        Settings::resolve(Options {
            bind: Some("127.0.0.1:0".into()),
            database_url: Some(app.database_url.clone()),
            data_dir: Some(app.data_dir.clone()),
            master_key: Some(Secret::new(key)),
            previous_master_keys: Some(previous),
            ..Options::default()
        })
        .unwrap()
    };
    let other_key = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";
    let refused = Application::build(settings(other_key, vec![])).await;
    let message = refused
        .err()
        .expect("a wrong master key is refused at start")
        .to_string();
    assert!(message.contains("XCHANNEL_MASTER_KEY"), "{message}");
    assert!(
        !message.contains(other_key) && !message.contains(MASTER_KEY),
        "{message}"
    );

    // Rotating: the new key with the old one among the previous keys starts.
    let rotated = Application::build(settings(other_key, vec![Secret::new(MASTER_KEY)])).await;
    assert!(rotated.is_ok());
}

#[actix_web::test]
async fn a_start_without_a_key_against_sealed_credentials_refuses_and_writes_no_key_file() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    tenant.create_channel(&app, "x_sealed").await;
    let key_file = app.data_dir.join("master.key");
    assert!(!key_file.exists(), "the test service was given its key");
    let settings = Settings::resolve(Options {
        bind: Some("127.0.0.1:0".into()),
        database_url: Some(app.database_url.clone()),
        data_dir: Some(app.data_dir.clone()),
        ..Options::default()
    })
    .unwrap();
    let message = Application::build(settings)
        .await
        .err()
        .expect("no key against sealed credentials is refused at start")
        .to_string();
    assert!(message.contains("XCHANNEL_MASTER_KEY"), "{message}");
    assert!(
        message.contains(&key_file.display().to_string()),
        "{message}"
    );
    assert!(!key_file.exists(), "a key file was written: {message}");
}

/// R-EXPORT: the compression password of an export is sealed like a credential, and
/// neither it nor a channel credential reaches an export answer, a log line or the
/// database in a readable form (the archive's chunks included).
#[actix_web::test]
async fn an_export_shows_neither_its_password_nor_a_credential() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let credentials = reserved_credentials();
    let created = app
        .post(
            "/api/v1/channels",
            &tenant.admin_token,
            &tenant.channel_body("x_exported", &credentials),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let password = format!("Pw-{}", uuid::Uuid::new_v4().simple());
    let asked = app
        .post(
            "/api/v1/exports",
            &tenant.admin_token,
            &json!({"compressionPassword": password}),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    let path = format!("/api/v1/exports/{}", asked.id());
    let mut answers = vec![asked];
    for _ in 0..300 {
        let read = app.get(&path, &tenant.admin_token).await;
        let done = read.body["status"] == "success";
        answers.push(read);
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(answers.last().unwrap().body["status"], "success");
    answers.push(app.get("/api/v1/exports", &tenant.admin_token).await);
    let weak = app
        .post(
            "/api/v1/exports",
            &tenant.admin_token,
            &json!({"compressionPassword": "weakpassword"}),
        )
        .await;
    assert_eq!(weak.status, 422);
    answers.push(weak);

    let logs = captured_logs();
    let stored = database_contents(&app).await;
    assert!(
        stored.contains(&asked_id(&answers)),
        "the scan reads the export rows"
    );
    let secrets = credentials
        .secrets()
        .into_iter()
        .chain([credentials.api_key.as_str(), password.as_str()]);
    for secret in secrets {
        for answer in &answers {
            let shown = format!("{}\n{:?}", answer.text, answer.headers);
            assert_eq!(
                shown_form(&shown, secret),
                None,
                "an export answer shows {shown}"
            );
        }
        assert_eq!(shown_form(&logs, secret), None, "the logs show a secret");
        assert_eq!(
            shown_form(&stored, secret),
            None,
            "the database holds a secret"
        );
    }
    assert_eq!(
        shown_form(&logs, "weakpassword"),
        None,
        "a refused password is not logged"
    );
}

fn asked_id(answers: &[Answer]) -> String {
    answers[0].id()
}
