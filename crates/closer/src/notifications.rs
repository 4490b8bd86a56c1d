//! `closer notifications list|read|deliver --user EMAIL`: a user's notifications and their
//! delivery choices in the terminal, through the web app's use cases, as the operator;
//! `remind` tells the reminders due (as `closer serve` does each minute), `reminders` shows
//! and changes a workspace's reminder settings.

use closer_app::{App, Principal};
use closer_domain::Timestamp;
use closer_domain::notify::{Delivery, NoticeKind};
use closer_domain::reminders::Reminders;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use crate::cli::{Format, NotificationCommand};

pub async fn run(app: App, cmd: NotificationCommand) -> anyhow::Result<()> {
    let principal = |ws| Principal::operator(ws);
    match cmd {
        NotificationCommand::List {
            user,
            unread,
            limit,
            workspace,
            format,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let items = app
                .notifications(&principal(ws), Some(&user), unread, limit)
                .await?;
            if format == Format::Json {
                outln!("{}", serde_json::to_string_pretty(&items)?);
            } else if items.is_empty() {
                outln!("no notifications");
            } else {
                let mut t = Table::new();
                t.load_preset(UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_width(110)
                    .set_header(vec!["id", "when", "kind", "read", "what"]);
                for n in items {
                    t.add_row(vec![
                        n.id.to_string(),
                        n.created_at.to_string(),
                        n.kind.as_str().to_owned(),
                        if n.read_at.is_some() { "yes" } else { "new" }.to_owned(),
                        n.title,
                    ]);
                }
                outln!("{t}");
            }
        }
        NotificationCommand::Read {
            user,
            id,
            all: _,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let id = id
                .map(|raw| {
                    uuid::Uuid::parse_str(&raw)
                        .map_err(|_| anyhow::anyhow!("{raw:?} is not a notification id"))
                })
                .transpose()?;
            app.mark_notifications_read(&principal(ws), Some(&user), id)
                .await?;
            outln!("marked read");
        }
        NotificationCommand::Deliver {
            user,
            kind,
            delivery,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            if let (Some(kind), Some(delivery)) = (kind, delivery) {
                let kind = NoticeKind::parse(&kind)
                    .map_err(|e| anyhow::anyhow!("--kind: {}", e.message))?;
                let delivery = Delivery::parse(&delivery)
                    .map_err(|e| anyhow::anyhow!("--delivery: {}", e.message))?;
                app.set_notification_choice(&principal(ws), Some(&user), kind, delivery)
                    .await?;
            }
            for (kind, delivery) in app
                .notification_choices(&principal(ws), Some(&user))
                .await?
            {
                outln!("{}\t{}", kind.as_str(), delivery.as_str());
            }
        }
        NotificationCommand::Remind { at } => {
            let now = match at {
                Some(raw) => Timestamp::parse_rfc3339(&raw).ok_or_else(|| {
                    anyhow::anyhow!("--at: {raw:?} is not a time like 2026-12-08T07:00:00Z")
                })?,
                None => Timestamp::now(),
            };
            let told = app.tell_reminders(now).await?;
            outln!(
                "told {} due, {} overdue, {} idle deals, {} digests",
                told.task_due,
                told.task_overdue,
                told.deal_idle,
                told.digest
            );
        }
        NotificationCommand::Reminders {
            idle_deal_days,
            digest_hour,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let mut settings = app.reminder_settings(&principal(ws)).await?;
            if idle_deal_days.is_some() || digest_hour.is_some() {
                settings = Reminders::new(
                    idle_deal_days.unwrap_or(i64::from(settings.idle_deal_days)),
                    digest_hour.unwrap_or(i64::from(settings.digest_hour)),
                )
                .map_err(|errors| {
                    let said: Vec<String> = errors
                        .iter()
                        .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
                        .collect();
                    anyhow::anyhow!(said.join("; "))
                })?;
                app.set_reminder_settings(&principal(ws), settings).await?;
            }
            outln!("idle_deal_days\t{}", settings.idle_deal_days);
            outln!("digest_hour\t{}", settings.digest_hour);
        }
    }
    Ok(())
}
