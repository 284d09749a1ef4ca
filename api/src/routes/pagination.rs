//! Cursor pagination shared by every list: `limit` and an opaque `cursor` in, a page of
//! rows and the `nextCursor` out.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    error::{ApiError, FieldError},
    store::Page,
};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The page asked for; bad parameters are added to `errors`, so one answer names
    /// them with the list's other bad parameters.
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
        checked(errors)?;
        Ok(page)
    }
}

/// 400 naming every bad query parameter, if there is one.
pub fn checked(errors: Vec<FieldError>) -> Result<(), ApiError> {
    match errors.is_empty() {
        true => Ok(()),
        false => Err(ApiError::invalid_query(errors)),
    }
}

/// The rows of the page, and the cursor of the next one when there is more.
pub fn finish<T>(page: &Page, rows: Vec<T>, key: impl Fn(&T) -> &str) -> (Vec<T>, Option<String>) {
    let (rows, next) = page.finish(rows, key);
    (rows, next.map(|key| URL_SAFE_NO_PAD.encode(key)))
}
