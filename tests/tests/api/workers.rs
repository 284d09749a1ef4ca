//! Background work: leases give each due item to one instance at a time, an expired lease
//! frees its item, and stopping the service lets a worker finish the item in hand.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use xchannel::{
    config::Settings,
    startup::Application,
    state::AppState,
    store::{leases, Store, StoreError},
    workers::{run_leased, Job, JobFuture, Next},
};

use crate::helpers::{fresh_settings, on_postgres, SpawnOptions};

const KIND: &str = "test";

async fn store() -> (Store, Settings) {
    let settings = fresh_settings(SpawnOptions::default()).await;
    (Store::open(&settings.database).await.unwrap(), settings)
}

async fn schedule(store: &Store, items: impl IntoIterator<Item = String>) {
    let tx = store.write().await.unwrap();
    for item in items {
        leases::schedule(&tx, KIND, &item, xchannel::store::now())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn claim(store: &Store, holder: &str, lease_for: Duration, limit: u32) -> Vec<leases::Lease> {
    claim_at(store, holder, lease_for, limit, xchannel::store::now()).await
}

/// A claim judged at `at` instead of now: a test of lease times names its moments
/// instead of sleeping through them (a loaded machine's stall would move a real one).
async fn claim_at(
    store: &Store,
    holder: &str,
    lease_for: Duration,
    limit: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<leases::Lease> {
    let tx = store.write().await.unwrap();
    let claimed = leases::claim_due_at(&tx, KIND, holder, lease_for, limit, at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    claimed
}

fn seconds(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

#[actix_web::test]
async fn two_claimers_never_take_the_same_item() {
    let (store, settings) = store().await;
    schedule(&store, (0..60).map(|i| format!("item-{i}"))).await;
    // A second store is a second instance: its own pools on the same database.
    let other = Store::open(&settings.database).await.unwrap();
    // Both instances take a first batch before either goes on, so that a loaded machine
    // (one instance's pool still connecting while the other empties the queue) cannot
    // decide the split; what is checked is that no item is taken twice.
    let first_batches = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let claim_all = |store: Store, holder: &'static str| {
        let first_batches = first_batches.clone();
        async move {
            let mut got = Vec::new();
            let mut first = true;
            loop {
                let claimed = claim(&store, holder, Duration::from_secs(60), 7).await;
                if first {
                    first_batches.wait().await;
                    first = false;
                }
                if claimed.is_empty() {
                    return got;
                }
                got.extend(claimed.into_iter().map(|l| l.item));
            }
        }
    };
    let (a, b) = tokio::join!(claim_all(store.clone(), "a"), claim_all(other, "b"));
    let all: HashSet<_> = a.iter().chain(&b).cloned().collect();
    assert_eq!(
        a.len() + b.len(),
        60,
        "each item claimed exactly once: {} + {}",
        a.len(),
        b.len()
    );
    assert_eq!(all.len(), 60);
    if on_postgres() {
        assert!(
            !a.is_empty() && !b.is_empty(),
            "both instances got work: {} / {}",
            a.len(),
            b.len()
        );
    }
}

#[actix_web::test]
async fn a_held_item_is_not_claimed_again_until_its_lease_expires() {
    let (store, _) = store().await;
    schedule(&store, ["pull-1".to_owned()]).await;
    let t0 = xchannel::store::now();
    let lease = Duration::from_secs(60);
    let first = claim_at(&store, "a", lease, 10, t0).await;
    assert_eq!(first.len(), 1);
    assert!(
        claim_at(&store, "b", lease, 10, t0 + seconds(59))
            .await
            .is_empty(),
        "held by a"
    );
    let second = claim_at(&store, "b", lease, 10, t0 + seconds(61)).await;
    assert_eq!(second.len(), 1, "the expired lease freed the item");
    assert_eq!(second[0].attempts, 2);
    // The instance that lost its lease can no longer settle the item.
    let tx = store.write().await.unwrap();
    assert!(matches!(
        leases::finish(&tx, &first[0], None).await,
        Err(StoreError::Stale)
    ));
    leases::finish(&tx, &second[0], None).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        claim_at(&store, "c", lease, 10, t0 + seconds(3600))
            .await
            .is_empty(),
        "a finished item is gone"
    );
}

#[actix_web::test]
async fn a_rescheduled_item_waits_for_its_next_time() {
    let (store, _) = store().await;
    schedule(&store, ["pull-1".to_owned()]).await;
    let t0 = xchannel::store::now();
    let lease = claim_at(&store, "a", Duration::from_secs(60), 1, t0)
        .await
        .remove(0);
    let tx = store.write().await.unwrap();
    leases::finish(&tx, &lease, Some(t0 + seconds(30)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        claim_at(&store, "a", Duration::from_secs(60), 1, t0 + seconds(29))
            .await
            .is_empty(),
        "not due yet"
    );
    let again = claim_at(&store, "b", Duration::from_secs(60), 1, t0 + seconds(31)).await;
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].attempts, 1,
        "attempts count afresh after a success"
    );
}

/// Records each item it works; each item takes `takes`.
struct Recorder {
    done: Arc<Mutex<Vec<String>>>,
    started: Arc<tokio::sync::Notify>,
    takes: Duration,
}

impl Job for Recorder {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn poll_every(&self) -> Duration {
        Duration::from_millis(20)
    }

    fn work<'a>(&'a self, _: &'a AppState, lease: &'a leases::Lease) -> JobFuture<'a> {
        Box::pin(async move {
            self.started.notify_one();
            tokio::time::sleep(self.takes).await;
            self.done.lock().unwrap().push(lease.item.clone());
            Ok(Next::Done)
        })
    }
}

fn recorder(
    app: &mut Application,
    takes: Duration,
) -> (Arc<Mutex<Vec<String>>>, Arc<tokio::sync::Notify>) {
    let done = Arc::new(Mutex::new(Vec::new()));
    let started = Arc::new(tokio::sync::Notify::new());
    let job = Recorder {
        done: done.clone(),
        started: started.clone(),
        takes,
    };
    app.add_worker(
        "recorder",
        Box::new(move |ctx| Box::pin(run_leased(job, ctx))),
    );
    (done, started)
}

#[actix_web::test]
async fn stopping_the_service_lets_a_worker_finish_the_item_in_hand() {
    let settings = fresh_settings(SpawnOptions::default()).await;
    let mut app = Application::build(settings.clone()).await.unwrap();
    let (done, started) = recorder(&mut app, Duration::from_millis(400));
    let store = app.state().store.clone();
    let handle = app.handle();
    let running = actix_web::rt::spawn(app.run_until_stopped());
    schedule(&store, ["slow".to_owned()]).await;
    started.notified().await;
    handle.stop(true).await;
    running.await.unwrap().unwrap();
    assert_eq!(
        *done.lock().unwrap(),
        vec!["slow".to_owned()],
        "the item in hand was finished"
    );
    assert!(
        claim(&store, "after", Duration::from_secs(1), 10)
            .await
            .is_empty(),
        "and settled"
    );
}

#[actix_web::test]
async fn an_instance_with_workers_off_claims_nothing() {
    let mut settings = fresh_settings(SpawnOptions::default()).await;
    settings.workers.enabled = false;
    let mut app = Application::build(settings).await.unwrap();
    let (done, _) = recorder(&mut app, Duration::ZERO);
    let store = app.state().store.clone();
    let handle = app.handle();
    let running = actix_web::rt::spawn(app.run_until_stopped());
    schedule(&store, ["waits".to_owned()]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    handle.stop(true).await;
    running.await.unwrap().unwrap();
    assert!(done.lock().unwrap().is_empty());
    assert_eq!(
        claim(&store, "other", Duration::from_secs(1), 10)
            .await
            .len(),
        1,
        "still due for another instance"
    );
}

#[actix_web::test]
async fn instances_on_one_database_share_the_work_and_do_each_item_once() {
    if !on_postgres() {
        // Several instances share one PostgreSQL; SQLite serves one process.
        return;
    }
    let settings = fresh_settings(SpawnOptions::default()).await;
    let mut apps = Vec::new();
    let mut records = Vec::new();
    for _ in 0..2 {
        let mut app = Application::build(settings.clone()).await.unwrap();
        records.push(recorder(&mut app, Duration::from_millis(5)).0);
        apps.push(app);
    }
    let store = apps[0].state().store.clone();
    let handles: Vec<_> = apps.iter().map(Application::handle).collect();
    let running: Vec<_> = apps
        .into_iter()
        .map(|app| actix_web::rt::spawn(app.run_until_stopped()))
        .collect();
    schedule(&store, (0..40).map(|i| format!("item-{i}"))).await;
    let total = || {
        records
            .iter()
            .map(|r| r.lock().unwrap().len())
            .sum::<usize>()
    };
    for _ in 0..200 {
        if total() >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for handle in handles {
        handle.stop(true).await;
    }
    for run in running {
        run.await.unwrap().unwrap();
    }
    let all: Vec<String> = records
        .iter()
        .flat_map(|r| r.lock().unwrap().clone())
        .collect();
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 40, "each item worked once: {all:?}");
    assert_eq!(distinct.len(), 40);
}
