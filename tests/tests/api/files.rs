//! The embedded run's files hold token hashes, credential ciphertexts and the master key:
//! only the service's own user may read them (unix).
#![cfg(unix)]

use std::{os::unix::fs::PermissionsExt, path::Path};

use xchannel::{
    config::{Options, Settings},
    startup::Application,
};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// An embedded run (SQLite, generated master key) in `data_dir`, whatever the test backend.
async fn start_embedded(data_dir: &Path) -> actix_web::dev::ServerHandle {
    crate::helpers::captured_logs();
    let settings = Settings::resolve(Options {
        bind: Some("127.0.0.1:0".into()),
        data_dir: Some(data_dir.to_owned()),
        ..Options::default()
    })
    .unwrap();
    let app = Application::build(settings)
        .await
        .expect("the service starts");
    let handle = app.handle();
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    // A write, so that SQLite has its -wal and -shm files.
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    handle
}

fn fresh_dir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("xchannel-files-{}", uuid::Uuid::new_v4().simple()));
    dir.join("data")
}

#[actix_web::test]
async fn the_data_directory_is_private_and_its_files_are_owner_only() {
    let data_dir = fresh_dir();
    let handle = start_embedded(&data_dir).await;
    assert_eq!(mode(&data_dir), 0o700);
    for file in [
        "xchannel.db",
        "xchannel.db-wal",
        "xchannel.db-shm",
        "master.key",
    ] {
        assert_eq!(mode(&data_dir.join(file)), 0o600, "{file}");
    }
    handle.stop(true).await;
    std::fs::remove_dir_all(data_dir.parent().unwrap()).ok();
}

#[actix_web::test]
async fn a_looser_data_directory_and_database_are_tightened_at_start() {
    let data_dir = fresh_dir();
    let first = start_embedded(&data_dir).await;
    first.stop(true).await;
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        data_dir.join("xchannel.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let again = start_embedded(&data_dir).await;
    assert_eq!(mode(&data_dir), 0o700);
    assert_eq!(mode(&data_dir.join("xchannel.db")), 0o600);
    let logs = crate::helpers::captured_logs();
    assert!(
        logs.lines()
            .any(|l| l.contains("tightened") && l.contains(&*data_dir.to_string_lossy())),
        "a log line says so"
    );
    again.stop(true).await;
    std::fs::remove_dir_all(data_dir.parent().unwrap()).ok();
}
