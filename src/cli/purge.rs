//! `tsuchi purge`: what was overwritten and deleted, what was kept.

use std::path::Path;
use std::process::ExitCode;

use super::console::{EXIT_REJECTED, fail, shown, shown_long};
use crate::app::{self, Place};
use crate::engine::lifecycle::to_the_minute;
use crate::msg;

pub fn purge(place: &Place, batch: &Path, force: bool, reason: Option<&str>, as_json: bool) -> ExitCode {
    let purged = match app::purge::purge(place, batch, force, reason) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if as_json {
        super::console::json(&purged);
        return super::console::code(purged.purge.findings.is_empty());
    }
    let (p, ledger) = (&purged.purge, msg!("cli.ledger", path = purged.ledger.display()));
    if let Some(at) = p.already_done() {
        out!("{}", msg!("cli.purge.already", batch = p.batch, at = to_the_minute(at)));
        out!("{ledger}");
        return ExitCode::SUCCESS;
    }
    let forced = if p.forced { msg!("cli.purge.forced") } else { String::new() };
    out!("{}", msg!("cli.purge.done", batch = p.batch, count = p.files.len(), forced));
    out!("{}", msg!("cli.purge.overwritten"));
    out!("{}", msg!("cli.purge.kept"));
    out!("{ledger}");
    if p.findings.is_empty() {
        return ExitCode::SUCCESS;
    }
    out!("{}", msg!("cli.purge.findings", count = p.findings.len()));
    for f in &p.findings {
        out!("{}", msg!("cli.purge.finding", path = shown(&f.path), why = shown_long(&f.why)));
    }
    ExitCode::from(EXIT_REJECTED)
}
