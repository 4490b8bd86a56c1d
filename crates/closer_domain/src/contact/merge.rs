//! Merging two or more records of one person: which value of each field survives, and why.
//! Pure, so the merge preview and the merge itself cannot disagree.
//!
//! The record kept wins where it has a value; where it has none, the first other record with
//! one fills it. Emails, phones and properties are combined (the kept record's first, so its
//! primary address stays primary). The stage is the furthest along the funnel any of them
//! reached (a customer stays a customer), the consent the latest statement any of them made,
//! and the creation time the earliest: the person was known since then.

use serde::Serialize;
use serde_json::Value;

use super::Contact;
use crate::{ContactId, FieldError, NewEvent, Timestamp};

/// Why a field has its merged value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The kept record's value.
    Kept,
    /// The kept record had none; another record's.
    FilledFromOther,
    /// Every record's values together.
    Combined,
    /// The furthest stage any record reached.
    Furthest,
    /// The latest statement any record holds.
    Newer,
    /// The earliest: the person was known since then.
    Earliest,
}

impl Why {
    /// As the API and exports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Why::Kept => "kept",
            Why::FilledFromOther => "filled_from_other",
            Why::Combined => "combined",
            Why::Furthest => "furthest",
            Why::Newer => "newer",
            Why::Earliest => "earliest",
        }
    }
}

/// One field of the merged record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChoice {
    pub field: &'static str,
    pub value: Value,
    pub why: Why,
    /// The record the value comes from (the kept one for combined values).
    pub from: ContactId,
}

/// The merged record and how each of its fields was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    pub merged: Contact,
    pub fields: Vec<FieldChoice>,
}

impl MergePlan {
    /// The record the merged stage came from: its open stage row stays open, the others'
    /// close at the merge.
    pub fn stage_from(&self) -> ContactId {
        self.fields
            .iter()
            .find(|f| f.field == "stage")
            .map_or(self.merged.id, |f| f.from)
    }

    /// The `merged` event the kept contact's timeline records.
    pub fn event(&self, others: &[ContactId], actor: &str, now: Timestamp) -> NewEvent {
        NewEvent {
            id: crate::EventId::new(),
            kind: crate::EventKind::Merged,
            occurred_at: now,
            properties: serde_json::json!({
                "from": others.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "by": actor,
            }),
        }
    }
}

/// What a merge moves to the kept record: how many rows of the merged-away records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Moves {
    /// Emails and phones.
    pub identities: u64,
    /// Ids in the tools the records were imported from.
    pub external_ids: u64,
    /// Tracked visitors (browsers) linked to the person.
    pub visitors: u64,
    /// Timeline events (captures, stage changes…).
    pub timeline: u64,
    /// Tracked page views and events of their visitors.
    pub traffic: u64,
    pub stage_history: u64,
    pub deals: u64,
    pub activities: u64,
    pub tasks: u64,
    pub orders: u64,
}

/// Plans merging `others` into `keep`. Refuses merging a record into itself, an empty list,
/// and records of another workspace.
pub fn plan_merge(keep: &Contact, others: &[Contact]) -> Result<MergePlan, FieldError> {
    if others.is_empty() {
        return Err(FieldError::new("from", "names no contact to merge"));
    }
    for o in others {
        if o.id == keep.id {
            return Err(FieldError::new(
                "from",
                "a contact cannot be merged into itself",
            ));
        }
        if o.workspace_id != keep.workspace_id {
            return Err(FieldError::new(
                "from",
                "is not a contact of this workspace",
            ));
        }
    }
    let mut merged = keep.clone();
    let mut fields = Vec::new();
    let scalar =
        |field: &'static str, get: fn(&Contact) -> Option<Value>, fields: &mut Vec<FieldChoice>| {
            if let Some(v) = get(keep) {
                fields.push(FieldChoice {
                    field,
                    value: v,
                    why: Why::Kept,
                    from: keep.id,
                });
            } else if let Some((o, v)) = others.iter().find_map(|o| get(o).map(|v| (o, v))) {
                fields.push(FieldChoice {
                    field,
                    value: v,
                    why: Why::FilledFromOther,
                    from: o.id,
                });
            }
        };
    scalar("name", |c| c.name.clone().map(Value::String), &mut fields);
    scalar(
        "company",
        |c| c.company.clone().map(Value::String),
        &mut fields,
    );
    scalar(
        "company_id",
        |c| c.company_id.map(|i| Value::String(i.to_string())),
        &mut fields,
    );
    scalar(
        "job_title",
        |c| c.job_title.clone().map(Value::String),
        &mut fields,
    );
    scalar(
        "owner_id",
        |c| c.owner_id.map(|i| Value::String(i.to_string())),
        &mut fields,
    );
    for f in &fields {
        let from = std::iter::once(keep)
            .chain(others)
            .find(|c| c.id == f.from)
            .unwrap_or(keep);
        match f.field {
            "name" => merged.name.clone_from(&from.name),
            "company" => merged.company.clone_from(&from.company),
            "company_id" => merged.company_id = from.company_id,
            "job_title" => merged.job_title.clone_from(&from.job_title),
            "owner_id" => merged.owner_id = from.owner_id,
            _ => {}
        }
    }
    for o in others {
        for e in &o.emails {
            if !merged.emails.contains(e) {
                merged.emails.push(e.clone());
            }
        }
        for p in &o.phones {
            if !merged.phones.contains(p) {
                merged.phones.push(p.clone());
            }
        }
        for (k, v) in &o.properties {
            merged
                .properties
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
    }
    for (field, value) in [
        ("emails", serde_json::to_value(&merged.emails)),
        ("phones", serde_json::to_value(&merged.phones)),
        ("properties", Ok(Value::Object(merged.properties.clone()))),
    ] {
        fields.push(FieldChoice {
            field,
            value: value.unwrap_or(Value::Null),
            why: Why::Combined,
            from: keep.id,
        });
    }
    // The furthest funnel stage; disqualified only when every record is.
    let furthest = std::iter::once(keep)
        .chain(others)
        .filter(|c| c.stage.rank().is_some())
        .max_by_key(|c| c.stage.rank())
        .unwrap_or(keep);
    merged.stage = furthest.stage;
    fields.push(FieldChoice {
        field: "stage",
        value: Value::String(merged.stage.as_str().into()),
        why: if furthest.id == keep.id || furthest.stage == keep.stage {
            Why::Kept
        } else {
            Why::Furthest
        },
        from: if furthest.stage == keep.stage {
            keep.id
        } else {
            furthest.id
        },
    });
    let latest = std::iter::once(keep)
        .chain(others)
        .filter(|c| c.consent.is_some())
        .max_by_key(|c| c.consent.as_ref().map(|s| s.at.unix_micros()));
    if let Some(c) = latest {
        merged.consent.clone_from(&c.consent);
        fields.push(FieldChoice {
            field: "consent",
            value: serde_json::to_value(&c.consent).unwrap_or(Value::Null),
            why: if c.id == keep.id {
                Why::Kept
            } else {
                Why::Newer
            },
            from: c.id,
        });
    }
    let earliest = std::iter::once(keep)
        .chain(others)
        .min_by_key(|c| c.created_at.unix_micros())
        .unwrap_or(keep);
    merged.created_at = earliest.created_at;
    fields.push(FieldChoice {
        field: "created_at",
        value: Value::String(earliest.created_at.to_string()),
        why: if earliest.id == keep.id {
            Why::Kept
        } else {
            Why::Earliest
        },
        from: earliest.id,
    });
    Ok(MergePlan { merged, fields })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Consent, Email, Stage, Timestamp, WorkspaceId};

    fn contact(ws: WorkspaceId, email: &str, at: i64) -> Contact {
        let t = Timestamp::from_unix_micros(at * 1_000_000).unwrap();
        Contact {
            id: ContactId::new(),
            workspace_id: ws,
            name: None,
            emails: vec![Email::parse(email).unwrap()],
            phones: Vec::new(),
            company: None,
            company_id: None,
            job_title: None,
            properties: serde_json::Map::new(),
            stage: Stage::Lead,
            owner_id: None,
            consent: None,
            created_at: t,
            updated_at: t,
        }
    }

    fn choice<'a>(plan: &'a MergePlan, field: &str) -> &'a FieldChoice {
        plan.fields.iter().find(|f| f.field == field).unwrap()
    }

    #[test]
    fn why_is_written_as_it_serialises() {
        for why in [
            Why::Kept,
            Why::FilledFromOther,
            Why::Combined,
            Why::Furthest,
            Why::Newer,
            Why::Earliest,
        ] {
            assert_eq!(serde_json::to_value(why).unwrap(), why.as_str());
        }
    }

    #[test]
    fn the_kept_record_wins_others_fill_and_lists_combine() {
        let ws = WorkspaceId::new();
        let mut keep = contact(ws, "ada@work.example", 200);
        keep.name = Some("Ada Lovelace".into());
        keep.properties.insert("plan".into(), "pro".into());
        let mut other = contact(ws, "ada@home.example", 100);
        other.name = Some("A. Lovelace".into());
        other.job_title = Some("Engineer".into());
        other.stage = Stage::Customer;
        other.properties.insert("plan".into(), "free".into());
        other.properties.insert("city".into(), "London".into());
        other.consent = Some(Consent {
            granted: true,
            at: other.created_at,
            source: None,
        });
        let plan = plan_merge(&keep, std::slice::from_ref(&other)).unwrap();
        let m = &plan.merged;
        assert_eq!(m.id, keep.id);
        assert_eq!(m.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(choice(&plan, "name").why, Why::Kept);
        assert_eq!(m.job_title.as_deref(), Some("Engineer"));
        assert_eq!(choice(&plan, "job_title").why, Why::FilledFromOther);
        assert_eq!(choice(&plan, "job_title").from, other.id);
        let emails: Vec<&str> = m.emails.iter().map(Email::as_str).collect();
        assert_eq!(
            emails,
            ["ada@work.example", "ada@home.example"],
            "the kept primary stays first"
        );
        assert_eq!(m.properties["plan"], "pro");
        assert_eq!(m.properties["city"], "London");
        assert_eq!(m.stage, Stage::Customer);
        assert_eq!(choice(&plan, "stage").why, Why::Furthest);
        assert!(m.consent.as_ref().unwrap().granted);
        assert_eq!(choice(&plan, "consent").why, Why::Newer);
        assert_eq!(m.created_at, other.created_at);
        assert_eq!(choice(&plan, "created_at").why, Why::Earliest);
    }

    #[test]
    fn a_merge_into_itself_or_across_workspaces_is_refused() {
        let ws = WorkspaceId::new();
        let keep = contact(ws, "ada@work.example", 1);
        assert!(plan_merge(&keep, std::slice::from_ref(&keep)).is_err());
        assert!(plan_merge(&keep, &[]).is_err());
        let foreign = contact(WorkspaceId::new(), "ada@home.example", 1);
        assert!(plan_merge(&keep, &[foreign]).is_err());
    }

    #[test]
    fn disqualified_stays_only_when_everyone_is() {
        let ws = WorkspaceId::new();
        let mut keep = contact(ws, "a@x.example", 1);
        keep.stage = Stage::Disqualified;
        let other = contact(ws, "b@x.example", 2);
        let plan = plan_merge(&keep, std::slice::from_ref(&other)).unwrap();
        assert_eq!(plan.merged.stage, Stage::Lead);
        let mut both = other.clone();
        both.id = ContactId::new();
        both.stage = Stage::Disqualified;
        let plan = plan_merge(&keep, &[both]).unwrap();
        assert_eq!(plan.merged.stage, Stage::Disqualified);
    }
}
