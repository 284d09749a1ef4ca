//! The one error catalogue of the service: every stable `code` the API can answer, with
//! its status and title, defined once; `ApiError` renders one of them as an RFC 9457
//! `application/problem+json` document. Store errors are mapped to HTTP here and only here.

use std::borrow::Cow;

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::store::{Constraint, StoreError};

/// Declares the catalogue: one row per code, `Variant => STATUS, "code", "Title", "when"`.
macro_rules! error_codes {
    ($($variant:ident => $status:ident, $name:literal, $title:literal, $when:literal;)*) => {
        /// A stable, machine-readable reason of a failed request.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The snake_case name clients program against.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)* }
            }

            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            /// When the service answers it, in words, for the catalogue in the docs.
            pub fn when(self) -> &'static str {
                match self { $(Code::$variant => $when,)* }
            }
        }
    };
}

error_codes! {
    MalformedJson => BAD_REQUEST, "malformed_json", "The request body is not valid JSON",
        "the body is not JSON";
    InvalidQuery => BAD_REQUEST, "invalid_query", "The query has invalid parameters",
        "a query parameter is bad; `errors` names each";
    MalformedDelivery => BAD_REQUEST, "malformed_delivery", "Not a delivery X documents",
        "a validly signed webhook delivery is JSON but not of the shape X documents";
    InvalidHeader => BAD_REQUEST, "invalid_header", "A request header is invalid",
        "a header is malformed (an `Idempotency-Key` that is not 1-255 visible ASCII characters)";
    Unauthenticated => UNAUTHORIZED, "unauthenticated", "Authentication required",
        "no token, or an unknown or revoked one";
    XCredentialsRefused => UNAUTHORIZED, "x_credentials_refused", "X refused the channel's credentials",
        "X answered 401 to a reply: the channel is moved to `failed` (its integration says why); nothing was sent";
    InvalidSignature => UNAUTHORIZED, "invalid_signature", "Webhook signature refused",
        "a webhook delivery's `x-twitter-webhooks-signature` is missing, malformed or not the body's; nothing is stored";
    Forbidden => FORBIDDEN, "forbidden", "Not allowed",
        "the token's role may not do this";
    XRecipientRefused => FORBIDDEN, "x_recipient_refused", "X refused the direct message",
        "X answered 403 to a reply (the customer does not accept direct messages from this account...); `detail` quotes X; nothing was sent";
    NotFound => NOT_FOUND, "not_found", "Not found",
        "no such resource in the caller's tenant (another tenant's included)";
    MethodNotAllowed => METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed",
        "a known path asked with another method; `Allow` lists the right ones";
    ChannelNameTaken => CONFLICT, "channel_name_taken", "Channel name already taken",
        "another channel of the tenant has this name";
    ApiKeyInUse => CONFLICT, "api_key_in_use", "API key already in use",
        "another channel of the tenant uses this X API key (one X project, one channel)";
    CalledRouteNameTaken => CONFLICT, "called_route_name_taken", "Called route name already taken",
        "another called route of the tenant has this name";
    OuInUse => CONFLICT, "ou_in_use", "OU still in use",
        "the OU still has child OUs, called routes or channels";
    CalledRouteInUse => CONFLICT, "called_route_in_use", "Called route still in use",
        "a channel routes to this called route";
    TenantNameTaken => CONFLICT, "tenant_name_taken", "Tenant name already taken",
        "another tenant has this name (compared case-insensitively, in NFC)";
    TenantInUse => CONFLICT, "tenant_in_use", "Tenant still has channels",
        "the tenant still has channels; `counts` says what it owns (`?cascade=true` deletes it all)";
    CertificateExists => CONFLICT, "certificate_exists", "Certificates already uploaded",
        "the same certificates are already uploaded";
    LastSystemAdmin => CONFLICT, "last_system_admin", "Last system administrator token",
        "the token is the last active system administrator token; mint another first";
    IntegrationInProgress => CONFLICT, "integration_in_progress", "Integration in progress",
        "the channel's integration is being verified; wait for it to end (`active` or `failed`)";
    ConflictingChange => CONFLICT, "conflicting_change", "Conflict",
        "two requests raced on related resources; read again and retry";
    ExportNotReady => CONFLICT, "export_not_ready", "Export not ready",
        "the export task has not succeeded, so it has no archive (yet)";
    ConversationState => CONFLICT, "conversation_state", "Not allowed in the conversation's state",
        "the conversation's state does not allow the change (or a reply, once `ended`); `detail` says which state it is in";
    TransferTooEarly => CONFLICT, "transfer_too_early", "Transfer not yet allowed",
        "the assigned agent has sent fewer messages in the conversation than the channel's `callTransferInteractionTimes`; `detail` says how many are still to send";
    TransferTargetNotAllowed => CONFLICT, "transfer_target_not_allowed", "Transfer target not allowed",
        "the channel's `more.sessionTransfer` does not let its agents transfer to this `target.type` (or, off, at all); `detail` and `errors` (at `/target/type`) name the allowed types";
    ChannelNotActive => CONFLICT, "channel_not_active", "Channel not active",
        "a reply needs the channel's integration `active`";
    ReplyInProgress => CONFLICT, "reply_in_progress", "Reply in progress",
        "a request with the same `Idempotency-Key` is still sending; ask again when it has ended";
    VersionMismatch => PRECONDITION_FAILED, "version_mismatch", "Stale version",
        "`If-Match` names a version that is no longer current";
    PayloadTooLarge => PAYLOAD_TOO_LARGE, "payload_too_large", "Request body too large",
        "the body is over 1 MiB";
    UnsupportedMediaType => UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported media type",
        "the body is not `application/json` (optionally with `charset=utf-8`)";
    ValidationFailed => UNPROCESSABLE_ENTITY, "validation_failed", "The request has invalid fields",
        "rule violations: `errors` lists every failing field as `{pointer, code, detail}`";
    IdempotencyKeyReused => UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency key reused",
        "the `Idempotency-Key` was used for another request (another conversation or text)";
    IfMatchRequired => PRECONDITION_REQUIRED, "if_match_required", "If-Match required",
        "a write that needs `If-Match` came without it";
    XRateLimited => TOO_MANY_REQUESTS, "x_rate_limited", "X's rate limit reached",
        "X answered 429 to a reply; `Retry-After` says when X allows sending again; nothing was sent";
    InternalError => INTERNAL_SERVER_ERROR, "internal_error", "Internal error",
        "the service failed; `x-request-id` finds it in the logs";
    XUnreachable => BAD_GATEWAY, "x_unreachable", "X could not be reached",
        "no connection to X could be opened, even after retries: the reply was certainly not sent; send it again";
    XSendUncertain => GATEWAY_TIMEOUT, "x_send_uncertain", "Unknown whether X sent the reply",
        "X did not answer in time, failed or answered unreadably after receiving the reply: it may or may not be sent, so the service does not send it again (the same `Idempotency-Key` answers this again); read the conversation's messages before sending anew";
}

/// Which code a unique index or foreign key the database enforced stands for: the one
/// table from constraints to codes.
fn conflict_code(constraint: Constraint) -> Code {
    match constraint {
        Constraint::ChannelName => Code::ChannelNameTaken,
        Constraint::ChannelApiKey => Code::ApiKeyInUse,
        Constraint::CalledRouteName => Code::CalledRouteNameTaken,
        Constraint::CertificateBundle => Code::CertificateExists,
        Constraint::TenantName => Code::TenantNameTaken,
        Constraint::OtherUnique | Constraint::ForeignKey => Code::ConflictingChange,
    }
}

/// The most field errors one answer lists: a body with more gets the first ones and a
/// `detail` such as "100 of 2000 violations listed", so a megabyte of bad input cannot
/// make a many-megabyte answer.
pub const MAX_LISTED_ERRORS: usize = 100;

/// One failing field of a request, named by its JSON pointer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer into the request body (or `/query/<name>` for a query parameter).
    #[schema(example = "/name")]
    pub pointer: String,
    /// Stable snake_case reason.
    #[schema(example = "invalid_format")]
    pub code: String,
    /// What is wrong, for a human.
    #[schema(example = "must start with a letter or an underscore")]
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, code: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            code: code.to_owned(),
            detail: detail.into(),
        }
    }
}

impl From<channel_config::Violation> for FieldError {
    fn from(v: channel_config::Violation) -> Self {
        Self {
            pointer: v.pointer,
            code: v.code,
            detail: v.message,
        }
    }
}

/// A problem document (RFC 9457). Each response of the document has its own example.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:problem-type:xchannel:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: &'static str,
    pub status: u16,
    /// Stable machine-readable code; the same as the last segment of `type`.
    pub code: &'static str,
    pub detail: String,
    /// The failing fields of a validation problem (with the fields whose value another
    /// resource holds, such as a taken channel name) or of a conflict, at most 100; `detail`
    /// says when there were more.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// What a tenant still owns, for `tenant_in_use`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<TenantCounts>,
}

/// What a tenant owns, counted (its tokens: the active ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantCounts {
    pub channels: u64,
    pub ous: u64,
    pub called_routes: u64,
    pub tokens: u64,
}

/// A failed request: a catalogue code, what happened, and for validation every field.
#[derive(Debug)]
pub struct ApiError {
    code: Code,
    detail: Cow<'static, str>,
    errors: Vec<FieldError>,
    /// Headers of the answer: `Allow` for a 405, the current `ETag` for a 412 (so a
    /// client can read again or retry), `Retry-After` for a 429.
    headers: Vec<(&'static str, String)>,
    counts: Option<Box<TenantCounts>>,
    /// Why an internal error happened: logged, never shown.
    cause: Option<anyhow::Error>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.detail)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(code: Code, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
            counts: None,
            cause: None,
        }
    }

    /// With `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.headers.push(("retry-after", seconds.to_string()));
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(why: &'static str) -> Self {
        Self::new(Code::Forbidden, why)
    }

    pub fn unauthenticated() -> Self {
        Self::new(Code::Unauthenticated, "missing or invalid bearer token")
    }

    pub fn malformed_json(why: impl std::fmt::Display) -> Self {
        Self::new(
            Code::MalformedJson,
            format!("the request body is not valid JSON: {why}"),
        )
    }

    /// 401 for a webhook delivery whose signature does not prove it came from X.
    pub fn invalid_signature(why: impl std::fmt::Display) -> Self {
        Self::new(Code::InvalidSignature, format!("{why}; nothing was stored"))
    }

    /// 400 for a signed delivery that is JSON of another shape than X's.
    pub fn malformed_delivery(why: impl std::fmt::Display) -> Self {
        Self::new(Code::MalformedDelivery, why.to_string())
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            Code::PayloadTooLarge,
            format!("the request body is larger than {limit} bytes"),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            Code::UnsupportedMediaType,
            "the request body must be application/json, optionally with charset=utf-8",
        )
    }

    /// 415 for an endpoint that takes another media type than JSON.
    pub fn unsupported_media_type_for(media_type: &str) -> Self {
        Self::new(
            Code::UnsupportedMediaType,
            format!("the request body must be {media_type}"),
        )
    }

    pub fn method_not_allowed(allow: &str) -> Self {
        let mut error = Self::new(
            Code::MethodNotAllowed,
            format!("this endpoint answers only {allow}"),
        );
        error.headers.push(("allow", allow.to_owned()));
        error
    }

    pub fn stale() -> Self {
        Self::new(
            Code::VersionMismatch,
            "the resource has changed since it was read",
        )
    }

    /// 412 that names the current version, as its `ETag`.
    pub fn stale_at(current_version: i32) -> Self {
        Self {
            headers: vec![("etag", format!("\"{current_version}\""))],
            ..Self::stale()
        }
    }

    /// 409: the tenant still has channels; says what it owns.
    pub fn tenant_in_use(counts: TenantCounts) -> Self {
        Self {
            counts: Some(Box::new(counts)),
            ..Self::new(
                Code::TenantInUse,
                format!(
                    "the tenant still has {} channels, {} OUs, {} called routes and {} active tokens; \
                     delete its channels first, or ask again with ?cascade=true to delete everything it owns",
                    counts.channels, counts.ous, counts.called_routes, counts.tokens
                ),
            )
        }
    }

    pub fn if_match_required() -> Self {
        Self::new(
            Code::IfMatchRequired,
            "this request needs an If-Match header with the resource's ETag",
        )
    }

    /// 422 naming every failing field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::fields(Code::ValidationFailed, errors)
    }

    /// 409 naming every field whose value another resource already holds (`conflicts` is
    /// not empty; each carries its catalogue code): the status and code are the first one's.
    pub fn conflicts(conflicts: Vec<FieldError>) -> Self {
        let code = conflicts
            .first()
            .and_then(|first| Code::ALL.iter().find(|c| c.name() == first.code))
            .copied()
            .unwrap_or(Code::ConflictingChange);
        let detail = match conflicts.as_slice() {
            [one] => format!("{}: {}", one.pointer, one.detail),
            many => format!("{} fields conflict with other resources", many.len()),
        };
        Self {
            errors: conflicts,
            ..Self::new(code, detail)
        }
    }

    /// 400 naming every bad query parameter.
    pub fn invalid_query(errors: Vec<FieldError>) -> Self {
        Self::fields(Code::InvalidQuery, errors)
    }

    /// 422 for one field.
    pub fn field(pointer: &str, code: &str, detail: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(pointer, code, detail)])
    }

    /// Every failing field is kept (so that lists can be merged), at most
    /// `MAX_LISTED_ERRORS` are shown, and the detail says how many there were.
    fn fields(code: Code, errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.pointer, one.detail),
            many if many.len() > MAX_LISTED_ERRORS => {
                format!("{MAX_LISTED_ERRORS} of {} violations listed", many.len())
            }
            many => format!("{} fields are invalid", many.len()),
        };
        Self {
            errors,
            ..Self::new(code, detail)
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..Self::new(
                Code::InternalError,
                "The service failed to handle this request; the x-request-id header identifies it in the logs",
            )
        }
    }

    pub fn code(&self) -> Code {
        self.code
    }

    /// The field errors of a validation problem, to be reported with others; any other
    /// error is given back.
    pub fn into_field_errors(self) -> Result<Vec<FieldError>, ApiError> {
        match self.code {
            Code::ValidationFailed => Ok(self.errors),
            _ => Err(self),
        }
    }

    pub fn problem(&self) -> Problem {
        let code = self.code.name();
        Problem {
            problem_type: format!("urn:problem-type:xchannel:{code}"),
            title: self.code.title(),
            status: self.code.status().as_u16(),
            code,
            detail: self.detail.clone().into_owned(),
            errors: self
                .errors
                .iter()
                .take(MAX_LISTED_ERRORS)
                .cloned()
                .collect(),
            counts: self.counts.as_deref().copied(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Stale => ApiError::stale(),
            StoreError::Conflict(constraint) => {
                let code = conflict_code(constraint);
                let detail = match code {
                    Code::ChannelNameTaken => {
                        "a channel with this name already exists in the tenant"
                    }
                    Code::ApiKeyInUse => {
                        "this API key is already used by another channel of the tenant"
                    }
                    Code::CalledRouteNameTaken => "a called route with this name already exists",
                    Code::CertificateExists => "these certificates are already uploaded",
                    Code::TenantNameTaken => "a tenant with this name already exists",
                    _ if constraint == Constraint::ForeignKey => {
                        "a related resource changed at the same moment; read it again and retry"
                    }
                    _ => "another request created the same resource at the same moment",
                };
                ApiError::new(code, detail)
            }
            StoreError::Db(err) => ApiError::internal(err),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        StoreError::from(err).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(error = %cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if self.code == Code::Unauthenticated {
            response.insert_header(("www-authenticate", "Bearer"));
        }
        for (name, value) in &self.headers {
            response.insert_header((*name, value.as_str()));
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The catalogue as a Markdown table, for the OpenAPI description and the README.
pub fn catalogue_markdown() -> String {
    let mut out = String::from("| Status | `code` | When |\n|---|---|---|\n");
    for code in Code::ALL {
        out.push_str(&format!(
            "| {} | `{}` | {} |\n",
            code.status().as_u16(),
            code.name(),
            code.when()
        ));
    }
    out
}

/// The problem responses most operations share, named once for the OpenAPI document.
/// They describe answers; nothing constructs them.
#[allow(dead_code)]
pub mod responses {
    use super::*;

    /// 400: a body that is not JSON, or a bad query parameter.
    #[derive(IntoResponses)]
    #[response(
        status = 400,
        description = "The body is not JSON, or a query parameter is bad",
        content_type = "application/problem+json"
    )]
    pub struct BadRequest(Problem);

    /// 401.
    #[derive(IntoResponses)]
    #[response(
        status = 401,
        description = "No token, or an unknown or revoked one",
        content_type = "application/problem+json"
    )]
    pub struct Unauthenticated(Problem);

    /// 403.
    #[derive(IntoResponses)]
    #[response(
        status = 403,
        description = "The token's role may not do this",
        content_type = "application/problem+json"
    )]
    pub struct Forbidden(Problem);

    /// 404.
    #[derive(IntoResponses)]
    #[response(
        status = 404,
        description = "No such resource in the caller's tenant",
        content_type = "application/problem+json"
    )]
    pub struct NotFound(Problem);

    /// 409 from a race the database settled.
    #[derive(IntoResponses)]
    #[response(
        status = 409,
        description = "A related resource changed at the same moment",
        content_type = "application/problem+json"
    )]
    pub struct ConflictingChange(Problem);

    /// 413.
    #[derive(IntoResponses)]
    #[response(
        status = 413,
        description = "The body is over 1 MiB",
        content_type = "application/problem+json"
    )]
    pub struct PayloadTooLarge(Problem);

    /// 415.
    #[derive(IntoResponses)]
    #[response(
        status = 415,
        description = "The body is not application/json",
        content_type = "application/problem+json"
    )]
    pub struct UnsupportedMediaType(Problem);

    /// 422.
    #[derive(IntoResponses)]
    #[response(
        status = 422,
        description = "Rule violations: every failing field, as JSON pointers",
        content_type = "application/problem+json"
    )]
    pub struct Unprocessable(Problem);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_snake_case_name() {
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
    }

    #[test]
    fn a_unique_index_maps_to_its_own_code() {
        let error = ApiError::from(StoreError::Conflict(Constraint::ChannelApiKey));
        assert_eq!(error.problem().code, "api_key_in_use");
        assert_eq!(error.status_code(), StatusCode::CONFLICT);
        let error = ApiError::from(StoreError::Conflict(Constraint::ForeignKey));
        assert_eq!(error.problem().code, "conflicting_change");
    }

    #[test]
    fn the_readme_lists_the_whole_catalogue() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
        assert!(
            readme.contains(&catalogue_markdown()),
            "README.md must hold this table as written:\n{}",
            catalogue_markdown()
        );
    }

    #[test]
    fn an_internal_error_shows_no_cause() {
        let error = ApiError::internal(anyhow::anyhow!("SELECT secret FROM somewhere"));
        assert!(!error.problem().detail.contains("SELECT"));
        assert_eq!(error.problem().status, 500);
    }
}
