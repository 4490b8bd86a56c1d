//! Attribution: how the credit for one conversion (a lead, a deal, won revenue) is shared
//! among the touches (tracked visits, by channel or campaign) that came before it.
//!
//! Credits are exact: shares are whole millionths that add up to exactly one million for every
//! conversion (largest remainders get the odd millionths), so totals over many conversions
//! never drift and a report's rows always add up to its conversions.

use std::collections::BTreeMap;

/// The whole credit of one conversion, in millionths.
pub const WHOLE: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    /// All to the first touch.
    FirstTouch,
    /// All to the last touch.
    LastTouch,
    /// Equal shares.
    Linear,
    /// 40% to the first, 40% to the last, 20% shared by those between (U-shaped); with two
    /// touches 50/50, with one all of it.
    PositionBased,
}

impl Model {
    pub const ALL: [Model; 4] = [
        Model::FirstTouch,
        Model::LastTouch,
        Model::Linear,
        Model::PositionBased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Model::FirstTouch => "first_touch",
            Model::LastTouch => "last_touch",
            Model::Linear => "linear",
            Model::PositionBased => "position_based",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw.trim())
    }

    /// Each touch's weight as a numerator over one common denominator (they sum to
    /// `WHOLE × denominator`): integers, so the split is exact.
    fn weights(self, n: usize) -> (Vec<u64>, u64) {
        let mut w = vec![0; n];
        let count = u64::try_from(n).unwrap_or(u64::MAX);
        let denominator = match (self, n) {
            (_, 0) => 1,
            (Model::FirstTouch, _) | (_, 1) => {
                w[0] = WHOLE;
                1
            }
            (Model::LastTouch, _) => {
                w[n - 1] = WHOLE;
                1
            }
            (Model::Linear, _) => {
                w.fill(WHOLE);
                count
            }
            (Model::PositionBased, 2) => {
                w[0] = WHOLE / 2;
                w[1] = WHOLE / 2;
                1
            }
            (Model::PositionBased, _) => {
                let middle = count - 2;
                w[0] = WHOLE * 4 / 10 * middle;
                w[n - 1] = WHOLE * 4 / 10 * middle;
                w[1..n - 1].fill(WHOLE * 2 / 10);
                middle
            }
        };
        (w, denominator)
    }
}

/// Shares of one conversion's credit among `touches` (oldest first), in millionths, summed by
/// touch key (a channel, a campaign). They add up to exactly `WHOLE`; no touches, no credit.
pub fn credit<K: Ord + Clone>(model: Model, touches: &[K]) -> BTreeMap<K, u64> {
    let (weights, denominator) = model.weights(touches.len());
    // Largest remainder: every share rounded down, then the missing millionths handed to the
    // largest remainders (the earliest touch first on ties), so the total is exact.
    let mut shares: Vec<u64> = weights.iter().map(|w| w / denominator).collect();
    let given: u64 = shares.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&i, &j| {
        (weights[j] % denominator)
            .cmp(&(weights[i] % denominator))
            .then(i.cmp(&j))
    });
    let missing = usize::try_from(WHOLE.saturating_sub(given)).unwrap_or(0);
    if !touches.is_empty() {
        for &i in order.iter().cycle().take(missing) {
            shares[i] += 1;
        }
    }
    let mut out = BTreeMap::new();
    for (key, share) in touches.iter().zip(shares) {
        *out.entry(key.clone()).or_insert(0) += share;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total<K>(c: &BTreeMap<K, u64>) -> u64 {
        c.values().sum()
    }

    #[test]
    fn each_model_shares_one_conversion_exactly() {
        let path = ["search", "social", "email", "social", "direct"];
        for model in Model::ALL {
            for n in 1..=path.len() {
                assert_eq!(total(&credit(model, &path[..n])), WHOLE, "{model:?} {n}");
            }
        }
        let first = credit(Model::FirstTouch, &path);
        assert_eq!(first["search"], WHOLE);
        let last = credit(Model::LastTouch, &path);
        assert_eq!(last["direct"], WHOLE);
        let linear = credit(Model::Linear, &["a", "b", "c"]);
        assert_eq!(
            linear.values().copied().collect::<Vec<_>>(),
            [333_334, 333_333, 333_333]
        );
        let u = credit(Model::PositionBased, &path);
        assert_eq!(u["search"], 400_000);
        assert_eq!(u["direct"], 400_000);
        // The middle 20% over three touches, two of them social.
        assert_eq!(u["social"] + u["email"], 200_000);
        assert_eq!(u["email"], 66_667);
        assert_eq!(credit(Model::PositionBased, &["a", "b"])["a"], 500_000);
        assert!(credit::<&str>(Model::Linear, &[]).is_empty());
    }

    #[test]
    fn models_parse_by_name() {
        for m in Model::ALL {
            assert_eq!(Model::parse(m.as_str()), Some(m));
        }
        assert_eq!(Model::parse("time_decay"), None);
    }
}
