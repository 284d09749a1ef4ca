//! Channels: settings as a JSON document, credentials as one AES-256-GCM ciphertext.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub channel_type: String,
    pub ou_id: String,
    pub skill_queue_id: String,
    pub transfer_queue_id: Option<String>,
    pub account_level: String,
    pub status: String,
    pub status_detail: Option<String>,
    pub settings: Json,
    #[sea_orm(unique)]
    pub api_key_fingerprint: String,
    pub credentials: String,
    pub credential_hints: Json,
    pub credentials_version: i32,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
