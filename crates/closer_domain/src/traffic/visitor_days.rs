//! New visitors per day and first-touch group: the rollup the funnel's visitor step and the
//! traffic report count from, derived from a batch's sessions.

/// One row of the new-visitor rollup (`visitor_days`): a day (since 1970-01-01, UTC) and a
/// first-touch group. Empty `source`/`campaign` stand for none (they are key columns).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VisitorDay {
    pub workspace_id: crate::WorkspaceId,
    pub day: i64,
    pub site_id: super::SiteId,
    pub channel: String,
    pub source: String,
    pub campaign: String,
}

/// The new visitors a batch brings, counted per day and group: the earliest new session of
/// each (site, visitor) that had no stored session. Both storage adapters add these counts
/// to `visitor_days` in the batch's transaction.
pub fn new_visitor_days(
    sessions: &[super::SessionWrite],
    had_session: impl Fn(&super::SessionKey) -> bool,
) -> Vec<(VisitorDay, i64)> {
    use std::collections::{BTreeMap, HashMap};
    let mut first: HashMap<super::SessionKey, &super::SessionWrite> = HashMap::new();
    for s in sessions.iter().filter(|s| s.is_new) {
        let key = (s.site_id, s.visitor.clone());
        if had_session(&key) {
            continue;
        }
        first
            .entry(key)
            .and_modify(|f| {
                if s.started_at < f.started_at {
                    *f = s;
                }
            })
            .or_insert(s);
    }
    let mut days: BTreeMap<VisitorDay, i64> = BTreeMap::new();
    for s in first.values() {
        let a = &s.attribution;
        let day = VisitorDay {
            workspace_id: s.workspace_id,
            day: s.started_at.unix_micros().div_euclid(86_400_000_000),
            site_id: s.site_id,
            channel: a.channel.as_str().to_owned(),
            source: a.source.clone().unwrap_or_default(),
            campaign: a.utm.campaign.clone().unwrap_or_default(),
        };
        *days.entry(day).or_default() += 1;
    }
    days.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::{Attribution, SessionId, SessionWrite, SiteId, VisitorKey};
    use crate::{Timestamp, WorkspaceId};

    fn session(site: SiteId, who: &str, minute: i64, new: bool) -> SessionWrite {
        let at = Timestamp::from_unix_micros(1_767_225_600_000_000 + minute * 60_000_000).unwrap();
        SessionWrite {
            id: SessionId::new(),
            workspace_id: WorkspaceId::new(),
            site_id: site,
            visitor: VisitorKey::client(who).unwrap(),
            started_at: at,
            last_at: at,
            entry_page: "/".into(),
            exit: None,
            pageviews: 1,
            events: 0,
            interactions: 0,
            attribution: Attribution::direct(),
            is_new: new,
        }
    }

    #[test]
    fn a_visitor_counts_once_on_their_first_new_session_day() {
        let site = SiteId::new();
        let sessions = [
            session(site, "visitor-aaaa", 3_000, true),
            session(site, "visitor-aaaa", 10, true),
            session(site, "visitor-bbbb", 20, false),
            session(site, "visitor-cccc", 30, true),
        ];
        let days = new_visitor_days(&sessions, |_| false);
        assert_eq!(days.iter().map(|(_, n)| n).sum::<i64>(), 2, "{days:?}");
        assert!(days.iter().all(|(d, _)| d.day == 20_454), "{days:?}");
        // A visitor with a stored session is not new.
        let days = new_visitor_days(&sessions, |k| k.1 == sessions[3].visitor);
        assert_eq!(days.iter().map(|(_, n)| n).sum::<i64>(), 1);
    }
}
