//! Settings of the service: flags, then environment variables (`XCHANNEL_...`,
//! `DATABASE_URL`), then an optional TOML file, then defaults that suit the embedded run.

use std::{fmt, path::PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Deserialize;

/// A configuration value that must never be printed (a master key): its `Debug` and
/// `Display` show a placeholder, and it comes out only through `expose`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

/// Whether an instance runs the background workers (`XCHANNEL_WORKERS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Switch {
    On,
    Off,
}

/// Where the deployment runs; the X channel is offered only outside the Chinese mainland
/// (R-INTEG-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    International,
    ChineseMainland,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    Text,
    Json,
}

/// Every option of the service, from flags (`DatabaseFlags` and `ServerFlags`) or the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub master_key: Option<Secret>,
    pub previous_master_keys: Option<Vec<Secret>>,
    pub public_url: Option<String>,
    pub region: Option<Region>,
    pub log_format: Option<LogFormat>,
    pub sqlite_synchronous: Option<String>,
    pub cors_allowed_origins: Option<Vec<String>>,
    pub workers: Option<Switch>,
    pub x_api_base_url: Option<String>,
    pub allow_platform_roots: Option<bool>,
    pub export_ttl_hours: Option<u32>,
    pub pull_interval_secs: Option<u64>,
    pub pull_concurrency: Option<usize>,
    pub event_retention_hours: Option<u32>,
    pub event_heartbeat_seconds: Option<u32>,
    pub event_stream_seconds: Option<u32>,
    pub audit_retention_days: Option<u32>,
    pub automatic_dm_reserve: Option<u32>,
}

/// The flags every command takes: where the database is, and how to log.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Database and logs (every command)")]
pub struct DatabaseFlags {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://...`; default SQLite under the data dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory for the embedded database and the generated master key.
    #[arg(long, env = "XCHANNEL_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// SQLite `synchronous` pragma: full (default) or normal.
    #[arg(long, env = "XCHANNEL_SQLITE_SYNCHRONOUS", global = true)]
    pub sqlite_synchronous: Option<String>,
    /// Log format.
    #[arg(long, env = "XCHANNEL_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
}

/// The flags only `serve` takes (so `token create --help` lists only its own and the
/// database's).
#[derive(Debug, Clone, Default, Args)]
pub struct ServerFlags {
    /// Address to listen on.
    #[arg(long, env = "XCHANNEL_BIND")]
    pub bind: Option<String>,
    /// Base64 of 32 random bytes; encrypts credentials at rest. Generated under the data dir when absent.
    #[arg(long, env = "XCHANNEL_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<Secret>,
    /// Earlier master keys (comma-separated), still accepted for reading during a rotation.
    #[arg(
        long,
        env = "XCHANNEL_PREVIOUS_MASTER_KEYS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub previous_master_keys: Option<Vec<Secret>>,
    /// The URL at which X reaches this service (used to tell administrators the webhook URL).
    #[arg(long, env = "XCHANNEL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Region of the deployment.
    #[arg(long, env = "XCHANNEL_REGION")]
    pub region: Option<Region>,
    /// Browser origins allowed to call the API (comma-separated, e.g. `https://desk.example.com`; `*` for any).
    #[arg(long, env = "XCHANNEL_CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Option<Vec<String>>,
    /// Run the background workers on this instance (on, the default) or serve HTTP only.
    #[arg(long, env = "XCHANNEL_WORKERS")]
    pub workers: Option<Switch>,
    /// Where X's API is (`https://api.x.com`); tests and demos point it at a fake X.
    #[arg(long, env = "XCHANNEL_X_API_BASE_URL")]
    pub x_api_base_url: Option<String>,
    /// Trust the platform's TLS roots beside the uploaded X authentication certificates (R-INTEG-4).
    #[arg(long, env = "XCHANNEL_ALLOW_PLATFORM_ROOTS")]
    pub allow_platform_roots: Option<bool>,
    /// Hours an export task and its archive are kept (default 24).
    #[arg(long, env = "XCHANNEL_EXPORT_TTL_HOURS")]
    pub export_ttl_hours: Option<u32>,
    /// Seconds between two pulls of each active Basic or Pro channel (default 60).
    #[arg(long, env = "XCHANNEL_PULL_INTERVAL_SECS")]
    pub pull_interval_secs: Option<u64>,
    /// Pulls one instance runs at the same time (default 32).
    #[arg(long, env = "XCHANNEL_PULL_CONCURRENCY")]
    pub pull_concurrency: Option<usize>,
    /// Hours events are kept for streams to resume from (default 72).
    #[arg(long, env = "XCHANNEL_EVENT_RETENTION_HOURS")]
    pub event_retention_hours: Option<u32>,
    /// Seconds between the heartbeat comments of an idle event stream (default 15).
    #[arg(long, env = "XCHANNEL_EVENT_HEARTBEAT_SECONDS")]
    pub event_heartbeat_seconds: Option<u32>,
    /// Seconds after which an event stream ends, for its client to resume (default 900).
    #[arg(long, env = "XCHANNEL_EVENT_STREAM_SECONDS")]
    pub event_stream_seconds: Option<u32>,
    /// Days an audit event is kept before the service deletes it (default 365).
    #[arg(long, env = "XCHANNEL_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<u32>,
    /// Sends of X's budget kept for agents' replies: below it, automatic notices and
    /// reminders are skipped (default 3).
    #[arg(long, env = "XCHANNEL_AUTOMATIC_DM_RESERVE")]
    pub automatic_dm_reserve: Option<u32>,
}

impl Options {
    /// The options the flags (and their environment variables) set.
    pub fn from_flags(database: DatabaseFlags, server: ServerFlags) -> Options {
        Options {
            bind: server.bind,
            database_url: database.database_url,
            data_dir: database.data_dir,
            master_key: server.master_key,
            previous_master_keys: server.previous_master_keys,
            public_url: server.public_url,
            region: server.region,
            log_format: database.log_format,
            sqlite_synchronous: database.sqlite_synchronous,
            cors_allowed_origins: server.cors_allowed_origins,
            workers: server.workers,
            x_api_base_url: server.x_api_base_url,
            allow_platform_roots: server.allow_platform_roots,
            export_ttl_hours: server.export_ttl_hours,
            pull_interval_secs: server.pull_interval_secs,
            pull_concurrency: server.pull_concurrency,
            event_retention_hours: server.event_retention_hours,
            event_heartbeat_seconds: server.event_heartbeat_seconds,
            event_stream_seconds: server.event_stream_seconds,
            audit_retention_days: server.audit_retention_days,
            automatic_dm_reserve: server.automatic_dm_reserve,
        }
    }
}

impl Options {
    /// Fills every unset option from `file`.
    fn or(self, file: Options) -> Options {
        Options {
            bind: self.bind.or(file.bind),
            database_url: self.database_url.or(file.database_url),
            data_dir: self.data_dir.or(file.data_dir),
            master_key: self.master_key.or(file.master_key),
            previous_master_keys: self.previous_master_keys.or(file.previous_master_keys),
            public_url: self.public_url.or(file.public_url),
            region: self.region.or(file.region),
            log_format: self.log_format.or(file.log_format),
            sqlite_synchronous: self.sqlite_synchronous.or(file.sqlite_synchronous),
            cors_allowed_origins: self.cors_allowed_origins.or(file.cors_allowed_origins),
            workers: self.workers.or(file.workers),
            x_api_base_url: self.x_api_base_url.or(file.x_api_base_url),
            allow_platform_roots: self.allow_platform_roots.or(file.allow_platform_roots),
            export_ttl_hours: self.export_ttl_hours.or(file.export_ttl_hours),
            pull_interval_secs: self.pull_interval_secs.or(file.pull_interval_secs),
            pull_concurrency: self.pull_concurrency.or(file.pull_concurrency),
            event_retention_hours: self.event_retention_hours.or(file.event_retention_hours),
            event_heartbeat_seconds: self
                .event_heartbeat_seconds
                .or(file.event_heartbeat_seconds),
            event_stream_seconds: self.event_stream_seconds.or(file.event_stream_seconds),
            audit_retention_days: self.audit_retention_days.or(file.audit_retention_days),
            automatic_dm_reserve: self.automatic_dm_reserve.or(file.automatic_dm_reserve),
        }
    }
}

/// The settings the service runs with, every value decided, grouped by concern.
#[derive(Debug, Clone)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub keys: KeySettings,
    pub x: XSettings,
    pub workers: WorkerSettings,
    pub exports: ExportSettings,
    pub events: EventSettings,
    pub audit: AuditSettings,
    pub automation: AutomationSettings,
    pub log_format: LogFormat,
}

/// What the channel's settings do to conversations (issue 19).
#[derive(Debug, Clone)]
pub struct AutomationSettings {
    /// The time settings are judged by; tests hold an adjustable one.
    pub clock: crate::clock::Clock,
    /// Sends of X's budget kept for agents' replies (`XCHANNEL_AUTOMATIC_DM_RESERVE`).
    pub reserve: u32,
    /// How often due timers and automatic messages are looked for (1 s).
    pub poll: std::time::Duration,
}

/// Default of `XCHANNEL_AUTOMATIC_DM_RESERVE`.
pub const DEFAULT_AUTOMATIC_DM_RESERVE: u32 = 3;

/// The audit trail.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// How long an event is kept.
    pub retention: chrono::Duration,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub bind: String,
    /// Browser origins that may call the API; empty: none (no CORS headers at all).
    pub cors_allowed_origins: CorsOrigins,
    /// Where X reaches this service; the webhook URL shown to administrators starts so.
    pub public_url: String,
}

/// Which browser origins may call the API (CORS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    None,
    /// `*`: any origin. Safe because the API authenticates with a bearer header, never a
    /// cookie, so no credentials are allowed cross-origin.
    Any,
    List(Vec<String>),
}

impl CorsOrigins {
    fn parse(values: Vec<String>) -> anyhow::Result<CorsOrigins> {
        let values: Vec<String> = values
            .into_iter()
            .map(|v| v.trim().trim_end_matches('/').to_owned())
            .filter(|v| !v.is_empty())
            .collect();
        if values.iter().any(|v| v == "*") {
            if values.len() > 1 {
                anyhow::bail!(
                    "XCHANNEL_CORS_ALLOWED_ORIGINS: `*` stands alone, not beside other origins"
                );
            }
            return Ok(CorsOrigins::Any);
        }
        for origin in &values {
            let parsed = url::Url::parse(origin).map_err(|e| {
                anyhow::anyhow!("XCHANNEL_CORS_ALLOWED_ORIGINS: {origin} is not an origin ({e})")
            })?;
            if !matches!(parsed.scheme(), "http" | "https")
                || parsed.path() != "/"
                || parsed.query().is_some()
            {
                anyhow::bail!("XCHANNEL_CORS_ALLOWED_ORIGINS: {origin} is not an origin such as https://desk.example.com");
            }
        }
        Ok(if values.is_empty() {
            CorsOrigins::None
        } else {
            CorsOrigins::List(values)
        })
    }
}

#[derive(Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub sqlite_synchronous: SqliteSynchronous,
}

/// The master keys that seal credentials at rest.
#[derive(Debug, Clone)]
pub struct KeySettings {
    pub master_key: Option<Secret>,
    pub previous_master_keys: Vec<Secret>,
    /// Where the embedded run keeps its generated key file.
    pub data_dir: PathBuf,
}

/// How the service reaches X.
#[derive(Debug, Clone)]
pub struct XSettings {
    pub region: Region,
    /// Where X's API is: `https://api.x.com`, or a fake X.
    pub api_base_url: url::Url,
    /// Whether outbound TLS to X also trusts the platform's roots, beside the uploaded
    /// X authentication certificates (R-INTEG-4). Off by default.
    pub allow_platform_roots: bool,
}

/// Export tasks (R-EXPORT).
#[derive(Debug, Clone)]
pub struct ExportSettings {
    /// How long a task and its archive are kept.
    pub ttl: chrono::Duration,
}

/// The event outbox and its stream.
#[derive(Debug, Clone)]
pub struct EventSettings {
    /// How long events are kept (`XCHANNEL_EVENT_RETENTION_HOURS`, default 72).
    pub retention: chrono::Duration,
    /// How often retention runs (hourly; shorter in tests).
    pub prune_every: std::time::Duration,
    /// Between the heartbeat comments of a stream (`XCHANNEL_EVENT_HEARTBEAT_SECONDS`, 15).
    pub heartbeat: std::time::Duration,
    /// The reconnection delay a stream advises (`retry:`).
    pub retry: std::time::Duration,
    /// How long one stream lasts before it ends and its client resumes with
    /// `Last-Event-ID` (`XCHANNEL_EVENT_STREAM_SECONDS`, default 900): streams then
    /// spread over instances again, and a fuzzer's request ends.
    pub stream_for: std::time::Duration,
}

pub const DEFAULT_X_API_BASE_URL: &str = "https://api.x.com";

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Off: this instance serves HTTP only and claims no background work.
    pub enabled: bool,
    /// How often every active Enterprise channel's webhook is checked at X (15 minutes;
    /// shorter in tests).
    pub webhook_check_interval: std::time::Duration,
    /// How often each active Basic or Pro channel is pulled (`XCHANNEL_PULL_INTERVAL_SECS`).
    pub pull_interval: std::time::Duration,
    /// Pulls one instance runs at the same time (`XCHANNEL_PULL_CONCURRENCY`).
    pub pull_concurrency: usize,
    /// The coverage ledger's clock and thresholds (shorter in tests).
    pub coverage: CoverageSettings,
    /// How often the audit trail's retention runs (hourly; shorter in tests).
    pub audit_retention_interval: std::time::Duration,
    /// How long a reply's `Idempotency-Key` is remembered after its first use
    /// ([`IDEMPOTENCY_KEY_RETENTION`]); then the service deletes it.
    pub idempotency_key_retention: chrono::Duration,
    /// How often forgotten `Idempotency-Key`s are deleted (hourly; shorter in tests).
    pub idempotency_key_prune_every: std::time::Duration,
}

/// How long a reply's `Idempotency-Key` is kept (24 hours after the request that first
/// used it): a retry within that answers the first result; the same key later is a new
/// request.
pub const IDEMPOTENCY_KEY_RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// How the service notices its own absence and heals gaps.
#[derive(Debug, Clone)]
pub struct CoverageSettings {
    /// How often each instance writes its heartbeat (10 s).
    pub heartbeat_interval: std::time::Duration,
    /// No heartbeat of any instance for longer than this is a `service_down` stretch (60 s).
    pub service_down_after: std::time::Duration,
    /// How recent a gap's end may be before X can replay it: X replays only minutes at
    /// least 10 minutes past.
    pub replay_settle: std::time::Duration,
    /// How often a replay job in progress is looked at (30 s).
    pub heal_poll: std::time::Duration,
    /// A replay job whose end X never announced is asked again after this (1 h).
    pub replay_timeout: std::time::Duration,
    /// Pages of `GET /2/dm_events` one read-back of a gap walks at most (50); a longer
    /// walk heals what it read and goes on from X's `next_token` in the next claim.
    pub read_back_pages: usize,
}

impl Default for CoverageSettings {
    fn default() -> Self {
        use std::time::Duration;
        CoverageSettings {
            heartbeat_interval: Duration::from_secs(10),
            service_down_after: Duration::from_secs(60),
            replay_settle: Duration::from_secs(10 * 60),
            heal_poll: Duration::from_secs(30),
            replay_timeout: Duration::from_secs(60 * 60),
            read_back_pages: 50,
        }
    }
}

/// Issue 15: Basic and Pro channels are pulled every minute.
pub const DEFAULT_PULL_INTERVAL_SECS: u64 = 60;
/// Enough for thousands of channels a minute against an X answering in tens of
/// milliseconds, few enough for a small database pool.
pub const DEFAULT_PULL_CONCURRENCY: usize = 32;

/// X marks a webhook invalid without telling anyone: look at least this often.
pub const WEBHOOK_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_password(&self.url))
            .field("sqlite_synchronous", &self.sqlite_synchronous)
            .finish()
    }
}

impl DatabaseSettings {
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }

    /// The database in words, for messages: the file of SQLite (absolute), the URL of
    /// PostgreSQL without its password.
    pub fn describe(&self) -> String {
        match self
            .url
            .strip_prefix("sqlite://")
            .and_then(|rest| rest.split('?').next())
        {
            Some(path) => {
                let path = std::path::Path::new(path);
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
                format!("{} (SQLite)", absolute.display())
            }
            None => redact_password(&self.url),
        }
    }
}

/// `postgres://user:password@host/db` -> `postgres://user:***@host/db`.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

impl HttpSettings {
    /// Why X would refuse the webhook URL this deployment hands out, if it would: X
    /// registers webhooks only at https URLs without a port (R-INGEST-6).
    pub fn public_url_problem(&self) -> Option<String> {
        let rest = self.public_url.strip_prefix("https://");
        let authority = rest.map(|r| r.split('/').next().unwrap_or(""));
        match authority {
            None => Some(format!(
                "X registers webhooks only at https URLs, and the public URL is {}",
                self.public_url
            )),
            Some(a)
                if a.rsplit_once(':')
                    .is_some_and(|(_, port)| !port.contains(']')) =>
            {
                Some(format!(
                    "X registers webhooks only at URLs without a port, and the public URL is {}",
                    self.public_url
                ))
            }
            Some(_) => None,
        }
    }
}

/// `XCHANNEL_X_API_BASE_URL`: an http(s) URL, kept without a trailing slash.
fn x_api_base_url(value: Option<&str>) -> anyhow::Result<url::Url> {
    let value = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_X_API_BASE_URL);
    let parsed = url::Url::parse(value)
        .map_err(|e| anyhow::anyhow!("XCHANNEL_X_API_BASE_URL: {value} is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
        anyhow::bail!("XCHANNEL_X_API_BASE_URL: {value} is not an http(s) URL such as {DEFAULT_X_API_BASE_URL}");
    }
    Ok(parsed)
}

impl Settings {
    pub fn load(cli: Options, file: Option<PathBuf>) -> anyhow::Result<Settings> {
        let from_file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading settings file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("parsing settings file {}", path.display()))?
            }
            None => Options::default(),
        };
        Self::resolve(cli.or(from_file))
    }

    pub fn resolve(o: Options) -> anyhow::Result<Settings> {
        let data_dir = o.data_dir.unwrap_or_else(|| PathBuf::from("data"));
        let bind = o.bind.unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let database_url = o.database_url.unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("xchannel.db").display()
            )
        });
        let sqlite_synchronous = match o.sqlite_synchronous.as_deref() {
            None | Some("full") | Some("FULL") => SqliteSynchronous::Full,
            Some("normal") | Some("NORMAL") => SqliteSynchronous::Normal,
            Some(other) => anyhow::bail!("sqlite_synchronous must be full or normal, not {other}"),
        };
        let public_url = o
            .public_url
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        Ok(Settings {
            http: HttpSettings {
                bind,
                public_url,
                cors_allowed_origins: CorsOrigins::parse(
                    o.cors_allowed_origins.unwrap_or_default(),
                )?,
            },
            database: DatabaseSettings {
                url: database_url,
                sqlite_synchronous,
            },
            keys: KeySettings {
                master_key: o.master_key,
                previous_master_keys: o.previous_master_keys.unwrap_or_default(),
                data_dir,
            },
            x: XSettings {
                region: o.region.unwrap_or(Region::International),
                api_base_url: x_api_base_url(o.x_api_base_url.as_deref())?,
                allow_platform_roots: o.allow_platform_roots.unwrap_or(false),
            },
            workers: WorkerSettings {
                enabled: o.workers != Some(Switch::Off),
                webhook_check_interval: WEBHOOK_CHECK_INTERVAL,
                pull_interval: match o.pull_interval_secs {
                    Some(0) => anyhow::bail!("XCHANNEL_PULL_INTERVAL_SECS must be at least 1"),
                    secs => {
                        std::time::Duration::from_secs(secs.unwrap_or(DEFAULT_PULL_INTERVAL_SECS))
                    }
                },
                pull_concurrency: match o.pull_concurrency {
                    Some(0) => anyhow::bail!("XCHANNEL_PULL_CONCURRENCY must be at least 1"),
                    n => n.unwrap_or(DEFAULT_PULL_CONCURRENCY),
                },
                coverage: CoverageSettings::default(),
                audit_retention_interval: std::time::Duration::from_secs(3600),
                idempotency_key_retention: IDEMPOTENCY_KEY_RETENTION,
                idempotency_key_prune_every: std::time::Duration::from_secs(3600),
            },
            exports: ExportSettings {
                ttl: match o.export_ttl_hours {
                    Some(0) => anyhow::bail!("XCHANNEL_EXPORT_TTL_HOURS must be at least 1"),
                    hours => chrono::Duration::hours(i64::from(hours.unwrap_or(24))),
                },
            },
            events: EventSettings {
                retention: match o.event_retention_hours {
                    Some(0) => anyhow::bail!("XCHANNEL_EVENT_RETENTION_HOURS must be at least 1"),
                    hours => chrono::Duration::hours(i64::from(hours.unwrap_or(72))),
                },
                prune_every: std::time::Duration::from_secs(3600),
                heartbeat: match o.event_heartbeat_seconds {
                    Some(0) => anyhow::bail!("XCHANNEL_EVENT_HEARTBEAT_SECONDS must be at least 1"),
                    seconds => std::time::Duration::from_secs(u64::from(seconds.unwrap_or(15))),
                },
                retry: std::time::Duration::from_secs(3),
                stream_for: match o.event_stream_seconds {
                    Some(0) => anyhow::bail!("XCHANNEL_EVENT_STREAM_SECONDS must be at least 1"),
                    seconds => std::time::Duration::from_secs(u64::from(seconds.unwrap_or(900))),
                },
            },
            audit: AuditSettings {
                retention: match o.audit_retention_days {
                    Some(0) => anyhow::bail!("XCHANNEL_AUDIT_RETENTION_DAYS must be at least 1"),
                    days => chrono::Duration::days(i64::from(days.unwrap_or(365))),
                },
            },
            automation: AutomationSettings {
                clock: crate::clock::Clock::system(),
                reserve: o
                    .automatic_dm_reserve
                    .unwrap_or(DEFAULT_AUTOMATIC_DM_RESERVE),
                poll: std::time::Duration::from_secs(1),
            },
            log_format: o.log_format.unwrap_or(LogFormat::Text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_is_api_x_com_unless_told_and_platform_roots_are_off() {
        let settings = Settings::resolve(Options::default()).unwrap();
        assert_eq!(settings.x.api_base_url.as_str(), "https://api.x.com/");
        assert!(!settings.x.allow_platform_roots);
        assert_eq!(
            settings.workers.webhook_check_interval,
            WEBHOOK_CHECK_INTERVAL
        );
    }

    #[test]
    fn channels_are_pulled_every_minute_unless_told_and_never_every_zero_seconds() {
        let settings = Settings::resolve(Options::default()).unwrap();
        assert_eq!(
            settings.workers.pull_interval,
            std::time::Duration::from_secs(60)
        );
        assert_eq!(settings.workers.pull_concurrency, DEFAULT_PULL_CONCURRENCY);
        let told = Settings::resolve(Options {
            pull_interval_secs: Some(5),
            pull_concurrency: Some(4),
            ..Options::default()
        })
        .unwrap();
        assert_eq!(
            told.workers.pull_interval,
            std::time::Duration::from_secs(5)
        );
        assert_eq!(told.workers.pull_concurrency, 4);
        for options in [
            Options {
                pull_interval_secs: Some(0),
                ..Options::default()
            },
            Options {
                pull_concurrency: Some(0),
                ..Options::default()
            },
        ] {
            let error = Settings::resolve(options).unwrap_err().to_string();
            assert!(error.contains("XCHANNEL_PULL_"), "{error}");
        }
    }

    #[test]
    fn an_x_base_url_that_is_not_http_is_refused_at_start() {
        for url in ["ftp://api.x.com", "api.x.com", "mailto:x@example.com"] {
            let options = Options {
                x_api_base_url: Some(url.into()),
                ..Options::default()
            };
            let error = Settings::resolve(options).unwrap_err().to_string();
            assert!(error.contains("XCHANNEL_X_API_BASE_URL"), "{url}: {error}");
        }
    }
}
