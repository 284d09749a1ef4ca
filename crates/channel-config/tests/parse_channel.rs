//! `parse_channel` through the public API: shape, every rule, and everything at once.

mod common;

use channel_config::{
    channel_json_schema, parse_channel, AccountLevel, ChannelDraft, ChannelSettings, ChannelType,
    Mode, SignatureAlgorithm, Violations,
};
use common::full_body;
use serde_json::{json, Value};

fn minimal_body() -> Value {
    json!({
        "name": "x_min", "type": "x",
        "x": { "apiKey": "k", "apiKeySecret": "s", "accessToken": "t", "accessTokenSecret": "u",
               "accountLevel": "basic", "signatureAlgorithm": "SHA-1" },
        "ouId": "ou-1", "skillQueueId": "q-1"
    })
}

fn set(body: &mut Value, pointer: &str, value: Value) {
    *body.pointer_mut(pointer).expect("pointer exists") = value;
}

fn remove(body: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    body.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key);
}

fn violations(body: &Value, mode: Mode) -> Vec<(String, String)> {
    parse_channel(body, mode)
        .err()
        .map(|Violations(vs)| vs.into_iter().map(|v| (v.pointer, v.code)).collect())
        .unwrap_or_default()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
        .collect()
}

#[test]
fn accepts_the_full_example_and_serializes_it_without_secrets() {
    let parsed = parse_channel(&full_body(), Mode::Create).unwrap();
    let mut expected = full_body();
    for key in ["apiKey", "apiKeySecret", "accessToken", "accessTokenSecret"] {
        remove(&mut expected, &format!("/x/{key}"));
    }
    assert_eq!(serde_json::to_value(&parsed.settings).unwrap(), expected);
    let c = parsed.credentials;
    assert_eq!(c.api_key.unwrap().expose(), "key-12345678");
    assert_eq!(c.access_token_secret.unwrap().hint(), "••••WXYZ");
}

#[test]
fn settings_round_trip_through_json() {
    let parsed = parse_channel(&full_body(), Mode::Create).unwrap();
    let stored = serde_json::to_string(&parsed.settings).unwrap();
    let back: ChannelSettings = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, parsed.settings);
}

#[test]
fn the_openapi_example_is_a_valid_request() {
    let schema = serde_json::to_value(<ChannelDraft as utoipa::PartialSchema>::schema()).unwrap();
    let example = schema
        .get("example")
        .expect("ChannelDraft has an example")
        .clone();
    let parsed = parse_channel(&example, Mode::Create).unwrap();
    assert_eq!(parsed.settings.name().as_str(), "x_support_en");
}

#[test]
fn the_json_schema_is_published() {
    assert_eq!(channel_json_schema()["additionalProperties"], json!(false));
}

#[test]
fn exposes_the_accessors_the_api_needs() {
    let mut body = full_body();
    set(
        &mut body,
        "/more/noAgentReplyTransfer/targetSkillQueueId",
        json!("q-2"),
    );
    set(&mut body, "/x/signatureAlgorithm", json!("SHA-1"));
    let s = parse_channel(&body, Mode::Create).unwrap().settings;
    assert_eq!(s.ou_id(), "ou-1");
    assert_eq!(s.skill_queue_id(), "q-1");
    assert_eq!(s.channel_type(), ChannelType::X);
    assert_eq!(s.account_level(), AccountLevel::Enterprise);
    assert_eq!(s.signature_algorithm(), SignatureAlgorithm::Sha1);
    assert_eq!(s.referenced_skill_queue_ids(), ["q-1", "q-2"]);
    assert_eq!(s.no_agent_reply_target_skill_queue_id(), Some("q-2"));
    // R-CRED-7
    assert_eq!(s.warnings().len(), 1);
    assert!(s.warnings()[0].contains("SHA-1"));
}

// R-INTEG-3
#[test]
fn tells_an_edit_of_account_level_or_signature_method_from_other_edits() {
    let settings = |edit: &dyn Fn(&mut Value)| {
        let mut body = full_body();
        edit(&mut body);
        parse_channel(&body, Mode::Create).unwrap().settings
    };
    let current = settings(&|_| {});
    let renamed = settings(&|b| set(b, "/name", json!("x_support_fr")));
    let pro = settings(&|b| set(b, "/x/accountLevel", json!("pro")));
    let sha1 = settings(&|b| set(b, "/x/signatureAlgorithm", json!("SHA-1")));
    assert!(!current.x_connection_differs(&current));
    assert!(!current.x_connection_differs(&renamed));
    assert!(current.x_connection_differs(&pro));
    assert!(current.x_connection_differs(&sha1));
}

// R-BASIC-5, R-BASIC-7, R-BASIC-11, R-ROBOT: a minimal body gets every default.
#[test]
fn fills_defaults_for_everything_left_out() {
    let s = parse_channel(&minimal_body(), Mode::Create)
        .unwrap()
        .settings;
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(
        v["workTime"]["workday"],
        json!([{"start": "00:00", "end": "24:00"}])
    );
    assert_eq!(
        v["workTime"]["nonWorkday"],
        json!([{"start": "00:00", "end": "24:00"}])
    );
    assert_eq!(v["queueReminder"]["mode"], "off");
    assert_eq!(
        v["queueReminder"]["progressContent"],
        "You are currently in the queue, in position ${position}, and are expected to wait for ${waitTime} seconds"
    );
    assert_eq!(v["more"]["lastAgentMode"]["enabled"], false);
    assert_eq!(v["more"]["sessionTransfer"]["enabled"], false);
    assert_eq!(v["robot"]["intelligentRobot"]["enabled"], false);
    assert_eq!(v["transferKeywords"], json!([]));
    assert_eq!(v["callTransferInteractionTimes"], Value::Null);
}

// R-CRED-2: all four credentials are required on creation.
#[test]
fn requires_every_credential_on_create() {
    let mut body = full_body();
    remove(&mut body, "/x/apiKey");
    remove(&mut body, "/x/accessTokenSecret");
    assert_eq!(
        violations(&body, Mode::Create),
        pairs(&[
            ("/x/apiKey", "required"),
            ("/x/accessTokenSecret", "required")
        ])
    );
}

// R-CRED-5: on update an omitted or null credential keeps its stored value.
#[test]
fn keeps_stored_credentials_left_out_on_update() {
    let mut body = full_body();
    remove(&mut body, "/x/apiKey");
    set(&mut body, "/x/apiKeySecret", Value::Null);
    let parsed = parse_channel(&body, Mode::Update).unwrap();
    assert!(parsed.credentials.api_key.is_none());
    assert!(parsed.credentials.api_key_secret.is_none());
    assert!(parsed.credentials.access_token.is_some());
}

// R-CRED-2, R-CRED-3
#[test]
fn refuses_a_credential_with_a_space_without_repeating_it() {
    let mut body = full_body();
    set(&mut body, "/x/apiKeySecret", json!("leaked secret value"));
    let err = parse_channel(&body, Mode::Create).unwrap_err();
    assert!(err.contains("/x/apiKeySecret", "forbidden_character"));
    assert!(!err.to_string().contains("leaked"));
    assert!(!format!("{err:?}").contains("leaked"));
}

// R-CRED-3: a secret sent where a number belongs is not echoed either.
#[test]
fn does_not_echo_values_in_structural_errors() {
    let mut body = full_body();
    set(&mut body, "/x/apiKey", json!(12345678901_u64));
    set(
        &mut body,
        "/callTransferInteractionTimes",
        json!("tokensecretWXYZ"),
    );
    let err = parse_channel(&body, Mode::Create).unwrap_err();
    assert!(err.contains("/x/apiKey", "invalid_type"));
    assert!(err.contains("/callTransferInteractionTimes", "invalid_type"));
    assert!(!err.to_string().contains("tokensecretWXYZ"));
    assert!(!err.to_string().contains("12345678901"));
}

#[test]
fn refuses_unknown_properties_at_their_pointer() {
    let mut body = full_body();
    body["colour"] = json!("red");
    body["x"]["apiKeyHint"] = json!("••••");
    let found = violations(&body, Mode::Create);
    assert!(found.contains(&("/colour".to_owned(), "unknown_property".to_owned())));
    assert!(found.contains(&("/x/apiKeyHint".to_owned(), "unknown_property".to_owned())));
}

#[test]
fn reports_missing_properties_at_their_own_pointer() {
    let mut body = full_body();
    remove(&mut body, "/name");
    remove(&mut body, "/skillQueueId");
    let found = violations(&body, Mode::Create);
    assert_eq!(
        found,
        pairs(&[("/name", "required"), ("/skillQueueId", "required")])
    );
}

// R-CRED-1, R-CRED-6, R-CRED-7, R-BASIC-7
#[test]
fn refuses_values_outside_the_enumerations() {
    let mut body = full_body();
    set(&mut body, "/type", json!("whatsapp"));
    set(&mut body, "/x/accountLevel", json!("premium"));
    set(&mut body, "/x/signatureAlgorithm", json!("MD5"));
    set(&mut body, "/queueReminder/mode", json!("sometimes"));
    set(
        &mut body,
        "/more/sessionTransfer/allowedTargets",
        json!(["agent", "robot"]),
    );
    assert_eq!(
        violations(&body, Mode::Create).len(),
        5,
        "{:?}",
        violations(&body, Mode::Create)
    );
}

#[test]
fn refuses_a_body_that_is_not_an_object() {
    assert_eq!(
        violations(&json!([1, 2]), Mode::Create),
        pairs(&[("", "invalid_type")])
    );
}

// R-BASIC-4
#[test]
fn requires_transfer_keywords_when_the_intelligent_robot_is_enabled() {
    let mut body = full_body();
    set(&mut body, "/transferKeywords", json!([]));
    assert_eq!(
        violations(&body, Mode::Create),
        pairs(&[("/transferKeywords", "required")])
    );
    remove(&mut body, "/transferKeywords");
    assert_eq!(
        violations(&body, Mode::Create),
        pairs(&[("/transferKeywords", "required")])
    );
    set(&mut body, "/robot/intelligentRobot/enabled", json!(false));
    assert!(violations(&body, Mode::Create).is_empty());
}

// R-BASIC-10
#[test]
fn accepts_call_transfer_interaction_times_from_0_to_a_million_or_null() {
    for ok in [json!(0), json!(1_000_000), Value::Null, json!(7.0)] {
        let mut body = full_body();
        set(&mut body, "/callTransferInteractionTimes", ok.clone());
        assert!(violations(&body, Mode::Create).is_empty(), "{ok}");
    }
    for (bad, code) in [
        (json!(-1), "out_of_range"),
        (json!(1_000_001), "out_of_range"),
        (json!(2.5), "invalid_type"),
    ] {
        let mut body = full_body();
        set(&mut body, "/callTransferInteractionTimes", bad.clone());
        assert_eq!(
            violations(&body, Mode::Create),
            pairs(&[("/callTransferInteractionTimes", code)]),
            "{bad}"
        );
    }
}

// R-BASIC-6
#[test]
fn refuses_a_non_working_time_notification_with_markup() {
    let mut body = full_body();
    set(
        &mut body,
        "/nonWorkingTimeNotification",
        json!("<b>closed</b>"),
    );
    assert_eq!(
        violations(&body, Mode::Create),
        pairs(&[("/nonWorkingTimeNotification", "forbidden_character")])
    );
}

// R-BASIC-1, R-BASIC-4, R-BASIC-5, R-BASIC-8, R-BASIC-9, R-BASIC-11, R-ROBOT-1, R-CRED-2
#[test]
fn reports_every_violation_at_once() {
    let mut body = full_body();
    set(&mut body, "/name", json!("1st channel"));
    set(&mut body, "/x/apiKey", json!(""));
    set(&mut body, "/ouId", json!(""));
    set(&mut body, "/transferKeywords", json!(["agent", "agent"]));
    set(
        &mut body,
        "/workTime/workday",
        json!([{"start": "08:00", "end": "18:00"}, {"start": "17:00", "end": "25:00"}]),
    );
    set(&mut body, "/queueReminder/content", json!(null));
    set(
        &mut body,
        "/queueReminder/progressContent",
        json!("${rank}"),
    );
    set(&mut body, "/more/lastAgentMode/validHours", json!(0));
    set(&mut body, "/robot/intelligentRobot/robotId", json!(null));
    let found = violations(&body, Mode::Create);
    assert_eq!(
        found,
        pairs(&[
            ("/name", "forbidden_character"),
            ("/name", "invalid_format"),
            ("/ouId", "required"),
            ("/transferKeywords/1", "duplicate"),
            ("/workTime/workday/1/end", "out_of_range"),
            ("/queueReminder/content", "required"),
            ("/queueReminder/progressContent", "unknown_variable"),
            ("/more/lastAgentMode/validHours", "out_of_range"),
            ("/robot/intelligentRobot/robotId", "required"),
            ("/x/apiKey", "required"),
        ])
    );
}

// R-BASIC-5
#[test]
fn locates_overlapping_segments_in_the_body() {
    let mut body = full_body();
    set(
        &mut body,
        "/workTime/nonWorkday",
        json!([{"start": "10:00", "end": "16:00"}, {"start": "09:00", "end": "10:30"}]),
    );
    assert_eq!(
        violations(&body, Mode::Create),
        pairs(&[("/workTime/nonWorkday/1", "overlapping_segments")])
    );
}

#[test]
fn violations_display_every_entry() {
    let mut body = full_body();
    set(&mut body, "/name", json!("9"));
    set(&mut body, "/ouId", json!(""));
    let err = parse_channel(&body, Mode::Create).unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("/name") && shown.contains("/ouId"),
        "{shown}"
    );
    let _: &dyn std::error::Error = &err;
}

// R-BASIC-4 with R-ROBOT-1: a bad robot id does not hide the missing keywords.
#[test]
fn reports_missing_keywords_even_when_the_robot_id_is_bad() {
    let mut body = full_body();
    set(&mut body, "/transferKeywords", json!([]));
    set(&mut body, "/robot/intelligentRobot/robotId", json!("bot 1"));
    assert_eq!(
        violations(&body, Mode::Create),
        pairs(&[
            ("/robot/intelligentRobot/robotId", "forbidden_character"),
            ("/transferKeywords", "required"),
        ])
    );
}

#[test]
fn lists_the_skill_queue_alone_when_no_transfer_target_is_set() {
    let s = parse_channel(&full_body(), Mode::Create).unwrap().settings;
    assert_eq!(s.referenced_skill_queue_ids(), ["q-1"]);
}

#[test]
fn documents_channel_settings_for_openapi() {
    let schema =
        serde_json::to_value(<ChannelSettings as utoipa::PartialSchema>::schema()).unwrap();
    let shown = schema.to_string();
    for field in [
        "ouId",
        "skillQueueId",
        "workTime",
        "queueReminder",
        "more",
        "robot",
    ] {
        assert!(shown.contains(field), "{field} missing from {shown}");
    }
    assert!(!shown.contains("apiKeySecret"));
}
