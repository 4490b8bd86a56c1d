//! A shop's order history as CSV (`closer import orders`, `POST /api/v1/imports?entity=orders`):
//! columns recognised by name (closer's own, Shopify's order export, or plain `Email`,
//! `Date`, `Product`…), every row checked, rows assembled into orders, and each order given
//! an id derived from the workspace and the order's key, so importing a file again finds its
//! orders instead of doubling them. Pure, so the importer and the fuzzer read files the same way.

use std::collections::BTreeMap;

use closer_domain::import::job::Rejected;
use closer_domain::import::{Mapping, normalise};
use closer_domain::pipeline::{Amount, Currency, LineInput, OrderId};
use closer_domain::{Email, Timestamp, WorkspaceId, csv_cell};
use sha2::{Digest, Sha256};

/// Most rows a file may hold (orders are assembled in memory).
pub const MAX_ROWS: u64 = 2_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Col {
    Email,
    PlacedAt,
    Currency,
    Product,
    Quantity,
    UnitPrice,
    Order,
}

/// Header names, lower case, spacing aside: closer's, Shopify's order export, and common ones.
const NAMES: &[(&str, Col)] = &[
    ("email", Col::Email),
    ("customer email", Col::Email),
    ("placed_at", Col::PlacedAt),
    ("placed at", Col::PlacedAt),
    ("created at", Col::PlacedAt),
    ("date", Col::PlacedAt),
    ("order date", Col::PlacedAt),
    ("paid at", Col::PlacedAt),
    ("currency", Col::Currency),
    ("product", Col::Product),
    ("lineitem name", Col::Product),
    ("item", Col::Product),
    ("quantity", Col::Quantity),
    ("lineitem quantity", Col::Quantity),
    ("qty", Col::Quantity),
    ("unit_price", Col::UnitPrice),
    ("unit price", Col::UnitPrice),
    ("lineitem price", Col::UnitPrice),
    ("price", Col::UnitPrice),
    ("order", Col::Order),
    ("order id", Col::Order),
    ("order number", Col::Order),
    ("name", Col::Order),
];

fn recognise(header: &str) -> Option<Col> {
    let key =
        closer_domain::import::normalise(header.trim_start_matches('\u{feff}')).replace('_', " ");
    NAMES
        .iter()
        .find(|(n, _)| n.replace('_', " ") == key)
        .map(|(_, c)| *c)
}

/// Which column holds what: the mapping's field where it names one (`skip` reads past; the id
/// column is the order's), else the built-in names. `Err` names a field the mapping gets
/// wrong, or the columns a file needs and lacks.
fn columns(headers: &[&str], mapping: &Mapping) -> Result<BTreeMap<Col, usize>, String> {
    let mut at = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        let col = match mapping.column(h) {
            Some("skip") => None,
            Some(name) => Some(recognise(name).ok_or_else(|| {
                format!(
                    "columns.{h}: {name:?} is not a field of an order file (email, placed_at, currency, product, quantity, unit_price, order, skip)"
                )
            })?),
            None if mapping.id_column() == Some(normalise(h).as_str()) => Some(Col::Order),
            None => recognise(h),
        };
        if let Some(c) = col {
            at.entry(c).or_insert(i);
        }
    }
    if let Some(id) = mapping.id_column()
        && !headers.iter().any(|h| normalise(h) == id)
    {
        return Err(format!("id_column: the file has no column {id:?}"));
    }
    let missing: Vec<&str> = [
        (Col::Email, "email"),
        (Col::PlacedAt, "placed_at"),
        (Col::Currency, "currency"),
        (Col::Product, "product"),
        (Col::UnitPrice, "unit_price"),
    ]
    .iter()
    .filter(|(c, _)| !at.contains_key(c))
    .map(|(_, n)| *n)
    .collect();
    if missing.is_empty() {
        Ok(at)
    } else {
        Err(format!(
            "the file has no column for {} (closer reads email, placed_at, currency, product, quantity, unit_price, order; and Shopify's order export)",
            missing.join(", ")
        ))
    }
}

/// Checks a header row, as `read_orders` would.
pub fn read_header(headers: &[&str], mapping: &Mapping) -> Result<(), String> {
    columns(headers, mapping).map(|_| ())
}

/// An order assembled from its rows.
#[derive(Debug, Clone)]
pub struct PendingOrder {
    /// The order's id: the same file imported again names the same order.
    pub id: OrderId,
    pub email: Email,
    pub currency: Currency,
    pub placed_at: Timestamp,
    pub lines: Vec<LineInput>,
    /// The file line its first row is on.
    pub first_line: u64,
}

/// A whole file read: its orders, and the rows that cannot be imported (every row of an
/// order any of whose rows is wrong), in line order.
#[derive(Debug, Default)]
pub struct OrdersFile {
    pub headers: Vec<String>,
    pub rows: u64,
    pub orders: Vec<PendingOrder>,
    pub rejected: Vec<Rejected>,
    /// Bytes read.
    pub bytes: u64,
}

/// The id an imported order gets: time-ordered by when it was placed (as every id is), the
/// rest from the workspace and the order's key (its `order` reference, else its buyer, time
/// and currency).
pub fn order_id(ws: WorkspaceId, key: &str, placed_at: Timestamp) -> OrderId {
    let digest = Sha256::new()
        .chain_update(ws.0.as_bytes())
        .chain_update(key.as_bytes())
        .finalize();
    let mut bytes = [0u8; 10];
    bytes.copy_from_slice(&digest[..10]);
    let millis = u64::try_from(placed_at.unix_micros() / 1000).unwrap_or(0);
    OrderId(uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid())
}

fn placed_at(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    Timestamp::parse_rfc3339(raw)
        .or_else(|| {
            // Shopify: "2024-03-01 10:15:00 +0100".
            let format = time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
            );
            time::OffsetDateTime::parse(raw, &format)
                .ok()
                .map(Timestamp::new)
        })
        .or_else(|| {
            let date = closer_domain::parse_date("placed_at", raw).ok()?;
            Some(Timestamp::new(date.midnight().assume_utc()))
        })
}

struct Row {
    email: Email,
    currency: Currency,
    at: Timestamp,
    line: LineInput,
    reference: Option<String>,
}

fn cell<'a>(cells: &'a [&'a str], at: Option<usize>) -> &'a str {
    at.and_then(|i| cells.get(i)).map_or("", |c| c.trim())
}

fn parse_row(
    cells: &[&str],
    at: &BTreeMap<Col, usize>,
    now: Timestamp,
) -> Result<Row, Vec<String>> {
    let get = |c: Col| cell(cells, at.get(&c).copied());
    let mut errors = Vec::new();
    let email = Email::parse(get(Col::Email))
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let currency = Currency::parse("currency", get(Col::Currency))
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let placed = placed_at(get(Col::PlacedAt));
    match placed {
        None => errors.push(format!(
            "placed_at: {:?} is not a date (YYYY-MM-DD) or a time (RFC 3339)",
            get(Col::PlacedAt)
        )),
        Some(t) if t.unix_micros() > now.unix_micros() => {
            errors.push("placed_at: is in the future".into());
        }
        Some(_) => {}
    }
    let product = get(Col::Product);
    if product.is_empty() {
        errors.push("product: is empty".into());
    }
    let price = Amount::parse("unit_price", get(Col::UnitPrice))
        .map_err(|e| errors.push(e.to_string()))
        .ok();
    let quantity = match get(Col::Quantity) {
        "" => Some(1),
        q => q
            .parse::<i64>()
            .map_err(|_| errors.push(format!("quantity: {q:?} is not a whole number")))
            .ok(),
    };
    match (email, currency, placed, price, quantity) {
        (Some(email), Some(currency), Some(at), Some(unit_price), Some(quantity))
            if errors.is_empty() =>
        {
            Ok(Row {
                email,
                currency,
                at,
                line: LineInput {
                    product: product.to_owned(),
                    quantity,
                    unit_price,
                },
                reference: Some(get(Col::Order).to_owned()).filter(|r| !r.is_empty()),
            })
        }
        _ => Err(errors),
    }
}

/// An order being assembled, with its rows' cells (to set them aside if it is wrong).
struct Assembling {
    order: PendingOrder,
    rows: Vec<(u64, Vec<String>)>,
    problems: Vec<String>,
}

/// Reads a whole orders file. `Err` is a file closer cannot read at all (not CSV, or a
/// column it needs is missing); a wrong row is set aside with its order.
pub fn read_orders(
    input: impl std::io::Read,
    ws: WorkspaceId,
    now: Timestamp,
    mapping: &Mapping,
) -> Result<OrdersFile, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("cannot read the header: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let at = columns(&refs, mapping)?;
    let mut file = OrdersFile {
        headers,
        ..OrdersFile::default()
    };
    let mut orders: BTreeMap<String, Assembling> = BTreeMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(format!("line {line}: {e}"));
            }
        }
        file.rows += 1;
        if file.rows > MAX_ROWS {
            return Err(format!("more than {MAX_ROWS} rows; split the file"));
        }
        let line = record.position().map_or(0, csv::Position::line);
        let cells: Vec<&str> = record.iter().map(csv_cell::restore).collect();
        let owned = || record.iter().map(str::to_owned).collect::<Vec<_>>();
        let row = match parse_row(&cells, &at, now) {
            Ok(row) => row,
            Err(reasons) => {
                file.rejected.push(Rejected {
                    line,
                    cells: owned(),
                    reasons,
                });
                continue;
            }
        };
        let key = row.reference.clone().unwrap_or_else(|| {
            format!(
                "{}|{}|{}",
                row.email.as_str(),
                row.at.unix_micros(),
                row.currency
            )
        });
        let entry = orders.entry(key.clone()).or_insert_with(|| Assembling {
            order: PendingOrder {
                id: order_id(ws, &key, row.at),
                email: row.email.clone(),
                currency: row.currency,
                placed_at: row.at,
                lines: Vec::new(),
                first_line: line,
            },
            rows: Vec::new(),
            problems: Vec::new(),
        });
        if entry.order.email != row.email || entry.order.currency != row.currency {
            entry.problems.push(format!(
                "order {key:?} has another email or currency on line {}",
                entry.order.first_line
            ));
        }
        entry.order.lines.push(row.line);
        entry.rows.push((line, owned()));
    }
    file.bytes = reader.position().byte();
    for (_, mut a) in orders {
        // The lines of each order are checked as an order (quantities, products, totals).
        if let Err(errors) = closer_domain::pipeline::parse_lines(&a.order.lines) {
            a.problems.extend(errors.into_iter().map(|e| e.to_string()));
        }
        if a.problems.is_empty() {
            file.orders.push(a.order);
        } else {
            let first = a.order.first_line;
            for (line, cells) in a.rows {
                let mut reasons = a.problems.clone();
                if line != first {
                    reasons.insert(0, format!("is part of the order starting line {first}"));
                }
                file.rejected.push(Rejected {
                    line,
                    cells,
                    reasons,
                });
            }
        }
    }
    file.rejected.sort_by_key(|r| r.line);
    file.orders.sort_by_key(|o| o.first_line);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> OrdersFile {
        read_orders(
            text.as_bytes(),
            WorkspaceId(uuid::Uuid::nil()),
            Timestamp::now(),
            &Mapping::default(),
        )
        .unwrap()
    }

    #[test]
    fn rows_of_one_order_make_one_order_with_a_stable_id() {
        let text = "Email,Date,Currency,Product,Quantity,Unit Price,Order\n\
                    ada@example.com,2024-03-01,EUR,Tea,2,4.50,#1001\n\
                    ada@example.com,2024-03-01,EUR,Cup,1,12,#1001\n\
                    bob@example.com,2024-03-02,EUR,Tea,1,4.50,\n";
        let a = read(text);
        let b = read(text);
        assert_eq!(a.rows, 3);
        assert!(a.rejected.is_empty(), "{:?}", a.rejected);
        assert_eq!(a.orders.len(), 2);
        assert_eq!(a.orders[0].lines.len(), 2);
        let ids: Vec<OrderId> = a.orders.iter().map(|o| o.id).collect();
        assert_eq!(
            ids,
            b.orders.iter().map(|o| o.id).collect::<Vec<_>>(),
            "same file, same ids"
        );
        let other = read_orders(
            text.as_bytes(),
            WorkspaceId(uuid::Uuid::max()),
            Timestamp::now(),
            &Mapping::default(),
        )
        .unwrap();
        assert_ne!(
            other.orders[0].id, a.orders[0].id,
            "another workspace, other ids"
        );
    }

    #[test]
    fn shopify_columns_are_read() {
        let text = "Name,Email,Created at,Currency,Lineitem quantity,Lineitem name,Lineitem price\n\
                    #1001,ada@example.com,2024-03-01 10:15:00 +0100,EUR,1,Tea,4.50\n";
        let f = read(text);
        assert!(f.rejected.is_empty(), "{:?}", f.rejected);
        assert_eq!(f.orders[0].placed_at.unix_micros(), 1_709_284_500_000_000);
    }

    #[test]
    fn a_wrong_row_sets_its_whole_order_aside_with_every_reason() {
        let text = "email,placed_at,currency,product,unit_price,order\n\
                    ada@example.com,2024-03-01,EUR,Tea,4.50,A\n\
                    ada@example.com,2024-03-01,USD,Cup,3,A\n\
                    not-an-email,someday,EUR,,x,B\n\
                    bob@example.com,2999-01-01,EUR,Tea,1,C\n\
                    cat@example.com,2024-03-01,EUR,Tea,1,D\n";
        let f = read(text);
        assert_eq!(f.orders.len(), 1, "only D is whole");
        let lines: Vec<u64> = f.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert!(
            f.rejected[1]
                .reasons
                .iter()
                .any(|r| r.contains("another email or currency"))
        );
        assert_eq!(
            f.rejected[2].reasons.len(),
            4,
            "{:?}",
            f.rejected[2].reasons
        );
        assert!(f.rejected[3].reasons[0].contains("future"));
    }

    #[test]
    fn a_file_without_a_needed_column_is_refused() {
        let e = read_orders(
            "Email,Total\nada@example.com,3\n".as_bytes(),
            WorkspaceId::new(),
            Timestamp::now(),
            &Mapping::default(),
        )
        .unwrap_err();
        assert!(
            e.contains("placed_at, currency, product, unit_price"),
            "{e}"
        );
    }
}
