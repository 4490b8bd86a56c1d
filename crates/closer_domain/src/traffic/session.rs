//! Sessions: a visitor's hits on one site with no gap longer than 30 minutes.
//!
//! `sessionize` takes a batch of hits and, for each (site, visitor) in it, the latest stored
//! session (if any); it says which session each hit belongs to and what to write for each
//! session it touched. Writes are deltas (counts to add, times to widen), so two writers
//! applying theirs to the same session row both count.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::channel::Attribution;
use super::hit::{Hit, HitKind};
use super::site::SiteId;
use super::visitor::VisitorKey;
use crate::{Timestamp, WorkspaceId};

/// Inactivity that ends a session (Plausible's and GA's default).
pub const SESSION_GAP_MICROS: i64 = 30 * 60 * 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub Uuid);

impl SessionId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for SessionId {
    fn default() -> Self {
        Self::new()
    }
}

/// What `sessionize` needs to know of a stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    pub id: SessionId,
    pub started_at: Timestamp,
    pub last_at: Timestamp,
}

/// One session row to insert (`is_new`) or to widen and add to.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionWrite {
    pub id: SessionId,
    pub workspace_id: WorkspaceId,
    pub site_id: SiteId,
    pub visitor: VisitorKey,
    pub is_new: bool,
    /// Earliest and latest hit of this batch in the session: the stored span widens to them.
    pub started_at: Timestamp,
    pub last_at: Timestamp,
    /// The first page of a new session.
    pub entry_page: String,
    /// The batch's latest page view in the session, and when: replaces the stored exit page
    /// when later than it.
    pub exit: Option<(Timestamp, String)>,
    pub pageviews: i64,
    /// Custom events.
    pub events: i64,
    /// Interactive custom events: a session with one page view and none of these bounced.
    pub interactions: i64,
    /// Where a new session came from (its first hit's attribution).
    pub attribution: Attribution,
}

#[derive(Debug, Default)]
pub struct Sessionized {
    /// For each hit, in input order, its session; `None` for an engagement ping with no
    /// session to extend (nothing is stored for it).
    pub session_of: Vec<Option<SessionId>>,
    pub sessions: Vec<SessionWrite>,
}

/// The session key: sessions never span sites.
pub type SessionKey = (SiteId, VisitorKey);

/// Places `hits` in sessions. `stored` holds the latest stored session of each (site,
/// visitor) in the batch that has one.
pub fn sessionize<S: std::hash::BuildHasher>(
    hits: &[Hit],
    stored: &HashMap<SessionKey, SessionState, S>,
) -> Sessionized {
    let mut order: Vec<usize> = (0..hits.len()).collect();
    order.sort_by_key(|&i| hits[i].occurred_at);
    let mut out = Sessionized {
        session_of: vec![None; hits.len()],
        sessions: Vec::new(),
    };
    // The session each key is in now, as the index of its write in `out.sessions`, or a
    // stored session not yet written to.
    let mut open: HashMap<SessionKey, usize> = HashMap::new();
    for i in order {
        let hit = &hits[i];
        let at = hit.occurred_at.unix_micros();
        let key = (hit.site_id, hit.visitor.clone());
        let current = match open.get(&key) {
            Some(&w) => Some(&out.sessions[w]).map(|s| (Some(w), s.id, s.started_at, s.last_at)),
            None => stored
                .get(&key)
                .map(|s| (None, s.id, s.started_at, s.last_at)),
        };
        let continues = current.filter(|(_, _, started, last)| {
            at <= last.unix_micros() + SESSION_GAP_MICROS
                && at >= started.unix_micros() - SESSION_GAP_MICROS
        });
        let w = match continues {
            Some((Some(w), ..)) => w,
            Some((None, id, ..)) => {
                out.sessions.push(write_for(hit, id, false));
                out.sessions.len() - 1
            }
            None if hit.kind == HitKind::Engagement => continue,
            None => {
                out.sessions.push(write_for(hit, SessionId::new(), true));
                out.sessions.len() - 1
            }
        };
        open.insert(key, w);
        let s = &mut out.sessions[w];
        s.started_at = s.started_at.min(hit.occurred_at);
        s.last_at = s.last_at.max(hit.occurred_at);
        match &hit.kind {
            HitKind::Pageview => {
                s.pageviews += 1;
                if s.exit.as_ref().is_none_or(|(t, _)| *t <= hit.occurred_at) {
                    s.exit = Some((hit.occurred_at, hit.path.clone()));
                }
            }
            HitKind::Custom(_) => {
                s.events += 1;
                s.interactions += i64::from(hit.interactive);
            }
            HitKind::Engagement => {}
        }
        if hit.kind != HitKind::Engagement {
            out.session_of[i] = Some(s.id);
        }
    }
    out
}

fn write_for(hit: &Hit, id: SessionId, is_new: bool) -> SessionWrite {
    SessionWrite {
        id,
        workspace_id: hit.workspace_id,
        site_id: hit.site_id,
        visitor: hit.visitor.clone(),
        is_new,
        started_at: hit.occurred_at,
        last_at: hit.occurred_at,
        entry_page: hit.path.clone(),
        exit: None,
        pageviews: 0,
        events: 0,
        interactions: 0,
        attribution: hit.attribution.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::channel::Attribution;
    use crate::traffic::hit::Props;

    fn hit(visitor: &str, kind: HitKind, minute: i64, path: &str) -> Hit {
        Hit {
            workspace_id: WorkspaceId(Uuid::nil()),
            site_id: SiteId(Uuid::nil()),
            visitor: VisitorKey::client(visitor).unwrap(),
            kind,
            occurred_at: Timestamp::from_unix_micros(1_800_000_000_000_000 + minute * 60_000_000)
                .unwrap(),
            path: path.into(),
            attribution: Attribution::direct(),
            props: Props::new(),
            revenue: None,
            interactive: true,
        }
    }

    #[test]
    fn a_gap_over_thirty_minutes_starts_a_new_session() {
        let hits = [
            hit("visitor-a", HitKind::Pageview, 0, "/"),
            hit("visitor-a", HitKind::Pageview, 10, "/pricing"),
            hit("visitor-a", HitKind::Pageview, 41, "/blog"),
            hit("visitor-b", HitKind::Pageview, 5, "/"),
        ];
        let out = sessionize(&hits, &HashMap::new());
        assert_eq!(out.sessions.len(), 3);
        assert_eq!(out.session_of[0], out.session_of[1]);
        assert_ne!(out.session_of[1], out.session_of[2]);
        let first = out
            .sessions
            .iter()
            .find(|s| Some(s.id) == out.session_of[0])
            .unwrap();
        assert_eq!((first.pageviews, first.entry_page.as_str()), (2, "/"));
        assert_eq!(first.exit.as_ref().unwrap().1, "/pricing");
        assert_eq!(
            first.last_at.unix_micros() - first.started_at.unix_micros(),
            10 * 60_000_000
        );
    }

    #[test]
    fn out_of_order_hits_land_in_one_session() {
        let hits = [
            hit("visitor-a", HitKind::Pageview, 20, "/b"),
            hit("visitor-a", HitKind::Pageview, 0, "/a"),
        ];
        let out = sessionize(&hits, &HashMap::new());
        assert_eq!(out.sessions.len(), 1);
        assert_eq!(out.sessions[0].entry_page, "/a");
        assert_eq!(out.sessions[0].exit.as_ref().unwrap().1, "/b");
    }

    #[test]
    fn continues_a_stored_session_and_counts_deltas() {
        let h = hit("visitor-a", HitKind::Custom("Signup".into()), 50, "/");
        let stored_id = SessionId::new();
        let stored = HashMap::from([(
            (h.site_id, h.visitor.clone()),
            SessionState {
                id: stored_id,
                started_at: Timestamp::from_unix_micros(
                    h.occurred_at.unix_micros() - 40 * 60_000_000,
                )
                .unwrap(),
                last_at: Timestamp::from_unix_micros(h.occurred_at.unix_micros() - 20 * 60_000_000)
                    .unwrap(),
            },
        )]);
        let out = sessionize(std::slice::from_ref(&h), &stored);
        assert_eq!(out.session_of, [Some(stored_id)]);
        let s = &out.sessions[0];
        assert!(!s.is_new);
        assert_eq!((s.pageviews, s.events, s.interactions), (0, 1, 1));
    }

    #[test]
    fn engagement_extends_but_never_opens_a_session() {
        let hits = [
            hit("visitor-a", HitKind::Engagement, 0, "/"),
            hit("visitor-b", HitKind::Pageview, 0, "/"),
            hit("visitor-b", HitKind::Engagement, 3, "/"),
        ];
        let out = sessionize(&hits, &HashMap::new());
        assert_eq!(out.session_of, [None, out.session_of[1], None]);
        assert_eq!(out.sessions.len(), 1);
        assert_eq!(
            out.sessions[0].last_at.unix_micros() - out.sessions[0].started_at.unix_micros(),
            3 * 60_000_000
        );
    }
}
