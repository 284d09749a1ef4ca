//! The bearer extractor: `Authorization: Bearer xch_...` -> the `Principal` of a request.

use std::{future::Future, pin::Pin};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::{
    auth::{Principal, Role, TOKEN_PREFIX},
    crypto,
    error::ApiError,
    state::AppState,
    store,
};

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(ApiError::unauthenticated());
            };
            if !token.starts_with(TOKEN_PREFIX) {
                return Err(ApiError::unauthenticated());
            }
            let hash = crypto::sha256_hex(&token);
            if let Some(principal) = state.token_cache.get(&hash) {
                return Ok(principal);
            }
            let row = store::tokens::find_active_by_hash(state.store.reader(), &hash)
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            let principal = Principal {
                role: Role::parse(&row.role).ok_or_else(ApiError::unauthenticated)?,
                ou_ids: row.ou_ids(),
                label: row.label,
                token_id: row.id,
                tenant_id: row.tenant_id,
            };
            state.token_cache.put(hash, principal.clone());
            Ok(principal)
        })
    }
}
