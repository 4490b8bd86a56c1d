//! The SQL that puts a report's rows in the groups of a breakdown, for both engines.

use std::fmt::Write as _;

use closer_domain::reports::Breakdown;

/// The SQL for a row's group under `by`: `(expression, joins)`. `contact` is the column
/// holding the row's contact id, `owner` the one holding its owner (`None`: the contact's
/// owner, from `journeys`); `journey` names an alias of `journeys` the query already has for
/// that contact. `property` renders "this contact property as text" for the engine, given
/// the alias of the joined contact.
pub fn group_sql(
    by: &Breakdown,
    contact: &str,
    owner: Option<&str>,
    journey: Option<&str>,
    property: impl Fn(&str) -> String,
) -> (String, String) {
    let (j, mut joins) = match journey {
        Some(j) => (j.to_owned(), String::new()),
        None => (
            "gj".to_owned(),
            format!(" left join journeys gj on gj.contact_id = {contact}"),
        ),
    };
    let needs_journey = matches!(
        by,
        Breakdown::Channel | Breakdown::Source | Breakdown::Campaign | Breakdown::Site
    ) || (matches!(by, Breakdown::Owner) && owner.is_none());
    if !needs_journey {
        joins.clear();
    }
    let expr = match by {
        Breakdown::Total => "null".to_owned(),
        Breakdown::Channel => format!("{j}.channel"),
        Breakdown::Source => format!("{j}.source"),
        Breakdown::Campaign => format!("{j}.campaign"),
        Breakdown::Site => {
            let _ = write!(joins, " left join sites gs on gs.id = {j}.site_id");
            "gs.domain".to_owned()
        }
        Breakdown::Owner => {
            let col = owner.map_or_else(|| format!("{j}.owner_id"), str::to_owned);
            let _ = write!(joins, " left join users gu on gu.id = {col}");
            "gu.email".to_owned()
        }
        Breakdown::Property(_) => {
            let _ = write!(joins, " left join contacts gc on gc.id = {contact}");
            property("gc")
        }
    };
    (expr, joins)
}
