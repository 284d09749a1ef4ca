//! Tenant names are unique, compared case-insensitively after NFC: `name_key` holds that
//! form and a unique index keeps it, so two concurrent creations of one name make one
//! tenant on either database.
//!
//! A database may already hold tenants whose names share a key. The migration does not
//! fail on them: the oldest tenant (by creation, then id) keeps its name and each later one
//! is renamed with the first free suffix ` (2)`, ` (3)`, ... (shortened to stay within 128
//! characters), so every tenant survives and its new name says it was a duplicate.

use std::collections::HashSet;

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, Statement, TransactionTrait, Value},
};
use unicode_normalization::UnicodeNormalization;

/// The form of a tenant name two names are compared in: NFC, lower case, NFC again (lower
/// casing may decompose a character).
pub fn tenant_name_key(name: &str) -> String {
    let composed: String = name.nfc().collect();
    composed.to_lowercase().nfc().collect()
}

/// The longest tenant name, in characters.
const MAX_NAME: usize = 128;

pub const INDEX: &str = "tenants_name_key";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    NameKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(
                        ColumnDef::new(Tenants::NameKey)
                            .string_len(512)
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        fill_keys(manager).await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Tenants::Table)
                    .col(Tenants::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Tenants::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Tenants::NameKey)
                    .to_owned(),
            )
            .await
    }
}

/// Writes every tenant's key, renaming the later tenants of a shared key (see above).
async fn fill_keys(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let tx = manager.get_connection().begin().await?;
    let rows = tx
        .query_all(Statement::from_string(
            backend,
            "SELECT id, name FROM tenants ORDER BY created_at, id",
        ))
        .await?;
    let tenants = rows
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "id")?,
                row.try_get::<String>("", "name")?,
            ))
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    // Every name its oldest holder keeps is taken before any duplicate is renamed, so a
    // suffix never lands on a name a later tenant already has.
    let mut taken: HashSet<String> = tenants
        .iter()
        .map(|(_, name)| tenant_name_key(name))
        .collect();
    let mut kept: HashSet<String> = HashSet::new();
    let update = match backend {
        sea_orm_migration::sea_orm::DbBackend::Postgres => {
            "UPDATE tenants SET name = $1, name_key = $2 WHERE id = $3"
        }
        _ => "UPDATE tenants SET name = ?, name_key = ? WHERE id = ?",
    };
    for (id, name) in tenants {
        let key = tenant_name_key(&name);
        let (name, key) = if kept.insert(key.clone()) {
            (name, key)
        } else {
            free_name(&name, &taken)
        };
        taken.insert(key.clone());
        tx.execute(Statement::from_sql_and_values(
            backend,
            update,
            [Value::from(name), Value::from(key), Value::from(id)],
        ))
        .await?;
    }
    tx.commit().await
}

/// `name (n)` with the first `n` whose key is not taken.
fn free_name(name: &str, taken: &HashSet<String>) -> (String, String) {
    (2..)
        .map(|n| {
            let suffix = format!(" ({n})");
            let keep = MAX_NAME.saturating_sub(suffix.chars().count());
            let renamed: String = name.chars().take(keep).chain(suffix.chars()).collect();
            let key = tenant_name_key(&renamed);
            (renamed, key)
        })
        .find(|(_, key)| !taken.contains(key))
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_ignores_case_and_composition() {
        assert_eq!(tenant_name_key("CAFÉ"), tenant_name_key("cafe\u{301}"));
        assert_ne!(tenant_name_key("Acme"), tenant_name_key("Acme 2"));
    }

    #[test]
    fn a_later_duplicate_gets_the_first_free_suffix() {
        let taken: HashSet<String> = ["acme", "acme (2)"].map(String::from).into();
        assert_eq!(free_name("ACME", &taken).0, "ACME (3)");
        let long = "a".repeat(128);
        let taken: HashSet<String> = [tenant_name_key(&long)].into();
        let (renamed, _) = free_name(&long, &taken);
        assert_eq!(renamed.chars().count(), 128);
        assert!(renamed.ends_with(" (2)"));
    }
}
