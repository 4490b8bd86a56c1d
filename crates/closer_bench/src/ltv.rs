//! The lifetime-value computation at scale, in-process: a shop's order history drawn from the
//! models themselves (`closer_domain::reports::simulate`), then what the `ltv` report does
//! once the orders are read — each customer's summary, both models fitted on every customer,
//! the mean prediction — timed. The fitted parameters are printed next to the ones the
//! history was drawn with.

use std::time::Instant;

use closer_domain::reports::{
    ValueModel, distinct_histories, simulate, sort_histories, summarize_one,
};

use crate::stats::ms;

#[derive(clap::Args)]
pub struct LtvArgs {
    /// Customers in the history.
    #[arg(long, default_value_t = 1_000_000)]
    customers: u32,
    /// Days of history (customers' first orders spread over them).
    #[arg(long, default_value_t = 365)]
    days: i64,
    /// Timed repetitions; the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    runs: u32,
}

const PURCHASE: [f64; 4] = [0.243, 4.414, 0.793, 2.426];
const SPEND: [f64; 3] = [6.25, 3.74, 15.44];

pub fn run(args: &LtvArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.days > 0, "--days must be positive");
    eprintln!(
        "drawing {} customers over {} days…",
        args.customers, args.days
    );
    let orders = simulate(args.customers, args.days, PURCHASE, SPEND, 42);
    let mut times = Vec::new();
    let mut last = None;
    for run in 0..args.runs {
        let start = Instant::now();
        // As the report has them: each customer's orders together, in day order.
        let mut customers: Vec<_> = orders
            .chunk_by(|a, b| a.0 == b.0)
            .filter_map(|one| {
                let days: Vec<(i64, f64)> = one.iter().map(|o| (o.1, o.2)).collect();
                summarize_one(&days, args.days - 1)
            })
            .collect();
        sort_histories(&mut customers);
        let summarized = start.elapsed();
        let model = ValueModel::fit(&customers)?;
        let fitted = start.elapsed();
        let mean = model.mean(&customers, 52.0);
        let total = start.elapsed();
        let (fit, predictions) = (
            fitted.saturating_sub(summarized),
            total.saturating_sub(fitted),
        );
        eprintln!(
            "run {}: summaries {:.0} ms, fit {:.0} ms, predictions {:.0} ms",
            run + 1,
            ms(summarized),
            ms(fit),
            ms(predictions)
        );
        times.push((total, summarized, fit, predictions));
        last = Some((customers, model, mean));
    }
    times.sort();
    let (total, summaries, fit, predictions) = times[times.len() / 2];
    let (customers, model, mean) = last.expect("at least one run");
    let repeaters = customers.iter().filter(|c| c.x > 0.0).count();
    println!("### Lifetime value: both models on every customer");
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| history | {} customers ({repeaters} repeat buyers), {} orders, {} distinct (x, t_x, T) histories |",
        customers.len(),
        orders.len(),
        distinct_histories(&customers)
    );
    println!(
        "| median of {} runs: summaries + fit + predictions | **{:.0} ms** ({:.0} + {:.0} + {:.0}) |",
        args.runs,
        ms(total),
        ms(summaries),
        ms(fit),
        ms(predictions)
    );
    let p = model.purchases;
    println!(
        "| BG/NBD r, α, a, b: fitted (drawn with) | {:.4}, {:.4}, {:.4}, {:.4} ({}, {}, {}, {}) |",
        p.r, p.alpha, p.a, p.b, PURCHASE[0], PURCHASE[1], PURCHASE[2], PURCHASE[3]
    );
    let s = model.spend;
    println!(
        "| Gamma-Gamma p, q, γ: fitted (drawn with) | {:.4}, {:.4}, {:.4} ({}, {}, {}) |",
        s.p, s.q, s.gamma, SPEND[0], SPEND[1], SPEND[2]
    );
    println!(
        "| mean over customers, next 52 weeks | {:.3} purchases, {:.3} still active, {:.2} value |",
        mean.expected_purchases, mean.probability_alive, mean.expected_value
    );
    Ok(())
}
