//! The binary as the README uses it: mint a token, serve on the embedded database, answer.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_xchannel");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fresh_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("xchannel-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("XCHANNEL_MASTER_KEY")
        .env_remove("XCHANNEL_BIND")
        .env_remove("XCHANNEL_DATA_DIR");
    command
}

/// Starts `xchannel serve` on a free port and returns it with the port it logged.
fn serve(dir: &std::path::Path) -> (Server, u16) {
    let mut child = command(dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
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
            started.elapsed() < Duration::from_secs(30),
            "the server starts"
        );
    };
    std::thread::spawn(move || for _ in lines {});
    (Server(child), port)
}

#[test]
fn a_token_minted_by_the_cli_works_against_the_server_in_the_same_directory() {
    let dir = fresh_dir();
    let (_server, port) = serve(&dir);
    assert!(
        dir.join("data/xchannel.db").exists(),
        "the embedded database lives under ./data"
    );
    assert!(
        dir.join("data/master.key").exists(),
        "serve generated a master key"
    );
    let output = command(&dir)
        .args(["token", "create", "--role", "system-admin"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("xch_"));
    assert!(
        stderr.contains("data/xchannel.db (SQLite)"),
        "says which database it wrote to: {stderr}"
    );
    assert!(
        stderr.contains("note: neither DATABASE_URL") && stderr.contains("export the same one"),
        "says that no database was named, for a server on PostgreSQL: {stderr}"
    );
    let named = command(&dir)
        .args([
            "token",
            "create",
            "--role",
            "system-admin",
            "--data-dir",
            "data",
        ])
        .output()
        .unwrap();
    let named = String::from_utf8_lossy(&named.stderr).into_owned();
    assert!(
        named.contains("(SQLite)") && !named.contains("note:"),
        "{named}"
    );
    let base = format!("http://127.0.0.1:{port}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 200);
        let tenant = client
            .post(format!("{base}/api/v1/tenants"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": "Acme"}))
            .send()
            .await
            .unwrap();
        assert_eq!(tenant.status(), 201);

        let spec = client
            .get(format!("{base}/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(spec.status(), 200);
        let spec: serde_json::Value = spec.json().await.unwrap();
        assert!(spec["paths"]["/api/v1/channels"].is_object());

        let docs = client.get(format!("{base}/docs/")).send().await.unwrap();
        assert_eq!(docs.status(), 200);
        let page = docs.text().await.unwrap();
        assert!(
            page.contains("swagger-ui"),
            "the documentation page is served"
        );
        assert!(
            !page.contains("src=\"http"),
            "no script comes from another host: works offline"
        );
        let bundle = client
            .get(format!("{base}/docs/swagger-ui-bundle.js"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            bundle.status(),
            200,
            "the UI's scripts are served by the service itself"
        );
    });
}

#[test]
fn refuses_a_tenant_token_without_a_tenant() {
    let dir = fresh_dir();
    let output = command(&dir)
        .args(["token", "create", "--role", "tenant-admin"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--tenant"));
}

#[test]
fn token_commands_never_create_a_database_and_name_the_one_they_looked_for() {
    let dir = fresh_dir();
    for args in [
        &["token", "create", "--role", "system-admin"][..],
        &["token", "list"][..],
    ] {
        let output = command(&dir).args(args).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("no database at") && stderr.contains("data/xchannel.db"),
            "{stderr}"
        );
        assert!(
            stderr.contains("DATABASE_URL"),
            "says how to point at the right one: {stderr}"
        );
        assert!(
            !stderr.contains("stack backtrace"),
            "the error chain only: {stderr}"
        );
        assert!(output.stdout.is_empty());
    }
    assert!(!dir.join("data").exists(), "nothing was created");
}

#[test]
fn token_commands_refuse_an_empty_database() {
    let dir = fresh_dir();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/xchannel.db"), b"").unwrap();
    let output = command(&dir)
        .args(["token", "create", "--role", "system-admin"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("holds no xchannel data"), "{stderr}");
}

#[test]
fn tokens_are_listed_and_revoked_from_the_command_line() {
    let dir = fresh_dir();
    assert!(command(&dir).arg("migrate").status().unwrap().success());
    let created = command(&dir)
        .args([
            "token",
            "create",
            "--role",
            "system-admin",
            "--label",
            "ops",
        ])
        .output()
        .unwrap();
    assert!(created.status.success());
    let listed = command(&dir).args(["token", "list"]).output().unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    let line = listed
        .lines()
        .find(|l| l.ends_with("\tops"))
        .expect("the token is listed");
    let token = String::from_utf8(created.stdout).unwrap();
    assert!(!listed.contains(token.trim()), "never the secret");
    assert!(line.contains("\tactive\t"), "{line}");
    let id = line.split('\t').next().unwrap();
    assert!(command(&dir)
        .args(["token", "revoke", id])
        .status()
        .unwrap()
        .success());
    let listed = String::from_utf8(
        command(&dir)
            .args(["token", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(id) && l.contains("\trevoked ")),
        "{listed}"
    );
    assert!(
        !command(&dir)
            .args(["token", "revoke", id])
            .status()
            .unwrap()
            .success(),
        "revoked once"
    );
}

#[test]
fn token_create_checks_the_tenant_and_ous_like_the_api() {
    let dir = fresh_dir();
    assert!(command(&dir).arg("migrate").status().unwrap().success());
    let output = command(&dir)
        .args([
            "token",
            "create",
            "--role",
            "tenant-admin",
            "--tenant",
            "01a21053-6562-75ac-bb31-e6fd42cf79b1",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no tenant 01a21053-6562-75ac-bb31-e6fd42cf79b1"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no token is printed");
}

#[test]
fn refuses_an_in_memory_sqlite_database_with_a_reason() {
    let dir = fresh_dir();
    let output = command(&dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("in-memory"));
}

#[test]
fn token_create_help_lists_its_own_flags_with_their_text_and_no_server_flag() {
    let output = command(&fresh_dir())
        .args(["token", "create", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for own in ["--role", "--tenant", "--ou", "--label", "--database-url"] {
        assert!(help.contains(own), "{own} missing:\n{help}");
    }
    let label = help
        .lines()
        .skip_while(|l| !l.contains("--label"))
        .nth(1)
        .unwrap_or("");
    assert!(label.contains("recognise the token"), "{help}");
    for server_only in [
        "--bind",
        "--master-key",
        "--previous-master-keys",
        "--public-url",
        "--region",
        "--cors-allowed-origins",
        "--workers",
    ] {
        assert!(!help.contains(server_only), "{server_only} listed:\n{help}");
    }
    let serve = command(&fresh_dir())
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8(serve.stdout)
        .unwrap()
        .contains("--master-key"));
}

#[test]
fn tokens_minted_and_revoked_from_the_command_line_are_in_the_audit_trail_as_cli() {
    let dir = fresh_dir();
    let (_server, port) = serve(&dir);
    let mint = |label: &str| {
        let output = command(&dir)
            .args([
                "token",
                "create",
                "--role",
                "system-admin",
                "--label",
                label,
            ])
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let token = mint("kept");
    mint("temporary");
    let listed = String::from_utf8(
        command(&dir)
            .args(["token", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let temporary = listed
        .lines()
        .find(|l| l.ends_with("\ttemporary"))
        .and_then(|l| l.split('\t').next())
        .unwrap()
        .to_owned();
    assert!(command(&dir)
        .args(["token", "revoke", &temporary])
        .status()
        .unwrap()
        .success());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let trail: serde_json::Value = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!(
                "http://127.0.0.1:{port}/api/v1/audit-events?actor=cli"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let events: Vec<(String, String)> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["actor"], serde_json::json!({"type": "cli"}), "{e}");
            assert_eq!(e["requestId"], serde_json::Value::Null);
            (
                e["action"].as_str().unwrap().to_owned(),
                e["resource"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("token.revoked", "temporary"),
        ("token.minted", "temporary"),
        ("token.minted", "kept"),
    ]
    .map(|(a, n)| (a.to_owned(), n.to_owned()));
    assert_eq!(events, expected);
    assert!(!trail.to_string().contains(&token), "never the token");
}
