//! The contact list (`ContactStore::list_contacts`) as one statement for both engines: the
//! filters, the keyset page after a cursor, the order; and the page made of its rows.

use closer_domain::qualification::Temperature;
use closer_domain::{Contact, WorkspaceId};
use closer_store::{ContactQuery, ContactSort, Cursor, OwnerFilter, Page};

use crate::{CONTACT_COLUMNS, Dialect, Param, Sql};

/// The statement: `limit + 1` rows, to learn whether another page follows.
pub fn contact_list(dialect: Dialect, ws: WorkspaceId, q: &ContactQuery) -> Sql {
    let column = if q.sort.by_updated() {
        "updated_at"
    } else {
        "created_at"
    };
    let (cmp, dir) = if q.sort.descending() {
        ("<", "desc")
    } else {
        (">", "asc")
    };
    // Hot contacts are few by nature (a buying signal, or engagement past 50): looked up by
    // id from the partial index of hot scores and sorted, rather than found by walking the
    // workspace's contacts in list order until enough of them are hot — a walk over every
    // contact when none is (80 ms at a million on SQLite). `+` keeps SQLite off the
    // workspace index; PostgreSQL's planner needs no hint.
    let scope = if dialect == Dialect::Sqlite && q.temperature == Some(Temperature::Hot) {
        "+workspace_id"
    } else {
        "workspace_id"
    };
    let by_value = q.sort == ContactSort::ValueDesc;
    let mut sql = if by_value {
        // Customers with a value only, each row with it: the derived table keeps the name
        // `contacts`, so the filters below read the same.
        let mut sql = Sql::new(
            dialect,
            format!(
                "select {CONTACT_COLUMNS}, sort_value from (select c.*, v.value as sort_value \
                 from contacts c join contact_values v on v.contact_id = c.id \
                 where v.workspace_id = "
            ),
        );
        sql.bind(Param::Uuid(ws.0))
            .push(&format!(") contacts where {scope} = "));
        sql
    } else {
        Sql::new(
            dialect,
            format!("select {CONTACT_COLUMNS} from contacts where {scope} = "),
        )
    };
    sql.bind(Param::Uuid(ws.0));
    filters(&mut sql, dialect, ws, q);
    if by_value {
        if let Some(after) = q.after {
            sql.push(" and (sort_value, id) < (")
                .bind(Param::Int(after.value.unwrap_or(i64::MAX)))
                .push(", ")
                .bind(Param::Uuid(after.id))
                .push(")");
        }
        sql.push(" order by sort_value desc, id desc limit ")
            .bind(Param::Int(i64::from(q.limit) + 1));
        return sql;
    }
    if let Some(after) = q.after {
        sql.push(&format!(" and ({column}, id) {cmp} ("))
            .bind(Param::Time(after.at))
            .push(", ")
            .bind(Param::Uuid(after.id))
            .push(")");
    }
    sql.push(&format!(" order by {column} {dir}, id {dir} limit "))
        .bind(Param::Int(i64::from(q.limit) + 1));
    sql
}

/// The list's filters after its `workspace_id = …`: each ` and …` the query asks for.
fn filters(sql: &mut Sql, dialect: Dialect, ws: WorkspaceId, q: &ContactQuery) {
    if let Some(stage) = q.stage {
        sql.push(" and stage = ")
            .bind(Param::Text(stage.as_str().to_owned()));
    }
    match q.owner {
        Some(OwnerFilter::Unassigned) => {
            sql.push(" and owner_id is null");
        }
        Some(OwnerFilter::User(id)) => {
            sql.push(" and owner_id = ").bind(Param::Uuid(id.0));
        }
        None => {}
    }
    if let Some(from) = q.created_from {
        sql.push(" and created_at >= ").bind(Param::Time(from));
    }
    if let Some(to) = q.created_to {
        sql.push(" and created_at < ").bind(Param::Time(to));
    }
    if let Some(text) = &q.q {
        let test = dialect.contains("search", &sql.next_placeholder());
        sql.params.push(Param::Text(text.to_lowercase()));
        sql.push(" and ").push(&test);
    }
    if let Some(t) = q.temperature {
        // The temperature as a literal (it is one of three words): "hot" can then use the
        // partial index of hot scores.
        sql.push(" and id in (select contact_id from contact_scores where workspace_id = ")
            .bind(Param::Uuid(ws.0))
            .push(&format!(" and temperature = '{}')", t.as_str()));
    }
    if let Some(c) = q.channel {
        sql.push(" and id in (select contact_id from journeys where workspace_id = ")
            .bind(Param::Uuid(ws.0))
            .push(" and channel = ")
            .bind(Param::Text(c.as_str().to_owned()))
            .push(")");
    }
    if let Some(tag) = &q.tag {
        sql.push(" and id in (select contact_id from contact_tags where workspace_id = ")
            .bind(Param::Uuid(ws.0))
            .push(" and tag = ")
            .bind(Param::Text(tag.as_str().to_owned()))
            .push(")");
    }
    // A source or campaign is most often one many contacts share: each contact in list order
    // is checked by its journey's key (and the page stops at its size), where a set of every
    // matching journey would be built first (hundreds of thousands at a million).
    for (column, value) in [("source", &q.source), ("campaign", &q.campaign)] {
        if let Some(v) = value {
            sql.push(" and exists (select 1 from journeys fj where fj.contact_id = contacts.id")
                .push(&format!(" and fj.{column} = "))
                .bind(Param::Text(v.clone()))
                .push(")");
        }
    }
    for (column, range) in [("fit", q.fit), ("engagement", q.engagement)] {
        if range == closer_store::ScoreRange::default() {
            continue;
        }
        sql.push(" and id in (select contact_id from contact_scores where workspace_id = ")
            .bind(Param::Uuid(ws.0));
        if let Some(min) = range.min {
            sql.push(&format!(" and {column} >= {min}"));
        }
        if let Some(max) = range.max {
            sql.push(&format!(" and {column} <= {max}"));
        }
        sql.push(")");
    }
    if let Some((name, value)) = &q.property {
        property_matches(sql, dialect, name, value);
    }
    // Active and idle since: each contact's own activities from that time, by the index of
    // a contact's activities. (An index of the workspace's activities by time would serve
    // "active since" too, but SQLite, planning without statistics, then walks it for a
    // contact's own activities: seconds at a million.)
    if let Some(from) = q.active_from {
        sql.push(
            " and exists (select 1 from activities fa where fa.contact_id = contacts.id \
             and fa.occurred_at >= ",
        )
        .bind(Param::Time(from))
        .push(")");
    }
    if let Some(to) = q.active_to {
        sql.push(
            " and not exists (select 1 from activities fa where fa.contact_id = contacts.id \
             and fa.occurred_at >= ",
        )
        .bind(Param::Time(to))
        .push(")");
    }
}

/// ` and` the contact's property `name` reads `value` (case aside): a checkbox as yes or
/// no, a multi-select holding it among its options, anything else as its text — alike on
/// both engines, as the reports' breakdown reads them. `name` is a property name (letters,
/// digits and `_`: checked by the caller), so the JSON path it makes is well formed.
fn property_matches(sql: &mut Sql, dialect: Dialect, name: &str, value: &str) {
    let v = || Param::Text(value.to_lowercase());
    match dialect {
        Dialect::Sqlite => {
            let path = || Param::Text(format!("$.\"{name}\""));
            sql.push(" and (lower(case json_type(properties, ")
                .bind(path())
                .push(") when 'true' then 'yes' when 'false' then 'no' else cast(json_extract(properties, ")
                .bind(path())
                .push(") as text) end) = ")
                .bind(v())
                .push(" or exists (select 1 from json_each(properties, ")
                .bind(path())
                .push(") e where e.type = 'text' and lower(e.value) = ")
                .bind(v())
                .push("))");
        }
        Dialect::Postgres => {
            let key = || Param::Text(name.to_owned());
            sql.push(" and (lower(case jsonb_typeof(properties -> ")
                .bind(key())
                .push("::text) when 'boolean' then (case when (properties ->> ")
                .bind(key())
                .push("::text)::boolean then 'yes' else 'no' end) else properties ->> ")
                .bind(key())
                .push("::text end) = ")
                .bind(v())
                .push(" or (jsonb_typeof(properties -> ")
                .bind(key())
                .push("::text) = 'array' and exists (select 1 from jsonb_array_elements_text(properties -> ")
                .bind(key())
                .push("::text) e where lower(e) = ")
                .bind(v())
                .push(")))");
        }
    }
}

/// How many contacts the list's filters match (its order, page and limit aside), counted up to
/// `cap + 1`: a count's cost stays that of `cap` rows however many match.
pub fn contact_count(dialect: Dialect, ws: WorkspaceId, q: &ContactQuery, cap: u64) -> Sql {
    let mut sql = Sql::new(
        dialect,
        "select count(*) as n from (select 1 from contacts where workspace_id = ",
    );
    sql.bind(Param::Uuid(ws.0));
    filters(&mut sql, dialect, ws, q);
    sql.push(" limit ")
        .bind(Param::Int(
            i64::try_from(cap.saturating_add(1)).unwrap_or(i64::MAX),
        ))
        .push(") m");
    sql
}

/// The page from the statement's rows: at most `limit`, and the cursor of the last when more
/// follow.
pub fn contact_page(mut items: Vec<Contact>, q: &ContactQuery) -> Page<Contact> {
    let more = items.len() > q.limit as usize;
    items.truncate(q.limit as usize);
    let next = if more {
        items.last().map(|c| {
            let at = if q.sort.by_updated() {
                c.updated_at
            } else {
                c.created_at
            };
            Cursor::new(at, c.id.0)
        })
    } else {
        None
    };
    Page { items, next }
}

/// The page of a list sorted by value (`contact_list`'s rows with their values): the cursor
/// carries the last row's value.
pub fn contact_value_page(mut rows: Vec<(Contact, i64)>, q: &ContactQuery) -> Page<Contact> {
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    let next = if more {
        rows.last().map(|(c, value)| Cursor {
            value: Some(*value),
            ..Cursor::new(c.created_at, c.id.0)
        })
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(|(c, _)| c).collect(),
        next,
    }
}
