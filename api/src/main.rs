//! The `xchannel` command: serve, migrate, mint a token, print the OpenAPI document.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use xchannel::{
    audit::{Action, Origin},
    auth::Role,
    config::{DatabaseFlags, Options, ServerFlags, Settings},
    openapi,
    routes::tokens,
    startup::Application,
    store, telemetry,
};

#[derive(Parser)]
#[command(
    name = "xchannel",
    version,
    about = "X (Twitter) DM channels for a contact center"
)]
struct Cli {
    /// Optional TOML settings file (keys as the long flags, with underscores).
    #[arg(long, short, env = "XCHANNEL_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (migrations are applied first).
    Serve {
        #[command(flatten)]
        server: ServerFlags,
    },
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
        /// What the token may do: system-admin (tenants, certificates, every tenant's
        /// tokens), tenant-admin, tenant-user or agent (one tenant).
        #[arg(long, value_enum)]
        role: Role,
        /// The tenant of a tenant-admin, tenant-user or agent token.
        #[arg(long)]
        tenant: Option<String>,
        /// OUs granted to a tenant-user or agent token (repeatable).
        #[arg(long = "ou")]
        ous: Vec<String>,
        /// A note to recognise the token by in lists (e.g. "provisioning script").
        #[arg(long)]
        label: Option<String>,
    },
    /// List tokens (never their secrets): the system tokens, or a tenant's with --tenant.
    List {
        /// The tenant whose tokens to list.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The token's id, as `token list` shows it.
        id: String,
    },
}

/// mimalloc instead of the system's malloc: the delivery path allocates per row and per
/// request, and glibc's malloc took a tenth of its CPU samples (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // The chain of causes, never a backtrace: this is for the operator at the prompt.
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Nothing named a database: the token commands say so, as a server started with
    // DATABASE_URL in another shell is on another database than this default.
    let default_database = cli.database.database_url.is_none()
        && cli.database.data_dir.is_none()
        && cli.config.is_none();
    let (command, server) = match cli.command {
        Command::Serve { server } => (
            Command::Serve {
                server: ServerFlags::default(),
            },
            server,
        ),
        other => (other, ServerFlags::default()),
    };
    let settings = Settings::load(Options::from_flags(cli.database, server), cli.config)?;
    telemetry::init(settings.log_format);
    match command {
        Command::Serve { .. } => {
            let started = std::time::Instant::now();
            let bind = settings.http.bind.clone();
            let app = Application::build(settings).await?;
            let startup_ms = started.elapsed().as_millis() as u64;
            tracing::info!(address = %bind, port = app.port(), startup_ms, "xchannel listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            store::connect(&settings.database).await?;
            tracing::info!(database = %settings.database.describe(), "migrations applied");
        }
        Command::Token { action } => {
            if default_database {
                eprintln!(
                    "note: neither DATABASE_URL nor --database-url nor --data-dir is set, so this is the \
                     default database {}; for a server started with DATABASE_URL, export the same one here",
                    settings.database.describe()
                );
            }
            token(&settings, action).await?
        }
        Command::Openapi => print!("{}", openapi::yaml()),
    }
    Ok(())
}

/// The token commands work on the database of a running service; they never create one.
async fn token(settings: &Settings, action: TokenAction) -> anyhow::Result<()> {
    if let TokenAction::Create {
        role, tenant, ous, ..
    } = &action
    {
        if (*role == Role::SystemAdmin) != tenant.is_none() {
            anyhow::bail!("--tenant is required for tenant roles and refused for system-admin");
        }
        if tenant.is_none() && !ous.is_empty() {
            anyhow::bail!("--ou applies to tenant-user and agent tokens only");
        }
    }
    let database = settings.database.describe();
    let store = store::Store::open_existing(&settings.database).await?;
    match action {
        TokenAction::Create {
            role,
            tenant,
            ous,
            label,
        } => {
            if let Some(tenant) = &tenant {
                store::tenants::find(store.reader(), tenant)
                    .await
                    .with_context(|| format!("no tenant {tenant}"))?;
                for ou in &ous {
                    if !store::ous::exists(store.reader(), tenant, ou).await? {
                        anyhow::bail!("no OU {ou} in tenant {tenant}");
                    }
                }
            }
            let tx = store.write().await?;
            let created = tokens::mint(&tx, &Origin::cli(), tenant, role, ous, label).await?;
            tx.commit().await?;
            eprintln!(
                "token {} ({}) created in {database}; it is shown once:",
                created.details.id,
                role.as_str()
            );
            println!("{}", created.token);
        }
        TokenAction::List { tenant } => {
            let holder = match &tenant {
                Some(tenant) => store::tokens::Holder::Tenant(tenant),
                None => store::tokens::Holder::System,
            };
            let page = store::Page {
                limit: 100_000,
                after: None,
            };
            for token in store::tokens::list(store.reader(), holder, &page).await? {
                let state = match token.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "active".to_owned(),
                };
                let label = token.label.as_deref().unwrap_or("");
                println!(
                    "{}\t{}\t{}\t{}\t{state}\t{label}",
                    token.id, token.prefix, token.role, token.created_at
                );
            }
        }
        TokenAction::Revoke { id } => {
            // The write first: on SQLite a read would make the write a lock upgrade, which
            // fails at once while the server writes instead of waiting its turn.
            let tx = store.write().await?;
            store::tokens::revoke(&tx, &id)
                .await
                .with_context(|| format!("no active token {id} in {database}"))?;
            let token = store::tokens::find(&tx, &id).await?;
            Origin::cli()
                .record(&tx, tokens::token_event(Action::TokenRevoked, &token))
                .await?;
            tx.commit().await?;
            eprintln!("token {id} revoked in {database}");
        }
    }
    Ok(())
}
