//! Linking a visitor to a contact on PostgreSQL (the one place: `link_visitor`, migration
//! 0014), and erasing a visitor's tracked history.

use closer_domain::traffic::VisitorKey;
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{Link, StoreError};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::db_err;

/// Inserts the link unless the visitor has one; reports what the visitor belongs to now.
pub(crate) async fn link(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    visitor: &VisitorKey,
    contact: ContactId,
    now: Timestamp,
) -> Result<Link, StoreError> {
    // The lock, the link and the copy of the visitor's history: `link_visitor` (migration 0014).
    let (linked, owner): (bool, Uuid) =
        sqlx::query_as("select linked, owner from link_visitor($1, $2, $3, $4)")
            .bind(ws.0)
            .bind(visitor.as_str())
            .bind(contact.0)
            .bind(now.get())
            .fetch_one(conn)
            .await
            .map_err(db_err)?;
    Ok(if linked {
        Link::Linked
    } else if owner == contact.0 {
        Link::Already
    } else {
        Link::Other(ContactId(owner))
    })
}

/// Deletes the tracked history of the contact's visitors (before the contact row, whose
/// deletion cascades to the links).
pub(crate) async fn erase_history(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<(), StoreError> {
    for sql in [
        // `= any(array(…))`: the sessions first, then their events by index, whatever the plan.
        "delete from traffic_events where session_id = any(array(select s.id from sessions s \
         join visitor_links l on l.visitor = s.visitor and l.workspace_id = s.workspace_id \
         where l.workspace_id = $1 and l.contact_id = $2))",
        "delete from sessions where workspace_id = $1 and visitor in \
         (select visitor from visitor_links where workspace_id = $1 and contact_id = $2)",
    ] {
        sqlx::query(sql)
            .bind(ws.0)
            .bind(contact.0)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}
