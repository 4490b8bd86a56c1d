//! The bottleneck: which funnel step, brought to its target with every other step held where
//! it is, would add the most revenue — and a sentence saying so in plain words.
//!
//! Revenue in a period is modelled as the funnel multiplied through: visitors × each step's
//! conversion = new customers, worth their first-order value, of whom a share order again,
//! worth the repeat value. Rates are fractions (0.08 for 8%).

/// A conversion step of the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Conversion {
    VisitorToLead,
    LeadToProspect,
    ProspectToOpportunity,
    /// The win rate.
    OpportunityToCustomer,
    CustomerToRepeat,
}

impl Conversion {
    pub const ALL: [Conversion; 5] = [
        Conversion::VisitorToLead,
        Conversion::LeadToProspect,
        Conversion::ProspectToOpportunity,
        Conversion::OpportunityToCustomer,
        Conversion::CustomerToRepeat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Conversion::VisitorToLead => "visitor_to_lead",
            Conversion::LeadToProspect => "lead_to_prospect",
            Conversion::ProspectToOpportunity => "prospect_to_opportunity",
            Conversion::OpportunityToCustomer => "opportunity_to_customer",
            Conversion::CustomerToRepeat => "customer_to_repeat",
        }
    }

    /// "Leads → prospects", for sentences.
    pub fn label(self) -> &'static str {
        match self {
            Conversion::VisitorToLead => "Visitors → leads",
            Conversion::LeadToProspect => "Leads → prospects",
            Conversion::ProspectToOpportunity => "Prospects → opportunities",
            Conversion::OpportunityToCustomer => "Opportunities → customers (win rate)",
            Conversion::CustomerToRepeat => "Customers → repeat customers",
        }
    }

    /// Targets a small business can hold itself to when it has set none.
    pub fn default_target(self) -> f64 {
        match self {
            Conversion::VisitorToLead => 0.03,
            Conversion::LeadToProspect => 0.20,
            Conversion::ProspectToOpportunity => 0.40,
            Conversion::OpportunityToCustomer => 0.25,
            Conversion::CustomerToRepeat => 0.30,
        }
    }
}

/// The funnel of one period (and one channel, or the whole business).
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelModel {
    pub visitors: f64,
    /// Current rates, in `Conversion::ALL` order.
    pub rates: [f64; 5],
    pub targets: [f64; 5],
    /// Mean value of a new customer's first order(s).
    pub first_value: f64,
    /// Mean value a repeat customer adds.
    pub repeat_value: f64,
    /// Steps the period is too young to judge (nobody has yet had the time the step typically
    /// takes), with that time in days. Modelled at their target: neither a gain nor a loss.
    pub too_young: [Option<f64>; 5],
}

/// One step's place in the ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Lever {
    pub step: Conversion,
    pub rate: f64,
    pub target: f64,
    /// Revenue added if this step alone reached its target (0 when it already does).
    pub gain: f64,
    pub sentence: String,
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

impl FunnelModel {
    /// Revenue under `rates`.
    pub fn revenue(&self, rates: &[f64; 5]) -> f64 {
        let customers = self.visitors * rates[0] * rates[1] * rates[2] * rates[3];
        finite(customers * self.first_value + customers * rates[4] * self.repeat_value)
    }

    /// The rates revenue is modelled with: a step too young to judge at its target.
    pub fn modelled_rates(&self) -> [f64; 5] {
        std::array::from_fn(|i| {
            if self.too_young[i].is_some() {
                self.targets[i]
            } else {
                self.rates[i]
            }
        })
    }

    /// Every step ranked by the revenue its target would add, largest first; the steps too
    /// young to judge last, saying so.
    pub fn levers(&self, period: &str, currency: &str) -> Vec<Lever> {
        let rates = self.modelled_rates();
        let now = self.revenue(&rates);
        let mut out: Vec<Lever> = Conversion::ALL
            .iter()
            .enumerate()
            .map(|(i, &step)| {
                let (rate, target) = (finite(self.rates[i]), finite(self.targets[i]));
                if let Some(days) = self.too_young[i] {
                    return Lever {
                        step,
                        rate,
                        target,
                        gain: 0.0,
                        sentence: too_young(step, days),
                    };
                }
                let mut lifted = rates;
                lifted[i] = rate.max(target);
                let gain = finite(self.revenue(&lifted) - now).max(0.0);
                Lever {
                    step,
                    rate,
                    target,
                    gain,
                    sentence: sentence(step, rate, target, gain, period, currency),
                }
            })
            .collect();
        out.sort_by(|a, b| b.gain.total_cmp(&a.gain).then(a.step.cmp(&b.step)));
        out
    }
}

/// A percentage for people: "8%", "2.5%", "0.4%".
fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if p >= 10.0 || (p - p.round()).abs() < 0.05 {
        format!("{}%", p.round())
    } else {
        format!("{p:.1}%")
    }
}

/// About this much money, with thousands separated and two significant figures above 1,000.
fn about(amount: f64, currency: &str) -> String {
    let rounded = if amount >= 1_000.0 {
        // Two significant figures: 41,234 → 41,000.
        let mut magnitude = 1.0;
        while amount / magnitude >= 100.0 {
            magnitude *= 10.0;
        }
        (amount / magnitude).round() * magnitude
    } else {
        amount.round()
    };
    let digits = format!("{rounded:.0}");
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match currency {
        "USD" => format!("${grouped}"),
        "EUR" => format!("€{grouped}"),
        "GBP" => format!("£{grouped}"),
        other => format!("{grouped} {other}"),
    }
}

fn too_young(step: Conversion, days: f64) -> String {
    format!(
        "{} cannot be judged on this period yet: the step typically takes {} days, and nobody who entered in the period has had that long since the step before.",
        step.label(),
        days.round()
    )
}

fn sentence(
    step: Conversion,
    rate: f64,
    target: f64,
    gain: f64,
    period: &str,
    currency: &str,
) -> String {
    let head = format!(
        "{} converts {} against a {} target",
        step.label(),
        percent(rate),
        percent(target)
    );
    if rate >= target {
        format!("{head}: on target.")
    } else if gain <= 0.0 {
        format!("{head}; lifting it alone adds nothing until the steps around it move.")
    } else {
        format!(
            "{head}; lifting it would add about {} a {period}.",
            about(gain, currency)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> FunnelModel {
        FunnelModel {
            visitors: 50_000.0,
            rates: [0.02, 0.08, 0.5, 0.25, 0.3],
            targets: Conversion::ALL.map(Conversion::default_target),
            first_value: 2_000.0,
            repeat_value: 800.0,
            too_young: [None; 5],
        }
    }

    #[test]
    fn the_step_furthest_below_target_in_revenue_comes_first() {
        let m = model();
        let levers = m.levers("quarter", "USD");
        // 10 customers a quarter (50,000 × 2% × 8% × 50% × 25%): $22,400. Lead → prospect at
        // 8% against 20% multiplies that by 2.5: $33,600 more.
        assert_eq!(levers[0].step, Conversion::LeadToProspect);
        let now = m.revenue(&m.rates);
        assert!((levers[0].gain - now * 1.5).abs() < 1e-6);
        assert_eq!(
            levers[0].sentence,
            "Leads → prospects converts 8% against a 20% target; lifting it would add about $34,000 a quarter."
        );
        let on_target = levers
            .iter()
            .find(|l| l.step == Conversion::ProspectToOpportunity)
            .unwrap();
        assert!(on_target.gain.abs() < f64::EPSILON);
        assert!(
            on_target.sentence.ends_with("on target."),
            "{}",
            on_target.sentence
        );
    }

    #[test]
    fn empty_funnels_give_words_not_nan() {
        let mut m = model();
        m.visitors = 0.0;
        m.rates = [0.0; 5];
        for l in m.levers("month", "EUR") {
            assert!(l.gain.abs() < f64::EPSILON);
            assert!(l.sentence.contains("adds nothing"), "{}", l.sentence);
        }
        m.first_value = f64::NAN;
        assert!(m.revenue(&[1.0; 5]).abs() < f64::EPSILON);
    }

    #[test]
    fn a_step_too_young_to_judge_says_so_and_is_modelled_at_target() {
        let mut m = model();
        m.rates[4] = 0.0;
        m.too_young[4] = Some(44.6);
        let levers = m.levers("quarter", "USD");
        let repeat = levers.last().unwrap();
        assert_eq!(repeat.step, Conversion::CustomerToRepeat);
        assert!(repeat.gain.abs() < f64::EPSILON);
        assert!(
            repeat.sentence.contains("cannot be judged") && repeat.sentence.contains("45 days"),
            "{}",
            repeat.sentence
        );
        assert!((m.modelled_rates()[4] - 0.3).abs() < f64::EPSILON);
    }

    #[test]
    fn amounts_and_rates_read_naturally() {
        assert_eq!(about(41_234.0, "USD"), "$41,000");
        assert_eq!(about(1_234_567.0, "EUR"), "€1,200,000");
        assert_eq!(about(950.4, "SEK"), "950 SEK");
        assert_eq!(percent(0.08), "8%");
        assert_eq!(percent(0.025), "2.5%");
    }
}
