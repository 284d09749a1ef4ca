//! X credentials (R-CRED-2, R-CRED-3): values that can be used but never shown.

use std::fmt;

use crate::violation::{char_len, Violation};

/// Longest credential accepted (R-CRED-2).
pub const CREDENTIAL_MAX_CHARS: usize = 256;

/// An API key, API key secret, access token or access token secret.
///
/// Printable ASCII without spaces, 1 to 256 characters (R-CRED-2). It has no `Display`
/// and its `Debug` is redacted, so it cannot end up in a log by accident (R-CRED-3).
#[derive(Clone, PartialEq, Eq)]
pub struct Credential(String);

impl Credential {
    /// Parses a credential; violations never repeat the value.
    pub fn parse(raw: &str) -> Result<Self, Vec<Violation>> {
        let mut found = Vec::new();
        if raw.is_empty() {
            found.push(Violation::new("", "required", "must not be empty"));
        }
        if char_len(raw) > CREDENTIAL_MAX_CHARS {
            found.push(Violation::new(
                "",
                "too_long",
                format!("must be at most {CREDENTIAL_MAX_CHARS} characters"),
            ));
        }
        if !raw.chars().all(|c| c.is_ascii_graphic()) {
            found.push(Violation::new(
                "",
                "forbidden_character",
                "must contain only printable ASCII characters, without spaces",
            ));
        }
        if found.is_empty() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(found)
        }
    }

    /// The plaintext, for signing a call to X or encrypting at rest. Nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A masked hint safe to show: `••••` and the last 4 characters, or `••••` alone
    /// when the credential is shorter than 8 characters (too short to reveal any of it).
    pub fn hint(&self) -> String {
        let mask = "••••";
        if self.0.len() < 8 {
            return mask.to_owned();
        }
        // ASCII only (checked by `parse`), so byte slicing is character slicing.
        format!("{mask}{}", &self.0[self.0.len() - 4..])
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential(redacted)")
    }
}

/// The credentials a request sets. `None` means "not sent": on update, keep the stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialChanges {
    /// `x.apiKey`
    pub api_key: Option<Credential>,
    /// `x.apiKeySecret`
    pub api_key_secret: Option<Credential>,
    /// `x.accessToken`
    pub access_token: Option<Credential>,
    /// `x.accessTokenSecret`
    pub access_token_secret: Option<Credential>,
}

impl CredentialChanges {
    /// Whether the request sends any credential (a rotation, R-CRED-5).
    pub fn any(&self) -> bool {
        self.api_key.is_some()
            || self.api_key_secret.is_some()
            || self.access_token.is_some()
            || self.access_token_secret.is_some()
    }

    /// Whether the request sends all four, replacing the stored credentials whole.
    pub fn all(&self) -> bool {
        self.api_key.is_some()
            && self.api_key_secret.is_some()
            && self.access_token.is_some()
            && self.access_token_secret.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // R-CRED-2
    #[test]
    fn accepts_printable_ascii_up_to_256_characters() {
        assert!(Credential::parse(&"a".repeat(256)).is_ok());
        assert!(Credential::parse("AbC123-_~!@#$%^&*()").is_ok());
    }

    // R-CRED-2
    #[test]
    fn refuses_an_empty_credential() {
        let err = Credential::parse("").unwrap_err();
        assert_eq!(err[0].code, "required");
    }

    // R-CRED-2
    #[test]
    fn refuses_a_credential_of_257_characters() {
        let err = Credential::parse(&"a".repeat(257)).unwrap_err();
        assert_eq!(err[0].code, "too_long");
    }

    // R-CRED-2
    #[test]
    fn refuses_spaces_and_non_ascii_in_a_credential() {
        for bad in ["abc def", "abc\tdef", "abcdé", "abc\u{7f}"] {
            let err = Credential::parse(bad).unwrap_err();
            assert_eq!(err[0].code, "forbidden_character", "{bad:?}");
        }
    }

    // R-CRED-3
    #[test]
    fn never_shows_the_value_in_debug_or_violations() {
        let secret = "SuperSecretValue123";
        let c = Credential::parse(secret).unwrap();
        assert_eq!(format!("{c:?}"), "Credential(redacted)");
        let bad = format!("{secret} with space");
        let err = Credential::parse(&bad).unwrap_err();
        assert!(err.iter().all(|v| !v.message.contains(secret)));
    }

    // R-CRED-5: all four replace the stored credentials whole; fewer rotate those sent.
    #[test]
    fn any_and_all_tell_a_partial_rotation_from_a_whole_replacement() {
        let sent = |which: [bool; 4]| {
            let value = |on: bool| on.then(|| Credential::parse("value-1234").unwrap());
            CredentialChanges {
                api_key: value(which[0]),
                api_key_secret: value(which[1]),
                access_token: value(which[2]),
                access_token_secret: value(which[3]),
            }
        };
        let none = sent([false; 4]);
        assert!(!none.any() && !none.all());
        let four = sent([true; 4]);
        assert!(four.any() && four.all());
        for i in 0..4 {
            let mut only = [false; 4];
            only[i] = true;
            assert!(sent(only).any() && !sent(only).all(), "only credential {i}");
            let mut all_but = [true; 4];
            all_but[i] = false;
            assert!(
                sent(all_but).any() && !sent(all_but).all(),
                "all but credential {i}"
            );
        }
    }

    // R-CRED-3
    #[test]
    fn hints_at_the_last_four_characters_only_when_long_enough() {
        assert_eq!(Credential::parse("abcdefgh").unwrap().hint(), "••••efgh");
        assert_eq!(Credential::parse("abcdefg").unwrap().hint(), "••••");
    }
}
