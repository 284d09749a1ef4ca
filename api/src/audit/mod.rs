//! The audit trail: who changed which setting, when. Every change a request, the CLI or
//! the service's own work makes records one event in the change's own transaction, so a
//! refused or rolled-back change leaves none and an accepted one always has one. Secrets
//! never enter an event: a changed secret is `changed: true` with its masked hint at most.

mod diff;
mod origin;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use diff::{diff, Change};
pub use origin::{Actor, Origin, RequestId};

use crate::store::{self, audit::NewAuditEvent, StoreResult};

/// Declares the actions: one row per action, `Variant => "name", "when"`.
macro_rules! actions {
    ($($variant:ident => $name:literal, $when:literal;)*) => {
        /// What was done, `<resource>.<verb>`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Action {
            $(#[doc = $when] #[serde(rename = $name)] $variant,)*
        }

        impl Action {
            /// Every action, in the order of the list above.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }

            /// When the service records it, in words, for the README's list.
            pub fn when(self) -> &'static str {
                match self { $(Action::$variant => $when,)* }
            }

            pub fn parse(name: &str) -> Option<Action> {
                Action::ALL.iter().copied().find(|a| a.as_str() == name)
            }
        }
    };
}

// By hand: the derive would not see the names the macro gives the variants.
impl utoipa::PartialSchema for Action {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let list: String = Action::ALL
            .iter()
            .map(|a| format!("\n- `{}`: {}", a.as_str(), a.when()))
            .collect();
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(format!("What was done, `<resource>.<verb>`:{list}")))
            .enum_values(Some(Action::ALL.iter().map(|a| a.as_str())))
            .into()
    }
}

impl ToSchema for Action {}

actions! {
    TenantCreated => "tenant.created", "POST /tenants";
    TenantUpdated => "tenant.updated", "PATCH /tenants/{id}, with the changed fields";
    TenantDeleted => "tenant.deleted", "DELETE /tenants/{id} (with what it owned)";
    TokenMinted => "token.minted", "POST /tokens, or `xchannel token create` (actor `cli`)";
    TokenRevoked => "token.revoked", "DELETE /tokens/{id}, or `xchannel token revoke` (actor `cli`)";
    OuCreated => "ou.created", "POST /ous";
    OuDeleted => "ou.deleted", "DELETE /ous/{id}";
    CalledRouteCreated => "calledRoute.created", "POST /called-routes";
    CalledRouteDeleted => "calledRoute.deleted", "DELETE /called-routes/{id}";
    ServiceCalendarReplaced => "serviceCalendar.replaced", "PUT /service-calendar, with the days before and after";
    CertificateCreated => "certificate.created", "POST /certificates";
    CertificateDeleted => "certificate.deleted", "DELETE /certificates/{id}";
    ChannelCreated => "channel.created", "POST /channels";
    ChannelUpdated => "channel.updated", "PUT or PATCH /channels/{id}, with the changed fields (secrets only as `changed`)";
    ChannelDeleted => "channel.deleted", "DELETE /channels/{id}";
    IntegrationSubmitted => "integration.submitted", "POST /channels/{id}/integration";
    IntegrationActivated => "integration.activated", "the submit's outcome: X accepted the channel (actor `system`)";
    IntegrationFailed => "integration.failed", "the submit's outcome: X or the service refused it, with the reason (actor `system`)";
    ExportCreated => "export.created", "POST /exports";
    ExportDownloaded => "export.downloaded", "GET /exports/{id}/archive";
    ExportDeleted => "export.deleted", "DELETE /exports/{id}, or its expiry (actor `system`)";
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ResourceType {
    Tenant,
    Token,
    Ou,
    CalledRoute,
    ServiceCalendar,
    Certificate,
    Channel,
    Export,
}

impl ResourceType {
    pub const ALL: &'static [ResourceType] = &[
        ResourceType::Tenant,
        ResourceType::Token,
        ResourceType::Ou,
        ResourceType::CalledRoute,
        ResourceType::ServiceCalendar,
        ResourceType::Certificate,
        ResourceType::Channel,
        ResourceType::Export,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Tenant => "tenant",
            ResourceType::Token => "token",
            ResourceType::Ou => "ou",
            ResourceType::CalledRoute => "calledRoute",
            ResourceType::ServiceCalendar => "serviceCalendar",
            ResourceType::Certificate => "certificate",
            ResourceType::Channel => "channel",
            ResourceType::Export => "export",
        }
    }

    pub fn parse(name: &str) -> Option<ResourceType> {
        ResourceType::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == name)
    }
}

/// One change to record.
pub struct Event {
    pub action: Action,
    /// The tenant the resource belongs to; `None` outside any tenant.
    pub tenant_id: Option<String>,
    pub resource_type: ResourceType,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    /// For a channel: its OU, which decides which tenant users see the event.
    pub ou_id: Option<String>,
    /// For an edit: what changed, secrets redacted.
    pub changes: Vec<Change>,
}

impl Event {
    pub fn new(action: Action, resource_type: ResourceType) -> Event {
        Event {
            action,
            tenant_id: None,
            resource_type,
            resource_id: None,
            resource_name: None,
            ou_id: None,
            changes: Vec::new(),
        }
    }

    pub fn tenant(mut self, tenant_id: impl Into<String>) -> Event {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    pub fn resource(mut self, id: impl Into<String>, name: Option<String>) -> Event {
        self.resource_id = Some(id.into());
        self.resource_name = name;
        self
    }

    pub fn ou(mut self, ou_id: impl Into<String>) -> Event {
        self.ou_id = Some(ou_id.into());
        self
    }

    pub fn changes(mut self, changes: Vec<Change>) -> Event {
        self.changes = changes;
        self
    }

    /// A channel's event: its tenant, id, name and OU.
    pub fn channel(action: Action, channel: &store::channels::Channel) -> Event {
        Event::new(action, ResourceType::Channel)
            .tenant(&channel.tenant_id)
            .resource(&channel.id, Some(channel.name.clone()))
            .ou(&channel.ou_id)
    }
}

/// Writes `event` as done by `actor` in `request_id`, in the caller's transaction.
pub async fn record<C: sea_orm::ConnectionTrait>(
    db: &C,
    actor: &Actor,
    request_id: Option<&str>,
    event: Event,
) -> StoreResult<()> {
    let changes = match event.changes.is_empty() {
        true => None,
        false => Some(serde_json::to_string(&event.changes).map_err(|e| {
            store::StoreError::Db(sea_orm::DbErr::Custom(format!(
                "an audit change list unwritable: {e}"
            )))
        })?),
    };
    let (actor_type, token_id, label, role) = actor.columns();
    store::audit::insert(
        db,
        NewAuditEvent {
            tenant_id: event.tenant_id,
            actor_type,
            actor_token_id: token_id,
            actor_label: label,
            actor_role: role,
            action: event.action.as_str(),
            resource_type: event.resource_type.as_str(),
            resource_id: event.resource_id,
            resource_name: event.resource_name,
            ou_id: event.ou_id,
            request_id: request_id.map(str::to_owned),
            changes,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_and_resource_type_reads_back_from_its_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(*action));
            let json = serde_json::to_value(action).unwrap();
            assert_eq!(json, serde_json::json!(action.as_str()));
        }
        for resource in ResourceType::ALL {
            assert_eq!(ResourceType::parse(resource.as_str()), Some(*resource));
            let json = serde_json::to_value(resource).unwrap();
            assert_eq!(json, serde_json::json!(resource.as_str()));
        }
    }
}
