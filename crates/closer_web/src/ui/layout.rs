//! The page shell every signed-in page shares: the navigation (what the user's role may
//! open), the search box, the sign-out form, and the stylesheet and script.

use closer_app::WebUser;
use maud::{DOCTYPE, Markup, html};

use super::assets::{CSS_PATH, JS_PATH};

/// The bell, drawn inline (an emoji needs a font the machine may not have).
const BELL: &str = r#"<svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="currentColor"><path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1z"/></svg>"#;

/// The navigation's entries: `(path, label, shown to the role)`.
fn nav(user: &WebUser) -> Vec<(&'static str, &'static str)> {
    let mut items = vec![("/", "Dashboard")];
    if user.role.sells() {
        items.push(("/queue", "Queue"));
        items.push(("/board", "Board"));
    }
    items.push(("/contacts", "Contacts"));
    items.push(("/companies", "Companies"));
    if user.role.sells() {
        items.push(("/tasks", "Tasks"));
    }
    items.push(("/reports", "Reports"));
    if user.role.configures() {
        items.push(("/settings", "Settings"));
    }
    items
}

/// What every page's `<head>` starts with: encoding, viewport, title, the stylesheet.
pub fn head(title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · closer" }
        link rel="stylesheet" href=(CSS_PATH);
    }
}

/// A whole page. `active` is the navigation entry to mark; `scripts` adds Chart.js where a
/// page draws charts.
pub fn page(user: &WebUser, title: &str, active: &str, charts: bool, content: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (head(title))
                @if charts {
                    script src=(super::assets::CHART_PATH) defer {}
                }
                script src=(JS_PATH) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "closer" }
                    nav aria-label="Main" {
                        ul {
                            @for (path, label) in nav(user) {
                                li {
                                    a href=(path) aria-current=[(path == active).then_some("page")] { (label) }
                                }
                            }
                        }
                    }
                    a.bell href="/notifications" aria-current=[("/notifications" == active).then_some("page")]
                        aria-label=(format!("Notifications, {} unread", user.unread)) {
                        (maud::PreEscaped(BELL))
                        @if user.unread > 0 { span.count aria-hidden="true" { (user.unread) } }
                    }
                    form.site-search method="get" action="/search" role="search" {
                        label for="site-search" { "Search" }
                        input #site-search type="search" name="q" maxlength="200" autocomplete="off"
                            placeholder="Name, email, phone, company…" aria-keyshortcuts="/"
                            aria-controls="search-suggest";
                        button type="submit" { "Find" }
                        div #search-suggest.suggest hidden {}
                    }
                    div.who {
                        span { (user.user.name) " · " (user.role.as_str()) }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(user.session.csrf);
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main #main { (content) }
            }
        }
    }
}
