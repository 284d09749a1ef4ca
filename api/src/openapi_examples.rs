//! One example per error response of every operation, made by the service's own error
//! constructors, so the docs show what the service answers for that status there (a 401 is
//! `unauthenticated`, a 409 of `POST /channels` lists the taken name and API key), not one
//! example for every status.

use utoipa::openapi::{path::Operation, OpenApi, RefOr};

use crate::{
    error::{ApiError, Code, FieldError, TenantCounts},
    startup::MAX_BODY_BYTES,
    store::{Constraint, StoreError},
};

/// Fills in the example of every `application/problem+json` response.
pub struct ProblemExamples;

impl utoipa::Modify for ProblemExamples {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("GET", &mut item.get),
                ("PUT", &mut item.put),
                ("POST", &mut item.post),
                ("DELETE", &mut item.delete),
                ("PATCH", &mut item.patch),
            ];
            for (method, operation) in operations {
                if let Some(operation) = operation {
                    fill(method, path, operation);
                }
            }
        }
    }
}

fn fill(method: &str, path: &str, operation: &mut Operation) {
    let takes_body = operation.request_body.is_some();
    for (status, response) in operation.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let Some(content) = response.content.get_mut("application/problem+json") else {
            continue;
        };
        if let Some(error) = example(method, path, status, takes_body) {
            content.example = serde_json::to_value(error.problem()).ok();
        }
    }
}

/// What the resource of a path is called in a 404.
fn resource(path: &str) -> &'static str {
    let segment = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or("");
    match segment {
        "tenants" => "tenant",
        "certificates" => "certificate",
        "tokens" => "token",
        "ous" => "OU",
        "called-routes" => "called route",
        "conversations" => "conversation",
        _ => "channel",
    }
}

fn channel_write(method: &str, path: &str) -> bool {
    path.starts_with("/api/v1/channels") && ["POST", "PUT", "PATCH"].contains(&method)
}

fn example(method: &str, path: &str, status: &str, takes_body: bool) -> Option<ApiError> {
    let error = match status {
        "400" if takes_body => ApiError::malformed_json("expected `,` or `}` at line 1 column 18"),
        "400" if method == "DELETE" && path == "/api/v1/tenants/{id}" => {
            ApiError::invalid_query(vec![FieldError::new(
                "/query/cascade",
                "invalid_type",
                "must be true or false",
            )])
        }
        "400" if path == "/api/v1/events" => ApiError::invalid_query(vec![FieldError::new(
            "/header/last-event-id",
            "invalid_format",
            "must be the id of an event: digits",
        )]),
        "400" if path == "/api/v1/audit-events" || path.ends_with("/history") => {
            ApiError::invalid_query(vec![FieldError::new(
                "/query/action",
                "invalid_value",
                "is not an action of the audit trail (see the README's list)",
            )])
        }
        "400" => ApiError::invalid_query(vec![FieldError::new(
            "/query/nmePrefix",
            "unknown_parameter",
            "is not a parameter of this endpoint",
        )]),
        "401" => ApiError::unauthenticated(),
        "403" if path == "/api/v1/conversations/{id}/messages" => ApiError::new(
            Code::XRecipientRefused,
            "X answered 403: You are not allowed to send a message to this user; nothing was sent",
        ),
        "403" if path.starts_with("/api/v1/conversations") && method == "GET" => {
            ApiError::forbidden("this needs a tenant token; a system administrator mints one with POST /api/v1/tokens")
        }
        "403"
            if path.starts_with("/api/v1/tenants") || path.starts_with("/api/v1/certificates") =>
        {
            ApiError::forbidden("this needs a system administrator token")
        }
        "403" if path == "/api/v1/events" || (method == "GET" && path.ends_with("/history")) => {
            ApiError::forbidden(
            "this needs a tenant token; a system administrator mints one with POST /api/v1/tokens",
            )
        }
        "403" => ApiError::forbidden("this needs a tenant administrator token"),
        "404" => ApiError::not_found(resource(path)),
        "409" => conflict(method, path),
        "412" => ApiError::stale_at(2),
        "413" => ApiError::payload_too_large(MAX_BODY_BYTES),
        "415" if method == "PATCH" && path.starts_with("/api/v1/channels") => {
            ApiError::unsupported_media_type_for("application/merge-patch+json")
        }
        "415" => ApiError::unsupported_media_type(),
        "422" => unprocessable(method, path),
        "428" => ApiError::if_match_required(),
        "429" => ApiError::new(
            Code::XRateLimited,
            "X rate limit reached until 1764600000 (seconds since the epoch); nothing was sent, send it again after 840 seconds",
        ),
        "502" => ApiError::new(
            Code::XUnreachable,
            "could not reach X: error sending request: connection refused; the reply was not sent, send it again",
        ),
        "504" => ApiError::new(
            Code::XSendUncertain,
            "X did not answer within 10s: X may or may not have sent the reply, so the service does not send it again; read the conversation's messages before sending anew",
        ),
        _ => return None,
    };
    Some(error)
}

fn conflict(method: &str, path: &str) -> ApiError {
    match (method, path) {
        _ if channel_write(method, path) => ApiError::conflicts(vec![
            FieldError::new(
                "/name",
                Code::ChannelNameTaken.name(),
                "another channel of the tenant has this name",
            ),
            FieldError::new(
                "/x/apiKey",
                Code::ApiKeyInUse.name(),
                "another channel of the tenant uses this X API key",
            ),
        ]),
        ("DELETE", "/api/v1/tenants/{id}") => ApiError::tenant_in_use(TenantCounts {
            channels: 2,
            ous: 1,
            called_routes: 1,
            tokens: 3,
        }),
        (_, p) if p.starts_with("/api/v1/tenants") => {
            StoreError::Conflict(Constraint::TenantName).into()
        }
        ("DELETE", "/api/v1/ous/{id}") => ApiError::new(
            Code::OuInUse,
            "the OU still has 1 child OUs, 1 called routes and 0 channels",
        ),
        ("DELETE", "/api/v1/called-routes/{id}") => ApiError::new(
            Code::CalledRouteInUse,
            "the called route is used by 1 channel(s): x_support_en",
        ),
        (_, p) if p.starts_with("/api/v1/called-routes") => {
            StoreError::Conflict(Constraint::CalledRouteName).into()
        }
        (_, p) if p.starts_with("/api/v1/certificates") => {
            StoreError::Conflict(Constraint::CertificateBundle).into()
        }
        ("POST", "/api/v1/conversations/{id}/messages") => ApiError::new(
            Code::ChannelNotActive,
            "the channel is `failed`: replies are sent through an active channel",
        ),
        ("POST", "/api/v1/conversations/{id}/transfer") => ApiError::new(
            Code::TransferTooEarly,
            "the agent must send 2 more messages before transferring: the channel's callTransferInteractionTimes is 3, and the agent has sent 1 since taking the conversation",
        ),
        (_, p) if p.starts_with("/api/v1/conversations") => ApiError::new(
            Code::ConversationState,
            "the conversation is `agent`: assign takes only a conversation that is `robot` or `queued` (a transfer hands an assigned one to another agent)",
        ),
        ("DELETE", "/api/v1/tokens/{id}") => ApiError::new(
            Code::LastSystemAdmin,
            "this is the last active system administrator token: revoking it would leave only the host's CLI to administer the service; mint another one first (xchannel token create --role system-admin)",
        ),
        _ => StoreError::Conflict(Constraint::ForeignKey).into(),
    }
}

fn unprocessable(method: &str, path: &str) -> ApiError {
    let field = |pointer: &str, code: &str, detail: &str| FieldError::new(pointer, code, detail);
    let errors = match path {
        _ if channel_write(method, path) => vec![
            field(
                "/name",
                "invalid_format",
                "must start with a letter or an underscore",
            ),
            field(
                "/queueReminder/content",
                "forbidden_character",
                "must not contain any of < > ' \" / \\",
            ),
        ],
        p if p.starts_with("/api/v1/tenants") => vec![field(
            "/timeZone",
            "unknown_time_zone",
            "is not an IANA time zone name (e.g. Europe/Paris)",
        )],
        "/api/v1/tokens" => vec![field("/tenantId", "not_found", "no such tenant")],
        "/api/v1/ous" => vec![field("/name", "required", "is required")],
        "/api/v1/conversations/{id}/messages" => vec![field(
            "/text",
            "too_long",
            "must be at most 10000 characters",
        )],
        "/api/v1/conversations/{id}/queue" => vec![field(
            "/skillQueueId",
            "not_found",
            "no such called route in this tenant",
        )],
        "/api/v1/conversations/{id}/assign" => vec![field("/agentId", "required", "is required")],
        "/api/v1/conversations/{id}/transfer" => vec![field(
            "/target/type",
            "invalid_value",
            "must be agent or skillQueue",
        )],
        "/api/v1/called-routes" => vec![field(
            "/mediaType",
            "invalid_value",
            "must be multimedia or voice",
        )],
        "/api/v1/certificates" => vec![field(
            "/pem",
            "invalid_certificate",
            "holds no PEM certificate",
        )],
        "/api/v1/service-calendar" => vec![field(
            "/nonWorkingDays/0",
            "out_of_range",
            "the month 13 is out of range (01-12)",
        )],
        _ => vec![field("/name", "required", "is required")],
    };
    ApiError::validation(errors)
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi as _;

    use crate::openapi::ApiDoc;

    #[test]
    fn each_error_status_of_post_channels_has_its_own_example() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let responses = &doc["paths"]["/api/v1/channels"]["post"]["responses"];
        let mut codes = Vec::new();
        for status in ["400", "401", "403", "409", "413", "415", "422"] {
            let example = &responses[status]["content"]["application/problem+json"]["example"];
            assert_eq!(
                example["status"],
                status.parse::<u16>().unwrap(),
                "{status}"
            );
            codes.push(example["code"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            codes,
            [
                "malformed_json",
                "unauthenticated",
                "forbidden",
                "channel_name_taken",
                "payload_too_large",
                "unsupported_media_type",
                "validation_failed"
            ]
        );
    }

    #[test]
    fn every_problem_response_has_an_example_of_its_status() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for (status, response) in operation["responses"].as_object().unwrap() {
                    let Some(content) = response["content"].get("application/problem+json") else {
                        continue;
                    };
                    assert_eq!(
                        content["example"]["status"].to_string(),
                        *status,
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}
