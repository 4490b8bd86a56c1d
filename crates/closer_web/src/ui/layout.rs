//! The page shell every signed-in page shares: the navigation (what the user's role may
//! open), the search box, the sign-out form, and the stylesheet and script.

use closer_app::WebUser;
use maud::{DOCTYPE, Markup, html};

use super::assets::{CSS_PATH, JS_PATH};

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
