//! Attribution: leads, deals and won revenue credited to the channels or campaigns of the
//! visits before each conversion, under one model (first touch, last touch, linear, or
//! position-based 40/20/40). Each conversion's credit sums to exactly one (in millionths),
//! so the column totals are the conversion counts. A conversion with no tracked visit is
//! credited to `(none)`.

use std::collections::{BTreeMap, HashMap};

use closer_domain::WorkspaceId;
use closer_domain::reports::{self, Breakdown, Model, WHOLE};
use closer_store::ConversionKind;
use serde::Serialize;

use super::Reports;
use super::{Echo, ReportQuery, money, round};
use crate::AppError;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreditedRevenue {
    pub currency: String,
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttributionRow {
    pub group: String,
    /// Credited conversions (fractions of one conversion each).
    pub leads: f64,
    pub deals: f64,
    pub won_deals: f64,
    pub revenue: Vec<CreditedRevenue>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttributionReport {
    #[serde(flatten)]
    pub query: Echo,
    pub model: &'static str,
    /// What touches are credited by: channel or campaign.
    pub dimension: &'static str,
    /// Most credited leads first.
    pub rows: Vec<AttributionRow>,
    pub total: AttributionRow,
}

#[derive(Default)]
struct Credit {
    /// Millionths of a conversion, per kind.
    leads: u64,
    deals: u64,
    won: u64,
    /// Per currency, in units × millionths.
    revenue: BTreeMap<String, i128>,
}

fn row(group: String, c: &Credit) -> AttributionRow {
    #[allow(clippy::cast_precision_loss)] // credits far below 2^52
    let count = |millionths: u64| round(millionths as f64 / WHOLE as f64, 3);
    AttributionRow {
        group,
        leads: count(c.leads),
        deals: count(c.deals),
        won_deals: count(c.won),
        revenue: c
            .revenue
            .iter()
            .map(|(currency, v)| CreditedRevenue {
                currency: currency.clone(),
                amount: money(v / i128::from(WHOLE)),
            })
            .collect(),
    }
}

impl Reports {
    pub async fn attribution_report(
        &self,
        ws: WorkspaceId,
        q: &ReportQuery,
        model: Model,
    ) -> Result<AttributionReport, AppError> {
        let dimension = match q.by {
            Breakdown::Total | Breakdown::Channel => "channel",
            Breakdown::Campaign => "campaign",
            _ => {
                return Err(AppError::invalid(
                    "by",
                    "attribution credits touches by channel or campaign",
                ));
            }
        };
        let paths = self.report_conversion_paths(ws, q.period).await?;
        // Touch keys become small indexes: no string is copied per visit.
        let none = super::NONE;
        let mut names: Vec<&str> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut credits: Vec<Credit> = Vec::new();
        let mut total = Credit::default();
        let mut keys: Vec<usize> = Vec::new();
        for p in &paths {
            keys.clear();
            for (channel, campaign) in &p.touches {
                let name = if dimension == "channel" {
                    channel.as_str()
                } else {
                    campaign.as_deref().unwrap_or(none)
                };
                let i = *index.entry(name).or_insert_with(|| {
                    names.push(name);
                    credits.push(Credit::default());
                    names.len() - 1
                });
                keys.push(i);
            }
            if keys.is_empty() {
                let i = *index.entry(none).or_insert_with(|| {
                    names.push(none);
                    credits.push(Credit::default());
                    names.len() - 1
                });
                keys.push(i);
            }
            // Every conversion on the path gets the same shares: credit once, times the count.
            for (key, share) in reports::credit(model, &keys) {
                let shares = share * p.conversions;
                for c in [&mut credits[key], &mut total] {
                    match p.kind {
                        ConversionKind::Lead => c.leads += shares,
                        ConversionKind::Deal => c.deals += shares,
                        ConversionKind::Won => {
                            c.won += shares;
                            if let Some((currency, units)) = &p.value {
                                *c.revenue.entry(currency.clone()).or_default() +=
                                    *units * i128::from(share);
                            }
                        }
                    }
                }
            }
        }
        let credits: BTreeMap<&str, &Credit> = names.iter().copied().zip(&credits).collect();
        let mut rows: Vec<_> = credits
            .iter()
            .map(|(k, c)| row((*k).to_owned(), c))
            .collect();
        rows.sort_by(|a, b| b.leads.total_cmp(&a.leads).then(a.group.cmp(&b.group)));
        Ok(AttributionReport {
            query: Echo::of(q),
            model: model.as_str(),
            dimension,
            rows,
            total: row("total".into(), &total),
        })
    }
}
