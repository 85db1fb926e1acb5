//! The pages' HTML: Tera templates from `templates/web/`, compiled in, one Tera per language so
//! that `t(key="web.…")` in a template says the catalogue's text in the session's language.
//! Autoescaping is on for every page: a cell of the clerk's list is shown, never run.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tera::{Context, Tera, Value};

use super::session::Session;
use crate::ground::i18n::{self, Lang};

/// Every template, by its name under `templates/web/`.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html.tera", include_str!("../../templates/web/base.html.tera")),
    ("forbidden.html.tera", include_str!("../../templates/web/forbidden.html.tera")),
    ("stopped.html.tera", include_str!("../../templates/web/stopped.html.tera")),
    ("settings.html.tera", include_str!("../../templates/web/settings.html.tera")),
    ("issue.html.tera", include_str!("../../templates/web/issue.html.tera")),
    ("issue_confirm.html.tera", include_str!("../../templates/web/issue_confirm.html.tera")),
    ("issue_progress.html.tera", include_str!("../../templates/web/issue_progress.html.tera")),
    ("issue_done.html.tera", include_str!("../../templates/web/issue_done.html.tera")),
    ("presort.html.tera", include_str!("../../templates/web/presort.html.tera")),
    ("mail.html.tera", include_str!("../../templates/web/mail.html.tera")),
    ("lookup.html.tera", include_str!("../../templates/web/lookup.html.tera")),
    ("history.html.tera", include_str!("../../templates/web/history.html.tera")),
    ("audit.html.tera", include_str!("../../templates/web/audit.html.tera")),
    ("purge.html.tera", include_str!("../../templates/web/purge.html.tera")),
    ("purge_plan.html.tera", include_str!("../../templates/web/purge_plan.html.tera")),
];

/// The pages of the nav, in the clerk's order: (path, template, catalogue key of its name).
pub const PAGES: &[(&str, &str, &str)] = &[
    ("/settings", "settings.html.tera", "web.nav.settings"),
    ("/issue", "issue.html.tera", "web.nav.issue"),
    ("/mail", "mail.html.tera", "web.nav.mail"),
    ("/lookup", "lookup.html.tera", "web.nav.lookup"),
    ("/history", "history.html.tera", "web.nav.history"),
    ("/audit", "audit.html.tera", "web.nav.audit"),
    ("/purge", "purge.html.tera", "web.nav.purge"),
];

static VIEWS: LazyLock<[Tera; 2]> = LazyLock::new(|| [views(Lang::Ja), views(Lang::En)]);

fn views(lang: Lang) -> Tera {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html.tera"]);
    // The templates are compiled in and rendered by the tests: a broken one is a build defect.
    if let Err(e) = tera.add_raw_templates(TEMPLATES.iter().copied()) {
        panic!("templates/web: {e:?}");
    }
    tera.register_function("t", move |args: &HashMap<String, Value>| text(lang, args));
    tera
}

/// `t(key="web.nav.issue", count=3)`: the catalogue's message in the page's language, its
/// placeholders filled from the other arguments.
fn text(lang: Lang, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let key = args.get("key").and_then(Value::as_str).ok_or("t(): no key")?;
    let entry = i18n::catalogue().get(key).ok_or_else(|| format!("t(): no message {key}"))?;
    let template = match lang {
        Lang::Ja => &entry.ja,
        Lang::En => &entry.en,
    };
    let values: Vec<(&str, String)> = args
        .iter()
        .filter(|(name, _)| name.as_str() != "key")
        .map(|(name, value)| {
            let shown = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name.as_str(), shown)
        })
        .collect();
    let refs: Vec<(&str, &dyn Display)> = values.iter().map(|(n, v)| (*n, v as &dyn Display)).collect();
    Ok(Value::String(i18n::fill(template, &refs)))
}

/// A page in the session's language: `template` with `context` and what every page has (the
/// nav, the CSRF token, the language).
pub fn page(session: &Session, path: &str, template: &str, mut context: Context) -> Response {
    context.insert("csrf", &session.csrf);
    context.insert("lang", session.lang.code());
    context.insert("here", path);
    let nav: Vec<HashMap<&str, &str>> =
        PAGES.iter().map(|(p, _, key)| HashMap::from([("path", *p), ("key", *key)])).collect();
    context.insert("nav", &nav);
    render(session.lang, StatusCode::OK, template, &context)
}

/// A page outside a session (the refusal, the goodbye).
pub fn bare(lang: Lang, status: StatusCode, template: &str) -> Response {
    let mut context = Context::new();
    context.insert("lang", lang.code());
    render(lang, status, template, &context)
}

fn render(lang: Lang, status: StatusCode, template: &str, context: &Context) -> Response {
    let tera = &VIEWS[lang as usize];
    match i18n::with_lang(lang, || tera.render(template, context)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            let mut detail = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(inner) = source {
                detail.push_str(&format!(": {inner}"));
                source = inner.source();
            }
            super::log(&crate::msg!("web.log.template", template, detail));
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of a rendered page (a complete, in-memory body).
    fn body_of(response: Response) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let bytes = runtime.block_on(axum::body::to_bytes(response.into_body(), usize::MAX)).unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn every_page_renders_in_both_languages() {
        for lang in Lang::ALL {
            let session = Session { csrf: "c".into(), lang };
            for (path, template, _) in PAGES {
                let response = page(&session, path, template, Context::new());
                assert_eq!(response.status(), StatusCode::OK, "{path} {lang:?}");
            }
            // A cell of the clerk's list is shown, never run.
            let mut context = Context::new();
            context.insert("error", "<script>alert(1)</script>");
            let response = page(&session, "/issue", "issue.html.tera", context);
            let body = body_of(response);
            assert!(body.contains("&lt;script&gt;") && !body.contains("<script>alert"), "{body}");
            for template in ["forbidden.html.tera", "stopped.html.tera"] {
                assert_eq!(bare(lang, StatusCode::OK, template).status(), StatusCode::OK);
            }
        }
    }
}
