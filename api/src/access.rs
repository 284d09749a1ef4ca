//! Who sees what, in one room. A tenant administrator sees the whole tenant; a tenant
//! user sees what belongs to its OUs and the OUs below them, and, when the tenant enforces
//! OU isolation, only the called routes of those OUs (R-TENANT-4). Anything not visible
//! answers 404, as if it did not exist. Computed once per request, by the extractor.

use std::{collections::HashSet, future::Future, pin::Pin};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use sea_orm::ConnectionTrait;
use tokio::sync::OnceCell;

use crate::{
    auth::{Principal, Role},
    error::{ApiError, ApiResult},
    id::Id,
    state::AppState,
    store::{
        self, called_routes::CalledRoute, channels::Channel, conversations::Conversation,
        integrations::Integration, ous::Ou, pull::PullState,
    },
};

/// A caller acting inside one tenant, with what it may see.
pub struct Access {
    principal: Principal,
    tenant_id: String,
    /// `None`: the whole tenant.
    ous: Option<HashSet<String>>,
    /// The OUs whose routes the caller sees (`None`: all); read on first use.
    route_ous: OnceCell<Option<HashSet<String>>>,
}

impl Access {
    /// What `principal` sees in its tenant; system administrators act in none (403).
    pub async fn load<C: ConnectionTrait>(db: &C, principal: Principal) -> ApiResult<Access> {
        let tenant_id = principal.tenant_id()?.to_owned();
        let ous = match principal.role {
            Role::TenantUser | Role::Agent => {
                let all = store::ous::list(db, &tenant_id).await?;
                Some(store::ous::with_descendants(&all, &principal.ou_ids))
            }
            _ => None,
        };
        let route_ous = match &ous {
            None => OnceCell::new_with(Some(None)),
            Some(_) => OnceCell::new(),
        };
        Ok(Access {
            principal,
            tenant_id,
            ous,
            route_ous,
        })
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn is_admin(&self) -> bool {
        self.principal.role == Role::TenantAdmin
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "this needs a tenant administrator token",
            ))
        }
    }

    /// The OUs this caller sees, or `None` for the whole tenant.
    pub fn visible_ous(&self) -> Option<&HashSet<String>> {
        self.ous.as_ref()
    }

    /// Whether something that belongs to `ou_id` is visible to this caller.
    pub fn sees_ou(&self, ou_id: &str) -> bool {
        self.ous.as_ref().is_none_or(|ous| ous.contains(ou_id))
    }

    /// The OUs whose called routes this caller sees, or `None` for all: with isolation
    /// enforced, a user that is not an administrator sees only its own OUs' routes.
    pub async fn route_ous<C: ConnectionTrait>(
        &self,
        db: &C,
    ) -> ApiResult<Option<&HashSet<String>>> {
        let ous = self
            .route_ous
            .get_or_try_init(|| async {
                let tenant = store::tenants::find(db, &self.tenant_id).await?;
                Ok::<_, ApiError>(self.ous.clone().filter(|_| tenant.ou_isolation))
            })
            .await?;
        Ok(ous.as_ref())
    }

    pub async fn sees_route<C: ConnectionTrait>(
        &self,
        db: &C,
        route: &CalledRoute,
    ) -> ApiResult<bool> {
        Ok(self
            .route_ous(db)
            .await?
            .is_none_or(|ous| ous.contains(&route.ou_id)))
    }

    /// A channel of the tenant that the caller may see, or 404.
    pub async fn channel<C: ConnectionTrait>(&self, db: &C, id: &str) -> ApiResult<Channel> {
        let id = Id::from_path(id, "channel")?;
        let channel = store::channels::find(db, &self.tenant_id, id.as_str()).await?;
        self.visible_channel(&channel)?;
        Ok(channel)
    }

    /// As [`Access::channel`], with the channel's integration and pull state (one query).
    pub async fn channel_with_state<C: ConnectionTrait>(
        &self,
        db: &C,
        id: &str,
    ) -> ApiResult<(Channel, Option<Integration>, Option<PullState>)> {
        let id = Id::from_path(id, "channel")?;
        let found = store::channels::find_with_state(db, &self.tenant_id, id.as_str()).await?;
        self.visible_channel(&found.0)?;
        Ok(found)
    }

    fn visible_channel(&self, channel: &Channel) -> ApiResult<()> {
        match self.sees_ou(&channel.ou_id) {
            true => Ok(()),
            false => Err(ApiError::not_found("channel")),
        }
    }

    /// A conversation of the tenant on a channel the caller may see, with that channel, or
    /// 404.
    pub async fn conversation<C: ConnectionTrait>(
        &self,
        db: &C,
        id: &str,
    ) -> ApiResult<(Conversation, Channel)> {
        let id = Id::from_path(id, "conversation")?;
        let conversation = store::conversations::find(db, &self.tenant_id, id.as_str()).await?;
        let channel = store::channels::find(db, &self.tenant_id, &conversation.channel_id).await?;
        match self.sees_ou(&channel.ou_id) {
            true => Ok((conversation, channel)),
            false => Err(ApiError::not_found("conversation")),
        }
    }

    /// Replies to customers: tenant administrators and agents (in the conversations they
    /// see); tenant users only read.
    pub fn require_replier(&self) -> ApiResult<()> {
        match self.principal.role {
            Role::TenantAdmin | Role::Agent => Ok(()),
            _ => Err(ApiError::forbidden(
                "replies need an agent or tenant administrator token",
            )),
        }
    }

    /// Transfers of conversations: tenant administrators and agents (in the conversations
    /// they see); the rest of the hand-over is the administrators' (the router's).
    /// Whether the caller is an agent (the channel's transfer rules bind agents; the router,
    /// a tenant administrator, moves conversations whatever they say).
    pub fn is_agent(&self) -> bool {
        self.principal.role == Role::Agent
    }

    pub fn require_transferrer(&self) -> ApiResult<()> {
        match self.principal.role {
            Role::TenantAdmin | Role::Agent => Ok(()),
            _ => Err(ApiError::forbidden(
                "transfers need an agent or tenant administrator token",
            )),
        }
    }

    /// An OU of the tenant that the caller may see, or 404.
    pub async fn ou<C: ConnectionTrait>(&self, db: &C, id: &str) -> ApiResult<Ou> {
        let id = Id::from_path(id, "OU")?;
        let ou = store::ous::find(db, &self.tenant_id, id.as_str()).await?;
        match self.sees_ou(&ou.id) {
            true => Ok(ou),
            false => Err(ApiError::not_found("OU")),
        }
    }

    /// A called route of the tenant that the caller may see, or 404.
    pub async fn route<C: ConnectionTrait>(&self, db: &C, id: &str) -> ApiResult<CalledRoute> {
        let id = Id::from_path(id, "called route")?;
        let route = store::called_routes::find(db, &self.tenant_id, id.as_str()).await?;
        match self.sees_route(db, &route).await? {
            true => Ok(route),
            false => Err(ApiError::not_found("called route")),
        }
    }
}

impl FromRequest for Access {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = Principal::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let principal = principal.await?;
            let state =
                state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no application state")))?;
            Access::load(state.store.reader(), principal).await
        })
    }
}
