//! `tsuchi mail scan`, `tsuchi mail import` and `tsuchi mail returned`.

use std::process::ExitCode;

use chrono::NaiveDate;

use super::console::{code, fail, shown, shown_long};
use crate::app::{self, Place};
use crate::engine::lifecycle::scan::Outcome as ScanOutcome;
use crate::engine::lifecycle::{Import, Outcome, shown_at};
use crate::msg;

pub fn import(place: &Place, list: &std::path::Path, correct: bool, as_json: bool) -> ExitCode {
    let imported = match app::mail::import(place, list, correct) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let r = &imported.import;
    if as_json {
        let summary = serde_json::json!({
            "list": list.display().to_string(),
            "recorded": r.recorded(),
            "corrected": r.corrected(),
            "unchanged": r.unchanged(),
            "not_yet": r.not_yet(),
            "refused": r.refused(),
            "rows": r.rows,
            "ledger": imported.ledger.display().to_string(),
        });
        super::console::json(&summary);
    } else {
        print_import(list, r);
        if !correct && r.correctable() > 0 {
            out!("{}", msg!("cli.mail.correct_hint", count = r.correctable()));
        }
        out!("{}", msg!("cli.ledger", path = imported.ledger.display()));
    }
    code(r.refused() == 0)
}

pub fn returned(place: &Place, key: &str, reason: &str, as_json: bool) -> ExitCode {
    match app::mail::returned(place, key, reason) {
        Err(e) => fail(e),
        Ok(r) if as_json => {
            super::console::json(&r);
            ExitCode::SUCCESS
        }
        Ok(r) => {
            let notice = &r.notice;
            out!(
                "{}",
                msg!(
                    "cli.mail.returned",
                    batch = r.batch,
                    control = notice.control_no.as_deref().unwrap_or("-"),
                    request = notice.request_id,
                    office = notice.office_no,
                    reason = shown(reason)
                )
            );
            ExitCode::SUCCESS
        }
    }
}

/// A 書留番号 with its 発送日, if one was recorded.
pub fn sent_text(registered_no: &str, sent_on: Option<NaiveDate>) -> String {
    match sent_on {
        Some(sent_on) => msg!("cli.mail.number_on", registered_no, sent_on),
        None => registered_no.to_string(),
    }
}

/// What `mail import` did, row by row: recorded, recorded before, refused with the cell and why.
fn print_import(list: &std::path::Path, r: &Import) {
    out!("{}", msg!("cli.mail.list", path = list.display()));
    out!("{}", msg!("cli.mail.recorded", count = r.recorded()));
    if r.corrected() > 0 {
        out!("{}", msg!("cli.mail.corrected", count = r.corrected()));
    }
    out!("{}", msg!("cli.mail.unchanged", unchanged = r.unchanged(), not_yet = r.not_yet()));
    out!("{}", msg!("cli.mail.refused", count = r.refused()));
    for row in &r.rows {
        let (at, control) = (shown(&shown_at(&row.at)), shown(&row.control_no));
        match &row.outcome {
            Outcome::Recorded { registered_no, .. } => {
                out!("{}", msg!("cli.mail.recorded_row", at, control, registered = registered_no))
            }
            Outcome::Corrected { was_registered_no, was_sent_on, registered_no, sent_on } => {
                let (was, now) = (sent_text(was_registered_no, *was_sent_on), sent_text(registered_no, *sent_on));
                out!("{}", msg!("cli.mail.corrected_row", at, control, was, now))
            }
            Outcome::Unchanged { registered_no } => {
                out!("{}", msg!("cli.mail.unchanged_row", at, control, registered = registered_no))
            }
            Outcome::NotYet => {}
            Outcome::Refused(why) => out!(
                "{}",
                msg!(
                    "cli.mail.refused_row",
                    at,
                    column = why.column,
                    heading = why.heading,
                    value = shown(&why.value),
                    reason = shown_long(&why.reason)
                )
            ),
        }
    }
}

/// `tsuchi mail scan`: a line per code as it is read (a bell with each problem on a terminal),
/// then the batch's state; with `--json`, the whole result at the end.
pub fn scan(place: &Place, batch: Option<&str>, as_json: bool) -> ExitCode {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if !as_json && stdin.is_terminal() {
        err!("{}", msg!("cli.mail.scan.waiting"));
    }
    let bell = if std::io::stdout().is_terminal() { "\u{7}" } else { "" };
    let lines = stdin.lock().lines().map_while(Result::ok);
    let mut current: Option<String> = batch.map(str::to_string);
    let result = app::mail::scan(place, batch, lines, |scanned| {
        if as_json {
            return;
        }
        let line = scanned.line;
        let text = match &scanned.outcome {
            ScanOutcome::Enclosed { control_no, skipped } => {
                current.get_or_insert_with(|| batch_of(control_no));
                if skipped.is_empty() {
                    msg!("cli.mail.scan.enclosed", line, control = control_no)
                } else {
                    let list = skipped.join(&msg!("cli.status.separator"));
                    msg!("cli.mail.scan.skipped", line, control = control_no, list)
                }
            }
            ScanOutcome::Twice { control_no } => msg!("cli.mail.scan.twice", line, control = control_no),
            ScanOutcome::Mailed { control_no } => msg!("cli.mail.scan.mailed", line, control = control_no),
            ScanOutcome::Withdrawn { control_no } => msg!("cli.mail.scan.withdrawn", line, control = control_no),
            ScanOutcome::OtherBatch { control_no, batch } => {
                let current = current.clone().unwrap_or_default();
                msg!("cli.mail.scan.other_batch", line, control = control_no, batch, current)
            }
            ScanOutcome::Unknown => msg!("cli.mail.scan.unknown", line, code = shown(&scanned.code)),
        };
        let bell = if scanned.outcome.is_problem() { bell } else { "" };
        out!("{bell}{text}");
    });
    let scanned = match result {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let s = &scanned.scan;
    if as_json {
        super::console::json(&scanned);
    } else {
        match &s.batch {
            Some(batch) => {
                let (enclosed, problems, remaining) = (s.enclosed, s.problems, s.remaining.len());
                out!("{}", msg!("cli.mail.scan.summary", batch, enclosed, problems, remaining));
                if !s.remaining.is_empty() {
                    out!("{}", msg!("cli.mail.scan.remaining", list = s.remaining.join(&msg!("cli.status.separator"))));
                }
            }
            None => out!("{}", msg!("cli.mail.scan.no_batch")),
        }
        out!("{}", msg!("cli.ledger", path = scanned.ledger.display()));
    }
    code(s.problems == 0)
}

/// The batch of a control number `<batch>-<seq>`.
fn batch_of(control: &str) -> String {
    control.rsplit_once('-').map(|(batch, _)| batch.to_string()).unwrap_or_default()
}
