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
use xchannel_tests::fake_x::{Endpoint, FakeAccount, FakeDmEvent, FakeMedia, FakeX};

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

/// A read-back walks one page per claim.
fn one_page_a_claim(settings: &mut Settings) {
    short_thresholds(settings);
    settings.workers.coverage.read_back_pages = 1;
}

async fn world(check_every: Option<Duration>) -> World {
    world_tuned(check_every, short_thresholds).await
}

async fn world_tuned(check_every: Option<Duration>, tune: fn(&mut Settings)) -> World {
    let fake = FakeX::start().await.unwrap();
    fake.allow_http_webhooks(true);
    let port = free_port();
    let app = spawn_app_with(SpawnOptions {
        bind: Some(format!("127.0.0.1:{port}")),
        public_url: format!("http://127.0.0.1:{port}"),
        x_api_base_url: Some(fake.base_url().to_owned()),
        webhook_check_interval: check_every,
        tune: Some(tune),
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
        self.fake
            .add_dm_event(ACCOUNT, dm_at(id, ago(before), text));
    }

    /// An active Pro channel of the same X account [`ACCOUNT`] (through another app), so
    /// its minute pull reads the DM history the Enterprise channel's read-back reads.
    async fn pro_channel_of_the_account(&self) -> String {
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
        let mut body = self.tenant.channel_body("pro_support", &credentials);
        body["x"]["accountLevel"] = json!("pro");
        let created = self
            .app
            .post("/api/v1/channels", &self.tenant.admin_token, &body)
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.id();
        self.submit(&id).await;
        id
    }

    /// Submits the channel's integration and waits for it to be active.
    async fn submit(&self, id: &str) {
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
    }

    /// Every message of the channel, by X's event id.
    async fn messages_by_event(&self, id: &str) -> std::collections::BTreeMap<String, Value> {
        let mut all = std::collections::BTreeMap::new();
        let mut path = format!("/api/v1/channels/{id}/messages?limit=200");
        loop {
            let page = self.app.get(&path, &self.tenant.admin_token).await;
            assert_eq!(page.status, 200, "{}", page.text);
            for m in page.body["items"].as_array().unwrap() {
                all.insert(m["xEventId"].as_str().unwrap().to_owned(), m.clone());
            }
            match page.body["nextCursor"].as_str() {
                Some(cursor) => {
                    path = format!("/api/v1/channels/{id}/messages?limit=200&cursor={cursor}")
                }
                None => return all,
            }
        }
    }

    /// The `pagination_token` of each `GET /2/dm_events` the account's token signed, in
    /// order (`None`: the newest page).
    fn dm_events_tokens(&self) -> Vec<Option<String>> {
        self.fake
            .received()
            .iter()
            .filter(|r| r.path == "/2/dm_events" && r.user_id.as_deref() == Some(ACCOUNT))
            .filter(|r| r.status == 200)
            .map(|r| {
                url::form_urlencoded::parse(r.query.as_bytes())
                    .find(|(k, _)| k == "pagination_token")
                    .map(|(_, v)| v.into_owned())
            })
            .collect()
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

    /// Polls `check` until it answers something, for at most 60 seconds (a read-back of
    /// 30 days on a loaded machine, beside the rest of the suite, takes a while).
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
            assert!(started.elapsed() < Duration::from_secs(60), "never: {what}");
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

/// A DM from [`CUSTOMER`] to [`ACCOUNT`] that X timed `at`.
fn dm_at(id: &str, at: DateTime<Utc>, text: &str) -> FakeDmEvent {
    FakeDmEvent {
        id: id.into(),
        text: text.into(),
        sender_id: CUSTOMER.into(),
        participant_ids: vec![CUSTOMER.into(), ACCOUNT.into()],
        created_at: x_time(at),
        dm_conversation_id: format!("{CUSTOMER}-{ACCOUNT}"),
        media: Vec::new(),
    }
}

/// A time as X writes it (milliseconds, `Z`).
fn x_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
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
async fn a_message_read_back_is_stored_as_the_pull_stores_it_attachments_included() {
    let w = world(None).await;
    let (id, _) = w.enterprise_channel(chrono::Duration::days(4)).await;
    let mut photo = dm_at(
        "1800000000000000301",
        ago(chrono::Duration::days(2)),
        "Look at this",
    );
    photo.media = vec![FakeMedia {
        media_key: "3_1800000000000000301".into(),
        media_type: "photo".into(),
        url: "https://pbs.twimg.com/dm/301.jpg".into(),
    }];
    w.fake.add_dm_event(ACCOUNT, photo);
    // What the account answered (X lists it too): outbound.
    let mut echo = dm_at(
        "1800000000000000302",
        ago(chrono::Duration::hours(40)),
        "We are on it",
    );
    echo.sender_id = ACCOUNT.into();
    echo.participant_ids = vec![ACCOUNT.into(), CUSTOMER.into()];
    w.fake.add_dm_event(ACCOUNT, echo);
    w.service_down_since(chrono::Duration::days(3)).await;
    let both = ["1800000000000000301", "1800000000000000302"];
    let of_history = |mut by_event: std::collections::BTreeMap<String, Value>| {
        by_event.retain(|event, _| both.contains(&event.as_str()));
        (by_event.len() == 2).then_some(by_event)
    };
    let read_back = w
        .until("both read back", || async {
            of_history(w.messages_by_event(&id).await)
        })
        .await;
    assert!(w.sync_gaps(&id).await.is_empty());
    let photo = &read_back["1800000000000000301"];
    assert_eq!(
        photo["attachments"],
        json!([{"mediaType": "photo", "url": "https://pbs.twimg.com/dm/301.jpg"}]),
        "{photo}"
    );
    assert_eq!(photo["direction"], "inbound");
    assert_eq!(read_back["1800000000000000302"]["direction"], "outbound");
    // The read-back asked X as the minute pull does, the media's URLs included.
    let asked: Vec<String> = w
        .fake
        .received()
        .iter()
        .filter(|r| r.path == "/2/dm_events")
        .map(|r| r.query.clone())
        .collect();
    assert!(!asked.is_empty());
    for query in &asked {
        assert!(query.contains("media.fields="), "{query}");
        assert!(query.contains("attachments.media_keys"), "{query}");
    }

    // A Pro channel of the same account pulls the same history: stored alike.
    let pro = w.pro_channel_of_the_account().await;
    let pulled = w
        .until("the pull stored both", || async {
            of_history(w.messages_by_event(&pro).await)
        })
        .await;
    let comparable = |m: &Value| {
        let mut m = m.clone();
        let object = m.as_object_mut().unwrap();
        object.remove("id");
        object.remove("receivedAt");
        m
    };
    for (event, message) in &read_back {
        assert_eq!(comparable(message), comparable(&pulled[event]), "{event}");
    }
}

#[actix_web::test]
async fn a_read_back_deeper_than_its_page_limit_heals_in_part_and_goes_on_where_it_stopped() {
    let w = world_tuned(None, one_page_a_claim).await;
    let (id, _) = w.enterprise_channel(chrono::Duration::days(4)).await;
    // 250 messages two days ago: three pages of 100, oldest first into X's history.
    let start = ago(chrono::Duration::hours(50));
    let at = |i: i64| start + chrono::Duration::seconds(10 * i);
    let event = |i: i64| format!("{}", 1_800_000_000_000_001_000_i64 + i);
    for i in 0..250 {
        w.fake
            .add_dm_event(ACCOUNT, dm_at(&event(i), at(i), &format!("message {i}")));
    }
    // X allows two reads, then none until its window ends (15 s: long enough that a
    // loaded machine checks the two pages before the third may come).
    w.fake
        .set_user_rate_limit(Endpoint::DmEvents, ACCOUNT, 2, Duration::from_secs(15));
    w.service_down_since(chrono::Duration::days(3)).await;
    // One page a claim: the first claim reads the newest 100, the second goes on from
    // X's next_token, then X's budget is spent.
    let read = || async {
        let stored = w.messages_by_event(&id).await;
        (0..250).filter(|i| stored.contains_key(&event(*i))).count()
    };
    w.until("two pages read back", || async {
        (read().await == 200).then_some(())
    })
    .await;
    let gaps = w.sync_gaps(&id).await;
    assert_eq!(gaps.len(), 1, "the rest is still a gap: {gaps:?}");
    assert_eq!(gaps[0]["reason"], "service_down", "{gaps:?}");
    assert!(
        near(time_of(&gaps[0], "from"), ago(chrono::Duration::days(3))),
        "{gaps:?}"
    );
    assert_eq!(
        time_of(&gaps[0], "to"),
        x_time(at(50)).parse::<DateTime<Utc>>().unwrap(),
        "healed down to the oldest message read: {gaps:?}"
    );
    assert!(gaps[0].get("healing").is_none(), "{gaps:?}");
    assert_eq!(
        w.dm_events_tokens(),
        [None, Some("page-100".to_owned())],
        "the second claim went on where the first stopped"
    );
    // X's window ends: the third page, and the gap is healed.
    w.gaps_until(&id, "the gap healed", |gaps| gaps.is_empty())
        .await;
    assert_eq!(read().await, 250);
    assert_eq!(
        w.dm_events_tokens(),
        [
            None,
            Some("page-100".to_owned()),
            Some("page-200".to_owned())
        ],
        "each page read once"
    );
}

#[actix_web::test]
async fn a_webhook_invalid_gap_ends_when_the_channel_is_submitted_again_as_pro() {
    let w = world(Some(Duration::from_millis(300))).await;
    let (id, webhook_id) = w.enterprise_channel(chrono::Duration::hours(1)).await;
    w.fake.fail_crc(true);
    w.fake.set_webhook_valid(&webhook_id, false);
    let gaps = w
        .gaps_until(&id, "a webhook_invalid gap", |gaps| !gaps.is_empty())
        .await;
    assert_eq!(gaps[0]["reason"], "webhook_invalid", "{gaps:?}");
    assert_eq!(gaps[0]["to"], Value::Null, "{gaps:?}");
    // The administrator gives up on the webhook: the channel is pulled from now on, and
    // no webhook check runs for it any more.
    let path = format!("/api/v1/channels/{id}");
    let token = &w.tenant.admin_token;
    let current = w.app.get(&path, token).await;
    let etag = current.etag();
    let patched = w
        .app
        .call_with(
            Method::PATCH,
            &path,
            token,
            Some(&json!({"x": {"accountLevel": "pro"}})),
            &[
                ("content-type", "application/merge-patch+json"),
                ("if-match", &etag),
            ],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["status"], "draft", "{}", patched.text);
    w.submit(&id).await;
    // The gap got its end at the activation, and the pull's first walk healed it.
    w.gaps_until(&id, "the gap ended and healed", |gaps| gaps.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(w.sync_gaps(&id).await.is_empty());
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

/// A write transaction of this test's own store beside the service's, holding SQLite's
/// write lock from its first statement (as `BEGIN IMMEDIATE` would). A deferred one that
/// reads first would find its snapshot stale once the service commits meanwhile, and
/// SQLite refuses it (`SQLITE_BUSY_SNAPSHOT`) instead of waiting. A no-op on PostgreSQL.
async fn write_at_once(store: &Store) -> xchannel::store::Tx {
    let tx = store.write().await.unwrap();
    tx.execute_unprepared("UPDATE channels SET id = id WHERE id = ''")
        .await
        .unwrap();
    tx
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
    let tx = write_at_once(&store).await;
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
    let tx = write_at_once(&store).await;
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
    let tx = write_at_once(&store).await;
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
