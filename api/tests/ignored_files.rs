//! The master key the README's commands make is never committed nor sent to a Docker build,
//! wherever in the clone it was written.

use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

#[test]
fn git_ignores_a_master_key_anywhere_in_the_clone() {
    for path in ["master.key", "data/master.key", "some/dir/master.key"] {
        let status = Command::new("git")
            .args(["check-ignore", "--no-index", "-q", path])
            .current_dir(ROOT)
            .status()
            .expect("git runs");
        assert!(status.success(), "git does not ignore {path}");
    }
}

#[test]
fn the_docker_build_context_leaves_out_every_master_key() {
    let patterns = std::fs::read_to_string(format!("{ROOT}/.dockerignore")).unwrap();
    let patterns: Vec<&str> = patterns.lines().map(str::trim).collect();
    // Docker matches `master.key` at the context root only and `**/master.key` anywhere.
    for needed in ["master.key", "**/master.key", "data"] {
        assert!(patterns.contains(&needed), ".dockerignore lacks {needed}");
    }
}
