//! A fake X for tests and demos: serves the X API v2 endpoints the connector uses with X's
//! documented shapes and headers, verifies every OAuth 1.0a signature (HMAC-SHA1 and
//! HMAC-SHA256) with its own code, enforces X's documented rate limits (or a test's) with the
//! three `x-rate-limit-*` headers on every counted answer, injects faults, and drives the
//! webhook side (CRC checks at registration, on `PUT` and on a schedule; signed deliveries;
//! replay jobs of `POST /2/webhooks/replay`, one per webhook at a time, ending with X's
//! `replay_job_status` delivery).
//!
//! It is as strict as X where a lenient fake would let a bug through: the wrong kind of
//! authentication is 403 "Unsupported Authentication", unknown query parameters and values are
//! 400, a webhook URL is registered once and only up to the app's limit, OAuth headers with an
//! empty nonce, another version or a repeated parameter are 401, and signatures are checked
//! against the address the fake is bound to. [`FakeSettings`] holds the switches that differ
//! between X's documented behaviours (or that a test turns to make X fail).
//!
//! Webhooks are registered only at `https` URLs without a port, as X does, unless
//! [`FakeX::allow_http_webhooks`] is switched on for tests that run the service on plain http.
//!
//! [`FakeX::start`] serves plain http; [`FakeX::start_tls`] serves the same endpoints over https
//! with a certificate from a CA made at start, whose PEM [`FakeX::ca_certificate_pem`] gives.
//! Under `/_fake/`, a path X does not use, control endpoints do by HTTP what the methods of
//! [`FakeX`] do, for demos by hand (the `fake-x` binary).

mod admin;
mod driver;
mod oauth_check;
mod parameters;
mod replay;
mod routes;
mod state;
mod tls;
mod webhooks;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};

pub use driver::{crc_token, direct_message_delivery, sha256_signature, WebhookDriver};
pub use state::{
    Endpoint, FakeAccount, FakeApp, FakeDmEvent, FakeMedia, FakeSettings, FakeWebhook, Fault,
    RateLimitBody, RateLimitRule, ReceivedRequest,
};
pub use tls::unrelated_ca_certificate_pem;

use routes::Shared;
use state::State;

/// A running fake X. It serves until [`FakeX::stop`] or the end of the tokio runtime.
pub struct FakeX {
    base_url: String,
    port: u16,
    ca_certificate_pem: Option<String>,
    state: Shared,
    driver: WebhookDriver,
    handle: ServerHandle,
    crc_timer: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The outcome of [`FakeX::deliver_direct_message`].
#[derive(Debug)]
pub struct Delivery {
    pub event_id: String,
    pub webhook_url: String,
    /// One entry per copy POSTed: the webhook's status, or why the POST failed.
    pub statuses: Vec<Result<u16, String>>,
}

impl FakeX {
    /// Starts on 127.0.0.1 with a port chosen by the system.
    pub async fn start() -> std::io::Result<FakeX> {
        FakeX::start_on(0).await
    }

    /// Starts on 127.0.0.1:`port` (0 lets the system choose). Must run inside a tokio runtime.
    pub async fn start_on(port: u16) -> std::io::Result<FakeX> {
        FakeX::serve(port, None)
    }

    /// Starts on 127.0.0.1 with https, under a server certificate for `127.0.0.1` and
    /// `localhost` signed by a CA made for this fake alone: a client trusts it only when given
    /// [`FakeX::ca_certificate_pem`].
    pub async fn start_tls() -> std::io::Result<FakeX> {
        FakeX::start_tls_on(0).await
    }

    /// [`FakeX::start_tls`] on 127.0.0.1:`port` (0 lets the system choose).
    pub async fn start_tls_on(port: u16) -> std::io::Result<FakeX> {
        FakeX::serve(port, Some(tls::server_tls()?))
    }

    fn serve(port: u16, tls: Option<tls::ServerTls>) -> std::io::Result<FakeX> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let state: Shared = Arc::new(Mutex::new(State::new()));
        let driver = WebhookDriver::new();
        let app_state = web::Data::new(state.clone());
        let app_driver = web::Data::new(driver.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(app_driver.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .default_service(web::to(routes::dispatch))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1);
        let (scheme, ca_certificate_pem, server) = match tls {
            None => ("http", None, server.listen(listener)?),
            Some(tls) => (
                "https",
                Some(tls.ca_certificate_pem),
                server.listen_rustls_0_23(listener, tls.config)?,
            ),
        };
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(FakeX {
            base_url: format!("{scheme}://127.0.0.1:{port}"),
            port,
            ca_certificate_pem,
            state,
            driver,
            handle,
            crc_timer: Mutex::new(None),
        })
    }

    /// `http://127.0.0.1:PORT` (`https` when started with TLS), the connector's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The PEM certificate of the CA behind the https fake's server certificate; `None` on http.
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.ca_certificate_pem.as_deref()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn stop(self) {
        if let Some(timer) = self.crc_timer.lock().unwrap().take() {
            timer.abort();
        }
        self.handle.stop(false).await;
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Registers an app; returns it with the bearer token `POST /oauth2/token` will issue.
    /// The token holds `%2B` and `%3D`, as X's do, and is compared as sent.
    pub fn add_app(&self, api_key: &str, api_key_secret: &str) -> FakeApp {
        self.state().add_app(api_key, api_key_secret)
    }

    /// Registers an account whose access token belongs to the app `account.api_key`.
    pub fn add_account(&self, account: FakeAccount) {
        self.state().accounts.push(account);
    }

    /// Registers an account of the app `api_key` with an access token and secret made up here
    /// (the token starts with the user id, as X's do); returns it.
    pub fn add_account_with_new_tokens(
        &self,
        api_key: &str,
        user_id: &str,
        name: &str,
        username: &str,
    ) -> FakeAccount {
        let account = FakeAccount {
            user_id: user_id.into(),
            name: name.into(),
            username: username.into(),
            api_key: api_key.into(),
            access_token: format!("{user_id}-{}", driver::rand_token()),
            access_token_secret: format!("{}{}", driver::rand_token(), driver::rand_token()),
        };
        self.add_account(account.clone());
        account
    }

    /// The registered apps, by API key.
    pub fn apps(&self) -> Vec<FakeApp> {
        let mut apps: Vec<FakeApp> = self.state().apps.values().cloned().collect();
        apps.sort_by(|a, b| a.api_key.cmp(&b.api_key));
        apps
    }

    /// The registered accounts, in the order they were added.
    pub fn accounts(&self) -> Vec<FakeAccount> {
        self.state().accounts.clone()
    }

    /// Adds a DM received by `user_id` from `sender_id`, newest of all; returns its event id.
    pub fn add_received_message(&self, user_id: &str, sender_id: &str, text: &str) -> String {
        self.state().add_received_message(user_id, sender_id, text)
    }

    /// Adds a `ParticipantsJoin` (or, `joined` false, `ParticipantsLeave`) event of
    /// `participant_id` in `user_id`'s conversation with it, newest of all; returns its id.
    /// Such events have no text; `event_types` filters them in or out.
    pub fn add_participant_event(
        &self,
        user_id: &str,
        participant_id: &str,
        joined: bool,
    ) -> String {
        let mut s = self.state();
        let id = s.add_received_message(user_id, participant_id, "");
        let kind = if joined {
            "ParticipantsJoin"
        } else {
            "ParticipantsLeave"
        };
        s.event_types.insert(id.clone(), kind);
        id
    }

    /// Adds a fully specified event as the newest of `user_id`'s events.
    pub fn add_dm_event(&self, user_id: &str, event: FakeDmEvent) {
        self.state()
            .dm_events
            .entry(user_id.into())
            .or_default()
            .insert(0, event);
    }

    /// The events `GET /2/dm_events` would return for `user_id`, newest first.
    pub fn dm_events(&self, user_id: &str) -> Vec<FakeDmEvent> {
        self.state()
            .dm_events
            .get(user_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Limits `endpoint` to `limit` calls per `window` and per caller, with X's headers,
    /// instead of X's documented limit ([`Endpoint::x_default_rule`]).
    pub fn set_rate_limit(&self, endpoint: Endpoint, limit: u64, window: Duration) {
        let mut s = self.state();
        s.rate_limits
            .insert(endpoint, RateLimitRule { limit, window });
        s.windows.retain(|(e, _), _| *e != endpoint);
    }

    /// Limits `endpoint` to `limit` calls per `window` for the account `user_id` alone, as
    /// X's per-user limits of its access level do (about 15 DM reads per 15 minutes on
    /// Pro, about one a day on Basic).
    pub fn set_user_rate_limit(
        &self,
        endpoint: Endpoint,
        user_id: &str,
        limit: u64,
        window: Duration,
    ) {
        let mut s = self.state();
        s.user_rate_limits.insert(
            (endpoint, user_id.to_owned()),
            RateLimitRule { limit, window },
        );
        s.windows
            .retain(|(e, caller), _| !(*e == endpoint && caller == user_id));
    }

    /// Answers the next request signed with `user_id`'s access token with `fault`, whatever
    /// other accounts' requests come first; several calls queue several faults.
    pub fn inject_for_user(&self, user_id: &str, fault: Fault) {
        self.state()
            .user_faults
            .entry(user_id.to_owned())
            .or_default()
            .push_back(fault);
    }

    /// Answers the next request with `fault`; several calls queue several faults.
    pub fn inject(&self, fault: Fault) {
        self.state().faults.push_back(fault);
    }

    /// Answers the next request to `endpoint` with `fault`, whatever other requests come
    /// first (a service calls `users/me` and `oauth2/token` before `POST /2/webhooks`).
    /// Faults queued with [`FakeX::inject`] go first.
    pub fn inject_at(&self, endpoint: Endpoint, fault: Fault) {
        self.state()
            .endpoint_faults
            .entry(endpoint)
            .or_default()
            .push_back(fault);
    }

    /// The fake's switches as they stand.
    pub fn settings(&self) -> FakeSettings {
        self.state().settings.clone()
    }

    /// Replaces every switch at once.
    pub fn set_settings(&self, settings: FakeSettings) {
        self.state().settings = settings;
    }

    /// How many webhooks one app may register before `WebhookLimitExceeded` (X: 1).
    pub fn set_webhook_limit(&self, limit: usize) {
        self.state().settings.webhook_limit = limit;
    }

    /// Serves webhook answers in `{"data": ...}` (the default, X's v2 reference) or bare.
    pub fn wrap_webhook_answers(&self, wrap: bool) {
        self.state().settings.wrap_webhook_answers = wrap;
    }

    /// Makes every CRC fail (at registration, on `PUT` and when scheduled) while still
    /// sending the CRC request.
    pub fn fail_crc(&self, fail: bool) {
        self.state().settings.fail_crc = fail;
    }

    /// Makes `POST /2/webhooks` refuse `url` with 400 `UrlValidationFailed`.
    pub fn refuse_webhook_url(&self, url: &str) {
        self.state()
            .settings
            .refused_webhook_urls
            .push(url.to_owned());
    }

    /// The body of 429 answers: X's v2 problem (default) or the older code 88.
    pub fn set_rate_limit_body(&self, body: RateLimitBody) {
        self.state().settings.rate_limit_body = body;
    }

    /// Delays every answer by `latency` (zero to stop).
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    /// Test-only: lets webhooks be registered at `http` URLs and with a port, which X refuses.
    pub fn allow_http_webhooks(&self, allow: bool) {
        self.state().settings.allow_http_webhooks = allow;
    }

    /// Makes the fake refuse HMAC-SHA256 signatures with 401, as X may.
    pub fn refuse_hmac_sha256(&self, refuse: bool) {
        self.state().settings.refuse_hmac_sha256 = refuse;
    }

    /// Marks a webhook valid or invalid, as X does after a CRC (for tests of what the
    /// service does about an invalid webhook).
    pub fn set_webhook_valid(&self, webhook_id: &str, valid: bool) {
        if let Some(webhook) = self
            .state()
            .webhooks
            .iter_mut()
            .find(|w| w.id == webhook_id)
        {
            webhook.valid = valid;
        }
    }

    /// Keeps accepted replay jobs running, delivering nothing, until switched off.
    pub fn hold_replay_jobs(&self, hold: bool) {
        self.state().settings.hold_replay_jobs = hold;
    }

    /// The replay jobs running, as `(webhook_id, job_id)`.
    pub fn replay_jobs(&self) -> Vec<(String, String)> {
        self.state().replay_jobs.clone().into_iter().collect()
    }

    pub fn webhooks(&self) -> Vec<FakeWebhook> {
        self.state().webhooks.clone()
    }

    /// Every request received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.state().received.clone()
    }

    /// Runs X's scheduled CRC on a registered webhook and marks it valid or invalid.
    pub async fn run_crc(&self, webhook_id: &str) -> Result<(), String> {
        webhooks::crc_webhook(&self.state, &self.driver, webhook_id).await
    }

    /// Runs X's scheduled CRC (hourly at X) on every registered webhook, as the timer does;
    /// each webhook's id with the outcome.
    pub async fn run_scheduled_crc(&self) -> Vec<(String, Result<(), String>)> {
        scheduled_crc(&self.state, &self.driver).await
    }

    /// Runs [`FakeX::run_scheduled_crc`] every `interval` until [`FakeX::stop`] (X: hourly).
    pub fn start_crc_timer(&self, interval: Duration) {
        let (state, driver) = (self.state.clone(), self.driver.clone());
        let timer = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                scheduled_crc(&state, &driver).await;
            }
        });
        if let Some(previous) = self.crc_timer.lock().unwrap().replace(timer) {
            previous.abort();
        }
    }

    /// The driver, for CRC checks and deliveries against any URL with any secret.
    pub fn driver(&self) -> &WebhookDriver {
        &self.driver
    }

    /// Delivers a DM from `sender_id` to `user_id` through the valid webhook `user_id` is
    /// subscribed to, `copies` times (X may deliver more than once). The event is also added
    /// to `user_id`'s DM events, as X would list it.
    pub async fn deliver_direct_message(
        &self,
        user_id: &str,
        sender_id: &str,
        text: &str,
        copies: usize,
    ) -> Result<Delivery, String> {
        deliver_direct_message(&self.state, &self.driver, user_id, sender_id, text, copies).await
    }
}

async fn scheduled_crc(
    state: &Shared,
    driver: &WebhookDriver,
) -> Vec<(String, Result<(), String>)> {
    let ids: Vec<String> = state
        .lock()
        .unwrap()
        .webhooks
        .iter()
        .map(|w| w.id.clone())
        .collect();
    let mut outcomes = Vec::with_capacity(ids.len());
    for id in ids {
        let outcome = webhooks::crc_webhook(state, driver, &id).await;
        outcomes.push((id, outcome));
    }
    outcomes
}

pub(crate) async fn deliver_direct_message(
    state: &Shared,
    driver: &WebhookDriver,
    user_id: &str,
    sender_id: &str,
    text: &str,
    copies: usize,
) -> Result<Delivery, String> {
    let (url, secret, event_id) = {
        let mut s = state.lock().unwrap();
        let webhook = s
            .webhooks
            .iter()
            .find(|w| w.valid && w.subscribed_user_ids.iter().any(|u| u == user_id))
            .ok_or_else(|| format!("no valid webhook subscribed for {user_id}"))?;
        let app = s.apps.get(&webhook.api_key).ok_or("webhook without app")?;
        let (url, secret) = (webhook.url.clone(), app.api_key_secret.clone());
        (
            url,
            secret,
            s.add_received_message(user_id, sender_id, text),
        )
    };
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let sender_name = format!("Customer {sender_id}");
    let sender_username = format!("customer{sender_id}");
    let body = direct_message_delivery(
        user_id,
        &event_id,
        millis,
        (sender_id, &sender_name, &sender_username),
        user_id,
        text,
    );
    let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    let statuses = driver.deliver(&url, &secret, &body, copies).await;
    Ok(Delivery {
        event_id,
        webhook_url: url,
        statuses,
    })
}
