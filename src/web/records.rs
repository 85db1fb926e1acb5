//! The pages that read the ledger: 照会 (a notice's life by any of its numbers), 履歴 (every
//! batch and where its mail is) and 監査 (verify the whole ledger, check a chain head kept on
//! paper, export the audit log of a period). Each calls one application operation.

use std::sync::Arc;

use axum::extract::{Extension, Form, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};
use tera::Context;

use super::guard::Visitor;
use super::session::State as Shared;
use super::view;
use crate::app::audit_export::Period;
use crate::app::verify::{Scope, VerifyRequest};
use crate::app::{self, AppError};
use crate::engine::audit::ledger::PeriodBasis;
use crate::engine::lifecycle::{MailState, Step};
use crate::ground::i18n;
use crate::ground::model::NoticeKind;
use crate::msg;

type AppState = State<Arc<Shared>>;

/// Runs a ledger read off the request thread, in the session's language.
pub(super) async fn blocking<T: Send + 'static>(
    visitor: &Visitor,
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, String> {
    let lang = visitor.session.lang;
    match tokio::task::spawn_blocking(move || i18n::with_lang(lang, || work().map_err(|e| e.to_string()))).await {
        Ok(result) => result,
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

/// GET /lookup?q=…: every notice the number names, each with its steps.
pub async fn lookup(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    Query(search): Query<Search>,
) -> Response {
    let mut context = Context::new();
    let key = search.q.trim().to_string();
    context.insert("q", &key);
    if !key.is_empty() {
        let root = state.root();
        let asked = key.clone();
        match blocking(&visitor, move || {
            let found = app::status::notice(&root, &asked)?;
            Ok(found.lives.iter().map(life_view).collect::<Vec<_>>())
        })
        .await
        {
            Ok(lives) => context.insert("lives", &lives),
            Err(message) => context.insert("error", &message),
        }
    }
    view::page(&visitor.session, "/lookup", "lookup.html.tera", context)
}

fn life_view(life: &crate::engine::lifecycle::Life) -> Value {
    let n = &life.notice;
    let kind = NoticeKind::from_alias(&n.kind).map(|k| k.console_label()).unwrap_or_else(|| n.kind.clone());
    let steps: Vec<Value> = life
        .steps
        .iter()
        .map(|(at, step)| {
            let (what, detail) = step_view(step);
            json!({ "at": crate::ground::wareki::to_the_minute(at), "what": what, "detail": detail })
        })
        .collect();
    json!({
        "batch": life.batch,
        "request_id": n.request_id,
        "office_no": n.office_no,
        "kind": kind,
        "control_no": n.control_no,
        "user_id": life.user_id,
        "state": mail_state(life.mail_state(), n.control_no.is_some()),
        "steps": steps,
    })
}

fn step_view(step: &Step) -> (String, String) {
    let date = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    match step {
        Step::Issued { batch, issue_date, operator } => {
            (msg!("web.step.issued"), msg!("web.step.issued_detail", batch, issue_date, operator))
        }
        Step::Bundled { control_no } => (msg!("web.step.bundled"), control_no.clone()),
        Step::Sent { registered_no, sent_on } => {
            (msg!("web.step.sent"), msg!("web.step.sent_detail", registered_no, sent_on = date(sent_on)))
        }
        Step::Corrected { was_registered_no, registered_no, sent_on, operator, .. } => (
            msg!("web.step.corrected"),
            msg!(
                "web.step.corrected_detail",
                was = was_registered_no,
                registered_no,
                sent_on = date(sent_on),
                operator
            ),
        ),
        Step::Returned { reason, operator } => {
            (msg!("web.step.returned"), msg!("web.step.by", what = reason, operator))
        }
        Step::Reissued { batch } => (msg!("web.step.reissued"), batch.clone()),
        Step::Enclosed { operator } => (msg!("web.step.enclosed"), msg!("web.step.by", what = "", operator)),
        Step::Withdrawn { reason, spoiled, operator } => (
            if *spoiled { msg!("web.step.spoiled") } else { msg!("web.step.withdrawn") },
            msg!("web.step.by", what = reason, operator),
        ),
        Step::Purged { operator } => (msg!("web.step.purged"), msg!("web.step.by", what = "", operator)),
    }
}

fn mail_state(state: MailState, paper: bool) -> String {
    match (state, paper) {
        (_, false) => msg!("web.state.electronic"),
        (MailState::Sent, _) => msg!("web.state.sent"),
        (MailState::Returned, _) => msg!("web.state.returned"),
        (MailState::NotYetSent, _) => msg!("web.state.not_yet_sent"),
        (MailState::Destroyed, _) => msg!("web.state.destroyed"),
        (MailState::Withdrawn, _) => msg!("web.state.withdrawn"),
    }
}

/// GET /history: every batch, the latest first, with its numbers and state.
pub async fn history(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    let mut context = Context::new();
    let root = state.root();
    match blocking(&visitor, move || {
        let lines = app::status::batches(&root)?;
        Ok(lines
            .iter()
            .map(|b| {
                let s = &b.status;
                // Issued, then mailed (some envelopes out), closed (every notice mailed, returned or
                // withdrawn: the counts balance), purged.
                let r = &s.reconciliation;
                let state = if s.purged {
                    msg!("web.history.purged")
                } else if s.paper > 0 && r.complete {
                    msg!("web.history.closed")
                } else if r.mailed + r.returned + r.enclosed > 0 {
                    msg!("web.history.mailed")
                } else {
                    msg!("web.history.issued")
                };
                json!({
                    "id": b.id, "issue_date": b.issue_date, "started": crate::ground::wareki::to_the_minute(&b.started),
                    "operator": b.operator, "notices": b.notices, "paper": s.paper, "sent": s.sent,
                    "returned": s.returned, "unaccounted": s.not_yet_sent.len(), "destroyed": s.destroyed,
                    "electronic": s.electronic, "enclosed": r.enclosed, "withdrawn": r.withdrawn,
                    "state": state, "purged": s.purged,
                })
            })
            .collect::<Vec<_>>())
    })
    .await
    {
        Ok(batches) => context.insert("batches", &batches),
        Err(message) => context.insert("error", &message),
    }
    view::page(&visitor.session, "/history", "history.html.tera", context)
}

/// GET /audit: the forms.
pub async fn audit(Extension(visitor): Extension<Visitor>) -> Response {
    view::page(&visitor.session, "/audit", "audit.html.tera", Context::new())
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    head: String,
}

/// POST /audit/verify: the whole ledger and every batch folder, the verdict first; with a head
/// from paper, whether the ledger still extends it.
pub async fn verify(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<VerifyForm>,
) -> Response {
    let place = state.place();
    let head = Some(form.head.trim().to_string()).filter(|h| !h.is_empty());
    let mut context = Context::new();
    context.insert("head", head.as_deref().unwrap_or_default());
    match blocking(&visitor, move || app::verify::verify(&VerifyRequest { batch: None, place, head })).await {
        Ok(outcome) => {
            let (batches, head) = match &outcome.scope {
                Scope::Ledger { batches, head, .. } => (*batches, head.clone()),
                Scope::Batch { .. } => (1, None),
            };
            context.insert(
                "verified",
                &json!({
                    "ok": outcome.verified(),
                    "batches": batches,
                    "head": head,
                    "head_checked": outcome.head_checked,
                    "failures": outcome.failures.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "notes": outcome.notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
                }),
            );
        }
        Err(message) => context.insert("error", &message),
    }
    view::page(&visitor.session, "/audit", "audit.html.tera", context)
}

#[derive(Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// POST /audit/export: the audit log of a period (監査ログ.xlsx), as a download.
pub async fn export(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<ExportForm>,
) -> Response {
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let period = Period { from: date(&form.from), to: date(&form.to), by: PeriodBasis::IssueDate };
    let place = state.place();
    let dest = state.uploads.join(format!("audit-{}", &super::token::random_hex().unwrap_or_default()[..12]));
    let into = dest.clone();
    match blocking(&visitor, move || app::audit_export::export(&place, period, Some(into))).await {
        Ok(exported) => {
            let response = super::files::send(&exported.dest.join("監査ログ.xlsx"), "監査ログ.xlsx").await;
            let _ = std::fs::remove_dir_all(&dest);
            response
        }
        Err(message) => {
            let _ = std::fs::remove_dir_all(&dest);
            let mut context = Context::new();
            context.insert("error", &message);
            view::page(&visitor.session, "/audit", "audit.html.tera", context)
        }
    }
}
