//! Who may do what: one table of role × action, read by every use case (the web app, the API
//! and the CLI all pass through it). A cell says how far the role reaches: nowhere, its own
//! records (a rep's own deals and tasks; for contacts, also the unassigned ones of the queue),
//! or everyone's.
//!
//! API tokens act as a role too: an admin token as `Admin`, a member token as `Manager`
//! (every contact and deal, no settings). The CLI on the server's host acts as `Admin`.

use crate::UserId;
use crate::workspace::UserRole;

/// Everything a person or a token can do, grouped where the roles never differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Open contacts, their timelines and explanations.
    ReadContacts,
    /// Create contacts and change their fields, stage, consent and owner.
    EditContacts,
    /// Hand contacts to an owner in bulk.
    AssignContacts,
    /// Erase a contact and everything about them.
    EraseContacts,
    /// Take an unassigned lead from the queue.
    TakeLeads,
    /// See the queue, the board, deals and tasks.
    ReadPipeline,
    /// Log calls, emails, meetings, demos and notes on a contact, and open deals on it.
    WorkContacts,
    /// Edit, move, win and lose deals; place orders.
    WorkDeals,
    /// Create, complete, reopen and reschedule tasks.
    WorkTasks,
    /// The dashboard, the reports and the traffic report.
    ReadReports,
    /// Sites, forms, qualification rules, pipelines and loss reasons, users and tokens.
    Configure,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::ReadContacts,
        Action::EditContacts,
        Action::AssignContacts,
        Action::EraseContacts,
        Action::TakeLeads,
        Action::ReadPipeline,
        Action::WorkContacts,
        Action::WorkDeals,
        Action::WorkTasks,
        Action::ReadReports,
        Action::Configure,
    ];

    /// What a refusal says the action is.
    pub fn describe(self) -> &'static str {
        match self {
            Action::ReadContacts => "open this contact",
            Action::EditContacts => "edit contacts",
            Action::AssignContacts => "assign contacts",
            Action::EraseContacts => "erase contacts",
            Action::TakeLeads => "take leads",
            Action::ReadPipeline => "see the pipeline",
            Action::WorkContacts => "work this contact",
            Action::WorkDeals => "work this deal",
            Action::WorkTasks => "work this task",
            Action::ReadReports => "see reports",
            Action::Configure => "change settings",
        }
    }
}

/// How far a role reaches for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Nobody,
    /// Records the user owns (or, for contacts, that nobody owns yet).
    Own,
    Everyone,
}

/// The table, role by role.
#[allow(clippy::match_same_arms)] // one row per role reads as the table; merged arms would not
pub fn reach(role: UserRole, action: Action) -> Reach {
    use Action::{
        AssignContacts, Configure, EditContacts, EraseContacts, ReadContacts, ReadPipeline,
        ReadReports, TakeLeads, WorkContacts, WorkDeals, WorkTasks,
    };
    use Reach::{Everyone, Nobody, Own};
    match (role, action) {
        (UserRole::Admin, _) => Everyone,
        (UserRole::Manager, Configure | EraseContacts) => Nobody,
        (UserRole::Manager, _) => Everyone,
        (UserRole::Rep, ReadReports | TakeLeads) => Everyone,
        (
            UserRole::Rep,
            ReadContacts | EditContacts | ReadPipeline | WorkContacts | WorkDeals | WorkTasks,
        ) => Own,
        (UserRole::Rep, AssignContacts | EraseContacts | Configure) => Nobody,
        (UserRole::Marketer, ReadContacts | EditContacts | ReadReports) => Everyone,
        (
            UserRole::Marketer,
            AssignContacts | EraseContacts | TakeLeads | ReadPipeline | WorkContacts | WorkDeals
            | WorkTasks | Configure,
        ) => Nobody,
    }
}

/// Whether `user` acting as `role` may do `action` on a record owned by `owner`. `user` is
/// `None` for a token or the CLI, which never reach only their own records.
pub fn allows(role: UserRole, user: Option<UserId>, action: Action, owner: Option<UserId>) -> bool {
    match reach(role, action) {
        Reach::Nobody => false,
        Reach::Everyone => true,
        Reach::Own => {
            let contacts = matches!(
                action,
                Action::ReadContacts | Action::EditContacts | Action::WorkContacts
            );
            match (user, owner) {
                (Some(u), Some(o)) => u == o,
                // An unassigned contact is the queue's: any seller may open and work it.
                (Some(_), None) => contacts,
                (None, _) => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table as people read it (README "Roles"), one line per role: N nobody, O own,
    /// E everyone, in `Action::ALL`'s order.
    #[test]
    fn the_table() {
        let line = |role| {
            Action::ALL
                .iter()
                .map(|a| match reach(role, *a) {
                    Reach::Nobody => 'N',
                    Reach::Own => 'O',
                    Reach::Everyone => 'E',
                })
                .collect::<String>()
        };
        assert_eq!(line(UserRole::Admin), "EEEEEEEEEEE");
        assert_eq!(line(UserRole::Manager), "EEENEEEEEEN");
        assert_eq!(line(UserRole::Rep), "OONNEOOOOEN");
        assert_eq!(line(UserRole::Marketer), "EENNNNNNNEN");
    }

    #[test]
    fn own_means_the_users_records_and_the_queues_contacts() {
        let (me, other) = (UserId::new(), UserId::new());
        let rep = UserRole::Rep;
        assert!(allows(rep, Some(me), Action::WorkTasks, Some(me)));
        assert!(!allows(rep, Some(me), Action::WorkTasks, Some(other)));
        assert!(!allows(rep, Some(me), Action::WorkTasks, None));
        assert!(allows(rep, Some(me), Action::WorkContacts, None));
        assert!(!allows(rep, Some(me), Action::WorkContacts, Some(other)));
        assert!(!allows(rep, None, Action::WorkDeals, None));
        assert!(allows(
            UserRole::Manager,
            None,
            Action::WorkDeals,
            Some(other)
        ));
        assert!(!allows(
            UserRole::Marketer,
            Some(me),
            Action::WorkTasks,
            Some(me)
        ));
    }
}
