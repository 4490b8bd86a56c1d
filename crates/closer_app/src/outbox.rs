//! The outbox worker: e-mails (and later webhooks) written as rows in the transaction of what
//! caused them are claimed here, sent over SMTP with `lettre`, and marked sent once the mail
//! server accepted them — retried with growing pauses when it did not, given up on a
//! permanent refusal or after `MAX_ATTEMPTS`. A process that stops mid-send leaves its claim to
//! expire, and the row is sent again: at least once, never lost; each message's Message-ID is
//! its row's id, so a mail client shows a message sent twice once.

use std::time::Duration;

use closer_domain::Timestamp;
use closer_store::OutboxItem;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{App, AppError};

/// How long a claimed row is this worker's before another may take it.
const LEASE: Duration = Duration::from_mins(2);
/// Rows one round claims.
const BATCH: u32 = 20;
/// Tries before a row is given up.
pub const MAX_ATTEMPTS: u32 = 10;
/// Sent or given-up rows are kept this long, then deleted (their payloads name people).
const KEEP_DONE: Duration = Duration::from_hours(24 * 7);

/// An SMTP server to send through, and who the mail is from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The app's address, for the links in messages (`--public-url`).
    public_url: String,
}

impl Mailer {
    /// `smtp://[user:password@]host[:port]` (port 25 by default). The connection is not
    /// encrypted: `smtps://` and STARTTLS are refused with a message saying so.
    pub fn new(url: &str, from: &str, public_url: &str) -> Result<Self, AppError> {
        let invalid = |m: String| AppError::invalid("smtp_url", m);
        let parsed = url::Url::parse(url).map_err(|e| invalid(format!("{url:?}: {e}")))?;
        if parsed.scheme() != "smtp" {
            return Err(invalid(format!(
                "{:?} is not supported: closer sends over plain smtp:// (relay through a local \
                 mail server for TLS)",
                parsed.scheme()
            )));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("names no host (smtp://mail.example.com:25)".into()))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(parsed.port().unwrap_or(25))
            .timeout(Some(Duration::from_secs(30)));
        if !parsed.username().is_empty() {
            builder = builder.credentials(Credentials::new(
                parsed.username().to_owned(),
                parsed.password().unwrap_or("").to_owned(),
            ));
        }
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| AppError::invalid("mail_from", format!("{from:?}: {e}")))?;
        Ok(Self {
            transport: builder.build(),
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }

    fn message(&self, item: &OutboxItem) -> Result<Message, String> {
        let field = |name: &str| {
            item.payload
                .get(name)
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| format!("the row has no {name}"))
        };
        let to: Mailbox = field("to")?
            .parse()
            .map_err(|e| format!("the address is not one: {e}"))?;
        let subject = field("subject")?;
        let link = format!("{}{}", self.public_url, field("link")?);
        // Older rows have no lines.
        let said: Vec<&str> = item
            .payload
            .get("lines")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .collect();
        let lines = if said.is_empty() {
            String::new()
        } else {
            format!("\n{}\n", said.join("\n"))
        };
        let body = format!(
            "{subject}\n{lines}\nOpen it: {link}\n\nChoose what closer tells you, and how: {}/notifications\n",
            self.public_url
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@closer>", item.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())
    }
}

/// The pause before try `attempts + 1`: half a minute, doubling, at most an hour.
fn backoff(attempts: u32) -> Duration {
    let secs = 30u64.saturating_mul(1 << attempts.min(7));
    Duration::from_secs(secs.min(3600))
}

impl App {
    /// One round: claims the rows due and sends each; how many were sent.
    pub async fn deliver_outbox(&self, mailer: &Mailer) -> Result<usize, AppError> {
        let store = self.store();
        let now = Timestamp::now();
        let items = store.claim_outbox(now, LEASE, BATCH).await?;
        let mut sent = 0;
        for item in items {
            let tried = item.attempts + 1;
            let outcome = match item.kind.as_str() {
                "email" => match mailer.message(&item) {
                    Ok(message) => mailer
                        .transport
                        .send(message)
                        .await
                        .map(|_| ())
                        .map_err(|e| (e.is_permanent(), e.to_string())),
                    Err(bad) => Err((true, bad)),
                },
                other => Err((true, format!("no sender for {other:?} rows"))),
            };
            let now = Timestamp::now();
            match outcome {
                Ok(()) => {
                    store.outbox_done(item.id, now).await?;
                    sent += 1;
                }
                Err((permanent, error)) => {
                    let retry = (!permanent && tried < MAX_ATTEMPTS)
                        .then(|| Timestamp::new(now.get() + backoff(tried)));
                    tracing::warn!(outbox.id = %item.id, tried, permanent, %error, "outbox row not delivered");
                    store.outbox_failed(item.id, &error, retry, now).await?;
                }
            }
        }
        Ok(sent)
    }

    /// Sends the outbox every second until the process stops (`closer serve --smtp-url`),
    /// and deletes rows sent or given up a week ago.
    pub fn spawn_outbox(&self, mailer: Mailer) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut rounds: u64 = 0;
            loop {
                tick.tick().await;
                if let Err(e) = app.deliver_outbox(&mailer).await {
                    tracing::warn!(error = %e, "the outbox could not be read");
                }
                rounds += 1;
                if rounds % 3600 == 1 {
                    let before = Timestamp::new(Timestamp::now().get() - KEEP_DONE);
                    if let Err(e) = app.store().purge_outbox(before).await {
                        tracing::warn!(error = %e, "old outbox rows could not be deleted");
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_mins(1));
        assert_eq!(backoff(2), Duration::from_mins(2));
        assert_eq!(backoff(9), Duration::from_hours(1));
    }

    #[test]
    fn only_plain_smtp() {
        let ok = Mailer::new(
            "smtp://127.0.0.1:2525",
            "closer <closer@acme.example>",
            "http://x/",
        );
        assert!(ok.is_ok());
        for (url, says) in [
            ("smtps://mail.example.com", "not supported"),
            ("smtp://", "no host"),
            ("mail.example.com", "relative URL"),
        ] {
            let Err(AppError::Invalid(e)) = Mailer::new(url, "a@b.example", "") else {
                panic!("{url} accepted");
            };
            assert!(e[0].message.contains(says), "{url}: {}", e[0].message);
        }
        assert!(Mailer::new("smtp://h", "not an address", "").is_err());
    }
}
