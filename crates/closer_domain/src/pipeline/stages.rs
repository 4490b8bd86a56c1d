//! Pipelines: a workspace's ordered deal stages, each with a win probability and a forecast
//! category, ending in one Won and one Lost stage. A workspace may run several (new business,
//! renewals…); the default one follows the usual sales steps.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::text::clean;

use super::{PipelineId, PipelineStageId};

/// Most stages a pipeline may have.
pub const MAX_STAGES: usize = 30;
/// Longest stage or pipeline name, in characters.
const MAX_NAME: usize = 80;

/// Whether a stage holds deals still being worked, or closes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    Open,
    Won,
    Lost,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "open" => Ok(StageKind::Open),
            "won" => Ok(StageKind::Won),
            "lost" => Ok(StageKind::Lost),
            other => Err(FieldError::new(
                "kind",
                format!("{other:?} is not a stage kind; use open, won or lost"),
            )),
        }
    }
}

/// The forecast category of an open stage (Won counts as closed, Lost as omitted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forecast {
    Pipeline,
    BestCase,
    Commit,
    Closed,
    Omitted,
}

impl Forecast {
    pub const ALL: [Forecast; 5] = [
        Forecast::Pipeline,
        Forecast::BestCase,
        Forecast::Commit,
        Forecast::Closed,
        Forecast::Omitted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Forecast::Pipeline => "pipeline",
            Forecast::BestCase => "best_case",
            Forecast::Commit => "commit",
            Forecast::Closed => "closed",
            Forecast::Omitted => "omitted",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "forecast",
                    format!(
                        "{raw:?} is not a forecast category; use pipeline, best_case or commit"
                    ),
                )
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PipelineStage {
    pub id: PipelineStageId,
    pub name: String,
    /// 0-based, in board order.
    pub position: u16,
    /// Chance a deal here is won, in percent (weights the forecast).
    pub probability: u8,
    pub forecast: Forecast,
    pub kind: StageKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pipeline {
    pub id: PipelineId,
    pub name: String,
    /// The pipeline new deals go to when none is named.
    pub is_default: bool,
    pub stages: Vec<PipelineStage>,
}

impl Pipeline {
    pub fn stage(&self, id: PipelineStageId) -> Option<&PipelineStage> {
        self.stages.iter().find(|s| s.id == id)
    }

    pub fn stage_named(&self, name: &str) -> Option<&PipelineStage> {
        self.stages
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
    }

    /// The first open stage: where a new deal starts.
    pub fn first_open(&self) -> &PipelineStage {
        self.stages
            .iter()
            .find(|s| s.kind == StageKind::Open)
            .expect("a valid pipeline has an open stage")
    }

    pub fn closing(&self, kind: StageKind) -> &PipelineStage {
        self.stages
            .iter()
            .find(|s| s.kind == kind)
            .expect("a valid pipeline has one won and one lost stage")
    }
}

/// One stage as a person writes it; `id` keeps an existing stage (and its deals) on an edit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    #[serde(default)]
    pub id: Option<PipelineStageId>,
    pub name: String,
    #[serde(default)]
    pub probability: Option<u8>,
    #[serde(default)]
    pub forecast: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
}

/// A pipeline as a person writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineInput {
    pub name: String,
    pub stages: Vec<StageInput>,
}

/// A validated pipeline definition, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineDraft {
    pub name: String,
    pub stages: Vec<PipelineStage>,
}

fn name(field: &str, raw: &str) -> Result<String, FieldError> {
    let value = clean(field, raw)?.ok_or_else(|| FieldError::new(field, "must not be empty"))?;
    if value.chars().count() > MAX_NAME {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_NAME} characters"),
        ));
    }
    Ok(value)
}

impl PipelineInput {
    /// Checks the whole definition and reports every problem, not only the first: names
    /// present and unique, 2 to 30 stages, probabilities 0–100, exactly one won and one lost
    /// stage (won at 100%, lost at 0%), at least one open stage.
    pub fn parse(&self) -> Result<PipelineDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let pipeline_name = name("name", &self.name).map_err(|e| errors.push(e)).ok();
        if self.stages.len() < 3 || self.stages.len() > MAX_STAGES {
            errors.push(FieldError::new(
                "stages",
                format!("a pipeline has 3 to {MAX_STAGES} stages: at least one open, one won and one lost"),
            ));
        }
        let mut stages: Vec<PipelineStage> = Vec::with_capacity(self.stages.len());
        for (i, input) in self.stages.iter().enumerate() {
            let field = |f: &str| format!("stages[{i}].{f}");
            let kind = match input.kind.as_deref() {
                None => StageKind::Open,
                Some(raw) => match StageKind::parse(raw) {
                    Ok(k) => k,
                    Err(e) => {
                        errors.push(FieldError::new(field("kind"), e.message));
                        continue;
                    }
                },
            };
            let stage_name = match name(&field("name"), &input.name) {
                Ok(n) => n,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if stages
                .iter()
                .any(|s| s.name.eq_ignore_ascii_case(&stage_name))
            {
                errors.push(FieldError::new(
                    field("name"),
                    format!("{stage_name:?} is already a stage of this pipeline"),
                ));
            }
            let default_probability = match kind {
                StageKind::Won => 100,
                _ => 0,
            };
            let probability = input.probability.unwrap_or(default_probability);
            if probability > 100 {
                errors.push(FieldError::new(
                    field("probability"),
                    "must be a percentage from 0 to 100",
                ));
            }
            match kind {
                StageKind::Won if probability != 100 => {
                    errors.push(FieldError::new(field("probability"), "a won stage is 100%"));
                }
                StageKind::Lost if probability != 0 => {
                    errors.push(FieldError::new(field("probability"), "a lost stage is 0%"));
                }
                _ => {}
            }
            let forecast = match (kind, input.forecast.as_deref()) {
                // What a pipeline read back says of its closing stages is accepted as is.
                (StageKind::Won, None | Some("closed")) => Forecast::Closed,
                (StageKind::Lost, None | Some("omitted")) => Forecast::Omitted,
                (StageKind::Open, None) => Forecast::Pipeline,
                (StageKind::Open, Some(raw)) => {
                    if let Ok(f @ (Forecast::Pipeline | Forecast::BestCase | Forecast::Commit)) =
                        Forecast::parse(raw)
                    {
                        f
                    } else {
                        errors.push(FieldError::new(
                            field("forecast"),
                            format!("{raw:?} is not an open stage's forecast category; use pipeline, best_case or commit"),
                        ));
                        Forecast::Pipeline
                    }
                }
                (_, Some(_)) => {
                    errors.push(FieldError::new(
                        field("forecast"),
                        "won and lost stages have no forecast category to choose (won is closed, lost is omitted)",
                    ));
                    Forecast::Pipeline
                }
            };
            stages.push(PipelineStage {
                id: input.id.unwrap_or_default(),
                name: stage_name,
                position: u16::try_from(i).unwrap_or(u16::MAX),
                probability,
                forecast,
                kind,
            });
        }
        for (kind, word) in [(StageKind::Won, "won"), (StageKind::Lost, "lost")] {
            let n = stages.iter().filter(|s| s.kind == kind).count();
            if n != 1 && !self.stages.is_empty() {
                errors.push(FieldError::new(
                    "stages",
                    format!("a pipeline has exactly one {word} stage (kind = \"{word}\"); this one has {n}"),
                ));
            }
        }
        if !stages.iter().any(|s| s.kind == StageKind::Open) {
            errors.push(FieldError::new(
                "stages",
                "a pipeline needs at least one open stage",
            ));
        }
        let mut ids: Vec<_> = stages.iter().map(|s| s.id).collect();
        ids.sort();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            errors.push(FieldError::new("stages", "two stages have the same id"));
        }
        match pipeline_name {
            Some(name) if errors.is_empty() => Ok(PipelineDraft { name, stages }),
            _ => Err(errors),
        }
    }
}

/// The pipeline every workspace starts with.
pub fn default_pipeline() -> PipelineDraft {
    let open = |name: &str, probability, forecast| StageInput {
        id: None,
        name: name.into(),
        probability: Some(probability),
        forecast: Some(Forecast::as_str(forecast).into()),
        kind: None,
    };
    let closing = |name: &str, kind: &str| StageInput {
        id: None,
        name: name.into(),
        probability: None,
        forecast: None,
        kind: Some(kind.into()),
    };
    PipelineInput {
        name: "Sales".into(),
        stages: vec![
            open("Qualification", 10, Forecast::Pipeline),
            open("Demo", 20, Forecast::Pipeline),
            open("Proposal", 40, Forecast::BestCase),
            open("Negotiation", 60, Forecast::BestCase),
            open("Closing", 80, Forecast::Commit),
            closing("Won", "won"),
            closing("Lost", "lost"),
        ],
    }
    .parse()
    .expect("the default pipeline is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(name: &str, kind: Option<&str>) -> StageInput {
        StageInput {
            id: None,
            name: name.into(),
            probability: None,
            forecast: None,
            kind: kind.map(Into::into),
        }
    }

    #[test]
    fn the_default_pipeline_is_valid() {
        let p = default_pipeline();
        assert_eq!(p.stages.len(), 7);
        assert_eq!(p.stages[4].forecast, Forecast::Commit);
        assert_eq!(p.stages[5].kind, StageKind::Won);
        assert_eq!(p.stages[5].probability, 100);
        assert_eq!(p.stages[6].forecast, Forecast::Omitted);
    }

    #[test]
    fn every_problem_is_reported() {
        let input = PipelineInput {
            name: " ".into(),
            stages: vec![
                stage("Demo", None),
                stage("demo", None),
                StageInput {
                    probability: Some(150),
                    ..stage("Call", None)
                },
                stage("Won", Some("won")),
                stage("Won again", Some("won")),
                stage("Gone", Some("maybe")),
            ],
        };
        let errors = input.parse().unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(all.contains("name: must not be empty"), "{all}");
        assert!(all.contains("stages[1].name"), "{all}");
        assert!(all.contains("stages[2].probability"), "{all}");
        assert!(all.contains("exactly one won stage"), "{all}");
        assert!(all.contains("exactly one lost stage"), "{all}");
        assert!(all.contains("stages[5].kind"), "{all}");
    }
}
