//! The fit score: who a contact is, from their fields and custom properties, scored by the
//! workspace's fit rules. Cheap and pure, so it is recomputed whenever it is shown.

use serde::Serialize;
use serde_json::Value;

use super::rules::{FieldTest, FitRule, Rules};
use crate::{Company, Contact};

const FREE_MAIL: &str = include_str!("free_mail.txt");

/// Whether a domain belongs to a free-mail provider (gmail.com, outlook.com…).
pub fn is_free_mail(domain: &str) -> bool {
    let domain = domain.trim().to_lowercase();
    FREE_MAIL
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l == domain)
}

/// One fit rule that held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitContribution {
    pub rule: String,
    pub field: String,
    /// The value the rule looked at.
    pub value: String,
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// 0–100.
    pub score: f64,
    pub contributions: Vec<FitContribution>,
}

/// What a company field rule reads: `company.name`, `company.domain` (the primary one),
/// `company.employees`, `company.industry`, `company.country`, or a custom property.
fn company_field(company: &Company, name: &str) -> Option<String> {
    match name {
        "name" => Some(company.name.clone()),
        "domain" => company.domains.first().map(ToString::to_string),
        "employees" => company.employees.map(|e| e.to_string()),
        "industry" => company.industry.clone(),
        "country" => company.country.clone(),
        other => match company.properties.get(other)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            v => Some(v.to_string()),
        },
    }
}

/// The field's value as text, if the contact (or, for `company.…`, its company) has one.
fn field(contact: &Contact, company: Option<&Company>, name: &str) -> Option<String> {
    if let Some(rest) = name.strip_prefix("company.") {
        return company
            .and_then(|c| company_field(c, rest))
            .filter(|v| !v.trim().is_empty());
    }
    let primary_email = contact.emails.first();
    match name {
        "name" => contact.name.clone(),
        "email" => primary_email.map(|e| e.as_str().to_owned()),
        "email_domain" => primary_email.map(|e| e.domain().to_owned()),
        "email_type" => primary_email.map(|e| {
            if is_free_mail(e.domain()) {
                "free"
            } else {
                "company"
            }
            .to_owned()
        }),
        "phone" => contact.phones.first().map(|p| p.as_str().to_owned()),
        "company" => contact.company.clone(),
        "job_title" => contact.job_title.clone(),
        "stage" => Some(contact.stage.as_str().to_owned()),
        other => match contact.properties.get(other)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            v => Some(v.to_string()),
        },
    }
    .filter(|v| !v.trim().is_empty())
}

/// A number from text such as "50", "1,200" or "50-200" (a range counts as its lower end).
fn number(text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
        .filter(|c| *c != ',')
        .collect();
    cleaned.parse().ok()
}

fn holds(rule: &FitRule, value: Option<&str>) -> bool {
    match (&rule.test, value) {
        (FieldTest::Present(want), v) => v.is_some() == *want,
        (_, None) => false,
        (FieldTest::Equals(values), Some(v)) => {
            let v = v.trim().to_lowercase();
            values.contains(&v)
        }
        (FieldTest::Matches(patterns), Some(v)) => patterns.iter().any(|p| p.matches(v)),
        (FieldTest::Range { min, max }, Some(v)) => {
            number(v).is_some_and(|n| min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m))
        }
    }
}

/// The contact's fit under the rules; `company` is the contact's company, which the rules'
/// `company.…` fields read (`None`: those rules do not hold).
pub fn fit(rules: &Rules, contact: &Contact, company: Option<&Company>) -> Fit {
    let contributions: Vec<FitContribution> = rules
        .fit
        .iter()
        .filter_map(|rule| {
            let value = field(contact, company, &rule.field);
            holds(rule, value.as_deref()).then(|| FitContribution {
                rule: rule.name.clone(),
                field: rule.field.clone(),
                value: value.unwrap_or_default(),
                points: rule.points,
            })
        })
        .collect();
    let score = contributions
        .iter()
        .map(|c| c.points)
        .sum::<f64>()
        .clamp(0.0, 100.0);
    Fit {
        score,
        contributions,
    }
}
