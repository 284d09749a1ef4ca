//! The OpenAPI schema of the request body states the rules the parsers enforce: every
//! constraint is read from the generated schema (utoipa's `ToSchema`) and held against
//! `parse_channel` or the type's own `parse`.

mod common;

use channel_config::more::{
    LastAgentModeDraft, NoAgentReplyTransferDraft, NoCustomerReplyEndDraft, SessionTransferDraft,
};
use channel_config::{
    parse_channel, ChannelDraft, ChannelName, Credential, EntityId, IntelligentRobotDraft, Mode,
    ProgressTemplate, QueueReminderDraft, ReminderText, TransferTarget, Violations,
    WorkSegmentDraft, WorkTimeDraft, XDraft,
};
use proptest::prelude::*;
use regex::Regex;
use serde_json::{json, Value};
use utoipa::ToSchema;

fn schema_of<T: ToSchema>() -> Value {
    serde_json::to_value(T::schema()).expect("a schema is JSON")
}

fn property<T: ToSchema>(name: &str) -> Value {
    let schema = schema_of::<T>();
    let found = schema["properties"][name].clone();
    assert!(found.is_object(), "{} has no property {name}", T::name());
    found
}

fn usize_of(v: &Value) -> Option<usize> {
    v.as_u64().map(|n| usize::try_from(n).unwrap())
}

/// What a string schema documents: lengths (in characters, as JSON Schema counts them)
/// and a pattern.
struct Documented {
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Regex,
}

impl Documented {
    fn of(schema: &Value) -> Self {
        let pattern = schema["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("no pattern in {schema}"));
        Self {
            min_length: usize_of(&schema["minLength"]),
            max_length: usize_of(&schema["maxLength"]),
            pattern: Regex::new(pattern).expect("the documented pattern compiles"),
        }
    }

    fn allows(&self, s: &str) -> bool {
        let n = s.chars().count();
        self.min_length.is_none_or(|min| n >= min)
            && self.max_length.is_none_or(|max| n <= max)
            && self.pattern.is_match(s)
    }
}

/// The example body with the "more" settings at the values these checks lean on: the
/// longest customer silence, and a transfer target.
fn full_body() -> Value {
    let mut body = common::full_body();
    body["more"]["noCustomerReplyEnd"]["timeoutSeconds"] = json!(86400);
    body["more"]["noAgentReplyTransfer"] =
        json!({"enabled": true, "timeoutSeconds": 120, "targetSkillQueueId": "q-2"});
    body
}

/// Whether the body with `value` at `pointer` is accepted as far as that field goes: no
/// violation at or under `pointer`.
fn accepted_at(body: &Value, pointer: &str, value: Value) -> bool {
    let mut body = body.clone();
    *body.pointer_mut(pointer).expect("pointer exists") = value;
    match parse_channel(&body, Mode::Create) {
        Ok(_) => true,
        Err(Violations(vs)) => !vs
            .iter()
            .any(|v| v.pointer == pointer || v.pointer.starts_with(&format!("{pointer}/"))),
    }
}

/// The body in which the text at `pointer` is optional, so only its own rules apply.
fn context_for(pointer: &str) -> Value {
    let mut body = full_body();
    match pointer {
        "/queueReminder/content" => body["queueReminder"]["mode"] = json!("progress"),
        "/queueReminder/progressContent" => body["queueReminder"]["mode"] = json!("queue"),
        "/more/noCustomerReplyEnd/reminderText" => {
            body["more"]["noCustomerReplyEnd"]["reminderSeconds"] = Value::Null;
        }
        "/workTime/workday/0/start" => body["workTime"]["workday"][0]["end"] = json!("24:00"),
        "/workTime/workday/0/end" => body["workTime"]["workday"][0]["start"] = json!("00:00"),
        "/robot/intelligentRobot/robotId" => {
            body["robot"]["intelligentRobot"]["enabled"] = json!(false);
        }
        _ => {}
    }
    body
}

/// Every string field of the body: its pointer and its documented schema.
fn string_fields() -> Vec<(&'static str, Value)> {
    vec![
        ("/name", property::<ChannelDraft>("name")),
        ("/ouId", property::<ChannelDraft>("ouId")),
        ("/skillQueueId", property::<ChannelDraft>("skillQueueId")),
        ("/x/apiKey", property::<XDraft>("apiKey")),
        ("/x/apiKeySecret", property::<XDraft>("apiKeySecret")),
        ("/x/accessToken", property::<XDraft>("accessToken")),
        (
            "/x/accessTokenSecret",
            property::<XDraft>("accessTokenSecret"),
        ),
        (
            "/transferKeywords/0",
            property::<ChannelDraft>("transferKeywords")["items"].clone(),
        ),
        (
            "/nonWorkingTimeNotification",
            property::<ChannelDraft>("nonWorkingTimeNotification"),
        ),
        (
            "/queueReminder/content",
            property::<QueueReminderDraft>("content"),
        ),
        (
            "/queueReminder/progressContent",
            property::<QueueReminderDraft>("progressContent"),
        ),
        (
            "/more/noCustomerReplyEnd/reminderText",
            property::<NoCustomerReplyEndDraft>("reminderText"),
        ),
        (
            "/more/noCustomerReplyEnd/endText",
            property::<NoCustomerReplyEndDraft>("endText"),
        ),
        (
            "/more/noAgentReplyTransfer/targetSkillQueueId",
            property::<NoAgentReplyTransferDraft>("targetSkillQueueId"),
        ),
        (
            "/robot/intelligentRobot/robotId",
            property::<IntelligentRobotDraft>("robotId"),
        ),
        (
            "/workTime/workday/0/start",
            property::<WorkSegmentDraft>("start"),
        ),
        (
            "/workTime/workday/0/end",
            property::<WorkSegmentDraft>("end"),
        ),
    ]
}

/// Fields where a blank value means "not set" (or, for a keyword, is trimmed away):
/// the document cannot follow every blank string the code lets through, so there it may
/// be stricter, never looser.
fn blank_is_lenient(pointer: &str) -> bool {
    matches!(
        pointer,
        "/nonWorkingTimeNotification"
            | "/queueReminder/content"
            | "/queueReminder/progressContent"
            | "/more/noCustomerReplyEnd/reminderText"
            | "/more/noCustomerReplyEnd/endText"
            | "/more/noAgentReplyTransfer/targetSkillQueueId"
    )
}

fn check_field(pointer: &str, schema: &Value, raw: &str) -> Result<(), String> {
    let documented = Documented::of(schema).allows(raw);
    let accepted = accepted_at(&context_for(pointer), pointer, json!(raw));
    let agrees =
        documented == accepted || (blank_is_lenient(pointer) && accepted && raw.trim().is_empty());
    if agrees {
        Ok(())
    } else {
        Err(format!(
            "{pointer}: {raw:?} documented {documented}, accepted {accepted}"
        ))
    }
}

fn check_all(raw: &str) -> Result<(), String> {
    for (pointer, schema) in string_fields() {
        check_field(pointer, &schema, raw)?;
    }
    Ok(())
}

#[test]
fn every_string_field_documents_a_pattern() {
    for (pointer, schema) in string_fields() {
        assert!(schema["pattern"].is_string(), "{pointer}: {schema}");
    }
}

#[test]
fn a_name_matching_the_documented_rule_parses_and_others_do_not() {
    let name = Documented::of(&property::<ChannelDraft>("name"));
    assert_eq!((name.min_length, name.max_length), (Some(1), Some(64)));
    for raw in ["x", "_", "x_support_en", &"a".repeat(64)] {
        assert!(name.allows(raw) && ChannelName::parse(raw).is_ok(), "{raw}");
    }
    for raw in ["", "1channel", "a-b", "canal_ñ", &"a".repeat(65)] {
        assert!(
            !name.allows(raw) && ChannelName::parse(raw).is_err(),
            "{raw}"
        );
    }
}

#[test]
fn credentials_document_printable_ascii_of_1_to_256() {
    for field in ["apiKey", "apiKeySecret", "accessToken", "accessTokenSecret"] {
        let rule = Documented::of(&property::<XDraft>(field));
        assert_eq!(
            (rule.min_length, rule.max_length),
            (Some(1), Some(256)),
            "{field}"
        );
        for raw in [
            "",
            "abc def",
            "abc\tdef",
            "abcdé",
            "abc\u{7f}",
            &"a".repeat(257),
        ] {
            assert!(
                !rule.allows(raw) && Credential::parse(raw).is_err(),
                "{raw:?}"
            );
        }
        for raw in ["AbC123-_~!@#$%^&*()", &"a".repeat(256)] {
            assert!(
                rule.allows(raw) && Credential::parse(raw).is_ok(),
                "{raw:?}"
            );
        }
    }
}

#[test]
fn customer_texts_document_256_characters_and_the_forbidden_ones() {
    for (pointer, schema) in string_fields() {
        if !blank_is_lenient(pointer) || pointer.ends_with("Id") {
            continue;
        }
        assert_eq!(schema["maxLength"], json!(256), "{pointer}");
        let body = context_for(pointer);
        let rule = Documented::of(&schema);
        for ok in [
            "a".repeat(256),
            "é".repeat(256),
            "We are closed.\nBack at 8.".into(),
        ] {
            assert!(
                rule.allows(&ok) && accepted_at(&body, pointer, json!(ok)),
                "{pointer}"
            );
        }
        let mut refused = vec!["a".repeat(257), "closed\u{0}now".into(), "a\u{7f}".into()];
        refused.extend(['<', '>', '\'', '"', '/', '\\'].map(|c| format!("Please {c} wait")));
        for bad in refused {
            assert!(!rule.allows(&bad), "{pointer}: {bad:?} documented");
            assert!(
                !accepted_at(&body, pointer, json!(bad)),
                "{pointer}: {bad:?} accepted"
            );
        }
    }
}

#[test]
fn the_progress_pattern_documents_the_four_variables() {
    let rule = Documented::of(&property::<QueueReminderDraft>("progressContent"));
    for ok in [
        "Hi ${nickName} (${userId}): position ${position}, ${waitTime} s, costs $5",
        "$$${position} and a lone $ at the end $",
        "{} and $} are text",
    ] {
        assert!(
            rule.allows(ok) && ProgressTemplate::parse(ok).is_ok(),
            "{ok}"
        );
    }
    for bad in [
        "${rank}",
        "${Position}",
        "${position",
        "trailing ${",
        "${}",
        "$${x}",
    ] {
        assert!(
            !rule.allows(bad) && ProgressTemplate::parse(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn ids_document_at_most_64_characters() {
    for (pointer, schema) in string_fields() {
        if !pointer.ends_with("ouId") && !pointer.ends_with("killQueueId") {
            continue;
        }
        assert_eq!(schema["maxLength"], json!(64), "{pointer}");
        check_field(pointer, &schema, &"é".repeat(64)).unwrap();
        check_field(pointer, &schema, &"é".repeat(65)).unwrap();
    }
}

#[test]
fn every_clock_time_agrees_with_the_parser() {
    let fields = string_fields();
    let segment: Vec<_> = fields
        .iter()
        .filter(|(p, _)| p.contains("/workday/0/"))
        .collect();
    assert_eq!(segment.len(), 2);
    for h in 0..100 {
        for m in 0..100 {
            for (pointer, schema) in &segment {
                check_field(pointer, schema, &format!("{h:02}:{m:02}")).unwrap();
            }
        }
    }
    for raw in [
        "8:00", "08:0", "0800", "08.00", "08:00:00", "", "+8:00", "24:00\n",
    ] {
        for (pointer, schema) in &segment {
            check_field(pointer, schema, raw).unwrap();
        }
    }
}

#[test]
fn work_time_lists_document_1_to_4_segments() {
    for list in ["workday", "nonWorkday"] {
        let schema = property::<WorkTimeDraft>(list);
        assert_eq!(
            (&schema["minItems"], &schema["maxItems"]),
            (&json!(1), &json!(4))
        );
        for n in 0..=5 {
            let segments: Vec<Value> = (0..n)
                .map(|i| json!({"start": format!("{:02}:00", i * 2), "end": format!("{:02}:00", i * 2 + 1)}))
                .collect();
            let accepted = accepted_at(&full_body(), &format!("/workTime/{list}"), json!(segments));
            assert_eq!(accepted, (1..=4).contains(&n), "{list} with {n}");
        }
    }
}

#[test]
fn transfer_keywords_document_at_most_50() {
    let schema = property::<ChannelDraft>("transferKeywords");
    assert_eq!(schema["maxItems"], json!(50));
    let many: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
    assert!(accepted_at(
        &full_body(),
        "/transferKeywords",
        json!(many[..50])
    ));
    assert!(!accepted_at(&full_body(), "/transferKeywords", json!(many)));
    let item = Documented::of(&schema["items"]);
    assert!(item.allows(" agent ") && item.allows(&"k".repeat(64)));
    assert!(!item.allows("  ") && !item.allows(&"k".repeat(65)));
}

#[test]
fn numbers_document_their_ranges() {
    let fields = [
        (
            "/callTransferInteractionTimes",
            property::<ChannelDraft>("callTransferInteractionTimes"),
        ),
        (
            "/more/lastAgentMode/validHours",
            property::<LastAgentModeDraft>("validHours"),
        ),
        (
            "/more/noCustomerReplyEnd/timeoutSeconds",
            property::<NoCustomerReplyEndDraft>("timeoutSeconds"),
        ),
        (
            "/more/noCustomerReplyEnd/reminderSeconds",
            property::<NoCustomerReplyEndDraft>("reminderSeconds"),
        ),
        (
            "/more/noAgentReplyTransfer/timeoutSeconds",
            property::<NoAgentReplyTransferDraft>("timeoutSeconds"),
        ),
    ];
    let expected = [
        (0, 1_000_000),
        (1, 720),
        (30, 86_400),
        (1, 86_399),
        (30, 3_600),
    ];
    for ((pointer, schema), (min, max)) in fields.iter().zip(expected) {
        assert_eq!(
            (&schema["minimum"], &schema["maximum"]),
            (&json!(min), &json!(max)),
            "{pointer}"
        );
        // noCustomerReplyEnd.timeoutSeconds is 86400 in the body, so reminderSeconds may
        // reach its documented maximum.
        for (value, ok) in [(min - 1, false), (min, true), (max, true), (max + 1, false)] {
            assert_eq!(
                accepted_at(&full_body(), pointer, json!(value)),
                ok,
                "{pointer} = {value}"
            );
        }
    }
}

#[test]
fn allowed_targets_document_the_enum_and_distinct_items() {
    let schema = property::<SessionTransferDraft>("allowedTargets");
    assert_eq!(schema["uniqueItems"], json!(true), "{schema}");
    assert_eq!(
        schema["items"]["$ref"],
        json!(format!("#/components/schemas/{}", TransferTarget::name()))
    );
    assert_eq!(
        schema_of::<TransferTarget>()["enum"],
        json!(["agent", "skillQueue"])
    );
    let pointer = "/more/sessionTransfer/allowedTargets";
    assert!(accepted_at(
        &full_body(),
        pointer,
        json!(["skillQueue", "agent"])
    ));
    assert!(!accepted_at(
        &full_body(),
        pointer,
        json!(["agent", "agent"])
    ));
    assert!(!accepted_at(&full_body(), pointer, json!(["robot"])));
}

#[test]
fn output_newtypes_document_the_same_patterns() {
    let entity = Documented::of(&schema_of::<EntityId>());
    let text = Documented::of(&schema_of::<ReminderText>());
    let progress = Documented::of(&schema_of::<ProgressTemplate>());
    for raw in [
        "ou-1",
        "",
        "  ",
        "a\u{0}b",
        "\u{3000}",
        "\u{feff}",
        "Please < wait",
        "${position}",
    ] {
        assert_eq!(entity.allows(raw), EntityId::parse(raw).is_ok(), "{raw:?}");
        assert_eq!(
            text.allows(raw),
            ReminderText::parse(raw).is_ok(),
            "{raw:?}"
        );
        if !raw.trim().is_empty() {
            assert_eq!(
                progress.allows(raw),
                ProgressTemplate::parse(raw).is_ok(),
                "{raw:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    // Characters near every rule: markup, controls (kept and refused), Unicode spaces,
    // a non-space format character, non-ASCII letters and the template's syntax.
    #[test]
    fn documented_strings_are_exactly_the_accepted_ones(
        raw in "[a_Z9 .:\\-<>'\"/\\\\\t\n\r\u{0}\u{b}\u{7f}\u{85}\u{a0}\u{3000}\u{feff}é中${}]{0,8}(position|nickName|\\}|x){0,2}[a \t]{0,3}"
    ) {
        prop_assert_eq!(check_all(&raw), Ok(()));
    }

    #[test]
    fn lengths_agree_around_every_bound(
        body in "[a_é]{60,70}|[a é]{250,262}|[a ]{120,130}",
        pad in "[ \t]{0,3}",
    ) {
        prop_assert_eq!(check_all(&body), Ok(()));
        prop_assert_eq!(check_all(&format!("{pad}{body}{pad}")), Ok(()));
    }
}
