//! Any value in any place of a valid body: `parse_channel` never panics, names each
//! problem by a JSON pointer that exists in the body, and never echoes a credential.

mod common;

use channel_config::{parse_channel, Mode};
use proptest::prelude::*;
use serde_json::{json, Value};

const SECRETS: [&str; 3] = ["secretABCDEFGH", "370773112-token", "tokensecretWXYZ"];

fn body() -> Value {
    let mut body = common::full_body();
    body["more"]["noAgentReplyTransfer"] =
        json!({"enabled": true, "timeoutSeconds": 60, "targetSkillQueueId": "q-2"});
    body
}

/// Every pointer of the body, the root's children and deeper.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{at}/{key}");
                out.push(here.clone());
                pointers(child, here, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let here = format!("{at}/{i}");
                out.push(here.clone());
                pointers(child, here, out);
            }
        }
        _ => {}
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,300}".prop_map(Value::String),
        "[\\x00-\\x1f<>'\"/\\\\${}a-z]{0,20}".prop_map(Value::String),
        Just(json!("24:00")),
        Just(json!("${nickName}")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::hash_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Whether `pointer` names a place in `body`, or the place of a missing property whose
/// parent exists (a `required` violation names what is absent).
fn names_a_place(body: &Value, pointer: &str) -> bool {
    if pointer.is_empty() || body.pointer(pointer).is_some() {
        return true;
    }
    let parent = &pointer[..pointer.rfind('/').unwrap_or(0)];
    parent.is_empty() || body.pointer(parent).is_some_and(Value::is_object)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_value_anywhere_is_parsed_or_refused_with_pointers(
        choice in any::<prop::sample::Index>(),
        replacement in any_json(),
        update in any::<bool>(),
    ) {
        let mut body = body();
        let mut all = Vec::new();
        pointers(&body, String::new(), &mut all);
        let target = &all[choice.index(all.len())];
        // A credential sent in the wrong shape must not come back either.
        let sent_credential = (target.starts_with("/x/a"))
            .then(|| replacement.as_str().map(str::to_owned))
            .flatten()
            .filter(|s| s.chars().count() >= 12);
        *body.pointer_mut(target).unwrap() = replacement;
        let mode = if update { Mode::Update } else { Mode::Create };
        match parse_channel(&body, mode) {
            Ok(parsed) => {
                let stored = serde_json::to_string(&parsed.settings).unwrap();
                for secret in SECRETS {
                    prop_assert!(!stored.contains(secret));
                }
            }
            Err(violations) => {
                prop_assert!(!violations.0.is_empty());
                for v in &violations.0 {
                    prop_assert!(v.pointer.is_empty() || v.pointer.starts_with('/'), "{:?}", v.pointer);
                    prop_assert!(names_a_place(&body, &v.pointer), "{} is not in the body", v.pointer);
                    for secret in SECRETS.iter().copied().chain(sent_credential.as_deref()) {
                        prop_assert!(!v.message.contains(secret), "{} echoes a credential", v.pointer);
                    }
                }
            }
        }
    }
}
