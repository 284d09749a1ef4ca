pub use sea_orm_migration::prelude::*;
pub struct Migrator;
#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator { fn migrations() -> Vec<Box<dyn MigrationTrait>> { vec![] } }
