//! 廃棄: per batch, what purging deletes (every file that holds or opens with a password) and
//! which envelopes are still unaccounted for; the clerk confirms, with a reason when some are.
//! The redacted archive and the record stay.

use std::sync::Arc;

use axum::extract::{Extension, Form, Path as UrlPath, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tera::Context;

use super::guard::Visitor;
use super::records::blocking;
use super::session::State as Shared;
use super::view;
use crate::app;
use crate::msg;

type AppState = State<Arc<Shared>>;

/// GET /purge: the batches not purged yet.
pub async fn page(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    let mut context = Context::new();
    let root = state.root();
    match blocking(&visitor, move || {
        Ok(app::status::batches(&root)?
            .iter()
            .filter(|b| !b.status.purged)
            .map(|b| {
                let s = &b.status;
                json!({ "id": b.id, "issue_date": b.issue_date, "paper": s.paper, "sent": s.sent,
                        "returned": s.returned, "unaccounted": s.not_yet_sent.len() })
            })
            .collect::<Vec<_>>())
    })
    .await
    {
        Ok(batches) => context.insert("batches", &batches),
        Err(message) => context.insert("error", &message),
    }
    view::page(&visitor.session, "/purge", "purge.html.tera", context)
}

/// GET /purge/{id}: what purging the batch would delete, and what is unaccounted for.
pub async fn plan(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    if !super::files::is_batch_id(&id) {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    let mut context = Context::new();
    let place = state.place();
    match blocking(&visitor, move || app::purge::plan(&place, &id)).await {
        Ok(plan) => {
            let folders: Vec<_> = ["notices/", "zip/", "secrets/", "print/"]
                .iter()
                .map(|f| json!({ "folder": f, "count": plan.files.iter().filter(|p| p.starts_with(f)).count() }))
                .filter(|f| f["count"] != 0)
                .collect();
            context.insert("plan", &plan);
            context.insert("folders", &folders);
        }
        Err(message) => context.insert("error", &message),
    }
    view::page(&visitor.session, "/purge", "purge_plan.html.tera", context)
}

#[derive(Deserialize)]
pub struct PurgeForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    force: String,
}

/// POST /purge/{id}: the purge; forced (with the reason) only when the page said some
/// envelopes are unaccounted for.
pub async fn purge(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<PurgeForm>,
) -> Response {
    let mut context = Context::new();
    let place = state.place();
    let force = form.force == "1";
    let reason = Some(form.reason.trim().to_string()).filter(|r| !r.is_empty());
    if !super::files::is_batch_id(&id) {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    let batch = state.root().join(&id);
    match blocking(&visitor, move || app::purge::purge(&place, &batch, force, reason.as_deref())).await {
        Ok(purged) => {
            let p = &purged.purge;
            context.insert(
                "purged",
                &json!({
                    "batch": p.batch,
                    "text": msg!("web.purge.done", batch = p.batch, count = p.files.len() + p.finished),
                    "findings": p.findings.iter().map(|f| format!("{}: {}", f.path, f.why)).collect::<Vec<_>>(),
                }),
            );
        }
        Err(message) => context.insert("error", &message),
    }
    view::page(&visitor.session, "/purge", "purge_plan.html.tera", context)
}
