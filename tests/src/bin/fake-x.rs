//! Starts the fake X by hand, for demos: a demo app and account (and any others the flags
//! name) whose credentials are printed, a customer message waiting in `GET /2/dm_events`,
//! X's scheduled CRC on a timer, and the `/_fake/` control endpoints that register more apps
//! and accounts, send signed deliveries and run the CRC on command.

use std::time::Duration;

use clap::Parser;
use xchannel_tests::fake_x::{Endpoint, FakeAccount, FakeSettings, FakeX, RateLimitBody};

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
    /// Calls allowed per 15 minutes on GET /2/dm_events (X documents 300 per app; a Pro
    /// account gets about 15 per user).
    #[arg(long, default_value_t = 300)]
    dm_events_limit: u64,
    /// Delay every answer by this many milliseconds (X's own latency, for benchmarks;
    /// `PUT /_fake/latency {"ms": N}` changes it while running).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Another app, as API_KEY:API_KEY_SECRET (repeatable).
    #[arg(long = "app", value_name = "API_KEY:API_KEY_SECRET")]
    apps: Vec<String>,
    /// Another account, as API_KEY:USER_ID:USERNAME (tokens made up and printed) or
    /// API_KEY:USER_ID:USERNAME:ACCESS_TOKEN:ACCESS_TOKEN_SECRET (repeatable).
    #[arg(
        long = "account",
        value_name = "API_KEY:USER_ID:USERNAME[:TOKEN:SECRET]"
    )]
    accounts: Vec<String>,
    /// Webhooks one app may register (X: 1).
    #[arg(long, default_value_t = 1)]
    webhook_limit: usize,
    /// Seconds between X's scheduled CRC of every webhook (X: hourly); 0 turns it off.
    #[arg(long, default_value_t = 3600)]
    crc_interval: u64,
    /// Serve webhook answers without the `data` wrapper (X's pages disagree).
    #[arg(long)]
    bare_webhook_answers: bool,
    /// Fail every CRC (the CRC request is still sent).
    #[arg(long)]
    fail_crc: bool,
    /// Answer 429s with the older `{"errors":[{"code":88}]}` body instead of X's v2 problem.
    #[arg(long)]
    v1_rate_limit_body: bool,
}

const API_KEY: &str = "demo-api-key";
const API_KEY_SECRET: &str = "demo-api-key-secret";
const ACCESS_TOKEN: &str = "1000000000000000001-demo-access-token";
const ACCESS_TOKEN_SECRET: &str = "demo-access-token-secret";

fn fail(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

fn add_apps_and_accounts(fake: &FakeX, args: &Args) -> std::io::Result<()> {
    for app in &args.apps {
        let (key, secret) = app
            .split_once(':')
            .filter(|(k, s)| !k.is_empty() && !s.is_empty())
            .ok_or_else(|| fail(format!("--app {app}: expected API_KEY:API_KEY_SECRET")))?;
        fake.add_app(key, secret);
    }
    for account in &args.accounts {
        let parts: Vec<&str> = account.split(':').collect();
        let known_app = |key: &str| fake.apps().iter().any(|a| a.api_key == key);
        match parts.as_slice() {
            [key, user_id, username, rest @ ..]
                if known_app(key)
                    && !user_id.is_empty()
                    && user_id.bytes().all(|b| b.is_ascii_digit())
                    && !username.is_empty() =>
            {
                match rest {
                    [] => {
                        fake.add_account_with_new_tokens(key, user_id, username, username);
                    }
                    [token, secret] if !token.is_empty() && !secret.is_empty() => {
                        fake.add_account(FakeAccount {
                            user_id: (*user_id).into(),
                            name: (*username).into(),
                            username: (*username).into(),
                            api_key: (*key).into(),
                            access_token: (*token).into(),
                            access_token_secret: (*secret).into(),
                        });
                    }
                    _ => return Err(fail(format!("--account {account}: 3 or 5 fields"))),
                }
            }
            _ => {
                return Err(fail(format!(
                    "--account {account}: expected API_KEY:USER_ID:USERNAME[:TOKEN:SECRET] \
                     with the API key of an app (--app) and a numeric user id"
                )))
            }
        }
    }
    Ok(())
}

fn print_what_a_person_needs(fake: &FakeX, args: &Args) {
    let base = fake.base_url();
    println!("fake X listening on {base}");
    println!("  (sign requests for exactly this address: the fake checks OAuth against the address it is bound to)");
    for app in fake.apps() {
        println!();
        println!("app");
        println!("  api key:             {}", app.api_key);
        println!("  api key secret:      {}", app.api_key_secret);
        println!("  bearer token:        {}", app.bearer_token);
        for account in fake.accounts().iter().filter(|a| a.api_key == app.api_key) {
            println!(
                "  account @{} (user id {})",
                account.username, account.user_id
            );
            println!("    access token:        {}", account.access_token);
            println!("    access token secret: {}", account.access_token_secret);
        }
    }
    println!();
    println!(
        "webhooks at http URLs: {}; {} per app; scheduled CRC: {}",
        if args.allow_http {
            "allowed"
        } else {
            "refused (https without port only)"
        },
        args.webhook_limit,
        if args.crc_interval == 0 {
            "off".to_owned()
        } else {
            format!("every {} s", args.crc_interval)
        }
    );
    println!("control endpoints (JSON; README, \"The fake X\"):");
    println!("  GET   {base}/_fake                      apps, accounts, webhooks, settings");
    println!("  POST  {base}/_fake/apps                 {{\"api_key\", \"api_key_secret\"}}");
    println!(
        "  POST  {base}/_fake/accounts             {{\"api_key\", \"user_id\", \"username\"}}"
    );
    println!("  POST  {base}/_fake/messages             {{\"user_id\", \"sender_id\", \"text\"}}  (for the pull)");
    println!("  POST  {base}/_fake/deliveries           {{\"user_id\", \"sender_id\", \"text\"}}  (signed, to the webhook)");
    println!("  POST  {base}/_fake/crc                  the scheduled CRC, now, on every webhook");
    println!("  POST  {base}/_fake/webhooks/ID/crc      the CRC of one webhook");
    println!("  PATCH {base}/_fake/settings             e.g. {{\"fail_crc\": true}}");
    println!("  PUT   {base}/_fake/latency              {{\"ms\": 20}}  (every answer's delay)");
    println!("  GET   {base}/_fake/requests?path=/2/dm_events   who called when");
    if let Some(ca) = fake.ca_certificate_pem() {
        println!();
        println!("CA certificate to trust (the X authentication certificate):\n{ca}");
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let fake = if args.tls {
        FakeX::start_tls_on(args.port).await?
    } else {
        FakeX::start_on(args.port).await?
    };
    fake.set_settings(FakeSettings {
        allow_http_webhooks: args.allow_http,
        refuse_hmac_sha256: args.refuse_hmac_sha256,
        webhook_limit: args.webhook_limit,
        wrap_webhook_answers: !args.bare_webhook_answers,
        fail_crc: args.fail_crc,
        refused_webhook_urls: Vec::new(),
        rate_limit_body: if args.v1_rate_limit_body {
            RateLimitBody::V1Code88
        } else {
            RateLimitBody::V2Problem
        },
        hold_replay_jobs: false,
    });
    fake.set_rate_limit(
        Endpoint::DmEvents,
        args.dm_events_limit,
        Duration::from_secs(15 * 60),
    );
    fake.set_latency(Duration::from_millis(args.latency_ms));
    fake.add_app(API_KEY, API_KEY_SECRET);
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
    add_apps_and_accounts(&fake, &args)?;
    if args.crc_interval > 0 {
        fake.start_crc_timer(Duration::from_secs(args.crc_interval));
    }
    print_what_a_person_needs(&fake, &args);
    tokio::signal::ctrl_c().await?;
    fake.stop().await;
    Ok(())
}
