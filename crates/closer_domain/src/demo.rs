//! `closer demo`'s synthetic history: people who visit through channels, become leads, are
//! qualified, sold to, won or lost, and buy again — drawn from the rates below, so reports run
//! on it can be checked against what went in. Deterministic for a seed.
//!
//! The rates are a plausible small B2B business, and documented here because tests compare
//! reports with them:
//!
//! | step | rate |
//! |---|---|
//! | visitor → lead | per channel, `CHANNELS` (about 10% overall) |
//! | lead → prospect | 40% |
//! | prospect → opportunity (a deal) | 50% |
//! | lead → first touch by a rep | 90%, after about 4 hours |
//! | deal won | 20% (lost with a reason otherwise) |
//! | customer → repeat customer | 40%, then 1 to 4 more orders |
//!
//! Deal sizes are log-normal around a median of 2,400 (in the workspace's currency); a lead
//! waits about 3 days to become a prospect, 5 more to get a deal, and the deal takes about 30
//! days to close; repeat orders come every 1 to 3 months.
//!
//! A lead visits a few times before leaving details, and comes back through other channels
//! than the first (`RETURN_CHANNELS`), so the attribution models disagree as they do on real
//! traffic. Deals go through two pipelines (`PIPELINES`). Who the people are — names, job
//! titles, companies — is `names`.

// Sampled times and amounts are far from the numeric types' limits; casting between them is
// the point of sampling.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

pub mod names;

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::Timestamp;
use crate::traffic::Channel;

/// Channel mix of visitors, and each channel's visitor → lead rate.
pub const CHANNELS: [(Channel, f64, f64); 6] = [
    (Channel::OrganicSearch, 0.35, 0.10),
    (Channel::PaidSearch, 0.20, 0.14),
    (Channel::Direct, 0.15, 0.12),
    (Channel::OrganicSocial, 0.12, 0.05),
    (Channel::Email, 0.10, 0.16),
    (Channel::Referral, 0.08, 0.09),
];
/// Where a returning visitor comes back from: the channel of the visit before with `STAY`,
/// else one of these (people come back by typing the address, through the newsletter, a
/// branded search or an ad). The channels differ from visit to visit, so first-touch,
/// last-touch, linear and position-based attribution give different answers.
pub const RETURN_CHANNELS: [(Channel, f64); 5] = [
    (Channel::Direct, 0.35),
    (Channel::Email, 0.25),
    (Channel::PaidSearch, 0.20),
    (Channel::OrganicSearch, 0.15),
    (Channel::Referral, 0.05),
];
pub const STAY: f64 = 0.4;
/// The pipelines deals are sold through: name, open stages, share of deals. The first is the
/// workspace's default (`pipeline::default_pipeline`); the others the demo adds
/// (`PARTNER_STAGES`).
pub const PIPELINES: [(&str, usize, f64); 2] = [("Sales", 5, 0.8), ("Partnerships", 3, 0.2)];
/// The partnership pipeline's open stages, with their probabilities.
pub const PARTNER_STAGES: [(&str, u8); 3] = [("Intro", 20), ("Pilot", 50), ("Contract", 80)];
pub const LEAD_TO_PROSPECT: f64 = 0.40;
pub const PROSPECT_TO_OPPORTUNITY: f64 = 0.50;
pub const WIN_RATE: f64 = 0.20;
/// Leads a rep calls, and the mean hours until the call (speed-to-lead).
pub const TOUCHED: f64 = 0.90;
pub const HOURS_TO_FIRST_TOUCH: f64 = 4.0;
pub const REPEAT_RATE: f64 = 0.40;
/// Median deal size and the spread of its logarithm.
pub const DEAL_MEDIAN: f64 = 2_400.0;
const DEAL_SIGMA: f64 = 0.6;
/// Mean days between steps.
pub const DAYS_TO_PROSPECT: f64 = 3.0;
pub const DAYS_TO_DEAL: f64 = 5.0;
pub const DAYS_TO_CLOSE: f64 = 30.0;
/// Loss reasons and how often each is heard.
pub const LOSS_REASONS: [(&str, f64); 6] = [
    ("price", 0.30),
    ("timing", 0.20),
    ("competitor", 0.20),
    ("no_budget", 0.15),
    ("unresponsive", 0.10),
    ("no_need", 0.05),
];

const DAY: f64 = 86_400.0;

/// One person's made-up history.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// The first visit's channel (its visitor → lead rate is the person's).
    pub channel: Channel,
    /// Visit start times, oldest first; the first is their first touch.
    pub visits: Vec<Timestamp>,
    /// Each visit's channel, in the order of `visits`.
    pub channels: Vec<Channel>,
    pub lead_at: Option<Timestamp>,
    /// A rep's first call.
    pub first_touch: Option<Timestamp>,
    pub prospect_at: Option<Timestamp>,
    pub deal: Option<DemoDeal>,
    /// Orders after the won deal's: `(when, amount in whole currency units)`.
    pub repeat_orders: Vec<(Timestamp, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoDeal {
    /// Which of `PIPELINES`.
    pub pipeline: usize,
    pub created_at: Timestamp,
    /// In whole currency units.
    pub amount: u64,
    /// Open stages passed (0-based indexes of its pipeline's open stages) with when.
    pub moves: Vec<(usize, Timestamp)>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Won(Timestamp),
    Lost(Timestamp, &'static str),
    /// Still being worked at the end of the history.
    Open,
}

fn after(t: Timestamp, seconds: f64) -> Timestamp {
    Timestamp::new(t.get() + Duration::from_secs_f64(seconds.max(0.0)))
}

/// An exponential wait with this mean, in seconds.
fn wait(rng: &mut StdRng, mean_days: f64) -> f64 {
    let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    -u.ln() * mean_days * DAY
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn pick<T: Copy>(rng: &mut StdRng, weighted: &[(T, f64)]) -> T {
    let total: f64 = weighted.iter().map(|w| w.1).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, w) in weighted {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    weighted[weighted.len() - 1].0
}

/// People whose first visits fall in `[start, end)`, about `contacts` of them becoming leads
/// (visitors in all: `contacts` divided by the overall lead rate). Events after `end` are cut.
pub fn generate(seed: u64, contacts: u64, start: Timestamp, end: Timestamp) -> Vec<Person> {
    let mut rng = StdRng::seed_from_u64(seed);
    let overall: f64 = CHANNELS.iter().map(|c| c.1 * c.2).sum();
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let visitors = (contacts as f64 / overall).round() as u64;
    let span = (end.unix_micros() - start.unix_micros()).max(0) as f64 / 1e6;
    let mix: Vec<((Channel, f64), f64)> = CHANNELS.iter().map(|c| ((c.0, c.2), c.1)).collect();
    let pipelines: Vec<(usize, f64)> = PIPELINES
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.2))
        .collect();
    (0..visitors)
        .map(|_| {
            let (channel, lead_rate) = pick(&mut rng, &mix);
            let first = after(start, rng.random::<f64>() * span);
            let mut visits = vec![first];
            let mut channels = vec![channel];
            let mut person = Person {
                channel,
                visits: Vec::new(),
                channels: Vec::new(),
                lead_at: None,
                first_touch: None,
                prospect_at: None,
                deal: None,
                repeat_orders: Vec::new(),
            };
            if rng.random::<f64>() < lead_rate {
                // A lead visits a few times over about a week before leaving details.
                let extra = rng.random_range(0..4);
                let mut t = first;
                for _ in 0..extra {
                    t = after(t, wait(&mut rng, 2.0));
                    visits.push(t);
                    let before = channels[channels.len() - 1];
                    channels.push(if rng.random::<f64>() < STAY {
                        before
                    } else {
                        pick(&mut rng, &RETURN_CHANNELS)
                    });
                }
                let lead_at = after(t, rng.random_range(60.0..1_800.0));
                person.lead_at = Some(lead_at);
                if rng.random::<f64>() < TOUCHED {
                    let hours = wait(&mut rng, HOURS_TO_FIRST_TOUCH / 24.0);
                    person.first_touch = Some(after(lead_at, hours));
                }
                if rng.random::<f64>() < LEAD_TO_PROSPECT {
                    let prospect_at = after(lead_at, wait(&mut rng, DAYS_TO_PROSPECT));
                    person.prospect_at = Some(prospect_at);
                    if rng.random::<f64>() < PROSPECT_TO_OPPORTUNITY {
                        let created_at = after(prospect_at, wait(&mut rng, DAYS_TO_DEAL));
                        let pipeline = pick(&mut rng, &pipelines);
                        let open_stages = PIPELINES[pipeline].1;
                        let amount =
                            (DEAL_MEDIAN * (DEAL_SIGMA * normal(&mut rng)).exp()).round() as u64;
                        let close_at = after(created_at, wait(&mut rng, DAYS_TO_CLOSE));
                        let won = rng.random::<f64>() < WIN_RATE;
                        let reached = if won {
                            open_stages
                        } else {
                            rng.random_range(1..=open_stages)
                        };
                        let step = (close_at.unix_micros() - created_at.unix_micros()) as f64
                            / 1e6
                            / reached as f64;
                        let moves = (1..reached)
                            .map(|i| (i, after(created_at, step * i as f64)))
                            .collect();
                        let outcome = if won {
                            Outcome::Won(close_at)
                        } else {
                            Outcome::Lost(close_at, pick(&mut rng, &LOSS_REASONS))
                        };
                        if won && rng.random::<f64>() < REPEAT_RATE {
                            let mut t = close_at;
                            for _ in 0..rng.random_range(1..=4) {
                                t = after(t, rng.random_range(30.0..90.0) * DAY);
                                let value =
                                    (amount as f64 * rng.random_range(0.2..0.6)).round() as u64;
                                person.repeat_orders.push((t, value.max(1)));
                            }
                        }
                        person.deal = Some(DemoDeal {
                            pipeline,
                            created_at,
                            amount: amount.max(1),
                            moves,
                            outcome,
                        });
                    }
                }
            }
            person.visits = visits;
            person.channels = channels;
            cut(person, end)
        })
        .collect()
}

/// Drops whatever happened at or after `end`: the history stops today.
fn cut(mut p: Person, end: Timestamp) -> Person {
    // Visits are oldest first: those kept are a prefix, and their channels with them.
    p.visits.retain(|t| *t < end);
    p.channels.truncate(p.visits.len());
    if p.lead_at.is_some_and(|t| t >= end) {
        p.lead_at = None;
    }
    if p.lead_at.is_none() || p.first_touch.is_some_and(|t| t >= end) {
        p.first_touch = None;
    }
    if p.lead_at.is_none() || p.prospect_at.is_some_and(|t| t >= end) {
        p.prospect_at = None;
    }
    if p.prospect_at.is_none() || p.deal.as_ref().is_some_and(|d| d.created_at >= end) {
        p.deal = None;
    }
    if let Some(d) = &mut p.deal {
        d.moves.retain(|m| m.1 < end);
        let closed = match d.outcome {
            Outcome::Won(t) | Outcome::Lost(t, _) => Some(t),
            Outcome::Open => None,
        };
        if closed.is_some_and(|t| t >= end) {
            d.outcome = Outcome::Open;
        }
    }
    let won = matches!(p.deal.as_ref().map(|d| &d.outcome), Some(Outcome::Won(_)));
    if won {
        p.repeat_orders.retain(|o| o.0 < end);
    } else {
        p.repeat_orders.clear();
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year() -> (Timestamp, Timestamp) {
        let start = Timestamp::from_unix_micros(1_735_689_600_000_000).unwrap();
        (start, after(start, 365.0 * DAY))
    }

    fn share(part: usize, whole: usize) -> f64 {
        part as f64 / whole as f64
    }

    #[test]
    fn the_rates_that_go_in_come_back_out() {
        let (start, end) = year();
        // Generated far past the end, so the cut does not bias the rates.
        let people = generate(7, 20_000, start, after(end, 3_650.0 * DAY));
        let leads: Vec<_> = people.iter().filter(|p| p.lead_at.is_some()).collect();
        let overall: f64 = CHANNELS.iter().map(|c| c.1 * c.2).sum();
        assert!((share(leads.len(), people.len()) - overall).abs() < 0.005);
        let prospects: Vec<_> = leads.iter().filter(|p| p.prospect_at.is_some()).collect();
        assert!((share(prospects.len(), leads.len()) - LEAD_TO_PROSPECT).abs() < 0.02);
        let touched = leads.iter().filter(|p| p.first_touch.is_some()).count();
        assert!((share(touched, leads.len()) - TOUCHED).abs() < 0.02);
        let deals: Vec<_> = prospects.iter().filter_map(|p| p.deal.as_ref()).collect();
        assert!((share(deals.len(), prospects.len()) - PROSPECT_TO_OPPORTUNITY).abs() < 0.03);
        let won = deals
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Won(_)))
            .count();
        assert!((share(won, deals.len()) - WIN_RATE).abs() < 0.04);
        let repeat = people
            .iter()
            .filter(|p| !p.repeat_orders.is_empty())
            .count();
        assert!((share(repeat, won) - REPEAT_RATE).abs() < 0.06);
    }

    #[test]
    fn leads_come_back_through_other_channels_and_deals_take_both_pipelines() {
        let (start, end) = year();
        let people = generate(5, 5_000, start, after(end, 3_650.0 * DAY));
        let returning: Vec<_> = people.iter().filter(|p| p.visits.len() > 1).collect();
        assert!(people.iter().all(|p| p.channels.len() == p.visits.len()));
        assert!(people.iter().all(|p| p.channels[0] == p.channel));
        let switched = returning
            .iter()
            .filter(|p| p.channels.iter().any(|c| *c != p.channel))
            .count();
        // Each return stays with STAY; a switch may draw the same channel again.
        let share_switched = share(switched, returning.len());
        assert!(
            share_switched > 0.5 && share_switched < 0.95,
            "{share_switched}"
        );
        let deals: Vec<_> = people.iter().filter_map(|p| p.deal.as_ref()).collect();
        let partners = deals.iter().filter(|d| d.pipeline == 1).count();
        assert!((share(partners, deals.len()) - PIPELINES[1].2).abs() < 0.04);
        for d in &deals {
            assert!(d.moves.iter().all(|(k, _)| *k < PIPELINES[d.pipeline].1));
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_history_and_nothing_after_the_end() {
        let (start, end) = year();
        let a = generate(42, 500, start, end);
        assert_eq!(a, generate(42, 500, start, end));
        assert_ne!(a, generate(43, 500, start, end));
        for p in &a {
            assert!(p.visits.iter().all(|t| *t >= start && *t < end));
            assert!(p.lead_at.is_none_or(|t| t < end));
            if let Some(d) = &p.deal {
                assert!(d.created_at < end && d.amount > 0);
            }
        }
    }
}
