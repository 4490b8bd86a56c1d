//! Qualification rules as data: the TOML a workspace edits, checked into `Rules` with errors
//! that name the line, the field and why. The documented defaults are `default_rules.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::wildcard::Pattern;

/// The rules every workspace starts with.
pub const DEFAULT_RULES: &str = include_str!("default_rules.toml");

/// Largest rules file accepted, in bytes.
pub const MAX_RULES_BYTES: usize = 64 * 1024;
/// Most rules in each of the engagement and fit lists.
pub const MAX_RULES: usize = 200;

/// The built-in condition lifecycle rules may name besides engagement rules.
pub const RETURNED_AFTER_LEAD: &str = "returned_after_lead";

/// A problem in a rules file: where (line, 1-based, when known) and which field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleError {
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

/// What an engagement rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventMatch {
    Pageview,
    FormSubmitted,
    /// A custom event, by name (case-insensitive).
    Custom(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Hour,
    Day,
    Week,
    Month,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Period::Hour => 3_600,
            Period::Day => 86_400,
            Period::Week => 7 * 86_400,
            Period::Month => 30 * 86_400,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub times: u32,
    pub per: Period,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EngagementRule {
    pub name: String,
    pub event: EventMatch,
    pub path: Option<Pattern>,
    pub form: Option<Pattern>,
    pub props: Vec<(String, Pattern)>,
    pub points: f64,
    pub cap: Option<f64>,
    pub limit: Option<Limit>,
}

/// A fit rule's test on one field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldTest {
    Equals(Vec<String>),
    Matches(Vec<Pattern>),
    Range { min: Option<f64>, max: Option<f64> },
    Present(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FitRule {
    pub name: String,
    pub field: String,
    pub test: FieldTest,
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemperatureRules {
    /// Any group whose rules all matched within the window makes a contact hot.
    pub hot_when: Vec<Vec<String>>,
    pub hot_within_days: f64,
    pub finished_when: Vec<String>,
    pub warm_visits: u32,
    pub warm_visit_seconds: f64,
    pub warm_pageviews: u32,
    pub cools_after_days: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleRules {
    pub prospect_when: Vec<String>,
    pub prospect_at_engagement: Option<f64>,
}

/// Who a new hot lead goes to: the first rule whose conditions all hold; without a match, the
/// rep with the fewest open first-contact tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentRule {
    /// A wildcard pattern on the contact's original traffic source ("google*").
    pub source: Option<Pattern>,
    /// An ISO country code the contact's `country` property must hold (any case).
    pub country: Option<String>,
    /// The user (by email) who gets the lead.
    pub owner: crate::Email,
    /// Where the rule is in the file, for errors found when it is applied.
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssignmentRules {
    /// Minutes the first-contact task is due in; the server's setting when absent.
    pub first_contact_minutes: Option<u32>,
    pub rules: Vec<AssignmentRule>,
}

/// A workspace's checked rules, and the text they came from (shown back as written).
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub source: String,
    pub half_life_days: f64,
    pub engagement: Vec<EngagementRule>,
    pub fit: Vec<FitRule>,
    pub temperature: TemperatureRules,
    pub lifecycle: LifecycleRules,
    pub assignment: AssignmentRules,
    /// The funnel's conversion targets (fractions, in `reports::Conversion::ALL` order): the
    /// bottleneck report measures each step against its target.
    pub targets: [f64; 5],
}

// ---- the file as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    engagement: RawEngagement,
    #[serde(default)]
    fit: RawFit,
    temperature: RawTemperature,
    lifecycle: RawLifecycle,
    #[serde(default)]
    assignment: RawAssignment,
    #[serde(default)]
    targets: RawTargets,
}

/// Percent targets per funnel step; a step left out keeps its default.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    visitor_to_lead: Option<Spanned<f64>>,
    lead_to_prospect: Option<Spanned<f64>>,
    prospect_to_opportunity: Option<Spanned<f64>>,
    opportunity_to_customer: Option<Spanned<f64>>,
    customer_to_repeat: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAssignment {
    first_contact_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    rules: Vec<Spanned<RawAssignmentRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssignmentRule {
    source: Option<String>,
    country: Option<String>,
    owner: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngagement {
    half_life_days: Spanned<f64>,
    #[serde(default)]
    rules: Vec<Spanned<RawEngagementRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngagementRule {
    name: String,
    event: String,
    path: Option<String>,
    form: Option<String>,
    #[serde(default)]
    props: BTreeMap<String, String>,
    points: f64,
    cap: Option<f64>,
    limit: Option<RawLimit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    times: u32,
    per: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFit {
    #[serde(default)]
    rules: Vec<Spanned<RawFitRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFitRule {
    name: String,
    field: String,
    equals: Option<Vec<String>>,
    matches: Option<Vec<String>>,
    min: Option<f64>,
    max: Option<f64>,
    present: Option<bool>,
    points: f64,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawGroup {
    One(String),
    All(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemperature {
    hot_when: Spanned<Vec<RawGroup>>,
    hot_within_days: Spanned<f64>,
    finished_when: Spanned<Vec<String>>,
    warm_visits: u32,
    warm_visit_seconds: Spanned<f64>,
    warm_pageviews: u32,
    cools_after_days: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLifecycle {
    prospect_when: Spanned<Vec<String>>,
    prospect_at_engagement: Option<Spanned<f64>>,
}

/// Collects errors with line numbers computed from byte offsets in the source.
struct Check<'a> {
    text: &'a str,
    errors: Vec<RuleError>,
}

impl Check<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count()
            + 1
    }

    fn err(&mut self, at: Option<usize>, field: impl Into<String>, message: impl Into<String>) {
        let line = at.map(|o| self.line(o));
        self.errors.push(RuleError {
            line,
            field: field.into(),
            message: message.into(),
        });
    }

    fn positive(&mut self, value: &Spanned<f64>, field: &str) -> f64 {
        let v = *value.get_ref();
        if !(v.is_finite() && v > 0.0 && v <= 36_500.0) {
            self.err(
                Some(value.span().start),
                field,
                "must be a number above 0 and at most 36500",
            );
        }
        v
    }

    fn pattern(&mut self, at: usize, field: &str, raw: &str) -> Pattern {
        if raw.is_empty() || raw.len() > 500 {
            self.err(Some(at), field, "must be 1 to 500 characters");
        }
        Pattern::new(raw)
    }
}

impl Rules {
    /// Whether some fit rule reads the contact's company (`company.…`): only then does scoring
    /// need the company.
    pub fn reads_company(&self) -> bool {
        self.fit.iter().any(|r| r.field.starts_with("company."))
    }

    /// Parses and checks a rules file; every problem found is reported, not only the first.
    pub fn parse(text: &str) -> Result<Self, Vec<RuleError>> {
        if text.len() > MAX_RULES_BYTES {
            return Err(vec![RuleError {
                line: None,
                field: "file".into(),
                message: format!(
                    "is {} bytes; at most {MAX_RULES_BYTES} are accepted",
                    text.len()
                ),
            }]);
        }
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let mut check = Check {
                text,
                errors: Vec::new(),
            };
            let message = e.message().trim().to_owned();
            let field = field_of(&message);
            check.err(e.span().map(|s| s.start), field, message);
            check.errors
        })?;
        let mut check = Check {
            text,
            errors: Vec::new(),
        };
        let half_life_days =
            check.positive(&raw.engagement.half_life_days, "engagement.half_life_days");
        if raw.engagement.rules.len() > MAX_RULES || raw.fit.rules.len() > MAX_RULES {
            check.err(
                None,
                "rules",
                format!("at most {MAX_RULES} engagement and {MAX_RULES} fit rules"),
            );
        }
        let mut names = BTreeMap::new();
        let engagement: Vec<EngagementRule> = raw
            .engagement
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| engagement_rule(&mut check, &mut names, i, rule))
            .collect();
        let fit = raw
            .fit
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| fit_rule(&mut check, i, rule))
            .collect();
        let known = |name: &str| names.contains_key(name);
        let t = &raw.temperature;
        let hot_when: Vec<Vec<String>> = t
            .hot_when
            .get_ref()
            .iter()
            .map(|g| match g {
                RawGroup::One(n) => vec![n.clone()],
                RawGroup::All(ns) => ns.clone(),
            })
            .collect();
        for (i, group) in hot_when.iter().enumerate() {
            if group.is_empty() {
                check.err(
                    Some(t.hot_when.span().start),
                    format!("temperature.hot_when[{i}]"),
                    "is an empty list",
                );
            }
            for name in group.iter().filter(|n| !known(n)) {
                check.err(
                    Some(t.hot_when.span().start),
                    format!("temperature.hot_when[{i}]"),
                    format!("{name:?} is not the name of an engagement rule"),
                );
            }
        }
        for name in t.finished_when.get_ref().iter().filter(|n| !known(n)) {
            check.err(
                Some(t.finished_when.span().start),
                "temperature.finished_when",
                format!("{name:?} is not the name of an engagement rule"),
            );
        }
        let temperature = TemperatureRules {
            hot_within_days: check.positive(&t.hot_within_days, "temperature.hot_within_days"),
            warm_visit_seconds: check
                .positive(&t.warm_visit_seconds, "temperature.warm_visit_seconds"),
            cools_after_days: check.positive(&t.cools_after_days, "temperature.cools_after_days"),
            hot_when,
            finished_when: t.finished_when.get_ref().clone(),
            warm_visits: t.warm_visits,
            warm_pageviews: t.warm_pageviews,
        };
        let l = &raw.lifecycle;
        for name in l
            .prospect_when
            .get_ref()
            .iter()
            .filter(|n| !known(n) && n.as_str() != RETURNED_AFTER_LEAD)
        {
            check.err(
                Some(l.prospect_when.span().start),
                "lifecycle.prospect_when",
                format!("{name:?} is neither an engagement rule nor {RETURNED_AFTER_LEAD:?}"),
            );
        }
        let prospect_at_engagement = l.prospect_at_engagement.as_ref().map(|v| {
            let at = *v.get_ref();
            if !(at.is_finite() && at > 0.0 && at <= 100.0) {
                check.err(
                    Some(v.span().start),
                    "lifecycle.prospect_at_engagement",
                    "must be above 0 and at most 100",
                );
            }
            at
        });
        let lifecycle = LifecycleRules {
            prospect_when: l.prospect_when.get_ref().clone(),
            prospect_at_engagement,
        };
        let assignment = assignment(&mut check, &raw.assignment);
        let targets = targets(&mut check, &raw.targets);
        if !check.errors.is_empty() {
            return Err(check.errors);
        }
        Ok(Rules {
            source: text.to_owned(),
            half_life_days,
            engagement,
            fit,
            temperature,
            lifecycle,
            assignment,
            targets,
        })
    }

    /// The shipped defaults.
    pub fn defaults() -> Self {
        Self::parse(DEFAULT_RULES).expect("the default rules are valid")
    }

    pub fn engagement_rule(&self, name: &str) -> Option<&EngagementRule> {
        self.engagement.iter().find(|r| r.name == name)
    }
}

fn targets(check: &mut Check<'_>, raw: &RawTargets) -> [f64; 5] {
    use crate::reports::Conversion;
    let given = [
        &raw.visitor_to_lead,
        &raw.lead_to_prospect,
        &raw.prospect_to_opportunity,
        &raw.opportunity_to_customer,
        &raw.customer_to_repeat,
    ];
    let mut out = Conversion::ALL.map(Conversion::default_target);
    for ((slot, step), value) in out.iter_mut().zip(Conversion::ALL).zip(given) {
        let Some(v) = value else { continue };
        let percent = *v.get_ref();
        if percent.is_finite() && percent > 0.0 && percent <= 100.0 {
            *slot = percent / 100.0;
        } else {
            check.err(
                Some(v.span().start),
                format!("targets.{}", step.as_str()),
                "must be a percentage above 0 and at most 100",
            );
        }
    }
    out
}

fn assignment(check: &mut Check<'_>, raw: &RawAssignment) -> AssignmentRules {
    let first_contact_minutes = raw.first_contact_minutes.as_ref().and_then(|m| {
        let v = *m.get_ref();
        match u32::try_from(v) {
            Ok(v) if (1..=10_080).contains(&v) => Some(v),
            _ => {
                check.err(
                    Some(m.span().start),
                    "assignment.first_contact_minutes",
                    "must be a whole number of minutes from 1 to 10080 (a week)",
                );
                None
            }
        }
    });
    if raw.rules.len() > MAX_RULES {
        check.err(
            None,
            "assignment.rules",
            format!("at most {MAX_RULES} rules"),
        );
    }
    let mut rules = Vec::new();
    for (i, rule) in raw.rules.iter().enumerate() {
        let at = rule.span().start;
        let field = |f: &str| format!("assignment.rules[{i}].{f}");
        let r = rule.get_ref();
        if r.source.is_none() && r.country.is_none() {
            check.err(
                Some(at),
                format!("assignment.rules[{i}]"),
                "needs a condition: source, country or both",
            );
        }
        let source = r
            .source
            .as_deref()
            .map(|s| check.pattern(at, &field("source"), s));
        let country = r.country.as_deref().map(|c| {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                check.err(
                    Some(at),
                    field("country"),
                    format!("{c:?} is not a two-letter country code"),
                );
            }
            c.to_ascii_uppercase()
        });
        match crate::Email::parse(&r.owner) {
            Ok(owner) => rules.push(AssignmentRule {
                source,
                country,
                owner,
                line: Some(check.line(at)),
            }),
            Err(e) => check.err(Some(at), field("owner"), e.message),
        }
    }
    AssignmentRules {
        first_contact_minutes,
        rules,
    }
}

impl AssignmentRule {
    /// Whether a contact with this original source and `country` property matches.
    pub fn matches(&self, source: Option<&str>, country: Option<&str>) -> bool {
        let source_ok = self
            .source
            .as_ref()
            .is_none_or(|p| source.is_some_and(|s| p.matches(s)));
        let country_ok = self
            .country
            .as_ref()
            .is_none_or(|c| country.is_some_and(|v| v.trim().eq_ignore_ascii_case(c)));
        source_ok && country_ok
    }
}

/// The field a serde message names (``missing field `x` ``, ``unknown field `x` ``), if any.
fn field_of(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field"))
        .unwrap_or("file")
        .to_owned()
}

fn engagement_rule(
    check: &mut Check<'_>,
    names: &mut BTreeMap<String, usize>,
    i: usize,
    rule: &Spanned<RawEngagementRule>,
) -> EngagementRule {
    let at = rule.span().start;
    let r = rule.get_ref();
    let field = |f: &str| format!("engagement.rules[{i}].{f}");
    let name = r.name.trim().to_owned();
    if name.is_empty() || name.len() > 100 {
        check.err(Some(at), field("name"), "must be 1 to 100 characters");
    } else if names.insert(name.clone(), i).is_some() {
        check.err(
            Some(at),
            field("name"),
            format!("{name:?} is used by another engagement rule"),
        );
    }
    let event = match r.event.trim() {
        "pageview" => EventMatch::Pageview,
        "form_submitted" => EventMatch::FormSubmitted,
        "" => {
            check.err(
                Some(at),
                field("event"),
                "must be \"pageview\", \"form_submitted\" or a custom event name",
            );
            EventMatch::Custom(String::new())
        }
        other => EventMatch::Custom(other.to_lowercase()),
    };
    if r.form.is_some() && event != EventMatch::FormSubmitted {
        check.err(
            Some(at),
            field("form"),
            "only applies to event = \"form_submitted\"",
        );
    }
    if !r.points.is_finite() || r.points.abs() > 100.0 {
        check.err(Some(at), field("points"), "must be between -100 and 100");
    }
    if let Some(cap) = r.cap
        && !(cap.is_finite() && cap > 0.0 && cap <= 100.0)
    {
        check.err(Some(at), field("cap"), "must be above 0 and at most 100");
    }
    let limit = r.limit.as_ref().and_then(|l| {
        let per = match l.per.as_str() {
            "hour" => Some(Period::Hour),
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        };
        if per.is_none() {
            check.err(
                Some(at),
                field("limit.per"),
                "must be hour, day, week or month",
            );
        }
        if l.times == 0 {
            check.err(Some(at), field("limit.times"), "must be at least 1");
        }
        per.map(|per| Limit {
            times: l.times,
            per,
        })
    });
    EngagementRule {
        name,
        path: r
            .path
            .as_deref()
            .map(|p| check.pattern(at, &field("path"), p)),
        form: r
            .form
            .as_deref()
            .map(|p| check.pattern(at, &field("form"), p)),
        props: r
            .props
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    check.pattern(at, &field(&format!("props.{k}")), v),
                )
            })
            .collect(),
        event,
        points: r.points,
        cap: r.cap,
        limit,
    }
}

fn fit_rule(check: &mut Check<'_>, i: usize, rule: &Spanned<RawFitRule>) -> FitRule {
    let at = rule.span().start;
    let r = rule.get_ref();
    let field = |f: &str| format!("fit.rules[{i}].{f}");
    if r.name.trim().is_empty() || r.name.len() > 100 {
        check.err(Some(at), field("name"), "must be 1 to 100 characters");
    }
    if r.field.trim().is_empty() || r.field.len() > 100 {
        check.err(Some(at), field("field"), "must be 1 to 100 characters");
    }
    if !r.points.is_finite() || r.points.abs() > 100.0 {
        check.err(Some(at), field("points"), "must be between -100 and 100");
    }
    let range = r.min.is_some() || r.max.is_some();
    let tests = usize::from(r.equals.is_some())
        + usize::from(r.matches.is_some())
        + usize::from(range)
        + usize::from(r.present.is_some());
    if tests != 1 {
        check.err(
            Some(at),
            field("equals"),
            "give exactly one test: equals, matches, min/max, or present",
        );
    }
    if [r.min, r.max].iter().flatten().any(|v| !v.is_finite()) {
        check.err(Some(at), field("min"), "must be a finite number");
    }
    let test = if let Some(values) = &r.equals {
        FieldTest::Equals(values.iter().map(|v| v.trim().to_lowercase()).collect())
    } else if let Some(patterns) = &r.matches {
        FieldTest::Matches(
            patterns
                .iter()
                .map(|p| check.pattern(at, &field("matches"), p))
                .collect(),
        )
    } else if range {
        FieldTest::Range {
            min: r.min,
            max: r.max,
        }
    } else {
        FieldTest::Present(r.present.unwrap_or(true))
    };
    FitRule {
        name: r.name.trim().to_owned(),
        field: r.field.trim().to_owned(),
        test,
        points: r.points,
    }
}
