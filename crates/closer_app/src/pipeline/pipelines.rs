//! Pipelines and the loss-reason catalogue: read (created with the defaults on first use),
//! added, replaced.

use closer_domain::pipeline::{
    LossReason, Pipeline, PipelineId, PipelineInput, default_loss_reasons, default_pipeline,
    parse_loss_reasons,
};
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::{PIPELINE_NAME, STAGE_HAS_DEALS, StoreError};

use crate::AppError;

fn refused(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { constraint } if constraint == PIPELINE_NAME => {
            AppError::Conflict("the workspace already has a pipeline of that name".into())
        }
        StoreError::Conflict { constraint } if constraint == STAGE_HAS_DEALS => {
            AppError::Conflict(
                "a stage left out of the new definition still holds deals: move them to another stage first".into(),
            )
        }
        StoreError::Conflict { constraint } if constraint == "pipeline_stages_pipeline_key" => {
            AppError::invalid("stages", "a stage id belongs to another pipeline")
        }
        other => other.into(),
    }
}

impl super::Sales {
    /// The workspace's pipelines, the default first.
    pub async fn pipelines(&self, ws: WorkspaceId) -> Result<Vec<Pipeline>, AppError> {
        Ok(self
            .store
            .pipelines(
                ws,
                &default_pipeline(),
                &default_loss_reasons(),
                Timestamp::now(),
            )
            .await?)
    }

    pub async fn pipeline(&self, ws: WorkspaceId, id: PipelineId) -> Result<Pipeline, AppError> {
        self.pipelines(ws)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(AppError::NotFound)
    }

    pub async fn create_pipeline(
        &self,
        principal: &crate::Principal,
        input: &PipelineInput,
    ) -> Result<Pipeline, AppError> {
        principal.check(closer_domain::access::Action::Configure, None)?;
        let ws = principal.workspace_id;
        let mut draft = input.parse().map_err(AppError::Invalid)?;
        // A new pipeline's stages are new, whatever ids the input carried.
        for s in &mut draft.stages {
            s.id = closer_domain::pipeline::PipelineStageId::new();
        }
        // The defaults first, so a workspace's first own pipeline does not become its default.
        self.pipelines(ws).await?;
        let id = PipelineId::new();
        self.store
            .create_pipeline(ws, id, &draft, Timestamp::now())
            .await
            .map_err(refused)?;
        self.pipeline(ws, id).await
    }

    /// Replaces a pipeline's name and stages. Stages given with their `id` keep it (and their
    /// deals); those left out are deleted, unless they hold deals.
    pub async fn replace_pipeline(
        &self,
        principal: &crate::Principal,
        id: PipelineId,
        input: &PipelineInput,
    ) -> Result<Pipeline, AppError> {
        principal.check(closer_domain::access::Action::Configure, None)?;
        let ws = principal.workspace_id;
        let draft = input.parse().map_err(AppError::Invalid)?;
        self.pipeline(ws, id).await?;
        self.store
            .replace_pipeline(ws, id, &draft)
            .await
            .map_err(refused)?;
        self.pipeline(ws, id).await
    }

    pub async fn loss_reasons(&self, ws: WorkspaceId) -> Result<Vec<LossReason>, AppError> {
        // The catalogue is created with the default pipeline.
        self.pipelines(ws).await?;
        Ok(self.store.loss_reasons(ws).await?)
    }

    /// Replaces the catalogue. Deals lost for a reason no longer listed keep it.
    pub async fn put_loss_reasons(
        &self,
        principal: &crate::Principal,
        input: &[LossReason],
    ) -> Result<Vec<LossReason>, AppError> {
        principal.check(closer_domain::access::Action::Configure, None)?;
        let ws = principal.workspace_id;
        let reasons = parse_loss_reasons(input).map_err(AppError::Invalid)?;
        self.pipelines(ws).await?;
        self.store.put_loss_reasons(ws, &reasons).await?;
        Ok(reasons)
    }
}
