//! Tags and saved views written once over `Engine`. A retag checks every record is the
//! workspace's, then writes each tag added (an existing one stays as it was) and each taken
//! off, for all the records, in one transaction.

use closer_domain::tag::{Tag, ViewOf};
use closer_domain::{Timestamp, UserId, WorkspaceId};
use closer_store::{SavedView, StoreError, Tagged};

use crate::{Engine, Param, Sql, Step, required};

/// Most records one retag names (SQLite binds each id as a parameter).
pub const MAX_RETAG: usize = 1_000;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub async fn retag(
    e: &impl Engine,
    ws: WorkspaceId,
    kind: Tagged,
    ids: &[uuid::Uuid],
    add: &[Tag],
    remove: &[Tag],
    now: Timestamp,
) -> Result<(), StoreError> {
    if ids.is_empty() || (add.is_empty() && remove.is_empty()) {
        return Ok(());
    }
    let (tags, column, records) = kind.tables();
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut count = e.sql(
        &format!("select count(*) as n from {records} where workspace_id = $1 and id"),
        [Param::Uuid(ws.0)],
    );
    count.bind_ids(&unique);
    let found = e
        .fetch_one(count, |r| required("n", r.integer("n")?))
        .await?;
    if usize::try_from(found).ok() != Some(unique.len()) {
        return Err(StoreError::NotFound);
    }
    let mut steps = Vec::new();
    for tag in add {
        let mut sql = e.sql(
            &format!(
                "insert into {tags} ({column}, workspace_id, tag, created_at) \
                 select id, workspace_id, $1, $2 from {records} where workspace_id = $3 and id"
            ),
            [
                Param::Text(tag.as_str().to_owned()),
                Param::Time(now),
                Param::Uuid(ws.0),
            ],
        );
        sql.bind_ids(&unique)
            .push(&format!(" on conflict ({column}, tag) do nothing"));
        steps.push(Step::any(sql));
    }
    if !remove.is_empty() {
        let texts: Vec<String> = remove.iter().map(|t| t.as_str().to_owned()).collect();
        let mut sql = e.sql(
            &format!("delete from {tags} where workspace_id = $1 and tag"),
            [Param::Uuid(ws.0)],
        );
        sql.bind_texts(&texts).push(&format!(" and {column}"));
        sql.bind_ids(&unique);
        steps.push(Step::any(sql));
    }
    e.transaction(steps).await
}

pub async fn tags_of(
    e: &impl Engine,
    ws: WorkspaceId,
    kind: Tagged,
    ids: &[uuid::Uuid],
) -> Result<Vec<(uuid::Uuid, Tag)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (tags, column, _) = kind.tables();
    let mut sql = e.sql(
        &format!("select {column} as record, tag from {tags} where workspace_id = $1 and {column}"),
        [Param::Uuid(ws.0)],
    );
    sql.bind_ids(ids).push(&format!(" order by {column}, tag"));
    e.fetch(sql, |r| {
        Ok((
            required("record", r.uuid("record")?)?,
            Tag::parse(&required("tag", r.text("tag")?)?).map_err(corrupt)?,
        ))
    })
    .await
}

pub async fn workspace_tags(
    e: &impl Engine,
    ws: WorkspaceId,
    kind: Tagged,
) -> Result<Vec<(Tag, u64)>, StoreError> {
    let (tags, _, _) = kind.tables();
    let sql = e.sql(
        &format!(
            "select tag, count(*) as n from {tags} where workspace_id = $1 \
             group by tag order by tag limit 500"
        ),
        [Param::Uuid(ws.0)],
    );
    e.fetch(sql, |r| {
        Ok((
            Tag::parse(&required("tag", r.text("tag")?)?).map_err(corrupt)?,
            u64::try_from(required("n", r.integer("n")?)?).unwrap_or(0),
        ))
    })
    .await
}

const VIEW_COLUMNS: &str = "id, workspace_id, owner_id, created_by, list, name, query, created_at";

fn view_row(r: &dyn crate::Columns) -> Result<SavedView, StoreError> {
    Ok(SavedView {
        id: required("id", r.uuid("id")?)?,
        workspace_id: WorkspaceId(required("workspace_id", r.uuid("workspace_id")?)?),
        owner_id: r.uuid("owner_id")?.map(UserId),
        created_by: r.uuid("created_by")?.map(UserId),
        list: ViewOf::parse(&required("list", r.text("list")?)?).map_err(corrupt)?,
        name: required("name", r.text("name")?)?,
        query: required("query", r.text("query")?)?,
        created_at: required("created_at", r.timestamp("created_at")?)?,
    })
}

pub async fn create_view(e: &impl Engine, v: &SavedView) -> Result<(), StoreError> {
    // The users named must be the workspace's: the select finds nothing otherwise.
    let sql = e.sql(
        "insert into saved_views (id, workspace_id, owner_id, created_by, list, name, query, created_at) \
         select $1, $2, $3, $4, $5, $6, $7, $8 from workspaces w where w.id = $2 \
           and ($3 is null or exists (select 1 from users where id = $3 and workspace_id = $2)) \
           and ($4 is null or exists (select 1 from users where id = $4 and workspace_id = $2))",
        [
            Param::Uuid(v.id),
            Param::Uuid(v.workspace_id.0),
            Param::MaybeUuid(v.owner_id.map(|u| u.0)),
            Param::MaybeUuid(v.created_by.map(|u| u.0)),
            Param::Text(v.list.as_str().to_owned()),
            Param::Text(v.name.clone()),
            Param::Text(v.query.clone()),
            Param::Time(v.created_at),
        ],
    );
    if e.execute(sql).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn views(
    e: &impl Engine,
    ws: WorkspaceId,
    user: Option<UserId>,
    list: ViewOf,
) -> Result<Vec<SavedView>, StoreError> {
    let mut sql = Sql::new(
        e.dialect(),
        format!("select {VIEW_COLUMNS} from saved_views where workspace_id = "),
    );
    sql.bind(Param::Uuid(ws.0))
        .push(" and list = ")
        .bind(Param::Text(list.as_str().to_owned()))
        .push(" and (owner_id is null");
    if let Some(u) = user {
        sql.push(" or owner_id = ").bind(Param::Uuid(u.0));
    }
    sql.push(") order by name, id");
    e.fetch(sql, view_row).await
}

pub async fn view(
    e: &impl Engine,
    ws: WorkspaceId,
    id: uuid::Uuid,
) -> Result<SavedView, StoreError> {
    let sql = e.sql(
        &format!("select {VIEW_COLUMNS} from saved_views where workspace_id = $1 and id = $2"),
        [Param::Uuid(ws.0), Param::Uuid(id)],
    );
    e.fetch_one(sql, view_row).await
}

pub async fn delete_view(
    e: &impl Engine,
    ws: WorkspaceId,
    id: uuid::Uuid,
) -> Result<(), StoreError> {
    let sql = e.sql(
        "delete from saved_views where workspace_id = $1 and id = $2",
        [Param::Uuid(ws.0), Param::Uuid(id)],
    );
    if e.execute(sql).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
