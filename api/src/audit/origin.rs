//! Who made a change and in which request: the actor of an audit event (a token, the
//! service itself, the command line) and the request id the logs carry.

use std::{future::Future, pin::Pin};

use actix_web::{dev::Payload, FromRequest, HttpMessage, HttpRequest};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Event;
use crate::{
    auth::{Principal, Role},
    error::ApiError,
    store::StoreResult,
};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Actor {
    /// A request authenticated with this API token.
    #[serde(rename_all = "camelCase")]
    Token {
        #[schema(value_type = crate::id::Id)]
        token_id: String,
        /// The token's label when it was used.
        label: Option<String>,
        role: Role,
    },
    /// The service's own background work (an integration's outcome, an export's expiry).
    System,
    /// The `xchannel` command line on the host.
    Cli,
}

impl Actor {
    pub fn of(principal: &Principal) -> Actor {
        Actor::Token {
            token_id: principal.token_id.clone(),
            label: principal.label.clone(),
            role: principal.role,
        }
    }

    /// The columns of `audit_events` it is stored in: type, token id, label, role.
    pub(super) fn columns(
        &self,
    ) -> (
        &'static str,
        Option<String>,
        Option<String>,
        Option<&'static str>,
    ) {
        match self {
            Actor::Token {
                token_id,
                label,
                role,
            } => (
                "token",
                Some(token_id.clone()),
                label.clone(),
                Some(role.as_str()),
            ),
            Actor::System => ("system", None, None, None),
            Actor::Cli => ("cli", None, None, None),
        }
    }

    /// The actor stored in these columns.
    pub fn from_columns(
        actor_type: &str,
        token_id: Option<String>,
        label: Option<String>,
        role: Option<&str>,
    ) -> Actor {
        match actor_type {
            "token" => Actor::Token {
                token_id: token_id.unwrap_or_default(),
                label,
                role: role.and_then(Role::parse).unwrap_or(Role::TenantUser),
            },
            "cli" => Actor::Cli,
            _ => Actor::System,
        }
    }
}

/// The request id `startup.rs` gives every request, for handlers to read.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Where a change comes from: the actor and the request. A handler that changes anything
/// takes one and records its event with it, in the change's transaction.
#[derive(Debug, Clone)]
pub struct Origin {
    pub actor: Actor,
    pub request_id: Option<String>,
}

impl Origin {
    /// The service's own work.
    pub fn system() -> Origin {
        Origin {
            actor: Actor::System,
            request_id: None,
        }
    }

    /// The command line.
    pub fn cli() -> Origin {
        Origin {
            actor: Actor::Cli,
            request_id: None,
        }
    }

    /// Records `event` in `db`, the transaction of the change.
    pub async fn record<C: ConnectionTrait>(&self, db: &C, event: Event) -> StoreResult<()> {
        super::record(db, &self.actor, self.request_id.as_deref(), event).await
    }
}

impl FromRequest for Origin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = Principal::from_request(req, payload);
        let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
        Box::pin(async move {
            let principal = principal.await?;
            Ok(Origin {
                actor: Actor::of(&principal),
                request_id,
            })
        })
    }
}
