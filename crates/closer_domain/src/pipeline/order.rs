//! Orders: what a customer bought (line items, a total), from a won deal or placed directly.
//! Repeat orders are what retention and lifetime value are measured on.

use serde::{Deserialize, Serialize};

use crate::text::clean;
use crate::{ContactId, FieldError, Timestamp};

use super::money::{Amount, Currency};
use super::{DealId, OrderId};

/// Most lines one order may have.
pub const MAX_LINES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product: String,
    pub quantity: u32,
    pub unit_price: Amount,
}

impl OrderLine {
    pub fn total(&self) -> Option<Amount> {
        self.unit_price.times(self.quantity)
    }
}

/// Where an order came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSource {
    /// Produced by winning a deal.
    Deal,
    /// Placed through the API.
    Api,
    /// Loaded by `closer import orders`.
    Import,
}

impl OrderSource {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderSource::Deal => "deal",
            OrderSource::Api => "api",
            OrderSource::Import => "import",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "deal" => Some(OrderSource::Deal),
            "api" => Some(OrderSource::Api),
            "import" => Some(OrderSource::Import),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: OrderId,
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    pub total: Amount,
    pub source: OrderSource,
    pub placed_at: Timestamp,
    pub created_at: Timestamp,
}

/// A line as a person writes it: `quantity` is signed here so a negative one is refused with
/// its own message instead of a type error.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub product: String,
    #[serde(default = "one")]
    pub quantity: i64,
    pub unit_price: Amount,
}

fn one() -> i64 {
    1
}

/// Checks the lines of an order and totals them: 1 to 200 lines, products named, quantities
/// from 1 to 1,000,000, a total within bounds.
pub fn parse_lines(input: &[LineInput]) -> Result<(Vec<OrderLine>, Amount), Vec<FieldError>> {
    let mut errors = Vec::new();
    if input.is_empty() || input.len() > MAX_LINES {
        errors.push(FieldError::new(
            "lines",
            format!("an order has 1 to {MAX_LINES} lines"),
        ));
    }
    let mut lines = Vec::with_capacity(input.len());
    for (i, l) in input.iter().enumerate() {
        let product = match clean(&format!("lines[{i}].product"), &l.product) {
            Ok(Some(p)) if p.chars().count() <= 200 => Some(p),
            Ok(Some(_)) => {
                errors.push(FieldError::new(
                    format!("lines[{i}].product"),
                    "must be at most 200 characters",
                ));
                None
            }
            Ok(None) => {
                errors.push(FieldError::new(
                    format!("lines[{i}].product"),
                    "must not be empty",
                ));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let quantity = match u32::try_from(l.quantity) {
            Ok(q) if (1..=1_000_000).contains(&q) => Some(q),
            _ => {
                errors.push(FieldError::new(
                    format!("lines[{i}].quantity"),
                    format!(
                        "{} is not a quantity: use a whole number from 1 to 1000000",
                        l.quantity
                    ),
                ));
                None
            }
        };
        if let (Some(product), Some(quantity)) = (product, quantity) {
            lines.push(OrderLine {
                product,
                quantity,
                unit_price: l.unit_price,
            });
        }
    }
    let mut total = Some(Amount::ZERO);
    for line in &lines {
        total = total.and_then(|t| line.total().and_then(|l| t.plus(l)));
    }
    let Some(total) = total else {
        errors.push(FieldError::new("lines", "the order's total is too large"));
        return Err(errors);
    };
    if errors.is_empty() {
        Ok((lines, total))
    } else {
        Err(errors)
    }
}
