//! Coverage is a ledger (issue 15): the time ranges of each channel known complete, the gaps
//! with their reason as the channel's `syncGaps`, and their healing against the fake X. No
//! test waits for real hours: the past is written into the database (heartbeats of an
//! instance that stopped long ago, an activation days back) and the thresholds are short.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, Value as DbValue};
use serde_json::{json, Value};
use x_connector::{client::replay_minute, BearerToken, XClient, XClientConfig, XError};
use xchannel::config::{DatabaseSettings, Settings, SqliteSynchronous};
use xchannel::{coverage, store::Store};
use xchannel_tests::fake_x::{FakeAccount, FakeDmEvent, FakeX};

use crate::helpers::{free_port, spawn_app_with, SpawnOptions, Tenant, TestApp, XCredentials};

const ACCOUNT: &str = "1000000000000000042";
const CUSTOMER: &str = "3001969357";

struct World {
    app: TestApp,
    fake: FakeX,
    tenant: Tenant,
}

fn short_thresholds(settings: &mut Settings) {
    let coverage = &mut settings.workers.coverage;
    coverage.heartbeat_interval = Duration::from_millis(100);
    coverage.replay_settle = Duration::ZERO;
    coverage.heal_poll = Duration::from_millis(100);
}

async fn world(check_every: Option<Duration>) -> World {
    let fake = FakeX::start().await.unwrap();
    fake.allow_http_webhooks(true);
    let port = free_port();
    let app = spawn_app_with(SpawnOptions {
        bind: Some(format!("127.0.0.1:{port}")),
        public_url: format!("http://127.0.0.1:{port}"),
        x_api_base_url: Some(fake.base_url().to_owned()),
        webhook_check_interval: check_every,
        tune: Some(short_thresholds),
        ..SpawnOptions::default()
    })
    .await;
    let tenant = app.tenant().await;
    World { app, fake, tenant }
}

async fn database(app: &TestApp) -> DatabaseConnection {
    Database::connect(&app.database_url).await.unwrap()
}

/// Runs `sql` with one time bound (`$1`).
async fn at_time(app: &TestApp, sql: &str, at: DateTime<Utc>) {
    let db = database(app).await;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace("$1", "?"),
    };
    db.execute(Statement::from_sql_and_values(
        backend,
        sql,
        [DbValue::from(at)],
    ))
    .await
    .unwrap();
    db.close().await.ok();
}

fn ago(by: chrono::Duration) -> DateTime<Utc> {
    Utc::now() - by
}

impl World {
    /// An active Enterprise channel whose X account is [`ACCOUNT`], activated `activated`
    /// ago; its id and X's webhook id.
    async fn enterprise_channel(&self, activated: chrono::Duration) -> (String, String) {
        let credentials = XCredentials::unique();
        self.fake
            .add_app(&credentials.api_key, &credentials.api_key_secret);
        self.fake.add_account(FakeAccount {
            user_id: ACCOUNT.into(),
            name: "Support Desk".into(),
            username: "support_desk".into(),
            api_key: credentials.api_key.clone(),
            access_token: credentials.access_token.clone(),
            access_token_secret: credentials.access_token_secret.clone(),
        });
        let mut body = self.tenant.channel_body("ent_support", &credentials);
        body["x"]["accountLevel"] = json!("enterprise");
        let created = self
            .app
            .post("/api/v1/channels", &self.tenant.admin_token, &body)
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.id();
        let path = format!("/api/v1/channels/{id}/integration");
        let token = &self.tenant.admin_token;
        let submitted = self.app.call(Method::POST, &path, token, None).await;
        assert_eq!(submitted.status, 202, "{}", submitted.text);
        let view = self
            .until(&format!("{id} active"), || async {
                let view = self.app.get(&path, token).await.body;
                (view["status"] != "verifying").then_some(view)
            })
            .await;
        assert_eq!(view["status"], "active", "{view}");
        at_time(
            &self.app,
            &format!("UPDATE channel_integrations SET activated_at = $1 WHERE channel_id = '{id}'"),
            ago(activated),
        )
        .await;
        let webhook_id = view["webhook"]["id"].as_str().unwrap().to_owned();
        (id, webhook_id)
    }

    /// As if no instance had beaten since `since` ago: the next beat finds the stretch.
    async fn service_down_since(&self, since: chrono::Duration) {
        at_time(
            &self.app,
            "UPDATE instance_heartbeats SET beat_at = $1",
            ago(since),
        )
        .await;
    }

    /// A DM from [`CUSTOMER`] that X timed `ago` in the past, kept in X's history.
    fn dm_in_history(&self, id: &str, before: chrono::Duration, text: &str) {
        self.fake.add_dm_event(
            ACCOUNT,
            FakeDmEvent {
                id: id.into(),
                text: text.into(),
                sender_id: CUSTOMER.into(),
                participant_ids: vec![CUSTOMER.into(), ACCOUNT.into()],
                created_at: ago(before).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                dm_conversation_id: format!("{CUSTOMER}-{ACCOUNT}"),
                media: Vec::new(),
            },
        );
    }

    async fn sync_gaps(&self, id: &str) -> Vec<Value> {
        let channel = self
            .app
            .get(&format!("/api/v1/channels/{id}"), &self.tenant.admin_token)
            .await;
        assert_eq!(channel.status, 200, "{}", channel.text);
        channel.body["syncGaps"]
            .as_array()
            .expect("syncGaps")
            .clone()
    }

    async fn message_ids(&self, id: &str) -> Vec<String> {
        let list = self
            .app
            .get(
                &format!("/api/v1/channels/{id}/messages"),
                &self.tenant.admin_token,
            )
            .await;
        assert_eq!(list.status, 200, "{}", list.text);
        let mut ids: Vec<String> = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["xEventId"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    }

    /// Polls `check` until it answers something, for at most 20 seconds.
    async fn until<T, F, Fut>(&self, what: &str, check: F) -> T
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let started = Instant::now();
        loop {
            if let Some(found) = check().await {
                return found;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "never: {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn gaps_until(
        &self,
        id: &str,
        what: &str,
        wanted: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        self.until(what, || async {
            let gaps = self.sync_gaps(id).await;
            wanted(&gaps).then_some(gaps)
        })
        .await
    }

    /// Replay jobs X accepted.
    fn replay_requests(&self) -> usize {
        self.fake
            .received()
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/2/webhooks/replay" && r.status == 200)
            .count()
    }
}

fn time_of(gap: &Value, end: &str) -> DateTime<Utc> {
    gap[end].as_str().unwrap().parse().unwrap()
}

fn near(at: DateTime<Utc>, expected: DateTime<Utc>) -> bool {
    (at - expected).num_seconds().abs() < 60
}

#[actix_web::test]
async fn a_service_down_stretch_is_a_service_down_gap_healed_by_replay() {
    let w = world(None).await;
    let (id, _) = w.enterprise_channel(chrono::Duration::hours(3)).await;
    // Sent to the account while no instance was alive: X delivered them to nobody.
    w.dm_in_history(
        "1800000000000000101",
        chrono::Duration::minutes(90),
        "anyone there?",
    );
    w.dm_in_history(
        "1800000000000000102",
        chrono::Duration::minutes(80),
        "hello?",
    );
    assert!(w.sync_gaps(&id).await.is_empty());
    w.fake.hold_replay_jobs(true);
    w.service_down_since(chrono::Duration::hours(2)).await;
    let gaps = w
        .gaps_until(&id, "a service_down gap being replayed", |gaps| {
            gaps.len() == 1 && gaps[0]["healing"] == "replay"
        })
        .await;
    assert_eq!(gaps[0]["reason"], "service_down", "{gaps:?}");
    assert!(
        near(time_of(&gaps[0], "from"), ago(chrono::Duration::hours(2))),
        "{gaps:?}"
    );
    assert!(near(time_of(&gaps[0], "to"), Utc::now()), "{gaps:?}");
    assert!(w.message_ids(&id).await.is_empty());
    assert_eq!(w.replay_requests(), 1);
    w.fake.hold_replay_jobs(false);
    w.gaps_until(&id, "the gap healed", |gaps| gaps.is_empty())
        .await;
    assert_eq!(
        w.message_ids(&id).await,
        ["1800000000000000101", "1800000000000000102"]
    );
}

#[actix_web::test]
async fn a_gap_older_than_a_day_is_read_back_from_x_dm_history() {
    let w = world(None).await;
    let (id, _) = w.enterprise_channel(chrono::Duration::days(4)).await;
    w.dm_in_history(
        "1800000000000000201",
        chrono::Duration::days(2),
        "two days ago",
    );
    w.dm_in_history(
        "1800000000000000202",
        chrono::Duration::hours(30),
        "yesterday",
    );
    w.service_down_since(chrono::Duration::days(3)).await;
    let wanted = ["1800000000000000201", "1800000000000000202"];
    w.until("the old gap read back", || async {
        (w.message_ids(&id).await == wanted).then_some(())
    })
    .await;
    assert!(w.sync_gaps(&id).await.is_empty());
    assert_eq!(w.replay_requests(), 0, "older than 24 hours: no replay");
    let read = w
        .fake
        .received()
        .iter()
        .filter(|r| r.path == "/2/dm_events")
        .count();
    assert!(read >= 1);
}

#[actix_web::test]
async fn a_gap_older_than_30_days_stays_visible_as_beyond_history() {
    let w = world(None).await;
    let (id, _) = w.enterprise_channel(chrono::Duration::days(40)).await;
    w.service_down_since(chrono::Duration::days(31)).await;
    let gaps = w
        .gaps_until(&id, "only the part beyond X's history left", |gaps| {
            gaps.len() == 1 && gaps[0]["reason"] == "beyond_history"
        })
        .await;
    assert!(
        near(time_of(&gaps[0], "from"), ago(chrono::Duration::days(31))),
        "{gaps:?}"
    );
    assert!(
        near(time_of(&gaps[0], "to"), ago(chrono::Duration::days(30))),
        "{gaps:?}"
    );
    assert!(gaps[0].get("healing").is_none(), "{gaps:?}");
    // It stays.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(w.sync_gaps(&id).await, gaps);
}

#[actix_web::test]
async fn a_webhook_x_marks_invalid_opens_a_gap_until_it_is_valid_again() {
    let w = world(Some(Duration::from_millis(300))).await;
    let (id, webhook_id) = w.enterprise_channel(chrono::Duration::hours(1)).await;
    w.fake.fail_crc(true);
    w.fake.set_webhook_valid(&webhook_id, false);
    let gaps = w
        .gaps_until(&id, "a webhook_invalid gap", |gaps| !gaps.is_empty())
        .await;
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0]["reason"], "webhook_invalid");
    assert_eq!(gaps[0]["to"], Value::Null, "open while X holds it invalid");
    w.fake.hold_replay_jobs(true);
    w.fake.fail_crc(false);
    let gaps = w
        .gaps_until(&id, "the gap closed and replayed", |gaps| {
            gaps.len() == 1 && gaps[0]["to"].is_string() && gaps[0]["healing"] == "replay"
        })
        .await;
    assert_eq!(gaps[0]["reason"], "webhook_invalid");
    w.fake.hold_replay_jobs(false);
    w.gaps_until(&id, "the gap healed", |gaps| gaps.is_empty())
        .await;
}

#[actix_web::test]
async fn one_replay_job_runs_per_webhook_at_a_time() {
    let w = world(None).await;
    let (id, webhook_id) = w.enterprise_channel(chrono::Duration::hours(3)).await;
    w.fake.hold_replay_jobs(true);
    w.service_down_since(chrono::Duration::hours(2)).await;
    w.gaps_until(&id, "the first gap being replayed", |gaps| {
        gaps.iter().any(|g| g["healing"] == "replay")
    })
    .await;
    // A second stretch while the first job runs: a second gap, not a second job.
    w.service_down_since(chrono::Duration::minutes(30)).await;
    w.gaps_until(&id, "two gaps", |gaps| gaps.len() == 2).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(w.replay_requests(), 1);
    // X itself refuses a second job for the webhook while one runs.
    let app = w.fake.apps().pop().unwrap();
    let x = XClient::new(XClientConfig::new(w.fake.base_url().parse().unwrap())).unwrap();
    let minute = replay_minute(std::time::SystemTime::now() - Duration::from_secs(3600));
    let refused = x
        .create_replay_job(
            &BearerToken::new(app.bearer_token),
            &webhook_id,
            &minute,
            &minute,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, XError::Api { status: 409, .. }),
        "{refused}"
    );
    w.fake.hold_replay_jobs(false);
    w.gaps_until(&id, "both gaps healed", |gaps| gaps.is_empty())
        .await;
    assert_eq!(w.replay_requests(), 2);
}

#[actix_web::test]
async fn the_pull_api_records_complete_ranges_and_gaps_and_merges_them() {
    let w = world(None).await;
    let (created, _) = w.tenant.create_channel(&w.app, "pro_support").await;
    let id = created.id();
    let store = Store::open_existing(&DatabaseSettings {
        url: w.app.database_url.clone(),
        sqlite_synchronous: SqliteSynchronous::Full,
    })
    .await
    .unwrap();
    let base = ago(chrono::Duration::hours(2));
    let t = |minutes: i64| base + chrono::Duration::minutes(minutes);
    let tx = store.write().await.unwrap();
    coverage::pull_reached_cursor(&tx, &id, t(0), t(10))
        .await
        .unwrap();
    coverage::pull_reached_cursor(&tx, &id, t(20), t(30))
        .await
        .unwrap();
    coverage::pull_stopped_short(&tx, &id, t(5), t(25), coverage::GapReason::RateLimited)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let ranges = xchannel::store::coverage::complete_ranges(store.reader(), &id)
        .await
        .unwrap();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    // Only what is not known complete is a gap: between the two ranges.
    let gaps = w.sync_gaps(&id).await;
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0]["reason"], "rate_limited");
    assert!((time_of(&gaps[0], "from") - t(10)).num_milliseconds().abs() <= 1);
    assert!((time_of(&gaps[0], "to") - t(20)).num_milliseconds().abs() <= 1);
    // The next pull reaches its cursor across the gap: one range, no gap.
    let tx = store.write().await.unwrap();
    coverage::pull_reached_cursor(&tx, &id, t(9), t(21))
        .await
        .unwrap();
    coverage::pull_reached_cursor(&tx, &id, t(30), t(40))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let ranges = xchannel::store::coverage::complete_ranges(store.reader(), &id)
        .await
        .unwrap();
    assert_eq!(
        ranges,
        [(t(0).timestamp_millis(), t(40).timestamp_millis())]
    );
    assert!(w.sync_gaps(&id).await.is_empty());
    // Two stretches that touch are one gap.
    let tx = store.write().await.unwrap();
    for (from, to) in [(50, 60), (60, 70), (55, 65)] {
        coverage::pull_stopped_short(&tx, &id, t(from), t(to), coverage::GapReason::RateLimited)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let gaps = w.sync_gaps(&id).await;
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!((time_of(&gaps[0], "from") - t(50)).num_milliseconds().abs() <= 1);
    assert!((time_of(&gaps[0], "to") - t(70)).num_milliseconds().abs() <= 1);
    // Listed channels carry their gaps as well.
    let list = w.app.get("/api/v1/channels", &w.tenant.admin_token).await;
    let listed = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["syncGaps"], json!(gaps));
    store.close().await;
}
