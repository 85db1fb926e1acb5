//! The routes: one page per step of the clerk's month, each calling the application layer and
//! showing its result. Security is not here but in [`super::guard`], around every route.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension, Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::guard::Visitor;
use super::session::State as Shared;
use super::view::{self, PAGES};
use super::{assets, files, guard, issue, mail, purge, records, settings, upload};
use crate::ground::i18n::Lang;

type AppState = State<Arc<Shared>>;

pub fn router(state: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/lang", post(set_lang))
        .route("/quit", post(quit))
        .route("/issue", get(issue::page))
        .route("/issue/check", post(issue::check).layer(DefaultBodyLimit::max(upload::BODY_LIMIT)))
        .route("/issue/rejected.xlsx", get(issue::rejected))
        .route("/issue/confirm", get(issue::confirm))
        .route("/issue/run", post(issue::start))
        .route("/issue/progress", get(issue::progress))
        .route("/issue/progress.json", get(issue::progress_json))
        .route("/issue/done", get(issue::done))
        .route("/batch/{id}/{which}", get(files::batch_file))
        .route("/mail", get(mail::page))
        .route("/mail/preview", post(mail::preview).layer(DefaultBodyLimit::max(upload::BODY_LIMIT)))
        .route("/mail/preview/correct", post(mail::preview_corrections))
        .route("/mail/import", post(mail::import))
        .route("/mail/returned", post(mail::returned))
        .route("/mail/scan", post(mail::scan))
        .route("/settings", get(settings::page).post(settings::save))
        .route("/settings/calibrate.pdf", get(settings::calibrate))
        .route("/purge", get(purge::page))
        .route("/purge/{id}", get(purge::plan).post(purge::purge))
        .route("/lookup", get(records::lookup))
        .route("/history", get(records::history))
        .route("/audit", get(records::audit))
        .route("/audit/verify", post(records::verify))
        .route("/audit/export", post(records::export))
        .route("/assets/tsuchi.css", get(assets::css))
        .route("/assets/tsuchi.js", get(assets::js))
        .route("/assets/ipaexg.ttf", get(assets::font))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::layer))
        .with_state(state)
}

/// The first page: the settings on a first start (no tsuchi.toml yet), else the month's work.
async fn home(State(state): AppState) -> Redirect {
    let dropped = state.desk.lock().map(|d| d.checked.is_some()).unwrap_or(false);
    if dropped || state.settings_file().exists() { Redirect::to("/issue") } else { Redirect::to("/settings") }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "404 Not Found\n").into_response()
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    back: String,
}

/// The page's language switch; back to the page it was pressed on.
async fn set_lang(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<LangForm>,
) -> Redirect {
    if let Some(lang) = Lang::parse(&form.lang) {
        state.set_lang(&visitor.id, lang);
    }
    let back = PAGES.iter().map(|(p, _, _)| *p).find(|p| *p == form.back).unwrap_or("/");
    Redirect::to(back)
}

/// 「終了」: the server stops once this page is sent (a batch under way finishes first).
async fn quit(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    state.stop();
    view::bare(visitor.session.lang, StatusCode::OK, "stopped.html.tera")
}
