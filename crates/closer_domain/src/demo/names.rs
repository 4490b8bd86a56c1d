//! Who the demo's people are: a human name and job title for each lead, and one of
//! `COMPANIES` companies with a name, an industry and a web domain their e-mail is at. Drawn
//! with `fake` from a generator seeded by the person's (or company's) number, so a lead is
//! the same person in every fill, however the fill is split or ordered.

use fake::Fake;
use fake::faker::company::en::{CompanyName, Industry};
use fake::faker::job::en::Title;
use fake::faker::name::en::{FirstName, LastName};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Companies the demo's leads work at (lead `i` at company `i % COMPANIES`).
pub const COMPANIES: usize = 997;

/// Separate streams for people and companies: person 3 and company 3 are unrelated.
const PEOPLE_STREAM: u64 = 0x7065_6f70_6c65_0000;
const COMPANY_STREAM: u64 = 0x636f_6d70_616e_7900;

/// A lead as their form said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLead {
    pub first_name: String,
    pub name: String,
    pub job_title: String,
    /// `first.last@company-domain`, with the lead's number at the company when it is not
    /// their first (`ada.lovelace3@…`): every lead's address is theirs alone.
    pub email: String,
    pub company: DemoCompany,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCompany {
    pub name: String,
    pub industry: String,
    /// `name-words-N.example`: `N` keeps two companies of one name apart.
    pub domain: String,
}

/// Lowercase ASCII letters and digits of `s`, its words joined by `sep`.
fn slug(s: &str, sep: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(sep)
}

/// Company `c` (taken modulo `COMPANIES`), drawn once.
pub fn company(c: usize) -> &'static DemoCompany {
    static ALL: std::sync::OnceLock<Vec<DemoCompany>> = std::sync::OnceLock::new();
    &ALL.get_or_init(|| (0..COMPANIES).map(draw_company).collect())[c % COMPANIES]
}

fn draw_company(c: usize) -> DemoCompany {
    let mut rng = StdRng::seed_from_u64(COMPANY_STREAM ^ c as u64);
    let name: String = CompanyName().fake_with_rng(&mut rng);
    let industry: String = Industry().fake_with_rng(&mut rng);
    let domain = format!("{}-{c}.example", slug(&name, "-"));
    DemoCompany {
        name,
        industry,
        domain,
    }
}

/// Lead `i`.
pub fn lead(i: usize) -> DemoLead {
    let mut rng = StdRng::seed_from_u64(PEOPLE_STREAM ^ i as u64);
    let first: String = FirstName().fake_with_rng(&mut rng);
    let last: String = LastName().fake_with_rng(&mut rng);
    let job_title: String = Title().fake_with_rng(&mut rng);
    let company = company(i).clone();
    let nth = i / COMPANIES;
    let local = format!("{}.{}", slug(&first, ""), slug(&last, ""));
    let email = if nth == 0 {
        format!("{local}@{}", company.domain)
    } else {
        format!("{local}{nth}@{}", company.domain)
    };
    DemoLead {
        name: format!("{first} {last}"),
        first_name: first,
        job_title,
        email,
        company,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads_are_people_at_companies_and_the_same_each_time() {
        let a = lead(17_633);
        assert_eq!(a, lead(17_633));
        assert_ne!(a.name, lead(17_634).name);
        assert!(
            a.name.contains(' ') && !a.name.contains("Demo"),
            "{}",
            a.name
        );
        assert!(a.name.starts_with(&a.first_name));
        assert!(!a.job_title.is_empty());
        assert_eq!(&a.company, company(17_633 % COMPANIES));
        assert!(
            a.email
                .ends_with(&format!("{}@{}", 17_633 / COMPANIES, a.company.domain)),
            "{}",
            a.email
        );
        assert!(crate::Email::parse(&a.email).is_ok(), "{}", a.email);
        assert!(!lead(5).email.split('@').next().unwrap().ends_with('0'));
    }

    #[test]
    fn every_address_is_one_leads() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..(3 * COMPANIES) {
            let l = lead(i);
            assert!(crate::Email::parse(&l.email).is_ok(), "{}", l.email);
            assert!(seen.insert(l.email.clone()), "{} twice", l.email);
        }
        let domains: std::collections::HashSet<_> =
            (0..COMPANIES).map(|c| company(c).domain.clone()).collect();
        assert_eq!(domains.len(), COMPANIES);
    }
}
