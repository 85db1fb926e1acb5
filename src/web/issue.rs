//! 発行, the month's work: the uploaded list is checked as `tsuchi check` checks it (the same
//! application operation), the clerk confirms with the counts, the batch runs on a thread of its
//! own while the page polls its progress, and the page then links the batch's files, says the
//! hand-off status and shows the chain head for the paper record. No password is ever shown:
//! they are only in the PDFs the links open.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Extension, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use tera::Context;

use super::guard::Visitor;
use super::session::State as Shared;
use super::upload;
use super::view;
use super::work::{Checked, Desk, Issued, Job};
use crate::app;
use crate::app::check::{CheckOutcome, CheckRequest};
use crate::app::run::RunRequest;
use crate::engine::batch::Counts;
use crate::engine::handoff;
use crate::engine::intake;
use crate::engine::presort::{self, Applies, Estimate};
use crate::ground::i18n;
use crate::ground::model::{NoticeKind, Rejection};
use crate::msg;

type AppState = State<Arc<Shared>>;

fn desk(state: &Shared) -> std::sync::MutexGuard<'_, Desk> {
    state.desk.lock().unwrap_or_else(|e| e.into_inner())
}

/// GET /issue: the upload form, and the last check's result.
pub async fn page(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    let desk = desk(&state);
    if desk.job.as_ref().is_some_and(|j| !j.finished.load(Ordering::Relaxed)) {
        return Redirect::to("/issue/progress").into_response();
    }
    let mut context = Context::new();
    if let Some(checked) = &desk.checked {
        let shown = i18n::with_lang(visitor.session.lang, || check_view(&checked.upload.name, &checked.outcome));
        context.insert("checked", &shown);
    }
    view::page(&visitor.session, "/issue", "issue.html.tera", context)
}

/// POST /issue/check: the uploaded list, checked. The upload replaces the one checked before.
pub async fn check(State(state): AppState, Extension(visitor): Extension<Visitor>, form: Multipart) -> Response {
    let lang = visitor.session.lang;
    let failed = |message: String| {
        let mut context = Context::new();
        context.insert("error", &message);
        view::page(&visitor.session, "/issue", "issue.html.tera", context)
    };
    if state.busy() {
        return failed(msg!("web.issue.busy"));
    }
    let upload = match upload::receive(form, "requests", &state.uploads).await {
        Ok(upload) => upload,
        Err(e) => return failed(i18n::with_lang(lang, || e.to_string())),
    };
    match check_upload(&state, upload, lang).await {
        Ok(()) => Redirect::to("/issue").into_response(),
        Err(message) => failed(message),
    }
}

/// Checks `upload` as `tsuchi check` would (off the request thread) and keeps the outcome for
/// the 発行 page; the reason, in `lang`, when it cannot be checked.
async fn check_upload(state: &Shared, upload: upload::Upload, lang: i18n::Lang) -> Result<(), String> {
    let place = state.place();
    let out = state.uploads.join(format!("check-{}", &super::token::random_hex().unwrap_or_default()[..12]));
    let request = CheckRequest {
        requests: upload.path.clone(),
        out: Some(out),
        ledger: place.out.clone(),
        ..CheckRequest::default()
    };
    let checked = tokio::task::spawn_blocking(move || {
        i18n::with_lang(lang, || place.settings().and_then(|settings| app::check::check(&settings, &request)))
    })
    .await;
    match checked {
        Ok(Ok(outcome)) => {
            desk(state).checked = Some(Checked { upload, outcome });
            Ok(())
        }
        Ok(Err(e)) => Err(i18n::with_lang(lang, || e.to_string())),
        Err(e) => Err(i18n::with_lang(lang, || msg!("web.issue.failed", error = e))),
    }
}

/// A list given when the server starts (dropped onto tsuchi.exe): checked before the page
/// opens, so that the 発行 page shows it as if the clerk had uploaded it. A list that cannot be
/// read is said on stderr and the page opens without it.
pub async fn check_at_start(state: &Arc<Shared>, list: &std::path::Path) {
    let lang = i18n::lang();
    let checked = match upload::copy_local(list, &state.uploads) {
        Ok(upload) => check_upload(state, upload, lang).await,
        Err(e) => Err(e.to_string()),
    };
    match checked {
        Ok(()) => super::log(&msg!("web.log.list_checked", path = list.display())),
        Err(error) => super::log(&msg!("web.log.list_not_checked", path = list.display(), error)),
    }
}

/// GET /issue/rejected.xlsx: the rows the last check would not issue.
pub async fn rejected(State(state): AppState) -> Response {
    let path = desk(&state).checked.as_ref().map(|c| c.outcome.rejected_xlsx.clone());
    match path {
        Some(path) => super::files::send(&path, "rejected.xlsx").await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// GET /issue/confirm: what 「発行する」 will do, in numbers, before it does it.
pub async fn confirm(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    let desk = desk(&state);
    let Some(checked) = &desk.checked else { return Redirect::to("/issue").into_response() };
    let shown = i18n::with_lang(visitor.session.lang, || check_view(&checked.upload.name, &checked.outcome));
    let mut context = Context::new();
    context.insert("checked", &shown);
    view::page(&visitor.session, "/issue", "issue_confirm.html.tera", context)
}

/// POST /issue/run: the batch, on a thread of its own; the page follows its progress.
pub async fn start(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    let lang = visitor.session.lang;
    let mut desk = desk(&state);
    if desk.job.as_ref().is_some_and(|j| !j.finished.load(Ordering::Relaxed)) {
        return Redirect::to("/issue/progress").into_response();
    }
    let Some(checked) = desk.checked.take() else { return Redirect::to("/issue").into_response() };
    let job = Arc::new(Job {
        total: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        finished: AtomicBool::new(false),
        started: Instant::now(),
        list: checked.upload.name.clone(),
        result: Mutex::new(None),
    });
    desk.job = Some(job.clone());
    drop(desk);
    let place = state.place();
    state.spawn_job(move || {
        let result = i18n::with_lang(lang, || {
            let request =
                RunRequest { requests: checked.upload.path.clone(), out: place.out.clone(), ..RunRequest::default() };
            let outcome = place.settings().and_then(|settings| app::run::run(&settings, &request, job.as_ref()));
            match outcome {
                Ok(outcome) => {
                    let head = app::ledgers::head(&place).ok().flatten();
                    Ok(Issued { outcome, head })
                }
                Err(e) => Err(e.to_string()),
            }
        });
        // The list goes once used.
        drop(checked);
        *job.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        job.finished.store(true, Ordering::Relaxed);
    });
    Redirect::to("/issue/progress").into_response()
}

/// GET /issue/progress: the bar, moved by the page's script (or by reloading without it).
pub async fn progress(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    let Some(job) = desk(&state).job.clone() else { return Redirect::to("/issue").into_response() };
    if job.finished.load(Ordering::Relaxed) {
        return Redirect::to("/issue/done").into_response();
    }
    let mut context = Context::new();
    context.insert("progress", &i18n::with_lang(visitor.session.lang, || progress_view(&job)));
    view::page(&visitor.session, "/issue", "issue_progress.html.tera", context)
}

/// GET /issue/progress.json: how far the batch is, for the page's script.
pub async fn progress_json(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    let Some(job) = desk(&state).job.clone() else { return StatusCode::NOT_FOUND.into_response() };
    let body = i18n::with_lang(visitor.session.lang, || progress_view(&job)).to_string();
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn progress_view(job: &Job) -> Value {
    let (done, total) = (job.done.load(Ordering::Relaxed), job.total.load(Ordering::Relaxed));
    let finished = job.finished.load(Ordering::Relaxed);
    let elapsed = job.started.elapsed().as_secs_f64();
    let text = if total == 0 {
        msg!("web.issue.preparing", list = job.list)
    } else if done == 0 || done >= total {
        msg!("web.issue.progress", done, total)
    } else {
        let left = (elapsed / done as f64 * (total - done) as f64).ceil() as u64;
        msg!("web.issue.progress_left", done, total, minutes = left / 60, seconds = left % 60)
    };
    json!({ "done": done, "total": total, "finished": finished, "text": text })
}

/// GET /issue/done: the batch, its files, its hand-off and the chain head.
pub async fn done(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    let Some(job) = desk(&state).job.clone() else { return Redirect::to("/issue").into_response() };
    if !job.finished.load(Ordering::Relaxed) {
        return Redirect::to("/issue/progress").into_response();
    }
    let mut context = Context::new();
    match &*job.result.lock().unwrap_or_else(|e| e.into_inner()) {
        Some(Ok(issued)) => {
            let shown = i18n::with_lang(visitor.session.lang, || issued_view(&job.list, issued));
            context.insert("issued", &shown);
        }
        Some(Err(message)) => context.insert("error", message),
        None => {}
    }
    view::page(&visitor.session, "/issue", "issue_done.html.tera", context)
}

/// A check's result as the page shows it, in the current language.
fn check_view(name: &str, outcome: &CheckOutcome) -> Value {
    json!({
        "list": name,
        "issue_date": outcome.issue_date.to_string(),
        "counts": counts_view(&outcome.counts),
        "rejections": outcome.rejections.iter().map(rejection_view).collect::<Vec<_>>(),
        "already": outcome.already_issued.iter().map(|a| json!({
            "row": a.row, "request_id": a.request_id, "kind": a.kind.console_label(),
            "office_no": a.office_no, "batch": a.batch_id,
        })).collect::<Vec<_>>(),
        "skipped": outcome.skipped.iter().map(|s| json!({
            "row": s.row, "request_id": s.request_id, "office_no": s.office_no, "status": s.status,
        })).collect::<Vec<_>>(),
        "hidden": outcome.hidden.iter().map(|h| json!({
            "row": h.row, "request_id": h.request_id, "office_no": h.office_no,
        })).collect::<Vec<_>>(),
        "notes": outcome.notes.iter().map(|n| intake::note_line(n, str::to_string, str::to_string)).collect::<Vec<_>>(),
        "refusals": outcome.run_would_refuse,
        "presort": outcome.presort.as_ref().map(presort_view),
        "can_issue": outcome.counts.issued > 0 && outcome.run_would_refuse.is_empty(),
    })
}

fn rejection_view(r: &Rejection) -> Value {
    let column = match &r.column_letter {
        Some(letter) => format!("{} ({letter})", r.column),
        None => r.column.clone(),
    };
    json!({ "row": r.row, "column": column, "value": r.value, "reason": r.reason })
}

fn counts_view(counts: &Counts) -> Value {
    let kinds: Vec<Value> =
        NoticeKind::ALL.iter().map(|k| json!({ "label": k.console_label(), "count": counts.of_kind(*k) })).collect();
    json!({
        "rows": counts.rows, "issued": counts.issued, "kinds": kinds, "skipped": counts.skipped,
        "hidden": counts.hidden, "rejected_rows": counts.rejected_rows, "rejections": counts.rejections,
        "already_issued": counts.already_issued, "paper": counts.paper, "print_pages": counts.print_pages,
        "zip_login": counts.zip_login, "zip_separate": counts.zip_separate, "handoff_rows": counts.handoff_rows,
    })
}

/// A batch as the page shows it: its numbers, links to its files (those it has), the hand-off.
fn issued_view(list: &str, issued: &Issued) -> Value {
    let report = &issued.outcome.report;
    let made = !report.dry_run && !report.nothing_to_issue;
    let id = &report.batch_id;
    let files: Vec<Value> = super::files::BATCH_FILES
        .iter()
        .filter(|(_, relative)| made && report.dir.join(relative(id)).is_file())
        .map(|(which, _)| json!({ "href": format!("/batch/{id}/{which}"), "label": super::files::label(which) }))
        .collect();
    let handoff = match &report.handoff {
        Some(handoff::Outcome::Written { rows, recipients, .. }) => {
            msg!("web.issue.handoff_written", rows, recipients = recipients.len())
        }
        Some(handoff::Outcome::Manual) => msg!("web.issue.handoff_manual"),
        Some(handoff::Outcome::NoRecipients) | None => msg!("web.issue.handoff_none"),
    };
    json!({
        "list": list,
        "made": made,
        "batch_id": id,
        "dir": report.dir.display().to_string(),
        "issue_date": report.issue_date.to_string(),
        "counts": counts_view(&issued.outcome.counts),
        "rejections": report.rejections().iter().map(rejection_view).collect::<Vec<_>>(),
        "files": files,
        "handoff": handoff,
        "head": issued.head,
        "warnings": report.warnings,
        "sample": report.sample,
        "presort": report.presort.as_ref().map(presort_view),
    })
}

/// The mailed notices against Japan Post's conditions, as the summary says them.
fn presort_view(estimate: &Estimate) -> Value {
    let lines: Vec<Value> =
        estimate.lines().into_iter().map(|(title, verdict)| json!({ "title": title, "verdict": verdict })).collect();
    let eligible = estimate.discounts.iter().any(|d| matches!(d.applies, Applies::Yes | Applies::Unconfirmed));
    json!({
        "envelopes": presort::count(estimate.envelopes), "bundles": presort::count(estimate.bundles),
        "basis": estimate.basis(),
        "lines": lines, "total": estimate.total(), "eligible": eligible,
    })
}
