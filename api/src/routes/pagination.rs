//! Cursor pagination shared by every list: `limit` and an opaque `cursor`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// A validated page request: how many, and the sort key to continue after.
pub struct Page {
    pub limit: u64,
    pub after: Option<String>,
}

impl PageParams {
    pub fn page(&self, errors: &mut Vec<FieldError>) -> Page {
        let limit = match self.limit.as_deref().map(str::parse::<u64>) {
            None => DEFAULT_LIMIT,
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                errors.push(FieldError::new(
                    "/query/limit",
                    "out_of_range",
                    format!("must be between 1 and {MAX_LIMIT}"),
                ));
                DEFAULT_LIMIT
            }
        };
        let after = self.cursor.as_deref().and_then(|c| {
            let decoded = URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                // Every sort key we issue (a channel name, an id) is printable ASCII.
                .filter(|key| !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic()));
            if decoded.is_none() {
                errors.push(FieldError::new("/query/cursor", "invalid_format", "is not a cursor this service issued"));
            }
            decoded
        });
        Page { limit, after }
    }

    /// The page, or 400 naming the bad parameters.
    pub fn validated(&self) -> Result<Page, ApiError> {
        let mut errors = Vec::new();
        let page = self.page(&mut errors);
        if errors.is_empty() { Ok(page) } else { Err(ApiError::InvalidQuery(errors)) }
    }
}

/// A query parameter that must be one of our ids; anything else is a 400 naming it.
pub fn id_param(name: &str, value: Option<&String>, errors: &mut Vec<FieldError>) -> Option<String> {
    let value = value?;
    match uuid::Uuid::parse_str(value) {
        Ok(id) => Some(id.to_string()),
        Err(_) => {
            errors.push(FieldError::new(format!("/query/{name}"), "invalid_format", "is not an id"));
            None
        }
    }
}

/// Trims the one extra row fetched to learn whether another page exists.
pub fn finish<T>(mut rows: Vec<T>, limit: u64, key: impl Fn(&T) -> &str) -> (Vec<T>, Option<String>) {
    if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(|r| URL_SAFE_NO_PAD.encode(key(r)));
        (rows, next)
    } else {
        (rows, None)
    }
}
