//! `parse_channel`: from a JSON request body to valid settings and credential changes.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;

use crate::credential::{Credential, CredentialChanges};
use crate::draft::{ChannelDraft, XDraft};
use crate::mode::Mode;
use crate::schema::{shape_is_valid, structural_violations};
use crate::settings::ChannelSettings;
use crate::transfer_keywords::{too_many as keywords_too_many, MAX_KEYWORDS};
use crate::violation::{Collector, Violation, Violations};
use crate::work_segments::{too_many as segments_too_many, MAX_SEGMENTS};

/// A request body that satisfies every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedChannel {
    /// Everything but the credentials: what is stored in clear and returned.
    pub settings: ChannelSettings,
    /// The credentials sent; all four are set in `Mode::Create`.
    pub credentials: CredentialChanges,
}

/// Checks the body's shape against the JSON Schema, then every rule of R-CRED, R-BASIC
/// and R-ROBOT, and reports every violation found at once.
///
/// Linear in the size of the body: a list over its limit is one violation and its items
/// are not looked at, and nothing compares every violation with every other.
///
/// Existence of the OU and called routes and uniqueness of the name and API key need the
/// database and are left to the caller.
pub fn parse_channel(body: &Value, mode: Mode) -> Result<ParsedChannel, Violations> {
    let oversized = oversized_lists(body);
    let trimmed;
    let body = if oversized.is_empty() {
        body
    } else {
        trimmed = without(body, &oversized);
        &trimmed
    };
    let mut structural = oversized;
    structural.extend(structural_violations(body, mode));
    if !structural.is_empty() {
        return Err(Violations(with_rule_violations(body, mode, structural)));
    }
    parse_rules(body, mode)
}

/// A list with a length limit: over it, the list is reported once, as its own parser
/// would, and taken out before anything looks at its items.
struct LimitedList {
    pointer: &'static str,
    limit: usize,
    too_many: fn() -> Violation,
}

const LIMITED_LISTS: [LimitedList; 3] = [
    LimitedList {
        pointer: "/transferKeywords",
        limit: MAX_KEYWORDS,
        too_many: keywords_too_many,
    },
    LimitedList {
        pointer: "/workTime/workday",
        limit: MAX_SEGMENTS,
        too_many: segments_too_many,
    },
    LimitedList {
        pointer: "/workTime/nonWorkday",
        limit: MAX_SEGMENTS,
        too_many: segments_too_many,
    },
];

fn oversized_lists(body: &Value) -> Vec<Violation> {
    LIMITED_LISTS
        .iter()
        .filter(|list| {
            body.pointer(list.pointer)
                .and_then(Value::as_array)
                .is_some_and(|items| items.len() > list.limit)
        })
        .map(|list| (list.too_many)().under(list.pointer))
        .collect()
}

/// The body with the lists named by `violations` taken out (null: as if left out).
fn without(body: &Value, violations: &[Violation]) -> Value {
    let mut copy = body.clone();
    for violation in violations {
        if let Some(list) = copy.pointer_mut(&violation.pointer) {
            *list = Value::Null;
        }
    }
    copy
}

/// The rules, for a body whose shape is known to be right.
fn parse_rules(body: &Value, mode: Mode) -> Result<ParsedChannel, Violations> {
    let draft = ChannelDraft::deserialize(body).map_err(|_| {
        // The schema and the draft type disagree: a bug here, but still not the caller's
        // secret to echo, so serde's message (which may quote values) is not used.
        Violations(vec![Violation::new(
            "",
            "invalid_type",
            "the request body does not have the expected shape",
        )])
    })?;
    let mut c = Collector::default();
    let settings = c.take("", ChannelSettings::parse(&draft));
    let credentials = c.take("/x", credential_changes(&draft.x, mode));
    match (settings, credentials) {
        (Some(settings), Some(credentials)) => Ok(ParsedChannel {
            settings,
            credentials,
        }),
        _ => Err(Violations(c.into_violations())),
    }
}

fn credential_changes(x: &XDraft, mode: Mode) -> Result<CredentialChanges, Vec<Violation>> {
    let mut c = Collector::default();
    let mut one = |pointer: &str, raw: &Option<String>| match raw {
        Some(raw) => c.take(pointer, Credential::parse(raw)).map(Some),
        None if mode == Mode::Create => {
            c.push(Violation::new(pointer, "required", "is required"));
            None
        }
        None => Some(None),
    };
    let api_key = one("/apiKey", &x.api_key);
    let api_key_secret = one("/apiKeySecret", &x.api_key_secret);
    let access_token = one("/accessToken", &x.access_token);
    let access_token_secret = one("/accessTokenSecret", &x.access_token_secret);
    match (api_key, api_key_secret, access_token, access_token_secret) {
        (Some(api_key), Some(api_key_secret), Some(access_token), Some(access_token_secret)) => {
            Ok(CredentialChanges {
                api_key,
                api_key_secret,
                access_token,
                access_token_secret,
            })
        }
        _ => Err(c.into_violations()),
    }
}

/// Values that stand in for a missing or ill-typed required field, so the other fields can
/// still be checked against their rules; the field itself is already reported.
const STAND_INS: [(&str, &str); 7] = [
    ("/name", r#""""#),
    ("/type", r#""x""#),
    ("/x", "{}"),
    ("/x/accountLevel", r#""basic""#),
    ("/x/signatureAlgorithm", r#""SHA-256""#),
    ("/ouId", r#""""#),
    ("/skillQueueId", r#""""#),
];

/// A body with shape errors still gets its well-shaped fields checked against every rule,
/// so one answer names every bad field (R-API-2): the ill-shaped values are taken out (or
/// replaced by stand-ins), the rest is parsed, and rule violations at or under an already
/// reported pointer are dropped.
fn with_rule_violations(body: &Value, mode: Mode, structural: Vec<Violation>) -> Vec<Violation> {
    let mut repaired = body.clone();
    for violation in &structural {
        remove_at(&mut repaired, &violation.pointer);
    }
    if let Some(object) = repaired.as_object_mut() {
        for (pointer, stand_in) in STAND_INS {
            if repaired_get(object, pointer).is_none() {
                let value: Value = serde_json::from_str(stand_in).unwrap_or(Value::Null);
                insert_at(object, pointer, value);
            }
        }
    }
    let rules = match parse_channel_shaped(&repaired, mode) {
        Ok(_) => Vec::new(),
        Err(v) => v.0,
    };
    // A rule violation at or under a reported pointer says nothing new. Each is looked up
    // by its own pointer and that pointer's ancestors, so this is linear in the violations.
    let kept: Vec<Violation> = {
        let reported: HashSet<&str> = structural.iter().map(|s| s.pointer.as_str()).collect();
        let covered = |pointer: &str| {
            reported.contains("")
                || reported.contains(pointer)
                || pointer
                    .match_indices('/')
                    .any(|(at, _)| at > 0 && reported.contains(&pointer[..at]))
        };
        rules.into_iter().filter(|v| !covered(&v.pointer)).collect()
    };
    let mut all = structural;
    all.extend(kept);
    all
}

/// Credentials left out were reported already, so the repaired body is held to the
/// update schema, in which they are optional.
fn parse_channel_shaped(body: &Value, mode: Mode) -> Result<ParsedChannel, Violations> {
    if !shape_is_valid(body, Mode::Update) {
        return Err(Violations(Vec::new()));
    }
    parse_rules(body, mode)
}

fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn remove_at(root: &mut Value, pointer: &str) {
    let mut parts = segments(pointer);
    let Some(last) = parts.pop() else { return };
    let mut node = root;
    for part in parts {
        node = match node {
            Value::Object(map) => match map.get_mut(&part) {
                Some(next) => next,
                None => return,
            },
            Value::Array(items) => {
                match part.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    Some(next) => next,
                    None => return,
                }
            }
            _ => return,
        };
    }
    match node {
        Value::Object(map) => {
            map.remove(&last);
        }
        Value::Array(items) => {
            if let Some(item) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

fn repaired_get<'a>(
    object: &'a serde_json::Map<String, Value>,
    pointer: &str,
) -> Option<&'a Value> {
    let parts = segments(pointer);
    let (first, rest) = parts.split_first()?;
    rest.iter()
        .try_fold(object.get(first)?, |node, part| node.get(part))
}

fn insert_at(object: &mut serde_json::Map<String, Value>, pointer: &str, value: Value) {
    let parts = segments(pointer);
    let Some((last, parents)) = parts.split_last() else {
        return;
    };
    let mut node = object;
    for part in parents {
        match node.get_mut(part).and_then(Value::as_object_mut) {
            Some(next) => node = next,
            None => return,
        }
    }
    node.insert(last.clone(), value);
}

#[cfg(test)]
mod shape_and_rules {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_rule_violations_beside_shape_errors() {
        // R-API-2: a wrong type elsewhere does not hide a bad name or a bad secret.
        let body = json!({
            "name": "1bad", "type": "x",
            "x": {"apiKey": "k", "apiKeySecret": "has space", "accessToken": "t",
                  "accountLevel": "gold", "signatureAlgorithm": "SHA-256"},
            "ouId": "ou", "skillQueueId": 7
        });
        let violations = parse_channel(&body, Mode::Create).unwrap_err();
        for (pointer, code) in [
            ("/name", "invalid_format"),
            ("/x/apiKeySecret", "invalid_format"),
            ("/x/accessTokenSecret", "required"),
            ("/x/accountLevel", "invalid_value"),
            ("/skillQueueId", "invalid_type"),
        ] {
            assert!(
                violations.0.iter().any(|v| v.pointer == pointer),
                "{pointer} ({code}) in {:?}",
                violations
                    .0
                    .iter()
                    .map(|v| (&v.pointer, &v.code))
                    .collect::<Vec<_>>()
            );
        }
        let at_secret = violations
            .0
            .iter()
            .filter(|v| v.pointer == "/x/accessTokenSecret")
            .count();
        assert_eq!(at_secret, 1, "one violation per problem");
    }

    #[test]
    fn twenty_thousand_shape_and_twenty_thousand_rule_violations_take_linear_time() {
        let mut body = json!({
            "name": "x_flood", "type": "x",
            "x": {"apiKey": "k", "apiKeySecret": "s", "accessToken": "t", "accessTokenSecret": "u",
                  "accountLevel": "basic", "signatureAlgorithm": "SHA-256"},
            "ouId": "ou", "skillQueueId": "q",
            "more": {"sessionTransfer": {"enabled": true, "allowedTargets": vec!["agent"; 20_000]}}
        });
        for i in 0..20_000 {
            body[format!("u{i}")] = json!(0);
        }
        let started = std::time::Instant::now();
        let violations = parse_channel(&body, Mode::Create).unwrap_err();
        let took = started.elapsed();
        let unknown = violations
            .0
            .iter()
            .filter(|v| v.code == "unknown_property")
            .count();
        let repeats = violations
            .0
            .iter()
            .filter(|v| v.code == "duplicate")
            .count();
        assert_eq!((unknown, repeats), (20_000, 19_999));
        assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
    }

    #[test]
    fn a_list_over_its_limit_is_one_violation_and_its_items_are_not_looked_at() {
        let body = json!({
            "name": "x_flood", "type": "x",
            "x": {"apiKey": "k", "apiKeySecret": "s", "accessToken": "t", "accessTokenSecret": "u",
                  "accountLevel": "basic", "signatureAlgorithm": "SHA-256"},
            "ouId": "ou", "skillQueueId": "q",
            "transferKeywords": vec![0; 200_000],
            "workTime": {"workday": vec![json!({"start": 1}); 1_000]}
        });
        let violations = parse_channel(&body, Mode::Create).unwrap_err();
        let found: Vec<_> = violations
            .iter()
            .map(|v| (v.pointer.as_str(), v.code.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("/transferKeywords", "too_many"),
                ("/workTime/workday", "too_many")
            ]
        );
    }
}
