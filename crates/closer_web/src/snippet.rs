//! HTML for lead-capture forms: the snippet to paste into a landing page, and the small
//! pages a plain (no-JavaScript) form post lands on.

use std::fmt::Write;

use closer_domain::FieldError;
use closer_store::Form;

/// Escapes text for HTML element content and attribute values.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where the form posts: `{public_url}/f/{key}`.
pub fn action_url(form: &Form, public_url: &str) -> String {
    format!("{}/f/{}", public_url.trim_end_matches('/'), form.key)
}

/// A plain HTML form that works with no JavaScript; style it as you like.
pub fn form_snippet(form: &Form, public_url: &str) -> String {
    format!(
        r#"<!-- closer lead form: {name} -->
<form action="{action}" method="post">
  <label>Name <input name="name" autocomplete="name"></label>
  <label>Email <input type="email" name="email" required autocomplete="email"></label>
  <label>Phone <input type="tel" name="phone" autocomplete="tel"></label>
  <label>Company <input name="company" autocomplete="organization"></label>
  <label><input type="checkbox" name="consent" value="yes"> Send me news and offers</label>
  <!-- The visitor, for stitching: closer.js fills in its visitor id; "auto" matches a
       cookieless tracker's visitor of today (Plausible's script, closer.js data-cookieless). -->
  <input type="hidden" name="_closer_vid" value="auto">
  <!-- Leave this field hidden and empty: bots fill it in, people never see it. -->
  <input type="text" name="_gotcha" tabindex="-1" autocomplete="off" aria-hidden="true" style="position:absolute;left:-10000px">
  <button type="submit">Send</button>
</form>
"#,
        name = escape(&form.name),
        action = escape(&action_url(form, public_url)),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}}</style>\
         </head><body>{body}</body></html>",
        title = escape(title),
    )
}

/// Shown after a successful post when the form has no redirect URL.
pub fn thank_you_page(form_name: &str) -> String {
    page(
        "Thank you",
        &format!(
            "<h1>Thank you!</h1><p>We received your details ({}) and will be in touch soon.</p>",
            escape(form_name)
        ),
    )
}

/// Shown to a person whose post was refused, with what to fix.
pub fn error_page(title: &str, errors: &[FieldError], detail: &str) -> String {
    let items = errors.iter().fold(String::new(), |mut out, e| {
        let _ = write!(
            out,
            "<li><strong>{}</strong>: {}</li>",
            escape(&e.field),
            escape(&e.message)
        );
        out
    });
    let list = if items.is_empty() {
        format!("<p>{}</p>", escape(detail))
    } else {
        format!("<ul>{items}</ul>")
    };
    page(
        title,
        &format!(
            "<h1>{}</h1>{list}<p>Please go back, correct the form and send it again.</p>",
            escape(title)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
    }
}
