//! `tsuchi audit export`: where the audit log went, for which period, and the integrity check.

use std::path::PathBuf;
use std::process::ExitCode;

use super::console::{EXIT_REJECTED, fail, list};
use crate::app::audit_export::Period;
use crate::app::{self, Place};
use crate::engine::audit::ledger::PeriodBasis;
use crate::msg;

pub fn export(place: &Place, period: Period, dest: Option<PathBuf>, as_json: bool) -> ExitCode {
    let exported = match app::audit_export::export(place, period, dest) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    if as_json {
        super::console::json(&exported);
        return super::console::code(exported.findings.is_empty());
    }
    let (batches, events) = (exported.batches, exported.events);
    out!("{}", msg!("cli.export.done", path = exported.dest.display(), batches, events));
    let basis = match period.by {
        PeriodBasis::IssueDate => msg!("cli.export.by_issue_date"),
        PeriodBasis::RunDate => msg!("cli.export.by_run_date"),
    };
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    out!("{}", msg!("cli.export.period", basis, from = day(period.from), to = day(period.to)));
    if exported.findings.is_empty() {
        out!("{}", msg!("cli.export.ok"));
        return ExitCode::SUCCESS;
    }
    out!("{}", msg!("cli.export.failed", count = exported.findings.len()));
    list(&exported.findings);
    ExitCode::from(EXIT_REJECTED)
}
