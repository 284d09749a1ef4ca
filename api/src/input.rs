//! Reads small JSON bodies and query strings field by field, gathering every violation so
//! one answer names all bad fields (R-API-2).

use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

use crate::error::{ApiError, FieldError};

/// Walks one JSON object, remembering every field it could not accept.
pub struct Fields<'a> {
    object: Option<&'a Map<String, Value>>,
    known: Vec<&'static str>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a Value) -> Self {
        let mut fields = Self {
            object: body.as_object(),
            known: Vec::new(),
            errors: Vec::new(),
        };
        if fields.object.is_none() {
            fields.fail("", "invalid_type", "the body must be a JSON object");
        }
        fields
    }

    pub fn fail(&mut self, pointer: &str, code: &str, detail: impl Into<String>) {
        self.errors.push(FieldError::new(pointer, code, detail));
    }

    /// A field the caller reads itself (null counts as absent); it is no longer unknown.
    pub fn get(&mut self, name: &'static str) -> Option<&'a Value> {
        self.known.push(name);
        self.object?.get(name).filter(|v| !v.is_null())
    }

    /// A string of `min..=max` characters, or `None` (and a violation when required).
    pub fn string(&mut self, name: &'static str, required: bool, max: usize) -> Option<String> {
        let pointer = format!("/{name}");
        match self.get(name) {
            None => {
                if required {
                    self.fail(&pointer, "required", "is required");
                }
                None
            }
            Some(Value::String(s)) => {
                let trimmed = s.trim();
                if trimmed.is_empty() {
                    self.fail(&pointer, "required", "must not be empty");
                    None
                } else if trimmed.chars().count() > max {
                    self.fail(
                        &pointer,
                        "too_long",
                        format!("must be at most {max} characters"),
                    );
                    None
                } else if trimmed.chars().any(char::is_control) {
                    self.fail(
                        &pointer,
                        "forbidden_character",
                        "must not contain control characters",
                    );
                    None
                } else {
                    Some(trimmed.to_owned())
                }
            }
            Some(_) => {
                self.fail(&pointer, "invalid_type", "must be a string");
                None
            }
        }
    }

    /// A name people tell apart by looking at it (an OU, a called route): a required string
    /// as `string` reads it, in NFC, so that the composed and decomposed spellings of one
    /// name are the same name, and without invisible or bidirectional formatting
    /// characters, which make two names that look alike differ (or one look like another).
    pub fn name(&mut self, name: &'static str, max: usize) -> Option<String> {
        self.name_if(name, true, max)
    }

    /// A name as `name` reads it, which may be left out unless `required`.
    pub fn name_if(&mut self, name: &'static str, required: bool, max: usize) -> Option<String> {
        let raw = self.string(name, required, usize::MAX)?;
        let pointer = format!("/{name}");
        if let Some(c) = raw.chars().find(|c| is_invisible(*c)) {
            self.fail(
                &pointer,
                "invisible_character",
                format!(
                    "must not contain invisible or bidirectional formatting characters (U+{:04X})",
                    u32::from(c)
                ),
            );
            return None;
        }
        let name: String = raw.nfc().collect();
        if name.chars().count() > max {
            self.fail(
                &pointer,
                "too_long",
                format!("must be at most {max} characters"),
            );
            return None;
        }
        Some(name)
    }

    pub fn boolean(&mut self, name: &'static str) -> Option<bool> {
        match self.get(name) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail(&format!("/{name}"), "invalid_type", "must be true or false");
                None
            }
        }
    }

    /// An array of strings; each element is checked by `check`, which returns a reason.
    pub fn strings(
        &mut self,
        name: &'static str,
        max_items: usize,
        check: impl Fn(&str) -> Option<(&'static str, String)>,
    ) -> Option<Vec<String>> {
        let pointer = format!("/{name}");
        let items = match self.get(name) {
            None => return None,
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.fail(&pointer, "invalid_type", "must be an array of strings");
                return None;
            }
        };
        if items.len() > max_items {
            self.fail(
                &pointer,
                "too_many",
                format!("must have at most {max_items} items"),
            );
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let at = format!("{pointer}/{i}");
            match item.as_str() {
                None => {
                    ok = false;
                    self.fail(&at, "invalid_type", "must be a string");
                }
                Some(s) if s.chars().any(char::is_control) => {
                    ok = false;
                    self.fail(
                        &at,
                        "forbidden_character",
                        "must not contain control characters",
                    );
                }
                Some(s) => match check(s) {
                    Some((code, detail)) => {
                        ok = false;
                        self.fail(&at, code, detail);
                    }
                    None if out.iter().any(|seen| seen == s) => {
                        ok = false;
                        self.fail(&at, "duplicate", "appears more than once");
                    }
                    None => out.push(s.to_owned()),
                },
            }
        }
        ok.then_some(out)
    }

    /// Refuses fields this endpoint does not know, then returns every violation at once.
    pub fn finish(mut self) -> Result<(), ApiError> {
        if let Some(object) = self.object {
            for key in object.keys() {
                if !self.known.iter().any(|k| k == key) {
                    let pointer = format!("/{}", escape_pointer(key));
                    self.fail(&pointer, "unknown_property", "is not a known property");
                }
            }
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// Zero-width characters, the word joiner and the byte order mark, and the bidirectional
/// marks, embeddings, overrides and isolates (and the invisible math operators).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{061C}'
            | '\u{FEFF}'
    )
}

/// Escapes a key for use as one JSON pointer segment (RFC 6901).
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
