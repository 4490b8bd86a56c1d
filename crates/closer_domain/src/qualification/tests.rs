//! Rules, scores and verdicts, end to end on the shipped defaults and on small rule files.

use serde_json::json;

use super::rules::{FieldTest, FitRule};
use super::*;
use crate::{Contact, ContactDraft, ContactId, Email, Stage, Timestamp, WorkspaceId};

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn pageview(path: &str, when: &str) -> Signal {
    Signal {
        event_id: None,
        kind: SignalKind::Pageview,
        at: at(when),
        path: Some(path.into()),
        form: None,
        props: serde_json::Map::new(),
    }
}

fn custom(name: &str, when: &str) -> Signal {
    Signal {
        kind: SignalKind::Custom(name.to_lowercase()),
        ..pageview("/", when)
    }
}

fn form(fields: &serde_json::Value, when: &str) -> Signal {
    Signal {
        kind: SignalKind::FormSubmitted,
        form: Some("Contact us".into()),
        props: fields.as_object().unwrap().clone(),
        ..pageview("/contact", when)
    }
}

const LEAD_AT: &str = "2026-11-01T09:00:00Z";

fn run(rules: &Rules, signals: &[Signal]) -> ScoreState {
    let mut state = ScoreState::default();
    for s in signals {
        state.apply(rules, s, at(LEAD_AT));
    }
    state
}

#[test]
fn the_defaults_parse() {
    let rules = Rules::defaults();
    assert!(rules.engagement.len() >= 10);
    assert!(rules.fit.len() >= 5);
    assert_eq!(rules.source, DEFAULT_RULES);
}

#[test]
fn errors_name_the_line_the_field_and_why() {
    let bad = DEFAULT_RULES.replace("half_life_days = 30", "half_life_days = -1");
    let errors = Rules::parse(&bad).unwrap_err();
    let line = bad
        .lines()
        .position(|l| l.contains("half_life_days = -1"))
        .unwrap()
        + 1;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, Some(line));
    assert_eq!(errors[0].field, "engagement.half_life_days");

    let unknown = DEFAULT_RULES.replace("cap = 15", "capp = 15");
    let errors = Rules::parse(&unknown).unwrap_err();
    assert_eq!(errors[0].field, "capp", "{errors:?}");
    assert!(errors[0].line.is_some());

    let dangling = DEFAULT_RULES.replace(
        "finished_when = [\"purchased\"]",
        "finished_when = [\"bought\"]",
    );
    let errors = Rules::parse(&dangling).unwrap_err();
    assert_eq!(errors[0].field, "temperature.finished_when");
    assert!(errors[0].message.contains("\"bought\""), "{errors:?}");

    let dup = format!(
        "{DEFAULT_RULES}\n[[engagement.rules]]\nname = \"purchased\"\nevent = \"x\"\npoints = 1\n"
    );
    assert!(
        Rules::parse(&dup).is_err(),
        "a duplicate rule name is refused"
    );
    // The TOML itself broken: still a line.
    let errors = Rules::parse("[engagement\nhalf_life_days = 3").unwrap_err();
    assert_eq!(errors[0].line, Some(1), "{errors:?}");
    assert!(Rules::parse(&"#".repeat(rules::MAX_RULES_BYTES + 1)).is_err());
}

#[test]
fn points_decay_by_half_life_and_caps_and_limits_hold() {
    let rules = Rules::defaults();
    // Pricing three times on one day: 10 (limit 1 a day) + 3 page views (1 each).
    let state = run(
        &rules,
        &[
            pageview("/pricing", "2026-11-02T10:00:00Z"),
            pageview("/pricing", "2026-11-02T10:01:00Z"),
            pageview("/pricing", "2026-11-02T10:02:00Z"),
        ],
    );
    let now = at("2026-11-02T10:02:00Z");
    assert!((state.rule_value(&rules, "visited pricing", now) - 10.0).abs() < 1e-3);
    assert_eq!(state.rules["visited pricing"].matches, 3);
    assert!((state.engagement(&rules, now) - 13.0).abs() < 1e-3);
    // Thirty days later (one half-life) it is worth half.
    let later = at("2026-12-02T10:02:00Z");
    assert!((state.engagement(&rules, later) - 6.5).abs() < 1e-3);

    // Cap: pricing on five days gives at most 30 at a time.
    let days: Vec<Signal> = (2..7)
        .map(|d| pageview("/pricing", &format!("2026-11-0{d}T10:00:00Z")))
        .collect();
    let mut state = ScoreState::default();
    let earned: Vec<Contribution> = days
        .iter()
        .flat_map(|s| state.apply(&rules, s, at(LEAD_AT)))
        .collect();
    let v = state.rule_value(&rules, "visited pricing", at("2026-11-06T10:00:00Z"));
    assert!(v <= 30.0 + 1e-9 && v > 29.0, "{v}");
    assert!(
        earned.iter().any(|c| c.note.as_deref() == Some("cap: 30")),
        "{earned:?}"
    );

    // Negative points pull the score down but never below 0.
    let state = run(&rules, &[custom("Unsubscribed", "2026-11-02T10:00:00Z")]);
    assert!(state.engagement(&rules, at("2026-11-02T10:00:00Z")).abs() < 1e-9);
}

#[test]
fn late_events_count_at_their_decayed_worth() {
    let rules = Rules::defaults();
    let in_order = run(
        &rules,
        &[
            custom("Demo Request", "2026-11-02T10:00:00Z"),
            custom("Newsletter Signup", "2026-11-20T10:00:00Z"),
        ],
    );
    let reversed = run(
        &rules,
        &[
            custom("Newsletter Signup", "2026-11-20T10:00:00Z"),
            custom("Demo Request", "2026-11-02T10:00:00Z"),
        ],
    );
    let now = at("2026-11-23T10:00:00Z");
    assert!((in_order.engagement(&rules, now) - reversed.engagement(&rules, now)).abs() < 1e-9);
}

#[test]
fn temperature_follows_seed_004() {
    let rules = Rules::defaults();
    let now = at("2026-11-03T12:00:00Z");
    let quick = run(&rules, &[pageview("/", "2026-11-03T10:00:00Z")]);
    assert_eq!(
        temperature(&rules, &quick, Stage::Lead, now).temperature,
        Temperature::Cold
    );

    let returned = run(
        &rules,
        &[
            pageview("/", "2026-11-02T10:00:00Z"),
            pageview("/blog", "2026-11-03T10:00:00Z"),
        ],
    );
    let v = temperature(&rules, &returned, Stage::Lead, now);
    assert_eq!(v.temperature, Temperature::Warm, "{}", v.reason);
    assert!(v.reason.contains("2 visits"), "{}", v.reason);

    let stayed = run(
        &rules,
        &[
            pageview("/", "2026-11-03T10:00:00Z"),
            pageview("/a", "2026-11-03T10:03:00Z"),
        ],
    );
    assert_eq!(
        temperature(&rules, &stayed, Stage::Lead, now).temperature,
        Temperature::Warm
    );

    let checkout = run(
        &rules,
        &[custom("Checkout Started", "2026-11-03T10:00:00Z")],
    );
    let v = temperature(&rules, &checkout, Stage::Lead, now);
    assert_eq!(v.temperature, Temperature::Hot, "{}", v.reason);
    assert!(v.reason.contains("started checkout"));

    // Pricing plus contact: both needed.
    let pricing_only = run(&rules, &[pageview("/pricing", "2026-11-03T10:00:00Z")]);
    assert_ne!(
        temperature(&rules, &pricing_only, Stage::Lead, now).temperature,
        Temperature::Hot
    );
    let both = run(
        &rules,
        &[
            pageview("/pricing", "2026-11-03T10:00:00Z"),
            form(&json!({"email": "a@b.co"}), "2026-11-03T10:05:00Z"),
        ],
    );
    assert_eq!(
        temperature(&rules, &both, Stage::Lead, now).temperature,
        Temperature::Hot
    );

    // Finished: a purchase after checkout.
    let bought = run(
        &rules,
        &[
            custom("Checkout Started", "2026-11-03T10:00:00Z"),
            custom("Purchase", "2026-11-03T10:04:00Z"),
        ],
    );
    let v = temperature(&rules, &bought, Stage::Lead, now);
    assert_ne!(v.temperature, Temperature::Hot, "{}", v.reason);
    assert!(v.reason.contains("finished"), "{}", v.reason);
    // A customer is not hot either.
    assert_ne!(
        temperature(&rules, &checkout, Stage::Customer, now).temperature,
        Temperature::Hot
    );

    // Out of the hot window, and cooling with inactivity.
    let much_later = at("2026-11-25T10:00:00Z");
    assert_ne!(
        temperature(&rules, &checkout, Stage::Lead, much_later).temperature,
        Temperature::Hot
    );
    let v = temperature(&rules, &returned, Stage::Lead, at("2026-12-10T10:00:00Z"));
    assert_eq!(v.temperature, Temperature::Cold, "{}", v.reason);
    assert!(v.reason.contains("cooled"), "{}", v.reason);
}

#[test]
fn specific_interest_makes_a_prospect() {
    let rules = Rules::defaults();
    let now = at("2026-11-05T10:00:00Z");
    // The visit on which they became a lead is not "coming back".
    let same_visit = run(&rules, &[pageview("/", "2026-11-01T09:10:00Z")]);
    assert_eq!(
        prospect_reason(&rules, &same_visit, same_visit.engagement(&rules, now)),
        None
    );
    let back = run(
        &rules,
        &[
            pageview("/", "2026-11-01T09:10:00Z"),
            pageview("/docs", "2026-11-04T09:00:00Z"),
        ],
    );
    let why = prospect_reason(&rules, &back, back.engagement(&rules, now)).unwrap();
    assert!(why.contains("came back"), "{why}");
    let requirements = run(
        &rules,
        &[form(
            &json!({"message": "We need 40 seats"}),
            "2026-11-01T09:00:00Z",
        )],
    );
    let why = prospect_reason(&rules, &requirements, 0.0).unwrap();
    assert!(why.contains("stated requirements"), "{why}");
    let empty_message = run(
        &rules,
        &[form(&json!({"message": ""}), "2026-11-01T09:00:00Z")],
    );
    assert_eq!(prospect_reason(&rules, &empty_message, 10.0), None);
    assert!(
        prospect_reason(&rules, &ScoreState::default(), 50.0)
            .unwrap()
            .contains("engagement 50")
    );
}

#[test]
fn fit_reads_fields_and_properties() {
    let rules = Rules::defaults();
    let mut draft = ContactDraft {
        emails: vec![Email::parse("ann@acme.io").unwrap()],
        job_title: Some("Head of Sales".into()),
        company: Some("Acme".into()),
        ..ContactDraft::default()
    };
    draft
        .properties
        .insert("company_size".into(), json!("50-200"));
    let contact = Contact::from_draft(ContactId::new(), WorkspaceId::new(), draft, at(LEAD_AT));
    let f = fit(&rules, &contact, None);
    let names: Vec<&str> = f.contributions.iter().map(|c| c.rule.as_str()).collect();
    assert_eq!(
        names,
        [
            "company email address",
            "company given",
            "decision maker",
            "company of 5 to 500 people"
        ]
    );
    assert!((f.score - 80.0).abs() < 1e-9);

    let gmail = Contact::from_draft(
        ContactId::new(),
        WorkspaceId::new(),
        ContactDraft {
            emails: vec![Email::parse("bob@gmail.com").unwrap()],
            ..ContactDraft::default()
        },
        at(LEAD_AT),
    );
    let f = fit(&rules, &gmail, None);
    assert!(
        f.score.abs() < 1e-9,
        "free mail alone scores nothing (clamped at 0): {f:?}"
    );
    assert_eq!(f.contributions[0].value, "free");
}

#[test]
fn fit_reads_the_contacts_company() {
    let rule = |name: &str, field: &str, test: FieldTest, points: f64| FitRule {
        name: name.into(),
        field: field.into(),
        test,
        points,
    };
    let mut rules = Rules::defaults();
    rules.fit = vec![
        rule(
            "mid-size company",
            "company.employees",
            FieldTest::Range {
                min: Some(50.0),
                max: Some(1000.0),
            },
            30.0,
        ),
        rule(
            "software",
            "company.industry",
            FieldTest::Equals(vec!["software".into()]),
            20.0,
        ),
        rule(
            "gold account",
            "company.tier",
            FieldTest::Equals(vec!["gold".into()]),
            10.0,
        ),
    ];
    assert!(rules.reads_company());
    assert!(!Rules::defaults().reads_company());
    let contact = Contact::from_draft(
        ContactId::new(),
        WorkspaceId::new(),
        ContactDraft {
            emails: vec![Email::parse("ann@acme.io").unwrap()],
            ..ContactDraft::default()
        },
        at(LEAD_AT),
    );
    let company = crate::Company::from_draft(
        crate::CompanyId::new(),
        contact.workspace_id,
        crate::CompanyDraft {
            name: "Acme".into(),
            employees: Some(120),
            industry: Some("Software".into()),
            properties: json!({"tier": "gold"}).as_object().unwrap().clone(),
            ..crate::CompanyDraft::default()
        },
        at(LEAD_AT),
    );
    let f = fit(&rules, &contact, Some(&company));
    assert!((f.score - 60.0).abs() < 1e-9, "{f:?}");
    assert_eq!(f.contributions[0].value, "120");
    // Without a company, company rules do not hold.
    assert!(fit(&rules, &contact, None).score.abs() < 1e-9);
}

#[test]
fn the_stored_state_round_trips_and_stays_small() {
    let rules = Rules::defaults();
    let state = run(
        &rules,
        &[
            pageview("/", "2026-11-02T10:00:00Z"),
            pageview("/pricing", "2026-11-02T10:03:00Z"),
            form(&json!({"message": "40 seats"}), "2026-11-03T10:00:00Z"),
            custom("Newsletter Signup", "2026-11-04T10:00:00Z"),
        ],
    );
    let text = serde_json::to_string(&state).unwrap();
    let back: ScoreState = serde_json::from_str(&text).unwrap();
    // Floats come back within a rounding step (serde_json's fast float parsing).
    let now = at("2026-11-23T00:00:00Z");
    assert!((back.engagement(&rules, now) - state.engagement(&rules, now)).abs() < 1e-9);
    assert_eq!(back.activity, state.activity);
    assert_eq!(
        back.rules.keys().collect::<Vec<_>>(),
        state.rules.keys().collect::<Vec<_>>()
    );
    assert!(text.len() < 600, "{} bytes: {text}", text.len());
    assert_eq!(
        serde_json::from_str::<ScoreState>("{}").unwrap(),
        ScoreState::default()
    );
}

#[test]
fn assignment_rules_are_checked_and_matched() {
    // The defaults end with a commented-out `[assignment]` section: replace it.
    let base = &DEFAULT_RULES[..DEFAULT_RULES.find("\n[assignment]").unwrap()];
    // (the `[targets]` section before it stays)
    let with = |section: &str| format!("{base}\n{section}");
    let text = with(
        "[assignment]\nfirst_contact_minutes = 0\n\n[[assignment.rules]]\nowner = \"rita@example.com\"\n\n[[assignment.rules]]\ncountry = \"Germany\"\nowner = \"not an email\"\n",
    );
    let errors = Rules::parse(&text).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "assignment.first_contact_minutes",
            "assignment.rules[0]",
            "assignment.rules[1].country",
            "assignment.rules[1].owner"
        ],
        "{errors:?}"
    );
    assert!(errors.iter().all(|e| e.line.is_some()), "{errors:?}");
    let rules = Rules::parse(&with(
        "[assignment]\nfirst_contact_minutes = 5\n\n[[assignment.rules]]\nsource = \"google*\"\ncountry = \"de\"\nowner = \"Rita@Example.com\"\n",
    ))
    .unwrap();
    assert_eq!(rules.assignment.first_contact_minutes, Some(5));
    let rule = &rules.assignment.rules[0];
    assert!(rule.matches(Some("Google Ads"), Some("DE")));
    assert!(!rule.matches(Some("Google Ads"), Some("FR")));
    assert!(!rule.matches(None, Some("de")));
    assert_eq!(Rules::defaults().assignment, AssignmentRules::default());
}

#[test]
fn funnel_targets_default_and_are_checked() {
    let rules = Rules::defaults();
    assert!((rules.targets[1] - 0.20).abs() < 1e-12);
    let base = &DEFAULT_RULES[..DEFAULT_RULES.find("\n[targets]").unwrap()];
    let text = format!("{base}\n[targets]\nlead_to_prospect = 35\n");
    let rules = Rules::parse(&text).unwrap();
    assert!((rules.targets[1] - 0.35).abs() < 1e-12);
    assert!(
        (rules.targets[0] - 0.03).abs() < 1e-12,
        "others keep defaults"
    );
    let text = format!("{base}\n[targets]\nvisitor_to_lead = 0\nwin_rate = 3\n");
    let errors = Rules::parse(&text).unwrap_err();
    assert!(!errors.is_empty());
    let text = format!("{base}\n[targets]\ncustomer_to_repeat = 140\n");
    let errors = Rules::parse(&text).unwrap_err();
    assert_eq!(errors[0].field, "targets.customer_to_repeat");
    assert!(errors[0].line.is_some());
}
