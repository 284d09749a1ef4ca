//! R-INGEST-3 and durability: the service is killed with SIGKILL in the middle of a webhook
//! load and started again on the same database; every delivery that was answered 200 is
//! there. On SQLite always; on PostgreSQL too with `XCHANNEL_TEST_BACKEND=postgres`.

use std::{
    collections::BTreeSet,
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::Engine as _;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_xchannel");
const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const SECRET: &str = "crash-test-api-key-secret";
const ACCOUNT: &str = "1000000000000000001";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Setup {
    dir: std::path::PathBuf,
    database_url: Option<String>,
}

impl Setup {
    fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .current_dir(&self.dir)
            .env("XCHANNEL_MASTER_KEY", MASTER_KEY)
            .env("XCHANNEL_WORKERS", "off")
            .env("RUST_LOG", "warn,xchannel=info")
            .env_remove("XCHANNEL_BIND")
            .env_remove("XCHANNEL_DATA_DIR");
        match &self.database_url {
            Some(url) => command.env("DATABASE_URL", url),
            None => command.env_remove("DATABASE_URL"),
        };
        command
    }

    fn serve(&self) -> (Server, String) {
        let mut child = self
            .command()
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let started = Instant::now();
        let port = loop {
            let line = lines.next().expect("the server logs its port").unwrap();
            if let Some(rest) = line.split("port=").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .parse::<u16>()
                    .unwrap();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server starts"
            );
        };
        std::thread::spawn(move || for _ in lines {});
        (Server(child), format!("http://127.0.0.1:{port}"))
    }

    fn system_token(&self) -> String {
        let output = self
            .command()
            .args(["token", "create", "--role", "system-admin"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

fn signature(body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(ring::hmac::sign(&key, body))
    )
}

fn delivery(event_id: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "for_user_id": ACCOUNT,
        "direct_message_events": [{
            "type": "message_create",
            "id": event_id.to_string(),
            "created_timestamp": (1_733_000_000_000u64 + event_id).to_string(),
            "message_create": {
                "target": {"recipient_id": ACCOUNT},
                "sender_id": "2000000000000000002",
                "message_data": {"text": format!("message {event_id}")}
            }
        }],
        "users": {"2000000000000000002": {"id": "2000000000000000002", "name": "C", "screen_name": "c"}}
    }))
    .unwrap()
}

async fn post(client: &reqwest::Client, url: &str, token: &str, body: Value) -> Value {
    let answer = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201, "{url}");
    answer.json().await.unwrap()
}

/// A tenant, its administrator, an OU, a route and an Enterprise channel: the channel id
/// and the administrator token.
async fn channel(base: &str, system: &str) -> (String, String) {
    let client = reqwest::Client::new();
    let tenant = post(
        &client,
        &format!("{base}/api/v1/tenants"),
        system,
        json!({"name": "Acme"}),
    )
    .await;
    let admin = post(
        &client,
        &format!("{base}/api/v1/tokens"),
        system,
        json!({"tenantId": tenant["id"], "role": "tenant-admin"}),
    )
    .await;
    let admin = admin["token"].as_str().unwrap().to_owned();
    let ou = post(
        &client,
        &format!("{base}/api/v1/ous"),
        &admin,
        json!({"name": "Support"}),
    )
    .await;
    let route = post(
        &client,
        &format!("{base}/api/v1/called-routes"),
        &admin,
        json!({"name": "dm_queue", "mediaType": "multimedia", "ouId": ou["id"]}),
    )
    .await;
    let channel = post(
        &client,
        &format!("{base}/api/v1/channels"),
        &admin,
        json!({
            "name": "x_crash", "type": "x",
            "x": {"apiKey": "crash-api-key", "apiKeySecret": SECRET, "accessToken": "1-crash-token",
                  "accessTokenSecret": "crash-token-secret", "accountLevel": "enterprise",
                  "signatureAlgorithm": "SHA-256"},
            "ouId": ou["id"], "skillQueueId": route["id"], "transferKeywords": ["agent"],
            "robot": {"intelligentRobot": {"enabled": false}, "robotAssistant": {"enabled": false}}
        }),
    )
    .await;
    (channel["id"].as_str().unwrap().to_owned(), admin)
}

/// Every stored event id of the channel, through the API.
async fn stored(base: &str, token: &str, channel: &str) -> BTreeSet<u64> {
    let client = reqwest::Client::new();
    let mut ids = BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let url = format!("{base}/api/v1/channels/{channel}/messages?limit=200{cursor}");
        let page: Value = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for m in page["items"].as_array().unwrap() {
            ids.insert(m["xEventId"].as_str().unwrap().parse().unwrap());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return ids,
        }
    }
}

async fn killed_under_load_keeps_every_acknowledged_delivery(setup: Setup) {
    let (mut server, base) = setup.serve();
    let system = setup.system_token();
    let (channel_id, admin) = channel(&base, &system).await;
    let url = format!("{base}/webhooks/x/{channel_id}");
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // 32 senders, each with its own event ids; every third one delivers twice, as X may.
    let senders: Vec<_> = (0..32u64)
        .map(|sender| {
            let (client, url, acknowledged) = (client.clone(), url.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let event = 1_000_000 * (sender + 1) + n;
                    let body = delivery(event);
                    let copies = if n % 3 == 0 { 2 } else { 1 };
                    for _ in 0..copies {
                        let sent = client
                            .post(&url)
                            .header("content-type", "application/json")
                            .header("x-twitter-webhooks-signature", signature(&body))
                            .body(body.clone())
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status() == 200 => acknowledged.lock().unwrap().push(event),
                            Ok(r) => panic!("a delivery was answered {}", r.status()),
                            Err(_) => return, // the service is gone
                        }
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 3000 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.0.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.0.wait().unwrap();
    for sender in senders {
        sender.await.unwrap();
    }
    let acknowledged: BTreeSet<u64> = acknowledged.lock().unwrap().iter().copied().collect();
    assert!(
        acknowledged.len() >= 300,
        "the load ran: {} acknowledged",
        acknowledged.len()
    );

    let (_server, base) = setup.serve();
    let stored = stored(&base, &admin, &channel_id).await;
    eprintln!(
        "{} deliveries acknowledged before the kill, {} messages stored after the restart",
        acknowledged.len(),
        stored.len()
    );
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged deliveries lost: {lost:?}",
        lost.len()
    );
}

fn fresh_dir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("xchannel-crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_killed_under_webhook_load_keeps_every_acknowledged_delivery() {
    let database_url = match std::env::var("XCHANNEL_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            let admin_url = std::env::var("XCHANNEL_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
            let prefix = std::env::var("XCHANNEL_TEST_DB_PREFIX")
                .unwrap_or_else(|_| "xchannel_test_".into());
            let name = format!("{prefix}{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(format!("{admin_url}/postgres"))
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            admin.close().await.ok();
            Some(format!("{admin_url}/{name}"))
        }
        _ => None,
    };
    killed_under_load_keeps_every_acknowledged_delivery(Setup {
        dir: fresh_dir(),
        database_url,
    })
    .await;
}
