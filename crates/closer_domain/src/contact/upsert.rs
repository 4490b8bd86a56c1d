//! The rules of an upsert (every capture, form post, import row): which identities a draft
//! carries, which contact it is for given who owns them, the `stage_changed` event recorded
//! with every stage move, and the text a contact is searched by. Both storage adapters run
//! these inside their transactions; they decide nothing themselves.

use crate::{Contact, ContactDraft, ContactId, NewEvent, Stage, Timestamp};

/// Which kind of identity a normalised value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityKind {
    Email,
    Phone,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Email => "email",
            IdentityKind::Phone => "phone",
        }
    }
}

/// The identities a draft carries, emails first: the order in which a match is chosen.
pub fn draft_identities(draft: &ContactDraft) -> Vec<(IdentityKind, String)> {
    draft
        .emails
        .iter()
        .map(|e| (IdentityKind::Email, e.as_str().to_owned()))
        .chain(
            draft
                .phones
                .iter()
                .map(|p| (IdentityKind::Phone, p.as_str().to_owned())),
        )
        .collect()
}

/// Decides, from who owns each of the draft's identities, which contact the draft is for and
/// what it may add. The first identity with an owner wins (emails before phones); identities
/// owned by a *different* contact are dropped from the draft, since one person's email must
/// never be moved onto another record silently (merging two contacts is an explicit act).
/// Those other holders come back as the third value: each may be the same person as the
/// target (a possible duplicate).
pub fn plan_upsert(
    mut draft: ContactDraft,
    owners: &[(IdentityKind, String, ContactId)],
) -> (Option<ContactId>, ContactDraft, Vec<ContactId>) {
    let Some(target) = owners.first().map(|(_, _, id)| *id) else {
        return (None, draft, Vec::new());
    };
    let mut others: Vec<ContactId> = owners
        .iter()
        .map(|(_, _, id)| *id)
        .filter(|id| *id != target)
        .collect();
    others.sort_unstable_by_key(|c| c.0);
    others.dedup();
    let foreign = |kind: IdentityKind, value: &str| {
        owners
            .iter()
            .any(|(k, v, id)| *k == kind && v == value && *id != target)
    };
    draft
        .emails
        .retain(|e| !foreign(IdentityKind::Email, e.as_str()));
    draft
        .phones
        .retain(|p| !foreign(IdentityKind::Phone, p.as_str()));
    (Some(target), draft, others)
}

/// The `stage_changed` event recorded with every stage move.
pub fn stage_event(from: Option<Stage>, to: Stage, actor: &str, now: Timestamp) -> NewEvent {
    NewEvent {
        id: crate::EventId::new(),
        kind: crate::EventKind::StageChanged,
        occurred_at: now,
        properties: serde_json::json!({
            "from": from.map(Stage::as_str),
            "to": to.as_str(),
            "by": actor,
        }),
    }
}

/// `stage_event` with the mover's reason, when they gave one.
pub fn stage_event_why(
    from: Option<Stage>,
    to: Stage,
    actor: &str,
    now: Timestamp,
    reason: Option<&str>,
) -> NewEvent {
    let mut e = stage_event(from, to, actor, now);
    if let (Some(r), Some(props)) = (reason, e.properties.as_object_mut()) {
        props.insert("reason".into(), r.into());
    }
    e
}

/// The lower-cased text `q` searches: name, emails and company.
pub fn search_text(contact: &Contact) -> String {
    let mut text = String::new();
    for part in contact
        .name
        .iter()
        .map(String::as_str)
        .chain(contact.emails.iter().map(crate::Email::as_str))
        .chain(contact.company.iter().map(String::as_str))
    {
        text.push_str(&part.to_lowercase());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Email, Phone};

    fn draft(emails: &[&str], phones: &[&str]) -> ContactDraft {
        ContactDraft {
            emails: emails.iter().map(|e| Email::parse(e).unwrap()).collect(),
            phones: phones
                .iter()
                .map(|p| Phone::parse(p, None).unwrap())
                .collect(),
            ..ContactDraft::default()
        }
    }

    #[test]
    fn identities_come_emails_first() {
        let d = draft(&["ada@example.com"], &["+1 650 253 0000"]);
        let ids = draft_identities(&d);
        assert_eq!(ids[0].0, IdentityKind::Email);
        assert_eq!(ids[1], (IdentityKind::Phone, "+16502530000".to_owned()));
    }

    #[test]
    fn the_first_owner_wins_and_foreign_identities_are_dropped() {
        let d = draft(&["ada@example.com"], &["+1 650 253 0000"]);
        assert_eq!(plan_upsert(d.clone(), &[]), (None, d.clone(), Vec::new()));
        let (a, b) = (ContactId::new(), ContactId::new());
        let owners = [
            (IdentityKind::Email, "ada@example.com".to_owned(), a),
            (IdentityKind::Phone, "+16502530000".to_owned(), b),
        ];
        let (target, kept, others) = plan_upsert(d, &owners);
        assert_eq!(target, Some(a));
        assert_eq!(kept.emails.len(), 1);
        assert!(kept.phones.is_empty(), "B's phone is not moved onto A");
        assert_eq!(others, vec![b], "B may be the same person");
    }

    #[test]
    fn a_stage_event_says_from_to_and_by_whom() {
        let e = stage_event(None, Stage::Lead, "form:landing", Timestamp::now());
        assert_eq!(e.properties["from"], serde_json::Value::Null);
        assert_eq!(e.properties["to"], "lead");
        assert_eq!(e.properties["by"], "form:landing");
    }
}
