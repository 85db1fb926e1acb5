//! `tsuchi status`: a notice's life, or a batch's state.

use std::path::Path;
use std::process::ExitCode;

use super::console::{EXIT_REJECTED, fail, json, shown, shown_long};
use super::mail::sent_text;
use crate::app::{self, Place};
use crate::engine::lifecycle::{Step, to_the_minute};
use crate::ground::model::NoticeKind;
use crate::msg;

pub fn status(place: &Place, key: Option<&str>, batch: Option<&str>, as_json: bool) -> ExitCode {
    let root = match place.root() {
        Ok(root) => root,
        Err(e) => return fail(e),
    };
    let code = shown_status(&root, key, batch, as_json);
    if !as_json {
        out!("{}", msg!("cli.ledger", path = root.join(crate::engine::audit::ledger::FILE_NAME).display()));
    }
    code
}

fn shown_status(root: &Path, key: Option<&str>, batch: Option<&str>, as_json: bool) -> ExitCode {
    if let Some(batch) = batch {
        return match app::status::batch(root, batch) {
            Err(e) => fail(e),
            Ok(found) if as_json => {
                json(&found.status);
                ExitCode::SUCCESS
            }
            Ok(found) => {
                let s = &found.status;
                let purged = match &s.purged_at {
                    Some(at) => msg!("cli.status.purged", at = to_the_minute(at)),
                    None => String::new(),
                };
                out!(
                    "{}",
                    msg!(
                        "cli.status.batch",
                        batch = s.batch,
                        paper = s.paper,
                        sent = s.sent,
                        returned = s.returned,
                        not_yet = s.not_yet_sent.len(),
                        destroyed = s.destroyed,
                        electronic = s.electronic,
                        purged
                    )
                );
                let r = &s.reconciliation;
                let state = if r.complete { msg!("cli.status.complete") } else { msg!("cli.status.incomplete") };
                out!(
                    "{}",
                    msg!(
                        "cli.status.reconciliation",
                        printed = r.printed,
                        spoiled = r.spoiled,
                        reissued = r.reissued,
                        enclosed = r.enclosed,
                        mailed = r.mailed,
                        returned = r.returned,
                        withdrawn = r.withdrawn,
                        unaccounted = r.unaccounted,
                        state
                    )
                );
                if s.reissued > 0 {
                    out!("{}", msg!("cli.status.reissued", count = s.reissued));
                }
                if !s.not_yet_sent.is_empty() {
                    let list = s.not_yet_sent.join(&msg!("cli.status.separator"));
                    out!("{}", msg!("cli.status.not_yet_sent", list));
                }
                ExitCode::SUCCESS
            }
        };
    }
    let Some(key) = key else {
        return fail(msg!("cli.status.need_key"));
    };
    let found = match app::status::notice(root, key) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    if as_json {
        json(&found.lives);
        return if found.lives.is_empty() { ExitCode::from(EXIT_REJECTED) } else { ExitCode::SUCCESS };
    }
    if found.lives.is_empty() {
        out!("{}", msg!("cli.status.not_found", key = shown(key)));
        return ExitCode::from(EXIT_REJECTED);
    }
    for life in &found.lives {
        let n = &life.notice;
        let kind = NoticeKind::from_alias(&n.kind).map(|k| k.console_label()).unwrap_or_else(|| "?".into());
        let user_id = life.user_id.clone().unwrap_or_else(|| msg!("cli.status.not_recorded"));
        let prefecture = life.prefecture.clone().unwrap_or_else(|| msg!("cli.status.no_prefecture"));
        out!("{}", msg!("cli.status.notice", request = n.request_id, kind, office = n.office_no, user_id, prefecture));
        for (at, step) in &life.steps {
            out!("{}", msg!("cli.status.step.line", at, what = shown_long(&step_text(step))));
        }
    }
    ExitCode::SUCCESS
}

fn step_text(step: &Step) -> String {
    match step {
        Step::Issued { batch, issue_date, operator } => msg!("cli.status.step.issued", batch, issue_date, operator),
        Step::Bundled { control_no } => msg!("cli.status.step.bundled", control_no),
        Step::Sent { registered_no, sent_on } => match sent_on {
            Some(sent_on) => msg!("cli.status.step.sent_on", registered_no, sent_on),
            None => msg!("cli.status.step.sent", registered_no),
        },
        Step::Corrected { was_registered_no, was_sent_on, registered_no, sent_on, operator } => msg!(
            "cli.status.step.corrected",
            was = sent_text(was_registered_no, *was_sent_on),
            now = sent_text(registered_no, *sent_on),
            operator
        ),
        Step::Returned { reason, operator } => msg!("cli.status.step.returned", reason, operator),
        Step::Reissued { batch } => msg!("cli.status.step.reissued", batch),
        Step::Enclosed { operator } => msg!("cli.status.step.enclosed", operator),
        Step::Withdrawn { reason, spoiled: true, operator } => msg!("cli.status.step.spoiled", reason, operator),
        Step::Withdrawn { reason, spoiled: false, operator } => msg!("cli.status.step.withdrawn", reason, operator),
        Step::Purged { operator } => msg!("cli.status.step.purged", operator),
    }
}
