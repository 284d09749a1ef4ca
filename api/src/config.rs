//! Settings of the service: flags, then environment variables (`XCHANNEL_...`,
//! `DATABASE_URL`), then an optional TOML file, then defaults that suit the embedded run.

use std::{fmt, path::PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Deserialize;

/// A configuration value that must never be printed: the same type that carries X
/// credentials to the connector.
pub use x_connector::Secret;

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

/// Options shared by every subcommand; each one may also come from the file.
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, env = "XCHANNEL_BIND", global = true)]
    pub bind: Option<String>,
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://...`; default SQLite under the data dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory for the embedded database and the generated master key.
    #[arg(long, env = "XCHANNEL_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Base64 of 32 random bytes; encrypts credentials at rest. Generated under the data dir when absent.
    #[arg(long, env = "XCHANNEL_MASTER_KEY", global = true, hide_env_values = true)]
    pub master_key: Option<Secret>,
    /// Earlier master keys (comma-separated), still accepted for reading during a rotation.
    #[arg(long, env = "XCHANNEL_PREVIOUS_MASTER_KEYS", global = true, hide_env_values = true, value_delimiter = ',')]
    pub previous_master_keys: Option<Vec<Secret>>,
    /// The URL at which X reaches this service (used to tell administrators the webhook URL).
    #[arg(long, env = "XCHANNEL_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Region of the deployment.
    #[arg(long, env = "XCHANNEL_REGION", global = true)]
    pub region: Option<Region>,
    /// Log format.
    #[arg(long, env = "XCHANNEL_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
    /// SQLite `synchronous` pragma: full (default) or normal.
    #[arg(long, env = "XCHANNEL_SQLITE_SYNCHRONOUS", global = true)]
    pub sqlite_synchronous: Option<String>,
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
        }
    }
}

/// The settings the service runs with, every value decided.
#[derive(Clone)]
pub struct Settings {
    pub bind: String,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub master_key: Option<Secret>,
    pub previous_master_keys: Vec<Secret>,
    pub public_url: String,
    pub region: Region,
    pub log_format: LogFormat,
    pub sqlite_synchronous: SqliteSynchronous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("database_url", &redact_password(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("public_url", &self.public_url)
            .field("region", &self.region)
            .finish_non_exhaustive()
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

impl Settings {
    /// Why X would refuse the webhook URL this deployment hands out, if it would: X
    /// registers webhooks only at https URLs without a port (R-INGEST-6).
    pub fn public_url_problem(&self) -> Option<String> {
        let rest = self.public_url.strip_prefix("https://");
        let authority = rest.map(|r| r.split('/').next().unwrap_or(""));
        match authority {
            None => Some(format!("X registers webhooks only at https URLs, and the public URL is {}", self.public_url)),
            Some(a) if a.rsplit_once(':').is_some_and(|(_, port)| !port.contains(']')) => {
                Some(format!("X registers webhooks only at URLs without a port, and the public URL is {}", self.public_url))
            }
            Some(_) => None,
        }
    }

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
            format!("sqlite://{}?mode=rwc", data_dir.join("xchannel.db").display())
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
            bind,
            database_url,
            data_dir,
            master_key: o.master_key,
            previous_master_keys: o.previous_master_keys.unwrap_or_default(),
            public_url,
            region: o.region.unwrap_or(Region::International),
            log_format: o.log_format.unwrap_or(LogFormat::Text),
            sqlite_synchronous,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}
