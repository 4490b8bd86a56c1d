//! Notifications as use cases: the notices a write carries (built here from each recipient's
//! delivery choice and address, written by the store in the write's own transaction), and a
//! user's own list, unread count, read marks and choices. A signed-in user acts on their own;
//! a token or the CLI names the user (admins and managers only).

use closer_domain::access::Action;
use closer_domain::notify::{Delivery, Mentionable, Notice, NoticeKind, Notification, mentioned};
use closer_domain::{Contact, ContactId, Timestamp, UserId, WorkspaceId};
use closer_store::{Store, User};

use crate::{App, AppError, Principal};

/// Most notifications one list returns.
pub const MAX_LIST: u32 = 200;

/// How a person is named in a notification's line.
pub(crate) fn contact_name(c: &Contact) -> String {
    c.name
        .clone()
        .or_else(|| c.emails.first().map(ToString::to_string))
        .or_else(|| c.phones.first().map(ToString::to_string))
        .unwrap_or_else(|| "a contact".into())
}

/// What a notification says: its kind, the person it is about, its line, where it leads.
pub(crate) struct Telling<'a> {
    pub kind: NoticeKind,
    pub contact: Option<ContactId>,
    pub title: &'a str,
    pub link: &'a str,
    pub at: Timestamp,
    /// More lines for the e-mail (the digest's tasks).
    pub lines: &'a [String],
}

/// The notices telling `to` (each user once), as each wants them: none for a user who chose
/// none, or who is not (or no longer) in the workspace.
pub(crate) async fn notices(
    store: &dyn Store,
    ws: WorkspaceId,
    to: &[UserId],
    telling: Telling<'_>,
) -> Result<Vec<Notice>, AppError> {
    let Telling {
        kind,
        contact,
        title,
        link,
        at: now,
        lines,
    } = telling;
    if to.is_empty() {
        return Ok(Vec::new());
    }
    let users = store.list_users(ws).await?;
    let mut out: Vec<Notice> = Vec::new();
    for id in to {
        let Some(user) = users.iter().find(|u| u.id == *id) else {
            continue;
        };
        if out.iter().any(|n| n.user_id == *id) {
            continue;
        }
        let delivery = store
            .delivery_choices(ws, *id)
            .await?
            .into_iter()
            .find(|(k, _)| *k == kind)
            .map_or(Delivery::DEFAULT, |(_, d)| d);
        if delivery == Delivery::None {
            continue;
        }
        out.push(Notice {
            id: uuid::Uuid::now_v7(),
            workspace_id: ws,
            user_id: *id,
            contact_id: contact,
            kind,
            title: title.to_owned(),
            link: link.to_owned(),
            created_at: now,
            in_app: delivery.in_app(),
            email_to: delivery.email().then(|| user.email.as_str().to_owned()),
            lines: lines.to_vec(),
        });
    }
    Ok(out)
}

/// Who acts, as a notification names them.
pub(crate) async fn actor_name(store: &dyn Store, principal: &Principal) -> String {
    match principal.user() {
        Some(id) => store
            .user(principal.workspace_id, id)
            .await
            .map_or_else(|_| "Someone".into(), |u| u.name),
        None => "Someone".into(),
    }
}

/// The users `text` mentions, but not its author.
pub(crate) fn mentions_in(text: &str, users: &[User], author: Option<UserId>) -> Vec<UserId> {
    let names: Vec<Mentionable<'_>> = users
        .iter()
        .map(|u| Mentionable {
            id: u.id,
            name: &u.name,
            email: u.email.as_str(),
        })
        .collect();
    mentioned(text, &names)
        .into_iter()
        .filter(|u| Some(*u) != author)
        .collect()
}

impl App {
    /// The user whose notifications a request reads: the signed-in user themself, or the user
    /// a token or the CLI names by email (managers and admins).
    async fn recipient(
        &self,
        principal: &Principal,
        named: Option<&str>,
    ) -> Result<UserId, AppError> {
        match (principal.user(), named) {
            (Some(me), None) => Ok(me),
            (Some(me), Some(email)) => {
                let user = self.user_by_email(principal, email).await?;
                if user != me {
                    principal.check(Action::AssignContacts, None)?;
                }
                Ok(user)
            }
            (None, Some(email)) => self.user_by_email(principal, email).await,
            (None, None) => Err(AppError::invalid(
                "user",
                "name the user (their email): a token or the CLI has no notifications of its own",
            )),
        }
    }

    async fn user_by_email(&self, principal: &Principal, email: &str) -> Result<UserId, AppError> {
        self.store()
            .list_users(principal.workspace_id)
            .await?
            .into_iter()
            .find(|u| u.email.as_str().eq_ignore_ascii_case(email.trim()))
            .map(|u| u.id)
            .ok_or_else(|| AppError::invalid("user", "is not a user of this workspace"))
    }

    pub async fn notifications(
        &self,
        principal: &Principal,
        user: Option<&str>,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, AppError> {
        if !(1..=MAX_LIST).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIST}"),
            ));
        }
        let user = self.recipient(principal, user).await?;
        Ok(self
            .store()
            .notifications(principal.workspace_id, user, unread_only, limit)
            .await?)
    }

    /// The signed-in user's unread count (the bell); 0 for a token or the CLI.
    pub async fn unread_notifications(&self, principal: &Principal) -> Result<u64, AppError> {
        match principal.user() {
            Some(me) => Ok(self
                .store()
                .unread_count(principal.workspace_id, me)
                .await?),
            None => Ok(0),
        }
    }

    /// Marks one notification read, or all of the user's with `None`.
    pub async fn mark_notifications_read(
        &self,
        principal: &Principal,
        user: Option<&str>,
        id: Option<uuid::Uuid>,
    ) -> Result<(), AppError> {
        let user = self.recipient(principal, user).await?;
        Ok(self
            .store()
            .mark_read(principal.workspace_id, user, id, Timestamp::now())
            .await?)
    }

    /// Opens one of the signed-in user's notifications: marked read; where it leads.
    pub async fn open_notification(
        &self,
        principal: &Principal,
        id: uuid::Uuid,
    ) -> Result<String, AppError> {
        let user = self.recipient(principal, None).await?;
        let ws = principal.workspace_id;
        let found = self.store().notification(ws, user, id).await?;
        self.store()
            .mark_read(ws, user, Some(id), Timestamp::now())
            .await?;
        Ok(found.link)
    }

    /// Every kind with the user's choice (the default where they made none).
    pub async fn notification_choices(
        &self,
        principal: &Principal,
        user: Option<&str>,
    ) -> Result<Vec<(NoticeKind, Delivery)>, AppError> {
        let user = self.recipient(principal, user).await?;
        let chosen = self
            .store()
            .delivery_choices(principal.workspace_id, user)
            .await?;
        Ok(NoticeKind::ALL
            .into_iter()
            .map(|k| {
                let d = chosen
                    .iter()
                    .find(|(c, _)| *c == k)
                    .map_or(Delivery::DEFAULT, |(_, d)| *d);
                (k, d)
            })
            .collect())
    }

    pub async fn set_notification_choice(
        &self,
        principal: &Principal,
        user: Option<&str>,
        kind: NoticeKind,
        delivery: Delivery,
    ) -> Result<(), AppError> {
        let user = self.recipient(principal, user).await?;
        Ok(self
            .store()
            .set_delivery(principal.workspace_id, user, kind, delivery)
            .await?)
    }
}
