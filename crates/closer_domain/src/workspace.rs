//! Workspaces (tenants) and the roles a token or user holds in one.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::access::{Action, Reach, reach};

/// A workspace's URL-safe name: 2–40 of `a-z 0-9 -`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub const DEFAULT: &'static str = "default";

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok_len = (2..=40).contains(&raw.len());
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let ok_start = raw.bytes().next().is_some_and(|b| b != b'-');
        if ok_len && ok_chars && ok_start {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "slug",
                format!(
                    "{raw:?} is not a slug: use 2 to 40 lowercase letters, digits and dashes, not starting with a dash"
                ),
            ))
        }
    }

    pub fn default_slug() -> Self {
        Self(Self::DEFAULT.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> Self {
        s.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an API token may do. `Admin` also manages forms and settings; `Member` works contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            other => Err(FieldError::new(
                "role",
                format!("{other:?} is not a role; use admin or member"),
            )),
        }
    }
}

/// What a person signed in to the web app may see and do. Stored on `users.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Everything, settings and users included.
    Admin,
    /// Every contact and deal, and the reports; no settings.
    Manager,
    /// Their own deals and contacts, the unassigned queue, their own tasks.
    Rep,
    /// Reports, traffic, sites and forms; no pipeline work.
    Marketer,
}

impl UserRole {
    pub const ALL: [UserRole; 4] = [
        UserRole::Admin,
        UserRole::Manager,
        UserRole::Rep,
        UserRole::Marketer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Admin => "admin",
            UserRole::Manager => "manager",
            UserRole::Rep => "rep",
            UserRole::Marketer => "marketer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| {
                FieldError::new(
                    "role",
                    format!("{raw:?} is not a role; use admin, manager, rep or marketer"),
                )
            })
    }

    /// Whether every deal and contact shows, not only the user's own and unassigned ones.
    pub fn sees_everyone(self) -> bool {
        reach(self, Action::ReadContacts) == Reach::Everyone
    }

    /// Whether the user works leads and deals (logs calls, moves deals, takes leads).
    pub fn sells(self) -> bool {
        reach(self, Action::ReadPipeline) != Reach::Nobody
    }

    /// Whether the user changes settings: sites, forms, rules, pipelines, users, tokens.
    pub fn configures(self) -> bool {
        reach(self, Action::Configure) == Reach::Everyone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("acme-2").is_ok());
        for bad in ["", "a", "-acme", "Acme", "acme_co", &"a".repeat(41)] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
