//! Possible duplicates: two contacts that may be one person, for someone to merge or
//! dismiss — never merged by closer on its own.

use serde::Serialize;

use crate::{ContactId, Timestamp};

/// Why two contacts may be one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// One capture or import named an email of one and a phone (or email) of the other.
    SharedIdentity,
    /// The same name at the same company.
    NameAtCompany,
}

impl DuplicateReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateReason::SharedIdentity => "shared_identity",
            DuplicateReason::NameAtCompany => "name_at_company",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "shared_identity" => Some(DuplicateReason::SharedIdentity),
            "name_at_company" => Some(DuplicateReason::NameAtCompany),
            _ => None,
        }
    }

    /// What the reason means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            DuplicateReason::SharedIdentity => "one submission named an email or phone of each",
            DuplicateReason::NameAtCompany => "the same name at the same company",
        }
    }
}

/// A pair of contacts that may be one person, in id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PossibleDuplicate {
    pub a: ContactId,
    pub b: ContactId,
    pub reason: DuplicateReason,
    pub found_at: Timestamp,
}

/// The pair of two distinct contacts in the order it is stored (by id); `None` for one
/// contact twice.
pub fn pair(x: ContactId, y: ContactId) -> Option<(ContactId, ContactId)> {
    match x.0.cmp(&y.0) {
        std::cmp::Ordering::Less => Some((x, y)),
        std::cmp::Ordering::Greater => Some((y, x)),
        std::cmp::Ordering::Equal => None,
    }
}

/// The distinct pairs of `target` with each of `others`, in stored order.
pub fn pairs_with(target: ContactId, others: &[ContactId]) -> Vec<(ContactId, ContactId)> {
    let mut out: Vec<_> = others.iter().filter_map(|o| pair(target, *o)).collect();
    out.sort_unstable_by_key(|(a, b)| (a.0, b.0));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_stored_in_id_order_once() {
        let (x, y) = (ContactId::new(), ContactId::new());
        assert_eq!(pair(x, y), pair(y, x));
        assert_eq!(pair(x, x), None);
        let (a, b) = pair(x, y).unwrap();
        assert!(a.0 < b.0);
        assert_eq!(pairs_with(x, &[y, y, x]), vec![(a, b)]);
    }
}
