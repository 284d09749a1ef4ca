//! The channel integration against the fake X (R-INTEG-1..4, R-CRED-4, R-CRED-7): a
//! submit takes a channel from `draft` through `verifying` to `active`, or to `failed`
//! with a stable code and X's reason; edits of the X connection send it back to `draft`;
//! a crash mid-verification is resumed or failed; Enterprise webhooks are registered,
//! watched and removed at X.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use xchannel_tests::fake_x::{unrelated_ca_certificate_pem, Endpoint, FakeAccount, FakeX, Fault};

use crate::helpers::{
    captured_logs, free_port, spawn_app_with, Answer, SpawnOptions, Tenant, TestApp, XCredentials,
};
use crate::secrets::{database_contents, shown_form};

struct World {
    app: TestApp,
    fake: FakeX,
    tenant: Tenant,
}

async fn world_with(fake: FakeX, check_every: Option<Duration>) -> World {
    fake.allow_http_webhooks(true);
    let port = free_port();
    let app = spawn_app_with(SpawnOptions {
        bind: Some(format!("127.0.0.1:{port}")),
        public_url: format!("http://127.0.0.1:{port}"),
        x_api_base_url: Some(fake.base_url().to_owned()),
        webhook_check_interval: check_every,
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    World { app, fake, tenant }
}

async fn world() -> World {
    world_with(FakeX::start().await.unwrap(), None).await
}

const USER_ID: &str = "1000000000000000042";

/// Registers at the fake X the app and account the credentials belong to.
fn known_to_x(fake: &FakeX, credentials: &XCredentials, user_id: &str) {
    fake.add_app(&credentials.api_key, &credentials.api_key_secret);
    fake.add_account(FakeAccount {
        user_id: user_id.into(),
        name: "Support Desk".into(),
        username: "support_desk".into(),
        api_key: credentials.api_key.clone(),
        access_token: credentials.access_token.clone(),
        access_token_secret: credentials.access_token_secret.clone(),
    });
}

impl World {
    /// A channel of `level` signed with `algorithm`, its credentials known to X.
    async fn channel(&self, name: &str, level: &str, algorithm: &str) -> (String, XCredentials) {
        let credentials = XCredentials::unique();
        known_to_x(&self.fake, &credentials, USER_ID);
        (
            self.create(name, level, algorithm, &credentials).await,
            credentials,
        )
    }

    async fn create(&self, name: &str, level: &str, algorithm: &str, c: &XCredentials) -> String {
        let mut body = self.tenant.channel_body(name, c);
        body["x"]["accountLevel"] = json!(level);
        body["x"]["signatureAlgorithm"] = json!(algorithm);
        let created = self
            .app
            .post("/api/v1/channels", &self.tenant.admin_token, &body)
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        assert_eq!(created.body["integration"]["status"], "draft");
        created.id()
    }

    async fn submit(&self, id: &str) -> Answer {
        self.app
            .call(
                Method::POST,
                &format!("/api/v1/channels/{id}/integration"),
                &self.tenant.admin_token,
                None,
            )
            .await
    }

    async fn integration(&self, id: &str) -> Value {
        let answer = self
            .app
            .get(
                &format!("/api/v1/channels/{id}/integration"),
                &self.tenant.admin_token,
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body
    }

    /// Submits and waits for the verification to end; the view it ended with.
    async fn submitted(&self, id: &str) -> Value {
        let answer = self.submit(id).await;
        assert_eq!(answer.status, 202, "{}", answer.text);
        assert_eq!(answer.body["status"], "verifying");
        self.settled(id).await
    }

    async fn settled(&self, id: &str) -> Value {
        let started = Instant::now();
        loop {
            let view = self.integration(id).await;
            if view["status"] != "verifying" {
                return view;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "still verifying: {view}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn channel_answer(&self, id: &str) -> Answer {
        self.app
            .get(&format!("/api/v1/channels/{id}"), &self.tenant.admin_token)
            .await
    }

    async fn failure(&self, id: &str) -> (String, String) {
        let view = self.submitted(id).await;
        assert_eq!(view["status"], "failed", "{view}");
        (
            view["lastError"]["code"].as_str().unwrap().to_owned(),
            view["lastError"]["message"].as_str().unwrap().to_owned(),
        )
    }
}

// R-INTEG-2, R-INTEG-3, R-INGEST-7
#[actix_web::test]
async fn a_pro_channel_becomes_active_with_its_x_account_and_pull_budget() {
    let w = world().await;
    let (id, _) = w.channel("pro_channel", "pro", "SHA-256").await;
    let started = Instant::now();
    let view = w.submitted(&id).await;
    eprintln!("submit to active (pro): {:?}", started.elapsed());
    assert_eq!(view["status"], "active", "{view}");
    assert_eq!(
        view["xAccount"],
        json!({"id": USER_ID, "username": "support_desk", "name": "Support Desk"})
    );
    assert_eq!(view["pullBudget"]["limit"], 300, "{view}");
    assert!(view["activatedAt"].is_string() && view["submittedAt"].is_string());
    assert!(view["webhookUrl"].is_null() && view["webhook"].is_null());
    assert!(view["nextStep"].as_str().unwrap().contains("every minute"));
    let channel = w.channel_answer(&id).await;
    assert_eq!(channel.body["status"], "active");
    assert_eq!(channel.body["integration"], view);
    let metrics = w.app.get("/metrics", "").await.text;
    assert!(
        metrics.contains("xchannel_integrations_total{outcome=\"active\"}"),
        "{metrics}"
    );
}

// R-INGEST-7: X's budget makes the manual's warning concrete.
#[actix_web::test]
async fn a_basic_channel_and_a_pro_channel_short_of_budget_carry_a_warning() {
    let w = world().await;
    w.fake
        .set_rate_limit(Endpoint::DmEvents, 5, Duration::from_secs(900));
    let (pro, _) = w.channel("pro_channel", "pro", "SHA-1").await;
    let view = w.submitted(&pro).await;
    assert_eq!(view["status"], "active", "{view}");
    assert_eq!(view["pullBudget"]["limit"], 5);
    assert_eq!(view["pullBudget"]["remaining"], 4);
    let channel = w.channel_answer(&pro).await;
    let warnings = channel.body["warnings"].to_string();
    assert!(
        warnings.contains("late or not at all") && warnings.contains("Enterprise"),
        "{warnings}"
    );

    let basic_credentials = XCredentials::unique();
    known_to_x(&w.fake, &basic_credentials, "1000000000000000043");
    let basic = w
        .create("basic_channel", "basic", "SHA-1", &basic_credentials)
        .await;
    let warnings = w.channel_answer(&basic).await.body["warnings"].to_string();
    assert!(
        warnings.contains("Basic") && warnings.contains("late or not at all"),
        "{warnings}"
    );
}

// R-INTEG-2: Enterprise registers the webhook (X runs the CRC against us) and subscribes.
#[actix_web::test]
async fn an_enterprise_channel_becomes_active_with_sha1_and_with_sha256() {
    let w = world().await;
    for (name, algorithm) in [("ent_sha1", "SHA-1"), ("ent_sha256", "SHA-256")] {
        let (id, _) = w.channel(name, "enterprise", algorithm).await;
        let started = Instant::now();
        let view = w.submitted(&id).await;
        eprintln!(
            "submit to active (enterprise, {algorithm}): {:?}",
            started.elapsed()
        );
        assert_eq!(view["status"], "active", "{view}");
        let url = format!("{}/webhooks/x/{id}", w.app.base);
        assert_eq!(view["webhookUrl"], url);
        let webhook = w
            .fake
            .webhooks()
            .into_iter()
            .find(|h| h.url == url)
            .expect("registered at X");
        assert!(webhook.valid);
        assert_eq!(webhook.subscribed_user_ids, [USER_ID]);
        assert_eq!(view["webhook"]["id"], webhook.id);
        assert_eq!(view["webhook"]["valid"], true);
        let signed = w
            .fake
            .received()
            .into_iter()
            .find(|r| r.path == "/2/users/me" && r.status == 200)
            .unwrap();
        assert!(signed.authentication.is_some());
    }
}

// R-INTEG-2: a webhook X already lists at this URL is reused, re-validated when invalid.
#[actix_web::test]
async fn resubmitting_reuses_the_webhook_and_revalidates_an_invalid_one() {
    let w = world().await;
    let (id, _) = w.channel("ent_channel", "enterprise", "SHA-256").await;
    let first = w.submitted(&id).await;
    assert_eq!(first["status"], "active", "{first}");
    let webhook_id = first["webhook"]["id"].as_str().unwrap().to_owned();
    w.fake.set_webhook_valid(&webhook_id, false);
    let again = w.submitted(&id).await;
    assert_eq!(again["status"], "active", "{again}");
    assert_eq!(again["webhook"]["id"], webhook_id.as_str());
    assert_eq!(w.fake.webhooks().len(), 1);
    assert!(w.fake.webhooks()[0].valid);
    let puts = w
        .fake
        .received()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path == format!("/2/webhooks/{webhook_id}"))
        .count();
    assert_eq!(puts, 1);
}

// R-CRED-7: X documents only HMAC-SHA1; a refused SHA-256 says "choose SHA-1".
#[actix_web::test]
async fn a_refused_sha256_signature_says_to_choose_sha1_and_a_fixed_channel_resubmits() {
    let w = world().await;
    w.fake.refuse_hmac_sha256(true);
    let (id, credentials) = w.channel("sha_channel", "pro", "SHA-256").await;
    let (code, message) = w.failure(&id).await;
    assert_eq!(code, "x_signature_method_refused");
    assert!(message.contains("choose SHA-1"), "{message}");
    let channel = w.channel_answer(&id).await;
    assert_eq!(channel.body["status"], "failed");
    let mut body = w.tenant.channel_body("sha_channel", &credentials);
    body["x"]["accountLevel"] = json!("pro");
    body["x"]["signatureAlgorithm"] = json!("SHA-1");
    let edited = w
        .app
        .put_channel(
            &w.tenant.admin_token,
            &id,
            &body,
            channel.body["version"].as_i64().unwrap() as i32,
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.body["status"], "draft");
    assert!(edited.body["integration"]["nextStep"]
        .as_str()
        .unwrap()
        .contains("submit the integration again"));
    assert_eq!(w.submitted(&id).await["status"], "active");
}

// R-INTEG-3: each refusal of X ends `failed` with its code and an actionable message.
#[actix_web::test]
async fn refused_credentials_rate_limits_and_outages_fail_with_their_codes() {
    let w = world().await;
    // Credentials X does not know.
    let unknown = XCredentials::unique();
    let id = w.create("refused", "pro", "SHA-256", &unknown).await;
    let (code, message) = w.failure(&id).await;
    assert_eq!(code, "x_credentials_refused", "{message}");
    assert!(message.contains("Check the API key"), "{message}");
    // Known, then rate-limited.
    let (limited, _) = w.channel("limited", "pro", "SHA-1").await;
    w.fake
        .set_rate_limit(Endpoint::UsersMe, 0, Duration::from_secs(900));
    let (code, message) = w.failure(&limited).await;
    assert_eq!(code, "x_rate_limited", "{message}");
    assert!(message.contains("allows calls again at"), "{message}");
    w.fake
        .set_rate_limit(Endpoint::UsersMe, 75, Duration::from_secs(900));
    // X failing.
    w.fake.inject(Fault::ServerError(503));
    let (code, _) = w.failure(&limited).await;
    assert_eq!(code, "x_unreachable");
    // Fixed: submitted again, it works.
    assert_eq!(w.submitted(&limited).await["status"], "active");
}

#[actix_web::test]
async fn an_x_that_refuses_connections_is_unreachable() {
    // Port 1 (tcpmux): privileged, so no test's server listens there and a connection is
    // refused. (A stopped fake X's port was taken by another test's fake X, seen in CI.)
    let app = spawn_app_with(SpawnOptions {
        x_api_base_url: Some("http://127.0.0.1:1".to_owned()),
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    let w = World {
        app,
        fake: FakeX::start().await.unwrap(),
        tenant,
    };
    let id = w
        .create("nowhere", "pro", "SHA-1", &XCredentials::unique())
        .await;
    let (code, message) = w.failure(&id).await;
    assert_eq!(code, "x_unreachable", "{message}");
    assert!(message.contains("XCHANNEL_X_API_BASE_URL"), "{message}");
}

#[actix_web::test]
async fn an_x_that_hangs_is_unreachable_after_the_timeout() {
    let w = world().await;
    let (id, _) = w.channel("hanging", "pro", "SHA-1").await;
    w.fake.inject(Fault::Hang(Duration::from_secs(12)));
    let (code, message) = w.failure(&id).await;
    assert_eq!(code, "x_unreachable", "{message}");
    assert!(message.contains("did not answer within"), "{message}");
}

// R-INTEG-2: X's refusal of the webhook URL, quoted; a failed CRC; a refused subscription.
#[actix_web::test]
async fn refused_webhooks_and_subscriptions_fail_with_x_reason() {
    let w = world().await;
    let (id, _) = w.channel("ent_channel", "enterprise", "SHA-1").await;
    w.fake.allow_http_webhooks(false);
    let (code, message) = w.failure(&id).await;
    assert_eq!(code, "x_webhook_refused");
    assert!(message.contains("The URL must use https"), "{message}");
    w.fake.allow_http_webhooks(true);
    // users/me, token, list, create pass; the subscription is refused.
    for _ in 0..4 {
        w.fake.inject(Fault::Latency(Duration::ZERO));
    }
    w.fake.inject(Fault::ServerError(403));
    let (code, _) = w.failure(&id).await;
    assert_eq!(code, "x_subscription_refused");
    assert_eq!(w.submitted(&id).await["status"], "active");
}

#[actix_web::test]
async fn a_webhook_whose_crc_fails_is_refused() {
    let fake = FakeX::start().await.unwrap();
    fake.allow_http_webhooks(true);
    // The public URL names a port where nothing answers X's CRC.
    let app = spawn_app_with(SpawnOptions {
        public_url: format!("http://127.0.0.1:{}", free_port()),
        x_api_base_url: Some(fake.base_url().to_owned()),
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    let w = World { app, fake, tenant };
    let (id, _) = w.channel("ent_channel", "enterprise", "SHA-256").await;
    let (code, message) = w.failure(&id).await;
    assert_eq!(code, "x_webhook_refused");
    assert!(message.contains("CRC"), "{message}");
}

// R-INTEG-4: outbound TLS trusts the uploaded certificates only.
#[actix_web::test]
async fn tls_to_x_needs_an_uploaded_certificate_that_matches() {
    let w = world_with(FakeX::start_tls().await.unwrap(), None).await;
    let (id, _) = w.channel("tls_channel", "pro", "SHA-256").await;
    let (code, message) = w.failure(&id).await;
    assert_eq!(code, "x_certificate_missing", "{message}");
    let upload = |pem: String| {
        let app = &w.app;
        async move {
            let answer = app
                .post(
                    "/api/v1/certificates",
                    &app.system_token,
                    &json!({"name": "x", "pem": pem}),
                )
                .await;
            assert_eq!(answer.status, 201, "{}", answer.text);
            answer.id()
        }
    };
    let unrelated = upload(unrelated_ca_certificate_pem()).await;
    let (code, message) = w.failure(&id).await;
    assert_eq!(code, "x_tls_untrusted", "{message}");
    let _ = unrelated;
    upload(w.fake.ca_certificate_pem().unwrap().to_owned()).await;
    assert_eq!(w.submitted(&id).await["status"], "active");
}

// R-CRED-4: one X project, one channel, across tenants, checked once ownership is proven.
#[actix_web::test]
async fn an_x_app_active_in_another_tenant_is_refused_without_naming_it() {
    let w = world().await;
    let (id, credentials) = w.channel("first_channel", "pro", "SHA-1").await;
    assert_eq!(w.submitted(&id).await["status"], "active");
    let other = World {
        tenant: w.app.tenant().await,
        ..w
    };
    let theirs = other
        .create("second_channel", "pro", "SHA-1", &credentials)
        .await;
    let (code, message) = other.failure(&theirs).await;
    assert_eq!(code, "x_app_in_use");
    assert!(
        !message.contains(&id) && !message.contains("first_channel"),
        "{message}"
    );
    // The second one proved the credentials: it knows the account, as X told it.
    assert_eq!(other.integration(&theirs).await["xAccount"]["id"], USER_ID);
}

// R-INTEG-3
#[actix_web::test]
async fn submitting_a_verifying_channel_is_409() {
    let w = world().await;
    let (id, _) = w.channel("slow_channel", "pro", "SHA-1").await;
    // Slow enough that the second submit comes while the first verifies, however loaded
    // the machine.
    w.fake.set_latency(Duration::from_secs(3));
    assert_eq!(w.submit(&id).await.status, 202);
    let again = w.submit(&id).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.problem_code(), "integration_in_progress");
    w.fake.set_latency(Duration::ZERO);
    assert_eq!(w.settled(&id).await["status"], "active");
}

// R-INTEG-3: editing the connection sends the channel back to draft; other edits do not.
#[actix_web::test]
async fn an_edit_of_the_credentials_sends_an_active_channel_back_to_draft() {
    let w = world().await;
    let (id, credentials) = w.channel("edited", "pro", "SHA-1").await;
    assert_eq!(w.submitted(&id).await["status"], "active");
    let patched = w
        .app
        .call_with(
            Method::PATCH,
            &format!("/api/v1/channels/{id}"),
            &w.tenant.admin_token,
            Some(&json!({"nonWorkingTimeNotification": "Back at 8."})),
            &[
                ("if-match", "\"1\""),
                ("content-type", "application/merge-patch+json"),
            ],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["status"], "active");
    let rotated = XCredentials::unique();
    let patched = w
        .app
        .call_with(
            Method::PATCH,
            &format!("/api/v1/channels/{id}"),
            &w.tenant.admin_token,
            Some(&json!({"x": {"accessTokenSecret": rotated.access_token_secret}})),
            &[
                ("if-match", "\"2\""),
                ("content-type", "application/merge-patch+json"),
            ],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["status"], "draft");
    assert!(patched.body["integration"]["nextStep"]
        .as_str()
        .unwrap()
        .contains("changed"));
    // X does not know the rotated secret: the next submit says so.
    let (code, _) = w.failure(&id).await;
    assert_eq!(code, "x_credentials_refused");
    let _ = credentials;
}

/// Makes the channel look like one whose instance died mid-verification: `verifying`,
/// with its submit leased to an instance that is gone, claimed `claims` times.
async fn crash_mid_verification(w: &World, id: &str, claims: i32) {
    let db = sea_orm::Database::connect(&w.app.database_url)
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    let past = "2020-01-01 00:00:00+00";
    for sql in [
        format!("UPDATE channels SET status = 'verifying' WHERE id = '{id}'"),
        format!(
            "INSERT INTO leases (kind, item, due_at, holder, expires_at, attempts) \
             VALUES ('integration', '{id}', '{past}', 'dead-instance', '{past}', {claims})"
        ),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    db.close().await.ok();
}

// R-INTEG-3: a crash never leaves a channel verifying for ever.
#[actix_web::test]
async fn a_verification_interrupted_by_a_crash_is_resumed_or_failed() {
    let w = world().await;
    let (resumed, _) = w.channel("resumed", "enterprise", "SHA-1").await;
    crash_mid_verification(&w, &resumed, 1).await;
    assert_eq!(w.settled(&resumed).await["status"], "active");
    let (given_up, _) = w.channel("given_up", "pro", "SHA-1").await;
    crash_mid_verification(&w, &given_up, 3).await;
    let view = w.settled(&given_up).await;
    assert_eq!(view["status"], "failed");
    assert_eq!(view["lastError"]["code"], "integration_interrupted");
    assert!(view["lastError"]["message"]
        .as_str()
        .unwrap()
        .contains("submit again"));
    assert_eq!(w.submitted(&given_up).await["status"], "active");
}

// X marks webhooks invalid silently: the watcher notices and asks X to re-run the CRC.
#[actix_web::test]
async fn a_webhook_found_invalid_is_revalidated_by_the_watcher() {
    let w = world_with(
        FakeX::start().await.unwrap(),
        Some(Duration::from_millis(300)),
    )
    .await;
    let (id, _) = w.channel("watched", "enterprise", "SHA-256").await;
    let view = w.submitted(&id).await;
    assert_eq!(view["status"], "active", "{view}");
    let webhook_id = view["webhook"]["id"].as_str().unwrap().to_owned();
    let first_check = view["webhook"]["checkedAt"].as_str().unwrap().to_owned();
    w.fake.set_webhook_valid(&webhook_id, false);
    let started = Instant::now();
    loop {
        let put = w
            .fake
            .received()
            .iter()
            .any(|r| r.method == "PUT" && r.path == format!("/2/webhooks/{webhook_id}"));
        if put && w.fake.webhooks()[0].valid {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never re-validated"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let started = Instant::now();
    loop {
        let view = w.integration(&id).await;
        if view["webhook"]["checkedAt"] != first_check.as_str() && view["webhook"]["valid"] == true
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{view}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = w.app.get("/metrics", "").await.text;
    assert!(
        metrics.contains("xchannel_webhook_checks_total{result=\"revalidated\"}"),
        "{metrics}"
    );
}

#[actix_web::test]
async fn a_webhook_that_stays_invalid_puts_a_warning_on_the_channel() {
    let w = world().await;
    let (id, _) = w.channel("invalid_hook", "enterprise", "SHA-1").await;
    assert_eq!(w.submitted(&id).await["status"], "active");
    let db = sea_orm::Database::connect(&w.app.database_url)
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!(
        "UPDATE channel_integrations SET webhook_valid = false WHERE channel_id = '{id}'"
    ))
    .await
    .unwrap();
    db.close().await.ok();
    let channel = w.channel_answer(&id).await;
    assert_eq!(channel.body["integration"]["webhook"]["valid"], false);
    assert!(
        channel.body["warnings"].to_string().contains("invalid"),
        "{}",
        channel.text
    );
}

// Deleting a channel removes its subscription and webhook at X, best effort.
#[actix_web::test]
async fn deleting_an_enterprise_channel_removes_its_webhook_at_x() {
    let w = world().await;
    let (id, _) = w.channel("deleted", "enterprise", "SHA-1").await;
    assert_eq!(w.submitted(&id).await["status"], "active");
    assert_eq!(w.fake.webhooks().len(), 1);
    let deleted = w
        .app
        .call(
            Method::DELETE,
            &format!("/api/v1/channels/{id}"),
            &w.tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let started = Instant::now();
    while !w.fake.webhooks().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "webhook left at X"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(w.fake.received().iter().any(
        |r| r.method == "DELETE" && r.path.ends_with(&format!("/subscriptions/{USER_ID}/all"))
    ));
    // X being down does not block a delete.
    let (other, _) = w.channel("deleted_too", "enterprise", "SHA-1").await;
    assert_eq!(w.submitted(&other).await["status"], "active");
    for _ in 0..3 {
        w.fake.inject(Fault::ServerError(503));
    }
    let deleted = w
        .app
        .call(
            Method::DELETE,
            &format!("/api/v1/channels/{other}"),
            &w.tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
}

// R-CRED-3: nothing of the integration shows a secret, in an answer or a log line.
#[actix_web::test]
async fn no_secret_in_any_answer_or_log_line_of_an_integration() {
    let w = world().await;
    let (id, credentials) = w.channel("secret_channel", "enterprise", "SHA-256").await;
    let bearer = w
        .fake
        .add_app(&credentials.api_key, &credentials.api_key_secret)
        .bearer_token;
    let mut texts = Vec::new();
    let view = w.submitted(&id).await;
    assert_eq!(view["status"], "active");
    texts.push(view.to_string());
    texts.push(w.channel_answer(&id).await.text);
    w.fake.refuse_hmac_sha256(true);
    let refused_credentials = XCredentials::unique();
    let refused = w
        .create("refused_channel", "pro", "SHA-256", &refused_credentials)
        .await;
    texts.push(w.submitted(&refused).await.to_string());
    texts.push(
        w.app
            .get("/api/v1/channels", &w.tenant.admin_token)
            .await
            .text,
    );
    texts.push(captured_logs());
    let stored = database_contents(&w.app).await;
    for secret in credentials
        .secrets()
        .into_iter()
        .chain(refused_credentials.secrets())
        .chain([bearer.as_str()])
    {
        for text in &texts {
            assert_eq!(
                shown_form(text, secret),
                None,
                "a secret in an answer or a log line"
            );
        }
        // The database holds the credentials sealed, and X's bearer token not at all.
        assert_eq!(
            shown_form(&stored, secret),
            None,
            "a secret in the database"
        );
    }
}

// R-INGEST-1: X sends a webhook the events of every account subscribed to it; once the
// submit recorded the channel's account, a delivery for another account is acknowledged
// (200, so X does not retry it) and not kept, and one for the channel's account is.
#[actix_web::test]
async fn a_delivery_for_another_account_than_the_channel_s_is_acknowledged_and_not_kept() {
    let w = world().await;
    let (id, credentials) = w.channel("ent_accounts", "enterprise", "SHA-1").await;
    assert_eq!(w.submitted(&id).await["status"], "active");
    let url = format!("{}/webhooks/x/{id}", w.app.base);
    let customer = ("2000000000000000007", "Ada", "ada");
    let delivery = |for_user_id: &str, event_id: &str| {
        xchannel_tests::fake_x::direct_message_delivery(
            for_user_id,
            event_id,
            1_764_000_000_000,
            customer,
            for_user_id,
            "Where is my order?",
        )
        .to_string()
    };
    // The key cache reads the recorded account within a second of the submit.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let driver = w.fake.driver();
    let other = delivery("1000000000000000099", "1900000000000000001");
    let own = delivery(USER_ID, "1900000000000000002");
    for body in [&other, &own] {
        let statuses = driver
            .deliver(&url, &credentials.api_key_secret, body.as_bytes(), 1)
            .await;
        assert_eq!(statuses, [Ok(200)]);
    }
    let listed = w
        .app
        .get(
            &format!("/api/v1/channels/{id}/messages"),
            &w.tenant.admin_token,
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let ids: Vec<_> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["xEventId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["1900000000000000002"]);
    let metrics = w.app.get("/metrics", "").await.text;
    assert!(
        metrics.contains("xchannel_webhook_deliveries_total{outcome=\"other_account\"} 1"),
        "{metrics}"
    );
}
