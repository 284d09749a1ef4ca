//! The OpenAPI document, generated from the handlers (R-API-1); `openapi.yaml` at the
//! repository root is this document, checked for drift by a test.

use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::routes::{called_routes, calendar, certificates, channels, health, ous, tenants, tokens, work_time};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "xchannel",
        description = "Connects X (Twitter) direct messages to a contact center's agents. \
            Every endpoint under /api/v1 takes `Authorization: Bearer <token>`; errors are \
            RFC 9457 problem documents (`application/problem+json`) with a stable `code`.",
        license(name = "Apache-2.0"),
    ),
    servers((url = "/", description = "this service")),
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        tenants::create_tenant,
        tenants::list_tenants,
        tenants::get_tenant,
        tenants::update_tenant,
        certificates::upload_certificate,
        certificates::list_certificates,
        certificates::get_certificate,
        certificates::delete_certificate,
        tokens::create_token,
        tokens::list_tokens,
        tokens::revoke_token,
        ous::create_ou,
        ous::list_ous,
        ous::get_ou,
        ous::delete_ou,
        called_routes::create_route,
        called_routes::list_routes,
        called_routes::get_route,
        called_routes::delete_route,
        calendar::get_calendar,
        calendar::put_calendar,
        channels::create_channel,
        channels::list_channels,
        channels::get_channel,
        channels::replace_channel,
        channels::delete_channel,
        work_time::channel_work_time,
    ),
    modifiers(&BearerAuth, &VersionPrefix),
    tags(
        (name = "channels", description = "X channels: credentials, basic and robot configuration (R-CRED, R-BASIC, R-ROBOT)"),
        (name = "tenants", description = "Tenants (system administrators)"),
        (name = "tokens", description = "Bearer API tokens"),
        (name = "certificates", description = "Trust anchors for TLS to X (system administrators, R-INTEG-4)"),
        (name = "ous", description = "Organizational units"),
        (name = "called-routes", description = "Called routes (skill queues)"),
        (name = "service-calendar", description = "Non-working days"),
        (name = "health", description = "Probes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("xch_...").build()),
        );
    }
}

/// The handlers are mounted under `/api/v1` (the probes at the root); their macros only
/// know the path inside that scope.
struct VersionPrefix;

impl Modify for VersionPrefix {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let paths = std::mem::take(&mut openapi.paths.paths);
        openapi.paths.paths = paths
            .into_iter()
            .map(|(path, item)| match path.as_str() {
                "/healthz" | "/readyz" | "/metrics" => (path, item),
                _ => (format!("/api/v1{path}"), item),
            })
            .collect();
    }
}

/// The document as committed in `openapi.yaml`.
pub fn yaml() -> String {
    ApiDoc::openapi().to_yaml().expect("the OpenAPI document serializes")
}

/// The methods each documented path answers, so a request with another method gets 405
/// and an `Allow` header instead of 404.
pub struct MethodTable(Vec<(Vec<String>, String)>);

impl MethodTable {
    pub fn from_doc() -> Self {
        let doc = ApiDoc::openapi();
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let item = serde_json::to_value(item).unwrap_or_default();
                let methods: Vec<String> = ["get", "put", "post", "delete", "patch"]
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| m.to_uppercase())
                    .collect();
                (segments, methods.join(", "))
            })
            .collect();
        Self(routes)
    }

    /// The `Allow` value for `path`, when it is one of ours.
    pub fn allowed(&self, path: &str) -> Option<&str> {
        let asked: Vec<&str> = path.split('/').collect();
        self.0.iter().find_map(|(segments, allow)| {
            let same = segments.len() == asked.len()
                && segments.iter().zip(&asked).all(|(s, a)| s == a || (s.starts_with('{') && !a.is_empty()));
            same.then_some(allow.as_str())
        })
    }
}
