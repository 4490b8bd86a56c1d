//! The journey feed on PostgreSQL misses no change of a transaction still open while a feed
//! was read: a mark taken from a sequence or from the newest transaction would skip it, since
//! it commits after a later-numbered change was already read.

use closer_domain::{ContactDraft, Email, Timestamp};
use closer_store::conformance::workspace;
use closer_store::{ContactStore, JourneyFeedStore, UpsertContact};
use closer_store_postgres::testing::test_store;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

#[tokio::test]
async fn a_change_committed_after_a_read_began_comes_in_the_next_read() {
    let Some((store, schema)) = test_store().await else {
        return;
    };
    let ws = workspace(&store, "feed-open").await;
    let draft = |mail: &str| UpsertContact {
        draft: ContactDraft {
            emails: vec![Email::parse(mail).unwrap()],
            ..ContactDraft::default()
        },
        overwrite: false,
        event: None,
        actor: "test".into(),
        visitor: None,
        now: Timestamp::now(),
    };
    let slow = store
        .upsert_contact(ws, draft("slow@feed.example.com"))
        .await
        .unwrap()
        .contact
        .id;
    let first = store.journey_feed(ws, None).await.unwrap();
    let lead_at = |feed: &closer_store::JourneyFeed| {
        feed.rows
            .iter()
            .find(|r| r.contact == slow)
            .and_then(|r| r.journey)
            .and_then(|j| j.reached[1])
    };
    let was = lead_at(&first).unwrap();

    // A transaction moves the lead a day earlier and stays open…
    let mut open = PgConnection::connect(schema.url()).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "set search_path to {}",
        schema.schema()
    )))
    .execute(&mut open)
    .await
    .unwrap();
    sqlx::raw_sql("begin").execute(&mut open).await.unwrap();
    sqlx::query("update journeys set lead_at = lead_at - interval '1 day' where contact_id = $1")
        .bind(slow.0)
        .execute(&mut open)
        .await
        .unwrap();
    // …while a later write commits and a feed is read: it sees the later write, not the open one.
    let quick = store
        .upsert_contact(ws, draft("quick@feed.example.com"))
        .await
        .unwrap()
        .contact
        .id;
    let during = store.journey_feed(ws, Some(first.mark)).await.unwrap();
    assert!(during.rows.iter().any(|r| r.contact == quick));
    assert!(lead_at(&during).is_none_or(|t| t == was));
    sqlx::raw_sql("commit").execute(&mut open).await.unwrap();

    // The next read, from the mark the last one gave, brings the change.
    let after = store.journey_feed(ws, Some(during.mark)).await.unwrap();
    assert_eq!(
        lead_at(&after),
        Some(was - 86_400_000_000),
        "the open transaction's change, once committed: {after:?}"
    );
}
