//! The lead-capture form port.

use async_trait::async_trait;
use closer_domain::{FormId, FormKey, WorkspaceId};

use crate::{Form, StoreError};

#[async_trait]
pub trait FormStore {
    async fn create_form(&self, form: &Form) -> Result<(), StoreError>;
    /// Looks a form up by its public key, across workspaces (the key is the only thing a
    /// public post carries); the form names its workspace.
    async fn form_by_key(&self, key: &FormKey) -> Result<Option<Form>, StoreError>;
    async fn form(&self, workspace: WorkspaceId, id: FormId) -> Result<Form, StoreError>;
    async fn list_forms(&self, workspace: WorkspaceId) -> Result<Vec<Form>, StoreError>;
}
