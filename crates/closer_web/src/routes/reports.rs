//! `GET /api/v1/reports/{funnel,measures,retention,ltv,attribution,bottleneck}`: the business
//! reports, all taking the same query parameters.

use axum::Json;
use axum::extract::State;
use closer_app::{
    AttributionReport, BottleneckReport, FunnelReport, LtvReport, MeasuresReport, Principal,
    ReportRequest, RetentionReport,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(funnel))
        .routes(routes!(measures))
        .routes(routes!(retention))
        .routes(routes!(ltv))
        .routes(routes!(attribution))
        .routes(routes!(bottleneck))
}

/// The query every report takes. `view` and `model` are read by the funnel and attribution
/// and checked everywhere, so a typo is an error wherever it is made.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Start: a date (`2026-01-01`, midnight UTC) or an RFC 3339 time. Default: 90 days
    /// before `to`.
    from: Option<String>,
    /// End, exclusive: a date (the whole day is included) or an RFC 3339 time. Default: now.
    to: Option<String>,
    /// Breakdown: `channel`, `source`, `campaign`, `site`, `owner` or `property:NAME` (a
    /// contact property). Default: none (the whole business).
    by: Option<String>,
    /// Funnel only: `cohort` (the people who entered in the period, however far they have
    /// come since; default) or `flow` (step entries in the period).
    view: Option<String>,
    /// Attribution only: `first_touch`, `last_touch`, `linear` (default) or
    /// `position_based` (40/20/40).
    model: Option<String>,
}

impl ReportParams {
    fn parse(&self) -> Result<ReportRequest, ApiError> {
        ReportRequest::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.by.as_deref(),
            self.view.as_deref(),
            self.model.as_deref(),
        )
        .map_err(ApiError::invalid)
    }
}

/// The funnel from visitor to repeat customer.
///
/// Per step: how many, the conversion from the step before and the median days it took —
/// counted as a cohort (the people who entered in the period, by now) or as a flow (step
/// entries in the period); for the whole business and per group of `by`.
#[utoipa::path(get, path = "/api/v1/reports/funnel", tag = "reports", params(ReportParams),
    responses(
        (status = 200, body = Object, description = "The funnel"),
        (status = 422, description = "A bad period, breakdown, view or model", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn funnel(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Json<FunnelReport>, ApiError> {
    let p = params.parse()?;
    Ok(Json(
        state
            .app
            .reports()
            .funnel_report(principal.workspace_id, &p.query, p.view)
            .await?,
    ))
}

/// Success measures.
///
/// Closed deals, win rate, revenue and average deal size per currency, median sales cycle,
/// time in each stage, speed-to-lead (median and 90th percentile), the open pipeline and
/// weighted forecast by category, loss reasons ranked, and touches before a win.
#[utoipa::path(get, path = "/api/v1/reports/measures", tag = "reports", params(ReportParams),
    responses(
        (status = 200, body = Object, description = "The measures"),
        (status = 422, description = "A bad period, breakdown, view or model", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn measures(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Json<MeasuresReport>, ApiError> {
    let p = params.parse()?;
    Ok(Json(
        state
            .app
            .reports()
            .measures_report(principal.workspace_id, &p.query)
            .await?,
    ))
}

/// Retention.
///
/// Of the customers whose first order fell in the period: how many bought again, and the
/// monthly cohort table (who ordered in each month after their first).
#[utoipa::path(get, path = "/api/v1/reports/retention", tag = "reports", params(ReportParams),
    responses(
        (status = 200, body = Object, description = "Repeat purchases and cohorts"),
        (status = 422, description = "A bad period, breakdown, view or model", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn retention(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Json<RetentionReport>, ApiError> {
    let p = params.parse()?;
    Ok(Json(
        state
            .app
            .reports()
            .retention_report(principal.workspace_id, &p.query)
            .await?,
    ))
}

/// Customer lifetime value.
///
/// Historical value per customer, and predicted purchases and value over the next 52 weeks
/// from BG/NBD and Gamma-Gamma models fitted to the period's customers; with too few
/// customers, `predicted` is null and `not_enough_data` says why.
#[utoipa::path(get, path = "/api/v1/reports/ltv", tag = "reports", params(ReportParams),
    responses(
        (status = 200, body = Object, description = "Lifetime value"),
        (status = 422, description = "A bad period, breakdown, view or model", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn ltv(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Json<LtvReport>, ApiError> {
    let p = params.parse()?;
    Ok(Json(
        state
            .app
            .reports()
            .ltv_report(principal.workspace_id, &p.query)
            .await?,
    ))
}

/// Attribution.
///
/// Leads, deals and won revenue of the period credited to the channels (`by=channel`, the
/// default) or campaigns (`by=campaign`) of the visits before each, under `model`; each
/// conversion's credit sums to exactly one.
#[utoipa::path(get, path = "/api/v1/reports/attribution", tag = "reports", params(ReportParams),
    responses(
        (status = 200, body = Object, description = "Credited conversions"),
        (status = 422, description = "A bad period, breakdown, view or model", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn attribution(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Json<AttributionReport>, ApiError> {
    let p = params.parse()?;
    Ok(Json(
        state
            .app
            .reports()
            .attribution_report(principal.workspace_id, &p.query, p.model)
            .await?,
    ))
}

/// The bottleneck: which funnel step to fix first.
///
/// Each step's conversion against its target (`[targets]` in the rules file), ranked by the
/// revenue a quarter that step alone at target would add, with a sentence for each; for the
/// whole business and per group of `by` (a traffic breakdown).
#[utoipa::path(get, path = "/api/v1/reports/bottleneck", tag = "reports", params(ReportParams),
    responses(
        (status = 200, body = Object, description = "Steps ranked"),
        (status = 422, description = "A bad period, breakdown, view or model", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
async fn bottleneck(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Json<BottleneckReport>, ApiError> {
    let p = params.parse()?;
    Ok(Json(
        state
            .app
            .reports()
            .bottleneck_report(principal.workspace_id, &p.query)
            .await?,
    ))
}
