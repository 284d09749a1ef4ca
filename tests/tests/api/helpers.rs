//! Starts the real service on a random port with a fresh database (SQLite in a temporary
//! directory, or a new PostgreSQL database when `XCHANNEL_TEST_BACKEND=postgres`), and
//! talks HTTP to it like any client. Every answer is held to the OpenAPI document
//! (`spec.rs`): a documented status, a body of the documented schema.

use std::{
    io::Write,
    path::PathBuf,
    sync::{Arc, Mutex, OnceLock},
};

use base64::Engine as _;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};
use xchannel::{
    auth::Role,
    config::{DatabaseSettings, LogFormat, Options, Region, Secret, Settings, SqliteSynchronous},
    routes::tokens,
    startup::Application,
    store::Store,
};

pub const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Everything the service logged while the tests ran (the whole process shares it).
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        // The service's own subscriber, so the tests see what its filters let through.
        xchannel::telemetry::init_with(
            LogFormat::Text,
            tracing_subscriber::EnvFilter::new("debug"),
            move || LogWriter(writer.clone()),
            false,
        );
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A port free at this moment, so a service's public URL can name it before it binds.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn on_postgres() -> bool {
    std::env::var("XCHANNEL_TEST_BACKEND").as_deref() == Ok("postgres")
}

fn postgres_admin_url() -> String {
    std::env::var("XCHANNEL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// The tests' HTTP client (see `http_client_builder` for its idle connections).
pub fn http_client() -> reqwest::Client {
    xchannel_tests::http_client_builder()
        .build()
        .expect("an HTTP client")
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// A system administrator token.
    pub system_token: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// What the service was started with, to start another instance on the same database.
    pub settings: Settings,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub fn problem_code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// The JSON pointers a problem document names.
    pub fn pointers(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|e| e["pointer"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn etag(&self) -> String {
        self.headers["etag"].to_str().unwrap().to_owned()
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }
}

pub struct SpawnOptions {
    pub region: Region,
    pub public_url: String,
    pub cors_allowed_origins: Option<Vec<String>>,
    /// The address to listen on (`127.0.0.1:0` unless a test needs to know it first).
    pub bind: Option<String>,
    /// Where X is: a fake X's base URL.
    pub x_api_base_url: Option<String>,
    /// How often active Enterprise webhooks are checked at X (15 minutes unless a test says).
    pub webhook_check_interval: Option<std::time::Duration>,
    /// How often Basic and Pro channels are pulled (60 s unless a test says).
    pub pull_interval: Option<std::time::Duration>,
    /// Any other change to the settings (e.g. shorter coverage thresholds).
    pub tune: Option<fn(&mut Settings)>,
    /// How often the audit trail's retention runs (hourly unless a test says).
    pub audit_retention_interval: Option<std::time::Duration>,
}

impl Default for SpawnOptions {
    fn default() -> Self {
        Self {
            region: Region::International,
            public_url: "https://xchannel.example.com".into(),
            cors_allowed_origins: None,
            bind: None,
            x_api_base_url: None,
            webhook_check_interval: None,
            pull_interval: None,
            tune: None,
            audit_retention_interval: None,
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(SpawnOptions::default()).await
}

/// Settings of a fresh service: a new SQLite file or PostgreSQL database, port 0.
pub async fn fresh_settings(options: SpawnOptions) -> Settings {
    log_buffer();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let data_dir = std::env::temp_dir().join(format!("xchannel-test-{run}"));
    let database_url = if on_postgres() {
        // A run's own prefix lets scripts/test.sh drop exactly its databases afterwards.
        let prefix =
            std::env::var("XCHANNEL_TEST_DB_PREFIX").unwrap_or_else(|_| "xchannel_test_".into());
        let name = format!("{prefix}{run}");
        let admin = Database::connect(format!("{}/postgres", postgres_admin_url()))
            .await
            .expect("PostgreSQL reachable (set XCHANNEL_TEST_POSTGRES_URL)");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        format!("{}/{name}", postgres_admin_url())
    } else {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("xchannel.db").display()
        )
    };
    let mut settings = Settings::resolve(Options {
        bind: Some(options.bind.unwrap_or_else(|| "127.0.0.1:0".into())),
        database_url: Some(database_url),
        data_dir: Some(data_dir),
        master_key: Some(Secret::new(MASTER_KEY)),
        public_url: Some(options.public_url),
        region: Some(options.region),
        cors_allowed_origins: options.cors_allowed_origins,
        x_api_base_url: options.x_api_base_url,
        ..Options::default()
    })
    .unwrap();
    // The time the channel's settings are judged by, which tests move (`TestApp::clock`);
    // every instance started from these settings shares it.
    settings.automation.clock = xchannel::clock::Clock::adjustable();
    if let Some(interval) = options.webhook_check_interval {
        settings.workers.webhook_check_interval = interval;
    }
    if let Some(interval) = options.pull_interval {
        settings.workers.pull_interval = interval;
    }
    if let Some(tune) = options.tune {
        tune(&mut settings);
    }
    if let Some(interval) = options.audit_retention_interval {
        settings.workers.audit_retention_interval = interval;
    }
    settings
}

/// Another instance of the service on the database of `settings`; answers its base URL.
pub async fn spawn_instance(settings: &Settings) -> String {
    let app = Application::build(settings.clone())
        .await
        .expect("the service starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    base
}

pub async fn spawn_app_with(options: SpawnOptions) -> TestApp {
    let settings = fresh_settings(options).await;
    let app = Application::build(settings.clone())
        .await
        .expect("the service starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let app_store = app.state().store.clone();
    actix_web::rt::spawn(app.run_until_stopped());

    let store = app_store.clone();
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
        client: http_client(),
        system_token,
        data_dir: settings.keys.data_dir.clone(),
        database_url: settings.database.url.clone(),
        settings,
    }
}

impl TestApp {
    /// The service's clock (work time, reminders, timeouts): move it instead of sleeping.
    pub fn clock(&self) -> &xchannel::clock::Clock {
        &self.settings.automation.clock
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Answer {
        self.call_with(method, path, token, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the service answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        crate::spec::check_answer(&method, path, status, content_type, &text);
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_client_error() || status.is_server_error() {
            let content_type = headers
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(
                content_type.as_deref(),
                Some("application/problem+json"),
                "{status} is a problem document: {text}"
            );
            assert_ne!(
                status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "no 500: {text}\n{}",
                captured_logs()
                    .lines()
                    .filter(|l| l.contains("ERROR"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        Answer {
            status,
            headers,
            text,
            body,
        }
    }

    /// Another system administrator token, minted as the CLI does.
    pub async fn mint_system_token(&self) -> String {
        let settings = DatabaseSettings {
            url: self.database_url.clone(),
            sqlite_synchronous: SqliteSynchronous::Full,
        };
        let store = Store::open_existing(&settings).await.unwrap();
        let tx = store.write().await.unwrap();
        let token = tokens::mint(
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
        store.close().await;
        token
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// A new tenant with a tenant administrator, an OU and a multimedia called route.
    pub async fn tenant(&self) -> Tenant {
        let tenant = self
            .post(
                "/api/v1/tenants",
                &self.system_token,
                // Tenant names are unique: each test tenant has its own.
                &json!({"name": format!("Acme {}", &uuid::Uuid::new_v4().simple().to_string()[..8])}),
            )
            .await;
        assert_eq!(tenant.status, 201, "{}", tenant.text);
        let tenant_id = tenant.id();
        let admin = self
            .post(
                "/api/v1/tokens",
                &self.system_token,
                &json!({"tenantId": tenant_id, "role": "tenant-admin"}),
            )
            .await;
        assert_eq!(admin.status, 201, "{}", admin.text);
        let admin_token = admin.body["token"].as_str().unwrap().to_owned();
        let ou = self
            .post("/api/v1/ous", &admin_token, &json!({"name": "Support"}))
            .await;
        assert_eq!(ou.status, 201, "{}", ou.text);
        let ou_id = ou.id();
        let queue = self
            .post(
                "/api/v1/called-routes",
                &admin_token,
                &json!({"name": "dm_queue", "mediaType": "multimedia", "ouId": ou_id}),
            )
            .await;
        assert_eq!(queue.status, 201, "{}", queue.text);
        Tenant {
            id: tenant_id,
            admin_token,
            ou_id,
            queue_id: queue.id(),
        }
    }

    /// A new OU of the token's tenant, under `parent` when given.
    pub async fn ou(&self, admin_token: &str, name: &str, parent: Option<&str>) -> String {
        let answer = self
            .post(
                "/api/v1/ous",
                admin_token,
                &json!({"name": name, "parentId": parent}),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.id()
    }

    /// A new called route of the token's tenant.
    pub async fn route(
        &self,
        admin_token: &str,
        name: &str,
        media_type: &str,
        ou_id: &str,
    ) -> String {
        let answer = self
            .post(
                "/api/v1/called-routes",
                admin_token,
                &json!({"name": name, "mediaType": media_type, "ouId": ou_id}),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.id()
    }

    /// A tenant-user token of the admin's tenant, granted `ou_ids`.
    pub async fn user_token(&self, admin_token: &str, ou_ids: &[&str]) -> String {
        let answer = self
            .post(
                "/api/v1/tokens",
                admin_token,
                &json!({"role": "tenant-user", "ouIds": ou_ids}),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["token"].as_str().unwrap().to_owned()
    }

    /// `PUT /api/v1/channels/{id}` with `If-Match: "{version}"`.
    pub async fn put_channel(&self, token: &str, id: &str, body: &Value, version: i32) -> Answer {
        let if_match = format!("\"{version}\"");
        self.call_with(
            Method::PUT,
            &format!("/api/v1/channels/{id}"),
            token,
            Some(body),
            &[("if-match", &if_match)],
        )
        .await
    }

    /// One text column of one channel row, read with raw SQL.
    pub async fn channel_column(&self, channel_id: &str, column: &str) -> String {
        assert!(
            uuid::Uuid::parse_str(channel_id).is_ok()
                && column.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        );
        let db = Database::connect(&self.database_url).await.unwrap();
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT {column} FROM channels WHERE id = '{channel_id}'"),
            ))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no channel {channel_id} in the database"));
        db.close().await.ok();
        row.try_get::<String>("", column).unwrap()
    }

    /// The channel's sealed credentials as stored, opened with the master key:
    /// `{apiKey, apiKeySecret, accessToken, accessTokenSecret}`.
    pub async fn stored_credentials(&self, channel_id: &str) -> Value {
        let sealed = self.channel_column(channel_id, "credentials").await;
        let key = base64::engine::general_purpose::STANDARD
            .decode(MASTER_KEY)
            .unwrap();
        let keyring = xchannel::crypto::Keyring::new(&key, &[]).unwrap();
        let plain = keyring
            .decrypt(&sealed, &format!("channel:{channel_id}:credentials"))
            .expect("the stored credentials open with the master key");
        serde_json::from_slice(&plain).unwrap()
    }
}

pub struct Tenant {
    pub id: String,
    pub admin_token: String,
    pub ou_id: String,
    pub queue_id: String,
}

/// Credentials unique to one test, so a scan can look for them anywhere.
pub struct XCredentials {
    pub api_key: String,
    pub api_key_secret: String,
    pub access_token: String,
    pub access_token_secret: String,
}

impl XCredentials {
    pub fn unique() -> Self {
        let run = uuid::Uuid::new_v4().simple().to_string();
        Self {
            api_key: format!("ak{}", &run[..20]),
            api_key_secret: format!("aks{run}"),
            access_token: format!("1234-at{run}"),
            access_token_secret: format!("ats{run}"),
        }
    }

    pub fn secrets(&self) -> [&str; 3] {
        [
            &self.api_key_secret,
            &self.access_token,
            &self.access_token_secret,
        ]
    }

    /// The four values as the service seals them.
    pub fn as_stored(&self) -> Value {
        json!({
            "apiKey": self.api_key,
            "apiKeySecret": self.api_key_secret,
            "accessToken": self.access_token,
            "accessTokenSecret": self.access_token_secret,
        })
    }
}

impl Tenant {
    /// A complete, valid channel body.
    pub fn channel_body(&self, name: &str, credentials: &XCredentials) -> Value {
        json!({
            "name": name,
            "type": "x",
            "x": {
                "apiKey": credentials.api_key,
                "apiKeySecret": credentials.api_key_secret,
                "accessToken": credentials.access_token,
                "accessTokenSecret": credentials.access_token_secret,
                "accountLevel": "enterprise",
                "signatureAlgorithm": "SHA-256"
            },
            "ouId": self.ou_id,
            "skillQueueId": self.queue_id,
            "transferKeywords": ["agent"],
            // Agents work around the clock, so the non-working time notification never
            // answers a test's messages by the hour it runs at (tests of the notice, and
            // of work time, set their own segments).
            "workTime": {
                "workday": [{"start": "00:00", "end": "24:00"}],
                "nonWorkday": [{"start": "00:00", "end": "24:00"}]
            },
            "nonWorkingTimeNotification": "We are closed now.",
            "queueReminder": {"mode": "all", "content": "Please wait.", "progressContent": "You are number ${position}"},
            "callTransferInteractionTimes": 3,
            "more": {
                "lastAgentMode": {"enabled": true, "validHours": 24},
                "sessionTransfer": {"enabled": true, "allowedTargets": ["agent", "skillQueue"]}
            },
            "robot": {
                "intelligentRobot": {"enabled": true, "robotId": "bot-1"},
                "robotAssistant": {"enabled": false}
            }
        })
    }

    pub async fn create_channel(&self, app: &TestApp, name: &str) -> (Answer, XCredentials) {
        let credentials = XCredentials::unique();
        let answer = app
            .post(
                "/api/v1/channels",
                &self.admin_token,
                &self.channel_body(name, &credentials),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        (answer, credentials)
    }
}

impl TestApp {
    /// The URL X posts a channel's deliveries to.
    pub fn webhook_url(&self, channel_id: &str) -> String {
        format!("{}/webhooks/x/{channel_id}", self.base)
    }

    /// POSTs a raw delivery as X does, with `signature` as `x-twitter-webhooks-signature`
    /// (none when `None`); the answer is held to the document like every other.
    pub async fn deliver_raw(
        &self,
        channel_id: &str,
        signature: Option<&str>,
        body: &[u8],
    ) -> Answer {
        let path = format!("/webhooks/x/{channel_id}");
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("x-twitter-webhooks-signature", signature);
        }
        let response = request.send().await.expect("the service answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        crate::spec::check_answer(&Method::POST, &path, status, content_type, &text);
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "no 500: {text}");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            body,
        }
    }

    /// POSTs `body` signed with `api_key_secret`, as X does.
    pub async fn deliver(&self, channel_id: &str, api_key_secret: &str, body: &Value) -> Answer {
        let bytes = serde_json::to_vec(body).unwrap();
        let signature = xchannel_tests::fake_x::sha256_signature(api_key_secret, &bytes);
        self.deliver_raw(channel_id, Some(&signature), &bytes).await
    }

    /// Every page of a channel's messages, following `nextCursor`.
    pub async fn all_messages(&self, token: &str, channel_id: &str, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/channels/{channel_id}/messages?limit=2{query}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page = self.get(&path, token).await;
            assert_eq!(page.status, 200, "{}", page.text);
            items.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}

/// Inserts an automatic message of `reason` as a sender leaves it while X is asked
/// (`sending`, no lease of this instance), straight into the database `db`; its id. For
/// the tests of what a dead or a concurrent sender leaves behind.
pub async fn insert_sending_automatic_message(
    db: &impl ConnectionTrait,
    tenant_id: &str,
    channel_id: &str,
    conversation_id: &str,
    reason: &str,
    text: &str,
) -> String {
    let id = xchannel::store::new_id();
    let sql = "INSERT INTO automatic_messages (id, tenant_id, channel_id, conversation_id, reason, text, status, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, 'sending', $7, $7)";
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => sql.to_owned(),
        // SQLite's numbered placeholders (`?N`, as `$7` repeats).
        _ => (1..=7).rev().fold(sql.to_owned(), |s, n| {
            s.replace(&format!("${n}"), &format!("?{n}"))
        }),
    };
    db.execute(Statement::from_sql_and_values(
        backend,
        sql,
        [
            id.clone().into(),
            tenant_id.into(),
            channel_id.into(),
            conversation_id.into(),
            reason.into(),
            text.into(),
            xchannel::store::now().into(),
        ],
    ))
    .await
    .expect("the automatic message inserted");
    id
}
