//! One id type: every resource id the service writes is a UUID (v7) in its hyphenated
//! lowercase form. Anything else cannot name one of our resources.

use std::fmt;

use crate::error::{ApiError, FieldError};

// In the OpenAPI document (`Id`): the form the service writes, in either case; the other
// forms `parse` reads are not advertised.
/// A resource id: a UUID, hyphenated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, utoipa::ToSchema)]
#[schema(
    pattern = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
    example = "0193a1d2-7b8c-7d00-8000-000000000001"
)]
pub struct Id(String);

impl Id {
    /// Reads an id written by a client, in any case or form a UUID parser accepts.
    pub fn parse(text: &str) -> Option<Id> {
        uuid::Uuid::parse_str(text).ok().map(|u| Id(u.to_string()))
    }

    /// An id from the path: one that cannot exist is 404, as an unknown one is.
    pub fn from_path(text: &str, what: &str) -> Result<Id, ApiError> {
        Id::parse(text).ok_or_else(|| ApiError::not_found(what))
    }

    /// An optional id from the query: a malformed one is reported under `/query/<name>`.
    pub fn from_query(name: &str, text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Id> {
        let text = text?;
        let id = Id::parse(text);
        if id.is_none() {
            errors.push(FieldError::new(
                format!("/query/{name}"),
                "invalid_format",
                "is not an id",
            ));
        }
        id
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
