//! Trust anchors uploaded by the system administrator (R-INTEG-4); public certificates,
//! not secrets.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "trust_anchors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub pem: String,
    /// SHA-256 fingerprints of the bundle's certificates, in order.
    pub fingerprints: Json,
    /// SHA-256 over the certificates' fingerprints: the same bundle is stored once.
    #[sea_orm(unique)]
    pub bundle_fingerprint: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
