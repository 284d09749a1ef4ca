//! The X API v2 client: one `reqwest` client per connector, a configurable base URL, a timeout
//! on every call and TLS trust from the caller's PEM certificates (R-INTEG-4).

mod app_auth;
mod app_credentials;
mod dm_events;
mod error;
mod messages;
mod rate_limit;
mod replay;
mod transport;
mod users;
mod webhooks;

use std::time::Duration;

use url::Url;

pub use app_credentials::{AppCredentials, BearerToken};
pub use dm_events::{
    DmAttachments, DmEvent, DmEventWalk, DmEventsPage, DmEventsQuery, ReferencedTweet, WalkStop,
    XMedia,
};
pub use error::{Authentication, XError};
pub use messages::SentMessage;
pub use rate_limit::{RateLimit, XResponse};
pub use replay::{replay_minute, ReplayJob};
pub use users::XUser;
pub use webhooks::Webhook;

/// X's v2 envelope for a single result: `{"data": ...}`.
#[derive(serde::Deserialize)]
struct Data<T> {
    data: T,
}

/// Which certificates outbound TLS to X trusts.
#[derive(Clone, Debug, Default)]
pub struct TlsTrust {
    /// PEM certificates uploaded by the system administrator (one or many per entry).
    pub pem_certificates: Vec<Vec<u8>>,
    /// Whether the platform's own root store is trusted too; off unless the deployment allows it.
    pub allow_platform_roots: bool,
}

#[derive(Clone, Debug)]
pub struct XClientConfig {
    /// `https://api.x.com` in production; a fake X in tests.
    pub base_url: Url,
    /// Upper bound for each call, connection included.
    pub timeout: Duration,
    pub tls: TlsTrust,
}

impl XClientConfig {
    pub fn new(base_url: Url) -> Self {
        XClientConfig {
            base_url,
            timeout: Duration::from_secs(10),
            tls: TlsTrust::default(),
        }
    }
}

/// Speaks X API v2. Cheap to clone; share one per process.
#[derive(Clone, Debug)]
pub struct XClient {
    http: reqwest::Client,
    base_url: Url,
    timeout: Duration,
}

impl XClient {
    pub fn new(config: XClientConfig) -> Result<Self, XError> {
        if !matches!(config.base_url.scheme(), "http" | "https")
            || config.base_url.cannot_be_a_base()
        {
            return Err(XError::InvalidRequest(format!(
                "base URL {} is not an http(s) URL",
                config.base_url
            )));
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(config.tls.allow_platform_roots)
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("xchannel-x-connector/", env!("CARGO_PKG_VERSION")));
        for pem in &config.tls.pem_certificates {
            let certificates = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                XError::InvalidRequest(format!("a trusted certificate is not valid PEM: {e}"))
            })?;
            if certificates.is_empty() {
                return Err(XError::InvalidRequest(
                    "a trusted certificate holds no PEM certificate".into(),
                ));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder
            .build()
            .map_err(|e| XError::Transport(format!("cannot build the HTTP client: {e}")))?;
        Ok(XClient {
            http,
            base_url: config.base_url,
            timeout: config.timeout,
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The absolute URL of an API path such as `/2/users/me`, without a query.
    fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(base_url: &str, path: &str) -> String {
        XClient::new(XClientConfig::new(base_url.parse().unwrap()))
            .unwrap()
            .endpoint(path)
    }

    #[test]
    fn an_endpoint_leaves_out_the_default_port_of_the_base_url() {
        // The URL signed is the URL sent (RFC 5849 3.4.1.2).
        assert_eq!(
            endpoint("https://api.x.com:443", "/2/users/me"),
            "https://api.x.com/2/users/me"
        );
        assert_eq!(
            endpoint("http://api.x.com:80/", "/2/users/me"),
            "http://api.x.com/2/users/me"
        );
        assert_eq!(
            endpoint("HTTPS://API.X.COM", "/2/users/me"),
            "https://api.x.com/2/users/me"
        );
    }

    #[test]
    fn an_endpoint_keeps_a_non_default_port_and_a_path_prefix() {
        assert_eq!(
            endpoint("http://127.0.0.1:8080", "/2/users/me"),
            "http://127.0.0.1:8080/2/users/me"
        );
        assert_eq!(
            endpoint("https://api.x.com:8443/", "/2/dm_events"),
            "https://api.x.com:8443/2/dm_events"
        );
        assert_eq!(
            endpoint("http://api.x.com:443/fake-x/", "/2/users/me"),
            "http://api.x.com:443/fake-x/2/users/me"
        );
    }

    #[test]
    fn a_base_url_that_is_not_http_is_refused() {
        for url in ["ftp://api.x.com", "mailto:someone@example.com"] {
            let error = XClient::new(XClientConfig::new(url.parse().unwrap())).unwrap_err();
            assert!(
                matches!(error, XError::InvalidRequest(_)),
                "{url}: {error:?}"
            );
        }
    }
}
