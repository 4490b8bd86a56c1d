//! BG/NBD and Gamma-Gamma against the published CDNOW estimates, and the customer summaries
//! rebuilt from the raw transactions.

use closer_domain::reports::{
    BgNbd, CustomerSummary, GammaGamma, ModelError, ValueModel, simulate, summarize, summarize_one,
};

const SUMMARY: &str = include_str!("data/cdnow/cdnow_customers_summary_with_transactions.csv");
const RAW: &str = include_str!("data/cdnow/CDNOW_sample.txt");

fn published() -> Vec<(u32, CustomerSummary)> {
    SUMMARY
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (
                f[0].parse().unwrap(),
                CustomerSummary {
                    x: f[1].parse().unwrap(),
                    t_x: f[2].parse().unwrap(),
                    t: f[3].parse().unwrap(),
                    mean_spend: f[4].parse().unwrap(),
                },
            )
        })
        .collect()
}

/// Days since 1997-01-01 for `yyyymmdd`.
fn day(yyyymmdd: &str) -> i64 {
    let y: i32 = yyyymmdd[..4].parse().unwrap();
    let m: u8 = yyyymmdd[4..6].parse().unwrap();
    let d: u8 = yyyymmdd[6..].parse().unwrap();
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
    i64::from(
        date.to_julian_day()
            - time::Date::from_calendar_date(1997, time::Month::January, 1)
                .unwrap()
                .to_julian_day(),
    )
}

/// A value to four significant digits, as `1.234e5`.
fn four_digits(v: f64) -> String {
    format!("{v:.3e}")
}

fn close(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got}, published {want}"
    );
}

#[test]
fn summaries_rebuilt_from_transactions_match_the_published_ones() {
    let purchases: Vec<(u32, i64, f64)> = RAW
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[1].parse().unwrap(), day(f[2]), f[4].parse().unwrap())
        })
        .collect();
    // The calibration period ends 1997-09-30.
    let ours = summarize(&purchases, day("19970930"));
    // One customer at a time, from their orders in day order: the same summaries.
    let mut by_customer = purchases.clone();
    by_customer.sort_by_key(|p| (p.0, p.1));
    let one_by_one: Vec<CustomerSummary> = by_customer
        .chunk_by(|a, b| a.0 == b.0)
        .filter_map(|one| {
            let days: Vec<(i64, f64)> = one.iter().map(|p| (p.1, p.2)).collect();
            summarize_one(&days, day("19970930"))
        })
        .collect();
    assert_eq!(one_by_one, ours.iter().map(|(_, c)| *c).collect::<Vec<_>>());
    let theirs = published();
    assert_eq!(ours.len(), theirs.len());
    for ((id, a), (their_id, b)) in ours.iter().zip(&theirs) {
        assert_eq!(id, their_id);
        assert!((a.x - b.x).abs() < 1e-9, "{id}: x {} vs {}", a.x, b.x);
        close(a.t_x, b.t_x, 0.006, "t_x");
        close(a.t, b.t, 0.006, "T");
        close(a.mean_spend, b.mean_spend, 0.006, "zbar");
    }
}

#[test]
fn bg_nbd_reproduces_fader_hardie_lee_2005() {
    let customers: Vec<CustomerSummary> = published().into_iter().map(|(_, c)| c).collect();
    let m = BgNbd::fit(&customers).unwrap();
    // The maximum-likelihood estimates (Fader, Hardie & Lee 2005 print 0.243, 4.414, 0.793,
    // 2.426; R's BTYD and Python's lifetimes 0.2426, 4.414, 0.7929, 2.426), to four
    // significant digits.
    assert_eq!(
        [m.r, m.alpha, m.a, m.b].map(four_digits),
        ["2.426e-1", "4.414e0", "7.929e-1", "2.426e0"],
        "{m:?}"
    );
    close(m.log_likelihood, -9582.4, 0.1, "log-likelihood");
    // The paper's worked example and its unconditional figure.
    let c = CustomerSummary {
        x: 2.0,
        t_x: 30.43,
        t: 38.86,
        mean_spend: 0.0,
    };
    close(
        m.expected_purchases(&c, 39.0),
        1.226,
        0.002,
        "E[Y(39) | 2, 30.43, 38.86]",
    );
    close(m.expected_purchases_new(78.0), 1.8576, 0.002, "E[X(78)]");
    let p = m.probability_alive(&c);
    assert!(p > 0.0 && p < 1.0, "{p}");
}

#[test]
fn gamma_gamma_reproduces_fader_hardie_2013() {
    let customers: Vec<CustomerSummary> = published().into_iter().map(|(_, c)| c).collect();
    assert_eq!(customers.iter().filter(|c| c.x > 0.0).count(), 946);
    let m = GammaGamma::fit(&customers).unwrap();
    // Fader & Hardie 2013 print 6.25, 3.74, 15.44; the maximum-likelihood estimates to four
    // significant digits (as lifetimes gives them) are:
    assert_eq!(
        [m.p, m.q, m.gamma].map(four_digits),
        ["6.249e0", "3.745e0", "1.545e1"],
        "{m:?}"
    );
    let spend = m.expected_spend(&customers[0]);
    assert!(spend.is_finite() && spend > 0.0);
}

#[test]
fn too_little_data_is_said_not_guessed() {
    let few = vec![
        CustomerSummary {
            x: 1.0,
            t_x: 2.0,
            t: 10.0,
            mean_spend: 5.0,
        };
        3
    ];
    assert!(matches!(
        BgNbd::fit(&few),
        Err(ModelError::NotEnoughData(_))
    ));
    assert!(matches!(
        GammaGamma::fit(&few),
        Err(ModelError::NotEnoughData(_))
    ));
    let none_repeat = vec![
        CustomerSummary {
            x: 0.0,
            t_x: 0.0,
            t: 10.0,
            mean_spend: 0.0,
        };
        50
    ];
    assert!(matches!(
        BgNbd::fit(&none_repeat),
        Err(ModelError::NotEnoughData(_))
    ));
}

/// A year of a shop with 200,000 customers, drawn from the models with CDNOW-like parameters.
fn synthetic(customers: u32) -> Vec<CustomerSummary> {
    let orders = simulate(
        customers,
        365,
        [0.243, 4.414, 0.793, 2.426],
        [6.25, 3.74, 15.44],
        7,
    );
    summarize(&orders, 364)
        .into_iter()
        .map(|(_, c)| c)
        .collect()
}

#[test]
fn grouping_identical_histories_changes_no_fitted_digit() {
    let customers = synthetic(200_000);
    let relative = |a: f64, b: f64| (a - b).abs() / b.abs();
    let (grouped, each) = (
        BgNbd::fit(&customers).unwrap(),
        BgNbd::fit_each(&customers).unwrap(),
    );
    for (g, e) in [grouped.r, grouped.alpha, grouped.a, grouped.b]
        .into_iter()
        .zip([each.r, each.alpha, each.a, each.b])
    {
        assert!(relative(g, e) < 1e-6, "BG/NBD {grouped:?} vs {each:?}");
    }
    let (grouped, each) = (
        GammaGamma::fit(&customers).unwrap(),
        GammaGamma::fit_each(&customers).unwrap(),
    );
    for (g, e) in [grouped.p, grouped.q, grouped.gamma]
        .into_iter()
        .zip([each.p, each.q, each.gamma])
    {
        assert!(relative(g, e) < 1e-6, "Gamma-Gamma {grouped:?} vs {each:?}");
    }
}

#[test]
fn a_history_the_models_cannot_describe_is_refused_in_words() {
    // Everyone buys again every week and nobody has left: no dropout to estimate.
    let customers: Vec<CustomerSummary> = (0..500)
        .map(|i| {
            let t = 20.0 + f64::from(i % 30);
            CustomerSummary {
                x: t,
                t_x: t,
                t,
                mean_spend: 20.0,
            }
        })
        .collect();
    match BgNbd::fit(&customers) {
        Err(ModelError::Unsupported(why)) => assert!(why.contains("runs off"), "{why}"),
        other => panic!("{other:?}"),
    }
}

/// Gauss's 2F1 by its series, written apart from the library's on purpose.
#[allow(clippy::many_single_char_names)]
fn series_2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum): (f64, f64) = (1.0, 1.0);
    let mut n = 0.0;
    while term.abs() > 1e-16 * sum.abs() {
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        n += 1.0;
    }
    sum
}

#[test]
#[allow(clippy::many_single_char_names)] // the papers' names
fn each_customers_prediction_is_the_closed_form() {
    let customers: Vec<CustomerSummary> = published().into_iter().map(|(_, c)| c).collect();
    let model = ValueModel::fit(&customers).unwrap();
    let BgNbd { r, alpha, a, b, .. } = model.purchases;
    let GammaGamma { p, q, gamma, .. } = model.spend;
    let weeks = 52.0;
    for c in &customers {
        let (x, t_x, t) = (c.x, c.t_x, c.t);
        // Fader, Hardie & Lee 2005, equations 10 and (for P(alive)) its denominator.
        let odds = if x > 0.0 {
            a / (b + x - 1.0) * ((alpha + t) / (alpha + t_x)).powf(r + x)
        } else {
            0.0
        };
        let alive = 1.0 / (1.0 + odds);
        let expected = (a + b + x - 1.0) / (a - 1.0)
            * (1.0
                - ((alpha + t) / (alpha + t + weeks)).powf(r + x)
                    * series_2f1(r + x, b + x, a + b + x - 1.0, weeks / (alpha + t + weeks)))
            / (1.0 + odds);
        // Fader & Hardie 2013, equation 5.
        let weight = p * x / (p * x + q - 1.0);
        let spend = (1.0 - weight) * p * gamma / (q - 1.0) + weight * c.mean_spend;
        let got = model.predict(c, weeks);
        let near = |g: f64, w: f64| (g - w).abs() <= 1e-9 * w.abs().max(1.0);
        assert!(near(got.probability_alive, alive), "{c:?}: {got:?}");
        assert!(near(got.expected_purchases, expected), "{c:?}: {got:?}");
        assert!(near(got.expected_value, expected * spend), "{c:?}: {got:?}");
    }
}
