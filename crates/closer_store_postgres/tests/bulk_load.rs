//! A bulk load on PostgreSQL skips foreign-key checks and triggers when its role may
//! (`session_replication_role = replica`), so what those would have guaranteed is checked
//! here: after a load every foreign key holds, and no table the load writes has a trigger the
//! load does not turn off and do the work of itself. A role that is not a superuser loads the
//! same story with the checks on.

use std::sync::Arc;

use closer_store_postgres::testing::test_store;
use closer_store_postgres::{BULK_LOADED, BULK_TRIGGERED};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

async fn connect(schema: &closer_store_postgres::testing::TestSchema) -> PgConnection {
    let mut conn = PgConnection::connect(schema.url()).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "set search_path to {}",
        schema.schema()
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    conn
}

/// A foreign key: its name, the child and parent tables, and their columns in order.
type ForeignKey = (String, String, String, Vec<String>, Vec<String>);

/// The schema's foreign keys with rows pointing at no row, and how many (`MATCH SIMPLE`: a
/// key with a null column is not checked).
async fn dangling(conn: &mut PgConnection, schema: &str) -> Vec<(String, i64)> {
    let keys: Vec<ForeignKey> = sqlx::query_as(
        "select c.conname, child.relname, parent.relname, \
                array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i) \
                      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i), \
                array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i) \
                      join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) \
         from pg_constraint c \
         join pg_class child on child.oid = c.conrelid \
         join pg_class parent on parent.oid = c.confrelid \
         join pg_namespace ns on ns.oid = c.connamespace \
         where c.contype = 'f' and ns.nspname = $1 order by c.conname",
    )
    .bind(schema)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(keys.len() > 20, "the schema's foreign keys: {keys:?}");
    let mut out = Vec::new();
    for (name, child, parent, from, to) in keys {
        let set = from
            .iter()
            .map(|c| format!("c.{c} is not null"))
            .collect::<Vec<_>>()
            .join(" and ");
        let join = from
            .iter()
            .zip(&to)
            .map(|(f, t)| format!("p.{t} = c.{f}"))
            .collect::<Vec<_>>()
            .join(" and ");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from {child} c where {set} \
             and not exists (select 1 from {parent} p where {join})"
        )))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if n > 0 {
            out.push((name, n));
        }
    }
    out
}

#[tokio::test]
async fn after_a_bulk_load_every_foreign_key_holds() {
    let Some((store, schema)) = test_store().await else {
        return;
    };
    // The conformance story: a workspace loaded in bulk beside one written row by row.
    closer_store::conformance::a_bulk_load_leaves_what_the_row_paths_leave(Arc::new(store)).await;
    let mut conn = connect(&schema).await;
    let loaded: i64 = sqlx::query_scalar("select count(*) from contact_traffic")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(loaded > 0, "the story loads contacts' traffic");
    let broken = dangling(&mut conn, schema.schema()).await;
    assert!(broken.is_empty(), "rows pointing nowhere: {broken:?}");
}

#[tokio::test]
async fn the_check_finds_a_row_pointing_nowhere() {
    let Some((_store, schema)) = test_store().await else {
        return;
    };
    let mut conn = connect(&schema).await;
    // What a load that skipped a parent would leave: checks off, a stage of no contact.
    sqlx::raw_sql(
        "begin; set local session_replication_role = replica; \
         insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, changed_by) \
             values (gen_random_uuid(), '00000000-0000-7000-8000-000000000001', gen_random_uuid(), \
                     'lead', now(), 'test'); \
         commit;",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let broken = dangling(&mut conn, schema.schema()).await;
    assert_eq!(broken.len(), 1, "{broken:?}");
}

#[tokio::test]
async fn the_tables_a_load_writes_have_no_trigger_it_leaves_on() {
    let Some((_store, schema)) = test_store().await else {
        return;
    };
    let mut conn = connect(&schema).await;
    let with_triggers: Vec<String> = sqlx::query_scalar(
        "select distinct t.relname::text from pg_trigger g \
         join pg_class t on t.oid = g.tgrelid \
         join pg_namespace ns on ns.oid = t.relnamespace \
         where not g.tgisinternal and ns.nspname = $1 order by 1",
    )
    .bind(schema.schema())
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        with_triggers.iter().any(|t| t == "journeys"),
        "the schema's triggers were read: {with_triggers:?}"
    );
    for table in BULK_LOADED {
        if with_triggers.iter().any(|t| t == table) {
            assert!(
                BULK_TRIGGERED.contains(&table),
                "{table} has triggers a bulk load would skip without doing their work"
            );
        }
    }
}

#[tokio::test]
async fn a_role_that_is_not_superuser_loads_with_its_foreign_keys_checked() {
    let Some((store, schema)) = closer_store_postgres::testing::test_store_as_owner().await else {
        return;
    };
    let mut owner = PgConnection::connect_with(
        &schema
            .url()
            .parse::<sqlx::postgres::PgConnectOptions>()
            .unwrap()
            .username(schema.role().expect("the schema's own role")),
    )
    .await
    .unwrap();
    let superuser: String = sqlx::query_scalar("select current_setting('is_superuser')")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(superuser, "off");
    // The same story as a superuser's: the load disables its triggers as the tables' owner and
    // keeps the foreign-key checks.
    closer_store::conformance::a_bulk_load_leaves_what_the_row_paths_leave(Arc::new(store)).await;
    let mut conn = connect(&schema).await;
    let broken = dangling(&mut conn, schema.schema()).await;
    assert!(broken.is_empty(), "rows pointing nowhere: {broken:?}");
}
