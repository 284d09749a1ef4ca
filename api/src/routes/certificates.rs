//! The "X authentication certificate": PEM trust anchors for every outbound call to X,
//! managed by system administrators (R-INTEG-4).

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use x_connector::trust::{parse_trust_anchors, TrustAnchor};

use crate::{
    audit::{Action, Event, Origin, ResourceType},
    auth::Principal,
    crypto::sha256_hex,
    error::{
        responses::{
            BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable,
            UnsupportedMediaType,
        },
        ApiResult, Problem,
    },
    id::Id,
    input::Fields,
    shapes::Name,
    state::AppState,
    store::{
        self,
        certificates::{Certificate, NewCertificate},
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(upload_certificate)
        .service(list_certificates)
        .service(get_certificate)
        .service(delete_certificate);
}

/// Longest PEM bundle accepted.
const MAX_PEM_CHARS: usize = 256 * 1024;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificateOut {
    #[schema(value_type = Id)]
    pub id: String,
    pub name: String,
    /// SHA-256 fingerprint (hex) of each certificate in the bundle, in order.
    pub sha256_fingerprints: Vec<String>,
    /// The bundle's certificates as PEM, written anew from the upload.
    pub pem: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<Certificate> for CertificateOut {
    fn from(m: Certificate) -> Self {
        Self {
            sha256_fingerprints: m.sha256_fingerprints(),
            id: m.id,
            name: m.name,
            pem: m.pem,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateList {
    pub items: Vec<CertificateOut>,
}

/// Body of `POST /certificates`. The example is a throwaway self-signed root (P-256).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "X API roots", "pem": EXAMPLE_PEM}))]
pub struct CertificateIn {
    /// 1-128 characters.
    #[schema(value_type = Name)]
    name: String,
    /// One or more PEM certificates (`-----BEGIN CERTIFICATE-----`), X.509, at most 256 KiB.
    #[schema(value_type = String, min_length = 1, max_length = 262144)]
    pem: Vec<TrustAnchor>,
}

const EXAMPLE_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBlzCCAT2gAwIBAgIUVmrn+ZPE6nPhZN5gdNXyXpSuVYgwCgYIKoZIzj0EAwIw\nIDEeMBwGA1UEAwwVeGNoYW5uZWwgZXhhbXBsZSByb290MCAXDTI2MTIwMTA4MjAx\nOVoYDzIxMjYxMTA3MDgyMDE5WjAgMR4wHAYDVQQDDBV4Y2hhbm5lbCBleGFtcGxl\nIHJvb3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQANW6UFeFOBj7KpaY5e9Sq\nEhp20OkatlTyhmhH+Fd5rQHD+3ZoRcfTlIjkq3UYD2QU5rfRJufHMToGQB5Bp62c\no1MwUTAdBgNVHQ4EFgQUSg+fC1cufOD8+xNQQ36bCJbo2OQwHwYDVR0jBBgwFoAU\nSg+fC1cufOD8+xNQQ36bCJbo2OQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\nAgNIADBFAiAzQJAp0Gwflc4Area4WUBD7oyKKvXiOewKQdQIofWupgIhAO255QaR\nZBCEoIJQKXopxM/tM+oMiXfuJs+E8GWsJwNu\n-----END CERTIFICATE-----\n";

impl CertificateIn {
    /// Reads the body; the PEM is checked as X.509 here.
    fn read(body: &Value) -> ApiResult<CertificateIn> {
        let mut f = Fields::new(body);
        let name = f.string("name", true, 128);
        let pem = match f.get("pem") {
            Some(Value::String(pem)) if pem.chars().count() > MAX_PEM_CHARS => {
                f.fail("/pem", "too_long", "must be at most 256 KiB");
                None
            }
            Some(Value::String(pem)) => match parse_trust_anchors(pem.as_bytes()) {
                Ok(anchors) => Some(anchors),
                Err(reason) => {
                    f.fail("/pem", "invalid_certificate", reason.to_string());
                    None
                }
            },
            None => {
                f.fail("/pem", "required", "is required");
                None
            }
            Some(_) => {
                f.fail("/pem", "invalid_type", "must be a string");
                None
            }
        };
        f.finish()?;
        Ok(CertificateIn {
            name: name.unwrap_or_default(),
            pem: pem.unwrap_or_default(),
        })
    }
}

/// Uploads a PEM bundle that outbound TLS to X will trust.
#[utoipa::path(tag = "certificates", request_body = CertificateIn, security(("bearer" = [])), responses(
    (status = 201, body = CertificateOut),
    BadRequest, Unauthenticated, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the same certificates are already uploaded"),
))]
#[post("/certificates")]
pub async fn upload_certificate(
    state: web::Data<AppState>,
    principal: Principal,
    origin: Origin,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_system_admin()?;
    let input = CertificateIn::read(&body)?;
    // Only the certificates are kept, written anew: comments and stray bytes of the upload
    // are not stored or shown.
    let pem: String = input.pem.iter().map(|a| a.pem.as_str()).collect();
    let fingerprints: Vec<String> = input
        .pem
        .into_iter()
        .map(|a| a.sha256_fingerprint)
        .collect();
    let new = NewCertificate {
        name: input.name,
        pem,
        bundle_fingerprint: sha256_hex(&fingerprints.join(",")),
        fingerprints,
    };
    let tx = state.store.write().await?;
    let certificate = store::certificates::insert(&tx, new).await?;
    origin
        .record(
            &tx,
            certificate_event(Action::CertificateCreated, &certificate),
        )
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(CertificateOut::from(certificate)))
}

/// Lists the uploaded trust anchors.
#[utoipa::path(tag = "certificates", security(("bearer" = [])), responses(
    (status = 200, body = CertificateList),
    Unauthenticated, Forbidden,
))]
#[get("/certificates")]
pub async fn list_certificates(
    state: web::Data<AppState>,
    principal: Principal,
) -> ApiResult<HttpResponse> {
    principal.require_system_admin()?;
    let rows = store::certificates::list(state.store.reader()).await?;
    Ok(HttpResponse::Ok().json(CertificateList {
        items: rows.into_iter().map(CertificateOut::from).collect(),
    }))
}

async fn find(state: &AppState, principal: &Principal, id: &str) -> ApiResult<Certificate> {
    principal.require_system_admin()?;
    let id = Id::from_path(id, "certificate")?;
    Ok(store::certificates::find(state.store.reader(), id.as_str()).await?)
}

/// Reads one uploaded bundle.
#[utoipa::path(tag = "certificates", security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
    (status = 200, body = CertificateOut),
    Unauthenticated, Forbidden, NotFound,
))]
#[get("/certificates/{id}")]
pub async fn get_certificate(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(CertificateOut::from(find(&state, &principal, &id).await?)))
}

/// Removes a bundle; calls to X stop trusting it.
#[utoipa::path(tag = "certificates", security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
    (status = 204, description = "removed"),
    Unauthenticated, Forbidden, NotFound,
))]
#[delete("/certificates/{id}")]
pub async fn delete_certificate(
    state: web::Data<AppState>,
    principal: Principal,
    origin: Origin,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let found = find(&state, &principal, &id).await?;
    let tx = state.store.write().await?;
    store::certificates::delete(&tx, &found.id).await?;
    origin
        .record(&tx, certificate_event(Action::CertificateDeleted, &found))
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Certificates belong to no tenant: their events are a system administrator's to see.
fn certificate_event(action: Action, certificate: &Certificate) -> Event {
    Event::new(action, ResourceType::Certificate)
        .resource(&certificate.id, Some(certificate.name.clone()))
}
