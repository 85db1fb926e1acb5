//! Export the audit log of a period (監査ログ.xlsx and events.jsonl) and check the ledger's
//! integrity on the way.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::{AppError, Place};
use crate::engine::audit::ledger::{Ledger, PeriodBasis, RequestRecord};
use crate::engine::audit::verify::Finding;

/// The period to export: batches whose date `by` names lies in `from..=to`.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub by: PeriodBasis,
}

/// What was exported, where, and what the integrity check found.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub dest: PathBuf,
    /// The period: first and last day (inclusive), and which date of a batch they are about.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// `issue-date` or `run-date`.
    pub by: &'static str,
    pub batches: usize,
    pub events: usize,
    #[serde(serialize_with = "crate::engine::outcome::displayed")]
    pub findings: Vec<Finding>,
}

/// Exports `period` from `place`'s ledger into `dest` (default: `audit-<now>` beside it).
pub fn export(place: &Place, period: Period, dest: Option<PathBuf>) -> Result<Exported, AppError> {
    let root = place.root()?;
    let text = |e: crate::engine::audit::ledger::LedgerError| AppError::refused(e.to_string());
    let ledger = Ledger::open_read_only(&root)
        .map_err(text)?
        .ok_or_else(|| AppError::refused(crate::msg!("cli.export.no_ledger", root = root.display())))?;
    let (from, to) = (period.from.map(|d| d.to_string()), period.to.map(|d| d.to_string()));
    let batches = ledger.batches_by(from.as_deref(), to.as_deref(), period.by).map_err(text)?;
    let mut requests = Vec::new();
    let mut events = Vec::new();
    for b in &batches {
        requests.extend(ledger.requests(&b.id).map_err(text)?.into_iter().map(|r| (b.id.clone(), r)));
        events.extend(ledger.events(Some(&b.id)).map_err(text)?);
    }
    let now = crate::ground::wareki::now_in_tokyo();
    let dest = dest.unwrap_or_else(|| root.join(format!("audit-{}", now.format("%Y%m%d-%H%M%S"))));
    std::fs::create_dir_all(&dest)
        .map_err(|error| AppError::refused(crate::msg!("cli.export.cannot_create", path = dest.display(), error)))?;
    let head = ledger.head().map_err(text)?;
    let tagged: Vec<(&str, &RequestRecord)> = requests.iter().map(|(b, r)| (b.as_str(), r)).collect();
    crate::engine::audit::log::write_xlsx(
        &dest.join("監査ログ.xlsx"),
        &batches,
        &tagged,
        events.iter().cloned(),
        head.as_ref(),
    )
    .map_err(|e| AppError::refused(e.to_string()))?;
    crate::ground::fsutil::write_atomic(&dest.join("events.jsonl"), &crate::engine::audit::log::jsonl(&events))
        .map_err(|error| AppError::refused(crate::msg!("cli.export.cannot_write_events", error)))?;
    let findings = crate::engine::audit::integrity::check(&ledger).map_err(text)?;
    let by = match period.by {
        PeriodBasis::IssueDate => "issue-date",
        PeriodBasis::RunDate => "run-date",
    };
    Ok(Exported { dest, from: period.from, to: period.to, by, batches: batches.len(), events: events.len(), findings })
}
