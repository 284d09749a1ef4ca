//! Minimal reference handlers for `bench/run`: one route each, no database, no auth.
//!
//! `bench-reference ROUTE PORT [SECRET]` serves one of
//! - `hello`: `GET /healthz` answers `{"status":"ok"}`, the floor of an actix-web answer;
//! - `crc`: `GET /webhooks/x/{id}?crc_token=...` answers
//!   `{"response_token":"sha256=<base64 HMAC-SHA256(crc_token)>"}` with a fixed key;
//! - `delivery`: `POST /webhooks/x/{id}` checks `x-twitter-webhooks-signature`
//!   (`sha256=` + base64 HMAC-SHA256 of the raw body, in constant time) and parses the
//!   Account Activity delivery, storing nothing.
//!
//! The key is SECRET (default `bench-api-key-secret`), built once at start, as a per-channel
//! key cached in memory would be. actix-web's default worker count, as the service.

use std::collections::HashMap;

use actix_web::{
    get, http::header::ContentType, post, web, App, HttpRequest, HttpResponse, HttpServer,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use ring::hmac;
use serde::{Deserialize, Serialize};

#[get("/healthz")]
async fn hello() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

#[derive(Deserialize)]
struct Crc {
    crc_token: String,
}

#[derive(Serialize)]
struct CrcAnswer {
    response_token: String,
}

#[get("/webhooks/x/{id}")]
async fn crc(
    key: web::Data<hmac::Key>,
    _id: web::Path<String>,
    query: web::Query<Crc>,
) -> HttpResponse {
    let tag = hmac::sign(&key, query.crc_token.as_bytes());
    HttpResponse::Ok().json(CrcAnswer {
        response_token: format!("sha256={}", STANDARD.encode(tag.as_ref())),
    })
}

/// The parts of an Account Activity delivery a receiver reads.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Delivery {
    for_user_id: String,
    #[serde(default)]
    direct_message_events: Vec<DirectMessageEvent>,
    #[serde(default)]
    users: HashMap<String, User>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct DirectMessageEvent {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    created_timestamp: String,
    message_create: Option<MessageCreate>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MessageCreate {
    target: Target,
    sender_id: String,
    message_data: MessageData,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Target {
    recipient_id: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MessageData {
    text: String,
    attachment: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct User {
    id: String,
    name: String,
    screen_name: String,
}

#[post("/webhooks/x/{id}")]
async fn delivery(
    key: web::Data<hmac::Key>,
    _id: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let signature = request
        .headers()
        .get("x-twitter-webhooks-signature")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("sha256="))
        .and_then(|value| STANDARD.decode(value).ok());
    let Some(signature) = signature else {
        return HttpResponse::Unauthorized().finish();
    };
    // ring compares the tags in constant time.
    if hmac::verify(&key, &body, &signature).is_err() {
        return HttpResponse::Unauthorized().finish();
    }
    match serde_json::from_slice::<Delivery>(&body) {
        Ok(_) => HttpResponse::Ok()
            .insert_header(ContentType::plaintext())
            .finish(),
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: bench-reference hello|crc|delivery PORT [SECRET]";
    let (Some(route), Some(port)) = (
        args.get(1).cloned(),
        args.get(2).and_then(|p| p.parse::<u16>().ok()),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let secret = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "bench-api-key-secret".into());
    let key = web::Data::new(hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()));
    if !matches!(route.as_str(), "hello" | "crc" | "delivery") {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    HttpServer::new(move || {
        let app = App::new().app_data(key.clone());
        match route.as_str() {
            "hello" => app.service(hello),
            "crc" => app.service(crc),
            _ => app.service(delivery),
        }
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
