//! Why an integration ended `failed`: one catalogue of stable codes, each with what a
//! tenant administrator does about it, and the one mapping from the connector's errors to
//! them. These are outcomes of background work, shown in `integration.lastError`, not HTTP
//! errors; the README's table of them is generated from here and a test compares them.

use x_connector::{Authentication, XError};

macro_rules! integration_failures {
    ($($variant:ident => $name:literal, $when:literal;)*) => {
        /// A stable reason of a failed integration (`integration.lastError.code`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FailureCode {
            $($variant,)*
        }

        impl FailureCode {
            pub const ALL: &'static [FailureCode] = &[$(FailureCode::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(FailureCode::$variant => $name,)* }
            }

            pub fn when(self) -> &'static str {
                match self { $(FailureCode::$variant => $when,)* }
            }
        }
    };
}

integration_failures! {
    XCredentialsRefused => "x_credentials_refused",
        "X refused the credentials (401, or 403 with X's code 32, 89 or 99): check the four values";
    XSignatureMethodRefused => "x_signature_method_refused",
        "X refused HMAC-SHA256 signatures (the same credentials pass with HMAC-SHA1): choose SHA-1";
    XCertificateMissing => "x_certificate_missing",
        "X's TLS certificate could not be checked: no X authentication certificate is uploaded and the platform's roots are not trusted";
    XTlsUntrusted => "x_tls_untrusted",
        "no uploaded X authentication certificate matches the chain X's server presented";
    XUnreachable => "x_unreachable",
        "X did not answer (timeout, DNS, connection refused) or answered with a server error";
    XRateLimited => "x_rate_limited",
        "X's rate limit was reached; the message says when X allows calls again";
    XWebhookRefused => "x_webhook_refused",
        "X refused the webhook URL (not https, a port, the CRC failed...); the message quotes X";
    XSubscriptionRefused => "x_subscription_refused",
        "X refused to subscribe the account to the webhook; the message quotes X";
    XAppInUse => "x_app_in_use",
        "another tenant's active or verifying channel uses this X app (API key): one X project, one channel";
    XUnexpectedAnswer => "x_unexpected_answer",
        "X answered something the service did not expect (another refusal, a malformed body); the message quotes it";
    IntegrationInterrupted => "integration_interrupted",
        "the verification was interrupted (the instances running it stopped) too often: submit again";
}

/// A failed integration: its code and a message a tenant administrator can act on. Never
/// a secret: the connector's errors name requests by path and credentials by kind.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: FailureCode,
    pub message: String,
}

impl Failure {
    pub fn new(code: FailureCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The step of the integration that called X, for the refusals only that step can meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `GET /2/users/me`, `GET /2/dm_events`: the tokens in user context.
    Account,
    /// `POST /oauth2/token`, `GET/POST/PUT /2/webhooks`.
    Webhook,
    /// `POST /2/account_activity/webhooks/{id}/subscriptions/all`.
    Subscription,
}

/// What the TLS trust was when the call failed, to tell a missing certificate from one
/// that does not match.
#[derive(Debug, Clone, Copy)]
pub struct Trust {
    pub uploaded_certificates: usize,
    pub platform_roots: bool,
}

/// The failure an error of the connector stands for at `step`.
pub fn failure_of(error: &XError, step: Step, trust: Trust) -> Failure {
    use FailureCode::*;
    match error {
        XError::Unauthorized { .. } if step == Step::Subscription => Failure::new(
            XSubscriptionRefused,
            format!("{error}. Check that the access token belongs to the account to connect and has direct-message permission, then submit again"),
        ),
        XError::Unauthorized { authentication, .. } => Failure::new(
            XCredentialsRefused,
            format!(
                "{error}. Check the {}, then submit again",
                match authentication {
                    Authentication::ApiKeyBasic | Authentication::AppBearer => "API key and API key secret",
                    Authentication::OAuth1(_) => "API key, API key secret, access token and access token secret",
                }
            ),
        ),
        XError::RateLimited { reset, .. } => {
            let when = reset
                .and_then(|r| chrono::DateTime::from_timestamp(r as i64, 0))
                .map(|at| format!("X allows calls again at {}", at.to_rfc3339()))
                .unwrap_or_else(|| "X did not say when it allows calls again".to_owned());
            Failure::new(XRateLimited, format!("X's rate limit was reached; {when}. Submit again after that"))
        }
        XError::Timeout(_) => Failure::new(XUnreachable, format!("{error}; submit again when X answers")),
        XError::Transport(text) if is_tls(text) => {
            if trust.uploaded_certificates == 0 && !trust.platform_roots {
                Failure::new(
                    XCertificateMissing,
                    format!("X's TLS certificate cannot be checked: no X authentication certificate is uploaded ({error}). A system administrator uploads X's CA certificate (POST /api/v1/certificates); then submit again"),
                )
            } else {
                Failure::new(
                    XTlsUntrusted,
                    format!("no uploaded X authentication certificate matches the chain X presented ({error}). A system administrator uploads X's CA certificate (POST /api/v1/certificates); then submit again"),
                )
            }
        }
        XError::Transport(_) | XError::NotConnected(_) => Failure::new(XUnreachable, format!("{error}; check XCHANNEL_X_API_BASE_URL and the network, then submit again")),
        XError::Api { status, .. } if *status >= 500 => {
            Failure::new(XUnreachable, format!("{error}; submit again later"))
        }
        XError::Api { .. } if step == Step::Webhook => Failure::new(
            XWebhookRefused,
            format!("{error}. X registers webhooks only at https URLs without a port that answer its CRC: check XCHANNEL_PUBLIC_URL, then submit again"),
        ),
        XError::Api { .. } if step == Step::Subscription => {
            Failure::new(XSubscriptionRefused, format!("{error}; then submit again"))
        }
        // X refused the kind of authentication for the endpoint: the service's mistake,
        // not the administrator's credentials.
        XError::UnsupportedAuthentication { .. }
        | XError::Api { .. }
        | XError::MalformedBody { .. }
        | XError::InvalidRequest(_) => Failure::new(XUnexpectedAnswer, format!("{error}")),
    }
}

/// rustls and reqwest name a refused chain by these words.
fn is_tls(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "certificate",
        "unknownissuer",
        "unknown issuer",
        "tls",
        "handshake",
    ]
    .iter()
    .any(|word| text.contains(word))
}

/// The catalogue as a Markdown table, for the README.
pub fn catalogue_markdown() -> String {
    let mut out = String::from("| `code` | When |\n|---|---|\n");
    for code in FailureCode::ALL {
        out.push_str(&format!("| `{}` | {} |\n", code.name(), code.when()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUST: Trust = Trust {
        uploaded_certificates: 1,
        platform_roots: false,
    };

    #[test]
    fn the_readme_lists_every_integration_failure() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
        assert!(
            readme.contains(&catalogue_markdown()),
            "README.md must hold this table as written:\n{}",
            catalogue_markdown()
        );
    }

    #[test]
    fn a_refused_chain_is_a_missing_certificate_only_when_none_is_uploaded() {
        let error = XError::Transport("invalid peer certificate: UnknownIssuer".into());
        assert_eq!(
            failure_of(&error, Step::Account, TRUST).code,
            FailureCode::XTlsUntrusted
        );
        let none = Trust {
            uploaded_certificates: 0,
            platform_roots: false,
        };
        assert_eq!(
            failure_of(&error, Step::Account, none).code,
            FailureCode::XCertificateMissing
        );
        let refused = XError::Transport("error sending request: Connection refused".into());
        assert_eq!(
            failure_of(&refused, Step::Account, none).code,
            FailureCode::XUnreachable
        );
    }

    #[test]
    fn a_refusal_of_the_webhook_quotes_x() {
        let error = XError::Api {
            status: 400,
            title: Some("Invalid Request".into()),
            detail: Some("The URL must use https".into()),
            rate_limit: None,
        };
        let failure = failure_of(&error, Step::Webhook, TRUST);
        assert_eq!(failure.code, FailureCode::XWebhookRefused);
        assert!(
            failure.message.contains("The URL must use https"),
            "{}",
            failure.message
        );
        assert_eq!(
            failure_of(&error, Step::Account, TRUST).code,
            FailureCode::XUnexpectedAnswer
        );
    }
}
