//! The minute pull of one Basic or Pro channel (issue 15): `GET /2/dm_events` newest page
//! first, following `next_token` back to the cursor (the newest event a complete walk
//! reached), every page's messages stored through `ingest::store_messages` with the
//! webhook's mapping. X's rate-limit headers drive the schedule: a channel whose last
//! `x-rate-limit-remaining` was 0 is not called before `x-rate-limit-reset`; a walk that
//! runs out of budget keeps its place (X's `next_token` and the newest event it started
//! from) and goes on in the next window; a 429 defers to the reset; 5xx, timeouts and
//! garbage back off exponentially (capped at ten intervals) and show on the channel; a 401
//! ends the integration `failed` with `x_credentials_refused`. The lease that runs it is
//! in `workers::pull`.

mod schedule;

use chrono::{DateTime, Utc};
use x_connector::{
    client::{DmEventsPage, DmEventsQuery},
    PulledEvents, RateLimit, XClient, XError,
};

use crate::{
    coverage::{self, GapReason},
    ingest,
    integration::{
        self,
        failure::{failure_of, Failure, FailureCode, Step, Trust},
    },
    state::AppState,
    store::{
        self,
        channels::Channel,
        leases::{self, Lease},
        pull::PullState,
    },
};

pub use schedule::back_off;

/// Pages one claim reads at most; a longer walk keeps its place and goes on at once, so
/// one channel's month of history does not hold a lease for long.
const MAX_PAGES_PER_CLAIM: usize = 20;

/// What came of one claim of a channel's pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pulled {
    /// Pull again at this time.
    Again(DateTime<Utc>),
    /// No more pulls: the channel is no longer an active Basic or Pro channel, or X
    /// refused its credentials (the integration is `failed`).
    Stop,
}

/// How far one claim got, for the log and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The walk reached the cursor (or X's oldest page): every message up to the walk's
    /// start is stored.
    Complete,
    /// The budget ran out (or the page limit of a claim): the walk keeps its place.
    KeptPlace,
    /// Not called: X's budget was 0 until its reset.
    Waited,
    RateLimited,
    Failed,
    CredentialsRefused,
}

impl Reach {
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::Complete => "complete",
            Reach::KeptPlace => "kept_place",
            Reach::Waited => "waited",
            Reach::RateLimited => "rate_limited",
            Reach::Failed => "failed",
            Reach::CredentialsRefused => "credentials_refused",
        }
    }
}

/// Whether a channel is one the minute pull serves.
pub fn is_pulled(channel: &Channel) -> bool {
    channel.status == "active" && channel.account_level != "enterprise"
}

/// One claim of a channel's pull, started at `started_at`, with the client of this
/// moment. The claim's `lease` is finished (or rescheduled) in the transaction that
/// records the pull's end, one commit for both. `Err` is a failure of this service (the
/// database), retried by the lease.
pub async fn pull(
    state: &AppState,
    x: &XClient,
    trust: Trust,
    channel: &Channel,
    started_at: DateTime<Utc>,
    lease: &Lease,
) -> anyhow::Result<(Pulled, Reach)> {
    let db = state.store.reader();
    let interval = chrono::Duration::from_std(state.settings.workers.pull_interval)?;
    let mut ps = store::pull::find(db, &channel.id)
        .await?
        .unwrap_or_else(|| PullState::new(&channel.id));
    let planned = planned_start(&ps, started_at, interval);
    let integration = store::integrations::find(db, &channel.id).await?;
    let account_id = integration
        .as_ref()
        .and_then(|i| i.x_user_id.clone())
        .unwrap_or_default();
    if ps.rate_remaining.is_none() {
        // The verification's probe of `dm_events` told the budget first.
        if let Some(i) = &integration {
            ps.rate_limit = i.pull_limit;
            ps.rate_remaining = i.pull_remaining;
            ps.rate_reset_at = i.pull_reset_at;
        }
    }
    let credentials = integration::user_credentials(state, channel)?;
    let settings = crate::routes::channels::settings_of(channel)
        .map_err(|_| anyhow::anyhow!("stored settings of channel {} unreadable", channel.id))?;
    let method = integration::signature_method(&settings);
    let mut query = DmEventsQuery::minute_pull();
    let mut pages = 0;
    loop {
        let now = store::now();
        if let Some(reset) = exhausted_until(&ps, now) {
            let reach = if pages == 0 {
                Reach::Waited
            } else {
                Reach::KeptPlace
            };
            return finish(state, ps, reset, reach, lease).await;
        }
        if pages == MAX_PAGES_PER_CLAIM {
            return finish(state, ps, now, Reach::KeptPlace, lease).await;
        }
        query.pagination_token = ps.walk_token.clone();
        pages += 1;
        let (events, next_token) = match read_page(x, &credentials, method, &query, &mut ps).await {
            Ok(page) => page,
            Err(error) => return stopped(state, ps, channel, error, trust, interval, lease).await,
        };
        let now = store::now();
        ps.last_pull_at = Some(now);
        ps.failures = 0;
        clear_error(&mut ps);
        if ps.walk_token.is_none() {
            // The first page of a walk: its newest message is the next cursor.
            ps.walk_started_at = Some(started_at);
            match events.messages.first() {
                Some(newest) => {
                    ps.walk_newest_event_id = Some(newest.id.clone());
                    ps.walk_newest_at_ms = Some(newest.created_at_ms);
                }
                None => {
                    ps.walk_newest_event_id = ps.cursor_event_id.clone();
                    ps.walk_newest_at_ms = ps.cursor_at_ms;
                }
            }
        }
        let mut reached = false;
        let mut new = Vec::with_capacity(events.messages.len());
        for event in events.messages {
            let known = ps.cursor_event_id.as_deref() == Some(event.id.as_str())
                || ps.cursor_at_ms.is_some_and(|at| event.created_at_ms < at);
            if known {
                reached = true;
                break;
            }
            new.push(ingest::message_of(&channel.id, &account_id, event, now));
        }
        let complete = reached || next_token.is_none();
        // What a complete walk proves: every message X timed from the old cursor's time
        // (`None`: X's oldest, 30 days back) up to the walk's start is stored. A resumed
        // walk started in an earlier claim (`walk_started_at`).
        let covered = complete.then(|| (ps.cursor_at_ms, ps.walk_started_at.unwrap_or(started_at)));
        if complete {
            ps.cursor_event_id = ps.walk_newest_event_id.take();
            ps.cursor_at_ms = ps.walk_newest_at_ms.take();
            ps.walk_token = None;
            ps.walk_started_at = None;
        } else {
            ps.walk_token = next_token;
        }
        let tx = state.store.write().await?;
        let mut again = None;
        if let Some((from_ms, until)) = covered {
            let from = from_ms
                .and_then(DateTime::from_timestamp_millis)
                .unwrap_or(until - coverage::DM_HISTORY);
            coverage::pull_reached_cursor(&tx, &channel.id, from, until).await?;
            let next = next_pull(&ps, planned + interval);
            ps.next_pull_at = Some(next);
            store::pull::save(&tx, &ps).await?;
            leases::finish(&tx, lease, Some(next)).await?;
            again = Some(next);
        } else {
            store::pull::save(&tx, &ps).await?;
        }
        // Last: storing appends the messages' events, and the event counter stays locked
        // until the commit.
        let stored = ingest::store_messages(&tx, &state.settings.automation.clock, new).await?;
        tx.commit().await?;
        if let Some(next) = again {
            state.metrics.pulled(Reach::Complete.as_str(), stored.len());
            return Ok((Pulled::Again(next), Reach::Complete));
        }
        state.metrics.pulled("page", stored.len());
    }
}

/// One page of the walk, read into the one event type, X's budget noted.
async fn read_page(
    x: &XClient,
    credentials: &x_connector::UserCredentials,
    method: x_connector::SignatureMethod,
    query: &DmEventsQuery,
    ps: &mut PullState,
) -> Result<(PulledEvents, Option<String>), XError> {
    let answer = x.dm_events(credentials, method, query).await?;
    note_budget(ps, answer.rate_limit);
    let events = events_of(&answer.value)?;
    Ok((events, answer.value.next_token))
}

/// The direct messages of a `GET /2/dm_events` page asked with
/// [`DmEventsQuery::minute_pull`], in the one event type: the mapping every reader of X's
/// DM history shares (the minute pull, and the coverage worker's read-back), so a message
/// is stored alike whichever of them read it (with `ingest::message_of`). A page that is
/// not what X documents is refused whole, as a malformed answer.
pub fn events_of(page: &DmEventsPage) -> Result<PulledEvents, XError> {
    let garbage = |reason: String| XError::MalformedBody {
        status: 200,
        reason,
    };
    let events = PulledEvents::from_page(page).map_err(|bad| garbage(bad.to_string()))?;
    if events.messages.iter().any(ingest::holds_nul) {
        return Err(garbage("a text of the page holds a NUL character".into()));
    }
    Ok(events)
}

/// X answered the walk with an error: a 429 waits for X's reset, refused credentials
/// fail the integration, anything else backs off; the channel shows why.
async fn stopped(
    state: &AppState,
    mut ps: PullState,
    channel: &Channel,
    error: XError,
    trust: Trust,
    interval: chrono::Duration,
    lease: &Lease,
) -> anyhow::Result<(Pulled, Reach)> {
    match error {
        XError::RateLimited { reset, rate_limit } => {
            note_budget(&mut ps, rate_limit);
            let reset_at = reset
                .and_then(|r| DateTime::from_timestamp(r as i64, 0))
                .unwrap_or_else(|| store::now() + interval);
            ps.rate_remaining = Some(0);
            ps.rate_reset_at = Some(reset_at);
            let failure = failure_of(
                &XError::RateLimited {
                    reset: Some(reset_at.timestamp() as u64),
                    rate_limit,
                },
                Step::Account,
                trust,
            );
            set_error(&mut ps, failure);
            finish(state, ps, reset_at, Reach::RateLimited, lease).await
        }
        error if error.refuses_credentials() => {
            refused(state, ps, channel, &error, trust, lease).await
        }
        error => {
            tracing::warn!(channel_id = %channel.id, %error, "pulling the channel's DMs from X failed; backing off");
            if matches!(error, XError::Api { status: 400, .. }) && ps.walk_token.is_some() {
                // X no longer takes the walk's token: walk again from the newest page.
                ps.walk_token = None;
                ps.walk_newest_event_id = None;
                ps.walk_newest_at_ms = None;
                ps.walk_started_at = None;
            }
            ps.failures = ps.failures.saturating_add(1);
            set_error(&mut ps, failure_of(&error, Step::Account, trust));
            let next = store::now() + back_off(interval, ps.failures);
            finish(state, ps, next, Reach::Failed, lease).await
        }
    }
}

/// When this pull was due: the cadence is kept from the plan, not from when a claim
/// happened to start, so a claim's delay does not add to every interval. A plan more than
/// an interval old (an instance was down, or overloaded) starts a new cadence now.
fn planned_start(
    ps: &PullState,
    started_at: DateTime<Utc>,
    interval: chrono::Duration,
) -> DateTime<Utc> {
    ps.next_pull_at
        .filter(|plan| *plan <= started_at && started_at - *plan < interval)
        .unwrap_or(started_at)
}

/// The time X's budget allows calls again, when it is 0 now.
fn exhausted_until(ps: &PullState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match (ps.rate_remaining, ps.rate_reset_at) {
        (Some(0), Some(reset)) if reset > now => Some(reset),
        _ => None,
    }
}

/// The next pull: at `planned`, unless X's budget is 0 until later.
fn next_pull(ps: &PullState, planned: DateTime<Utc>) -> DateTime<Utc> {
    let planned = planned.max(store::now());
    exhausted_until(ps, planned).unwrap_or(planned)
}

fn note_budget(ps: &mut PullState, rate_limit: Option<RateLimit>) {
    if let Some(r) = rate_limit {
        ps.rate_limit = Some(r.limit as i64);
        ps.rate_remaining = Some(r.remaining as i64);
        ps.rate_reset_at = DateTime::from_timestamp(r.reset as i64, 0);
    }
}

fn set_error(ps: &mut PullState, failure: Failure) {
    ps.last_error_code = Some(failure.code.name().to_owned());
    ps.last_error_message = Some(failure.message);
    ps.last_error_at = Some(store::now());
}

fn clear_error(ps: &mut PullState) {
    ps.last_error_code = None;
    ps.last_error_message = None;
    ps.last_error_at = None;
}

/// Ends a claim that stopped short of the cursor (or was not called), to go on at `next`.
async fn finish(
    state: &AppState,
    mut ps: PullState,
    next: DateTime<Utc>,
    reach: Reach,
    lease: &Lease,
) -> anyhow::Result<(Pulled, Reach)> {
    ps.next_pull_at = Some(next);
    let tx = state.store.write().await?;
    // Stopped short of the cursor because of X's budget: what X timed since the cursor is
    // not known complete until a walk reaches it (which heals the gap).
    let budget = matches!(reach, Reach::Waited | Reach::KeptPlace | Reach::RateLimited);
    if let Some(cursor) = ps.cursor_at_ms.and_then(DateTime::from_timestamp_millis) {
        if budget {
            let (id, now) = (ps.channel_id.clone(), store::now());
            coverage::pull_stopped_short(&tx, &id, cursor, now, GapReason::RateLimited).await?;
        }
    }
    store::pull::save(&tx, &ps).await?;
    leases::finish(&tx, lease, Some(next)).await?;
    tx.commit().await?;
    state.metrics.pulled(reach.as_str(), 0);
    Ok((Pulled::Again(next), reach))
}

/// X refused the channel's credentials: the integration ends `failed` with
/// `x_credentials_refused`, the channel shows why, and the pulls stop until a new submit.
async fn refused(
    state: &AppState,
    mut ps: PullState,
    channel: &Channel,
    error: &XError,
    trust: Trust,
    lease: &Lease,
) -> anyhow::Result<(Pulled, Reach)> {
    let failure = failure_of(error, Step::Account, trust);
    debug_assert_eq!(failure.code, FailureCode::XCredentialsRefused);
    ps.next_pull_at = None;
    ps.walk_token = None;
    ps.walk_newest_event_id = None;
    ps.walk_newest_at_ms = None;
    ps.walk_started_at = None;
    let (code, message) = (failure.code.name(), failure.message.clone());
    set_error(&mut ps, failure);
    let tx = state.store.write().await?;
    store::pull::save(&tx, &ps).await?;
    let ended = store::integrations::fail_active(
        &tx,
        &channel.id,
        channel.credentials_version,
        code,
        message.clone(),
    )
    .await?;
    leases::finish(&tx, lease, None).await?;
    if ended {
        // Last in the transaction: the event counter stays locked until the commit.
        crate::events::channel_status_changed(
            &tx,
            &channel.tenant_id,
            &channel.id,
            "active",
            "failed",
            Some((code, &message)),
        )
        .await?;
    }
    tx.commit().await?;
    if ended {
        state.metrics.integration_ended(code);
        tracing::warn!(channel_id = %channel.id, code, "X refused the channel's credentials to the pull; the integration is failed");
    }
    state.metrics.pulled(Reach::CredentialsRefused.as_str(), 0);
    Ok((Pulled::Stop, Reach::CredentialsRefused))
}
