//! The JSON Schema of the channel request body, and the structural check built on it.
//!
//! The schema states the shape only (types, required and unknown properties, enumerated
//! values). The value rules (lengths, patterns, ranges, cross-field conditions) live in
//! the domain types, so that a body with the right shape gets every rule reported at once.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::{json, Value};

use crate::mode::Mode;
use crate::violation::Violation;

const CREDENTIALS: [&str; 4] = ["apiKey", "apiKeySecret", "accessToken", "accessTokenSecret"];

/// The JSON Schema of a request that creates a channel (all four credentials required).
pub fn channel_json_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| build_schema(Mode::Create))
}

/// The JSON Schema of a request that edits a channel (credentials optional: left out or
/// null keeps the stored value).
pub fn channel_update_json_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| build_schema(Mode::Update))
}

fn validator(mode: Mode) -> &'static Validator {
    static CREATE: OnceLock<Validator> = OnceLock::new();
    static UPDATE: OnceLock<Validator> = OnceLock::new();
    let (cell, schema) = match mode {
        Mode::Create => (&CREATE, channel_json_schema()),
        Mode::Update => (&UPDATE, channel_update_json_schema()),
    };
    cell.get_or_init(|| {
        jsonschema::validator_for(schema).expect("the channel schema is a valid JSON Schema")
    })
}

/// Every structural violation of `body`; empty when its shape is right.
pub(crate) fn structural_violations(body: &Value, mode: Mode) -> Vec<Violation> {
    validator(mode)
        .iter_errors(body)
        .flat_map(|e| to_violations(&e))
        .collect()
}

/// Whether `body` has the right shape, without listing what is wrong.
pub(crate) fn shape_is_valid(body: &Value, mode: Mode) -> bool {
    validator(mode).is_valid(body)
}

/// Messages are written here from the error kind, never from the instance, so that a
/// credential sent in the wrong place is not echoed back.
fn to_violations(error: &ValidationError<'_>) -> Vec<Violation> {
    let at = error.instance_path().as_str().to_owned();
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![Violation::new(
                format!("{at}/{}", escape(name)),
                "required",
                "is required",
            )]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| {
                Violation::new(
                    format!("{at}/{}", escape(name)),
                    "unknown_property",
                    "is not a known property",
                )
            })
            .collect(),
        ValidationErrorKind::Type { kind } => {
            let expected: Vec<&str> = match kind {
                TypeKind::Single(t) => vec![t.as_str()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.as_str()).collect(),
            };
            vec![Violation::new(
                at,
                "invalid_type",
                format!("must be of type {}", expected.join(" or ")),
            )]
        }
        ValidationErrorKind::Enum { options } => vec![Violation::new(
            at,
            "invalid_value",
            format!("must be one of {options}"),
        )],
        ValidationErrorKind::Constant { expected_value } => vec![Violation::new(
            at,
            "invalid_value",
            format!("must be {expected_value}"),
        )],
        _ => vec![Violation::new(at, "invalid_value", "is not allowed here")],
    }
}

/// JSON pointer escaping of one reference token (RFC 6901).
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn nullable(kind: &str) -> Value {
    json!({ "type": [kind, "null"] })
}

fn nullable_text(description: &str) -> Value {
    json!({ "type": ["string", "null"], "description": description })
}

fn enabled_object(properties: Value) -> Value {
    let mut props = json!({ "enabled": { "type": "boolean" } });
    if let (Some(all), Some(extra)) = (props.as_object_mut(), properties.as_object()) {
        all.extend(extra.clone());
    }
    json!({
        "type": ["object", "null"],
        "additionalProperties": false,
        "required": ["enabled"],
        "properties": props
    })
}

fn x_schema(mode: Mode) -> Value {
    let credential = match mode {
        Mode::Create => json!({
            "type": "string",
            "description": "Printable ASCII without spaces, 1 to 256 characters."
        }),
        Mode::Update => json!({
            "type": ["string", "null"],
            "description": "Printable ASCII without spaces, 1 to 256 characters; left out or null keeps the stored value."
        }),
    };
    let mut required = vec!["accountLevel", "signatureAlgorithm"];
    if mode == Mode::Create {
        required.extend(CREDENTIALS);
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": {
            "apiKey": credential, "apiKeySecret": credential,
            "accessToken": credential, "accessTokenSecret": credential,
            "accountLevel": { "enum": ["basic", "pro", "enterprise"] },
            "signatureAlgorithm": { "enum": ["SHA-1", "SHA-256"] }
        }
    })
}

fn work_time_schema() -> Value {
    let segments = json!({
        "type": ["array", "null"],
        "description": "1 to 4 non-overlapping segments, HH:MM, 00:00 to 24:00, start before end.",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["start", "end"],
            "properties": { "start": { "type": "string" }, "end": { "type": "string" } }
        }
    });
    json!({
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": { "workday": segments, "nonWorkday": segments }
    })
}

fn more_schema() -> Value {
    json!({
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "lastAgentMode": enabled_object(json!({ "validHours": nullable("integer") })),
            "noCustomerReplyEnd": enabled_object(json!({
                "timeoutSeconds": nullable("integer"),
                "reminderSeconds": nullable("integer"),
                "reminderText": nullable("string"),
                "endText": nullable("string")
            })),
            "noAgentReplyTransfer": enabled_object(json!({
                "timeoutSeconds": nullable("integer"),
                "targetSkillQueueId": nullable("string")
            })),
            "sessionTransfer": enabled_object(json!({
                "allowedTargets": {
                    "type": ["array", "null"],
                    "items": { "enum": ["agent", "skillQueue"] }
                }
            }))
        }
    })
}

fn robot_schema() -> Value {
    json!({
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "intelligentRobot": enabled_object(json!({ "robotId": nullable("string") })),
            "robotAssistant": enabled_object(json!({}))
        }
    })
}

fn build_schema(mode: Mode) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Channel",
        "description": "A channel as sent to POST /channels and PUT /channels/{id}.",
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "type", "x", "ouId", "skillQueueId"],
        "properties": {
            "name": { "type": "string", "description": "^[A-Za-z_][A-Za-z0-9_]{0,63}$, unique per tenant." },
            "type": { "enum": ["x"] },
            "x": x_schema(mode),
            "ouId": { "type": "string" },
            "skillQueueId": { "type": "string" },
            "transferKeywords": {
                "type": ["array", "null"],
                "items": { "type": "string" },
                "description": "Required (non-empty) when the intelligent robot is enabled."
            },
            "workTime": work_time_schema(),
            "nonWorkingTimeNotification": nullable_text("At most 256 characters, none of < > ' \" / \\."),
            "queueReminder": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "required": ["mode"],
                "properties": {
                    "mode": { "enum": ["all", "queue", "progress", "off"] },
                    "content": nullable_text("Required when mode is all or queue."),
                    "progressContent": nullable_text("Only ${userId}, ${nickName}, ${position}, ${waitTime}.")
                }
            },
            "callTransferInteractionTimes": nullable("integer"),
            "more": more_schema(),
            "robot": robot_schema()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_both_schemas() {
        let _ = validator(Mode::Create);
        let _ = validator(Mode::Update);
    }

    #[test]
    fn escapes_pointer_tokens() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }
}
