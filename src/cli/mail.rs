//! `tsuchi mail import` and `tsuchi mail returned`.

use std::process::ExitCode;

use chrono::NaiveDate;

use super::console::{code, fail, shown, shown_long};
use crate::app::{self, Place};
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
