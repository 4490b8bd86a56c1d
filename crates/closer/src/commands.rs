//! Runs each command. Commands act directly on the database as the instance's operator.

use anyhow::Context;
use closer_app::{App, AppError};
use closer_domain::Role;
use closer_web::{Application, WebConfig, snippet};

use crate::cli::{
    Cli, Command, FormCommand, RoleArg, ServeArgs, TokenCommand, UserCommand, WorkspaceCommand,
};
use crate::store;
use crate::{qualify, report, sell};

/// A message a person can act on: field errors spelled out.
pub fn describe(e: &anyhow::Error) -> String {
    match e.downcast_ref::<AppError>() {
        Some(AppError::Invalid(errors)) => errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
        Some(AppError::NotFound) => "not found".into(),
        Some(other) => other.to_string(),
        None => format!("{e:#}"),
    }
}

/// The app of a one-shot command. Its reports read the tables: keeping every journey in
/// memory pays off over a server's many reports, not for one.
async fn open_app(url: &str) -> anyhow::Result<App> {
    let app = App::reading_tables(store::open(url).await?);
    app.access().ensure_default_workspace().await?;
    Ok(app)
}

/// The server's app: reports keep journeys and stage stays in memory between them.
async fn open_server_app(url: &str) -> anyhow::Result<App> {
    let app = App::new(store::open(url).await?);
    app.access().ensure_default_workspace().await?;
    Ok(app)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    store::set_pool_size(cli.db_pool);
    let url = cli.database_url;
    match cli.command {
        Command::Serve(args) => serve(&url, args).await,
        Command::Migrate => {
            open_app(&url).await?;
            outln!("migrations applied to {}", store::redacted(&url));
            Ok(())
        }
        Command::Workspace(cmd) => workspace(open_app(&url).await?, cmd).await,
        Command::Token(cmd) => token(open_app(&url).await?, cmd).await,
        Command::User(cmd) => user(open_app(&url).await?, cmd).await,
        Command::Form(cmd) => form(open_app(&url).await?, cmd).await,
        Command::Site(cmd) => report::site(open_app(&url).await?, cmd).await,
        Command::Report(cmd) => report::report(open_app(&url).await?, cmd).await,
        Command::Rules(cmd) => qualify::rules(open_app(&url).await?, cmd).await,
        Command::Contact(cmd) => qualify::contact(open_app(&url).await?, cmd).await,
        Command::Export {
            entity,
            format,
            workspace,
        } => crate::companies::export(open_app(&url).await?, entity, format, &workspace).await,
        Command::Company(cmd) => crate::companies::company(open_app(&url).await?, cmd).await,
        Command::Queue {
            sort,
            limit,
            workspace,
            format,
        } => crate::lists::queue(open_app(&url).await?, sort, limit, &workspace, format).await,
        Command::Notifications(cmd) => crate::notifications::run(open_app(&url).await?, cmd).await,
        Command::Tag {
            on,
            ids,
            add,
            remove,
            workspace,
        } => crate::tags::tag(open_app(&url).await?, on, &ids, &add, &remove, &workspace).await,
        Command::View(cmd) => crate::tags::view(open_app(&url).await?, cmd).await,
        Command::Search {
            text,
            limit,
            workspace,
            format,
        } => crate::search::search(open_app(&url).await?, &text, limit, &workspace, format).await,
        Command::Deal(cmd) => sell::deal(open_app(&url).await?, cmd).await,
        Command::Pipeline(cmd) => sell::pipeline(open_app(&url).await?, cmd).await,
        Command::Task(cmd) => sell::task(open_app(&url).await?, cmd).await,
        Command::Activity(cmd) => crate::activities::run(open_app(&url).await?, cmd).await,
        Command::Property(cmd) => crate::properties::run(open_app(&url).await?, cmd).await,
        Command::Demo {
            contacts,
            workspace,
            seed,
            until,
        } => {
            let until = match until {
                None => closer_domain::Timestamp::now(),
                Some(day) => {
                    let d = closer_domain::parse_date("until", &day)
                        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
                    closer_domain::Timestamp::new(d.midnight().assume_utc())
                }
            };
            demo(open_app(&url).await?, contacts, &workspace, seed, until).await
        }
        Command::Import(cmd) => crate::import::run(open_app(&url).await?, cmd).await,
        Command::Order(crate::cli::OrderCommand::Import { file, workspace }) => {
            let cmd = crate::cli::ImportCommand::Orders {
                run: crate::cli::ImportRun {
                    file,
                    workspace,
                    dry_run: false,
                    continue_on_error: false,
                    errors: None,
                    quiet: false,
                    mapping: None,
                    id_column: None,
                },
            };
            crate::import::run(open_app(&url).await?, cmd).await
        }
        Command::Backup { path } => crate::store::backup(&url, &path).await,
        Command::Rescore { workspace, quiet } => {
            qualify::rescore(open_app(&url).await?, &workspace, quiet).await
        }
    }
}

async fn serve(url: &str, args: ServeArgs) -> anyhow::Result<()> {
    // Listened for before anything is served: a signal sent the moment the server answers
    // stops it cleanly instead of killing it.
    let stop = shutdown_signal()?;
    let public = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    let smtp = args
        .smtp_url
        .as_deref()
        .map(|u| closer_app::outbox::Mailer::new(u, &args.mail_from, &public))
        .transpose()?;
    let app = open_server_app(url).await?;
    app.assign()
        .set_first_contact_minutes(args.first_contact_minutes);
    let engine = app.engine();
    let mut config = WebConfig::new(args.listen);
    config.public_url = args.public_url;
    if let Some(trusted) = args.trusted_proxies {
        config.trusted_proxies = trusted;
    }
    config.client_ip_header = args.client_ip_header;
    let nonzero = |name: &str, v: u32| {
        std::num::NonZeroU32::new(v).with_context(|| format!("{name} must be at least 1"))
    };
    config.rate_limit = closer_web::RateLimit {
        per_second: nonzero("--rate-limit", args.rate_limit)?,
        burst: nonzero("--rate-burst", args.rate_burst)?,
    };
    let login = if args.demo {
        Some(demo_login(&app).await?)
    } else {
        None
    };
    if let Some(addr) = args.metrics_listen {
        let bound = closer_web::metrics::spawn(addr, app.clone())
            .await
            .with_context(|| format!("serving metrics on {addr}"))?;
        tracing::info!(address = %bound, "metrics at http://{bound}/metrics");
    }
    if args.reminders {
        app.spawn_reminders();
    }
    // E-mails written to the outbox, sent through the mail server.
    if let Some(mailer) = smtp {
        app.spawn_outbox(mailer);
        tracing::info!("notifications are e-mailed");
    } else {
        tracing::info!("no --smtp-url: notifications are not e-mailed");
    }
    let server = Application::build(config, app)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    if let Some((email, password)) = login {
        outln!("closer is running at http://{}", server.local_addr());
        outln!("sign in as {email} with the password {password} (workspace demo)");
    }
    tracing::info!(address = %server.local_addr(), engine, "closer is ready at http://{}", server.local_addr());
    // The dashboards and report pages people open, computed while nobody waits for them.
    server.spawn_report_warming();
    // Scoring jobs live in memory: those a crash lost are found and run again.
    server.spawn_stale_rescore();

    server.run_until(stop).await.context("serving")?;
    tracing::info!("closer stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM; both are listened for from the call on.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = interrupt.recv() => {},
            }
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
}

async fn workspace(app: App, cmd: WorkspaceCommand) -> anyhow::Result<()> {
    match cmd {
        WorkspaceCommand::Create {
            slug,
            name,
            country,
        } => {
            let ws = app
                .access()
                .create_workspace(&slug, name.as_deref(), country.as_deref())
                .await?;
            outln!("created workspace {} ({})", ws.slug, ws.id);
        }
        WorkspaceCommand::List => {
            for ws in app.access().list_workspaces().await? {
                outln!(
                    "{}\t{}\t{}",
                    ws.slug,
                    ws.name,
                    ws.default_region.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

async fn token(app: App, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create {
            workspace,
            role,
            label,
        } => {
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Member => Role::Member,
            };
            let token = app.access().create_token(&workspace, role, label).await?;
            eprintln!(
                "{} token for workspace {workspace}; it is shown only this once:",
                role.as_str()
            );
            outln!("{}", token.secret);
        }
        TokenCommand::List { workspace } => {
            for t in app.access().list_tokens(&workspace).await? {
                outln!(
                    "{}\t{}\t{}\t{}",
                    t.id,
                    t.role.as_str(),
                    t.created_at,
                    t.label.unwrap_or_default()
                );
            }
        }
        TokenCommand::Revoke { id, workspace } => {
            app.access().revoke_token(&workspace, &id).await?;
            outln!("token {id} revoked");
        }
    }
    Ok(())
}

async fn user(app: App, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            email,
            name,
            role,
            workspace,
        } => {
            let user = app
                .access()
                .add_user(&workspace, &email, &name, &role)
                .await?;
            outln!("{}", user.id);
        }
        UserCommand::List { workspace } => {
            for u in app.access().list_users_in(&workspace).await? {
                outln!("{}\t{}\t{}\t{}", u.id, u.email, u.name, u.role);
            }
        }
        UserCommand::Invite {
            email,
            workspace,
            public_url,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let wanted = closer_domain::Email::parse(&email)
                .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
            let user = app
                .access()
                .users(ws.id)
                .await?
                .into_iter()
                .find(|u| u.email == wanted)
                .with_context(|| {
                    format!("no user of \"{workspace}\" has this email (closer user add)")
                })?;
            let secret = app.auth().invite_user(ws.id, user.id).await?;
            outln!("{}/invite/{secret}", public_url.trim_end_matches('/'));
            eprintln!("valid for 7 days, once; send it to {}", user.email);
        }
        UserCommand::Passwd { email, workspace } => {
            use std::io::{BufRead, IsTerminal};
            if std::io::stdin().is_terminal() {
                eprint!(
                    "New password (at least {} characters, shown as you type): ",
                    closer_app::MIN_PASSWORD
                );
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            let user = app
                .auth()
                .set_password(&workspace, &email, password)
                .await?;
            outln!("password set for {} ({})", user.email, user.role);
        }
    }
    Ok(())
}

async fn form(app: App, cmd: FormCommand) -> anyhow::Result<()> {
    match cmd {
        FormCommand::Create {
            name,
            redirect,
            workspace,
            public_url,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let form = app
                .forms()
                .create_form_in(ws.id, &name, redirect.as_deref())
                .await?;
            outln!("form {:?} created", form.name);
            outln!("id:     {}", form.id);
            outln!("key:    {}", form.key);
            outln!("action: {}", snippet::action_url(&form, &public_url));
            outln!("snippet: closer form snippet {}", form.key);
        }
        FormCommand::List {
            workspace,
            public_url,
        } => {
            for f in app.forms().list_forms_in(&workspace).await? {
                outln!(
                    "{}\t{}\t{}\t{}",
                    f.id,
                    f.key,
                    f.name,
                    snippet::action_url(&f, &public_url)
                );
            }
        }
        FormCommand::Snippet {
            form,
            workspace,
            public_url,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?;
            let form = app
                .forms()
                .find_form(ws.id, &form)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => {
                        anyhow::anyhow!("no form {form:?} in workspace {workspace}")
                    }
                    other => other.into(),
                })?;
            out!("{}", snippet::form_snippet(&form, &public_url));
        }
    }
    Ok(())
}

/// `serve --demo`: the `demo` workspace, filled on first use, and its owner with a new
/// password.
async fn demo_login(app: &App) -> anyhow::Result<(String, String)> {
    const OWNER: &str = "owner@demo.example";
    let ws = match app
        .access()
        .create_workspace("demo", Some("Demo"), None)
        .await
    {
        Ok(ws) => ws,
        Err(AppError::Conflict(_)) => app.access().workspace_by_slug("demo").await?,
        Err(e) => return Err(e.into()),
    };
    if app.scoring().count_contacts(ws.id).await? == 0 {
        eprintln!("filling the demo workspace with a year of history (a few seconds)…");
        app.demo()
            .fill_demo(ws.id, 2_000, 1, closer_domain::Timestamp::now(), |_, _| {})
            .await?;
    }
    match app
        .access()
        .add_user_to(
            &closer_app::Principal::operator(ws.id),
            OWNER,
            "Demo Owner",
            "admin",
        )
        .await
    {
        Ok(_) | Err(AppError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let password = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
    app.auth().set_password("demo", OWNER, &password).await?;
    Ok((OWNER.to_owned(), password))
}

async fn demo(
    app: App,
    contacts: u64,
    workspace: &str,
    seed: u64,
    until: closer_domain::Timestamp,
) -> anyhow::Result<()> {
    // A new workspace, or an existing one that is still empty.
    let ws = match app
        .access()
        .create_workspace(workspace, Some("Demo"), None)
        .await
    {
        Ok(ws) => ws,
        Err(AppError::Conflict(_)) => app.access().workspace_by_slug(workspace).await?,
        Err(e) => return Err(e.into()),
    };
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(0);
    let s = app
        .demo()
        .fill_demo(ws.id, contacts, seed, until, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
    bar.finish_and_clear();
    outln!(
        "workspace {workspace}: {} visitors ({} page views), {} leads, {} deals ({} won, {} lost), {} orders, in {:.0} s",
        s.visitors,
        s.page_views,
        s.leads,
        s.deals,
        s.won,
        s.lost,
        s.orders,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
