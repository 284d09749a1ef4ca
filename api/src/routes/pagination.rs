//! Cursor pagination shared by every list: `limit` and a `cursor` in, a page of rows and
//! the `nextCursor` out. A cursor is the sort key of the last row of the previous page (an
//! id, or a channel name), so any value of the documented form names a place in the list:
//! the page starts after it.

use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::{
    error::{ApiError, FieldError},
    store::Page,
};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

// For the OpenAPI document only.
/// Where a page starts: the `nextCursor` of the previous page.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, pattern = "^[A-Za-z0-9_-]{1,64}$", example = "0193a1d2-7b8c-7d00-8000-000000000001")]
pub struct Cursor(String);

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
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
            // Every sort key we issue (a channel name, an id) has this form.
            let valid = (1..=64).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid {
                errors.push(FieldError::new(
                    "/query/cursor",
                    "invalid_format",
                    "must be 1-64 letters, digits, `_` or `-`",
                ));
            }
            valid.then(|| c.to_owned())
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
    page.finish(rows, key)
}
