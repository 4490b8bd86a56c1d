//! The command line, as clap types. Settings resolve flags → `CLOSER_*` environment → defaults.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "closer",
    version,
    about = "closer: follow one person from the first page view to revenue"
)]
pub struct Cli {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        global = true,
        env = "CLOSER_DATABASE_URL",
        default_value = "sqlite://closer.db",
        hide_env_values = true
    )]
    pub database_url: String,
    /// PostgreSQL connections this process opens at most. Several `closer` processes on one
    /// database must fit its `max_connections` together (100 by default).
    #[arg(
        long,
        global = true,
        env = "CLOSER_DB_POOL",
        default_value_t = 16,
        value_parser = clap::value_parser!(u32).range(2..=500)
    )]
    pub db_pool: u32,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrates first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage users of a workspace.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage lead-capture forms.
    #[command(subcommand)]
    Form(FormCommand),
    /// Manage tracked sites.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Print a report.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Qualification rules: scores, temperature and lifecycle.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// List contacts, or look into one.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Write a workspace's contacts, companies, deals, activities, tasks or orders to
    /// standard output, as CSV (the default) or JSON lines.
    Export {
        /// contacts, companies, deals, activities, tasks or orders.
        #[arg(value_enum)]
        entity: ExportEntity,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Companies: add, list, show (with people, deals, orders), delete.
    #[command(subcommand)]
    Company(CompanyCommand),
    /// The sales queue: open leads and prospects, hottest first (or by customer value).
    Queue {
        /// `priority` (hottest first) or `value` (highest predicted customer value first).
        #[arg(long, value_enum, default_value = "priority")]
        sort: QueueOrder,
        /// 1–200.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// A user's notifications: list them, mark them read, choose how each kind is delivered.
    #[command(subcommand)]
    Notifications(NotificationCommand),
    /// Put tags on and take tags off contacts, companies or deals, many at once; without
    /// --add or --remove, the workspace's tags with how many records hold each.
    Tag {
        #[arg(value_enum)]
        on: TagOn,
        /// The records' ids.
        ids: Vec<String>,
        /// A tag to put on (repeat for more).
        #[arg(long)]
        add: Vec<String>,
        /// A tag to take off (repeat for more).
        #[arg(long)]
        remove: Vec<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Saved views of the contact and deal lists: the team's, with their counts.
    #[command(subcommand)]
    View(ViewCommand),
    /// Find contacts, companies and deals: words matched as the start of words of names,
    /// emails, companies, domains and deal titles ("gra hop" finds Grace Hopper), or the start
    /// of a phone number written any way.
    Search {
        /// What to look for (at most 200 characters, 8 words).
        text: String,
        /// Most records of each kind, 1–50.
        #[arg(long, default_value_t = 10)]
        limit: u32,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Work deals: create, move, win, lose, show, list.
    #[command(subcommand)]
    Deal(DealCommand),
    /// Show a workspace's pipelines and their stages.
    #[command(subcommand)]
    Pipeline(PipelineCommand),
    /// Follow-up tasks: what is due, what is overdue.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Calls, emails, meetings, demos and notes logged on a contact: log, list, correct,
    /// delete.
    #[command(subcommand)]
    Activity(ActivityCommand),
    /// Custom properties of contacts, companies and deals: list, define, change, remove.
    #[command(subcommand)]
    Property(PropertyCommand),
    /// Fill a new workspace with a year of realistic synthetic history (traffic, leads,
    /// deals won and lost, repeat orders) to explore closer with.
    Demo {
        /// About this many leads (visitors are about ten times as many).
        #[arg(long, default_value_t = 2_000)]
        contacts: u64,
        /// The workspace to create and fill.
        #[arg(long, default_value = "demo")]
        workspace: String,
        /// The same seed makes the same history.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The day the history ends (it covers the 365 days before); default now. With the
        /// same seed and end, two databases get the same history.
        #[arg(long)]
        until: Option<String>,
    },
    /// Import contacts from a CSV file (HubSpot's, Pipedrive's or closer's own columns).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Orders: import a shop's order history.
    #[command(subcommand)]
    Order(OrderCommand),
    /// Copy a live SQLite database to a new file, consistent while `closer serve` keeps
    /// writing (SQLite's online backup). To restore, point --database-url at the copy. On
    /// PostgreSQL use pg_dump.
    Backup {
        /// The new file (it must not exist yet).
        path: std::path::PathBuf,
    },
    /// Recompute every contact's scores from their timelines under the rules in force (run it
    /// after `closer rules apply`).
    Rescore {
        #[arg(long, default_value = "default")]
        workspace: String,
        /// No progress bar (for scripts and logs).
        #[arg(long)]
        quiet: bool,
    },
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Print the rules in force (the shipped defaults until replaced), as TOML.
    Show {
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Check a rules file and, if it is valid, make it the workspace's rules.
    Apply {
        /// A TOML file; start from `closer rules show > rules.toml`.
        file: std::path::PathBuf,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Subcommand)]
pub enum DealCommand {
    /// Open a deal on a contact (it becomes an opportunity).
    Create {
        /// The contact's id.
        #[arg(long)]
        contact: String,
        #[arg(long)]
        title: String,
        /// Exact decimal, like 1200.50.
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        /// ISO 4217 code (USD when omitted).
        #[arg(long)]
        currency: Option<String>,
        /// A pipeline id (the default pipeline when omitted).
        #[arg(long)]
        pipeline: Option<String>,
        /// An open stage, by name or id (the pipeline's first when omitted).
        #[arg(long)]
        stage: Option<String>,
        /// YYYY-MM-DD.
        #[arg(long)]
        expected_close: Option<String>,
        /// The owner's user id (the contact's owner when omitted).
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Move a deal to another stage of its pipeline, by name or id.
    Move {
        id: String,
        stage: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Win a deal: it gets an order and its contact becomes a customer.
    Win {
        id: String,
        /// An order line, `PRODUCT,QUANTITY,UNIT_PRICE` (repeat for more); without lines
        /// the order is the deal itself at its amount.
        #[arg(long = "line")]
        lines: Vec<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Lose a deal, with a reason from the catalogue and the objection heard.
    Lose {
        id: String,
        /// A loss reason's key: price, timing, competitor, no_budget, no_decision_maker,
        /// no_need, unresponsive, other (or the workspace's own).
        #[arg(long)]
        reason: String,
        /// What the buyer said, in their words.
        #[arg(long)]
        objection: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Change a deal: only the options given change; `--expected-close` takes a date or
    /// `none`, `--owner` a user's email or `none`. Amount and currency of a won or lost deal
    /// are settled (move it back to an open stage first).
    Set {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        amount: Option<String>,
        #[arg(long)]
        currency: Option<String>,
        #[arg(long)]
        expected_close: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        /// A custom property, `NAME=VALUE` (repeat for more; an empty value clears it).
        #[arg(long = "property")]
        properties: Vec<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Delete a deal with its stage history, tags and tasks (its activities stay on the
    /// contact, its order stays the customer's). `--yes` confirms it.
    Delete {
        id: String,
        #[arg(long)]
        yes: bool,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// A deal with its stage history and order.
    Show {
        id: String,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Deals, newest first.
    List {
        /// open, won or lost.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum TaskCommand {
    /// Open tasks, soonest due first.
    List {
        /// Only tasks already past due.
        #[arg(long)]
        overdue: bool,
        /// Only this user's tasks (a user id or email).
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Add a follow-up task, due at `--due` (a date, a date and time, or RFC 3339; UTC), on a
    /// contact if one is named, for a user (their email) or nobody.
    Add(TaskAdd),
    /// Change a task: `--status` done, open (again) or cancelled; `--due` another time;
    /// `--assignee` someone else (their email) or `none`; `--title`; `--text` ("" clears it).
    Set(TaskSet),
    /// Delete a task. `--yes` confirms it.
    Delete {
        id: String,
        #[arg(long)]
        yes: bool,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Subcommand)]
pub enum PropertyCommand {
    /// The defined properties, by kind of record then name.
    List {
        /// contacts, companies or deals (all when omitted).
        #[arg(long)]
        of: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Define a property: values under its name are checked by its type from then on.
    Add {
        /// 1 to 40 lower-case letters, digits or _ (like annual_revenue).
        name: String,
        /// contacts, companies or deals.
        #[arg(long)]
        of: String,
        /// text, number, money, date, select, multi_select, checkbox or url.
        #[arg(long = "type")]
        kind: String,
        /// What forms call it (the name when omitted).
        #[arg(long)]
        label: Option<String>,
        /// A select's option (repeat for each, in order).
        #[arg(long = "option")]
        options: Vec<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Change a property's label and options (its name and type stay).
    Set {
        /// The property's id.
        id: String,
        #[arg(long)]
        label: String,
        #[arg(long = "option")]
        options: Vec<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Remove a property's definition (stored values stay, unchecked). `--yes` confirms it.
    Delete {
        id: String,
        #[arg(long)]
        yes: bool,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Subcommand)]
pub enum ActivityCommand {
    /// Log a call, email, meeting, demo or note on a contact. The first call, email, meeting
    /// or demo is the contact's first touch (speed-to-lead).
    Log {
        /// The contact's id.
        contact: String,
        /// call, email, meeting, demo or note.
        #[arg(long)]
        kind: String,
        /// "reached", "voicemail", "interested"… (up to 200 characters).
        #[arg(long)]
        outcome: Option<String>,
        /// What was said or done (up to 10,000 characters).
        #[arg(long)]
        text: Option<String>,
        /// When it happened (a date, a date and time, or RFC 3339; UTC); now when omitted.
        #[arg(long)]
        at: Option<String>,
        /// One of the contact's deals, by id.
        #[arg(long)]
        deal: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// A contact's activities, newest first.
    List {
        /// The contact's id.
        contact: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Correct an activity: only the options given change; "" clears the outcome or text.
    Edit {
        id: String,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        at: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Delete an activity. `--yes` confirms it.
    Delete {
        id: String,
        #[arg(long)]
        yes: bool,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(clap::Args)]
pub struct TaskAdd {
    #[arg(long)]
    pub title: String,
    #[arg(long)]
    pub due: String,
    /// The contact's id.
    #[arg(long)]
    pub contact: Option<String>,
    #[arg(long)]
    pub assignee: Option<String>,
    #[arg(long)]
    pub text: Option<String>,
    #[arg(long, default_value = "default")]
    pub workspace: String,
}

#[derive(clap::Args)]
pub struct TaskSet {
    /// The task's id.
    pub id: String,
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub due: Option<String>,
    #[arg(long)]
    pub assignee: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub text: Option<String>,
    #[arg(long, default_value = "default")]
    pub workspace: String,
}

/// What every import takes: the file, the workspace, and how to treat invalid rows.
#[derive(clap::Args)]
pub struct ImportRun {
    pub file: std::path::PathBuf,
    #[arg(long, default_value = "default")]
    pub workspace: String,
    /// Read and check everything, print what would happen, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the valid rows and write the invalid ones to an error file.
    #[arg(long)]
    pub continue_on_error: bool,
    /// Where --continue-on-error writes the rejected rows (default: FILE.errors.csv).
    #[arg(long)]
    pub errors: Option<std::path::PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// A TOML file that names columns: `id_column = "…"` and a `[columns]` table of
    /// header = a field as closer's export names its column ("email", "domains", "title"…),
    /// "property:NAME" or "skip".
    #[arg(long)]
    pub mapping: Option<std::path::PathBuf>,
    /// The column holding each record's id in the tool the file comes from.
    #[arg(long)]
    pub id_column: Option<String>,
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Contacts from a CSV file with a header row. Columns are recognised as HubSpot,
    /// Pipedrive and closer's export name them (Email, First Name, Phone Number, Lifecycle
    /// Stage, Contact owner, Create Date, Record ID…); others become custom properties.
    /// People are found by the file's record id, else by email and phone, as captures are:
    /// importing a file again changes nothing. A file with an invalid row imports nothing
    /// unless --continue-on-error is given.
    Contacts {
        #[command(flatten)]
        run: ImportRun,
    },
    /// Companies (accounts) from a CSV file with a header row: HubSpot's companies export
    /// (Record ID, Company name, Company Domain Name, Number of Employees, Industry,
    /// Country/Region, Company owner, Create Date…), Pipedrive's organizations or closer's
    /// export; other columns become custom properties. A company is found again by its record
    /// id, else by one of its domains, and its people are linked by their email's domain.
    Companies {
        #[command(flatten)]
        run: ImportRun,
    },
    /// Deals from a CSV file with a header row: Pipedrive's deals export (Deal - Title,
    /// Deal - Value, Deal - Currency, Deal - Pipeline, Deal - Stage, Deal - Status, Deal - Won
    /// time, Deal - Lost reason, Person - Email…), HubSpot's or closer's. The person is found
    /// by contact id (or the id their contact file gave them), email or phone, or made; the
    /// pipeline and stage by name. Won and lost deals close at their own time.
    Deals {
        #[command(flatten)]
        run: ImportRun,
    },
    /// Activities from a CSV file with a header row: Pipedrive's activities export (Activity -
    /// Subject, Activity - Type, Activity - Done, Activity - Due date, Activity - Note, Person -
    /// Email, Deal - Title…) or closer's. Done ones are logged calls, emails, meetings and
    /// notes at their time; those not done yet become follow-up tasks due then.
    Activities {
        #[command(flatten)]
        run: ImportRun,
    },
    /// Tasks from a CSV file with a header row: closer's tasks export, or a to-do list (Task
    /// Title, Due Date, Status, Assigned to, Contact email, deal…). The person is found as
    /// for activities (a task may name no one), the assignee among the users. Importing a
    /// file again adds nothing; a changed status, due date or assignee updates the task.
    Tasks {
        #[command(flatten)]
        run: ImportRun,
    },
    /// A shop's orders from a CSV file with a header row: email, placed_at (YYYY-MM-DD or RFC
    /// 3339), currency, product, quantity (default 1), unit_price, and optionally order (rows
    /// with the same value are one order); Shopify's order export is read as it is. Unknown
    /// emails become contacts; every buyer becomes a customer. Importing a file again adds
    /// nothing. A file with an invalid row imports nothing unless --continue-on-error is given.
    Orders {
        #[command(flatten)]
        run: ImportRun,
    },
}

#[derive(Subcommand)]
pub enum OrderCommand {
    /// The same as `closer import orders FILE` (kept for scripts written before it).
    Import {
        file: std::path::PathBuf,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Subcommand)]
pub enum PipelineCommand {
    /// The workspace's pipelines and their stages.
    List {
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Add a pipeline: its open stages in board order, then a won and a lost stage (before
    /// importing deals from a tool whose stages are named otherwise). Each open stage's
    /// chance of winning rises along the board; change it in Settings → Pipelines.
    Create {
        /// The pipeline's name, unique in the workspace.
        name: String,
        /// The open stages, in order.
        #[arg(required = true)]
        stages: Vec<String>,
        /// The won stage's name.
        #[arg(long, default_value = "Won")]
        won: String,
        /// The lost stage's name.
        #[arg(long, default_value = "Lost")]
        lost: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Subcommand)]
pub enum ContactCommand {
    /// Contacts, newest first (or by customer value), filtered like the web app's list.
    List {
        /// lead, prospect, opportunity, customer or repeat_customer.
        #[arg(long)]
        stage: Option<String>,
        /// hot, warm or cold.
        #[arg(long)]
        temperature: Option<String>,
        /// `newest` or `value` (highest predicted customer value first: customers only).
        #[arg(long, value_enum, default_value = "newest")]
        sort: ContactOrder,
        /// 1–200.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Explain a contact's fit and engagement scores, temperature and stage.
    Explain {
        /// The contact's id.
        id: String,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Change a contact's details: only the options given change. `--email` and `--phone`
    /// (repeatable) replace the lists; an empty value clears a text field; `--owner` takes a
    /// user's email, or `none`. Every mistake is named by its field.
    Edit {
        /// The contact's id.
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "email")]
        emails: Vec<String>,
        #[arg(long = "phone")]
        phones: Vec<String>,
        #[arg(long)]
        company: Option<String>,
        #[arg(long)]
        job_title: Option<String>,
        /// lead, prospect, opportunity, customer or disqualified.
        #[arg(long)]
        stage: Option<String>,
        /// Why the stage changes, kept in its history (with `--stage`).
        #[arg(long)]
        stage_reason: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        /// E-mail consent: `granted` or `withdrawn` (recorded now, from the command line).
        #[arg(long)]
        consent: Option<String>,
        /// A custom property, `NAME=VALUE` (repeat for more; an empty value clears it).
        #[arg(long = "property")]
        properties: Vec<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Change many contacts at once: their owner (a user's email, or none), their stage, or
    /// both — all of them, or none when one is not found.
    Bulk {
        /// The contacts' ids (up to 200).
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long)]
        owner: Option<String>,
        /// lead, prospect, opportunity, customer or disqualified.
        #[arg(long)]
        stage: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Everything closer holds about a person, as one JSON document (access and portability
    /// requests).
    Export {
        /// The contact's id.
        id: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Erase people (erasure requests): their contact records, identities, timelines,
    /// tracked visits, deals, activities, tasks and orders are deleted, not flagged. There is
    /// no undo: `--yes` confirms it.
    Erase {
        /// The contacts' ids (up to 200): all are checked before any is erased.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Confirms the erasure.
        #[arg(long)]
        yes: bool,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Merge other records of the same person into the contact KEEP: the preview lists each
    /// field's surviving value and why, and what moves (identities, visitors, timeline,
    /// traffic, deals, activities, tasks, orders). The others are gone afterwards.
    Merge {
        /// The contact kept.
        keep: String,
        /// The contacts merged into it (up to 20).
        #[arg(required = true)]
        others: Vec<String>,
        /// Show what the merge would do; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Possible duplicates to merge or dismiss: pairs one submission named an email or
    /// phone of each, and people of the same name at the same company.
    Duplicates {
        /// 1–200.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Two contacts are not the same person: the pair is no longer listed as a possible
    /// duplicate, nor found again.
    NotDuplicates {
        /// One contact's id.
        a: String,
        /// The other's.
        b: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Put a contact in a company by hand, or (`none`) in none.
    Company {
        /// The contact's id.
        id: String,
        /// A company id, or `none`.
        company: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// A customer's orders so far and predicted value over the next 52 weeks, from the
    /// workspace's lifetime-value fit.
    Value {
        /// The contact's id.
        id: String,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum CompanyCommand {
    /// Add a company, or show the one already holding one of its domains. People whose email
    /// is at one of its domains join it.
    Add {
        name: String,
        /// A web domain (acme.com); repeat for more.
        #[arg(long = "domain")]
        domains: Vec<String>,
        #[arg(long)]
        employees: Option<u32>,
        #[arg(long)]
        industry: Option<String>,
        #[arg(long)]
        country: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Companies, newest first.
    List {
        /// Text in the name or a domain.
        #[arg(long)]
        search: Option<String>,
        /// 1–200.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// A company with its people, deals and orders.
    Show {
        id: String,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Delete a company: its people and deals stay, without a company.
    Delete {
        id: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Subcommand)]
pub enum SiteCommand {
    /// Track a site: events naming this domain are stored in the workspace.
    Add {
        /// The site's host name, like example.com (a leading www. is dropped).
        domain: String,
        #[arg(long, default_value = "default")]
        workspace: String,
        /// The URL browsers reach closer at (for the script tag).
        #[arg(
            long,
            env = "CLOSER_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// List a workspace's tracked sites.
    List {
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Subcommand)]
pub enum NotificationCommand {
    /// The user's notifications, newest first.
    List {
        /// The user (their email).
        #[arg(long)]
        user: String,
        /// Only those not read yet.
        #[arg(long)]
        unread: bool,
        /// 1–200.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Marks one notification read, or all of the user's with --all.
    Read {
        #[arg(long)]
        user: String,
        /// The notification's id (from `list`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// How the user wants a kind delivered (without --kind: every kind's choice).
    Deliver {
        #[arg(long)]
        user: String,
        /// hot_lead, mention, task_assigned, task_due, task_overdue, deal_idle or digest.
        #[arg(long, requires = "delivery")]
        kind: Option<String>,
        /// in_app, email, both or none.
        #[arg(long, requires = "kind")]
        delivery: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Tells the reminders due now in every workspace — tasks due, tasks a day overdue, idle
    /// deals, the morning digest — each once (`closer serve` does this every minute).
    Remind {
        /// The moment to tell them for (RFC 3339), instead of now.
        #[arg(long)]
        at: Option<String>,
    },
    /// The workspace's reminder settings, changed by the options given.
    Reminders {
        /// Days without activity after which an owned open deal tells its owner (0: off).
        #[arg(long)]
        idle_deal_days: Option<i64>,
        /// The hour (UTC, 0–23) from which each user's digest of the day's tasks is sent.
        #[arg(long)]
        digest_hour: Option<i64>,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TagOn {
    Contacts,
    Companies,
    Deals,
}

#[derive(Subcommand)]
pub enum ViewCommand {
    /// The team's views of a list, each with the contacts it matches now.
    List {
        /// contacts or deals.
        #[arg(long, default_value = "contacts")]
        list: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Saves a view for the team: a name and the list's filters as a query string
    /// (`stage=lead&temperature=hot&tag=vip`), checked as `GET /api/v1/contacts` checks them.
    Save {
        name: String,
        query: String,
        #[arg(long, default_value = "contacts")]
        list: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Deletes a view.
    Delete {
        id: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportEntity {
    Contacts,
    Companies,
    Deals,
    Activities,
    Tasks,
    Orders,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ContactOrder {
    Newest,
    Value,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum QueueOrder {
    Priority,
    Value,
}

/// The business reports print as CSV too.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Json,
    /// Comma-separated rows, a `section` column first.
    Csv,
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Visitors, sessions, page views, bounce rate, duration, top pages, channels, sources,
    /// campaigns and a time series.
    Traffic {
        /// A date (2026-11-01) or an RFC 3339 time; default 30 days before --to.
        #[arg(long)]
        from: Option<String>,
        /// A date (included) or an RFC 3339 time; default now.
        #[arg(long)]
        to: Option<String>,
        /// One site's domain; all of the workspace's sites when left out.
        #[arg(long)]
        site: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// The funnel from visitor to repeat customer: counts, conversions and median days per
    /// step.
    Funnel(BusinessArgs),
    /// Closed deals, win rate, revenue, average deal size, sales cycle, time in stage,
    /// speed-to-lead, open pipeline and forecast, loss reasons, touches before a win.
    Measures(BusinessArgs),
    /// Repeat-purchase rate and the monthly cohort table.
    Retention(BusinessArgs),
    /// Historical and predicted customer lifetime value (BG/NBD and Gamma-Gamma).
    Ltv(BusinessArgs),
    /// Leads, deals and won revenue credited to channels or campaigns.
    Attribution(BusinessArgs),
    /// Which funnel step to fix first, and what fixing it is worth.
    Bottleneck(BusinessArgs),
}

/// What every business report takes (the API's query parameters).
#[derive(Args)]
pub struct BusinessArgs {
    /// A date (2026-01-01) or an RFC 3339 time; default 90 days before --to.
    #[arg(long)]
    pub from: Option<String>,
    /// A date (included) or an RFC 3339 time; default now.
    #[arg(long)]
    pub to: Option<String>,
    /// Breakdown: channel, source, campaign, site, owner or property:NAME.
    #[arg(long)]
    pub by: Option<String>,
    /// Funnel: cohort (default) or flow.
    #[arg(long)]
    pub view: Option<String>,
    /// Attribution: first_touch, last_touch, linear (default) or position_based.
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long, default_value = "default")]
    pub workspace: String,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CLOSER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The URL landing pages reach this server at (used in form snippets).
    #[arg(long, env = "CLOSER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Networks of reverse proxies whose X-Forwarded-For (and similar) headers name the
    /// visitor; comma-separated CIDRs. Default: loopback and private ranges.
    #[arg(long, env = "CLOSER_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<ipnet::IpNet>>,
    /// The header your proxies set to the visitor's address (`CF-Connecting-IP`,
    /// `X-Real-IP`, `True-Client-IP`, `Forwarded`), believed instead of X-Forwarded-For.
    #[arg(long, env = "CLOSER_CLIENT_IP_HEADER", value_parser = parse_header_name)]
    pub client_ip_header: Option<closer_web::HeaderName>,
    /// Events and form posts a second, sustained, per visitor IP, on the public routes.
    #[arg(long, env = "CLOSER_RATE_LIMIT", default_value_t = closer_web::ratelimit::DEFAULT_PER_SECOND)]
    pub rate_limit: u32,
    /// Requests a visitor IP may send at once before the sustained rate applies.
    #[arg(long, env = "CLOSER_RATE_BURST", default_value_t = closer_web::ratelimit::DEFAULT_BURST)]
    pub rate_burst: u32,
    /// Serve Prometheus metrics at http://ADDR/metrics (off by default; keep it off the
    /// public network).
    #[arg(long, env = "CLOSER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Minutes a new hot lead's first-contact task is due in (speed-to-lead).
    #[arg(long, env = "CLOSER_FIRST_CONTACT_MINUTES", default_value_t = 15)]
    pub first_contact_minutes: u32,
    /// The mail server notifications are e-mailed through: `smtp://host:port` or
    /// `smtp://user:password@host:port` (a plain connection: relay through a local mail
    /// server for TLS). Without it nothing is e-mailed; e-mails wait in the outbox.
    #[arg(long, env = "CLOSER_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Who the e-mails are from.
    #[arg(
        long,
        env = "CLOSER_MAIL_FROM",
        default_value = "closer <closer@localhost>"
    )]
    pub mail_from: String,
    /// Tell reminders (tasks due and overdue, idle deals, the morning digest) every minute.
    /// Every process may: each reminder is told once. `false` leaves them to other processes
    /// or to `closer notifications remind`.
    #[arg(long, env = "CLOSER_REMINDERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub reminders: bool,
    /// Start on a `demo` workspace (filled with a year of synthetic history the first time)
    /// and print a sign-in for it: a new password at every start.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand)]
pub enum WorkspaceCommand {
    /// Add a workspace.
    Create {
        /// 2–40 lowercase letters, digits and dashes.
        slug: String,
        /// Display name (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
        /// Two-letter country used to read phone numbers written without a country code.
        #[arg(long)]
        country: Option<String>,
    },
    /// List workspaces.
    List,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Member,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it once.
    Create {
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(long, value_enum, default_value = "admin")]
        role: RoleArg,
        /// A note saying what the token is for.
        #[arg(long)]
        label: Option<String>,
    },
    /// List a workspace's tokens (ids, roles, labels; never the secrets).
    List {
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's id, from `closer token list`.
        id: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user (sales rep, manager…) to a workspace.
    Add {
        email: String,
        #[arg(long)]
        name: String,
        /// admin, manager, rep or marketer.
        #[arg(long, default_value = "rep")]
        role: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// List a workspace's users.
    List {
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Set a user's password for the web app, read from the first line of standard input
    /// (`echo 'a long passphrase' | closer user passwd EMAIL`). Signs the user out everywhere.
    Passwd {
        email: String,
        #[arg(long, default_value = "default")]
        workspace: String,
    },
    /// Print a one-time link with which the user sets their own password (valid 7 days).
    Invite {
        email: String,
        #[arg(long, default_value = "default")]
        workspace: String,
        /// The address people reach closer at (the link starts with it).
        #[arg(
            long,
            env = "CLOSER_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
}

#[derive(Subcommand)]
pub enum FormCommand {
    /// Create a form and print its public key and address.
    Create {
        #[arg(long)]
        name: String,
        /// Where browsers go after a successful post.
        #[arg(long)]
        redirect: Option<String>,
        #[arg(long, default_value = "default")]
        workspace: String,
        /// The URL landing pages reach closer at.
        #[arg(
            long,
            env = "CLOSER_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// List a workspace's forms.
    List {
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(
            long,
            env = "CLOSER_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// Print an HTML form to paste into a landing page.
    Snippet {
        /// The form's id or public key.
        form: String,
        #[arg(long, default_value = "default")]
        workspace: String,
        #[arg(
            long,
            env = "CLOSER_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
}

/// A header name as HTTP spells it (letters, digits and `-`), lowercased.
fn parse_header_name(raw: &str) -> Result<closer_web::HeaderName, String> {
    closer_web::HeaderName::from_bytes(raw.trim().as_bytes())
        .map_err(|_| format!("{raw:?} is not a header name"))
}
