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
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CLOSER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The URL landing pages reach this server at (used in form snippets).
    #[arg(long, env = "CLOSER_PUBLIC_URL")]
    pub public_url: Option<String>,
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
