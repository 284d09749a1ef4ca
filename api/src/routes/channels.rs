//! Channels: create, read, list, replace and delete an X channel, enforcing every rule of
//! R-CRED, R-BASIC and R-ROBOT; credentials are sealed before they reach the database.

use actix_web::{delete, get, http::header, patch, post, put, web, HttpRequest, HttpResponse};
use channel_config::{parse_channel, ChannelSettings, IntegrationStatus, Mode, ParsedChannel};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::integration::{integration_out, IntegrationOut};
use super::pagination::{self, Cursor, PageParams};
use crate::coverage::SyncGap;
use crate::{
    access::Access,
    audit::{self, Action, Event, Origin},
    automation::budget::{self, SendBudget},
    config::Region,
    credentials::{self, CredentialHints, Sealed},
    error::responses::{
        BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, Unprocessable,
        UnsupportedMediaType,
    },
    error::{ApiError, ApiResult, Code, FieldError, Problem},
    id::Id,
    state::AppState,
    store::{
        self,
        called_routes::MULTIMEDIA,
        channels::{Channel, ChannelFilter, ChannelWrite},
        integrations::Integration,
        pull::PullState,
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_channel)
        .service(list_channels)
        .service(get_channel)
        .service(replace_channel)
        .service(patch_channel)
        .service(delete_channel);
}

/// A channel as the API shows it: every setting, no secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "id": "0193a1d2-7b8c-7d00-8000-000000000004",
    "tenantId": "0193a1d2-7b8c-7d00-8000-000000000001",
    "version": 1,
    "status": "draft",
    "name": "x_support_en",
    "type": "x",
    "x": {"accountLevel": "enterprise", "signatureAlgorithm": "SHA-256"},
    "ouId": "0193a1d2-7b8c-7d00-8000-000000000002",
    "skillQueueId": "0193a1d2-7b8c-7d00-8000-000000000003",
    "transferKeywords": ["agent"],
    "workTime": {
        "workday": [{"start": "08:00", "end": "18:00"}],
        "nonWorkday": [{"start": "10:00", "end": "16:00"}]
    },
    "nonWorkingTimeNotification": "We are closed now.",
    "queueReminder": {"mode": "all", "content": "Please wait.", "progressContent": "You are number ${position}"},
    "callTransferInteractionTimes": 3,
    "more": {
        "lastAgentMode": {"enabled": true, "validHours": 24},
        "noCustomerReplyEnd": {"enabled": true, "timeoutSeconds": 600, "reminderSeconds": 300,
                               "reminderText": "Are you still there?", "endText": "Goodbye."},
        "noAgentReplyTransfer": {"enabled": false, "timeoutSeconds": null, "targetSkillQueueId": null},
        "sessionTransfer": {"enabled": true, "allowedTargets": ["agent", "skillQueue"]}
    },
    "robot": {
        "intelligentRobot": {"enabled": true, "robotId": "bot-1"},
        "robotAssistant": {"enabled": false}
    },
    "credentials": {"apiKey": "••••HBog", "apiKeySecret": "••••dyOg", "accessToken": "••••JAEb", "accessTokenSecret": "••••i5kE"},
    "integration": {
        "webhookUrl": "https://xchannel.example.com/webhooks/x/0193a1d2-7b8c-7d00-8000-000000000004",
        "nextStep": "Authenticate the channel's tokens against X (channel integration)",
        "detail": null
    },
    "warnings": [],
    "lastPullAt": null,
    "nextPullAt": null,
    "lastError": null,
    "lastDeliveryAt": null,
    "syncGaps": [],
    "sendBudget": {"remaining": 15, "reserve": 3, "sentLast15Minutes": 0, "sentLast24Hours": 0,
                   "xRemaining": null, "xResetAt": null},
    "createdAt": "2026-12-01T09:30:00Z",
    "updatedAt": "2026-12-01T09:30:00Z"
}))]
pub struct ChannelOut {
    #[schema(value_type = Id)]
    pub id: String,
    #[schema(value_type = Id)]
    pub tenant_id: String,
    /// Increases on every change; the `ETag` is this number in quotes.
    pub version: i32,
    pub status: IntegrationStatus,
    #[serde(flatten)]
    pub settings: ChannelSettings,
    /// Masked hints of the stored X credentials; the values themselves are never shown.
    pub credentials: CredentialHints,
    /// Where the channel stands with X, as `GET /channels/{id}/integration` shows it.
    pub integration: IntegrationOut,
    /// E.g. that SHA-1 is weak (R-CRED-7), that a Basic channel's messages come late, that
    /// X marks the webhook invalid.
    pub warnings: Vec<String>,
    /// When the minute pull (Basic, Pro) last read the channel's DMs at X; null before the
    /// first pull.
    #[schema(required = true)]
    pub last_pull_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the minute pull reads them next (X's rate limit and back-off included); null
    /// when the channel is not pulled.
    #[schema(required = true)]
    pub next_pull_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the last pull failed (X's rate limit, X failing, X refusing the credentials);
    /// null once a pull succeeds.
    #[schema(required = true)]
    pub last_error: Option<PullError>,
    /// When X's last signed delivery to the channel's webhook (Enterprise) was stored.
    #[schema(required = true)]
    pub last_delivery_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Time ranges whose messages may be missing, with the reason, oldest first; empty
    /// when the channel's coverage has no gap (see the README, "Coverage and syncGaps").
    pub sync_gaps: Vec<SyncGap>,
    /// What the channel may still send at X now (service clock): automatic messages
    /// (notices, reminders) are skipped at or below `reserve`, kept for agents' replies.
    pub send_budget: SendBudget,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Why a channel's last pull failed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullError {
    /// One of the integration failure codes: `x_rate_limited`, `x_unreachable`,
    /// `x_unexpected_answer`, `x_credentials_refused`, ...
    pub code: String,
    pub message: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

fn pull_error(pull: &PullState) -> Option<PullError> {
    Some(PullError {
        code: pull.last_error_code.clone()?,
        message: pull.last_error_message.clone().unwrap_or_default(),
        at: pull.last_error_at?,
    })
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelList {
    pub items: Vec<ChannelOut>,
    /// Pass as `cursor` for the next page; always present, `null` on the last page.
    #[schema(value_type = Option<Cursor>, required = true)]
    pub next_cursor: Option<String>,
}

/// The settings stored with a channel.
pub(crate) fn settings_of(m: &Channel) -> ApiResult<ChannelSettings> {
    serde_json::from_value(m.settings.clone()).map_err(|e| {
        ApiError::internal(anyhow::anyhow!(
            "stored settings of channel {} unreadable: {e}",
            m.id
        ))
    })
}

fn channel_out(
    state: &AppState,
    m: Channel,
    integration: Option<&Integration>,
    pull: Option<&PullState>,
    sync_gaps: Vec<SyncGap>,
    send_budget: SendBudget,
) -> ApiResult<ChannelOut> {
    let settings = settings_of(&m)?;
    let credentials = credentials::hints_of(&m);
    let integration = integration_out(state, &m, &settings, integration);
    let mut warnings = settings.warnings();
    warnings.extend(integration.warnings.iter().cloned());
    let pulled = m.status == "active" && m.account_level != "enterprise";
    Ok(ChannelOut {
        warnings,
        last_pull_at: pull.and_then(|p| p.last_pull_at),
        next_pull_at: pull.and_then(|p| p.next_pull_at).filter(|_| pulled),
        last_error: pull.and_then(pull_error),
        last_delivery_at: pull.and_then(|p| p.last_delivery_at),
        id: m.id,
        tenant_id: m.tenant_id,
        version: m.version,
        status: integration.status,
        settings,
        credentials,
        integration,
        sync_gaps,
        send_budget,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// A channel's answer with its integration read now.
async fn channel_out_now(state: &AppState, m: Channel) -> ApiResult<ChannelOut> {
    let integration = store::integrations::find(state.store.reader(), &m.id).await?;
    let pull = store::pull::find(state.store.reader(), &m.id).await?;
    channel_out_with(state, m, integration, pull).await
}

/// A channel's answer from the channel, its integration and pull state, with its sync
/// gaps and send budget read now.
async fn channel_out_with(
    state: &AppState,
    m: Channel,
    integration: Option<Integration>,
    pull: Option<PullState>,
) -> ApiResult<ChannelOut> {
    let gaps = crate::coverage::sync_gaps(state.store.reader(), &m.id).await?;
    let budget = budget::of_channel(
        state.store.reader(),
        &m.id,
        &state.settings.automation.clock,
        state.settings.automation.reserve,
    )
    .await?;
    channel_out(state, m, integration.as_ref(), pull.as_ref(), gaps, budget)
}

fn etag(version: i32) -> header::EntityTag {
    header::EntityTag::new_strong(version.to_string())
}

fn respond(mut builder: actix_web::HttpResponseBuilder, out: ChannelOut) -> HttpResponse {
    builder
        .insert_header(header::ETag(etag(out.version)))
        .json(out)
}

/// Checks what the rules of `channel-config` cannot: the OU and skill queues exist in the
/// tenant and are multimedia routes the caller can see; the region offers X (R-INTEG-5).
async fn check_references(
    state: &AppState,
    access: &Access,
    body: &Value,
    errors: &mut Vec<FieldError>,
) -> ApiResult<()> {
    let db = state.store.reader();
    let reported = |errors: &Vec<FieldError>, p: &str| errors.iter().any(|e| e.pointer == p);
    if state.settings.x.region == Region::ChineseMainland
        && body.get("type").and_then(Value::as_str) == Some("x")
    {
        errors.push(FieldError::new(
            "/type",
            "unavailable_in_region",
            "the X channel is offered only where the deployment is outside the Chinese mainland",
        ));
    }
    // A value that is not one of our ids cannot name a resource: no query needed. Ids are
    // compared as written, as the database will compare them. An empty transfer target
    // means the channel's own queue (R-BASIC-11).
    let reference = |errors: &Vec<FieldError>, pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty() && !reported(errors, pointer))
            .map(|id| Id::parse(id).and(Some(id.to_owned())))
    };
    match reference(errors, "/ouId") {
        Some(Some(ou_id)) if store::ous::exists(db, access.tenant_id(), &ou_id).await? => {}
        Some(_) => errors.push(FieldError::new(
            "/ouId",
            "not_found",
            "no such OU in this tenant",
        )),
        None => {}
    }
    for pointer in [
        "/skillQueueId",
        "/more/noAgentReplyTransfer/targetSkillQueueId",
    ] {
        let not_found =
            || FieldError::new(pointer, "not_found", "no such called route in this tenant");
        let id = match reference(errors, pointer) {
            None => continue,
            Some(Some(id)) => id,
            Some(None) => {
                errors.push(not_found());
                continue;
            }
        };
        match store::called_routes::find(db, access.tenant_id(), &id).await {
            Ok(route) if !access.sees_route(db, &route).await? => errors.push(not_found()),
            Ok(route) if route.media_type != MULTIMEDIA => errors.push(FieldError::new(
                pointer,
                "not_multimedia",
                "must be a multimedia called route",
            )),
            Ok(_) => {}
            Err(store::StoreError::NotFound(_)) => errors.push(not_found()),
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Parses a channel body and checks its references, reporting every problem at once. The
/// parse runs on the blocking pool: a megabyte of JSON to check must not hold up the
/// other requests of an actix worker.
///
/// The name and the API key are checked against the tenant's other channels (`own`: the
/// channel being edited) in the same pass: their conflicts are listed with the rule
/// violations in the 422, or alone in a 409 when nothing else is wrong. The unique
/// indexes still decide a race between two writes.
async fn validated(
    state: &AppState,
    access: &Access,
    body: Value,
    mode: Mode,
    own: Option<&str>,
) -> ApiResult<ParsedChannel> {
    let (body, parsed) = web::block(move || {
        let parsed = parse_channel(&body, mode);
        (body, parsed)
    })
    .await
    .map_err(ApiError::internal)?;
    let mut errors = Vec::new();
    let parsed = parsed.map_err(|v| errors.extend(v.0.into_iter().map(FieldError::from)));
    check_references(state, access, &body, &mut errors).await?;
    let conflicts = check_conflicts(state, access, &body, own, &errors).await?;
    match parsed {
        Ok(parsed) if errors.is_empty() && conflicts.is_empty() => Ok(parsed),
        _ if errors.is_empty() => Err(ApiError::conflicts(conflicts)),
        _ => {
            errors.extend(conflicts);
            Err(ApiError::validation(errors))
        }
    }
}

/// The name and the API key of the body that another channel of the tenant already has,
/// as field errors; a value already refused by the rules is not looked up.
async fn check_conflicts(
    state: &AppState,
    access: &Access,
    body: &Value,
    own: Option<&str>,
    errors: &[FieldError],
) -> ApiResult<Vec<FieldError>> {
    let sent = |pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .filter(|_| !errors.iter().any(|e| e.pointer == pointer))
    };
    let name = sent("/name");
    let fingerprint = sent("/x/apiKey").map(crate::crypto::sha256_hex);
    let (name_taken, key_taken) = store::channels::taken(
        state.store.reader(),
        access.tenant_id(),
        name,
        fingerprint.as_deref(),
        own,
    )
    .await?;
    let mut conflicts = Vec::new();
    if name_taken {
        conflicts.push(FieldError::new(
            "/name",
            Code::ChannelNameTaken.name(),
            "another channel of the tenant has this name",
        ));
    }
    if key_taken {
        conflicts.push(FieldError::new(
            "/x/apiKey",
            Code::ApiKeyInUse.name(),
            "another channel of the tenant uses this X API key",
        ));
    }
    Ok(conflicts)
}

/// The columns a channel's settings and sealed credentials are stored in.
fn channel_write(settings: &ChannelSettings, sealed: Sealed) -> ApiResult<ChannelWrite> {
    Ok(ChannelWrite {
        name: settings.name().as_str().to_owned(),
        channel_type: json_str(&json(settings.channel_type())?),
        ou_id: settings.ou_id().to_owned(),
        skill_queue_id: settings.skill_queue_id().to_owned(),
        transfer_queue_id: settings
            .no_agent_reply_target_skill_queue_id()
            .map(str::to_owned),
        account_level: json_str(&json(settings.account_level())?),
        settings: json(settings)?,
        credentials: sealed.ciphertext,
        api_key_fingerprint: sealed.api_key_fingerprint,
        credential_hints: json(&sealed.hints)?,
        credentials_changed: sealed.changed,
    })
}

fn json(value: impl Serialize) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

fn json_str(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// Creates a channel in `draft` status.
#[utoipa::path(tag = "channels", request_body(content = channel_config::ChannelDraft, description = "The channel. `ouId` and `skillQueueId` are the `id`s that `POST /ous` and `POST /called-routes` answered (the README's first steps); replace the example's ids with yours before trying it out."), security(("bearer" = [])), responses(
    (status = 201, body = ChannelOut, headers(("ETag" = String, description = "the channel's version"))),
    BadRequest,
    Unauthenticated,
    Forbidden,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the name or the API key is already used by another channel of the tenant, and nothing else is wrong: `errors` lists each (`channel_name_taken` at `/name`, `api_key_in_use` at `/x/apiKey`); with rule violations they are listed in the 422 instead"),
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
))]
#[post("/channels")]
pub async fn create_channel(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let parsed = validated(&state, &access, body.into_inner(), Mode::Create, None).await?;
    let id = store::new_id();
    let sealed = credentials::seal_new(&state.keyring, &id, &parsed.credentials)
        .map_err(ApiError::internal)?;
    let write = channel_write(&parsed.settings, sealed)?;
    let tx = state.store.write().await?;
    let channel = store::channels::insert(
        &tx,
        access.tenant_id(),
        id,
        IntegrationStatus::Draft.as_str(),
        write,
    )
    .await?;
    origin
        .record(&tx, Event::channel(Action::ChannelCreated, &channel))
        .await?;
    tx.commit().await?;
    Ok(respond(
        HttpResponse::Created(),
        channel_out_now(&state, channel).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelQuery {
    /// Only channels whose name starts with this (case-sensitive).
    #[param(pattern = "^[A-Za-z0-9_]{1,64}$")]
    pub name_prefix: Option<String>,
    /// Only channels of this OU.
    #[param(value_type = Option<Id>)]
    pub ou_id: Option<String>,
    /// `basic`, `pro` or `enterprise`.
    #[param(value_type = Option<channel_config::AccountLevel>)]
    pub account_level: Option<String>,
    /// `draft`, `verifying`, `active` or `failed`.
    #[param(value_type = Option<IntegrationStatus>)]
    pub status: Option<String>,
    /// Items per page, 1-200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<String>,
}

impl ChannelQuery {
    /// The filter asked for; bad parameters are added to `errors`.
    fn filter<'a>(&self, access: &'a Access, errors: &mut Vec<FieldError>) -> ChannelFilter<'a> {
        let one_of = |name: &str,
                      value: &Option<String>,
                      allowed: &[&str],
                      detail: &str,
                      errors: &mut Vec<FieldError>| {
            let value = value.as_ref()?;
            if allowed.contains(&value.as_str()) {
                return Some(value.clone());
            }
            errors.push(FieldError::new(
                format!("/query/{name}"),
                "invalid_value",
                detail,
            ));
            None
        };
        let name_prefix = self.name_prefix.as_ref().filter(|prefix| {
            let valid = !prefix.is_empty()
                && prefix.len() <= 64
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                errors.push(FieldError::new(
                    "/query/namePrefix",
                    "invalid_format",
                    "must be 1-64 letters, digits or underscores",
                ));
            }
            valid
        });
        ChannelFilter {
            visible_ous: access.visible_ous(),
            name_prefix: name_prefix.cloned(),
            ou_id: Id::from_query("ouId", self.ou_id.as_deref(), errors).map(Id::into_string),
            account_level: one_of(
                "accountLevel",
                &self.account_level,
                &["basic", "pro", "enterprise"],
                "must be basic, pro or enterprise",
                errors,
            ),
            status: one_of(
                "status",
                &self.status,
                &["draft", "verifying", "active", "failed"],
                "must be draft, verifying, active or failed",
                errors,
            ),
        }
    }
}

/// Lists channels by name; tenant users see those of their OUs.
#[utoipa::path(tag = "channels", params(ChannelQuery), security(("bearer" = [])), responses(
    (status = 200, body = ChannelList),
    BadRequest,
    Unauthenticated,
    Forbidden,
))]
#[get("/channels")]
pub async fn list_channels(
    state: web::Data<AppState>,
    access: Access,
    query: web::Query<ChannelQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let page = PageParams {
        limit: query.limit.clone(),
        cursor: query.cursor.clone(),
    }
    .page(&mut errors);
    let filter = query.filter(&access, &mut errors);
    pagination::checked(errors)?;
    let rows =
        store::channels::list(state.store.reader(), access.tenant_id(), filter, &page).await?;
    let (rows, next_cursor) = pagination::finish(&page, rows, |c| &c.name);
    let integrations =
        store::integrations::find_many(state.store.reader(), rows.iter().map(|c| c.id.clone()))
            .await?;
    let pulls =
        store::pull::find_many(state.store.reader(), rows.iter().map(|c| c.id.clone())).await?;
    let mut gaps =
        crate::coverage::sync_gaps_of_many(state.store.reader(), rows.iter().map(|c| c.id.clone()))
            .await?;
    let ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
    let mut budgets = budget::of_channels(
        state.store.reader(),
        &ids,
        &state.settings.automation.clock,
        state.settings.automation.reserve,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|m| {
            let integration = integrations.get(&m.id);
            let pull = pulls.get(&m.id);
            let gaps = gaps.remove(&m.id).unwrap_or_default();
            let budget = budgets.remove(&m.id).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("no send budget for channel {}", m.id))
            })?;
            channel_out(&state, m, integration, pull, gaps, budget)
        })
        .collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok().json(ChannelList { items, next_cursor }))
}

/// Reads a channel; the `ETag` header carries its version, and `If-None-Match` with the
/// current ETag answers 304 without a body.
#[utoipa::path(tag = "channels", security(("bearer" = [])),
    params(("id" = crate::id::Id, Path), ("If-None-Match" = Option<String>, Header, description = "an ETag read earlier")),
    responses(
    (status = 200, body = ChannelOut, headers(("ETag" = String, description = "the channel's version"))),
    (status = 304, description = "the channel still has the version named by If-None-Match"),
    Unauthenticated,
    Forbidden,
    NotFound,
))]
#[get("/channels/{id}")]
pub async fn get_channel(
    state: web::Data<AppState>,
    access: Access,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (channel, integration, pull) = access.channel_with_state(state.store.reader(), &id).await?;
    let current = etag(channel.version);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.trim_start_matches("W/") == current.to_string())
        });
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header(header::ETag(current))
            .finish());
    }
    Ok(respond(
        HttpResponse::Ok(),
        channel_out_with(&state, channel, integration, pull).await?,
    ))
}

/// The version an `If-Match` header asks for: `None` for `*`.
fn if_match(req: &HttpRequest, required: bool) -> ApiResult<Option<Option<i32>>> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return if required {
            Err(ApiError::if_match_required())
        } else {
            Ok(None)
        };
    };
    let value = value.to_str().map_err(|_| ApiError::stale())?.trim();
    if value == "*" {
        return Ok(Some(None));
    }
    // If-Match compares strongly (RFC 9110, 13.1.1): a weak tag never matches.
    if value.starts_with("W/") {
        return Err(ApiError::stale());
    }
    let version = value
        .trim_matches('"')
        .parse::<i32>()
        .map_err(|_| ApiError::stale())?;
    Ok(Some(Some(version)))
}

/// Replaces a channel's settings. Omitted credentials keep their stored values; sent ones
/// replace them (rotation, effective for the next call to X). Needs `If-Match`.
#[utoipa::path(tag = "channels", request_body(content = channel_config::ChannelDraft, description = "The channel. `ouId` and `skillQueueId` are the `id`s that `POST /ous` and `POST /called-routes` answered (the README's first steps); replace the example's ids with yours before trying it out."), security(("bearer" = [])),
    params(("id" = crate::id::Id, Path), ("If-Match" = String, Header, pattern = r#"^(\*|"[0-9]{1,9}")$"#, description = "the ETag read with the channel, or `*`")),
    responses(
    (status = 200, body = ChannelOut, headers(("ETag" = String, description = "the channel's new version"))),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the name or the API key is already used by another channel of the tenant, and nothing else is wrong: `errors` lists each (`channel_name_taken` at `/name`, `api_key_in_use` at `/x/apiKey`); with rule violations they are listed in the 422 instead"),
    (status = 412, body = Problem, content_type = "application/problem+json", description = "the channel changed since it was read"),
    Unprocessable,
    (status = 428, body = Problem, content_type = "application/problem+json", description = "If-Match is missing"),
    PayloadTooLarge,
    UnsupportedMediaType,
))]
#[put("/channels/{id}")]
pub async fn replace_channel(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let current = access.channel(state.store.reader(), &id).await?;
    let expected = expected_version(&req, &current)?;
    let settings = without_read_only(body.into_inner(), &current)?;
    replace(&state, &access, &origin, current, expected, settings).await
}

/// Changes some of a channel's settings: a JSON merge patch (RFC 7396) applied to the
/// channel as `GET` shows it, then checked by the same rules as `PUT`. `null` removes a
/// member; credentials sent rotate, those left out keep their values. Needs `If-Match`.
#[utoipa::path(tag = "channels", security(("bearer" = [])),
    request_body(content = channel_config::ChannelDraft, content_type = "application/merge-patch+json",
        description = "any part of the channel body; members set to null are removed"),
    params(("id" = crate::id::Id, Path), ("If-Match" = String, Header, pattern = r#"^(\*|"[0-9]{1,9}")$"#, description = "the ETag read with the channel, or `*`")),
    responses(
    (status = 200, body = ChannelOut, headers(("ETag" = String, description = "the channel's new version"))),
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the name or the API key is already used by another channel of the tenant, and nothing else is wrong: `errors` lists each (`channel_name_taken` at `/name`, `api_key_in_use` at `/x/apiKey`); with rule violations they are listed in the 422 instead"),
    (status = 412, body = Problem, content_type = "application/problem+json", description = "the channel changed since it was read"),
    Unprocessable,
    (status = 428, body = Problem, content_type = "application/problem+json", description = "If-Match is missing"),
    PayloadTooLarge,
    UnsupportedMediaType,
))]
#[patch("/channels/{id}")]
pub async fn patch_channel(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let media_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = media_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/merge-patch+json") {
        return Err(ApiError::unsupported_media_type_for(
            "application/merge-patch+json",
        ));
    }
    if body.len() > crate::startup::MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large(crate::startup::MAX_BODY_BYTES));
    }
    let patch: Value = serde_json::from_slice(&body).map_err(ApiError::malformed_json)?;
    access.require_admin()?;
    let current = access.channel(state.store.reader(), &id).await?;
    let expected = expected_version(&req, &current)?;
    let mut document = settings_document(&current)?;
    merge_patch(&mut document, patch);
    replace(&state, &access, &origin, current, expected, document).await
}

/// The version `If-Match` names, which must be the current one.
fn expected_version(req: &HttpRequest, current: &Channel) -> ApiResult<i32> {
    let expected = if_match(req, true)
        .map_err(|e| with_current_etag(e, current))?
        .flatten()
        .unwrap_or(current.version);
    match expected == current.version {
        true => Ok(expected),
        false => Err(ApiError::stale_at(current.version)),
    }
}

/// A 412 names the current version, so the client can read again or retry.
fn with_current_etag(error: ApiError, current: &Channel) -> ApiError {
    match error.code() {
        Code::VersionMismatch => ApiError::stale_at(current.version),
        _ => error,
    }
}

async fn replace(
    state: &AppState,
    access: &Access,
    origin: &Origin,
    current: Channel,
    expected: i32,
    body: Value,
) -> ApiResult<HttpResponse> {
    let parsed = validated(state, access, body, Mode::Update, Some(&current.id)).await?;
    let sealed = credentials::seal_edit(&state.keyring, &current, &parsed.credentials)
        .map_err(ApiError::internal)?;
    // An edit of what connects to X sends an active or failed channel back to draft
    // (R-INTEG-3): X has not seen the new connection.
    let connection_changed =
        sealed.changed || settings_of(&current)?.x_connection_differs(&parsed.settings);
    let status = IntegrationStatus::parse(&current.status)
        .unwrap_or(IntegrationStatus::Draft)
        .after_edit(connection_changed);
    let secrets = sealed.changed_secrets.clone();
    let write = channel_write(&parsed.settings, sealed)?;
    let tx = state.store.write().await?;
    let channel = store::channels::replace(&tx, &current, expected, status.as_str(), write).await?;
    let mut changes = audit::diff(&audited(&current), &audited(&channel));
    changes.extend(
        secrets
            .into_iter()
            .map(|(pointer, hint)| audit::Change::secret(pointer, Some(hint))),
    );
    let event = Event::channel(Action::ChannelUpdated, &channel).changes(changes);
    origin.record(&tx, event).await?;
    crate::events::channel_status_changed(
        &tx,
        &channel.tenant_id,
        &channel.id,
        &current.status,
        &channel.status,
        None,
    )
    .await?;
    tx.commit().await?;
    state.webhook_keys.forget(&channel.id);
    Ok(respond(
        HttpResponse::Ok(),
        channel_out_now(state, channel).await?,
    ))
}

/// A channel as its audit trail compares it: the stored settings (no secret is among
/// them) and the integration status an edit may change.
fn audited(channel: &Channel) -> Value {
    let mut document = channel.settings.clone();
    if let Some(members) = document.as_object_mut() {
        members.insert("status".to_owned(), Value::from(channel.status.clone()));
    }
    document
}

/// Members of a channel's answer that the service writes, not the caller.
const READ_ONLY: [&str; 15] = [
    "id",
    "tenantId",
    "version",
    "status",
    "credentials",
    "integration",
    "warnings",
    "lastPullAt",
    "nextPullAt",
    "lastError",
    "lastDeliveryAt",
    "syncGaps",
    "sendBudget",
    "createdAt",
    "updatedAt",
];

/// A `PUT` body may be a channel as `GET` returned it: the read-only members are dropped,
/// but an `id` or `tenantId` naming another channel is refused rather than ignored.
fn without_read_only(mut body: Value, current: &Channel) -> ApiResult<Value> {
    let Some(members) = body.as_object_mut() else {
        return Ok(body);
    };
    let mut errors = Vec::new();
    for (name, own) in [("id", &current.id), ("tenantId", &current.tenant_id)] {
        if members
            .get(name)
            .is_some_and(|sent| sent.as_str() != Some(own.as_str()))
        {
            errors.push(FieldError::new(
                format!("/{name}"),
                "read_only",
                format!("is read-only and must be {own} when sent"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    for name in READ_ONLY {
        members.remove(name);
    }
    Ok(body)
}

/// The channel's settings as a `PUT` body would carry them (no secrets).
fn settings_document(current: &Channel) -> ApiResult<Value> {
    json(settings_of(current)?)
}

/// RFC 7396: objects merge member by member, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: Value) {
    let Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    let Value::Object(members) = target else {
        return;
    };
    for (name, value) in patch {
        if value.is_null() {
            members.remove(&name);
        } else {
            merge_patch(members.entry(name).or_insert(Value::Null), value);
        }
    }
}

/// Deletes a channel. `If-Match` is optional here.
#[utoipa::path(tag = "channels", security(("bearer" = [])), params(("id" = crate::id::Id, Path)), responses(
    (status = 204, description = "deleted"),
    Unauthenticated,
    Forbidden,
    NotFound,
    (status = 412, body = Problem, content_type = "application/problem+json"),
))]
#[delete("/channels/{id}")]
pub async fn delete_channel(
    state: web::Data<AppState>,
    access: Access,
    origin: Origin,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    access.require_admin()?;
    let current = access.channel(state.store.reader(), &id).await?;
    let version = if_match(&req, false)?.flatten();
    let left = left_at_x(&state, &current).await;
    let tx = state.store.write().await?;
    store::channels::delete(&tx, access.tenant_id(), &current.id, version).await?;
    origin
        .record(&tx, Event::channel(Action::ChannelDeleted, &current))
        .await?;
    tx.commit().await?;
    state.webhook_keys.forget(&current.id);
    if let Some(left) = left {
        // Best effort and after the commit: X being down never blocks a delete.
        let state = state.into_inner();
        let channel_id = current.id.clone();
        actix_web::rt::spawn(async move {
            crate::integration::clean_up_at_x(&state, &channel_id, left).await;
        });
    }
    Ok(HttpResponse::NoContent().finish())
}

/// What a channel about to be deleted leaves at X: its subscription, and its webhook.
async fn left_at_x(state: &AppState, channel: &Channel) -> Option<crate::integration::LeftAtX> {
    let db = state.store.reader();
    let integration = store::integrations::find(db, &channel.id).await.ok()??;
    let webhook_id = integration.webhook_id.clone()?;
    let webhook_shared = store::integrations::webhook_used_by_others(db, &channel.id, &webhook_id)
        .await
        .unwrap_or(true);
    let credentials = crate::integration::user_credentials(state, channel).ok()?;
    Some(crate::integration::LeftAtX {
        credentials,
        x_user_id: integration.x_user_id,
        webhook_id: Some(webhook_id),
        webhook_shared,
    })
}
