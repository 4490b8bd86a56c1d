//! The reads a person's export needs beyond the other ports, written once over `Engine`: the
//! visitors linked to them, and which tables hold contact data (the schema's own catalogue,
//! the one statement that differs by engine).

use closer_domain::traffic::VisitorKey;
use closer_domain::{ContactId, WorkspaceId};
use closer_store::{StoreError, VisitorLink};

use crate::{Dialect, Engine, Sql, required};

pub async fn contact_visitors(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Vec<VisitorLink>, StoreError> {
    let sql = e.sql(
        "select visitor, linked_at from visitor_links \
         where workspace_id = $1 and contact_id = $2 order by linked_at, visitor",
        [ws.0.into(), contact.0.into()],
    );
    e.fetch(sql, |r| {
        Ok(VisitorLink {
            visitor: VisitorKey::from_stored(required("visitor", r.text("visitor")?)?),
            linked_at: required("linked_at", r.timestamp("linked_at")?)?,
        })
    })
    .await
}

/// The ids the contact has in the tools it was imported from.
pub async fn contact_external_ids(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Vec<String>, StoreError> {
    let sql = e.sql(
        "select external_id from contact_external_ids \
         where workspace_id = $1 and contact_id = $2 order by external_id",
        [ws.0.into(), contact.0.into()],
    );
    e.fetch(sql, |r| required("external_id", r.text("external_id")?))
        .await
}

pub async fn tables_with_contact_column(e: &impl Engine) -> Result<Vec<String>, StoreError> {
    let text = match e.dialect() {
        Dialect::Sqlite => {
            "select m.name as name from sqlite_master m, pragma_table_info(m.name) p \
             where m.type = 'table' and p.name = 'contact_id' order by 1"
        }
        Dialect::Postgres => {
            "select table_name::text as name from information_schema.columns \
             where table_schema = current_schema() and column_name = 'contact_id' order by 1"
        }
    };
    e.fetch(Sql::new(e.dialect(), text), |r| {
        required("name", r.text("name")?)
    })
    .await
}
