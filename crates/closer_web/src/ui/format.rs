//! How pages write numbers, money, durations and times for people.

use closer_domain::Timestamp;

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A decimal amount as the API gives it (`"1200.50"`) with its currency, grouped and without
/// cents when whole: `USD 1,200.50`, `USD 41,000`.
pub fn money(currency: &str, amount: &str) -> String {
    let negative = amount.starts_with('-');
    let amount = amount.trim_start_matches('-');
    let (whole, cents) = amount.split_once('.').unwrap_or((amount, ""));
    let whole = whole
        .parse::<u64>()
        .map_or_else(|_| whole.to_owned(), count);
    let cents = cents.trim_end_matches('0');
    let cents = if cents.is_empty() {
        String::new()
    } else {
        format!(".{cents:0<2}")
    };
    let sign = if negative { "-" } else { "" };
    format!("{currency} {sign}{whole}{cents}")
}

/// A fraction as a percentage with one decimal: `0.2346` → `23.5%`.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// Seconds as the two largest units: `3 h 20 min`, `2 d 4 h`, `45 s`.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// Days with one decimal, or a dash.
pub fn days(d: Option<f64>) -> String {
    d.map_or_else(|| "–".to_owned(), |d| format!("{d:.1} d"))
}

/// A time as `2026-11-24 09:30 UTC`.
pub fn when(t: Timestamp) -> String {
    let dt = t.get();
    format!(
        "{}-{:02}-{:02} {:02}:{:02} UTC",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_person_writes_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(money("USD", "41000.00"), "USD 41,000");
        assert_eq!(money("EUR", "1200.50"), "EUR 1,200.50");
        assert_eq!(money("USD", "-5.0001"), "USD -5.0001");
        assert_eq!(percent(Some(0.2346)), "23.5%");
        assert_eq!(percent(None), "–");
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(12_000), "3 h 20 min");
        assert_eq!(duration(2 * 86_400 + 4 * 3_600 + 59), "2 d 4 h");
    }
}
