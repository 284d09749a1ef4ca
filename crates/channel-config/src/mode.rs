//! Whether a request body creates a channel or replaces one: the schema and the rules both
//! depend on it, so it sits below both.

/// Whether the body creates a channel or replaces an existing one's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// All four X credentials are required.
    Create,
    /// Each credential is optional; one left out keeps its stored value (R-CRED-5).
    Update,
}
