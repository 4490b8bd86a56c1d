//! Why a contact has its scores, temperature and stage: every fit rule that held, every
//! engagement rule with its points and their decayed worth now, the latest contributions, the
//! temperature's reason, the stage's author, and the touches before each stage change.
//! Recomputed from the contact's timeline each time, so it is exact and complete.

use std::collections::BTreeMap;

use closer_domain::qualification::{
    Activity, Fit, Temperature, TemperatureVerdict, decay, fit, prospect_reason, temperature,
};

use super::score::replay;
use closer_domain::{ContactId, Stage, Timestamp, WorkspaceId};
use serde::Serialize;

use super::Scoring;
use crate::{AppError, Principal};

#[derive(Debug, Clone, Serialize)]
pub struct EngagementLine {
    pub rule: String,
    /// Events that met the rule's conditions.
    pub matches: u64,
    /// Points given, before decay.
    pub points: f64,
    /// What they are worth now.
    pub value: f64,
    pub last_matched_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentLine {
    pub rule: String,
    pub event_id: Option<uuid::Uuid>,
    pub points: f64,
    pub value: f64,
    pub at: Timestamp,
    pub note: Option<String>,
}

/// Touches (tracked visits) before the contact entered a stage, by channel (seed 001's
/// "about seven touches", measured).
#[derive(Debug, Clone, Serialize)]
pub struct StageTouches {
    pub stage: Stage,
    pub entered_at: Timestamp,
    pub changed_by: String,
    pub touches: u32,
    pub by_channel: BTreeMap<String, u32>,
}

/// Tracked activity, for people (the stored state's encoding is terse).
#[derive(Debug, Clone, Serialize)]
pub struct ActivityView {
    pub visits: u32,
    pub pageviews: u64,
    pub longest_visit_seconds: f64,
    pub first_at: Option<Timestamp>,
    pub last_at: Option<Timestamp>,
    pub returned_after_lead_at: Option<Timestamp>,
}

impl From<&Activity> for ActivityView {
    fn from(a: &Activity) -> Self {
        Self {
            visits: a.visits,
            pageviews: a.pageviews,
            longest_visit_seconds: a.longest_visit_seconds,
            first_at: a.first_at,
            last_at: a.last_at,
            returned_after_lead_at: a.returned_after_lead_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredScore {
    pub engagement: f64,
    pub fit: f64,
    pub temperature: Temperature,
    pub scored_at: Timestamp,
}

/// How many of the latest contributions an explanation lists.
pub const RECENT: usize = 25;

#[derive(Debug, Clone, Serialize)]
pub struct Qualification {
    pub contact_id: ContactId,
    pub stage: Stage,
    /// Who or which rule put the contact in its stage.
    pub stage_set_by: Option<String>,
    /// For a lead: the condition that would (or did) make it a prospect, if one holds.
    pub prospect_reason: Option<String>,
    pub fit: Fit,
    pub engagement: f64,
    pub engagement_rules: Vec<EngagementLine>,
    pub recent: Vec<RecentLine>,
    pub temperature: TemperatureVerdict,
    pub activity: ActivityView,
    pub touches: Vec<StageTouches>,
    /// The stored record the queue reads, as last computed (`None`: not scored yet).
    pub stored: Option<StoredScore>,
    pub half_life_days: f64,
}

impl Scoring {
    pub async fn qualification(
        &self,
        principal: &Principal,
        id: ContactId,
    ) -> Result<Qualification, AppError> {
        self.explain_contact(principal.workspace_id, id).await
    }

    pub async fn explain_contact(
        &self,
        ws: WorkspaceId,
        id: ContactId,
    ) -> Result<Qualification, AppError> {
        let contact = self.store().contact(ws, id).await?;
        let rules = self.workspace_rules_cache().get(ws).await?;
        let companies = super::companies_for(self.store().as_ref(), &rules, ws, [&contact]).await?;
        // Replayed from the timeline, so every number below is exact under the rules in force;
        // the stored record (what the queue reads) is reported beside it.
        let stored = self.store().score(ws, id).await?;
        let events = self.store().timelines(ws, &[id]).await?;
        let (state, earned) = replay(&rules, &contact, &events);
        let now = Timestamp::now();
        let engagement = state.engagement(&rules, now);
        let engagement_rules = state
            .rules
            .iter()
            .map(|(name, t)| EngagementLine {
                rule: name.clone(),
                matches: t.matches,
                points: t.awarded,
                value: state.rule_value(&rules, name, now),
                last_matched_at: t.last_matched_at,
            })
            .collect();
        let recent = earned
            .iter()
            .rev()
            .take(RECENT)
            .map(|c| RecentLine {
                rule: c.rule.clone(),
                event_id: c.event_id,
                points: c.points,
                value: c.points * decay(rules.half_life_days, c.at, now),
                at: c.at,
                note: c.note.clone(),
            })
            .collect();
        let history = self.store().stage_history(ws, id).await?;
        let sessions = self.store().contact_touches(ws, id).await?;
        let touches = history
            .iter()
            .map(|span| {
                let mut by_channel = BTreeMap::new();
                let before: Vec<_> = sessions
                    .iter()
                    .filter(|s| s.started_at <= span.entered_at)
                    .collect();
                for s in &before {
                    *by_channel.entry(s.channel.as_str().to_owned()).or_insert(0) += 1;
                }
                StageTouches {
                    stage: span.stage,
                    entered_at: span.entered_at,
                    changed_by: span.changed_by.clone(),
                    touches: u32::try_from(before.len()).unwrap_or(u32::MAX),
                    by_channel,
                }
            })
            .collect();
        Ok(Qualification {
            contact_id: id,
            stage: contact.stage,
            stage_set_by: history.last().map(|s| s.changed_by.clone()),
            prospect_reason: prospect_reason(&rules, &state, engagement),
            fit: fit(&rules, &contact, super::company_of(&companies, &contact)),
            engagement,
            engagement_rules,
            recent,
            temperature: temperature(&rules, &state, contact.stage, now),
            activity: ActivityView::from(&state.activity),
            touches,
            stored: stored.map(|r| StoredScore {
                engagement: r.engagement,
                fit: r.fit,
                temperature: r.temperature,
                scored_at: r.updated_at,
            }),
            half_life_days: rules.half_life_days,
        })
    }
}
