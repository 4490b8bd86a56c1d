//! What a cell of a CSV closer writes may hold: text a spreadsheet shows, never a formula it
//! runs (OWASP's CSV-injection rule).
//!
//! Tracked values (`utm_source`, referrers, names typed into a form) reach report downloads and
//! exports; a cell such as `=HYPERLINK("https://evil.example","Click")` would be live the moment
//! someone opens the file. Cells starting with `=`, `+`, `-`, `@`, a tab or a carriage return
//! get a leading `'`, which spreadsheets read as "this is text" and do not show. Plain numbers
//! (`-12.5`, `+3`) are left alone: no spreadsheet reads them as a formula, and a negative
//! amount must stay a number a sum can use.

use std::borrow::Cow;

/// `cell`, made safe to open in a spreadsheet.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') if !plain_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// A cell as written before `neutralise`: the `'` it adds is taken off again, so a file
/// closer exported imports as it was (`'+44 20 7946 0018` is a phone again). A `'` before
/// anything `neutralise` would not have quoted is the file's own and stays.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if matches!(neutralise(rest), Cow::Owned(_)) => rest,
        _ => cell,
    }
}

/// A sign, digits, and at most one decimal point with digits after it.
fn plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restoring_takes_back_only_the_quote_neutralise_added() {
        for cell in [
            "+44 20 7946 0018",
            "=SUM(A1)",
            "@handle",
            "plain",
            "-12.5",
            "'quoted",
        ] {
            assert_eq!(restore(&neutralise(cell)), cell);
        }
        assert_eq!(restore("'tis"), "'tis");
    }

    #[test]
    fn formulas_become_text() {
        for cell in [
            "=HYPERLINK(\"https://evil.example\",\"Click\")",
            "=1+1",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1",
            "\r=1",
            "-",
            "+",
            "-inf",
            "-1e5",
            "-.5",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn everything_else_is_kept() {
        for cell in [
            "",
            "Organic Search",
            "42",
            "-12.5",
            "+3",
            "-0",
            "10.7%",
            "a=b",
            " =1",
            "'=1",
        ] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }
}
