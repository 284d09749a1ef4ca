//! Probes and the answers of the service to requests it cannot route or read (R-API-2:
//! every error is a problem document).

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn liveness_and_readiness_answer_ok_without_a_token() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let answer = app.get(path, "").await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        assert_eq!(answer.body, json!({"status": "ok"}), "{path}");
    }
}

#[actix_web::test]
async fn an_unknown_path_is_a_404_problem() {
    let app = spawn_app().await;
    for path in [
        "/nope",
        "/api/v1/nope",
        "/api/v2/tenants",
        "/api/v1/tenants/x/y",
    ] {
        let answer = app.get(path, &app.system_token).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.text);
        assert_eq!(answer.problem_code(), "not_found", "{path}");
        assert_eq!(answer.body["status"], 404);
    }
}

#[actix_web::test]
async fn a_method_a_path_does_not_have_is_a_problem() {
    let app = spawn_app().await;
    let answer = app
        .call(
            Method::PUT,
            "/api/v1/tenants",
            &app.system_token,
            Some(&json!({})),
        )
        .await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.problem_code(), "method_not_allowed");
    assert_eq!(answer.headers["allow"], "GET, HEAD, POST");
    let item = app
        .call(
            Method::POST,
            "/api/v1/channels/01a21053-6562-75ac-bb31-e6fd42cf79b1",
            &app.system_token,
            None,
        )
        .await;
    assert_eq!(item.status, 405);
    assert_eq!(item.headers["allow"], "GET, HEAD, PUT, DELETE, PATCH");
    let unknown = app
        .call(Method::PUT, "/api/v1/nothing-here", &app.system_token, None)
        .await;
    assert_eq!(unknown.status, 404);
}

#[actix_web::test]
async fn a_malformed_query_is_a_400_problem() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    for path in [
        "/api/v1/tenants?limit=abc",
        "/api/v1/tenants?limit=0",
        "/api/v1/tenants?limit=201",
        "/api/v1/tenants?cursor=%25%25%25",
        "/api/v1/tokens?limit=-1",
    ] {
        let answer = app.get(path, &app.system_token).await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.text);
        assert_eq!(answer.problem_code(), "invalid_query", "{path}");
    }
    let answer = app
        .get("/api/v1/called-routes?limit=abc", &tenant.admin_token)
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    let answer = app.get("/api/v1/tenants?limit=0", &app.system_token).await;
    assert_eq!(answer.pointers(), vec!["/query/limit"]);
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_refused_with_a_problem() {
    let app = spawn_app().await;
    let malformed = app
        .client
        .post(format!("{}/api/v1/tenants", app.base))
        .bearer_auth(&app.system_token)
        .header("content-type", "application/json")
        .body("{\"name\": \"Acme\",")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.headers()["content-type"],
        "application/problem+json"
    );

    let text = app
        .client
        .post(format!("{}/api/v1/tenants", app.base))
        .bearer_auth(&app.system_token)
        .header("content-type", "text/plain")
        .body("{\"name\": \"Acme\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    assert_eq!(text.headers()["content-type"], "application/problem+json");

    let not_an_object = app
        .post("/api/v1/tenants", &app.system_token, &json!(["Acme"]))
        .await;
    assert_eq!(not_an_object.status, 422, "{}", not_an_object.text);
    assert_eq!(
        app.get("/api/v1/tenants", &app.system_token).await.body["items"],
        json!([])
    );
}

#[actix_web::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app().await;
    let ok = app.get("/healthz", "").await;
    assert!(!ok.headers["x-request-id"].is_empty());
    let echoed = app
        .call_with(
            Method::GET,
            "/api/v1/nope",
            "",
            None,
            &[("x-request-id", "trace-42")],
        )
        .await;
    assert_eq!(echoed.headers["x-request-id"], "trace-42");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    app.get(
        "/api/v1/channels/01a21053-6562-75ac-bb31-e6fd42cf79b1",
        &tenant.admin_token,
    )
    .await;
    let metrics = app.get("/metrics", "").await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text;
    assert!(
        text.contains(r#"xchannel_http_requests_total{method="GET",route="/api/v1/channels/{id}",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/ous",status="201""#),
        "{text}"
    );
    assert!(!text.contains(&tenant.admin_token));
}

#[actix_web::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let probe = app.call(Method::HEAD, "/healthz", "", None).await;
    assert_eq!(probe.status, 200);
    let list = app
        .call(Method::HEAD, "/api/v1/channels", &tenant.admin_token, None)
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.headers["content-type"], "application/json");
    assert!(list.text.is_empty());
}

#[actix_web::test]
async fn only_application_json_with_an_optional_utf8_charset_is_read_as_json() {
    let app = spawn_app().await;
    // Tenant names are unique: each accepted body names another tenant.
    let post = |content_type: &'static str| {
        app.client
            .post(format!("{}/api/v1/tenants", app.base))
            .bearer_auth(&app.system_token)
            .header("content-type", content_type)
            .body(format!(
                r#"{{"name": "Acme {}"}}"#,
                uuid::Uuid::new_v4().simple()
            ))
            .send()
    };
    for accepted in [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON; Charset=Utf-8",
    ] {
        let answer = post(accepted).await.unwrap();
        assert_eq!(answer.status(), 201, "{accepted}");
    }
    for refused in [
        "application/problem+json",
        "application/merge-patch+json",
        "application/json; charset=utf-16",
        "application/json; charset=latin1",
        "application/json; boundary=x",
        "text/json",
        "text/plain",
    ] {
        let answer = post(refused).await.unwrap();
        assert_eq!(answer.status(), 415, "{refused}");
        assert_eq!(answer.headers()["content-type"], "application/problem+json");
        let problem: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(problem["code"], "unsupported_media_type", "{refused}");
    }
    let listed = app.get("/api/v1/tenants", &app.system_token).await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        4,
        "only the accepted ones were stored"
    );
}

#[actix_web::test]
async fn a_malformed_http_request_is_counted_not_logged_as_an_error() {
    use std::io::{Read, Write};
    let app = spawn_app().await;
    let before = malformed_count(&app).await;
    let address = app.base.trim_start_matches("http://").to_owned();
    for garbage in [
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        "\x01\x02 not http\r\n\r\n",
    ] {
        // The server runs on its own threads, so a blocking socket here is fine.
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        stream.write_all(garbage.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(
            String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 400"),
            "{:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logs = crate::helpers::captured_logs();
    let errors: Vec<_> = logs
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("actix_http"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(malformed_count(&app).await >= before + 2);
}

async fn malformed_count(app: &crate::helpers::TestApp) -> u64 {
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("xchannel_http_connection_errors_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[actix_web::test]
async fn metrics_tell_the_build_and_the_database_pools() {
    let app = spawn_app().await;
    let text = app.get("/metrics", "").await.text;
    let build = text
        .lines()
        .find(|l| l.starts_with("xchannel_build_info{"))
        .unwrap_or_else(|| panic!("no build info:\n{text}"));
    assert!(
        build.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))),
        "{build}"
    );
    let hash = build
        .split("git_hash=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        hash == "unknown" || (hash.len() >= 7 && hash.bytes().all(|b| b.is_ascii_hexdigit())),
        "{build}"
    );
    assert!(build.ends_with(" 1"), "{build}");
    let pools: &[&str] = if crate::helpers::on_postgres() {
        &["shared"]
    } else {
        &["writer", "reader"]
    };
    for pool in pools {
        for state in ["idle", "in_use"] {
            let prefix =
                format!("xchannel_db_pool_connections{{pool=\"{pool}\",state=\"{state}\"}} ");
            let line = text.lines().find(|l| l.starts_with(&prefix));
            let value: u32 = line
                .and_then(|l| l.strip_prefix(&prefix))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {prefix}:\n{text}"));
            assert!(value <= 32, "{prefix}{value}");
        }
        let max = format!("xchannel_db_pool_max_connections{{pool=\"{pool}\"}} ");
        let max: u32 = text
            .lines()
            .find_map(|l| l.strip_prefix(&max))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {max}:\n{text}"));
        assert!(max >= 1);
    }
}
