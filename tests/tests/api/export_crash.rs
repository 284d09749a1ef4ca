//! R-EXPORT-4 with a real crash: the service binary is killed (SIGKILL) in the middle of
//! an export and started again on the same database; the task ends `success` (taken up
//! again once its lease expired), never stuck `running`. Needs the `xchannel` binary of
//! this build (`cargo build -p xchannel`; `cargo test --workspace` builds it).

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::helpers::{free_port, fresh_settings, SpawnOptions, TestApp, MASTER_KEY};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `xchannel` binary beside this test binary (`target/debug/deps/..` -> `target/debug`).
fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("xchannel");
    assert!(
        bin.exists(),
        "{} is missing: cargo build -p xchannel",
        bin.display()
    );
    bin
}

async fn serve(app: &TestApp, port: u16) -> Server {
    let log = std::fs::File::create(app.data_dir.join(format!("server-{port}.log"))).unwrap();
    let child = Command::new(binary())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &app.database_url)
        .env("XCHANNEL_DATA_DIR", &app.data_dir)
        .env("XCHANNEL_MASTER_KEY", MASTER_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server(child);
    let started = Instant::now();
    while app
        .client
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .map_or(true, |r| !r.status().is_success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server starts"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

async fn task(app: &TestApp, token: &str, id: &str) -> Value {
    let read = app.get(&format!("/api/v1/exports/{id}"), token).await;
    assert_eq!(read.status, 200, "{}", read.text);
    read.body
}

#[actix_web::test]
async fn a_service_killed_during_an_export_finishes_it_after_a_restart() {
    let settings = fresh_settings(SpawnOptions::default()).await;
    std::fs::create_dir_all(&settings.keys.data_dir).unwrap();
    let port = free_port();
    let mut app = TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: crate::helpers::http_client(),
        system_token: String::new(),
        data_dir: settings.keys.data_dir.clone(),
        database_url: settings.database.url.clone(),
        settings: settings.clone(),
    };
    let mut server = serve(&app, port).await;
    app.system_token = app.mint_system_token().await;
    let tenant = app.tenant().await;
    let (source, _) = tenant.create_channel(&app, "source").await;
    // Enough channels that the export is still running when the kill comes.
    crate::exports::clone_channels(&app, &source.id(), 29_999).await;

    let asked = app
        .post(
            "/api/v1/exports",
            &tenant.admin_token,
            &json!({"compressionPassword": "Export-2026"}),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    let id = asked.id();
    let started = Instant::now();
    loop {
        let now = task(&app, &tenant.admin_token, &id).await;
        if now["status"] == "running" && now["progress"].as_i64() > Some(0) {
            break;
        }
        assert_ne!(
            now["status"], "success",
            "the export ended before the kill: {now}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the export starts: {now}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.0.kill().unwrap(); // SIGKILL: nothing is finished or released
    server.0.wait().unwrap();
    drop(server);

    let restarted = serve(&app, port).await;
    assert_eq!(
        task(&app, &tenant.admin_token, &id).await["status"],
        "running"
    );
    let started = Instant::now();
    let done = loop {
        let now = task(&app, &tenant.admin_token, &id).await;
        if now["status"] == "success" || now["status"] == "failed" {
            break now;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the task is still {} two minutes after the restart",
            now["status"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(done["channelCount"], 30_000);
    assert_eq!(done["fileCount"], 15);
    drop(restarted);
}
