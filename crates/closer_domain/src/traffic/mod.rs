//! Traffic: tracked sites, page hits and their sources, visitors and sessions.
//!
//! Everything an ingestion endpoint needs to turn a raw event into a hit worth storing lives
//! here, pure: URL and UTM parsing (`url`), the channel rule table (`channel`), bot and spam
//! filters (`filter`), visitor keys and the cookieless hash (`visitor`), and the 30-minute
//! session rule (`session`). Interfaces parse their own wire formats into `HitInput`.

pub mod channel;
pub mod filter;
pub mod hit;
pub mod session;
pub mod site;
pub mod url;
pub mod visitor;
pub mod visitor_days;

pub use channel::{Attribution, Channel, source_name};
pub use hit::{Hit, HitInput, HitKind, Props, Revenue};
pub use session::{SessionId, SessionKey, SessionState, SessionWrite, Sessionized, sessionize};
pub use site::{SiteDomain, SiteId};
pub use url::{ClickId, PageUrl, Utm};
pub use visitor::VisitorKey;
pub use visitor_days::{VisitorDay, new_visitor_days};
