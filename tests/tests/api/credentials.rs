//! Credential rotation (R-CRED-5) as stored: the sealed values themselves, opened with the
//! master key, not only the hints; and "one X project, one channel" on edit (R-CRED-4).

use ring::digest;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Answer, Tenant, TestApp, XCredentials};

/// A body that sends only the credentials named in `sent` (the others are omitted, so kept).
fn rotation_body(
    tenant: &Tenant,
    name: &str,
    credentials: &XCredentials,
    sent: &[(&str, &str)],
) -> Value {
    let mut body = tenant.channel_body(name, credentials);
    let x = body["x"].as_object_mut().unwrap();
    for field in ["apiKey", "apiKeySecret", "accessToken", "accessTokenSecret"] {
        x.remove(field);
    }
    for (field, value) in sent {
        x.insert((*field).to_owned(), json!(value));
    }
    body
}

fn hint(value: &str) -> String {
    format!("••••{}", &value[value.len() - 4..])
}

fn fingerprint(api_key: &str) -> String {
    digest::digest(&digest::SHA256, api_key.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn rotate(
    app: &TestApp,
    tenant: &Tenant,
    created: &Answer,
    credentials: &XCredentials,
    sent: &[(&str, &str)],
) -> Answer {
    let name = created.body["name"].as_str().unwrap();
    let body = rotation_body(tenant, name, credentials, sent);
    let answer = app
        .put_channel(&tenant.admin_token, &created.id(), &body, 1)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer
}

#[actix_web::test]
async fn rotating_the_api_key_secret_stores_the_new_secret_and_keeps_the_other_three() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, old) = tenant.create_channel(&app, "x_rotate_secret").await;
    assert_eq!(
        app.stored_credentials(&created.id()).await,
        old.as_stored(),
        "stored as sent at create"
    );

    let new_secret = format!("new-{}-SeCr", old.api_key_secret);
    let answer = rotate(
        &app,
        &tenant,
        &created,
        &old,
        &[("apiKeySecret", &new_secret)],
    )
    .await;
    assert_eq!(
        answer.body["credentials"]["apiKeySecret"],
        hint(&new_secret)
    );

    let expected = XCredentials {
        api_key_secret: new_secret,
        ..old
    };
    assert_eq!(
        app.stored_credentials(&created.id()).await,
        expected.as_stored()
    );
}

#[actix_web::test]
async fn rotating_the_access_token_stores_the_new_token_and_keeps_the_other_three() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, old) = tenant.create_channel(&app, "x_rotate_token").await;

    let new_token = "1500000000000000001-RotatedAccessTokn";
    let answer = rotate(&app, &tenant, &created, &old, &[("accessToken", new_token)]).await;
    assert_eq!(answer.body["credentials"]["accessToken"], hint(new_token));
    assert_eq!(
        answer.body["credentials"]["accessTokenSecret"],
        created.body["credentials"]["accessTokenSecret"]
    );

    let expected = XCredentials {
        access_token: new_token.to_owned(),
        ..old
    };
    assert_eq!(
        app.stored_credentials(&created.id()).await,
        expected.as_stored()
    );
}

#[actix_web::test]
async fn rotating_into_an_api_key_of_another_channel_of_the_tenant_is_409_and_changes_nothing() {
    // R-CRED-4 on edit.
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (first, first_credentials) = tenant.create_channel(&app, "x_first").await;
    let (second, second_credentials) = tenant.create_channel(&app, "x_second").await;

    for sent in [
        vec![("apiKey", first_credentials.api_key.as_str())],
        vec![
            ("apiKey", first_credentials.api_key.as_str()),
            ("apiKeySecret", "another-secret-0001"),
            ("accessToken", "1500000000000000001-another-token"),
            ("accessTokenSecret", "another-token-secret-0001"),
        ],
    ] {
        let body = rotation_body(&tenant, "x_second", &second_credentials, &sent);
        let answer = app
            .put_channel(&tenant.admin_token, &second.id(), &body, 1)
            .await;
        assert_eq!(answer.status, 409, "{}", answer.text);
        assert_eq!(answer.problem_code(), "api_key_in_use");
        assert!(
            !answer.text.contains(&first_credentials.api_key),
            "the key is not echoed: {}",
            answer.text
        );
    }

    let read = app
        .get(
            &format!("/api/v1/channels/{}", second.id()),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.etag(), "\"1\"");
    assert_eq!(read.body["version"], 1);
    assert_eq!(read.body["credentials"], second.body["credentials"]);
    assert_eq!(read.body["updatedAt"], second.body["updatedAt"]);
    assert_eq!(
        app.stored_credentials(&second.id()).await,
        second_credentials.as_stored()
    );
    assert_eq!(
        app.stored_credentials(&first.id()).await,
        first_credentials.as_stored()
    );
}

#[actix_web::test]
async fn the_api_key_fingerprint_follows_a_rotated_api_key() {
    let app = spawn_app().await;
    let tenant = app.tenant().await;
    let (created, old) = tenant.create_channel(&app, "x_fingerprint").await;
    assert_eq!(
        app.channel_column(&created.id(), "api_key_fingerprint")
            .await,
        fingerprint(&old.api_key)
    );

    let new_key = format!("rotated{}", &old.api_key[2..]);
    let answer = rotate(&app, &tenant, &created, &old, &[("apiKey", &new_key)]).await;
    assert_eq!(answer.body["credentials"]["apiKey"], hint(&new_key));
    assert_eq!(
        app.channel_column(&created.id(), "api_key_fingerprint")
            .await,
        fingerprint(&new_key)
    );
    assert_eq!(
        app.stored_credentials(&created.id()).await["apiKey"],
        new_key.as_str()
    );

    // The old key is free again, the new one is taken.
    let reuse_old = tenant.channel_body(
        "x_old_key",
        &XCredentials {
            api_key: old.api_key.clone(),
            ..XCredentials::unique()
        },
    );
    assert_eq!(
        app.post("/api/v1/channels", &tenant.admin_token, &reuse_old)
            .await
            .status,
        201
    );
    let reuse_new = tenant.channel_body(
        "x_new_key",
        &XCredentials {
            api_key: new_key.clone(),
            ..XCredentials::unique()
        },
    );
    let taken = app
        .post("/api/v1/channels", &tenant.admin_token, &reuse_new)
        .await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    assert_eq!(taken.problem_code(), "api_key_in_use");
}
