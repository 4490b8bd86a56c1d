//! The funnel from traffic to repeat customer: for each person, when they reached each step;
//! from that, per step, how many reached it, the conversion from the step before, and the
//! median time it took — counted two ways. The **cohort** view follows the people who entered
//! in a period to wherever they are now; the **flow** view counts step entries that happened in
//! the period, whoever made them.

use std::collections::BTreeMap;

use crate::Timestamp;

/// The funnel's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Visitor,
    Lead,
    Prospect,
    Opportunity,
    Customer,
    RepeatCustomer,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Visitor,
        Step::Lead,
        Step::Prospect,
        Step::Opportunity,
        Step::Customer,
        Step::RepeatCustomer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Visitor => "visitor",
            Step::Lead => "lead",
            Step::Prospect => "prospect",
            Step::Opportunity => "opportunity",
            Step::Customer => "customer",
            Step::RepeatCustomer => "repeat_customer",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// When one person reached each step (`None`: not yet), and the group they are reported in
/// (a channel, a campaign, an owner…).
#[derive(Debug, Clone, PartialEq)]
pub struct Journey<K> {
    pub group: K,
    /// Indexed by `Step`; a later step may be reached without an earlier one recorded (a
    /// contact imported as a customer): it then counts as having passed the earlier ones at
    /// the same time.
    pub reached: [Option<Timestamp>; 6],
}

impl<K> Journey<K> {
    /// The reach times with gaps filled: a step passed implies the earlier ones.
    fn filled(&self) -> [Option<Timestamp>; 6] {
        let mut out = self.reached;
        for i in (0..5).rev() {
            if out[i].is_none() {
                out[i] = out[i + 1];
            }
        }
        out
    }
}

/// One step of a funnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFigures {
    pub step: Step,
    /// People who reached the step.
    pub count: u64,
    /// Of those who reached the previous step, how many reached this one: `(count, of)`. A
    /// caller divides when `of` > 0.
    pub from_previous: (u64, u64),
    /// Median seconds from the previous step to this one, over those who made the move.
    pub median_seconds: Option<i64>,
}

fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        // The mean of the middle two, rounded down: whole seconds.
        (values[mid - 1] + values[mid]).div_euclid(2)
    })
}

/// Per step: how many were `counted` at it; of those counted at the step before, how many
/// were counted at this one too, and the median time that move took.
fn figures(
    all: &[[Option<Timestamp>; 6]],
    counted: impl Fn(usize, &[Option<Timestamp>; 6]) -> bool,
) -> Vec<StepFigures> {
    Step::ALL
        .iter()
        .map(|&step| {
            let i = step.index();
            let count = all.iter().filter(|r| counted(i, r)).count() as u64;
            if i == 0 {
                return StepFigures {
                    step,
                    count,
                    from_previous: (count, count),
                    median_seconds: None,
                };
            }
            let before: Vec<_> = all.iter().filter(|r| counted(i - 1, r)).collect();
            let made: Vec<_> = before.iter().filter(|r| counted(i, r)).collect();
            let seconds = made
                .iter()
                .filter_map(|r| Some((r[i]?.unix_micros() - r[i - 1]?.unix_micros()) / 1_000_000))
                .collect();
            StepFigures {
                step,
                count,
                from_previous: (made.len() as u64, before.len() as u64),
                median_seconds: median(seconds),
            }
        })
        .collect()
}

/// The cohort funnel: people whose first step (their earliest reach) fell in `[from, to)`,
/// and how far each has come by now.
pub fn cohort<K: Ord + Clone>(
    journeys: &[Journey<K>],
    from: Timestamp,
    to: Timestamp,
) -> BTreeMap<K, Vec<StepFigures>> {
    let mut groups: BTreeMap<K, Vec<[Option<Timestamp>; 6]>> = BTreeMap::new();
    for j in journeys {
        let r = j.filled();
        let entered = r.iter().flatten().min().copied();
        if entered.is_some_and(|t| t >= from && t < to) {
            groups.entry(j.group.clone()).or_default().push(r);
        }
    }
    groups
        .into_iter()
        .map(|(k, rs)| (k, figures(&rs, |i, r| r[i].is_some())))
        .collect()
}

/// The flow funnel: step entries made in `[from, to)`, whoever made them; a conversion counts
/// when both ends fall in the period.
pub fn flow<K: Ord + Clone>(
    journeys: &[Journey<K>],
    from: Timestamp,
    to: Timestamp,
) -> BTreeMap<K, Vec<StepFigures>> {
    let mut groups: BTreeMap<K, Vec<[Option<Timestamp>; 6]>> = BTreeMap::new();
    for j in journeys {
        let r = j.filled();
        if r.iter().flatten().any(|t| *t >= from && *t < to) {
            groups.entry(j.group.clone()).or_default().push(r);
        }
    }
    let within =
        move |i: usize, r: &[Option<Timestamp>; 6]| r[i].is_some_and(|t| t >= from && t < to);
    groups
        .into_iter()
        .map(|(k, rs)| (k, figures(&rs, within)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: i64) -> Option<Timestamp> {
        Timestamp::from_unix_micros(1_767_225_600_000_000 + day * 86_400_000_000)
    }

    fn journey(group: &'static str, days: [Option<i64>; 6]) -> Journey<&'static str> {
        Journey {
            group,
            reached: days.map(|d| d.and_then(t)),
        }
    }

    #[test]
    fn cohort_and_flow_count_differently() {
        let js = [
            // Visited on day 0, lead day 2, prospect day 5, customer day 20.
            journey(
                "search",
                [Some(0), Some(2), Some(5), Some(10), Some(20), None],
            ),
            // Visited and left.
            journey("search", [Some(1), None, None, None, None, None]),
            // Imported as a customer on day 3 (earlier steps implied).
            journey("search", [None, None, None, None, Some(3), None]),
            // An old lead from before the period who became a prospect in it.
            journey("social", [None, Some(-30), Some(4), None, None, None]),
        ];
        let (from, to) = (t(0).unwrap(), t(15).unwrap());
        let cohort = cohort(&js, from, to);
        let search = &cohort["search"];
        assert_eq!(search[0].count, 3);
        assert_eq!(search[1].from_previous, (2, 3));
        assert_eq!(
            search[4].count, 2,
            "customers by now, even after the period"
        );
        assert_eq!(
            search[2].median_seconds,
            Some(3 * 86_400 / 2),
            "0 s and 3 days"
        );
        assert!(!cohort.contains_key("social"), "entered before the period");
        let flow = flow(&js, from, to);
        let social = &flow["social"];
        assert_eq!(social[2].count, 1, "the prospect move fell in the period");
        assert_eq!(social[2].from_previous, (0, 0), "its lead step did not");
        assert_eq!(
            flow["search"][4].count, 1,
            "day 20 is outside; day 3 inside"
        );
    }

    #[test]
    fn medians_of_even_and_empty_sets() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 3]), Some(3));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2));
    }
}
