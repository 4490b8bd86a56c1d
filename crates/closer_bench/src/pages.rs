//! `closer-bench pages`: the web app's pages at scale. It fills a `demo` workspace (or reuses
//! `--database`), adds an admin with a password through the CLI, signs in through the sign-in
//! form, and times each page one request at a time over loopback, with each page's weight
//! (its HTML plus the assets it loads).

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, ensure};

use crate::demo::DemoArgs;
use crate::server::{Server, cli};
use crate::stats::{Auth, ms, summarize, time_requests};
use crate::{Engine, ServerArgs};

#[derive(clap::Args)]
pub struct PagesArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub demo: DemoArgs,
    /// Timed requests per page.
    #[arg(long, default_value_t = 10)]
    pub requests: usize,
    /// Seconds to wait after the server starts before timing anything. The server computes
    /// each workspace's default dashboards and report pages in the background when it starts:
    /// with 0, "first" is a visit the moment the server is up (waiting on that work); with
    /// enough seconds for it to finish, the first visit to a server that has been running.
    #[arg(long, default_value_t = 0)]
    pub settle: u64,
}

/// `closer user passwd`, which reads the password from standard input.
fn set_password(
    args: &ServerArgs,
    url: &str,
    workspace: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    let mut child = Command::new(&args.closer)
        .args(["user", "passwd", email, "--workspace", workspace])
        .env("CLOSER_DATABASE_URL", url)
        .env("CLOSER_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("running closer user passwd")?;
    writeln!(child.stdin.take().context("stdin")?, "{password}")?;
    ensure!(child.wait()?.success(), "closer user passwd failed");
    Ok(())
}

/// The value of a `name=value` pair in `Set-Cookie` headers.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Signs in through the form; the session's `Cookie` header.
async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    workspace: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let res = client.get(format!("{base}/login")).send().await?;
    let token = set_cookie(&res, "closer_sign_in").context("a sign-in cookie")?;
    let html = res.text().await?;
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("the sign-in form's token")?
        .to_owned();
    let res = client
        .post(format!("{base}/login"))
        .header("cookie", format!("closer_sign_in={token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("workspace", workspace),
            ("next", "/"),
        ])?)
        .send()
        .await?;
    let session = set_cookie(&res, "closer_session").context("signed in")?;
    Ok(format!("closer_session={session}"))
}

/// A new admin of `workspace` with a password, signed in through the form: the session's
/// `Cookie` header.
pub(crate) async fn signed_in_admin(
    args: &ServerArgs,
    server: &Server,
    client: &reqwest::Client,
    workspace: &str,
) -> anyhow::Result<String> {
    let url = server.database_url().to_owned();
    let email = format!(
        "bench-{}@bench.example",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let password = uuid::Uuid::new_v4().simple().to_string();
    cli(
        &args.closer,
        &url,
        &[
            "user",
            "add",
            &email,
            "--name",
            "Bench Owner",
            "--role",
            "admin",
            "--workspace",
            workspace,
        ],
    )?;
    set_password(args, &url, workspace, &email, &password)?;
    sign_in(client, &server.base, workspace, &email, &password).await
}

pub async fn run(args: &PagesArgs) -> anyhow::Result<()> {
    let (server, _) = args.demo.start(&args.server, None).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = signed_in_admin(&args.server, &server, &client, "demo").await?;
    if args.settle > 0 {
        eprintln!("waiting {} s for the server's report warmer", args.settle);
        tokio::time::sleep(std::time::Duration::from_secs(args.settle)).await;
    }

    // A contact to open: the first of the list.
    let list = client
        .get(format!("{}/contacts", server.base))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    let contact = list
        .split("href=\"/contacts/")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .find(|id| uuid::Uuid::parse_str(id).is_ok())
        .context("a contact on the list")?
        .to_owned();
    let engine = if args.server.engine == Engine::Postgres {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("\n### Web app pages on {engine}\n");
    println!("| page | first ms | p50 ms | p90 ms | max ms | HTML |\n|---|---|---|---|---|---|");
    let pages = [
        "/".to_owned(),
        "/?days=365".to_owned(),
        // One channel of a period: computed with the period's dashboard, never on its own.
        "/?days=30&channel=paid_search".to_owned(),
        "/queue".to_owned(),
        "/contacts".to_owned(),
        "/contacts?temperature=hot".to_owned(),
        // The further filters: scores, the first touch's source, idle since, a property.
        "/contacts?fit_min=60&engagement_min=20".to_owned(),
        "/contacts?source=google".to_owned(),
        "/contacts?active_to=2026-09-01&stage=prospect".to_owned(),
        "/contacts?property=plan:gold".to_owned(),
        format!("/contacts/{contact}"),
        format!("/contacts/{contact}/edit"),
        "/board".to_owned(),
        "/tasks".to_owned(),
        "/reports/funnel".to_owned(),
        "/settings".to_owned(),
    ];
    for page in &pages {
        let u = format!("{}{page}", server.base);
        // The first request of a page may fill a cache; the rest show the steady state.
        let (first, _) = time_requests(&client, &u, Auth::Cookie(&cookie), 1).await?;
        let (mut samples, bytes) =
            time_requests(&client, &u, Auth::Cookie(&cookie), args.requests).await?;
        let s = summarize(&mut samples).context("no samples")?;
        println!(
            "| `{page}` | {:.0} | **{:.0}** | {:.0} | {:.0} | {} KiB |",
            ms(first[0]),
            ms(s.p50),
            ms(s.p90),
            ms(s.max),
            crate::stats::kib(bytes)
        );
    }
    // The search box as one types (`/search/suggest`, five of each kind) and its results page:
    // a letter many words start with, a first name many share, one lead's full name, the start
    // of their e-mail, a company's name, a phone, and a miss — the demo's own people
    // (`closer_domain::demo::names`).
    println!(
        "\n| search | first ms | p50 ms | p90 ms | max ms | HTML |\n|---|---|---|---|---|---|"
    );
    let lead = closer_domain::demo::names::lead(17_633);
    let company = closer_domain::demo::names::company(68);
    let typed = |text: &str| {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let email_start = lead.email.split('.').next().unwrap_or("a").to_owned();
    for q in [
        "/search/suggest?q=a".to_owned(),
        format!("/search/suggest?q={}", typed(&lead.first_name)),
        format!("/search/suggest?q={}", typed(&lead.name)),
        format!("/search/suggest?q={}", typed(&email_start)),
        format!("/search/suggest?q={}", typed(&company.name)),
        "/search/suggest?q=%2B1%20415%20555".to_owned(),
        "/search/suggest?q=zzz".to_owned(),
        format!("/search?q={}", typed(&lead.first_name)),
    ] {
        let u = format!("{}{q}", server.base);
        let (first, _) = time_requests(&client, &u, Auth::Cookie(&cookie), 1).await?;
        let (mut samples, bytes) =
            time_requests(&client, &u, Auth::Cookie(&cookie), args.requests).await?;
        let s = summarize(&mut samples).context("no samples")?;
        println!(
            "| `{q}` | {:.0} | **{:.0}** | {:.0} | {:.0} | {} KiB |",
            ms(first[0]),
            ms(s.p50),
            ms(s.p90),
            ms(s.max),
            crate::stats::kib(bytes)
        );
    }
    // Report pages nobody asked for before: the first view answers at once (the figures
    // being computed), and a viewer sees the figures when a reload finds them.
    println!(
        "\n| report page never asked for | first answer ms | figures after ms |\n|---|---|---|"
    );
    for page in [
        "/reports/measures?by=owner&from=2025-11-01&to=2026-10-31",
        "/reports/funnel?by=channel&from=2025-11-02&to=2026-10-31",
        "/reports/bottleneck?by=channel&from=2025-11-03&to=2026-10-31",
    ] {
        let u = format!("{}{page}", server.base);
        let started = std::time::Instant::now();
        let (first, _) = time_requests(&client, &u, Auth::Cookie(&cookie), 1).await?;
        let figures = loop {
            let body = client
                .get(&u)
                .header("cookie", &cookie)
                .send()
                .await?
                .text()
                .await?;
            if !body.contains("data-reload-in") {
                break started.elapsed();
            }
            ensure!(
                started.elapsed() < std::time::Duration::from_mins(2),
                "{page}: no figures after two minutes"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        println!("| `{page}` | {:.0} | {:.0} |", ms(first[0]), ms(figures));
    }
    saves(&client, &server.base, &cookie, &contact, args.requests).await?;
    // The weight of the heaviest page: the dashboard and everything it loads.
    let html = client
        .get(format!("{}/", server.base))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    let mut weight = html.len();
    for part in html
        .split("src=\"")
        .skip(1)
        .chain(html.split("href=\"").skip(1))
    {
        let path = part.split('"').next().unwrap_or("");
        if path.starts_with("/assets/") {
            weight += client
                .get(format!("{}{path}", server.base))
                .send()
                .await?
                .bytes()
                .await?
                .len();
        }
    }
    println!(
        "\ndashboard weight with its assets: {} KiB (uncached)",
        crate::stats::kib(weight)
    );
    server.stop().await
}

/// A page's HTML as the signed-in user.
async fn fetch(client: &reqwest::Client, url: &str, cookie: &str) -> anyhow::Result<String> {
    Ok(client
        .get(url)
        .header("cookie", cookie)
        .send()
        .await?
        .text()
        .await?)
}

/// The first `name="csrf" value="…"` of a page.
fn csrf_of(html: &str) -> anyhow::Result<String> {
    Ok(html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("a form's token")?
        .to_owned())
}

/// Posts a form as the signed-in user; the time to its answer, which must be the redirect
/// a saved form answers with.
async fn time_post(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    form: &[(&str, String)],
) -> anyhow::Result<std::time::Duration> {
    let body = serde_urlencoded::to_string(form)?;
    let started = std::time::Instant::now();
    let res = client
        .post(url)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    let status = res.status();
    let text = res.text().await?;
    let took = started.elapsed();
    ensure!(
        status == reqwest::StatusCode::SEE_OTHER,
        "{url} answered {status}: {}",
        text.chars().take(300).collect::<String>()
    );
    Ok(took)
}

/// The forms a person posts all day, each timed `n` times after one untimed: tagging a
/// contact, logging a note, adding a follow-up, moving a deal, saving a team view, editing a
/// contact, losing a deal, changing fifty contacts' stage, correcting an activity — then the
/// contact list again, with those views counted on it.
async fn saves(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    contact: &str,
    n: usize,
) -> anyhow::Result<()> {
    let page = client
        .get(format!("{base}/contacts/{contact}"))
        .header("cookie", cookie)
        .send()
        .await?
        .text()
        .await?;
    let csrf = csrf_of(&page)?;
    // A deal to move, and two of its pipeline's stages to move it between.
    let board = client
        .get(format!("{base}/board"))
        .header("cookie", cookie)
        .send()
        .await?
        .text()
        .await?;
    let deal = board
        .split("href=\"/deals/")
        .skip(1)
        .filter_map(|r| r.split('/').next())
        .find(|id| uuid::Uuid::parse_str(id).is_ok())
        .context("a deal on the board")?
        .to_owned();
    let mover = client
        .get(format!("{base}/deals/{deal}/move"))
        .header("cookie", cookie)
        .send()
        .await?
        .text()
        .await?;
    let stages: Vec<String> = mover
        .split("<option value=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .map(str::to_owned)
        .take(2)
        .collect();
    ensure!(stages.len() == 2, "two stages to move the deal between");
    println!(
        "\n| save (a form posted, to its redirect) | first ms | p50 ms | p90 ms | max ms |\n|---|---|---|---|---|"
    );
    // Fifty contacts of the list, to change in bulk.
    let list = client
        .get(format!("{base}/contacts"))
        .header("cookie", cookie)
        .send()
        .await?
        .text()
        .await?;
    let mut ticked: Vec<String> = list
        .split("name=\"id\" value=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(str::to_owned)
        .collect();
    ticked.truncate(50);
    ensure!(!ticked.is_empty(), "contacts to tick on the list");
    let lost_stage = mover
        .split("<option value=\"")
        .skip(1)
        .find_map(|r| {
            let (id, rest) = r.split_once('"')?;
            let label = rest.split('>').nth(1)?.split('<').next()?;
            (label.trim() == "Lost").then(|| id.to_owned())
        })
        .context("the pipeline's lost stage")?;
    let kinds = [
        "tag a contact",
        "log a note",
        "add a follow-up task",
        "move a deal",
        "save a team view",
        "edit a contact (every field)",
        "lose a deal (reason, objection)",
        "change the stage of 50 ticked contacts",
        "correct an activity",
    ];
    for (k, what) in kinds.iter().enumerate() {
        let mut samples = Vec::with_capacity(n + 1);
        for i in 0..=n {
            let once = uuid::Uuid::now_v7().to_string();
            // What a form carries from its page (read untimed, as a person's browser has it).
            let drawn = match k {
                5 => fetch(client, &format!("{base}/contacts/{contact}/edit"), cookie).await?,
                6 => {
                    // Back to an open stage first, so each loss is a move.
                    let form = vec![("csrf", csrf.clone()), ("stage", stages[0].clone())];
                    time_post(client, &format!("{base}/deals/{deal}/move"), cookie, &form).await?;
                    String::new()
                }
                8 => {
                    let page = fetch(client, &format!("{base}/contacts/{contact}"), cookie).await?;
                    let act = page
                        .split("href=\"/activities/")
                        .nth(1)
                        .and_then(|r| r.split('/').next())
                        .context("an activity on the contact's page")?
                        .to_owned();
                    let form =
                        fetch(client, &format!("{base}/activities/{act}/edit"), cookie).await?;
                    format!("{act}\n{form}")
                }
                _ => String::new(),
            };
            let field = |page: &str, name: &str| -> String {
                let marker = format!("name=\"{name}\" value=\"");
                page.split(&marker)
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or("")
                    .to_owned()
            };
            let (url, form): (String, Vec<(&str, String)>) = match k {
                0 => (
                    format!("{base}/contacts/{contact}/tags"),
                    vec![
                        ("csrf", csrf.clone()),
                        ("tags", format!("bench, round {}", i % 2)),
                    ],
                ),
                1 => (
                    format!("{base}/contacts/{contact}/activities"),
                    vec![
                        ("csrf", csrf.clone()),
                        ("once", once),
                        ("kind", "note".into()),
                        ("text", format!("Bench note {i}")),
                    ],
                ),
                2 => (
                    format!("{base}/contacts/{contact}/tasks"),
                    vec![
                        ("csrf", csrf.clone()),
                        ("once", once),
                        ("title", format!("Bench follow-up {i}")),
                        ("due_date", "2026-12-20".into()),
                        ("due_time", "10:00".into()),
                    ],
                ),
                3 => (
                    format!("{base}/deals/{deal}/move"),
                    vec![
                        ("csrf", csrf.clone()),
                        ("stage", stages[(i + 1) % 2].clone()),
                    ],
                ),
                4 => (
                    format!("{base}/contacts/views"),
                    vec![
                        ("csrf", csrf.clone()),
                        ("name", format!("Bench leads {i}")),
                        ("query", "stage=lead".into()),
                        ("shared", "yes".into()),
                    ],
                ),
                5 => {
                    let mut form: Vec<(&str, String)> = [
                        "read_at",
                        "name",
                        "company",
                        "job_title",
                        "stage",
                        "consent_was",
                    ]
                    .into_iter()
                    .map(|f| (f, field(&drawn, f)))
                    .collect();
                    let text = |id: &str| {
                        drawn
                            .split(&format!("id=\"{id}\""))
                            .nth(1)
                            .and_then(|r| r.split_once('>'))
                            .and_then(|(_, r)| r.split('<').next())
                            .unwrap_or("")
                            .to_owned()
                    };
                    form.push(("csrf", csrf.clone()));
                    form.push(("emails", text("edit-emails")));
                    form.push(("phones", format!("+44 20 7946 0{:03}", i % 1000)));
                    form.push(("stage_reason", String::new()));
                    form.push(("consent", field(&drawn, "consent_was")));
                    (format!("{base}/contacts/{contact}/edit"), form)
                }
                6 => (
                    format!("{base}/deals/{deal}/move"),
                    vec![
                        ("csrf", csrf.clone()),
                        ("stage", lost_stage.clone()),
                        ("loss_reason", "price".into()),
                        ("objection", format!("Too expensive this year ({i})")),
                    ],
                ),
                7 => {
                    let mut form = vec![
                        ("csrf", csrf.clone()),
                        (
                            "to_stage",
                            if i % 2 == 0 { "prospect" } else { "lead" }.to_owned(),
                        ),
                    ];
                    form.extend(ticked.iter().map(|id| ("id", id.clone())));
                    (format!("{base}/contacts/stage"), form)
                }
                _ => {
                    let (act, page) = drawn.split_once('\n').unwrap_or_default();
                    (
                        format!("{base}/activities/{act}/edit"),
                        vec![
                            ("csrf", csrf.clone()),
                            ("read", field(page, "read")),
                            ("kind", "note".into()),
                            ("day", field(page, "day")),
                            ("time", field(page, "time")),
                            ("outcome", format!("corrected {i}")),
                            ("text", format!("Bench note, corrected {i}")),
                        ],
                    )
                }
            };
            samples.push(time_post(client, &url, cookie, &form).await?);
        }
        let first = samples.remove(0);
        let s = summarize(&mut samples).context("no samples")?;
        println!(
            "| {what} | {:.0} | **{:.0}** | {:.0} | {:.0} |",
            ms(first),
            ms(s.p50),
            ms(s.p90),
            ms(s.max)
        );
    }
    let u = format!("{base}/contacts");
    let (first, _) = time_requests(client, &u, Auth::Cookie(cookie), 1).await?;
    let (mut samples, bytes) = time_requests(client, &u, Auth::Cookie(cookie), n).await?;
    let s = summarize(&mut samples).context("no samples")?;
    println!(
        "\n| page | first ms | p50 ms | p90 ms | max ms | HTML |\n|---|---|---|---|---|---|\n| `/contacts` with {} team views of every lead counted | {:.0} | **{:.0}** | {:.0} | {:.0} | {} KiB |",
        n + 1,
        ms(first[0]),
        ms(s.p50),
        ms(s.p90),
        ms(s.max),
        crate::stats::kib(bytes)
    );
    Ok(())
}
