//! One way to send a request to X and turn the answer into a value or a typed [`XError`].

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::encode::query_string;
use crate::oauth::{SignatureMethod, UserCredentials};

use super::app_credentials::{basic_authorization, AppCredentials, BearerToken};
use super::{Authentication, RateLimit, XClient, XError, XResponse};

/// How one request proves who sends it.
#[derive(Clone, Copy)]
pub(crate) enum Credential<'a> {
    User(&'a UserCredentials, SignatureMethod),
    Bearer(&'a BearerToken),
    ApiKey(&'a AppCredentials),
}

impl Credential<'_> {
    fn authentication(&self) -> Authentication {
        match self {
            Credential::User(_, method) => Authentication::OAuth1(*method),
            Credential::Bearer(_) => Authentication::AppBearer,
            Credential::ApiKey(_) => Authentication::ApiKeyBasic,
        }
    }
}

pub(crate) enum Body<'a> {
    Empty,
    Json(serde_json::Value),
    /// Form parameters are part of the OAuth base string, unlike JSON.
    Form(&'a [(&'a str, String)]),
}

/// X's error codes that mean "these credentials are refused" when they come with a 403:
/// 32 "Could not authenticate you", 89 "Invalid or expired token", 99 "Unable to verify your
/// credentials" (`POST /oauth2/token`).
const CREDENTIALS_REFUSED_CODES: [u64; 3] = [32, 89, 99];

/// X's v1.1 "Rate limit exceeded", which some answers carry instead of a v2 problem.
const RATE_LIMIT_EXCEEDED: u64 = 88;

/// The problem type of X's 403 to an authentication the endpoint does not take.
const UNSUPPORTED_AUTHENTICATION: &str =
    "https://api.twitter.com/2/problems/unsupported-authentication";

/// X's error document: v2 problem fields, or v1.1-style `errors: [{code, message}]`.
#[derive(Deserialize, Default)]
struct XProblem {
    #[serde(rename = "type")]
    problem_type: Option<String>,
    title: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<XErrorItem>,
}

#[derive(Deserialize)]
struct XErrorItem {
    code: Option<u64>,
    title: Option<String>,
    detail: Option<String>,
    message: Option<String>,
}

impl XProblem {
    fn has_code(&self, code: u64) -> bool {
        self.errors.iter().any(|e| e.code == Some(code))
    }

    fn is_unsupported_authentication(&self) -> bool {
        self.problem_type.as_deref() == Some(UNSUPPORTED_AUTHENTICATION)
            || self.title.as_deref() == Some("Unsupported Authentication")
    }

    /// The title, and the detail with the errors' own messages (`DuplicateUrlFailed`,
    /// `CrcValidationFailed`...) that it does not already quote: X's reason is in those.
    fn title_and_detail(self) -> (Option<String>, Option<String>) {
        let mut errors = self.errors.into_iter();
        let first = errors.next();
        let title = self
            .title
            .or_else(|| first.as_ref().and_then(|e| e.title.clone()));
        let Some(mut detail) = self.detail else {
            return (title, first.and_then(|e| e.detail.or(e.message)));
        };
        for message in first.into_iter().chain(errors).filter_map(|e| e.message) {
            if !detail.contains(&message) {
                detail.push_str(&format!(" ({message})"));
            }
        }
        (title, Some(detail))
    }
}

/// What OAuth 1.0a signs besides the `oauth_*` values: the query, and the body when it is a
/// form (RFC 5849 section 3.4.1.3); a JSON body is not signed.
fn signed_parameters<'a>(
    query: &'a [(&'a str, String)],
    body: &'a Body<'a>,
) -> Vec<(&'a str, &'a str)> {
    let form: &[(&str, String)] = match body {
        Body::Form(form) => form,
        Body::Empty | Body::Json(_) => &[],
    };
    query
        .iter()
        .chain(form)
        .map(|(k, v)| (*k, v.as_str()))
        .collect()
}

impl XClient {
    /// Sends one request and decodes a 2xx JSON answer into `T`.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        credential: Credential<'_>,
    ) -> Result<XResponse<T>, XError> {
        let (status, rate_limit, bytes) = self.send(method, path, query, body, credential).await?;
        let value = serde_json::from_slice(&bytes).map_err(|e| XError::MalformedBody {
            status: status.as_u16(),
            reason: e.to_string(),
        })?;
        Ok(XResponse { value, rate_limit })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        credential: Credential<'_>,
    ) -> Result<(StatusCode, Option<RateLimit>, Vec<u8>), XError> {
        let url = self.endpoint(path);
        let authorization = match credential {
            Credential::User(credentials, signature_method) => credentials.authorization(
                signature_method,
                method.as_str(),
                &url,
                &signed_parameters(query, &body),
            ),
            Credential::Bearer(token) => format!("Bearer {}", token.expose()),
            Credential::ApiKey(app) => basic_authorization(app),
        };
        let full_url = if query.is_empty() {
            url
        } else {
            format!("{url}?{}", query_string(query))
        };
        let mut request = self
            .http
            .request(method, full_url)
            .timeout(self.timeout)
            .header(AUTHORIZATION, authorization);
        request = match body {
            Body::Empty => request,
            Body::Json(json) => request.json(&json),
            Body::Form(form) => request
                .header(
                    CONTENT_TYPE,
                    "application/x-www-form-urlencoded;charset=UTF-8",
                )
                .body(query_string(form)),
        };
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let rate_limit = RateLimit::from_headers(response.headers());
        let reset = RateLimit::reset_from_headers(response.headers());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        if status.is_success() {
            return Ok((status, rate_limit, bytes.to_vec()));
        }
        let problem = serde_json::from_slice::<XProblem>(&bytes).unwrap_or_default();
        let unsupported =
            status == StatusCode::FORBIDDEN && problem.is_unsupported_authentication();
        let refused_credentials = status == StatusCode::UNAUTHORIZED
            || (status == StatusCode::FORBIDDEN
                && CREDENTIALS_REFUSED_CODES
                    .iter()
                    .any(|c| problem.has_code(*c)));
        let rate_limited =
            status == StatusCode::TOO_MANY_REQUESTS || problem.has_code(RATE_LIMIT_EXCEEDED);
        let (title, detail) = problem.title_and_detail();
        Err(match status {
            _ if rate_limited => XError::RateLimited { reset, rate_limit },
            _ if unsupported => XError::UnsupportedAuthentication {
                authentication: credential.authentication(),
                title,
                detail,
            },
            _ if refused_credentials => XError::Unauthorized {
                authentication: credential.authentication(),
                title,
                detail,
            },
            _ => XError::Api {
                status: status.as_u16(),
                title,
                detail,
                rate_limit,
            },
        })
    }

    /// reqwest's errors name the URL and their causes (refused connection, unknown issuer...);
    /// neither carries a secret, since credentials travel only in headers.
    fn transport_error(&self, error: reqwest::Error) -> XError {
        if error.is_timeout() {
            return XError::Timeout(self.timeout);
        }
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        // A refused TLS handshake stays a transport error: its cause is the trust, which
        // the caller reports as such.
        let tls = ["certificate", "tls", "handshake", "issuer"]
            .iter()
            .any(|word| text.to_ascii_lowercase().contains(word));
        if error.is_connect() && !tls {
            return XError::NotConnected(text);
        }
        XError::Transport(text)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// X's "Creating a signature" example is a form POST: `include_entities` in the query,
    /// `status` in the `application/x-www-form-urlencoded` body.
    const QUERY: &[(&str, &str)] = &[("include_entities", "true")];
    const STATUS: &str = "Hello Ladies + Gentlemen, a signed OAuth request!";

    fn sign_x_example(params: &[(&str, &str)]) -> String {
        UserCredentials::new(
            "xvz1evFS4wEEPTGEFPHBog",
            "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        )
        .authorization_at(
            SignatureMethod::HmacSha1,
            "POST",
            "https://api.twitter.com/1.1/statuses/update.json",
            params,
            "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
            1318622958,
        )
    }

    fn query() -> Vec<(&'static str, String)> {
        QUERY.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn form_parameters_are_signed_reproducing_x_documentation_example() {
        let (query, form) = (query(), [("status", STATUS.to_owned())]);
        let body = Body::Form(&form);
        let params = signed_parameters(&query, &body);
        assert_eq!(params, [("include_entities", "true"), ("status", STATUS)]);
        let header = sign_x_example(&params);
        assert!(
            header.contains("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""),
            "{header}"
        );
    }

    #[test]
    fn the_detail_quotes_the_error_messages_x_gives_beside_it() {
        let problem: XProblem = serde_json::from_str(
            r#"{"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
                "errors": [{"message": "DuplicateUrlFailed"}, {"message": "One or more parameters to your request was invalid."}]}"#,
        )
        .unwrap();
        assert_eq!(
            problem.title_and_detail(),
            (
                Some("Invalid Request".to_owned()),
                Some(
                    "One or more parameters to your request was invalid. (DuplicateUrlFailed)"
                        .to_owned()
                )
            )
        );
    }

    #[test]
    fn unsupported_authentication_is_known_by_its_problem_type_or_title() {
        for json in [
            r#"{"type": "https://api.twitter.com/2/problems/unsupported-authentication"}"#,
            r#"{"title": "Unsupported Authentication"}"#,
        ] {
            assert!(serde_json::from_str::<XProblem>(json)
                .unwrap()
                .is_unsupported_authentication());
        }
        assert!(
            !serde_json::from_str::<XProblem>(r#"{"title": "Forbidden"}"#)
                .unwrap()
                .is_unsupported_authentication()
        );
    }

    #[test]
    fn a_json_body_is_not_signed() {
        let query = query();
        let body = Body::Json(json!({ "status": STATUS }));
        let params = signed_parameters(&query, &body);
        assert_eq!(params, QUERY);
        assert!(!sign_x_example(&params).contains("hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"));
    }
}
