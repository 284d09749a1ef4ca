//! `parse_channel`: from a JSON request body to valid settings and credential changes.

use serde::Deserialize;
use serde_json::Value;

use crate::credential::{Credential, CredentialChanges};
use crate::draft::{ChannelDraft, XDraft};
use crate::schema::structural_violations;
use crate::settings::ChannelSettings;
use crate::violation::{Collector, Violation, Violations};

/// Whether the body creates a channel or replaces an existing one's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// All four X credentials are required.
    Create,
    /// Each credential is optional; one left out keeps its stored value (R-CRED-5).
    Update,
}

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
/// Existence of the OU and called routes and uniqueness of the name and API key need the
/// database and are left to the caller.
pub fn parse_channel(body: &Value, mode: Mode) -> Result<ParsedChannel, Violations> {
    let structural = structural_violations(body, mode);
    if !structural.is_empty() {
        return Err(Violations(structural));
    }
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
