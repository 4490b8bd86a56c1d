//! Deal moves: what `plan_move` allows and refuses.

use super::*;
use crate::{ContactId, Timestamp};

fn pipeline() -> Pipeline {
    let draft = default_pipeline();
    Pipeline {
        id: PipelineId::new(),
        name: draft.name,
        is_default: true,
        stages: draft.stages,
    }
}

fn deal(p: &Pipeline) -> Deal {
    let now = Timestamp::now();
    Deal {
        id: DealId::new(),
        pipeline_id: p.id,
        stage_id: p.first_open().id,
        status: DealStatus::Open,
        contact_id: ContactId::new(),
        company: None,
        company_id: None,
        title: "Website".into(),
        amount: Amount::parse("amount", "5000").unwrap(),
        currency: Currency::USD,
        expected_close: None,
        owner_id: None,
        source: None,
        loss: None,
        closed_at: None,
        created_at: now,
        updated_at: now,
        properties: serde_json::Map::new(),
    }
}

#[test]
fn lost_needs_a_reason_from_the_catalogue() {
    let p = pipeline();
    let d = deal(&p);
    let lost = p.closing(StageKind::Lost);
    let reasons = default_loss_reasons();
    let now = Timestamp::now();
    let err = plan_move(&d, &p, lost, None, None, &reasons, now).unwrap_err();
    assert!(err.to_string().contains("needs a loss_reason"), "{err}");
    let err = plan_move(&d, &p, lost, Some("vibes"), None, &reasons, now).unwrap_err();
    assert!(
        err.to_string().contains("\"vibes\" is not a loss reason"),
        "{err}"
    );
    let plan = plan_move(
        &d,
        &p,
        lost,
        Some("price"),
        Some("Too expensive for us this year".into()),
        &reasons,
        now,
    )
    .unwrap();
    assert_eq!(plan.status, DealStatus::Lost);
    assert_eq!(plan.closed_at, Some(now));
    assert_eq!(plan.loss.unwrap().reason, "price");
}

#[test]
fn stages_of_other_pipelines_and_stray_reasons_are_refused() {
    let p = pipeline();
    let d = deal(&p);
    let other = pipeline();
    let now = Timestamp::now();
    let err = plan_move(&d, &other, &other.stages[1], None, None, &[], now).unwrap_err();
    assert!(matches!(err, DealRefusal::UnknownStage(_)), "{err}");
    let err = plan_move(
        &d,
        &p,
        &p.stages[1],
        Some("price"),
        None,
        &default_loss_reasons(),
        now,
    )
    .unwrap_err();
    assert!(matches!(err, DealRefusal::Loss(_)), "{err}");
}

#[test]
fn winning_closes_and_reopening_clears() {
    let p = pipeline();
    let mut d = deal(&p);
    let t0 = Timestamp::now();
    let won = plan_move(&d, &p, p.closing(StageKind::Won), None, None, &[], t0).unwrap();
    assert_eq!((won.status, won.closed_at), (DealStatus::Won, Some(t0)));
    d.stage_id = won.to;
    d.status = won.status;
    d.closed_at = won.closed_at;
    // Money is settled once closed.
    let patch = DealPatch {
        amount: Some(Amount::parse("amount", "1").unwrap()),
        ..DealPatch::default()
    };
    assert!(matches!(patch.check(&d), Err(DealRefusal::Closed(_))));
    // The same amount is no change.
    let same = DealPatch {
        amount: Some(d.amount),
        ..DealPatch::default()
    };
    assert!(same.check(&d).is_ok());
    let again = plan_move(&d, &p, p.closing(StageKind::Won), None, None, &[], t0).unwrap();
    assert!(again.unchanged);
    let reopened = plan_move(&d, &p, &p.stages[3], None, None, &[], t0).unwrap();
    assert_eq!(
        (reopened.status, reopened.closed_at),
        (DealStatus::Open, None)
    );
}

#[test]
fn order_lines_are_checked_and_totalled() {
    let line = |product: &str, quantity: i64, price: &str| LineInput {
        product: product.into(),
        quantity,
        unit_price: Amount::parse("unit_price", price).unwrap(),
    };
    let (lines, total) =
        parse_lines(&[line("Setup", 1, "499.99"), line("Seat", 3, "19.99")]).unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(total.to_string(), "559.96");
    let errors =
        parse_lines(&[line("", 1, "1"), line("Seat", -2, "1"), line("X", 0, "1")]).unwrap_err();
    let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(
        all[1].contains("lines[1].quantity: -2 is not a quantity"),
        "{all:?}"
    );
    assert!(parse_lines(&[]).is_err());
}

#[test]
fn loss_reason_catalogues_are_checked() {
    assert!(parse_loss_reasons(&default_loss_reasons()).is_ok());
    let bad = vec![
        LossReason {
            key: "Price!".into(),
            label: "Price".into(),
        },
        LossReason {
            key: "timing".into(),
            label: " ".into(),
        },
    ];
    assert_eq!(parse_loss_reasons(&bad).unwrap_err().len(), 2);
}
