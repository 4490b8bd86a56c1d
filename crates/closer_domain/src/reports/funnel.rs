//! The funnel from traffic to repeat customer: for each person, when they reached each step;
//! from that, per step, how many reached it, the conversion from the step before, and the
//! median time it took — counted two ways. The **cohort** view follows the people who entered
//! in a period to wherever they are now; the **flow** view counts step entries that happened in
//! the period, whoever made them.

use std::collections::BTreeMap;

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

/// When one person reached each step, in Unix microseconds (`None`: not yet), and the group
/// they are reported in (a channel, a campaign, an owner…). Microseconds rather than
/// `Timestamp`: a year of a large workspace is a million journeys, and the funnel only
/// compares and subtracts these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Journey<K> {
    pub group: K,
    /// Indexed by `Step`; a later step may be reached without an earlier one recorded (a
    /// contact imported as a customer): it then counts as having passed the earlier ones at
    /// the same time.
    pub reached: [Option<i64>; 6],
}

impl<K> Journey<K> {
    /// The reach times with gaps filled: a step passed implies the earlier ones.
    fn filled(&self) -> [Option<i64>; 6] {
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

/// The funnel of everyone, and of each group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelFigures<K> {
    pub total: Vec<StepFigures>,
    /// Empty unless asked to split by group.
    pub groups: BTreeMap<K, Vec<StepFigures>>,
}

/// The median of unsorted values (the mean of the middle two, rounded down, for an even count:
/// whole seconds), found in linear time.
fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let (len, mid) = (values.len(), values.len() / 2);
    let (lower, upper, _) = values.select_nth_unstable(mid);
    let upper = *upper;
    Some(if len % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().max().unwrap_or(upper);
        (below + upper).div_euclid(2)
    })
}

/// One group's running counts while the journeys stream past.
#[derive(Default)]
struct Tally {
    count: [u64; 6],
    /// Counted at the step before / and at this one too.
    before: [u64; 6],
    made: [u64; 6],
    seconds: [Vec<i64>; 6],
}

impl Tally {
    /// Adds one person's filled reach times; `counted[i]`: whether step `i` counts;
    /// `judged[i]`: whether the person counts in step `i`'s conversion.
    fn add(&mut self, r: &[Option<i64>; 6], counted: [bool; 6], judged: [bool; 6]) {
        for i in 0..6 {
            if counted[i] {
                self.count[i] += 1;
            }
            if i > 0 && counted[i - 1] && judged[i] {
                self.before[i] += 1;
                if counted[i] {
                    self.made[i] += 1;
                    if let (Some(a), Some(b)) = (r[i - 1], r[i]) {
                        self.seconds[i].push((b - a) / 1_000_000);
                    }
                }
            }
        }
    }

    fn figures(mut self) -> Vec<StepFigures> {
        Step::ALL
            .iter()
            .map(|&step| {
                let i = step.index();
                if i == 0 {
                    return StepFigures {
                        step,
                        count: self.count[0],
                        from_previous: (self.count[0], self.count[0]),
                        median_seconds: None,
                    };
                }
                StepFigures {
                    step,
                    count: self.count[i],
                    from_previous: (self.made[i], self.before[i]),
                    median_seconds: median(&mut self.seconds[i]),
                }
            })
            .collect()
    }
}

/// One pass over the journeys: `take` says whether a person is in the funnel at all, and
/// which of their (filled) steps count.
fn tally<K: Ord + Clone>(
    journeys: &[Journey<K>],
    split: bool,
    take: impl Fn(&[Option<i64>; 6]) -> Option<[bool; 6]>,
    judge: impl Fn(&[Option<i64>; 6]) -> [bool; 6],
) -> FunnelFigures<K> {
    let mut total = Tally::default();
    let mut groups: BTreeMap<K, Tally> = BTreeMap::new();
    for j in journeys {
        let r = j.filled();
        let Some(counted) = take(&r) else { continue };
        let judged = judge(&r);
        total.add(&r, counted, judged);
        if split {
            if let Some(t) = groups.get_mut(&j.group) {
                t.add(&r, counted, judged);
            } else {
                let mut t = Tally::default();
                t.add(&r, counted, judged);
                groups.insert(j.group.clone(), t);
            }
        }
    }
    FunnelFigures {
        total: total.figures(),
        groups: groups.into_iter().map(|(k, t)| (k, t.figures())).collect(),
    }
}

/// The cohort funnel: people whose first step (their earliest reach) fell in `[from, to)`,
/// and how far each has come by now. `split`: also per group.
pub fn cohort<K: Ord + Clone>(
    journeys: &[Journey<K>],
    from: i64,
    to: i64,
    split: bool,
) -> FunnelFigures<K> {
    tally(journeys, split, |r| entered_in(r, from, to), |_| [true; 6])
}

fn entered_in(r: &[Option<i64>; 6], from: i64, to: i64) -> Option<[bool; 6]> {
    let entered = r.iter().flatten().min().copied()?;
    (entered >= from && entered < to).then(|| r.map(|t| t.is_some()))
}

/// The cohort funnel as the bottleneck judges it: the same people and counts, but a person
/// counts in a step's conversion only once they have had the time that step typically takes
/// (its median over the cohort's own moves) since reaching the step before, by `now`. A
/// cohort too young for a step then shows no conversion for it (`from_previous` of 0) rather
/// than a rate dragged down by people who have not had time to convert.
pub fn judged<K: Ord + Clone>(
    journeys: &[Journey<K>],
    from: i64,
    to: i64,
    now: i64,
    split: bool,
) -> FunnelFigures<K> {
    let plain = cohort(journeys, from, to, split);
    let mut typical = [0i64; 6];
    for (t, f) in typical.iter_mut().zip(&plain.total) {
        *t = f.median_seconds.unwrap_or(0).saturating_mul(1_000_000);
    }
    let mut out = tally(
        journeys,
        split,
        |r| entered_in(r, from, to),
        |r| {
            let mut judged = [true; 6];
            for i in 1..6 {
                judged[i] = r[i - 1].is_some_and(|t| t.saturating_add(typical[i]) <= now);
            }
            judged
        },
    );
    // The time a step takes is the cohort's, not only that of the people old enough to judge.
    let keep_medians = |figures: &mut [StepFigures], from: &[StepFigures]| {
        for (f, p) in figures.iter_mut().zip(from) {
            f.median_seconds = p.median_seconds;
        }
    };
    keep_medians(&mut out.total, &plain.total);
    for (k, figures) in &mut out.groups {
        if let Some(p) = plain.groups.get(k) {
            keep_medians(figures, p);
        }
    }
    out
}

/// The flow funnel: step entries made in `[from, to)`, whoever made them; a conversion counts
/// when both ends fall in the period.
pub fn flow<K: Ord + Clone>(
    journeys: &[Journey<K>],
    from: i64,
    to: i64,
    split: bool,
) -> FunnelFigures<K> {
    tally(
        journeys,
        split,
        |r| {
            let within = r.map(|t| t.is_some_and(|t| t >= from && t < to));
            within.contains(&true).then_some(within)
        },
        |_| [true; 6],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: i64) -> i64 {
        1_767_225_600_000_000 + day * 86_400_000_000
    }

    fn journey(group: &'static str, days: [Option<i64>; 6]) -> Journey<&'static str> {
        Journey {
            group,
            reached: days.map(|d| d.map(t)),
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
        let (from, to) = (t(0), t(15));
        let cohort = cohort(&js, from, to, true);
        assert_eq!(cohort.total[0].count, 3, "the social lead entered before");
        let cohort = cohort.groups;
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
        let flow = flow(&js, from, to, true);
        assert_eq!(flow.total[2].count, 3, "days 5, 3 (implied) and 4");
        let flow = flow.groups;
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
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median(&mut [9, 1, 7, 3, 5, 100]), Some(6));
    }
}
