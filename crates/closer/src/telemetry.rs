//! Logging: `CLOSER_LOG` filters (default `info`), `CLOSER_LOG_FORMAT=json` for JSON lines.
//! Logs go to stderr so command output on stdout stays clean for scripts.
//! Never log personal data (emails, phones, IPs) at info level.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("CLOSER_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("CLOSER_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
