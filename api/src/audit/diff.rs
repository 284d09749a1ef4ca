//! The field-level change list of an edit: every leaf that differs between the document
//! before and after, named by its JSON pointer (RFC 6901). Objects are walked member by
//! member; an array, a scalar or a change of type is one change, the value whole. Linear
//! in the size of the two documents.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::input::escape_pointer;

/// One changed field. A secret's change carries `changed: true` and at most its new
/// masked `hint`, never a value: `before` and `after` are then absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"pointer": "/x/signatureAlgorithm", "before": "SHA-256", "after": "SHA-1"}))]
pub struct Change {
    /// Where the field is in the resource, e.g. `/x/signatureAlgorithm`.
    pub pointer: String,
    /// The value before the edit; `null` when the field was absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The value after the edit; `null` when the field was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// Only for a secret: it was replaced by another value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<bool>,
    /// Only for a secret: the masked hint of its new value (`••••` and its last four
    /// characters), as the resource itself shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Change {
    /// A field whose value went from `before` to `after`.
    pub fn value(pointer: String, before: &Value, after: &Value) -> Change {
        Change {
            pointer,
            before: Some(before.clone()),
            after: Some(after.clone()),
            changed: None,
            hint: None,
        }
    }

    /// A secret replaced by another value: no value, old or new, is kept.
    pub fn secret(pointer: &str, hint: Option<String>) -> Change {
        Change {
            pointer: pointer.to_owned(),
            before: None,
            after: None,
            changed: Some(true),
            hint,
        }
    }
}

/// The changes from `before` to `after`, in document order (members sorted by name).
pub fn diff(before: &Value, after: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    walk(&mut String::new(), before, after, &mut changes);
    changes
}

fn walk(pointer: &mut String, before: &Value, after: &Value, changes: &mut Vec<Change>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
            names.sort_unstable();
            names.dedup();
            for name in names {
                let depth = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer(name));
                let absent = Value::Null;
                walk(
                    pointer,
                    old.get(name).unwrap_or(&absent),
                    new.get(name).unwrap_or(&absent),
                    changes,
                );
                pointer.truncate(depth);
            }
        }
        _ if before == after => {}
        _ => changes.push(Change::value(pointer.clone(), before, after)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_each_changed_leaf_by_its_pointer_with_before_and_after() {
        let before = json!({"name": "a", "x": {"signatureAlgorithm": "SHA-256", "accountLevel": "pro"}, "keywords": ["agent"]});
        let after = json!({"name": "a", "x": {"signatureAlgorithm": "SHA-1", "accountLevel": "pro"}, "keywords": ["agent", "human"], "new/one": 1});
        let changes = diff(&before, &after);
        let pointers: Vec<&str> = changes.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/keywords", "/new~1one", "/x/signatureAlgorithm"]
        );
        assert_eq!(changes[2].before, Some(json!("SHA-256")));
        assert_eq!(changes[2].after, Some(json!("SHA-1")));
        assert_eq!(changes[1].before, Some(Value::Null));
    }

    #[test]
    fn an_unchanged_document_has_no_change() {
        let doc = json!({"a": {"b": [1, 2]}, "c": null});
        assert!(diff(&doc, &doc).is_empty());
    }

    #[test]
    fn a_secret_change_carries_no_value() {
        let change =
            serde_json::to_value(Change::secret("/x/apiKeySecret", Some("••••dyOg".into())))
                .unwrap();
        assert_eq!(
            change,
            json!({"pointer": "/x/apiKeySecret", "changed": true, "hint": "••••dyOg"})
        );
    }
}
