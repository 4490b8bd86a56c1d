//! Retention from orders: customers grouped by the month of their first order (the cohort),
//! and for each later month how many of them ordered again. Counts, not ratios: a caller
//! divides where the denominator is not zero, so no NaN ever reaches a report.

use std::collections::{BTreeMap, BTreeSet};

use time::Date;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u8,
}

impl Month {
    pub fn of(d: Date) -> Self {
        Self {
            year: d.year(),
            month: u8::from(d.month()),
        }
    }

    /// Whole months from `self` to `later` (0 for the same month).
    pub fn until(self, later: Month) -> i64 {
        i64::from(later.year - self.year) * 12 + i64::from(later.month) - i64::from(self.month)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One row of the cohort table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    pub month: Month,
    /// Customers whose first order was in `month`.
    pub customers: u64,
    /// `active[k]`: how many of them ordered in the k-th month after it (`active[0]` is
    /// everyone), up to `last`.
    pub active: Vec<u64>,
}

/// The monthly cohort table from `(customer, order date)` pairs, each row running to `last`.
pub fn cohorts<K: Ord + Clone>(orders: &[(K, Date)], last: Month) -> Vec<Cohort> {
    let mut months: BTreeMap<K, BTreeSet<Month>> = BTreeMap::new();
    for (customer, day) in orders {
        months
            .entry(customer.clone())
            .or_default()
            .insert(Month::of(*day));
    }
    let mut rows: BTreeMap<Month, Cohort> = BTreeMap::new();
    for ordered in months.values() {
        let Some(&first) = ordered.iter().next() else {
            continue;
        };
        let span = usize::try_from(first.until(last).max(0)).unwrap_or(0) + 1;
        let row = rows.entry(first).or_insert_with(|| Cohort {
            month: first,
            customers: 0,
            active: vec![0; span],
        });
        row.customers += 1;
        for m in ordered {
            if let Ok(k) = usize::try_from(first.until(*m))
                && let Some(slot) = row.active.get_mut(k)
            {
                *slot += 1;
            }
        }
    }
    rows.into_values().collect()
}

/// `(customers, repeat customers)`: those with an order, and those with orders on more than
/// one day.
pub fn repeat_customers<K: Ord + Clone>(orders: &[(K, Date)]) -> (u64, u64) {
    let mut days: BTreeMap<K, BTreeSet<Date>> = BTreeMap::new();
    for (customer, day) in orders {
        days.entry(customer.clone()).or_default().insert(*day);
    }
    let repeat = days.values().filter(|d| d.len() > 1).count() as u64;
    (days.len() as u64, repeat)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn cohorts_count_customers_by_first_month_and_later_activity() {
        let orders = [
            ("ana", date!(2026 - 01 - 05)),
            ("ana", date!(2026 - 01 - 20)),
            ("ana", date!(2026 - 03 - 02)),
            ("bo", date!(2026 - 01 - 31)),
            ("bo", date!(2026 - 02 - 01)),
            ("cy", date!(2026 - 02 - 14)),
        ];
        let table = cohorts(
            &orders,
            Month {
                year: 2026,
                month: 3,
            },
        );
        assert_eq!(table.len(), 2);
        assert_eq!(table[0].month.to_string(), "2026-01");
        assert_eq!(table[0].customers, 2);
        assert_eq!(table[0].active, [2, 1, 1]);
        assert_eq!(table[1].customers, 1);
        assert_eq!(table[1].active, [1, 0]);
        assert_eq!(repeat_customers(&orders), (3, 2));
        assert!(
            cohorts::<&str>(
                &[],
                Month {
                    year: 2026,
                    month: 1
                }
            )
            .is_empty()
        );
    }

    #[test]
    fn months_count_across_years() {
        let dec = Month {
            year: 2025,
            month: 12,
        };
        assert_eq!(
            dec.until(Month {
                year: 2026,
                month: 2
            }),
            2
        );
        assert_eq!(dec.until(dec), 0);
    }
}
