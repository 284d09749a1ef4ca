//! Starts the fake X by hand, for demos: one app and one account whose credentials are
//! printed, plus a customer message waiting in `GET /2/dm_events`.

use std::time::Duration;

use clap::Parser;
use xchannel_tests::fake_x::{Endpoint, FakeAccount, FakeX};

#[derive(Parser)]
#[command(about = "A fake X API for demos and tests of the X channel")]
struct Args {
    /// Port on 127.0.0.1; 0 lets the system choose.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Accept webhooks at http URLs and with a port (X itself requires https without a port).
    #[arg(long)]
    allow_http: bool,
    /// Refuse HMAC-SHA256 signatures with 401, as X may.
    #[arg(long)]
    refuse_hmac_sha256: bool,
    /// Serve https under a certificate from a CA made at start; its PEM is printed, to upload
    /// as the X authentication certificate.
    #[arg(long)]
    tls: bool,
    /// Calls allowed per 15 minutes on GET /2/dm_events (X documents 300).
    #[arg(long, default_value_t = 300)]
    dm_events_limit: u64,
}

const API_KEY: &str = "demo-api-key";
const API_KEY_SECRET: &str = "demo-api-key-secret";
const ACCESS_TOKEN: &str = "1000000000000000001-demo-access-token";
const ACCESS_TOKEN_SECRET: &str = "demo-access-token-secret";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let fake = if args.tls {
        FakeX::start_tls_on(args.port).await?
    } else {
        FakeX::start_on(args.port).await?
    };
    fake.allow_http_webhooks(args.allow_http);
    fake.refuse_hmac_sha256(args.refuse_hmac_sha256);
    fake.set_rate_limit(
        Endpoint::DmEvents,
        args.dm_events_limit,
        Duration::from_secs(15 * 60),
    );
    let app = fake.add_app(API_KEY, API_KEY_SECRET);
    fake.add_account(FakeAccount {
        user_id: "1000000000000000001".into(),
        name: "Demo Contact Center".into(),
        username: "demo_cc".into(),
        api_key: API_KEY.into(),
        access_token: ACCESS_TOKEN.into(),
        access_token_secret: ACCESS_TOKEN_SECRET.into(),
    });
    fake.add_received_message(
        "1000000000000000001",
        "2000000000000000002",
        "Hello, I need help with my order",
    );
    println!("fake X listening on {}", fake.base_url());
    println!("api key:             {API_KEY}");
    println!("api key secret:      {API_KEY_SECRET}");
    println!("access token:        {ACCESS_TOKEN}");
    println!("access token secret: {ACCESS_TOKEN_SECRET}");
    println!("bearer token:        {}", app.bearer_token);
    println!(
        "webhooks at http URLs: {}",
        if args.allow_http {
            "allowed"
        } else {
            "refused (https without port only)"
        }
    );
    if let Some(ca) = fake.ca_certificate_pem() {
        println!("CA certificate to trust (the X authentication certificate):\n{ca}");
    }
    tokio::signal::ctrl_c().await?;
    fake.stop().await;
    Ok(())
}
