//! Keywords that move a customer from the robot to an agent (R-BASIC-4), and how a
//! customer's message is matched against them ([`TransferKeywords::matches`]).
//!
//! A keyword matches whole words, case-insensitively, in any script:
//! - both sides are brought to one form first: Unicode NFKC (so a full-width `ＡＧＥＮＴ`
//!   or a decomposed `é` is the letter it stands for), then lower case (Greek final `ς`
//!   as `σ`);
//! - a *word* is a run of letters, digits, combining marks and `_`; everything else
//!   (spaces, punctuation, symbols) only separates words. `agent` matches `Agent!` and
//!   `AGENT please`, not `agents` nor `reagent`;
//! - a keyword of several words matches those words in sequence, whatever separates them
//!   in the message (`talk to agent` matches `Talk to... AGENT`);
//! - scripts written without spaces between words (Chinese, Japanese kana, Thai, Lao,
//!   Khmer, Myanmar) have no word boundary a matcher could see without a dictionary, so
//!   each of their characters counts as a word of its own: `人工` matches wherever its two
//!   characters stand in sequence (`我要转人工`), also beside Latin words (`我要agent`).
//!   Korean, written with spaces, keeps whole words;
//! - a keyword with no letter or digit at all (an emoji, `??`) matches wherever it
//!   appears.
//!
//! The message is read once into its words; each keyword is then one substring search
//! in that form (linear), so matching is linear in the text for the at most 50 keywords.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
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

    /// The first keyword (in the list's order) that `text` contains as whole words, by
    /// the rules of this module; `None` when there is none.
    pub fn matches(&self, text: &str) -> Option<&str> {
        if self.0.is_empty() {
            return None;
        }
        let words = words_of(text);
        let mut folded: Option<String> = None;
        self.0.iter().map(String::as_str).find(|keyword| {
            let needle = words_of(keyword);
            if needle.len() > 1 {
                words.contains(&needle)
            } else {
                // No letter or digit: the symbols themselves, anywhere.
                let needle = fold(keyword);
                !needle.is_empty() && folded.get_or_insert_with(|| fold(text)).contains(&needle)
            }
        })
    }
}

/// `text` in NFKC, lower case.
fn fold(text: &str) -> String {
    // ASCII is its own NFKC, and its own lower case; most messages are ASCII.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// Characters of scripts written without spaces between words: each is a word.
fn unspaced(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}'      // Thai, Lao
        | '\u{1000}'..='\u{109F}'    // Myanmar
        | '\u{1780}'..='\u{17FF}'    // Khmer
        | '\u{3040}'..='\u{30FF}'    // Hiragana, Katakana
        | '\u{3100}'..='\u{312F}'    // Bopomofo
        | '\u{31F0}'..='\u{31FF}'    // Katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}'    // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'    // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'    // CJK compatibility ideographs
        | '\u{20000}'..='\u{3134F}') // CJK extensions B to G
}

/// The words of `text`, folded, each between single spaces: ` w1 w2 w3 ` (` ` when
/// there is none). A keyword's words in sequence are then exactly a substring.
fn words_of(text: &str) -> String {
    #[derive(PartialEq)]
    enum At {
        Gap,
        Word,
        Single,
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut at = At::Gap;
    for c in fold(text).chars() {
        // An ASCII character is neither a mark nor of an unspaced script.
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() || c == '_' {
                if at == At::Single {
                    out.push(' ');
                }
                out.push(c);
                at = At::Word;
            } else if at != At::Gap {
                out.push(' ');
                at = At::Gap;
            }
        } else if is_combining_mark(c) {
            // A mark belongs to the character before it; after a gap, to nothing.
            if at != At::Gap {
                out.push(c);
            }
        } else if unspaced(c) {
            if at != At::Gap {
                out.push(' ');
            }
            out.push(c);
            at = At::Single;
        } else if c.is_alphanumeric() || c == '_' {
            if at == At::Single {
                out.push(' ');
            }
            out.push(c);
            at = At::Word;
        } else if at != At::Gap {
            out.push(' ');
            at = At::Gap;
        }
    }
    if at != At::Gap {
        out.push(' ');
    }
    out
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

    fn keywords(list: &[&str]) -> TransferKeywords {
        TransferKeywords::parse(&words(list)).unwrap()
    }

    // R-BASIC-4
    #[test]
    fn a_keyword_matches_whole_words_in_any_case() {
        let k = keywords(&["agent"]);
        for text in [
            "agent",
            "Agent!",
            "AGENT please",
            "I want an agent.",
            "(agent)",
            "agent's desk",
            "¿agent?",
        ] {
            assert_eq!(k.matches(text), Some("agent"), "{text}");
        }
        for text in [
            "agents",
            "reagent",
            "agent2",
            "agent_x",
            "a g e n t",
            "",
            "hello",
        ] {
            assert_eq!(k.matches(text), None, "{text}");
        }
    }

    // R-BASIC-4
    #[test]
    fn a_keyword_of_several_words_matches_them_in_sequence() {
        let k = keywords(&["talk to  a human"]);
        assert_eq!(
            k.matches("Can I TALK to a human, please?"),
            Some("talk to  a human")
        );
        assert_eq!(k.matches("talk... to a\nhuman"), Some("talk to  a human"));
        assert_eq!(k.matches("talk to a humane person"), None);
        assert_eq!(k.matches("a human to talk to"), None);
        assert_eq!(k.matches("stalk to a human"), None);
    }

    // R-BASIC-4
    #[test]
    fn letters_and_digits_of_every_script_make_words() {
        let k = keywords(&["Оператор", "Ἄνθρωπος", "müller", "café", "24h"]);
        assert_eq!(k.matches("Позовите ОПЕРАТОРА"), None, "another word");
        assert_eq!(k.matches("позовите оператор!"), Some("Оператор"));
        assert_eq!(
            k.matches("ἌΝΘΡΩΠΟΣ παρακαλώ"),
            Some("Ἄνθρωπος"),
            "final sigma"
        );
        assert_eq!(k.matches("Herr MÜLLER bitte"), Some("müller"));
        // Decomposed (e + U+0301) and composed forms are one word.
        assert_eq!(k.matches("un cafe\u{301}, merci"), Some("café"));
        assert_eq!(k.matches("un cafe"), None);
        assert_eq!(k.matches("service 24H?"), Some("24h"));
        assert_eq!(k.matches("service 124h"), None);
        // Full-width Latin is Latin.
        assert_eq!(
            keywords(&["agent"]).matches("ＡＧＥＮＴ，please"),
            Some("agent")
        );
    }

    // R-BASIC-4: Chinese and Japanese put no spaces between words, so each of their
    // characters is a word; a keyword matches its characters in sequence.
    #[test]
    fn in_scripts_without_spaces_each_character_is_a_word() {
        let k = keywords(&["人工", "オペレーター"]);
        assert_eq!(k.matches("我要转人工服务"), Some("人工"));
        assert_eq!(
            k.matches("人 工"),
            Some("人工"),
            "the same characters in sequence"
        );
        assert_eq!(k.matches("人"), None);
        assert_eq!(k.matches("工人"), None);
        assert_eq!(
            k.matches("オペレーターをお願いします"),
            Some("オペレーター")
        );
        // Half-width katakana is katakana (NFKC).
        assert_eq!(k.matches("ｵﾍﾟﾚｰﾀｰ"), Some("オペレーター"));
        let latin = keywords(&["agent"]);
        assert_eq!(latin.matches("我要agent服务"), Some("agent"));
        assert_eq!(latin.matches("我要agents"), None);
        // Korean is written with spaces: whole words.
        let korean = keywords(&["상담원"]);
        assert_eq!(korean.matches("상담원 연결해 주세요"), Some("상담원"));
        assert_eq!(korean.matches("상담원들"), None);
    }

    // R-BASIC-4
    #[test]
    fn a_keyword_without_letters_matches_wherever_it_appears() {
        let k = keywords(&["🙋", "??"]);
        assert_eq!(k.matches("help🙋"), Some("🙋"));
        assert_eq!(k.matches("what??"), Some("??"));
        assert_eq!(k.matches("what?"), None);
    }

    // R-BASIC-4
    #[test]
    fn the_first_keyword_of_the_list_that_matches_is_named() {
        let k = keywords(&["human", "agent"]);
        assert_eq!(k.matches("agent or human"), Some("human"));
        assert_eq!(k.matches("agent"), Some("agent"));
        assert_eq!(TransferKeywords::default().matches("agent"), None);
    }

    // R-BASIC-4: one pass over the text, then one substring search per keyword.
    #[test]
    fn matching_is_linear_in_the_text() {
        let many: Vec<String> = (0..50)
            .map(|i| format!("{} b{i}", vec!["a"; 30].join(" ")))
            .collect();
        let k = TransferKeywords::parse(&many).unwrap();
        let text = "a ".repeat(100_000);
        let started = std::time::Instant::now();
        assert_eq!(k.matches(&text), None);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
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
