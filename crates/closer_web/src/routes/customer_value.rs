//! `GET /api/v1/contacts/{id}/value`: a customer's orders so far and predicted value, from
//! the workspace's current lifetime-value fit.

use axum::Json;
use axum::extract::{Path, State};
use closer_app::{CustomerValue, Principal};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(customer_value))
}

#[derive(Serialize, ToSchema)]
pub struct CustomerValueView {
    contact_id: Uuid,
    /// The fit's currency (the one most of the workspace's orders are in); orders in other
    /// currencies are not counted.
    currency: Option<String>,
    /// Orders so far, in that currency.
    orders: u64,
    /// Their total, as a decimal.
    spent: Option<String>,
    horizon_weeks: f64,
    /// Expected purchases in the next `horizon_weeks` (BG/NBD).
    expected_purchases: Option<f64>,
    /// The probability they are still a customer.
    probability_alive: Option<f64>,
    /// Expected purchases × expected spend per purchase (Gamma-Gamma), as a decimal.
    expected_value: Option<String>,
    /// Why there is no prediction, in words.
    not_enough_data: Option<String>,
    /// When the workspace's fit was made (RFC 3339; it is made again after an hour if orders
    /// changed), and on how many customers.
    fitted_at: Option<String>,
    fitted_on: u64,
}

impl From<CustomerValue> for CustomerValueView {
    fn from(v: CustomerValue) -> Self {
        Self {
            contact_id: v.contact_id.0,
            currency: v.currency,
            orders: v.orders,
            spent: v.spent,
            horizon_weeks: v.horizon_weeks,
            expected_purchases: v.expected_purchases,
            probability_alive: v.probability_alive,
            expected_value: v.expected_value,
            not_enough_data: v.not_enough_data,
            fitted_at: v.fitted_at.map(|t| t.to_string()),
            fitted_on: v.fitted_on,
        }
    }
}

/// A customer's value: orders so far, and what the workspace's lifetime-value fit expects of
/// them over the next 52 weeks.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/value", tag = "contacts",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = CustomerValueView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
async fn customer_value(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<CustomerValueView>, ApiError> {
    let id = super::contacts::contact_id(&id)?;
    Ok(Json(
        state
            .app
            .reports()
            .customer_value(&principal, id)
            .await?
            .into(),
    ))
}
