//! The bottleneck and the retention report agree on a history both can judge, and the
//! bottleneck does not judge a step on people who have not had time to take it.

use closer_domain::reports::{Journey, Step, StepFigures, cohort, judged, repeat_customers};

const DAY: i64 = 86_400_000_000;
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000_000;

fn at(day: i64) -> i64 {
    T0 + day * DAY
}

fn date(day: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(at(day) / 1_000_000)
        .unwrap()
        .date()
}

/// A person who visited on `day`, became a lead, prospect and opportunity the days after,
/// a customer on `customer` and (maybe) a repeat customer on `repeat`.
fn person(day: i64, customer: i64, repeat: Option<i64>) -> Journey<u32> {
    Journey {
        group: 0,
        reached: [
            Some(at(day)),
            Some(at(day + 1)),
            Some(at(day + 2)),
            Some(at(day + 3)),
            Some(at(customer)),
            repeat.map(at),
        ],
    }
}

fn repeat_rate(figures: &[StepFigures]) -> Option<f64> {
    let f = &figures[Step::RepeatCustomer as usize];
    let (made, of) = f.from_previous;
    #[allow(clippy::cast_precision_loss)]
    (of > 0).then(|| made as f64 / of as f64)
}

#[test]
fn a_mature_history_gives_both_reports_one_repeat_rate() {
    // 100 customers from day 10; 30 order again 30 days later. Period: days 0–90, read on
    // day 90.
    let mut journeys = Vec::new();
    let mut orders = Vec::new();
    for n in 0..100 {
        let repeat = (n < 30).then_some(40);
        journeys.push(person(1, 10, repeat));
        orders.push((n, date(10)));
        if let Some(r) = repeat {
            orders.push((n, date(r)));
        }
    }
    let (customers, repeaters) = repeat_customers(&orders);
    #[allow(clippy::cast_precision_loss)]
    let retention = repeaters as f64 / customers as f64;
    let bottleneck = judged(&journeys, at(0), at(90), at(90), false);
    assert!((retention - 0.3).abs() < 1e-12);
    assert_eq!(repeat_rate(&bottleneck.total), Some(retention));

    // 50 customers won in the period's last days, with no time yet to order again: the
    // plain cohort's rate drops, the bottleneck still judges on those who had the time.
    for _ in 0..50 {
        journeys.push(person(80, 85, None));
    }
    let plain = cohort(&journeys, at(0), at(90), false);
    assert!((repeat_rate(&plain.total).unwrap() - 0.2).abs() < 1e-12);
    let bottleneck = judged(&journeys, at(0), at(90), at(90), false);
    assert_eq!(repeat_rate(&bottleneck.total), Some(retention));
    assert_eq!(
        bottleneck.total[Step::Customer as usize].count,
        150,
        "the counts are the cohort's"
    );
    assert_eq!(
        bottleneck.total[Step::RepeatCustomer as usize].median_seconds,
        Some(30 * 86_400),
        "the step's typical time"
    );
}

#[test]
fn a_cohort_too_young_for_a_step_is_not_judged_on_it() {
    // One early customer bought again after 30 days (the step's typical time); 40 more became
    // customers 5 days before the period ended.
    let mut journeys = vec![person(1, 2, Some(32))];
    journeys.extend((0..40).map(|_| person(80, 85, None)));
    let plain = cohort(&journeys, at(0), at(90), false);
    let f = &plain.total[Step::RepeatCustomer as usize];
    assert_eq!(
        f.from_previous,
        (1, 41),
        "the plain cohort counts the young too"
    );
    let bottleneck = judged(&journeys, at(0), at(90), at(90), false);
    let f = &bottleneck.total[Step::RepeatCustomer as usize];
    assert_eq!(
        f.from_previous,
        (1, 1),
        "only the one who had 30 days is judged"
    );
}
