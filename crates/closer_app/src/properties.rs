//! Custom properties as use cases: admins define them (name, label, type, options) for
//! contacts, companies or deals; every write of a record checks the values of its defined
//! properties (`typed_properties`) and stores them in one form, whoever wrote them.

use closer_domain::access::Action;
use closer_domain::property::{
    MAX_DEFINED, PropertyDef, PropertyOf, PropertyType, property_name, property_options,
};
use closer_domain::{FieldError, WorkspaceId};
use closer_store::{PROPERTY_NAME_TAKEN, Store, StoreError};
use serde_json::{Map, Value};

use crate::{App, AppError, Principal};

/// What a definition is made of, as typed.
#[derive(Debug, Clone)]
pub struct PropertyRequest {
    pub of: PropertyOf,
    pub name: String,
    pub label: String,
    pub kind: PropertyType,
    pub options: Vec<String>,
}

/// A label: one line of 1 to 80 characters (the name when empty).
fn label(raw: &str, name: &str) -> Result<String, FieldError> {
    let label = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let label = if label.is_empty() {
        name.to_owned()
    } else {
        label
    };
    if label.chars().count() > 80 || label.chars().any(char::is_control) {
        return Err(FieldError::new(
            "label",
            "must be at most 80 characters, on one line",
        ));
    }
    Ok(label)
}

/// The defined properties among `props` checked and stored in their one form; the others
/// pass as they are. A mistake names `properties.NAME`.
pub(crate) async fn typed_properties(
    store: &dyn Store,
    ws: WorkspaceId,
    of: PropertyOf,
    props: &mut Map<String, Value>,
) -> Result<(), AppError> {
    if props.is_empty() {
        return Ok(());
    }
    let defs = store.property_defs(ws, Some(of)).await?;
    if defs.is_empty() {
        return Ok(());
    }
    *props = closer_domain::property::typed(&defs, props).map_err(AppError::Invalid)?;
    Ok(())
}

/// A patch's properties (`None`: the patch leaves them alone) typed as `typed_properties`
/// does; `Some` only when there were properties to type.
pub(crate) async fn typed_change(
    store: &dyn Store,
    ws: WorkspaceId,
    of: PropertyOf,
    props: Option<&Map<String, Value>>,
) -> Result<Option<Map<String, Value>>, AppError> {
    let Some(props) = props else { return Ok(None) };
    let mut props = props.clone();
    typed_properties(store, ws, of, &mut props).await?;
    Ok(Some(props))
}

/// `typed_properties` for a new record: a cleared value is simply not written.
pub(crate) async fn typed_new(
    store: &dyn Store,
    ws: WorkspaceId,
    of: PropertyOf,
    props: &mut Map<String, Value>,
) -> Result<(), AppError> {
    typed_properties(store, ws, of, props).await?;
    props.retain(|_, v| !v.is_null());
    Ok(())
}

impl App {
    /// The workspace's definitions (of one kind of record, or all): anyone signed in reads
    /// them, as forms draw them.
    pub async fn property_defs(
        &self,
        principal: &Principal,
        of: Option<PropertyOf>,
    ) -> Result<Vec<PropertyDef>, AppError> {
        Ok(self
            .store()
            .property_defs(principal.workspace_id, of)
            .await?)
    }

    pub async fn define_property(
        &self,
        principal: &Principal,
        req: PropertyRequest,
    ) -> Result<PropertyDef, AppError> {
        principal.check(Action::Configure, None)?;
        let ws = principal.workspace_id;
        let mut errors = Vec::new();
        let name = property_name(&req.name).map_err(|e| errors.push(e)).ok();
        let label = label(&req.label, name.as_deref().unwrap_or(&req.name))
            .map_err(|e| errors.push(e))
            .ok();
        let options = property_options(req.kind, &req.options)
            .map_err(|e| errors.push(e))
            .ok();
        let (Some(name), Some(label), Some(options), true) =
            (name, label, options, errors.is_empty())
        else {
            return Err(AppError::Invalid(errors));
        };
        if self.store().property_defs(ws, Some(req.of)).await?.len() >= MAX_DEFINED {
            return Err(AppError::invalid(
                "name",
                format!("at most {MAX_DEFINED} properties of {}", req.of.as_str()),
            ));
        }
        let def = PropertyDef {
            id: uuid::Uuid::now_v7(),
            of: req.of,
            name,
            label,
            kind: req.kind,
            options,
        };
        match self.store().define_property(ws, &def).await {
            Ok(()) => Ok(def),
            Err(e) if e.is_conflict_on(PROPERTY_NAME_TAKEN) => Err(AppError::invalid(
                "name",
                format!("{} already has a property {:?}", def.of.as_str(), def.name),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// A definition's label and options (its name and type stay: values are stored by them).
    pub async fn update_property(
        &self,
        principal: &Principal,
        id: uuid::Uuid,
        new_label: &str,
        options: &[String],
    ) -> Result<PropertyDef, AppError> {
        principal.check(Action::Configure, None)?;
        let ws = principal.workspace_id;
        let stored = self
            .store()
            .property_defs(ws, None)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or(AppError::NotFound)?;
        let mut errors = Vec::new();
        let label = label(new_label, &stored.name)
            .map_err(|e| errors.push(e))
            .ok();
        let options = property_options(stored.kind, options)
            .map_err(|e| errors.push(e))
            .ok();
        let (Some(label), Some(options), true) = (label, options, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let def = PropertyDef {
            label,
            options,
            ..stored
        };
        self.store().update_property(ws, &def).await?;
        Ok(def)
    }

    /// Removes a definition; the values already written stay on their records, free-form.
    pub async fn delete_property(
        &self,
        principal: &Principal,
        id: uuid::Uuid,
    ) -> Result<(), AppError> {
        principal.check(Action::Configure, None)?;
        match self
            .store()
            .delete_property(principal.workspace_id, id)
            .await
        {
            Err(StoreError::NotFound) => Err(AppError::NotFound),
            other => Ok(other?),
        }
    }
}
