//! Channels: settings as a JSON document, credentials as one sealed ciphertext. Names and
//! API keys are unique through indexes (R-BASIC-1, R-CRED-4); writes are conditional on
//! the version read (R-API-4).

use std::collections::HashSet;

use sea_orm::{
    entity::prelude::*,
    sea_query::{Alias, Func},
    ActiveValue::Set,
    Condition, JoinType, PaginatorTrait, QueryOrder, QuerySelect,
};

use super::{
    integrations::Integration, now, pull::PullState, Page, StoreError, StoreResult, TenantOwned,
};

pub(super) mod entity {
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
        /// Unique within the tenant (index `channels_tenant_api_key`).
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
}

use entity::{ActiveModel, Column, Entity};

/// A channel as stored.
pub type Channel = entity::Model;

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}

/// What a create or a replace writes.
pub struct ChannelWrite {
    pub name: String,
    pub channel_type: String,
    pub ou_id: String,
    pub skill_queue_id: String,
    pub transfer_queue_id: Option<String>,
    pub account_level: String,
    pub settings: Json,
    /// The four credentials sealed together (`credentials.rs`).
    pub credentials: String,
    /// SHA-256 of the API key: the unique index behind "one X project, one channel".
    pub api_key_fingerprint: String,
    pub credential_hints: Json,
    /// Whether the credentials differ from the stored ones (a replace counts versions).
    pub credentials_changed: bool,
}

/// Which channels a list shows.
#[derive(Default)]
pub struct ChannelFilter<'a> {
    /// Only channels of these OUs (what the caller may see); `None`: all.
    pub visible_ous: Option<&'a HashSet<String>>,
    pub name_prefix: Option<String>,
    pub ou_id: Option<String>,
    pub account_level: Option<String>,
    pub status: Option<String>,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    id: String,
    status: &str,
    write: ChannelWrite,
) -> StoreResult<Channel> {
    let at = now();
    let model = ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id.to_owned()),
        name: Set(write.name),
        channel_type: Set(write.channel_type),
        ou_id: Set(write.ou_id),
        skill_queue_id: Set(write.skill_queue_id),
        transfer_queue_id: Set(write.transfer_queue_id),
        account_level: Set(write.account_level),
        status: Set(status.to_owned()),
        status_detail: Set(None),
        settings: Set(write.settings),
        api_key_fingerprint: Set(write.api_key_fingerprint),
        credentials: Set(write.credentials),
        credential_hints: Set(write.credential_hints),
        credentials_version: Set(1),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    };
    Ok(model.insert(db).await?)
}

pub async fn find<C: ConnectionTrait>(db: &C, tenant_id: &str, id: &str) -> StoreResult<Channel> {
    Entity::secure_find(tenant_id)
        .filter(Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("channel"))
}

/// A channel of the tenant with its integration and its pull state, where it has them:
/// what a channel's view shows beside its settings, in one query.
pub async fn find_with_state<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    id: &str,
) -> StoreResult<(Channel, Option<Integration>, Option<PullState>)> {
    use super::{integrations::entity as integration, pull::entity as pull};
    /// `channels.id = <table>.channel_id`, for a table of at most one row per channel.
    fn by_channel<E: EntityTrait>(table: E, channel_id: E::Column) -> RelationDef {
        Entity::belongs_to(table)
            .from(Column::Id)
            .to(channel_id)
            .into()
    }
    Entity::secure_find(tenant_id)
        .filter(Column::Id.eq(id))
        .join(
            JoinType::LeftJoin,
            by_channel(integration::Entity, integration::Column::ChannelId),
        )
        .join(
            JoinType::LeftJoin,
            by_channel(pull::Entity, pull::Column::ChannelId),
        )
        .select_also(integration::Entity)
        .select_also(pull::Entity)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("channel"))
}

/// The channels of these ids, of any tenant: for the service's own work on what it
/// received (each message names its channel).
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = String>,
) -> StoreResult<Vec<Channel>> {
    Ok(Entity::find().filter(Column::Id.is_in(ids)).all(db).await?)
}

/// Channels by name.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    filter: ChannelFilter<'_>,
    page: &Page,
) -> StoreResult<Vec<Channel>> {
    let mut query = Entity::secure_find(tenant_id).order_by_asc(Column::Name);
    if let Some(ous) = filter.visible_ous {
        query = query.filter(Column::OuId.is_in(ous.iter().cloned()));
    }
    if let Some(prefix) = filter.name_prefix {
        // substr(name, 1, n) = prefix: a prefix match without LIKE's wildcards.
        let head = Func::cust(Alias::new("substr"))
            .arg(Expr::col(Column::Name))
            .arg(1)
            .arg(prefix.len() as i32);
        query = query.filter(Expr::expr(head).eq(prefix));
    }
    if let Some(ou_id) = filter.ou_id {
        query = query.filter(Column::OuId.eq(ou_id));
    }
    if let Some(level) = filter.account_level {
        query = query.filter(Column::AccountLevel.eq(level));
    }
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(after) = &page.after {
        query = query.filter(Column::Name.gt(after.clone()));
    }
    Ok(query.limit(page.limit + 1).all(db).await?)
}

/// Replaces a channel's settings if it still has `expected_version`: the version in the
/// WHERE clause makes the check and the write one step, so of two concurrent edits from
/// the same version one wins and the other is `Stale`. `status` is the integration status
/// after the edit (an edit of the X connection sends the channel back to `draft`); it is
/// written only if the status is still the one read, else the edit is `Stale` too.
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    current: &Channel,
    expected_version: i32,
    status: &str,
    write: ChannelWrite,
) -> StoreResult<Channel> {
    let update = ActiveModel {
        status: Set(status.to_owned()),
        name: Set(write.name),
        ou_id: Set(write.ou_id),
        skill_queue_id: Set(write.skill_queue_id),
        transfer_queue_id: Set(write.transfer_queue_id),
        account_level: Set(write.account_level),
        settings: Set(write.settings),
        api_key_fingerprint: Set(write.api_key_fingerprint),
        credentials: Set(write.credentials),
        credential_hints: Set(write.credential_hints),
        credentials_version: Set(current.credentials_version + i32::from(write.credentials_changed)),
        version: Set(expected_version + 1),
        updated_at: Set(now()),
        ..Default::default()
    };
    let result = Entity::update_many()
        .set(update)
        .filter(Column::TenantId.eq(current.tenant_id.as_str()))
        .filter(Column::Id.eq(current.id.as_str()))
        .filter(Column::Version.eq(expected_version))
        .filter(Column::Status.eq(current.status.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::Stale);
    }
    find(db, &current.tenant_id, &current.id).await
}

/// Deletes a channel, only at `version` when one is given.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    id: &str,
    version: Option<i32>,
) -> StoreResult<()> {
    let mut delete = Entity::delete_many()
        .filter(Column::TenantId.eq(tenant_id))
        .filter(Column::Id.eq(id));
    if let Some(version) = version {
        delete = delete.filter(Column::Version.eq(version));
    }
    match delete.exec(db).await?.rows_affected {
        0 if version.is_some() => Err(StoreError::Stale),
        0 => Err(StoreError::NotFound("channel")),
        _ => Ok(()),
    }
}

/// Names of the channels that route to `route_id`, so a route in use is not deleted.
pub async fn names_using_route<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    route_id: &str,
) -> StoreResult<Vec<String>> {
    let uses = Condition::any()
        .add(Column::SkillQueueId.eq(route_id))
        .add(Column::TransferQueueId.eq(route_id));
    let rows = Entity::secure_find(tenant_id)
        .filter(uses)
        .order_by_asc(Column::Name)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| c.name).collect())
}

pub(super) async fn count_in_ou<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    ou_id: &str,
) -> StoreResult<u64> {
    Ok(Entity::secure_find(tenant_id)
        .filter(Column::OuId.eq(ou_id))
        .count(db)
        .await?)
}

/// The most recently sealed credentials of any tenant, to prove at start that the master
/// key opens them: `(channel id, ciphertext)`.
pub async fn newest_sealed_credentials<C: ConnectionTrait>(
    db: &C,
) -> StoreResult<Option<(String, String)>> {
    let newest = Entity::find()
        .order_by_desc(Column::UpdatedAt)
        .one(db)
        .await?;
    Ok(newest.map(|c| (c.id, c.credentials)))
}

/// Which of a name and an API key fingerprint other channels of the tenant already use
/// (`except`: the channel being edited).
pub async fn taken<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    name: Option<&str>,
    api_key_fingerprint: Option<&str>,
    except: Option<&str>,
) -> StoreResult<(bool, bool)> {
    let others = || {
        let query = Entity::secure_find(tenant_id);
        match except {
            Some(id) => query.filter(Column::Id.ne(id)),
            None => query,
        }
    };
    let name_taken = match name {
        Some(name) => others()
            .filter(Column::Name.eq(name))
            .one(db)
            .await?
            .is_some(),
        None => false,
    };
    let key_taken = match api_key_fingerprint {
        Some(fingerprint) => others()
            .filter(Column::ApiKeyFingerprint.eq(fingerprint))
            .one(db)
            .await?
            .is_some(),
        None => false,
    };
    Ok((name_taken, key_taken))
}

/// A channel by id alone, whatever its tenant: for X's public webhook and the background
/// work, which know a channel only by the id in its URL or its lease.
pub async fn find_by_id<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<Option<Channel>> {
    Ok(Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// The credentials' version of an X channel, `None` when there is no such channel: the
/// cheap check behind the webhook key cache.
pub async fn credentials_version<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<Option<i32>> {
    Ok(Entity::find_by_id(id.to_owned())
        .select_only()
        .column(Column::CredentialsVersion)
        .filter(Column::ChannelType.eq("x"))
        .into_tuple::<i32>()
        .one(db)
        .await?)
}
