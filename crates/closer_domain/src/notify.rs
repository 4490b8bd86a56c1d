//! Notifications: what a user is told (a hot lead given to them, a mention in a note), how
//! each user wants each kind delivered (in the app, by e-mail, both, neither), who an `@name`
//! in a note names, and the notice a write carries — the in-app row and the e-mail, both
//! written in the transaction of what caused them.

use serde::{Deserialize, Serialize};

use crate::{FieldError, Timestamp, UserId, WorkspaceId};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A lead that turned hot was given to the user, with a first-contact task.
    HotLead,
    /// Someone wrote `@name` for the user in a note or another logged activity.
    Mention,
    /// Someone else gave the user a task.
    TaskAssigned,
    /// A task of the user's is due now.
    TaskDue,
    /// A task of the user's is still open a day after it was due.
    TaskOverdue,
    /// A deal the user owns had no activity for the workspace's idle days.
    DealIdle,
    /// The morning's list of the user's tasks for the day (and those overdue).
    Digest,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 7] = [
        Self::HotLead,
        Self::Mention,
        Self::TaskAssigned,
        Self::TaskDue,
        Self::TaskOverdue,
        Self::DealIdle,
        Self::Digest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HotLead => "hot_lead",
            Self::Mention => "mention",
            Self::TaskAssigned => "task_assigned",
            Self::TaskDue => "task_due",
            Self::TaskOverdue => "task_overdue",
            Self::DealIdle => "deal_idle",
            Self::Digest => "digest",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                FieldError::new(
                    "kind",
                    format!(
                        "{raw:?} is not a notification kind; use hot_lead, mention, task_assigned, \
                         task_due, task_overdue, deal_idle or digest"
                    ),
                )
            })
    }

    /// As people read it in settings.
    pub fn describe(self) -> &'static str {
        match self {
            Self::HotLead => "A hot lead is assigned to me",
            Self::Mention => "Someone mentions me in a note",
            Self::TaskAssigned => "Someone gives me a task",
            Self::TaskDue => "A task of mine is due",
            Self::TaskOverdue => "A task of mine is overdue by a day",
            Self::DealIdle => "A deal of mine has had no activity for a while",
            Self::Digest => "Each morning, my tasks for the day",
        }
    }
}

/// Where a user wants a kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    InApp,
    Email,
    Both,
    None,
}

impl Delivery {
    pub const ALL: [Delivery; 4] = [Self::Both, Self::InApp, Self::Email, Self::None];

    /// Until a user chooses: both, so nothing urgent waits for someone to open the app.
    pub const DEFAULT: Delivery = Delivery::Both;

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InApp => "in_app",
            Self::Email => "email",
            Self::Both => "both",
            Self::None => "none",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == raw)
            .ok_or_else(|| {
                FieldError::new(
                    "delivery",
                    format!("{raw:?} is not a delivery; use in_app, email, both or none"),
                )
            })
    }

    pub fn in_app(self) -> bool {
        matches!(self, Self::InApp | Self::Both)
    }

    pub fn email(self) -> bool {
        matches!(self, Self::Email | Self::Both)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::InApp => "In the app",
            Self::Email => "By e-mail",
            Self::Both => "In the app and by e-mail",
            Self::None => "Not at all",
        }
    }
}

/// A notification ready to write: the in-app row when the user wants it, the e-mail when they
/// want that. `id` is both rows' id, and the e-mail's Message-ID: a receiver sees a message
/// sent twice (a crash after the server accepted it, before it was marked sent) as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: uuid::Uuid,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    /// The person it is about, if any: erasing them erases it.
    pub contact_id: Option<crate::ContactId>,
    pub kind: NoticeKind,
    /// One line: "Grace Hopper is a hot lead for you".
    pub title: String,
    /// Where it leads in the app, a path (`/contacts/…`).
    pub link: String,
    pub created_at: Timestamp,
    pub in_app: bool,
    /// The address to e-mail it to, when the user wants e-mail.
    pub email_to: Option<String>,
    /// More lines for the e-mail under the title (the digest's tasks); none for most kinds.
    pub lines: Vec<String>,
}

/// A notification as stored and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: uuid::Uuid,
    pub kind: NoticeKind,
    pub title: String,
    pub link: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

/// A user as a mention may name them.
pub struct Mentionable<'a> {
    pub id: UserId,
    pub name: &'a str,
    pub email: &'a str,
}

/// The users `text` mentions: `@` followed by a user's email, the part of it before the `@`,
/// their name without spaces (`@ritarep`) or their first name when no other user shares it —
/// case aside. Each user once, in the order of `users`.
pub fn mentioned(text: &str, users: &[Mentionable<'_>]) -> Vec<UserId> {
    let handles: Vec<String> = text
        .split('@')
        .skip(1)
        .zip(text.split('@'))
        // An `@` inside a word (an email address written in the note) is not a mention.
        .filter(|(_, before)| before.chars().last().is_none_or(|c| !c.is_alphanumeric()))
        .map(|(after, _)| {
            after
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
                .collect::<String>()
                .trim_end_matches(['.', '-', '_'])
                .to_lowercase()
        })
        .filter(|h| !h.is_empty())
        .collect();
    let first = |name: &str| name.split_whitespace().next().unwrap_or("").to_lowercase();
    users
        .iter()
        .filter(|u| {
            let email = u.email.to_lowercase();
            let local = email.split('@').next().unwrap_or("").to_owned();
            let joined: String = u.name.split_whitespace().collect::<String>().to_lowercase();
            let own_first = first(u.name);
            let first_unique = users.iter().filter(|o| first(o.name) == own_first).count() == 1;
            handles.iter().any(|h| {
                *h == email
                    || *h == local
                    || *h == joined
                    || (first_unique && !own_first.is_empty() && *h == own_first)
            })
        })
        .map(|u| u.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_deliveries_read_back() {
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.as_str()).unwrap(), k);
        }
        for d in Delivery::ALL {
            assert_eq!(Delivery::parse(d.as_str()).unwrap(), d);
        }
        assert!(
            Delivery::parse("sms")
                .unwrap_err()
                .message
                .contains("in_app")
        );
        assert!(Delivery::Both.in_app() && Delivery::Both.email());
        assert!(!Delivery::None.in_app() && !Delivery::None.email());
    }

    #[test]
    fn mentions_name_users() {
        let (rita, ron, rob) = (UserId::new(), UserId::new(), UserId::new());
        let users = [
            Mentionable {
                id: rita,
                name: "Rita Rep",
                email: "rita@acme.example",
            },
            Mentionable {
                id: ron,
                name: "Ron Weasley",
                email: "ron.w@acme.example",
            },
            Mentionable {
                id: rob,
                name: "Ron Burgundy",
                email: "rob@acme.example",
            },
        ];
        assert_eq!(mentioned("call her back, @Rita.", &users), [rita]);
        assert_eq!(mentioned("@ritarep and @ron.w please", &users), [rita, ron]);
        assert_eq!(mentioned("@rob@acme.example", &users), [rob]);
        assert!(
            mentioned("@ron is two people", &users).is_empty(),
            "ambiguous"
        );
        assert!(
            mentioned("mail rita@acme.example", &users).is_empty(),
            "an address"
        );
        assert!(mentioned("@nobody @ @", &users).is_empty());
        assert_eq!(mentioned("@rita @RITA", &users), [rita], "once");
    }
}
