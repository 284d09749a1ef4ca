//! The one error type of the service, rendered as RFC 9457 `application/problem+json`
//! with a stable machine-readable `code` per failure.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

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

/// A problem document (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:problem-type:xchannel:validation_failed",
    "title": "The request has invalid fields",
    "status": 422,
    "code": "validation_failed",
    "detail": "2 fields are invalid",
    "errors": [
        {"pointer": "/name", "code": "invalid_format", "detail": "must start with a letter or an underscore"},
        {"pointer": "/queueReminder/content", "code": "forbidden_character", "detail": "must not contain any of < > ' \" / \\"}
    ]
}))]
pub struct Problem {
    /// `urn:problem-type:xchannel:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: &'static str,
    pub status: u16,
    /// Stable machine-readable code; the same as the last segment of `type`.
    pub code: &'static str,
    pub detail: String,
    /// Every failing field, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("invalid query parameters")]
    InvalidQuery(Vec<FieldError>),
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("missing or invalid bearer token")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("this endpoint answers only {0}")]
    MethodNotAllowed(String),
    #[error("a channel with this name already exists in the tenant")]
    ChannelNameTaken,
    #[error("this API key is already used by another channel")]
    ApiKeyInUse,
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the resource has changed since it was read")]
    PreconditionFailed,
    #[error("this request needs an If-Match header with the resource's ETag")]
    PreconditionRequired,
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for ApiError {
    /// A constraint the database enforces refused a write that passed our checks: another
    /// request changed a related resource at the same moment. That is a conflict the
    /// caller can retry, not a failure of the service.
    fn from(err: sea_orm::DbErr) -> Self {
        let unique = matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)));
        // SQLite reports an ON DELETE RESTRICT refusal as a trigger constraint (1811),
        // which sea-orm does not classify.
        let foreign_key = matches!(err.sql_err(), Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)))
            || err.to_string().contains("FOREIGN KEY constraint failed");
        let detail = match (unique, foreign_key) {
            (true, _) => "another request created the same resource at the same moment",
            (_, true) => "a related resource changed at the same moment; read it again and retry",
            _ => return ApiError::Internal(err.into()),
        };
        ApiError::Conflict { code: "conflicting_change", detail: detail.into() }
    }
}

impl ApiError {
    pub fn field(pointer: &str, code: &str, detail: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(pointer, code, detail)])
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::ChannelNameTaken => "channel_name_taken",
            ApiError::ApiKeyInUse => "api_key_in_use",
            ApiError::Conflict { code, .. } => code,
            ApiError::PreconditionFailed => "version_mismatch",
            ApiError::PreconditionRequired => "if_match_required",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "The request body is not valid JSON",
            ApiError::InvalidQuery(_) => "The query has invalid parameters",
            ApiError::Validation(_) => "The request has invalid fields",
            ApiError::Unauthenticated => "Authentication required",
            ApiError::Forbidden(_) => "Not allowed",
            ApiError::NotFound(_) => "Not found",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::ChannelNameTaken => "Channel name already taken",
            ApiError::ApiKeyInUse => "API key already in use",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::PreconditionFailed => "Stale version",
            ApiError::PreconditionRequired => "If-Match required",
            ApiError::PayloadTooLarge(_) => "Request body too large",
            ApiError::UnsupportedMediaType => "Unsupported media type",
            ApiError::Internal(_) => "Internal error",
        }
    }

    pub fn problem(&self) -> Problem {
        let (detail, errors) = match self {
            ApiError::InvalidQuery(errors) | ApiError::Validation(errors) => {
                let detail = match errors.len() {
                    1 => format!("{}: {}", errors[0].pointer, errors[0].detail),
                    n => format!("{n} fields are invalid"),
                };
                (detail, errors.clone())
            }
            // Never show why an internal error happened: it may carry SQL or paths.
            ApiError::Internal(_) => (
                "The service failed to handle this request; the x-request-id header identifies it in the logs".to_owned(),
                Vec::new(),
            ),
            other => (other.to_string(), Vec::new()),
        };
        let code = self.code();
        Problem {
            problem_type: format!("urn:problem-type:xchannel:{code}"),
            title: self.title(),
            status: self.status_code().as_u16(),
            code,
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_) | ApiError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::ChannelNameTaken | ApiError::ApiKeyInUse | ApiError::Conflict { .. } => {
                StatusCode::CONFLICT
            }
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(err) = self {
            tracing::error!(error = %err, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            ApiError::Unauthenticated => {
                response.insert_header(("www-authenticate", "Bearer"));
            }
            ApiError::MethodNotAllowed(allow) => {
                response.insert_header(("allow", allow.as_str()));
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The problem responses most operations share, named once for the OpenAPI document.
/// They describe answers; nothing constructs them.
#[allow(dead_code)]
pub mod responses {
    use super::*;

    /// 400: a body that is not JSON, or a bad query parameter.
    #[derive(IntoResponses)]
    #[response(status = 400, description = "The body is not JSON, or a query parameter is bad", content_type = "application/problem+json")]
    pub struct BadRequest(Problem);

    /// 401.
    #[derive(IntoResponses)]
    #[response(status = 401, description = "No token, or an unknown or revoked one", content_type = "application/problem+json")]
    pub struct Unauthenticated(Problem);

    /// 403.
    #[derive(IntoResponses)]
    #[response(status = 403, description = "The token's role may not do this", content_type = "application/problem+json")]
    pub struct Forbidden(Problem);

    /// 404.
    #[derive(IntoResponses)]
    #[response(status = 404, description = "No such resource in the caller's tenant", content_type = "application/problem+json")]
    pub struct NotFound(Problem);

    /// 409 from a race the database settled.
    #[derive(IntoResponses)]
    #[response(status = 409, description = "A related resource changed at the same moment", content_type = "application/problem+json")]
    pub struct ConflictingChange(Problem);

    /// 413.
    #[derive(IntoResponses)]
    #[response(status = 413, description = "The body is over 1 MiB", content_type = "application/problem+json")]
    pub struct PayloadTooLarge(Problem);

    /// 415.
    #[derive(IntoResponses)]
    #[response(status = 415, description = "The body is not application/json", content_type = "application/problem+json")]
    pub struct UnsupportedMediaType(Problem);

    /// 422.
    #[derive(IntoResponses)]
    #[response(status = 422, description = "Rule violations: every failing field, as JSON pointers", content_type = "application/problem+json")]
    pub struct Unprocessable(Problem);
}
