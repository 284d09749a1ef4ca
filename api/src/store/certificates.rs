//! Trust anchors uploaded by the system administrator (R-INTEG-4): public certificates,
//! not secrets.

use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder};

use super::{new_id, now, StoreError, StoreResult};

pub(super) mod entity {
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
}

use entity::{ActiveModel, Column, Entity};

pub type Certificate = entity::Model;

impl Certificate {
    pub fn sha256_fingerprints(&self) -> Vec<String> {
        serde_json::from_value(self.fingerprints.clone()).unwrap_or_default()
    }
}

pub struct NewCertificate {
    pub name: String,
    pub pem: String,
    pub fingerprints: Vec<String>,
    pub bundle_fingerprint: String,
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewCertificate) -> StoreResult<Certificate> {
    let model = ActiveModel {
        id: Set(new_id()),
        name: Set(new.name),
        pem: Set(new.pem),
        fingerprints: Set(serde_json::json!(new.fingerprints)),
        bundle_fingerprint: Set(new.bundle_fingerprint),
        created_at: Set(now()),
    };
    Ok(model.insert(db).await?)
}

pub async fn list<C: ConnectionTrait>(db: &C) -> StoreResult<Vec<Certificate>> {
    Ok(Entity::find().order_by_asc(Column::Id).all(db).await?)
}

pub async fn find<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<Certificate> {
    Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("certificate"))
}

pub async fn delete<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<()> {
    match Entity::delete_by_id(id).exec(db).await?.rows_affected {
        0 => Err(StoreError::NotFound("certificate")),
        _ => Ok(()),
    }
}
