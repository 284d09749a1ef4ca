//! The `xchannel` command: serve, migrate, mint a token, print the OpenAPI document.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use xchannel::{
    auth::Role,
    config::{Options, Settings},
    openapi, routes::tokens, startup::Application, store, telemetry,
};

#[derive(Parser)]
#[command(name = "xchannel", version, about = "X (Twitter) DM channels for a contact center")]
struct Cli {
    /// Optional TOML settings file (keys as the long flags, with underscores).
    #[arg(long, short, env = "XCHANNEL_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(flatten)]
    options: Options,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (migrations are applied first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Print the OpenAPI document (as committed in openapi.yaml).
    Openapi,
}

#[derive(Subcommand)]
enum TokenAction {
    /// Mint a token and print it once on standard output.
    Create {
        #[arg(long, value_enum)]
        role: Role,
        /// The tenant of a tenant-admin or tenant-user token.
        #[arg(long)]
        tenant: Option<String>,
        /// OUs granted to a tenant-user token (repeatable).
        #[arg(long = "ou")]
        ous: Vec<String>,
        #[arg(long)]
        label: Option<String>,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.options, cli.config)?;
    telemetry::init(settings.log_format);
    match cli.command {
        Command::Serve => {
            let started = std::time::Instant::now();
            let bind = settings.http.bind.clone();
            let app = Application::build(settings).await?;
            let startup_ms = started.elapsed().as_millis() as u64;
            tracing::info!(address = %bind, port = app.port(), startup_ms, "xchannel listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            store::connect(&settings.database).await?;
            tracing::info!("migrations applied");
        }
        Command::Token { action: TokenAction::Create { role, tenant, ous, label } } => {
            if (role == Role::SystemAdmin) != tenant.is_none() {
                anyhow::bail!("--tenant is required for tenant roles and refused for system-admin");
            }
            let store = store::Store::open(&settings.database).await?;
            if let Some(tenant) = &tenant {
                store::tenants::find(store.reader(), tenant).await.with_context(|| format!("no tenant {tenant}"))?;
                for ou in &ous {
                    if !store::ous::exists(store.reader(), tenant, ou).await? {
                        anyhow::bail!("no OU {ou} in tenant {tenant}");
                    }
                }
            } else if !ous.is_empty() {
                anyhow::bail!("--ou applies to tenant-user tokens only");
            }
            let tx = store.write().await?;
            let created = tokens::mint(&tx, tenant, role, ous, label).await?;
            tx.commit().await?;
            eprintln!("token {} ({}) created; it is shown once:", created.details.id, role.as_str());
            println!("{}", created.token);
        }
        Command::Openapi => print!("{}", openapi::yaml()),
    }
    Ok(())
}
