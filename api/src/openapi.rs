//! The OpenAPI document, generated from the handlers (R-API-1); `openapi.yaml` at the
//! repository root is this document, checked for drift by a test.

use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::openapi_examples::ProblemExamples;
use crate::routes::{
    audit, calendar, called_routes, certificates, channels, conversations, deliveries, events,
    exports, health, integration, messages, ous, reminders, tenants, tokens, webhooks, work_time,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "xchannel",
        description = "Connects X (Twitter) direct messages to a contact center's agents. \
            Every endpoint under /api/v1 takes `Authorization: Bearer <token>`; errors are \
            RFC 9457 problem documents (`application/problem+json`) with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
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
        tenants::delete_tenant,
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
        channels::patch_channel,
        channels::delete_channel,
        integration::get_integration,
        integration::submit_integration,
        work_time::channel_work_time,
        reminders::preview_queue_reminder,
        messages::list_messages,
        events::stream_events,
        conversations::list_conversations,
        conversations::get_conversation,
        conversations::list_conversation_messages,
        conversations::list_automatic_messages,
        conversations::send_reply,
        conversations::queue_conversation,
        conversations::assign_conversation,
        conversations::transfer_conversation,
        conversations::end_conversation,
        reminders::report_queue_position,
        deliveries::receive_delivery,
        webhooks::crc,
        exports::create_export,
        exports::list_exports,
        exports::get_export,
        exports::download_export,
        exports::delete_export,
        audit::list_audit_events,
        audit::channel_history,
    ),
    // The JSON of each event's `data:` line, which no operation names as a body.
    components(schemas(events::EventOut)),
    modifiers(&BearerAuth, &VersionPrefix, &ProblemExamples),
    // In the order of the README's first steps: a tenant, its administrator's token, an
    // OU, a called route, then the channel.
    tags(
        (name = "tenants", description = "Tenants (system administrators). First step: create one."),
        (name = "tokens", description = "Bearer API tokens. Second step: a tenant administrator token for the tenant (`tenantId`: the `id` of `POST /tenants`)."),
        (name = "ous", description = "Organizational units. Third step, with the tenant administrator token."),
        (name = "called-routes", description = "Called routes (skill queues). Fourth step: a multimedia route in the OU (`ouId`: the `id` of `POST /ous`)."),
        (name = "channels", description = "X channels: credentials, basic and robot configuration (R-CRED, R-BASIC, R-ROBOT). Fifth step: `ouId` and `skillQueueId` are the `id`s of `POST /ous` and `POST /called-routes`."),
        (name = "service-calendar", description = "Non-working days"),
        (name = "messages", description = "Direct messages a channel received and sent (R-INGEST-4)"),
        (name = "events", description = "The live event stream of the tenant (Server-Sent Events, resumable with `Last-Event-ID`)"),
        (name = "conversations", description = "Conversations of customers on channels: the hand-over between robot, skill queue and agent (tenant administrators), and replies through X (tenant administrators and agents)"),
        (name = "certificates", description = "Trust anchors for TLS to X (system administrators, R-INTEG-4)"),
        (name = "health", description = "Probes"),
        (name = "webhooks", description = "X's public webhook contract: the CRC challenge and signed deliveries, without a bearer token (R-INGEST-1)"),
        (name = "exports", description = "Encrypted archives of channel settings (R-EXPORT)"),
        (name = "audit", description = "The audit trail: who changed which setting, when; secrets never shown"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("xch_...")
                    .build(),
            ),
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
                _ if path.starts_with("/webhooks/") => (path, item),
                _ => (format!("/api/v1{path}"), item),
            })
            .collect();
    }
}

/// The document as committed in `openapi.yaml`.
///
/// Written by our own emitter rather than utoipa's: every string is quoted (or a literal
/// block), so YAML 1.1 readers (PyYAML, SnakeYAML behind many generators) cannot take
/// `18:00` for a number or `no` for a boolean.
pub fn yaml() -> String {
    let doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
    let mut out = String::new();
    match &doc {
        serde_json::Value::Object(map) => yaml::write_map(map, 0, &mut out),
        other => yaml::write_value(other, 0, &mut out),
    }
    out
}

/// A small block-style YAML writer for JSON values whose output reads the same under YAML
/// 1.1 and 1.2.
mod yaml {
    use serde_json::{Map, Value};

    fn pad(indent: usize, out: &mut String) {
        out.extend(std::iter::repeat_n(' ', indent));
    }

    fn key(k: &str) -> String {
        let plain = k
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '$')
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/{}_-.$".contains(c))
            && !matches!(
                k.to_ascii_lowercase().as_str(),
                "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
            );
        if plain {
            k.to_owned()
        } else {
            quoted(k)
        }
    }

    fn quoted(s: &str) -> String {
        serde_json::to_string(s).unwrap_or_default()
    }

    /// A literal block keeps multi-line prose readable where that is safe.
    fn literal_block(s: &str) -> bool {
        s.contains('\n')
            && !s.ends_with('\n')
            && !s.starts_with([' ', '\t'])
            && s.lines()
                .all(|l| l == l.trim_end() && !l.chars().any(|c| c.is_control()))
    }

    fn write_scalar(value: &Value, indent: usize, out: &mut String) {
        match value {
            Value::String(s) if literal_block(s) => {
                out.push_str(" |-\n");
                for line in s.lines() {
                    if !line.is_empty() {
                        pad(indent, out);
                        out.push_str(line);
                    }
                    out.push('\n');
                }
                return;
            }
            Value::String(s) => {
                out.push(' ');
                out.push_str(&quoted(s));
            }
            Value::Object(_) => out.push_str(" {}"),
            Value::Array(_) => out.push_str(" []"),
            other => {
                out.push(' ');
                out.push_str(&other.to_string());
            }
        }
        out.push('\n');
    }

    /// Writes `value` after a `key:` or `-` already on the line.
    pub fn write_value(value: &Value, indent: usize, out: &mut String) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                out.push('\n');
                write_map(map, indent, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(items, indent, out);
            }
            scalar => write_scalar(scalar, indent, out),
        }
    }

    pub fn write_map(map: &Map<String, Value>, indent: usize, out: &mut String) {
        for (i, (k, v)) in map.iter().enumerate() {
            write_entry(k, v, indent, i == 0 && out.ends_with("- "), out);
        }
    }

    fn write_entry(k: &str, v: &Value, indent: usize, inline: bool, out: &mut String) {
        if !inline {
            pad(indent, out);
        }
        out.push_str(&key(k));
        out.push(':');
        write_value(v, indent + 2, out);
    }

    fn write_seq(items: &[Value], indent: usize, out: &mut String) {
        for item in items {
            pad(indent, out);
            match item {
                Value::Object(map) if !map.is_empty() => {
                    out.push_str("- ");
                    write_map(map, indent + 2, out);
                }
                other => {
                    out.push('-');
                    write_value(other, indent + 2, out);
                }
            }
        }
    }
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
                let mut methods: Vec<String> = ["get", "put", "post", "delete", "patch"]
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| m.to_uppercase())
                    .collect();
                if methods.iter().any(|m| m == "GET") {
                    methods.insert(1, "HEAD".into());
                }
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
                && segments
                    .iter()
                    .zip(&asked)
                    .all(|(s, a)| s == a || (s.starts_with('{') && !a.is_empty()));
            same.then_some(allow.as_str())
        })
    }
}
