//! Reminders: the notifications time brings rather than a write — a task due, a task a day
//! overdue, a deal idle for the workspace's number of days, the morning digest of the day's
//! tasks. What a workspace chose (`Reminders`), what has been told already (`NoticeMark`:
//! one per task, deal or user and kind, naming the moment it told about, so a rescheduled
//! task or a deal that went quiet again is told again), and the lines each reminder says.

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::notify::NoticeKind;
use crate::{FieldError, Timestamp, WorkspaceId};

/// A task is told overdue this long after it was due.
pub const OVERDUE_AFTER: Duration = Duration::days(1);
/// A task or deal is told about only this long after its moment; one older than that when
/// closer first looks (a new installation, a long stop) is not announced late.
pub const TELL_WITHIN: Duration = Duration::days(7);

/// A workspace's reminder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminders {
    /// An open deal with no activity (a logged call, note, …, or a change to the deal) for
    /// this many days tells its owner; 0 turns it off.
    pub idle_deal_days: u16,
    /// The hour (UTC, 0–23) from which each user's digest of the day's tasks is sent.
    pub digest_hour: u8,
}

impl Default for Reminders {
    fn default() -> Self {
        Self {
            idle_deal_days: 14,
            digest_hour: 7,
        }
    }
}

impl Reminders {
    pub const MAX_IDLE_DAYS: u16 = 365;

    pub fn new(idle_deal_days: i64, digest_hour: i64) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let days = u16::try_from(idle_deal_days)
            .ok()
            .filter(|d| *d <= Self::MAX_IDLE_DAYS);
        if days.is_none() {
            errors.push(FieldError::new(
                "idle_deal_days",
                format!(
                    "must be a whole number of days from 0 (off) to {}",
                    Self::MAX_IDLE_DAYS
                ),
            ));
        }
        let hour = u8::try_from(digest_hour).ok().filter(|h| *h <= 23);
        if hour.is_none() {
            errors.push(FieldError::new(
                "digest_hour",
                "must be an hour from 0 to 23 (UTC)",
            ));
        }
        match (days, hour) {
            (Some(idle_deal_days), Some(digest_hour)) => Ok(Self {
                idle_deal_days,
                digest_hour,
            }),
            _ => Err(errors),
        }
    }

    /// Deals last active at or before this moment are idle at `now`; `None` when off.
    pub fn idle_since(self, now: Timestamp) -> Option<Timestamp> {
        (self.idle_deal_days > 0)
            .then(|| Timestamp::new(now.get() - Duration::days(i64::from(self.idle_deal_days))))
    }

    /// The day whose digest is due at `now` (its midnight, UTC), once the hour has come.
    pub fn digest_day(self, now: Timestamp) -> Option<Timestamp> {
        let at = now.get();
        (at.hour() >= self.digest_hour)
            .then(|| Timestamp::new(at.replace_time(time::Time::MIDNIGHT)))
    }
}

/// "Told": `kind` about `subject` (a task, a deal, a user for the digest) for the moment
/// `told_for` (the task's due time, the deal's last activity, the digest's day). Written in
/// the transaction of the notices, and only if it changes: two processes never both tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeMark {
    pub workspace_id: WorkspaceId,
    pub kind: NoticeKind,
    pub subject: uuid::Uuid,
    pub told_for: Timestamp,
}

/// A task as a reminder names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTask {
    pub id: crate::pipeline::TaskId,
    pub workspace_id: WorkspaceId,
    pub assignee: crate::UserId,
    pub title: String,
    pub contact_id: Option<crate::ContactId>,
    pub due_at: Timestamp,
}

impl DueTask {
    pub fn link(&self) -> String {
        match self.contact_id {
            Some(c) => format!("/contacts/{}", c.0),
            None => "/tasks".into(),
        }
    }
}

/// An open deal with no activity since `last_active`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleDeal {
    pub id: crate::pipeline::DealId,
    pub workspace_id: WorkspaceId,
    pub owner: crate::UserId,
    pub title: String,
    pub contact_id: crate::ContactId,
    pub last_active: Timestamp,
}

/// `09:30` (UTC).
fn clock(t: Timestamp) -> String {
    let at = t.get();
    format!("{:02}:{:02}", at.hour(), at.minute())
}

/// `8 Dec`.
fn day(t: Timestamp) -> String {
    let at = t.get();
    format!("{} {}", at.day(), &format!("{}", at.month())[..3])
}

pub fn due_title(task: &DueTask) -> String {
    format!("Due at {} UTC: {}", clock(task.due_at), task.title)
}

pub fn overdue_title(task: &DueTask) -> String {
    format!("Overdue since {}: {}", day(task.due_at), task.title)
}

pub fn idle_title(deal: &IdleDeal, now: Timestamp) -> String {
    let days = (now.get() - deal.last_active.get()).whole_days();
    format!("No activity for {days} days: {}", deal.title)
}

/// The digest's title and its lines (one per task, the earliest first), for the tasks of
/// the day beginning `day`, those overdue from earlier days included.
pub fn digest(tasks: &[DueTask], day: Timestamp) -> (String, Vec<String>) {
    let overdue = tasks.iter().filter(|t| t.due_at < day).count();
    let count = match tasks.len() {
        1 => "1 task".to_owned(),
        n => format!("{n} tasks"),
    };
    let title = if overdue > 0 {
        format!("Your day: {count}, {overdue} overdue")
    } else {
        format!("Your day: {count}")
    };
    let lines = tasks
        .iter()
        .map(|t| {
            if t.due_at < day {
                format!("- overdue since {}: {}", self::day(t.due_at), t.title)
            } else {
                format!("- {}: {}", clock(t.due_at), t.title)
            }
        })
        .collect();
    (title, lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn at(t: time::OffsetDateTime) -> Timestamp {
        Timestamp::new(t)
    }

    fn task(title: &str, due: time::OffsetDateTime) -> DueTask {
        DueTask {
            id: crate::pipeline::TaskId::new(),
            workspace_id: WorkspaceId::new(),
            assignee: crate::UserId::new(),
            title: title.into(),
            contact_id: None,
            due_at: at(due),
        }
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(Reminders::new(14, 7).unwrap(), Reminders::default());
        assert!(Reminders::new(0, 0).is_ok());
        let errors = Reminders::new(-1, 24).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["idle_deal_days", "digest_hour"]);
        assert!(Reminders::new(366, 3).is_err());
    }

    #[test]
    fn idle_and_digest_moments() {
        let now = at(datetime!(2026-12-08 06:59 UTC));
        let r = Reminders::default();
        assert_eq!(r.idle_since(now), Some(at(datetime!(2026-11-24 06:59 UTC))));
        assert_eq!(Reminders::new(0, 7).unwrap().idle_since(now), None);
        assert_eq!(r.digest_day(now), None, "before the hour");
        assert_eq!(
            r.digest_day(at(datetime!(2026-12-08 07:00 UTC))),
            Some(at(datetime!(2026-12-08 00:00 UTC)))
        );
    }

    #[test]
    fn reminders_say_when() {
        let t = task("Call Grace", datetime!(2026-12-08 14:05 UTC));
        assert_eq!(due_title(&t), "Due at 14:05 UTC: Call Grace");
        assert_eq!(overdue_title(&t), "Overdue since 8 Dec: Call Grace");
        let deal = IdleDeal {
            id: crate::pipeline::DealId::new(),
            workspace_id: WorkspaceId::new(),
            owner: crate::UserId::new(),
            title: "Acme renewal".into(),
            contact_id: crate::ContactId::new(),
            last_active: at(datetime!(2026-11-20 10:00 UTC)),
        };
        assert_eq!(
            idle_title(&deal, at(datetime!(2026-12-08 09:00 UTC))),
            "No activity for 17 days: Acme renewal"
        );
        let day = at(datetime!(2026-12-08 00:00 UTC));
        let (title, lines) = digest(
            &[
                task("Send the quote", datetime!(2026-12-06 09:00 UTC)),
                task("Call Grace", datetime!(2026-12-08 14:05 UTC)),
            ],
            day,
        );
        assert_eq!(title, "Your day: 2 tasks, 1 overdue");
        assert_eq!(
            lines,
            [
                "- overdue since 6 Dec: Send the quote",
                "- 14:05: Call Grace"
            ]
        );
        let (title, _) = digest(&[task("x", datetime!(2026-12-08 09:00 UTC))], day);
        assert_eq!(title, "Your day: 1 task");
    }
}
