//! 発送, the mail room: the filled 発送リスト is uploaded, the page previews what will be
//! recorded and what is refused and why (recording nothing), and the clerk confirms; a 返戻 is
//! recorded by its 管理番号; each batch's envelopes are reconciled (printed, mailed, returned,
//! unaccounted).

use std::sync::Arc;

use axum::extract::{Extension, Form, Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tera::Context;

use super::guard::Visitor;
use super::records::blocking;
use super::session::State as Shared;
use super::upload;
use super::view;
use super::work::Pending;
use crate::app;
use crate::engine::lifecycle::{Import, Outcome};
use crate::ground::i18n;
use crate::msg;

type AppState = State<Arc<Shared>>;

fn pending(state: &Shared) -> std::sync::MutexGuard<'_, Option<Pending>> {
    state.mail.lock().unwrap_or_else(|e| e.into_inner())
}

/// The page with the batches' reconciliation and `context`'s result.
async fn page_with(state: &Shared, visitor: &Visitor, mut context: Context) -> Response {
    let root = state.root();
    let batches = blocking(visitor, move || {
        Ok(app::status::batches(&root)?
            .iter()
            .filter(|b| b.status.paper > 0)
            .map(|b| {
                let s = &b.status;
                json!({
                    "id": b.id, "issue_date": b.issue_date, "paper": s.paper, "sent": s.sent,
                    "returned": s.returned, "unaccounted": s.not_yet_sent.len(), "destroyed": s.destroyed,
                    "purged": s.purged, "enclosed": s.reconciliation.enclosed,
                    "withdrawn": s.reconciliation.withdrawn, "complete": s.reconciliation.complete,
                })
            })
            .collect::<Vec<_>>())
    })
    .await
    .unwrap_or_default();
    context.insert("batches", &batches);
    view::page(&visitor.session, "/mail", "mail.html.tera", context)
}

/// GET /mail.
pub async fn page(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    page_with(&state, &visitor, Context::new()).await
}

/// POST /mail/preview: the uploaded list, read against the ledger; nothing recorded yet.
pub async fn preview(State(state): AppState, Extension(visitor): Extension<Visitor>, form: Multipart) -> Response {
    let mut context = Context::new();
    let upload = match upload::receive(form, "list", &state.uploads).await {
        Ok(upload) => upload,
        Err(e) => {
            context.insert("error", &i18n::with_lang(visitor.session.lang, || e.to_string()));
            return page_with(&state, &visitor, context).await;
        }
    };
    previewed(&state, &visitor, upload, false).await
}

/// The pending list previewed as `correct` says, kept for the clerk's confirmation.
async fn previewed(state: &Shared, visitor: &Visitor, upload: upload::Upload, correct: bool) -> Response {
    let mut context = Context::new();
    let (place, path) = (state.place(), upload.path.clone());
    match blocking(visitor, move || app::mail::preview(&place, &path, correct)).await {
        Ok(imported) => {
            // The confirmation records this preview, of this session, and nothing else.
            let Ok(id) = super::token::random_hex() else { return Redirect::to("/mail").into_response() };
            let shown = i18n::with_lang(visitor.session.lang, || {
                let mut shown = import_view(&upload.name, &imported.import, false);
                shown["correct"] = json!(correct);
                shown["preview"] = json!(id);
                shown
            });
            context.insert("shown", &shown);
            *pending(state) = Some(Pending { upload, correct, session: visitor.id.clone(), id });
        }
        Err(message) => context.insert("error", &message),
    }
    page_with(state, visitor, context).await
}

/// POST /mail/preview/correct: the pending list previewed again, the rows that differ from the
/// ledger as corrections; still nothing recorded.
pub async fn preview_corrections(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<PreviewForm>,
) -> Response {
    let Some(Pending { upload, .. }) = shown_preview(&state, &visitor, &form) else {
        return stale(&state, &visitor).await;
    };
    previewed(&state, &visitor, upload, true).await
}

/// The preview a confirmation names.
#[derive(Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    preview: String,
}

/// The pending list, taken, when `form` names the preview this session was shown last; else
/// `None` and it stays (another tab or session previewed since: its page shows other rows).
fn shown_preview(state: &Shared, visitor: &Visitor, form: &PreviewForm) -> Option<Pending> {
    let mut pending = pending(state);
    let current = pending.as_ref()?;
    let same = super::token::same(current.id.as_bytes(), form.preview.as_bytes())
        && super::token::same(current.session.as_bytes(), visitor.id.as_bytes());
    if same { pending.take() } else { None }
}

/// The page with word that the preview confirmed is no longer the one waiting.
async fn stale(state: &Shared, visitor: &Visitor) -> Response {
    let mut context = Context::new();
    context.insert("error", &i18n::with_lang(visitor.session.lang, || msg!("web.mail.stale_preview")));
    page_with(state, visitor, context).await
}

/// POST /mail/import: records what the preview showed.
pub async fn import(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<PreviewForm>,
) -> Response {
    let Some(Pending { upload, correct, .. }) = shown_preview(&state, &visitor, &form) else {
        return stale(&state, &visitor).await;
    };
    let mut context = Context::new();
    let (place, path) = (state.place(), upload.path.clone());
    match blocking(&visitor, move || app::mail::import(&place, &path, correct)).await {
        Ok(imported) => {
            let shown = i18n::with_lang(visitor.session.lang, || import_view(&upload.name, &imported.import, true));
            context.insert("shown", &shown);
        }
        Err(message) => context.insert("error", &message),
    }
    // The list goes once used.
    drop(upload);
    page_with(&state, &visitor, context).await
}

#[derive(Deserialize)]
pub struct ReturnedForm {
    key: String,
    reason: String,
}

/// POST /mail/returned: a 返戻 by its 管理番号.
pub async fn returned(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<ReturnedForm>,
) -> Response {
    let mut context = Context::new();
    let place = state.place();
    let (key, reason) = (form.key.trim().to_string(), form.reason.trim().to_string());
    match blocking(&visitor, move || app::mail::returned(&place, &key, &reason)).await {
        Ok(r) => context.insert(
            "returned",
            &msg!("web.mail.returned_done", control = r.notice.control_no.unwrap_or_default(), batch = r.batch),
        ),
        Err(message) => context.insert("error", &message),
    }
    page_with(&state, &visitor, context).await
}

#[derive(Deserialize)]
pub struct ScanForm {
    code: String,
    /// The batch the scans before were of (so that a page of another batch is said at once).
    #[serde(default)]
    batch: String,
}

/// POST /mail/scan: one code as the mail room's scanner typed it (the code and Enter), recorded
/// 封入済み; the page says at once what it did, in red when the page must be looked at, and keeps
/// the field ready for the next.
pub async fn scan(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<ScanForm>,
) -> Response {
    use crate::engine::lifecycle::scan::Outcome as Scan;
    let mut context = Context::new();
    let place = state.place();
    let code = form.code.trim().to_string();
    let batch = Some(form.batch.trim().to_string()).filter(|b| !b.is_empty());
    let lang = visitor.session.lang;
    let result = blocking(&visitor, move || app::mail::scan(&place, batch.as_deref(), [code], |_| {})).await;
    match result {
        Err(message) => context.insert("error", &message),
        Ok(scanned) => {
            let Some(one) = scanned.scan.scans.first() else {
                return page_with(&state, &visitor, context).await;
            };
            let text = i18n::with_lang(lang, || match &one.outcome {
                Scan::Enclosed { control_no, skipped } if skipped.is_empty() => {
                    msg!("web.mail.scan_enclosed", control = control_no)
                }
                Scan::Enclosed { control_no, skipped } => {
                    msg!("web.mail.scan_skipped", control = control_no, list = skipped.join("、"))
                }
                Scan::Twice { control_no } => msg!("web.mail.scan_twice", control = control_no),
                Scan::Mailed { control_no } => msg!("web.mail.scan_mailed", control = control_no),
                Scan::Withdrawn { control_no } => msg!("web.mail.scan_withdrawn", control = control_no),
                Scan::OtherBatch { control_no, batch } => {
                    msg!("web.mail.scan_other_batch", control = control_no, batch)
                }
                Scan::Unknown => msg!("web.mail.scan_unknown", code = one.code),
            });
            let remaining = scanned.scan.remaining.len();
            context.insert(
                "scanned",
                &json!({
                    "problem": one.outcome.is_problem(),
                    "text": text,
                    "remaining": i18n::with_lang(lang, || msg!("web.mail.scan_remaining", count = remaining)),
                    "batch": scanned.scan.batch,
                }),
            );
        }
    }
    page_with(&state, &visitor, context).await
}

/// An import, row by row, as the page says it (`done`: recorded; else what would be).
fn import_view(name: &str, import: &Import, done: bool) -> Value {
    let rows: Vec<Value> = import
        .rows
        .iter()
        .map(|r| {
            let (class, what) = match &r.outcome {
                Outcome::Recorded { registered_no, sent_on } => {
                    let sent_on = sent_on.map(|d| d.to_string()).unwrap_or_default();
                    ("row-ok", msg!("web.mail.recorded", registered_no, sent_on))
                }
                Outcome::Unchanged { registered_no } => ("", msg!("web.mail.unchanged", registered_no)),
                Outcome::Corrected { was_registered_no, registered_no, .. } => {
                    ("row-ok", msg!("web.mail.corrected", was = was_registered_no, registered_no))
                }
                Outcome::NotYet => ("", msg!("web.mail.not_yet")),
                Outcome::Refused(refusal) => (
                    "row-bad",
                    msg!(
                        "web.mail.refused",
                        heading = refusal.heading,
                        column = refusal.column,
                        value = refusal.value,
                        reason = refusal.reason
                    ),
                ),
            };
            json!({ "sheet": r.at.sheet, "row": r.at.row, "control_no": r.control_no, "class": class, "what": what })
        })
        .collect();
    json!({
        "list": name,
        "done": done,
        "recorded": import.recorded(),
        "corrected": import.corrected(),
        "unchanged": import.unchanged(),
        "not_yet": import.not_yet(),
        "refused": import.refused(),
        "correctable": import.correctable(),
        "rows": rows,
    })
}
