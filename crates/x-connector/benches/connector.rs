//! Cost of the connector's hot paths: OAuth 1.0a signing per request (target under 3 µs for
//! HMAC-SHA1), the CRC answer, and the delivery signature check.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use x_connector::webhook::{WebhookDelivery, WebhookKey};
use x_connector::{Secret, SignatureMethod, UserCredentials};

fn credentials() -> UserCredentials {
    UserCredentials::new(
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    )
}

/// The query of an ingestion pull, the most frequent signed call.
const DM_EVENTS_PARAMS: &[(&str, &str)] = &[
    (
        "dm_event.fields",
        "id,event_type,text,sender_id,created_at,dm_conversation_id,participant_ids",
    ),
    ("event_types", "MessageCreate"),
    ("expansions", "sender_id"),
    ("max_results", "100"),
    ("user.fields", "id,name,username"),
];

fn signing(c: &mut Criterion) {
    let credentials = credentials();
    let url = "https://api.x.com/2/dm_events";
    for method in [SignatureMethod::HmacSha1, SignatureMethod::HmacSha256] {
        c.bench_function(
            &format!("sign GET /2/dm_events {method} (fresh nonce)"),
            |b| {
                b.iter(|| {
                    credentials.authorization(
                        method,
                        "GET",
                        black_box(url),
                        black_box(DM_EVENTS_PARAMS),
                    )
                })
            },
        );
        c.bench_function(
            &format!("sign GET /2/users/me {method} (fresh nonce)"),
            |b| {
                b.iter(|| {
                    credentials.authorization(
                        method,
                        "GET",
                        black_box("https://api.x.com/2/users/me"),
                        &[],
                    )
                })
            },
        );
    }
}

fn delivery_body() -> Vec<u8> {
    let text = "Hello, my order 12345 has not arrived yet and I would like to know where it is. "
        .repeat(4);
    format!(
        r#"{{"for_user_id":"4337869213","direct_message_events":[{{"type":"message_create","id":"954491830116155396","created_timestamp":"1516403560557","message_create":{{"target":{{"recipient_id":"4337869213"}},"sender_id":"3001969357","message_data":{{"text":"{text}","entities":{{"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]}}}}}}}}],"users":{{"3001969357":{{"id":"3001969357","name":"Jordan Brinks","screen_name":"furiouscamper"}}}}}}"#
    )
    .into_bytes()
}

fn webhook(c: &mut Criterion) {
    let secret = Secret::new("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw");
    let key = WebhookKey::new(&secret);
    c.bench_function("CRC response token (cached key)", |b| {
        b.iter(|| {
            key.crc_response_token(black_box(
                "MjQ5OTg1ODYtYWQyOC00MjJhLWI4ZDMtOGU1ZDZkYTk4ZjVk",
            ))
        })
    });
    c.bench_function("CRC response token (key from secret)", |b| {
        b.iter(|| {
            WebhookKey::new(black_box(&secret))
                .crc_response_token("MjQ5OTg1ODYtYWQyOC00MjJhLWI4ZDMtOGU1ZDZkYTk4ZjVk")
        })
    });
    let body = delivery_body();
    let signature = key.crc_response_token(std::str::from_utf8(&body).unwrap());
    assert!(key.verify(Some(&signature), &body).is_ok());
    c.bench_function(
        &format!("verify delivery signature ({} byte body)", body.len()),
        |b| b.iter(|| key.verify(black_box(Some(&signature)), black_box(&body))),
    );
    c.bench_function(&format!("parse delivery ({} byte body)", body.len()), |b| {
        b.iter(|| WebhookDelivery::parse(black_box(&body)).unwrap())
    });
}

criterion_group!(benches, signing, webhook);
criterion_main!(benches);
