//! Property definitions, written once over `Engine`.

use closer_domain::property::{PropertyDef, PropertyOf, PropertyType};
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::StoreError;

use crate::{Columns, Engine, Param, Step, json_as, required};

fn def(r: &dyn Columns) -> Result<PropertyDef, StoreError> {
    let corrupt = |e: closer_domain::FieldError| StoreError::Corrupt(e.to_string());
    Ok(PropertyDef {
        id: required("id", r.uuid("id")?)?,
        of: PropertyOf::parse(&required("of", r.text("of")?)?).map_err(corrupt)?,
        name: required("name", r.text("name")?)?,
        label: required("label", r.text("label")?)?,
        kind: PropertyType::parse(&required("kind", r.text("kind")?)?).map_err(corrupt)?,
        options: json_as(r, "options")?,
    })
}

fn options(def: &PropertyDef) -> Param {
    Param::Text(serde_json::Value::from(def.options.clone()).to_string())
}

pub async fn property_defs(
    e: &impl Engine,
    ws: WorkspaceId,
    of: Option<PropertyOf>,
) -> Result<Vec<PropertyDef>, StoreError> {
    let sql = e.sql(
        "select id, of, name, label, kind, options from property_defs \
         where workspace_id = $1 and ($2 is null or of = $3) order by of, name",
        [
            ws.0.into(),
            Param::MaybeText(of.map(|o| o.as_str().to_owned())),
            Param::Text(of.map_or("", PropertyOf::as_str).to_owned()),
        ],
    );
    e.fetch(sql, def).await
}

pub async fn define_property(
    e: &impl Engine,
    ws: WorkspaceId,
    d: &PropertyDef,
) -> Result<(), StoreError> {
    let sql = e.sql(
        &format!(
            "insert into property_defs (id, workspace_id, of, name, label, kind, options, created_at) \
             values ($1, $2, $3, $4, $5, $6, {}, $8)",
            e.dialect().json_text("$7")
        ),
        [
            d.id.into(),
            ws.0.into(),
            d.of.as_str().into(),
            d.name.clone().into(),
            d.label.clone().into(),
            d.kind.as_str().into(),
            options(d),
            Timestamp::now().into(),
        ],
    );
    e.execute(sql).await.map(|_| ())
}

pub async fn update_property(
    e: &impl Engine,
    ws: WorkspaceId,
    d: &PropertyDef,
) -> Result<(), StoreError> {
    let sql = e.sql(
        &format!(
            "update property_defs set label = $3, options = {} where workspace_id = $1 and id = $2",
            e.dialect().json_text("$4")
        ),
        [ws.0.into(), d.id.into(), d.label.clone().into(), options(d)],
    );
    e.transaction(vec![Step::must_change(sql)]).await
}

pub async fn delete_property(
    e: &impl Engine,
    ws: WorkspaceId,
    id: uuid::Uuid,
) -> Result<(), StoreError> {
    let sql = e.sql(
        "delete from property_defs where workspace_id = $1 and id = $2",
        [ws.0.into(), id.into()],
    );
    e.transaction(vec![Step::must_change(sql)]).await
}
