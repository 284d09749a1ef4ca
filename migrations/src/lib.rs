//! Database schema for xchannel: one set of migrations that builds the same schema on
//! SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_foundation;
mod m20261125_000002_trust_anchors;
mod m20261201_000003_leases;
mod m20261205_000004_api_key_per_tenant;
mod m20261205_000005_tenant_names;
mod m20261206_000005_integration;
mod m20261207_000006_messages;
mod m20261208_000007_exports;
mod m20261209_000008_pull_state;
mod m20261209_000009_coverage;
mod m20261210_000010_audit;
mod m20261211_000011_conversations;
mod m20261211_000012_events;
mod m20261212_000013_automation;
mod m20261213_000014_cleanup;

pub use m20261205_000005_tenant_names::tenant_name_key;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261125_000002_trust_anchors::Migration),
            Box::new(m20261201_000003_leases::Migration),
            Box::new(m20261205_000004_api_key_per_tenant::Migration),
            Box::new(m20261205_000005_tenant_names::Migration),
            Box::new(m20261206_000005_integration::Migration),
            Box::new(m20261207_000006_messages::Migration),
            Box::new(m20261208_000007_exports::Migration),
            Box::new(m20261209_000008_pull_state::Migration),
            Box::new(m20261209_000009_coverage::Migration),
            Box::new(m20261210_000010_audit::Migration),
            Box::new(m20261211_000011_conversations::Migration),
            Box::new(m20261211_000012_events::Migration),
            Box::new(m20261212_000013_automation::Migration),
            Box::new(m20261213_000014_cleanup::Migration),
        ]
    }
}
