//! Conformance: passwords, sign-in attempts and browser sessions.

use std::sync::Arc;
use std::time::Duration;

use closer_domain::{Email, Timestamp, UserId, WorkspaceId};

use super::workspace;
use crate::{Store, StoreError, User, WebSession};

fn later(t: Timestamp, secs: u64) -> Timestamp {
    Timestamp::new(t.get() + Duration::from_secs(secs))
}

fn session(ws: WorkspaceId, user: UserId, id: &str, now: Timestamp) -> WebSession {
    WebSession {
        id: id.to_owned(),
        workspace_id: ws,
        user_id: user,
        csrf: format!("csrf-{id}"),
        created_at: now,
        expires_at: later(now, 3_600),
    }
}

pub async fn sign_in_state_and_sessions_round_trip(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "sessions").await;
    let other = workspace(&*store, "sessions-other").await;
    let email = Email::parse(&format!(
        "owner-{}@acme.example.com",
        UserId::new().0.simple()
    ))
    .unwrap();
    let now = Timestamp::now();
    let mut users = Vec::new();
    for w in [ws, other] {
        let u = User {
            id: UserId::new(),
            workspace_id: w,
            email: email.clone(),
            name: "Olga Owner".into(),
            role: "admin".into(),
            created_at: now,
        };
        store.create_user(&u).await.unwrap();
        users.push(u);
    }
    let (mine, theirs) = (&users[0], &users[1]);

    // A user of both workspaces is found in both, with no password yet.
    let found = store.credentials(&email).await.unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|c| c.password_hash.is_none()));
    assert!(
        matches!(
            store.set_password(other, mine.id, "$argon2id$x").await,
            Err(StoreError::NotFound)
        ),
        "another workspace's user is not found"
    );
    store
        .set_password(ws, mine.id, "$argon2id$mine")
        .await
        .unwrap();
    let found = store.credentials(&email).await.unwrap();
    let me = found.iter().find(|c| c.user.id == mine.id).unwrap();
    assert_eq!(me.password_hash.as_deref(), Some("$argon2id$mine"));
    assert_eq!(me.user, *mine);
    let them = found.iter().find(|c| c.user.id == theirs.id).unwrap();
    assert!(them.password_hash.is_none(), "only that workspace's user");

    // Reservations count concurrently; the third locks and starts a new count, and a locked
    // user gets no reservation at all until the lock ends.
    let lock = later(now, 900);
    let reserve = |at| store.reserve_sign_in(ws, mine.id, 3, at, lock);
    let attempts = (0..2).map(|_| reserve(now));
    for r in futures::future::join_all(attempts).await {
        assert!(r.unwrap());
    }
    let me = |cs: Vec<crate::Credentials>| cs.into_iter().find(|c| c.user.id == mine.id).unwrap();
    let c = me(store.credentials(&email).await.unwrap());
    assert_eq!((c.failed_sign_ins, c.locked_until), (2, None));
    assert!(
        reserve(now).await.unwrap(),
        "the third check is still allowed"
    );
    let c = me(store.credentials(&email).await.unwrap());
    assert_eq!((c.failed_sign_ins, c.locked_until), (0, Some(lock)));
    assert!(!reserve(now).await.unwrap(), "locked: nothing to check");
    assert!(!reserve(later(now, 899)).await.unwrap());
    let c = me(store.credentials(&email).await.unwrap());
    assert_eq!(
        (c.failed_sign_ins, c.locked_until),
        (0, Some(lock)),
        "refusals count nothing"
    );
    // Ten at once against a fresh count of three: exactly three are reserved.
    let after = later(now, 900);
    let burst = (0..10).map(|_| store.reserve_sign_in(ws, mine.id, 3, after, later(now, 1800)));
    let reserved = futures::future::join_all(burst)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(
        reserved, 3,
        "concurrent reservations past the limit are refused"
    );

    // Sessions: found until they expire, with their user; a success clears the count and
    // the lock.
    let s = session(ws, mine.id, "a".repeat(64).as_str(), now);
    store.create_session(&s).await.unwrap();
    let c = me(store.credentials(&email).await.unwrap());
    assert_eq!((c.failed_sign_ins, c.locked_until), (0, None));
    assert!(
        store
            .reserve_sign_in(ws, mine.id, 3, now, lock)
            .await
            .unwrap()
    );
    let (got, user) = store.session(&s.id, now).await.unwrap().unwrap();
    assert_eq!((got, user), (s.clone(), mine.clone()));
    assert!(store.session(&s.id, s.expires_at).await.unwrap().is_none());
    assert!(store.session(&"b".repeat(64), now).await.unwrap().is_none());

    // A new password ends every session of that user, and only theirs.
    let t = session(other, theirs.id, "c".repeat(64).as_str(), now);
    store.create_session(&t).await.unwrap();
    store
        .set_password(ws, mine.id, "$argon2id$new")
        .await
        .unwrap();
    assert!(store.session(&s.id, now).await.unwrap().is_none());
    assert!(store.session(&t.id, now).await.unwrap().is_some());
    let c = me(store.credentials(&email).await.unwrap());
    assert_eq!(c.locked_until, None, "a new password lifts the lock");

    store.delete_session(&t.id).await.unwrap();
    store.delete_session(&t.id).await.unwrap();
    assert!(store.session(&t.id, now).await.unwrap().is_none());

    // Invites: found while live, used up once, and using one sets the password.
    let invite = |id: &str, expires_at| crate::Invite {
        id: id.to_owned(),
        workspace_id: ws,
        user_id: mine.id,
        created_at: now,
        expires_at,
    };
    store
        .create_invite(&invite(&"d".repeat(64), later(now, 60)))
        .await
        .unwrap();
    store
        .create_invite(&invite(&"e".repeat(64), now))
        .await
        .unwrap();
    assert_eq!(
        store.invite(&"d".repeat(64), now).await.unwrap(),
        Some(mine.clone())
    );
    assert_eq!(
        store.invite(&"e".repeat(64), now).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store
            .accept_invite(&"e".repeat(64), "$argon2id$late", now)
            .await
            .unwrap(),
        None
    );
    let s2 = session(ws, mine.id, "f".repeat(64).as_str(), now);
    store.create_session(&s2).await.unwrap();
    assert_eq!(
        store
            .accept_invite(&"d".repeat(64), "$argon2id$invited", now)
            .await
            .unwrap(),
        Some(mine.clone())
    );
    assert_eq!(
        store
            .accept_invite(&"d".repeat(64), "$argon2id$again", now)
            .await
            .unwrap(),
        None,
        "an invite works once"
    );
    let c = me(store.credentials(&email).await.unwrap());
    assert_eq!(c.password_hash.as_deref(), Some("$argon2id$invited"));
    assert!(
        store.session(&s2.id, now).await.unwrap().is_none(),
        "older sessions end"
    );
}
