//! The audit trail, read-only: `GET /audit-events` and a channel's history. No endpoint
//! edits or deletes an event; they go only by age (`workers/retention.rs`).

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::pagination::{self, Cursor, PageParams};
use crate::{
    access::Access,
    audit::{Action, Actor, Change, ResourceType},
    auth::{Principal, Role},
    error::responses::{BadRequest, Forbidden, NotFound, Unauthenticated},
    error::{ApiError, ApiResult, FieldError},
    id::Id,
    state::AppState,
    store::{
        self,
        audit::{ActorFilter, AuditEvent, AuditFilter, Scope},
        Page,
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_audit_events).service(channel_history);
}

/// What an event is about, as it was named when the event was recorded.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditResource {
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
    /// `null` only for what has no id of its own.
    #[schema(value_type = Option<Id>)]
    pub id: Option<String>,
    pub name: Option<String>,
}

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "id": "0193a1d2-7b8c-7d00-8000-0000000000a1",
    "at": "2026-12-10T09:30:00.123456Z",
    "actor": {"type": "token", "tokenId": "0193a1d2-7b8c-7d00-8000-000000000010", "label": "Acme administrator", "role": "tenant-admin"},
    "tenantId": "0193a1d2-7b8c-7d00-8000-000000000001",
    "action": "channel.updated",
    "resource": {"type": "channel", "id": "0193a1d2-7b8c-7d00-8000-000000000004", "name": "x_support_en"},
    "requestId": "5f0c6a52-3f1e-4c1b-9a53-2a1f2b8e7c10",
    "changes": [
        {"pointer": "/x/signatureAlgorithm", "before": "SHA-256", "after": "SHA-1"},
        {"pointer": "/x/apiKeySecret", "changed": true, "hint": "••••dyOg"}
    ]
}))]
pub struct AuditEventOut {
    #[schema(value_type = Id)]
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// `null` for what belongs to no tenant (certificates, system tokens).
    #[schema(value_type = Option<Id>)]
    pub tenant_id: Option<String>,
    pub action: Action,
    pub resource: AuditResource,
    /// The `x-request-id` of the request that made the change, as in the logs; `null` for
    /// the service's own work and the command line.
    pub request_id: Option<String>,
    /// For an edit, each changed field; empty otherwise. A secret is never shown: its
    /// change is `changed: true` with the masked hint at most.
    pub changes: Vec<Change>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventList {
    /// Newest first.
    pub items: Vec<AuditEventOut>,
    /// Pass as `cursor` for the next page; always present, `null` on the last page.
    #[schema(value_type = Option<Cursor>, required = true)]
    pub next_cursor: Option<String>,
}

fn event_out(row: AuditEvent) -> ApiResult<AuditEventOut> {
    let unreadable = |what: &str| {
        ApiError::internal(anyhow::anyhow!(
            "audit event {} has an unreadable {what}",
            row.id
        ))
    };
    let action = Action::parse(&row.action).ok_or_else(|| unreadable("action"))?;
    let resource_type =
        ResourceType::parse(&row.resource_type).ok_or_else(|| unreadable("resource type"))?;
    let changes = match &row.changes {
        Some(json) => serde_json::from_str(json).map_err(|_| unreadable("change list"))?,
        None => Vec::new(),
    };
    Ok(AuditEventOut {
        actor: Actor::from_columns(
            &row.actor_type,
            row.actor_token_id,
            row.actor_label,
            row.actor_role.as_deref(),
        ),
        id: row.id,
        at: row.at,
        tenant_id: row.tenant_id,
        action,
        resource: AuditResource {
            resource_type,
            id: row.resource_id,
            name: row.resource_name,
        },
        request_id: row.request_id,
        changes,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditQuery {
    /// Only events about this kind of resource.
    #[param(value_type = Option<ResourceType>)]
    pub resource_type: Option<String>,
    /// Only events about the resource with this id.
    #[param(value_type = Option<Id>)]
    pub resource_id: Option<String>,
    /// Only events of this action.
    #[param(value_type = Option<Action>)]
    pub action: Option<String>,
    /// Only events of this actor: a token id, `system` or `cli`.
    #[param(value_type = Option<String>, pattern = "^(system|cli|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$")]
    pub actor: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub from: Option<String>,
    /// Only events before this time (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub to: Option<String>,
    /// Only events of this tenant (for a system administrator; a tenant token sees its own
    /// tenant's at most).
    #[param(value_type = Option<Id>)]
    pub tenant_id: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistoryQuery {
    /// Only events of this action.
    #[param(value_type = Option<Action>)]
    pub action: Option<String>,
    /// Only events of this actor: a token id, `system` or `cli`.
    #[param(value_type = Option<String>, pattern = "^(system|cli|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$")]
    pub actor: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub from: Option<String>,
    /// Only events before this time (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub to: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<String>,
}

/// The filters both lists share, each bad one added to `errors`.
struct Common<'a> {
    action: Option<&'a str>,
    actor: Option<&'a str>,
    from: Option<&'a str>,
    to: Option<&'a str>,
    limit: Option<&'a String>,
    cursor: Option<&'a String>,
}

impl Common<'_> {
    fn read(self, errors: &mut Vec<FieldError>) -> (AuditFilter, Page) {
        let page = PageParams {
            limit: self.limit.cloned(),
            cursor: self.cursor.cloned(),
        }
        .page(errors);
        let action = self.action.and_then(|name| {
            let action = Action::parse(name);
            if action.is_none() {
                errors.push(FieldError::new(
                    "/query/action",
                    "invalid_value",
                    "is not an action of the audit trail (see the README's list)",
                ));
            }
            action.map(Action::as_str)
        });
        let actor = self.actor.and_then(|actor| match actor {
            "system" => Some(ActorFilter::Kind("system")),
            "cli" => Some(ActorFilter::Kind("cli")),
            _ => match Id::parse(actor) {
                Some(id) => Some(ActorFilter::Token(id.into_string())),
                None => {
                    errors.push(FieldError::new(
                        "/query/actor",
                        "invalid_value",
                        "must be a token id, system or cli",
                    ));
                    None
                }
            },
        });
        // A `to` before `from` is an empty window, as an unknown id is an empty list.
        let from = time("from", self.from, errors);
        let to = time("to", self.to, errors);
        let filter = AuditFilter {
            action,
            actor,
            from,
            to,
            ..AuditFilter::default()
        };
        (filter, page)
    }
}

fn time(name: &str, text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    let text = text?;
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) => Some(at.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(
                format!("/query/{name}"),
                "invalid_format",
                "must be an RFC 3339 time such as 2026-12-10T09:30:00Z",
            ));
            None
        }
    }
}

async fn page_of(
    state: &AppState,
    scope: Scope<'_>,
    filter: AuditFilter,
    page: &Page,
) -> ApiResult<HttpResponse> {
    let rows = store::audit::list(state.store.reader(), scope, filter, page).await?;
    let (rows, next_cursor) = pagination::finish(page, rows, |e| &e.id);
    let items = rows.into_iter().map(event_out).collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok().json(AuditEventList { items, next_cursor }))
}

/// Lists the audit trail, newest first. A system administrator sees every event (and
/// filters by `tenantId`); a tenant administrator, its tenant's; a tenant user, those of
/// the channels of its OUs.
#[utoipa::path(tag = "audit", params(AuditQuery), security(("bearer" = [])), responses(
    (status = 200, body = AuditEventList),
    BadRequest,
    Unauthenticated,
))]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let (mut filter, page) = Common {
        action: query.action.as_deref(),
        actor: query.actor.as_deref(),
        from: query.from.as_deref(),
        to: query.to.as_deref(),
        limit: query.limit.as_ref(),
        cursor: query.cursor.as_ref(),
    }
    .read(&mut errors);
    filter.resource_type = query.resource_type.as_deref().and_then(|name| {
        let resource_type = ResourceType::parse(name);
        if resource_type.is_none() {
            errors.push(FieldError::new(
                "/query/resourceType",
                "invalid_value",
                "must be tenant, token, ou, calledRoute, serviceCalendar, certificate, channel or export",
            ));
        }
        resource_type.map(ResourceType::as_str)
    });
    filter.resource_id = Id::from_query("resourceId", query.resource_id.as_deref(), &mut errors)
        .map(Id::into_string);
    // Like every filter it narrows what the caller sees: another tenant's id shows a
    // tenant token nothing.
    filter.tenant_id =
        Id::from_query("tenantId", query.tenant_id.as_deref(), &mut errors).map(Id::into_string);
    pagination::checked(errors)?;
    if principal.role == Role::SystemAdmin {
        return page_of(&state, Scope::All, filter, &page).await;
    }
    let access = Access::load(state.store.reader(), principal).await?;
    let scope = match access.visible_ous() {
        None => Scope::Tenant(access.tenant_id()),
        Some(ous) => Scope::Channels {
            tenant_id: access.tenant_id(),
            ous,
        },
    };
    page_of(&state, scope, filter, &page).await
}

/// A channel's history: the audit trail of this one channel, newest first (its edits,
/// integration submits and their outcomes), for whoever may see the channel.
#[utoipa::path(tag = "channels", params(("id" = Id, Path), HistoryQuery), security(("bearer" = [])), responses(
    (status = 200, body = AuditEventList),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/channels/{id}/history")]
pub async fn channel_history(
    state: web::Data<AppState>,
    access: Access,
    id: web::Path<String>,
    query: web::Query<HistoryQuery>,
) -> ApiResult<HttpResponse> {
    let channel = access.channel(state.store.reader(), &id).await?;
    let mut errors = Vec::new();
    let (mut filter, page) = Common {
        action: query.action.as_deref(),
        actor: query.actor.as_deref(),
        from: query.from.as_deref(),
        to: query.to.as_deref(),
        limit: query.limit.as_ref(),
        cursor: query.cursor.as_ref(),
    }
    .read(&mut errors);
    pagination::checked(errors)?;
    filter.resource_type = Some(ResourceType::Channel.as_str());
    filter.resource_id = Some(channel.id);
    page_of(&state, Scope::Tenant(access.tenant_id()), filter, &page).await
}
