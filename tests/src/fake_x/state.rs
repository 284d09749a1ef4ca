//! What the fake X remembers: apps, accounts, DM events, webhooks, rate-limit windows, faults.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An X app (a "project" in the manual): its API key pair and its bearer token.
#[derive(Clone, Debug)]
pub struct FakeApp {
    pub api_key: String,
    pub api_key_secret: String,
    pub bearer_token: String,
}

/// An X account whose access token was issued to one app.
#[derive(Clone, Debug)]
pub struct FakeAccount {
    pub user_id: String,
    pub name: String,
    pub username: String,
    pub api_key: String,
    pub access_token: String,
    pub access_token_secret: String,
}

/// A DM event as `GET /2/dm_events` can return it.
#[derive(Clone, Debug)]
pub struct FakeDmEvent {
    pub id: String,
    pub text: String,
    pub sender_id: String,
    pub participant_ids: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    pub dm_conversation_id: String,
    /// Media attached (`attachments.media_keys`, expanded into `includes.media`).
    pub media: Vec<FakeMedia>,
}

/// A medium attached to a DM: X's media object.
#[derive(Clone, Debug)]
pub struct FakeMedia {
    pub media_key: String,
    /// `photo`, `video` or `animated_gif`.
    pub media_type: String,
    pub url: String,
}

#[derive(Clone, Debug)]
pub struct FakeWebhook {
    pub id: String,
    pub url: String,
    pub valid: bool,
    pub created_at: String,
    /// The app that owns it.
    pub api_key: String,
    pub subscribed_user_ids: Vec<String>,
}

/// A failure to answer the next request with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with an X-style problem body.
    ServerError(u16),
    /// Wait this long before handling the request normally.
    Latency(Duration),
    /// Hold the request without answering for this long (longer than the client's timeout).
    Hang(Duration),
    /// Answer 200 with a body that is not JSON.
    MalformedBody,
    /// Answer 429 with `x-rate-limit-reset` this far ahead and neither of the other two
    /// rate-limit headers, as some of X's answers do.
    TooManyRequestsResetOnly(Duration),
    /// Answer 429 with all three rate-limit headers, the reset this far ahead.
    TooManyRequests(Duration),
    /// Answer this status with this JSON body, as X answered it elsewhere.
    Respond { status: u16, body: String },
}

/// The body of X's 429 answers: X API v2 sends a problem document, the older v1.1 endpoints
/// (and some v2 answers still) `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RateLimitBody {
    #[default]
    #[serde(rename = "v2")]
    V2Problem,
    #[serde(rename = "v1")]
    V1Code88,
}

/// Which endpoint a rate limit applies to; X counts each separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    UsersMe,
    DmEvents,
    SendMessage,
    Webhooks,
    Subscriptions,
    Token,
    WebhookReplay,
}

#[derive(Clone, Copy, Debug)]
pub struct RateLimitRule {
    pub limit: u64,
    pub window: Duration,
}

/// X's windows are 15 minutes long.
const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);

impl Endpoint {
    /// The limit the fake X applies until a test sets another: X's documented 15-minute
    /// limits, per user in user context and per app with a bearer token or the API key.
    pub fn x_default_rule(self) -> RateLimitRule {
        let limit = match self {
            Endpoint::UsersMe => 75,
            Endpoint::DmEvents => 300,
            Endpoint::SendMessage => 200,
            // One counter for POST, GET, PUT and DELETE /2/webhooks, each 15 per 15 minutes
            // at X; the fake's shared window is stricter than X's.
            Endpoint::Webhooks => 15,
            Endpoint::Subscriptions => 500,
            // X documents no figure for POST /oauth2/token; a generous one of the fake's own.
            Endpoint::Token => 300,
            // X's replay reference: 5 requests per 15 minutes.
            Endpoint::WebhookReplay => 5,
        };
        RateLimitRule {
            limit,
            window: FIFTEEN_MINUTES,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub reset: u64,
    pub used: u64,
}

/// A request the fake X received, for tests that check what was sent.
#[derive(Clone, Debug)]
pub struct ReceivedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// `HMAC-SHA1`, `HMAC-SHA256`, `Bearer` or `Basic`, whichever the request used.
    pub authentication: Option<String>,
    pub status: u16,
    /// The account whose access token signed the request (user context only).
    pub user_id: Option<String>,
    /// When the request arrived, milliseconds since the epoch.
    pub at_ms: u64,
}

/// Switches a test (or the `/_fake/settings` endpoint) turns; [`FakeSettings::default`] is
/// how X behaves.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FakeSettings {
    /// Register webhooks at `http` URLs and with a port, which X refuses.
    pub allow_http_webhooks: bool,
    /// Refuse HMAC-SHA256 OAuth signatures with 401 (X documents only HMAC-SHA1).
    pub refuse_hmac_sha256: bool,
    /// How many webhooks one app may register (X: 1 on most plans).
    pub webhook_limit: usize,
    /// Serve webhook answers inside `{"data": ...}` (X's v2 reference) or bare (other X pages).
    pub wrap_webhook_answers: bool,
    /// Every CRC fails, whatever the webhook answers (the CRC request is still sent).
    pub fail_crc: bool,
    /// Webhook URLs X refuses to register (400), as for a URL on a blocked domain.
    pub refused_webhook_urls: Vec<String>,
    /// The body shape of 429 answers.
    pub rate_limit_body: RateLimitBody,
    /// Replay jobs accepted stay running, delivering nothing, until this is switched off
    /// (for tests of one job per webhook at a time).
    pub hold_replay_jobs: bool,
}

impl Default for FakeSettings {
    fn default() -> Self {
        FakeSettings {
            allow_http_webhooks: false,
            refuse_hmac_sha256: false,
            webhook_limit: 1,
            wrap_webhook_answers: true,
            fail_crc: false,
            refused_webhook_urls: Vec::new(),
            rate_limit_body: RateLimitBody::V2Problem,
            hold_replay_jobs: false,
        }
    }
}

#[derive(Default)]
pub(crate) struct State {
    pub apps: HashMap<String, FakeApp>,
    pub accounts: Vec<FakeAccount>,
    /// Per user id, newest first.
    pub dm_events: HashMap<String, Vec<FakeDmEvent>>,
    pub webhooks: Vec<FakeWebhook>,
    /// Limits set by tests; every other endpoint has [`Endpoint::x_default_rule`].
    pub rate_limits: HashMap<Endpoint, RateLimitRule>,
    /// Limits of one account (X's per-user limits differ by access level: a Pro account
    /// reads DMs about 15 times per 15 minutes, a Basic one about once a day).
    pub user_rate_limits: HashMap<(Endpoint, String), RateLimitRule>,
    /// Faults for the next requests signed by one account, whatever others come first.
    pub user_faults: HashMap<String, VecDeque<Fault>>,
    pub windows: HashMap<(Endpoint, String), Window>,
    pub faults: VecDeque<Fault>,
    /// Faults for the next requests to one endpoint, whatever comes in between.
    pub endpoint_faults: HashMap<Endpoint, VecDeque<Fault>>,
    pub latency: Duration,
    pub settings: FakeSettings,
    /// Event types other than `MessageCreate`, by event id.
    pub event_types: HashMap<String, &'static str>,
    pub nonces: HashSet<String>,
    pub received: Vec<ReceivedRequest>,
    pub next_id: u64,
    /// Replay jobs running, by webhook id (X runs one per webhook at a time).
    pub replay_jobs: HashMap<String, String>,
}

impl State {
    pub fn new() -> Self {
        State {
            next_id: 1_800_000_000_000_000_000,
            settings: FakeSettings::default(),
            ..State::default()
        }
    }

    /// A fresh snowflake-like id.
    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    /// Registers an app with a bearer token shaped like X's: `%2B` and `%3D` in it, sent as
    /// they are (a client that decodes them is refused).
    pub fn add_app(&mut self, api_key: &str, api_key_secret: &str) -> FakeApp {
        let app = FakeApp {
            api_key: api_key.into(),
            api_key_secret: api_key_secret.into(),
            bearer_token: format!(
                "AAAAAAAAAAAAAAAAAAAAA{}%2B{}%3D{}",
                super::driver::rand_token(),
                super::driver::rand_token(),
                super::driver::rand_token()
            ),
        };
        self.apps.insert(app.api_key.clone(), app.clone());
        app
    }

    /// Adds a DM received by `user_id` from `sender_id`, newest of all; returns its event id.
    pub fn add_received_message(&mut self, user_id: &str, sender_id: &str, text: &str) -> String {
        let id = self.new_id();
        let event = FakeDmEvent {
            id: id.clone(),
            text: text.into(),
            sender_id: sender_id.into(),
            participant_ids: vec![sender_id.into(), user_id.into()],
            created_at: now_rfc3339(),
            dm_conversation_id: super::routes::conversation_id(sender_id, user_id),
            media: Vec::new(),
        };
        self.dm_events
            .entry(user_id.into())
            .or_default()
            .insert(0, event);
        id
    }

    /// `MessageCreate`, unless the event was added as a join or leave.
    pub fn event_type(&self, event_id: &str) -> &'static str {
        self.event_types
            .get(event_id)
            .copied()
            .unwrap_or("MessageCreate")
    }

    pub fn account_by_token(&self, api_key: &str, access_token: &str) -> Option<&FakeAccount> {
        self.accounts
            .iter()
            .find(|a| a.api_key == api_key && a.access_token == access_token)
    }

    pub fn app_by_bearer(&self, token: &str) -> Option<&FakeApp> {
        self.apps.values().find(|a| a.bearer_token == token)
    }

    /// Counts one call against `endpoint` for `caller`; `Err` carries the window when exhausted.
    pub fn take_rate_limit(
        &mut self,
        endpoint: Endpoint,
        caller: &str,
    ) -> Result<(RateLimitRule, Window), (RateLimitRule, Window)> {
        let rule = self
            .user_rate_limits
            .get(&(endpoint, caller.to_owned()))
            .or_else(|| self.rate_limits.get(&endpoint))
            .copied()
            .unwrap_or_else(|| endpoint.x_default_rule());
        let now = now_secs();
        let window = self
            .windows
            .entry((endpoint, caller.to_owned()))
            .or_insert(Window {
                reset: now + rule.window.as_secs(),
                used: 0,
            });
        if window.reset <= now {
            *window = Window {
                reset: now + rule.window.as_secs(),
                used: 0,
            };
        }
        if window.used >= rule.limit {
            return Err((rule, *window));
        }
        window.used += 1;
        Ok((rule, *window))
    }
}

pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Current time as RFC 3339 with milliseconds, the way X writes `created_at`.
pub fn now_rfc3339() -> String {
    let secs = now_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A calendar date to days since 1970-01-01 (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a calendar date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
