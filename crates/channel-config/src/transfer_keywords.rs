//! Keywords that move a customer from the robot to an agent (R-BASIC-4).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::violation::{char_len, Violation, Violations};

/// Longest keyword, counted after trimming.
pub const KEYWORD_MAX_CHARS: usize = 64;
/// Most keywords in the list.
pub const MAX_KEYWORDS: usize = 50;

/// Up to 50 distinct, trimmed keywords of 1 to 64 characters (R-BASIC-4). Whether the list
/// may be empty depends on the robot and is checked with the whole channel.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
#[schema(value_type = Vec<String>, example = json!(["agent", "human"]))]
pub struct TransferKeywords(Vec<String>);

impl TransferKeywords {
    /// Parses the list; pointers are `/{index}` for a keyword and `` for the list. A list
    /// over the limit is one violation: its items are not looked at.
    pub fn parse(raw: &[String]) -> Result<Self, Vec<Violation>> {
        if raw.len() > MAX_KEYWORDS {
            return Err(vec![too_many()]);
        }
        let mut found = Vec::new();
        let mut kept: Vec<String> = Vec::with_capacity(raw.len());
        let mut first_at: HashMap<&str, usize> = HashMap::with_capacity(raw.len());
        for (i, keyword) in raw.iter().enumerate() {
            let keyword = keyword.trim();
            let at = format!("/{i}");
            if keyword.is_empty() {
                found.push(Violation::new(at, "required", "must not be empty"));
            } else if char_len(keyword) > KEYWORD_MAX_CHARS {
                found.push(Violation::new(
                    at,
                    "too_long",
                    format!("must be at most {KEYWORD_MAX_CHARS} characters"),
                ));
            } else if keyword.chars().any(char::is_control) {
                found.push(Violation::new(
                    at,
                    "forbidden_character",
                    "must not contain control characters",
                ));
            } else {
                // The index in `kept`, as before: refused keywords are not counted.
                let first = *first_at.entry(keyword).or_insert(kept.len());
                if first != kept.len() {
                    found.push(Violation::new(
                        at,
                        "duplicate",
                        format!("repeats keyword {first}"),
                    ));
                }
                kept.push(keyword.to_owned());
            }
        }
        if found.is_empty() {
            Ok(Self(kept))
        } else {
            Err(found)
        }
    }

    /// The keywords, trimmed, in the order given.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether there is no keyword.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The one violation of a list over the limit.
pub(crate) fn too_many() -> Violation {
    Violation::new(
        "",
        "too_many",
        format!("may hold at most {MAX_KEYWORDS} keywords"),
    )
}

impl TryFrom<Vec<String>> for TransferKeywords {
    type Error = Violations;
    fn try_from(raw: Vec<String>) -> Result<Self, Violations> {
        Self::parse(&raw).map_err(Violations)
    }
}

impl From<TransferKeywords> for Vec<String> {
    fn from(list: TransferKeywords) -> Self {
        list.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    // R-BASIC-4
    #[test]
    fn trims_keywords() {
        let k = TransferKeywords::parse(&words(&[" agent ", "human"])).unwrap();
        assert_eq!(k.as_slice(), ["agent", "human"]);
    }

    // R-BASIC-4
    #[test]
    fn refuses_blank_long_and_duplicate_keywords_at_their_index() {
        let err = TransferKeywords::parse(&words(&["  ", &"k".repeat(65), "agent", " agent"]))
            .unwrap_err();
        let found: Vec<_> = err
            .iter()
            .map(|v| (v.pointer.as_str(), v.code.as_str()))
            .collect();
        assert_eq!(
            found,
            [("/0", "required"), ("/1", "too_long"), ("/3", "duplicate")]
        );
    }

    // R-BASIC-4
    #[test]
    fn refuses_more_than_50_keywords() {
        let many: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
        assert_eq!(
            TransferKeywords::parse(&many).unwrap_err()[0].code,
            "too_many"
        );
        assert!(TransferKeywords::parse(&many[..50]).is_ok());
    }

    // R-BASIC-4: the list's length alone decides; its items are not looked at.
    #[test]
    fn a_list_over_the_limit_is_one_violation_however_long() {
        let flood: Vec<String> = (0..100_000).map(|i| format!("k{}", i % 7)).collect();
        let started = std::time::Instant::now();
        let err = TransferKeywords::parse(&flood).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(
            (err[0].pointer.as_str(), err[0].code.as_str()),
            ("", "too_many")
        );
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
    }

    // R-BASIC-4
    #[test]
    fn each_repeat_names_the_first_occurrence() {
        let err = TransferKeywords::parse(&words(&["a", "b", "a", " b ", "a"])).unwrap_err();
        let found: Vec<_> = err
            .iter()
            .map(|v| (v.pointer.as_str(), v.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("/2", "repeats keyword 0"),
                ("/3", "repeats keyword 1"),
                ("/4", "repeats keyword 0")
            ]
        );
    }
}
