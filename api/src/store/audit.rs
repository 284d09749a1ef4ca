//! The audit trail as stored: rows are inserted with the change they describe and read
//! newest first; the only delete is the retention's, by age. No function here edits one.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{entity::prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

use super::{new_id, now, Page, StoreResult};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub at: ChronoDateTimeUtc,
        pub tenant_id: Option<String>,
        pub actor_type: String,
        pub actor_token_id: Option<String>,
        pub actor_label: Option<String>,
        pub actor_role: Option<String>,
        pub action: String,
        pub resource_type: String,
        pub resource_id: Option<String>,
        pub resource_name: Option<String>,
        pub ou_id: Option<String>,
        pub request_id: Option<String>,
        pub changes: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

pub type AuditEvent = entity::Model;

/// What an event is written with; the id and the time are the store's.
pub struct NewAuditEvent {
    pub tenant_id: Option<String>,
    pub actor_type: &'static str,
    pub actor_token_id: Option<String>,
    pub actor_label: Option<String>,
    pub actor_role: Option<&'static str>,
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub ou_id: Option<String>,
    pub request_id: Option<String>,
    /// The change list as JSON.
    pub changes: Option<String>,
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewAuditEvent) -> StoreResult<()> {
    let model = ActiveModel {
        id: Set(new_id()),
        at: Set(now()),
        tenant_id: Set(new.tenant_id),
        actor_type: Set(new.actor_type.to_owned()),
        actor_token_id: Set(new.actor_token_id),
        actor_label: Set(new.actor_label),
        actor_role: Set(new.actor_role.map(str::to_owned)),
        action: Set(new.action.to_owned()),
        resource_type: Set(new.resource_type.to_owned()),
        resource_id: Set(new.resource_id),
        resource_name: Set(new.resource_name),
        ou_id: Set(new.ou_id),
        request_id: Set(new.request_id),
        changes: Set(new.changes),
    };
    Entity::insert(model).exec_without_returning(db).await?;
    Ok(())
}

/// Whose events a list may show.
pub enum Scope<'a> {
    /// Every tenant's and those outside any tenant (a system administrator).
    All,
    /// One tenant's.
    Tenant(&'a str),
    /// The events of the tenant's channels in these OUs (a tenant user).
    Channels {
        tenant_id: &'a str,
        ous: &'a HashSet<String>,
    },
}

/// Who did it: a token, or the service (`system`) or the command line (`cli`).
pub enum ActorFilter {
    Token(String),
    Kind(&'static str),
}

/// The filters of a list; `None` matches all.
#[derive(Default)]
pub struct AuditFilter {
    pub tenant_id: Option<String>,
    pub resource_type: Option<&'static str>,
    pub resource_id: Option<String>,
    pub action: Option<&'static str>,
    pub actor: Option<ActorFilter>,
    /// From this time on, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub to: Option<DateTime<Utc>>,
}

/// Events newest first; the cursor is the id of the last event of the previous page.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: Scope<'_>,
    filter: AuditFilter,
    page: &Page,
) -> StoreResult<Vec<AuditEvent>> {
    let mut query = Entity::find().order_by_desc(Column::Id);
    query = match scope {
        Scope::All => query,
        Scope::Tenant(tenant_id) => query.filter(Column::TenantId.eq(tenant_id)),
        Scope::Channels { tenant_id, ous } => query
            .filter(Column::TenantId.eq(tenant_id))
            .filter(Column::ResourceType.eq("channel"))
            .filter(Column::OuId.is_in(ous.iter().cloned())),
    };
    if let Some(tenant_id) = filter.tenant_id {
        query = query.filter(Column::TenantId.eq(tenant_id));
    }
    if let Some(resource_type) = filter.resource_type {
        query = query.filter(Column::ResourceType.eq(resource_type));
    }
    if let Some(resource_id) = filter.resource_id {
        query = query.filter(Column::ResourceId.eq(resource_id));
    }
    if let Some(action) = filter.action {
        query = query.filter(Column::Action.eq(action));
    }
    query = match filter.actor {
        Some(ActorFilter::Token(token_id)) => query.filter(Column::ActorTokenId.eq(token_id)),
        Some(ActorFilter::Kind(kind)) => query.filter(Column::ActorType.eq(kind)),
        None => query,
    };
    if let Some(from) = filter.from {
        query = query.filter(Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::At.lt(to));
    }
    if let Some(after) = &page.after {
        query = query.filter(Column::Id.lt(after.clone()));
    }
    Ok(query.limit(page.limit + 1).all(db).await?)
}

/// Deletes up to `limit` events older than `before`, the oldest first; returns how many.
pub async fn delete_older_than<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
    limit: u64,
) -> StoreResult<u64> {
    let ids: Vec<String> = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::At.lt(before))
        .order_by_asc(Column::At)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let result = Entity::delete_many()
        .filter(Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
