//! The X connector's client against the fake X: every endpoint, and X's failure modes
//! (401, 429 with reset, 5xx, timeout, malformed JSON). R-INTEG-2, R-INGEST-2, R-INGEST-6, R-CRED-7.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use x_connector::client::{Authentication, DmEventsQuery, WalkStop};
use x_connector::webhook::{WebhookDelivery, WebhookKey, SIGNATURE_HEADER};
use x_connector::{
    AppCredentials, RateLimit, Secret, SignatureMethod, UserCredentials, XClient, XClientConfig,
    XError,
};
use xchannel_tests::fake_x::{Endpoint, FakeAccount, FakeX, Fault};

const API_KEY: &str = "channel-api-key";
const API_KEY_SECRET: &str = "channel-api-key-secret";
const ACCESS_TOKEN: &str = "1500000000000000001-access-token";
const ACCESS_TOKEN_SECRET: &str = "access-token-secret";
const USER_ID: &str = "1500000000000000001";
const CUSTOMER_ID: &str = "2500000000000000002";

async fn fake_x() -> FakeX {
    let fake = FakeX::start().await.expect("fake X starts");
    fake.add_app(API_KEY, API_KEY_SECRET);
    fake.add_account(FakeAccount {
        user_id: USER_ID.into(),
        name: "Contact Center".into(),
        username: "contact_center".into(),
        api_key: API_KEY.into(),
        access_token: ACCESS_TOKEN.into(),
        access_token_secret: ACCESS_TOKEN_SECRET.into(),
    });
    fake
}

fn client(fake: &FakeX) -> XClient {
    client_with_timeout(fake, Duration::from_secs(5))
}

fn client_with_timeout(fake: &FakeX, timeout: Duration) -> XClient {
    let mut config = XClientConfig::new(fake.base_url().parse().unwrap());
    config.timeout = timeout;
    XClient::new(config).unwrap()
}

fn credentials() -> UserCredentials {
    UserCredentials::new(API_KEY, API_KEY_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET)
}

fn app() -> AppCredentials {
    AppCredentials::new(API_KEY, API_KEY_SECRET)
}

#[tokio::test]
async fn users_me_names_the_account_with_hmac_sha1() {
    let fake = fake_x().await;
    let me = client(&fake)
        .users_me(&credentials(), SignatureMethod::HmacSha1)
        .await
        .unwrap();
    assert_eq!(me.value.id, USER_ID);
    assert_eq!(me.value.username, "contact_center");
    assert_eq!(
        fake.received()[0].authentication.as_deref(),
        Some("HMAC-SHA1")
    );
}

#[tokio::test]
async fn users_me_signed_with_hmac_sha256_passes_the_fakes_own_verification() {
    let fake = fake_x().await;
    let me = client(&fake)
        .users_me(&credentials(), SignatureMethod::HmacSha256)
        .await
        .unwrap();
    assert_eq!(me.value.id, USER_ID);
    assert_eq!(
        fake.received()[0].authentication.as_deref(),
        Some("HMAC-SHA256")
    );
}

#[tokio::test]
async fn secrets_with_reserved_characters_pass_the_fakes_own_verification_with_both_methods() {
    // Every other secret here is alphanumeric; X's are printable ASCII (R-CRED-2).
    let (api_key_secret, access_token_secret) = ("cs!*'()~+/:=&%@#$[]?,;", "ts&=+/~%C3%A9!*'()");
    let fake = FakeX::start().await.expect("fake X starts");
    fake.add_app(API_KEY, api_key_secret);
    fake.add_account(FakeAccount {
        user_id: USER_ID.into(),
        name: "Contact Center".into(),
        username: "contact_center".into(),
        api_key: API_KEY.into(),
        access_token: ACCESS_TOKEN.into(),
        access_token_secret: access_token_secret.into(),
    });
    let credentials =
        UserCredentials::new(API_KEY, api_key_secret, ACCESS_TOKEN, access_token_secret);
    let x = client(&fake);
    for method in [SignatureMethod::HmacSha1, SignatureMethod::HmacSha256] {
        let me = x
            .users_me(&credentials, method)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e:?}"));
        assert_eq!(me.value.id, USER_ID);
        // A query with `,` and `.` in names and values is signed as sent.
        x.dm_events(&credentials, method, &DmEventsQuery::for_ingestion())
            .await
            .unwrap_or_else(|e| panic!("{method}: {e:?}"));
    }
    let wrong = UserCredentials::new(
        API_KEY,
        "cs!*'()~+/:=&%@#$[]?,",
        ACCESS_TOKEN,
        access_token_secret,
    );
    let refused = x
        .users_me(&wrong, SignatureMethod::HmacSha256)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, XError::Unauthorized { .. }),
        "{refused:?}"
    );
}

#[tokio::test]
async fn every_answer_carries_the_rate_limit_headers_as_data() {
    let fake = fake_x().await;
    fake.set_rate_limit(Endpoint::UsersMe, 75, Duration::from_secs(900));
    let me = client(&fake)
        .users_me(&credentials(), SignatureMethod::HmacSha1)
        .await
        .unwrap();
    let rate_limit = me.rate_limit.expect("rate-limit headers");
    assert_eq!((rate_limit.limit, rate_limit.remaining), (75, 74));
    assert!(rate_limit.reset > 0);
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// X sends its three rate-limit headers on every v2 answer, with its documented 15-minute
/// windows, not only when a test configured a limit (R-INGEST-6).
#[tokio::test]
async fn every_answer_carries_x_default_rate_limit_headers_without_a_configured_limit() {
    let fake = fake_x().await;
    fake.allow_http_webhooks(true);
    let receiver = start_receiver(API_KEY_SECRET).await;
    let x = client(&fake);
    let now = now_secs();
    let check = |what: &str, rate_limit: Option<RateLimit>, limit: u64, remaining: u64| {
        let rate_limit = rate_limit.unwrap_or_else(|| panic!("{what}: no rate-limit headers"));
        assert_eq!(
            (rate_limit.limit, rate_limit.remaining),
            (limit, remaining),
            "{what}"
        );
        assert!(
            rate_limit.reset > now && rate_limit.reset <= now_secs() + 15 * 60,
            "{what}: reset {}, now {now}",
            rate_limit.reset
        );
    };
    let method = SignatureMethod::HmacSha1;
    check(
        "GET /2/users/me",
        x.users_me(&credentials(), method).await.unwrap().rate_limit,
        75,
        74,
    );
    let page = x
        .dm_events(&credentials(), method, &DmEventsQuery::for_ingestion())
        .await
        .unwrap();
    check("GET /2/dm_events", page.rate_limit, 300, 299);
    let sent = x
        .send_direct_message(&credentials(), method, CUSTOMER_ID, "hello")
        .await
        .unwrap();
    check(
        "POST /2/dm_conversations/with/:id/messages",
        sent.rate_limit,
        200,
        199,
    );
    let token = x.app_bearer_token(&app()).await.unwrap();
    check("POST /oauth2/token", token.rate_limit, 300, 299);
    let bearer = token.value;
    let webhook = x.create_webhook(&bearer, &receiver.url).await.unwrap();
    check("POST /2/webhooks", webhook.rate_limit, 15, 14);
    check(
        "GET /2/webhooks",
        x.list_webhooks(&bearer).await.unwrap().rate_limit,
        15,
        13,
    );
    let subscribed = x
        .subscribe_account(&credentials(), method, &webhook.value.id)
        .await
        .unwrap();
    check(
        "POST /2/account_activity/webhooks/:id/subscriptions/all",
        subscribed.rate_limit,
        500,
        499,
    );

    // An answer X refuses after counting the call carries them too.
    let error = x
        .send_direct_message(&credentials(), method, CUSTOMER_ID, "")
        .await
        .unwrap_err();
    assert!(
        matches!(error, XError::Api { status: 400, .. }),
        "{error:?}"
    );
    check(
        "400 from POST /2/dm_conversations/with/:id/messages",
        error.rate_limit(),
        200,
        198,
    );
}

#[tokio::test]
async fn a_wrong_token_secret_is_unauthorized_naming_the_signature_method() {
    let fake = fake_x().await;
    let wrong = UserCredentials::new(API_KEY, API_KEY_SECRET, ACCESS_TOKEN, "not-the-secret");
    let error = client(&fake)
        .users_me(&wrong, SignatureMethod::HmacSha1)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            XError::Unauthorized {
                authentication: Authentication::OAuth1(SignatureMethod::HmacSha1),
                ..
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("HMAC-SHA1"), "{text}");
    assert!(!text.contains("not-the-secret") && !format!("{error:?}").contains("not-the-secret"));
}

#[tokio::test]
async fn a_refused_hmac_sha256_signature_says_x_documents_hmac_sha1() {
    let fake = fake_x().await;
    fake.refuse_hmac_sha256(true);
    let error = client(&fake)
        .users_me(&credentials(), SignatureMethod::HmacSha256)
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("HMAC-SHA256"), "{text}");
    assert!(text.contains("X documents HMAC-SHA1"), "{text}");
}

#[tokio::test]
async fn no_error_or_debug_output_contains_a_secret() {
    let fake = fake_x().await;
    fake.inject(Fault::ServerError(503));
    let errors = [
        client(&fake)
            .users_me(&credentials(), SignatureMethod::HmacSha1)
            .await
            .unwrap_err(),
        client(&fake)
            .app_bearer_token(&AppCredentials::new(API_KEY, "wrong"))
            .await
            .unwrap_err(),
    ];
    for error in errors {
        for shown in [error.to_string(), format!("{error:?}")] {
            for secret in [API_KEY_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET, "wrong"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
    }
    let shown = format!("{:?} {:?}", credentials(), app());
    for secret in [API_KEY_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[tokio::test]
async fn dm_events_returns_only_id_type_and_text_unless_fields_are_asked() {
    let fake = fake_x().await;
    fake.add_received_message(USER_ID, CUSTOMER_ID, "hello");
    let x = client(&fake);
    let bare = x
        .dm_events(
            &credentials(),
            SignatureMethod::HmacSha1,
            &DmEventsQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(bare.value.events.len(), 1);
    assert_eq!(bare.value.events[0].text.as_deref(), Some("hello"));
    assert_eq!(bare.value.events[0].sender_id, None);

    let full = x
        .dm_events(
            &credentials(),
            SignatureMethod::HmacSha256,
            &DmEventsQuery::for_ingestion(),
        )
        .await
        .unwrap();
    let event = &full.value.events[0];
    assert_eq!(event.sender_id.as_deref(), Some(CUSTOMER_ID));
    assert!(event.created_at.is_some() && event.dm_conversation_id.is_some());
    assert_eq!(full.value.users[0].id, CUSTOMER_ID);
}

#[tokio::test]
async fn dm_events_without_data_and_result_count_zero_is_an_empty_page() {
    let fake = fake_x().await;
    let page = client(&fake)
        .dm_events(
            &credentials(),
            SignatureMethod::HmacSha1,
            &DmEventsQuery::for_ingestion(),
        )
        .await
        .unwrap();
    assert!(page.value.events.is_empty());
    assert_eq!(page.value.next_token, None);
}

#[tokio::test]
async fn dm_events_follows_pagination_tokens() {
    let fake = fake_x().await;
    for n in 0..3 {
        fake.add_received_message(USER_ID, CUSTOMER_ID, &format!("message {n}"));
    }
    let x = client(&fake);
    let mut query = DmEventsQuery {
        max_results: Some(2),
        ..DmEventsQuery::default()
    };
    let first = x
        .dm_events(&credentials(), SignatureMethod::HmacSha1, &query)
        .await
        .unwrap()
        .value;
    assert_eq!(first.events.len(), 2);
    query.pagination_token = first.next_token;
    let second = x
        .dm_events(&credentials(), SignatureMethod::HmacSha1, &query)
        .await
        .unwrap()
        .value;
    assert_eq!(second.events.len(), 1);
    assert_eq!(second.events[0].text.as_deref(), Some("message 0"));
    assert_eq!(second.next_token, None);
}

#[tokio::test]
async fn the_pager_walks_back_to_the_known_event_and_no_further() {
    let fake = fake_x().await;
    let ids: Vec<String> = (0..5)
        .map(|n| fake.add_received_message(USER_ID, CUSTOMER_ID, &format!("m{n}")))
        .collect();
    let query = DmEventsQuery {
        max_results: Some(2),
        ..DmEventsQuery::for_ingestion()
    };
    let walk = client(&fake)
        .walk_dm_events(
            &credentials(),
            SignatureMethod::HmacSha1,
            &query,
            Some(&ids[1]),
            10,
        )
        .await
        .unwrap();
    assert_eq!(walk.stop, WalkStop::ReachedKnownEvent);
    let walked: Vec<&str> = walk.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        walked,
        vec![ids[4].as_str(), ids[3].as_str(), ids[2].as_str()]
    );
    assert_eq!(walk.pages, 2);
    assert!(!walk.has_gap(Some(&ids[1])));
}

#[tokio::test]
async fn the_pager_reports_a_gap_when_the_known_event_is_gone() {
    let fake = fake_x().await;
    for n in 0..3 {
        fake.add_received_message(USER_ID, CUSTOMER_ID, &format!("m{n}"));
    }
    let query = DmEventsQuery {
        max_results: Some(2),
        ..DmEventsQuery::for_ingestion()
    };
    let walk = client(&fake)
        .walk_dm_events(
            &credentials(),
            SignatureMethod::HmacSha1,
            &query,
            Some("1"),
            10,
        )
        .await
        .unwrap();
    assert_eq!(walk.stop, WalkStop::NoMorePages);
    assert_eq!(walk.events.len(), 3);
    assert!(walk.has_gap(Some("1")));
}

#[tokio::test]
async fn the_pager_stops_before_x_would_answer_429() {
    let fake = fake_x().await;
    fake.set_rate_limit(Endpoint::DmEvents, 1, Duration::from_secs(900));
    for n in 0..3 {
        fake.add_received_message(USER_ID, CUSTOMER_ID, &format!("m{n}"));
    }
    let query = DmEventsQuery {
        max_results: Some(1),
        ..DmEventsQuery::for_ingestion()
    };
    let walk = client(&fake)
        .walk_dm_events(&credentials(), SignatureMethod::HmacSha1, &query, None, 10)
        .await
        .unwrap();
    assert_eq!(walk.stop, WalkStop::RateLimitExhausted);
    assert_eq!(walk.pages, 1);
    assert!(fake.received().iter().all(|r| r.status != 429));
}

#[tokio::test]
async fn a_429_becomes_rate_limited_with_the_reset_time() {
    let fake = fake_x().await;
    fake.set_rate_limit(Endpoint::DmEvents, 1, Duration::from_secs(600));
    let x = client(&fake);
    let query = DmEventsQuery::for_ingestion();
    x.dm_events(&credentials(), SignatureMethod::HmacSha1, &query)
        .await
        .unwrap();
    let error = x
        .dm_events(&credentials(), SignatureMethod::HmacSha1, &query)
        .await
        .unwrap_err();
    let XError::RateLimited {
        reset: Some(reset),
        rate_limit: Some(rate_limit),
    } = error
    else {
        panic!("expected RateLimited, got {error:?}");
    };
    assert_eq!(rate_limit.remaining, 0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        reset > now && reset <= now + 600,
        "reset {reset}, now {now}"
    );
}

#[tokio::test]
async fn a_429_with_only_the_reset_header_keeps_the_reset_time() {
    let fake = fake_x().await;
    fake.inject(Fault::TooManyRequestsResetOnly(Duration::from_secs(300)));
    let error = client(&fake)
        .dm_events(
            &credentials(),
            SignatureMethod::HmacSha1,
            &DmEventsQuery::for_ingestion(),
        )
        .await
        .unwrap_err();
    let XError::RateLimited {
        reset: Some(reset),
        rate_limit: None,
    } = error
    else {
        panic!("expected RateLimited with a reset and no full rate limit, got {error:?}");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        reset > now && reset <= now + 300,
        "reset {reset}, now {now}"
    );
    assert!(
        error.to_string().contains(&format!("until {reset}")),
        "{error}"
    );
}

#[tokio::test]
async fn the_fake_answers_400_to_max_results_outside_1_to_100_and_to_unknown_parameters() {
    let fake = fake_x().await;
    let http = reqwest::Client::new();
    let url = format!("{}/2/dm_events", fake.base_url());
    for (name, value) in [("max_results", "101"), ("colour", "blue")] {
        let header =
            credentials().authorization(SignatureMethod::HmacSha1, "GET", &url, &[(name, value)]);
        let status = http
            .get(format!("{url}?{name}={value}"))
            .header("authorization", header)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 400, "{name}={value}");
    }
}

#[tokio::test]
async fn a_5xx_keeps_x_title_and_detail() {
    let fake = fake_x().await;
    fake.inject(Fault::ServerError(503));
    let error = client(&fake)
        .users_me(&credentials(), SignatureMethod::HmacSha1)
        .await
        .unwrap_err();
    let XError::Api { status, title, .. } = &error else {
        panic!("expected Api, got {error:?}");
    };
    assert_eq!(*status, 503);
    assert_eq!(title.as_deref(), Some("Service Unavailable"));
}

#[tokio::test]
async fn a_call_that_outlasts_the_timeout_is_a_timeout() {
    let fake = fake_x().await;
    fake.inject(Fault::Hang(Duration::from_secs(3)));
    let timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let error = client_with_timeout(&fake, timeout)
        .users_me(&credentials(), SignatureMethod::HmacSha1)
        .await
        .unwrap_err();
    assert!(
        matches!(error, XError::Timeout(t) if t == timeout),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn injected_latency_below_the_timeout_is_only_slower() {
    let fake = fake_x().await;
    fake.inject(Fault::Latency(Duration::from_millis(200)));
    let started = std::time::Instant::now();
    client(&fake)
        .users_me(&credentials(), SignatureMethod::HmacSha1)
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_malformed() {
    let fake = fake_x().await;
    fake.inject(Fault::MalformedBody);
    let error = client(&fake)
        .users_me(&credentials(), SignatureMethod::HmacSha1)
        .await
        .unwrap_err();
    assert!(
        matches!(error, XError::MalformedBody { status: 200, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_app_bearer_token_comes_from_the_api_key_and_secret() {
    let fake = fake_x().await;
    let token = client(&fake).app_bearer_token(&app()).await.unwrap();
    assert!(token.value.expose().starts_with("AAAA"));
    assert!(!format!("{:?}", token.value).contains(token.value.expose()));
    assert_eq!(fake.received()[0].authentication.as_deref(), Some("Basic"));
}

#[tokio::test]
async fn a_wrong_api_key_secret_keeps_x_reason_for_refusing_the_token() {
    let fake = fake_x().await;
    let error = client(&fake)
        .app_bearer_token(&AppCredentials::new(API_KEY, "wrong"))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("Unable to verify your credentials"),
        "{error}"
    );
}

/// X answers a wrong API key pair on `POST /oauth2/token` with 403 and error code 99, not 401;
/// it is still X refusing the credentials.
#[tokio::test]
async fn a_wrong_api_key_or_secret_is_unauthorized_as_api_key_basic() {
    let fake = fake_x().await;
    for wrong in [
        AppCredentials::new(API_KEY, "wrong"),
        AppCredentials::new("unknown-key", API_KEY_SECRET),
    ] {
        let error = client(&fake).app_bearer_token(&wrong).await.unwrap_err();
        let XError::Unauthorized {
            authentication: Authentication::ApiKeyBasic,
            title,
            detail,
        } = &error
        else {
            panic!("expected Unauthorized with the API key and secret, got {error:?}");
        };
        assert_eq!(
            (title.as_deref(), detail.as_deref()),
            (None, Some("Unable to verify your credentials"))
        );
        assert!(
            error
                .to_string()
                .contains("X refused the credentials (the API key and API key secret)"),
            "{error}"
        );
    }
    assert!(fake.received().iter().all(|r| r.status == 403));
}

#[tokio::test]
async fn a_wrong_bearer_token_is_unauthorized_as_app_bearer() {
    let fake = fake_x().await;
    let error = client(&fake)
        .list_webhooks(&x_connector::BearerToken::new("AAAA-forged"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            XError::Unauthorized {
                authentication: Authentication::AppBearer,
                ..
            }
        ),
        "{error:?}"
    );
}

/// A stand-in for the service's webhook: answers CRCs and records verified deliveries.
struct Receiver {
    url: String,
    deliveries: Arc<Mutex<Vec<WebhookDelivery>>>,
}

async fn start_receiver(secret: &str) -> Receiver {
    let key = WebhookKey::new(&Secret::new(secret));
    let deliveries = Arc::new(Mutex::new(Vec::new()));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/webhook",
        listener.local_addr().unwrap().port()
    );
    let (key_for_app, recorded) = (key.clone(), deliveries.clone());
    let server = HttpServer::new(move || {
        let key = key_for_app.clone();
        let crc_key = key.clone();
        let recorded = recorded.clone();
        App::new()
            .route(
                "/webhook",
                web::get().to(
                    move |query: web::Query<std::collections::HashMap<String, String>>| {
                        let token = crc_key.crc_response_token(&query["crc_token"]);
                        async move {
                            HttpResponse::Ok().json(serde_json::json!({ "response_token": token }))
                        }
                    },
                ),
            )
            .route(
                "/webhook",
                web::post().to(move |req: HttpRequest, body: web::Bytes| {
                    let header = req
                        .headers()
                        .get(SIGNATURE_HEADER)
                        .and_then(|h| h.to_str().ok())
                        .map(str::to_owned);
                    let verdict = key
                        .verify(header.as_deref(), &body)
                        .ok()
                        .and_then(|()| WebhookDelivery::parse(&body).ok());
                    if let Some(delivery) = &verdict {
                        recorded.lock().unwrap().push(delivery.clone());
                    }
                    async move {
                        if verdict.is_some() {
                            HttpResponse::Ok().finish()
                        } else {
                            HttpResponse::Unauthorized().finish()
                        }
                    }
                }),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    Receiver { url, deliveries }
}

#[tokio::test]
async fn webhook_lifecycle_runs_the_crc_and_delivers_signed_duplicates() {
    let fake = fake_x().await;
    fake.allow_http_webhooks(true);
    let receiver = start_receiver(API_KEY_SECRET).await;
    let x = client(&fake);
    let bearer = x.app_bearer_token(&app()).await.unwrap().value;

    let webhook = x
        .create_webhook(&bearer, &receiver.url)
        .await
        .unwrap()
        .value;
    assert!(webhook.valid);
    assert_eq!(webhook.url, receiver.url);
    let listed = x.list_webhooks(&bearer).await.unwrap().value;
    assert_eq!(listed, vec![webhook.clone()]);
    assert!(
        x.revalidate_webhook(&bearer, &webhook.id)
            .await
            .unwrap()
            .value
    );

    let subscribed = x
        .subscribe_account(&credentials(), SignatureMethod::HmacSha256, &webhook.id)
        .await
        .unwrap();
    assert!(subscribed.value);

    let delivery = fake
        .deliver_direct_message(USER_ID, CUSTOMER_ID, "hi there", 2)
        .await
        .unwrap();
    assert_eq!(delivery.statuses, vec![Ok(200), Ok(200)]);
    let received = receiver.deliveries.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "X delivered the same event twice");
    assert!(received
        .iter()
        .all(|d| d.direct_messages[0].id == delivery.event_id
            && d.direct_messages[0].text == "hi there"));

    assert!(x.delete_webhook(&bearer, &webhook.id).await.unwrap().value);
    assert!(x.list_webhooks(&bearer).await.unwrap().value.is_empty());
}

#[tokio::test]
async fn a_webhook_whose_crc_answer_is_wrong_is_refused() {
    let fake = fake_x().await;
    fake.allow_http_webhooks(true);
    let receiver = start_receiver("another-secret").await;
    let x = client(&fake);
    let bearer = x.app_bearer_token(&app()).await.unwrap().value;
    let error = x.create_webhook(&bearer, &receiver.url).await.unwrap_err();
    assert!(error.to_string().contains("CRC"), "{error}");
}

#[tokio::test]
async fn a_webhook_at_http_or_with_a_port_is_refused_like_x_does() {
    let fake = fake_x().await;
    let x = client(&fake);
    let bearer = x.app_bearer_token(&app()).await.unwrap().value;
    // Refused for the URL itself, before any CRC is tried (which would fail here too). `url`
    // forgets `:443` on https; X still refuses any port written in the URL.
    for (url, reason) in [
        ("http://example.com/webhook", "https"),
        ("https://example.com:8443/webhook", "port"),
        ("https://example.com:443/webhook", "port"),
        ("https://user@example.com:443/webhook", "port"),
        ("https://[::1]:443/webhook", "port"),
    ] {
        let error = x.create_webhook(&bearer, url).await.unwrap_err();
        assert!(
            matches!(error, XError::Api { status: 400, .. }),
            "{url}: {error:?}"
        );
        assert!(
            error.to_string().contains(reason) && !error.to_string().contains("CRC"),
            "{url}: {error}"
        );
    }
}

#[tokio::test]
async fn a_delivery_with_a_bad_signature_is_refused_by_the_receiver() {
    let fake = fake_x().await;
    let receiver = start_receiver(API_KEY_SECRET).await;
    let body = br#"{"for_user_id": "1", "direct_message_events": []}"#;
    let short = "sha256=AAAA";
    for signature in [
        None,
        Some(""),
        Some(short),
        Some("sha1=abc"),
        Some("sha256=!!!"),
    ] {
        let status = fake
            .driver()
            .deliver_with_signature(&receiver.url, signature, body)
            .await
            .unwrap();
        assert_eq!(status, 401, "{signature:?}");
    }
    assert!(receiver.deliveries.lock().unwrap().is_empty());
}

#[tokio::test]
async fn sending_a_direct_message_answers_201_with_the_event_id() {
    let fake = fake_x().await;
    let sent = client(&fake)
        .send_direct_message(
            &credentials(),
            SignatureMethod::HmacSha1,
            CUSTOMER_ID,
            "How can we help?",
        )
        .await
        .unwrap();
    assert_eq!(fake.received()[0].status, 201);
    let events = fake.dm_events(USER_ID);
    assert_eq!(events[0].id, sent.value.dm_event_id);
    assert_eq!(events[0].text, "How can we help?");
    assert_eq!(
        sent.value.dm_conversation_id,
        format!("{USER_ID}-{CUSTOMER_ID}")
    );
}

#[tokio::test]
async fn a_certificate_that_is_not_pem_is_refused_when_building_the_client() {
    let mut config = XClientConfig::new("https://api.x.com".parse().unwrap());
    config
        .tls
        .pem_certificates
        .push(b"not a certificate".to_vec());
    assert!(matches!(
        XClient::new(config),
        Err(XError::InvalidRequest(_))
    ));
}
