//! Search written once over `Engine`: each kind's ids from its full-text index, newest first —
//! on SQLite an FTS5 table the triggers of migration 0022 keep (keyed through `search_keys`,
//! whose integer keys survive a `VACUUM`, which a table's own rowids need not), on PostgreSQL
//! a GIN index of the same words as `tsvector`s — then the records by key, in that order.

use closer_domain::pipeline::Deal;
use closer_domain::search::{SearchQuery, prefix_end};
use closer_domain::{CompanyId, ContactId, WorkspaceId};
use closer_store::{SearchHits, SearchReach, SearchRequest, StoreError};
use uuid::Uuid;

use crate::{DEAL_COLUMNS, Dialect, Engine, Param, Sql, required};

/// A searchable kind: its table, the column its words come from, its FTS5 table, and
/// whether an unassigned record is everyone's (contacts: the queue's).
struct Kind {
    table: &'static str,
    text: &'static str,
    fts: &'static str,
    unassigned_shared: bool,
}

const CONTACTS: Kind = Kind {
    table: "contacts",
    text: "search",
    fts: "contacts_fts",
    unassigned_shared: true,
};
const COMPANIES: Kind = Kind {
    table: "companies",
    text: "search",
    fts: "companies_fts",
    unassigned_shared: false,
};
const DEALS: Kind = Kind {
    table: "deals",
    text: "title",
    fts: "deals_fts",
    unassigned_shared: false,
};

/// Accented Latin letters and what PostgreSQL reads them as, so `jose` finds José as SQLite's
/// FTS5 tokenizer (`remove_diacritics 2`) does. `translate` is built in; `unaccent` is an
/// extension a database user may not be allowed to create.
pub const PG_ACCENTED: &str = "áàâäãåāéèêëēíìîïīóòôöõōúùûüūñçćčšśžźżýÿ";
pub const PG_UNACCENTED: &str = "aaaaaaaeeeeeiiiiioooooouuuuuncccsszzzyy";

/// Matches of a kind PostgreSQL reads before choosing the newest: where more match (a letter
/// or two typed), the newest of these.
const PG_CANDIDATES: i64 = 500;

/// The words of `column` as PostgreSQL indexes them: lower-cased, unaccented, punctuation a
/// space (so the parser sees `grace example com`, not one email token). The index is on this
/// very expression (migration 0022).
pub fn pg_words(column: &str) -> String {
    format!(
        "to_tsvector('simple', regexp_replace(translate(lower({column}), \
         '{PG_ACCENTED}', '{PG_UNACCENTED}'), '[[:punct:]]+', ' ', 'g'))"
    )
}

/// The query's words as the engine's prefix query: FTS5 `"gra"* AND "hop"*`, `tsquery`
/// `gra:* & hop:*`. Words hold only letters and digits, so nothing in them is syntax.
fn match_text(d: Dialect, q: &SearchQuery) -> String {
    let terms = q.words().iter();
    match d {
        Dialect::Sqlite => terms
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND "),
        Dialect::Postgres => terms
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & "),
    }
}

fn owner_test(sql: &mut Sql, kind: &Kind, reach: SearchReach) {
    if let SearchReach::Owner(user) = reach {
        sql.push(" and (t.owner_id = ").bind(Param::Uuid(user.0));
        sql.push(if kind.unassigned_shared {
            " or t.owner_id is null)"
        } else {
            ")"
        });
    }
}

/// The ids of `kind` whose words start with the query's, newest first.
async fn word_ids(
    e: &impl Engine,
    ws: WorkspaceId,
    kind: &Kind,
    request: &SearchRequest,
    reach: SearchReach,
) -> Result<Vec<Uuid>, StoreError> {
    if request.query.words().is_empty() {
        return Ok(Vec::new());
    }
    let d = e.dialect();
    let (table, fts) = (kind.table, kind.fts);
    let mut sql = match d {
        Dialect::Sqlite => {
            let mut sql = Sql::new(
                d,
                format!(
                    "select t.id from {fts} f join search_keys k on k.key = f.rowid \
                     join {table} t on t.id = k.record_id where {fts} match "
                ),
            );
            sql.bind(Param::Text(match_text(d, &request.query)));
            sql
        }
        Dialect::Postgres => {
            let mut sql = Sql::new(
                d,
                format!(
                    "select t.id from {table} t where {} @@ to_tsquery('simple', translate(",
                    pg_words(&format!("t.{}", kind.text))
                ),
            );
            sql.bind(Param::Text(match_text(d, &request.query)))
                .push(&format!(", '{PG_ACCENTED}', '{PG_UNACCENTED}'))"));
            sql
        }
    };
    // SQLite plans without statistics: offered the workspace's index, it walks every
    // contact of the workspace and asks the full-text index about each (seconds at a
    // million); kept off it, it reads the matches in key order and stops at the limit.
    sql.push(&format!(" and {} = ", d.unindexed("t.workspace_id")))
        .bind(Param::Uuid(ws.0));
    owner_test(&mut sql, kind, reach);
    match d {
        Dialect::Sqlite => {
            sql.push(" order by f.rowid desc limit ")
                .bind(Param::Int(i64::from(request.per_kind)));
        }
        Dialect::Postgres => {
            // Up to PG_CANDIDATES matches without an order, then the newest of them. Asked
            // for the newest directly, PostgreSQL walks the primary key backwards testing
            // each row whenever it guesses a word common — a second for a word nobody has
            // (its guesses for prefixes of titles, which share few words, are that far off);
            // unordered, it takes the GIN index for rare words and stops early for common
            // ones.
            sql.push(" limit ").bind(Param::Int(PG_CANDIDATES));
            sql.text.insert_str(0, "select id from (");
            sql.push(") m order by id desc limit ")
                .bind(Param::Int(i64::from(request.per_kind)));
        }
    }
    e.fetch(sql, |r| required("id", r.uuid("id")?)).await
}

/// Contacts with a phone starting with one of the query's E.164 prefixes, by number.
async fn phone_ids(
    e: &impl Engine,
    ws: WorkspaceId,
    request: &SearchRequest,
    reach: SearchReach,
) -> Result<Vec<Uuid>, StoreError> {
    let prefixes = request.query.phone_prefixes();
    if prefixes.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        e.dialect(),
        "select t.id from contact_identities i join contacts t on t.id = i.contact_id \
         where i.workspace_id = ",
    );
    sql.bind(Param::Uuid(ws.0))
        .push(" and i.kind = 'phone' and (");
    for (n, prefix) in prefixes.iter().enumerate() {
        sql.push(if n == 0 { "(" } else { " or (" });
        sql.push("i.value >= ").bind(Param::Text(prefix.clone()));
        sql.push(" and i.value < ")
            .bind(Param::Text(prefix_end(prefix)))
            .push(")");
    }
    sql.push(")");
    owner_test(&mut sql, &CONTACTS, reach);
    sql.push(" order by i.value, t.id limit ")
        .bind(Param::Int(i64::from(request.per_kind)));
    e.fetch(sql, |r| required("id", r.uuid("id")?)).await
}

/// `found` in the order of `order` (records another writer removed meanwhile left out).
fn in_order<T>(order: &[Uuid], found: Vec<T>, id: impl Fn(&T) -> Uuid) -> Vec<T> {
    let mut found: Vec<Option<T>> = found.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|want| {
            found
                .iter_mut()
                .find(|f| f.as_ref().is_some_and(|f| id(f) == *want))?
                .take()
        })
        .collect()
}

async fn deals_by_id(
    e: &impl Engine,
    ws: WorkspaceId,
    ids: &[Uuid],
) -> Result<Vec<Deal>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // By key: SQLite, planning without statistics, would walk the workspace's deals.
    let mut sql = Sql::new(
        e.dialect(),
        format!(
            "select {DEAL_COLUMNS} from deals where {} = ",
            e.dialect().unindexed("workspace_id")
        ),
    );
    sql.bind(Param::Uuid(ws.0)).push(" and id");
    sql.bind_ids(ids);
    e.fetch(sql, |r| crate::deal(r)).await
}

pub async fn search(
    e: &impl Engine,
    ws: WorkspaceId,
    request: &SearchRequest,
) -> Result<SearchHits, StoreError> {
    let mut hits = SearchHits::default();
    let limit = request.per_kind as usize;
    if request.contacts != SearchReach::Nobody {
        let mut ids = phone_ids(e, ws, request, request.contacts).await?;
        for id in word_ids(e, ws, &CONTACTS, request, request.contacts).await? {
            if ids.len() < limit && !ids.contains(&id) {
                ids.push(id);
            }
        }
        let keys: Vec<ContactId> = ids.iter().map(|id| ContactId(*id)).collect();
        let found = crate::contacts_store::contacts_by_id(e, ws, &keys).await?;
        hits.contacts = in_order(&ids, found, |c| c.id.0);
    }
    if request.companies != SearchReach::Nobody {
        let ids = word_ids(e, ws, &COMPANIES, request, request.companies).await?;
        let keys: Vec<CompanyId> = ids.iter().map(|id| CompanyId(*id)).collect();
        let found = crate::companies_store::companies_by_id(e, ws, &keys).await?;
        hits.companies = in_order(&ids, found, |c| c.id.0);
    }
    if request.deals != SearchReach::Nobody {
        let ids = word_ids(e, ws, &DEALS, request, request.deals).await?;
        let found = deals_by_id(e, ws, &ids).await?;
        hits.deals = in_order(&ids, found, |d: &Deal| d.id.0);
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The searches name the indexed expression exactly, or PostgreSQL scans the table.
    #[test]
    fn searches_use_the_indexed_expressions() {
        let migration = include_str!("../../closer_store_postgres/migrations/0022_search.sql");
        let flat = migration.split_whitespace().collect::<Vec<_>>().join(" ");
        for column in ["search", "title"] {
            let expr = pg_words(column)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(flat.contains(&expr), "{expr}");
        }
        assert_eq!(PG_ACCENTED.chars().count(), PG_UNACCENTED.chars().count());
    }

    #[test]
    fn prefix_queries() {
        let q = SearchQuery::parse("Grace hop", None).unwrap();
        assert_eq!(match_text(Dialect::Sqlite, &q), "\"grace\"* AND \"hop\"*");
        assert_eq!(match_text(Dialect::Postgres, &q), "grace:* & hop:*");
    }

    #[test]
    fn kept_in_the_order_found() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let got = in_order(&[c, a, b], vec![a, b], |x| *x);
        assert_eq!(got, vec![a, b], "c was removed meanwhile");
        let got = in_order(&[b, a], vec![a, b], |x| *x);
        assert_eq!(got, vec![b, a]);
    }
}
