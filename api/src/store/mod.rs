//! Persistence: the database connection, the sea-orm entities and the queries the routes
//! need.

pub mod api_token;
pub mod called_route;
pub mod channel;
pub mod channels;
pub mod db;
pub mod non_working_day;
pub mod ou;
pub mod tenant;
pub mod trust_anchor;

/// A new resource id: a UUID v7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    // Microseconds are what PostgreSQL keeps; trimming here makes reads equal writes.
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
