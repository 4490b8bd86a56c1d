//! Typed identifiers. All are UUIDv7 (time-ordered, so keyset pagination and index locality are free).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A workspace: the tenant every row belongs to.
    WorkspaceId
);
id_type!(
    /// A person known to closer (lead, prospect, customer…).
    ContactId
);
id_type!(
    /// A company (account) people work for.
    CompanyId
);
id_type!(
    /// A user of a workspace (rep, manager, owner).
    UserId
);
id_type!(
    /// A lead-capture form.
    FormId
);
id_type!(
    /// An API token (the id, never the secret).
    TokenId
);
id_type!(
    /// One event on a contact's timeline.
    EventId
);
id_type!(
    /// A sales pipeline (its ordered deal stages).
    PipelineId
);
id_type!(
    /// One stage of a pipeline.
    PipelineStageId
);
id_type!(
    /// A deal: one sale being worked.
    DealId
);
id_type!(
    /// A logged call, email, meeting, demo or note.
    ActivityId
);
id_type!(
    /// A follow-up task.
    TaskId
);
id_type!(
    /// An order a customer placed.
    OrderId
);
id_type!(
    /// An import of a file (`POST /api/v1/imports`), with its progress and outcome.
    ImportJobId
);
