//! How the service is built and shipped (issue 13, item 8): the `dist` profile without debug
//! info, the Docker image built in dependency-caching stages, a build context without keys,
//! databases or local builds, and a compose file that restarts what stopped.

use std::path::Path;

fn repository_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of one `[section]` of a TOML file, up to the next section.
fn toml_section(text: &str, header: &str) -> Vec<String> {
    text.lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .map(|line| line.split('#').next().unwrap_or("").replace(' ', ""))
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn the_dist_profile_is_release_without_debug_info() {
    let dist = toml_section(&repository_file("Cargo.toml"), "[profile.dist]");
    assert!(
        dist.contains(&r#"inherits="release""#.to_string()),
        "{dist:?}"
    );
    assert!(dist.contains(&"debug=false".to_string()), "{dist:?}");
    assert!(
        dist.iter()
            .any(|line| line == r#"strip="debuginfo""# || line == "strip=true"),
        "{dist:?}"
    );
}

#[test]
fn the_image_compiles_the_dependencies_in_a_layer_before_the_sources() {
    let dockerfile = repository_file("Dockerfile");
    let lines: Vec<&str> = dockerfile.lines().map(str::trim).collect();
    let position = |needle: &str| {
        lines
            .iter()
            .position(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("the Dockerfile has no line with {needle:?}"))
    };
    let build_stage = position("AS build");
    let cook = position("cargo chef cook --profile dist");
    let sources = build_stage
        + lines[build_stage..]
            .iter()
            .position(|line| *line == "COPY . .")
            .expect("the build stage copies the sources");
    let build = position("cargo build --profile dist --locked -p xchannel");
    assert!(build_stage < cook && cook < sources && sources < build);
    // The recipe comes from the planner, not from the sources of the build stage.
    assert!(lines[build_stage..cook]
        .iter()
        .any(|line| line.starts_with("COPY --from=planner") && line.contains("recipe.json")));
    assert!(dockerfile.contains("target/dist/xchannel"));
}

#[test]
fn the_build_context_leaves_out_keys_databases_and_local_builds() {
    let ignored = repository_file(".dockerignore");
    let entries: Vec<&str> = ignored
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    for entry in [
        ".git",
        "target",
        "data",
        "master.key",
        ".env",
        "*.db",
        "**/node_modules",
        "bench/results",
    ] {
        assert!(entries.contains(&entry), "{entry} is sent to docker build");
    }
}

#[test]
fn compose_restarts_the_service_and_its_database() {
    let compose = repository_file("docker-compose.yml");
    let mut service = None;
    let mut restarted = Vec::new();
    for line in compose.lines() {
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !name.starts_with(' ') {
                service = Some(name.to_string());
            }
        }
        if line.trim() == "restart: unless-stopped" {
            restarted.extend(service.clone());
        }
    }
    assert_eq!(restarted, ["postgres", "xchannel"]);
}
