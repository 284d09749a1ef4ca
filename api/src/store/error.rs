//! What can go wrong in the store, in the store's own words: no HTTP here. `error.rs`
//! maps each case to a catalogue code once.

use sea_orm::{sqlx, DbErr, RuntimeErr};

/// A unique index or foreign key the database enforced. The table below names every one a
/// client can run into; any other is a race on related resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    ChannelName,
    ChannelApiKey,
    CalledRouteName,
    CertificateBundle,
    TenantName,
    OtherUnique,
    ForeignKey,
}

/// Each unique index by its PostgreSQL name and by the columns SQLite reports.
const UNIQUE_INDEXES: &[(Constraint, &str, &str)] = &[
    (
        Constraint::ChannelName,
        "channels_tenant_name",
        "channels.tenant_id, channels.name",
    ),
    (
        Constraint::ChannelApiKey,
        "channels_tenant_api_key",
        "channels.tenant_id, channels.api_key_fingerprint",
    ),
    (
        Constraint::CalledRouteName,
        "called_routes_tenant_name",
        "called_routes.tenant_id, called_routes.name",
    ),
    (
        Constraint::CertificateBundle,
        "trust_anchors_bundle_fingerprint_key",
        "trust_anchors.bundle_fingerprint",
    ),
    (
        Constraint::TenantName,
        "tenants_name_key",
        "tenants.name_key",
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in the scope asked (the tenant's, for tenant-owned rows).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique index or foreign key refused the write.
    #[error("the write conflicts with {0:?}")]
    Conflict(Constraint),
    /// A conditional write found another version than the one it was given.
    #[error("the row has changed since it was read")]
    Stale,
    #[error("database error: {0}")]
    Db(DbErr),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match constraint_of(&err) {
            Some(constraint) => StoreError::Conflict(constraint),
            None => StoreError::Db(err),
        }
    }
}

fn constraint_of(err: &DbErr) -> Option<Constraint> {
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx::Error::Database(db)))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx::Error::Database(db)))) = err
    else {
        return None;
    };
    match db.kind() {
        sqlx::error::ErrorKind::UniqueViolation => {
            Some(unique_index(db.constraint(), db.message()))
        }
        sqlx::error::ErrorKind::ForeignKeyViolation => Some(Constraint::ForeignKey),
        // SQLite reports an ON DELETE RESTRICT refusal as a trigger constraint (1811).
        _ if db.code().as_deref() == Some("1811") => Some(Constraint::ForeignKey),
        _ => None,
    }
}

/// PostgreSQL names the index; SQLite lists its columns after a fixed prefix.
fn unique_index(name: Option<&str>, message: &str) -> Constraint {
    let columns = message.strip_prefix("UNIQUE constraint failed: ");
    UNIQUE_INDEXES
        .iter()
        .find(|(_, pg, sqlite)| name == Some(*pg) || columns == Some(*sqlite))
        .map_or(Constraint::OtherUnique, |(constraint, ..)| *constraint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_an_index_by_its_postgres_name_or_its_sqlite_columns() {
        assert_eq!(
            unique_index(Some("channels_tenant_name"), "duplicate key"),
            Constraint::ChannelName
        );
        assert_eq!(
            unique_index(
                None,
                "UNIQUE constraint failed: channels.tenant_id, channels.api_key_fingerprint"
            ),
            Constraint::ChannelApiKey
        );
        assert_eq!(
            unique_index(None, "UNIQUE constraint failed: api_tokens.token_hash"),
            Constraint::OtherUnique
        );
    }
}
