//! Identity stitching from the server side (`identify`: a sign-up, a login, a CRM sync), and
//! what a contact's tracked history says about where they came from.

use std::collections::BTreeMap;

use closer_domain::traffic::{Channel, VisitorKey};
use closer_domain::{ContactDraft, ContactId, Timestamp};
use closer_store::{Link, Touch, UpsertContact};

use crate::qualification::ScoreJob;
use crate::{AppError, Principal};

/// Who a visitor is: an existing contact, or the details of a person (upserted as a lead,
/// deduplicated by email and phone like every capture).
pub enum IdentifyInput {
    Contact(ContactId),
    Person(ContactDraft),
}

pub struct Identified {
    pub contact_id: ContactId,
    pub created: bool,
    pub link: Link,
}

/// A contact's sources: the first and latest visit, and the visits per channel.
pub struct ContactTraffic {
    pub first_touch: Option<Touch>,
    pub last_touch: Option<Touch>,
    /// Sessions per channel, most first.
    pub touches: Vec<(Channel, u64)>,
    pub sessions: u64,
}

impl super::Traffic {
    /// Links a first-party visitor id to a contact. A visitor already linked to someone else
    /// stays with them (`Link::Other`): people are never merged automatically.
    pub async fn identify(
        &self,
        principal: &Principal,
        visitor_id: &str,
        who: IdentifyInput,
    ) -> Result<Identified, AppError> {
        let visitor = VisitorKey::client(visitor_id)?;
        let now = Timestamp::now();
        let ws = principal.workspace_id;
        let identified = match who {
            IdentifyInput::Contact(id) => {
                let link = self.store().link_visitor(ws, &visitor, id, now).await?;
                Ok::<_, AppError>(Identified {
                    contact_id: id,
                    created: false,
                    link,
                })
            }
            IdentifyInput::Person(draft) => {
                if draft.emails.is_empty() && draft.phones.is_empty() {
                    return Err(AppError::invalid(
                        "email",
                        "give an email or a phone (or a contact_id)",
                    ));
                }
                let request = UpsertContact {
                    draft,
                    overwrite: false,
                    event: None,
                    actor: principal.actor(),
                    visitor: None,
                    now,
                };
                let out = self.store().upsert_contact(ws, request).await?;
                crate::companies::link_by_email(
                    self.store().as_ref(),
                    &self.0.domains_seen,
                    &out.contact,
                )
                .await?;
                let link = self
                    .store()
                    .link_visitor(ws, &visitor, out.contact.id, now)
                    .await?;
                Ok(Identified {
                    contact_id: out.contact.id,
                    created: out.created,
                    link,
                })
            }
        }?;
        // The visitor's history now belongs to the contact: score it from the whole timeline.
        self.0
            .scoring
            .queue_scoring(ScoreJob {
                workspace: ws,
                contact: identified.contact_id,
                signals: Vec::new(),
                rescan: true,
            })
            .await;
        Ok(identified)
    }

    pub async fn contact_traffic(
        &self,
        principal: &Principal,
        id: ContactId,
    ) -> Result<ContactTraffic, AppError> {
        // 404 for a contact that is not the workspace's, rather than an empty history.
        self.store().contact(principal.workspace_id, id).await?;
        let touches = self
            .store()
            .contact_touches(principal.workspace_id, id)
            .await?;
        let mut per_channel: BTreeMap<Channel, u64> = BTreeMap::new();
        for t in &touches {
            *per_channel.entry(t.channel).or_default() += 1;
        }
        let mut by_count: Vec<(Channel, u64)> = per_channel.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(ContactTraffic {
            sessions: touches.len() as u64,
            first_touch: touches.first().cloned(),
            last_touch: touches.last().cloned(),
            touches: by_count,
        })
    }
}
