//! The property definitions port: the custom properties a workspace defines for its contacts,
//! companies and deals (written once in `closer_store_sql::properties_store`).

use async_trait::async_trait;
use closer_domain::WorkspaceId;
use closer_domain::property::{PropertyDef, PropertyOf};

use crate::StoreError;

/// The unique key a second definition of one name on one kind of record meets.
pub const PROPERTY_NAME_TAKEN: &str = "property_defs_name_key";

#[async_trait]
pub trait PropertyStore {
    /// The definitions of one kind of record (all kinds when `None`), by kind then name.
    async fn property_defs(
        &self,
        workspace: WorkspaceId,
        of: Option<PropertyOf>,
    ) -> Result<Vec<PropertyDef>, StoreError>;

    /// `Conflict` on `PROPERTY_NAME_TAKEN` when the name is defined already.
    async fn define_property(
        &self,
        workspace: WorkspaceId,
        def: &PropertyDef,
    ) -> Result<(), StoreError>;

    /// Changes a definition's label and options (its name, kind and type stay); `NotFound`
    /// when it is not the workspace's.
    async fn update_property(
        &self,
        workspace: WorkspaceId,
        def: &PropertyDef,
    ) -> Result<(), StoreError>;

    /// Removes the definition; values already written stay on the records, free-form.
    async fn delete_property(
        &self,
        workspace: WorkspaceId,
        id: uuid::Uuid,
    ) -> Result<(), StoreError>;
}
