//! R-INTEG-4: the system administrator uploads the PEM certificates outbound TLS to X trusts.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

const ISRG_ROOT_X1: &str = include_str!("../../../crates/x-connector/tests/data/isrg-root-x1.pem");

#[actix_web::test]
async fn a_system_administrator_uploads_lists_and_removes_trust_anchors() {
    let app = spawn_app().await;
    let uploaded = app
        .post(
            "/api/v1/certificates",
            &app.system_token,
            &json!({"name": "X roots", "pem": ISRG_ROOT_X1}),
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text);
    assert_eq!(
        uploaded.body["sha256Fingerprints"],
        json!(["96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"])
    );
    let path = format!("/api/v1/certificates/{}", uploaded.id());
    assert_eq!(
        app.get(&path, &app.system_token).await.body["pem"],
        ISRG_ROOT_X1
    );
    let list = app.get("/api/v1/certificates", &app.system_token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

    let again = app
        .post(
            "/api/v1/certificates",
            &app.system_token,
            &json!({"name": "same again", "pem": ISRG_ROOT_X1}),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.problem_code(), "certificate_exists");

    assert_eq!(
        app.call(Method::DELETE, &path, &app.system_token, None)
            .await
            .status,
        204
    );
    assert_eq!(app.get(&path, &app.system_token).await.status, 404);
}

#[actix_web::test]
async fn refuses_what_is_not_a_certificate_and_names_every_bad_field() {
    let app = spawn_app().await;
    let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
    for pem in [
        format!("{ISRG_ROOT_X1}{key}"),
        "not a certificate".into(),
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n".into(),
    ] {
        let answer = app
            .post(
                "/api/v1/certificates",
                &app.system_token,
                &json!({"name": "x", "pem": pem}),
            )
            .await;
        assert_eq!(answer.status, 422, "{pem}");
        assert!(
            !answer.text.contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
            "a key is never echoed"
        );
        assert_eq!(answer.pointers(), ["/pem"]);
        assert_eq!(answer.body["errors"][0]["code"], "invalid_certificate");
    }
    let both = app
        .post(
            "/api/v1/certificates",
            &app.system_token,
            &json!({"pem": 7}),
        )
        .await;
    let mut pointers = both.pointers();
    pointers.sort();
    assert_eq!(pointers, ["/name", "/pem"]);
    assert_eq!(
        app.get("/api/v1/certificates", &app.system_token)
            .await
            .body["items"],
        json!([])
    );
}

#[actix_web::test]
async fn only_system_administrators_manage_certificates() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let upload = app
        .post(
            "/api/v1/certificates",
            &tenant.admin_token,
            &json!({"name": "mine", "pem": ISRG_ROOT_X1}),
        )
        .await;
    assert_eq!(upload.status, 403);
    assert_eq!(
        app.get("/api/v1/certificates", &tenant.admin_token)
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn keeps_only_the_certificates_of_an_upload() {
    // Comments (even with a NUL, which PostgreSQL cannot store) and CRLF line ends are
    // dropped: the stored bundle is the certificates written anew.
    let app = spawn_app().await;
    let upload = format!(
        "# uploaded by ops \u{0}\r\n{}",
        ISRG_ROOT_X1.replace('\n', "\r\n")
    );
    let answer = app
        .post(
            "/api/v1/certificates",
            &app.system_token,
            &json!({"name": "roots", "pem": upload}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["pem"], ISRG_ROOT_X1);
}
