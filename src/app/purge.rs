//! Purge a batch after mailing: overwrite and delete the files that carry a password, keep the
//! record; with `force` (and a reason) also when notices are still unaccounted for.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{AppError, Place};
use crate::engine::lifecycle::{self, Purge};

/// A purge as done (or found done before), and the ledger it is recorded in.
#[derive(Debug, Serialize)]
pub struct Purged {
    #[serde(flatten)]
    pub purge: Purge,
    pub ledger: PathBuf,
}

/// Purges the batch folder `batch` (a folder, or a batch ID under `place`'s output root).
pub fn purge(place: &Place, batch: &Path, force: bool, reason: Option<&str>) -> Result<Purged, AppError> {
    let batch = super::verify::batch_dir(batch, place)?;
    if force && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(AppError::refused(crate::msg!("cli.purge.need_reason")));
    }
    let dir = crate::engine::home::absolute(&batch);
    if !dir.is_dir() {
        return Err(AppError::refused(crate::msg!("cli.purge.no_folder", path = batch.display())));
    }
    let root = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut ledger = lifecycle::open(&root)?;
    let purge = lifecycle::purge(&mut ledger, &dir, if force { reason } else { None })?;
    Ok(Purged { purge, ledger: ledger.path() })
}

/// What purging a batch would do: the files that hold or open with a password and would be
/// deleted, and the paper notices not yet accounted for (which only a forced purge, with a
/// reason, goes past). Reads only.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub batch: String,
    /// Paths relative to the batch folder, as the ledger records them.
    pub files: Vec<String>,
    /// 管理番号 of the paper notices neither mailed nor returned.
    pub unaccounted: Vec<String>,
    pub purged: bool,
}

/// The plan for batch `batch` (an ID) of `place`'s ledger.
pub fn plan(place: &Place, batch: &str) -> Result<Plan, AppError> {
    let root = place.root()?;
    let ledger = crate::engine::audit::ledger::Ledger::open_read_only(&root)?
        .ok_or(lifecycle::LifecycleError::NoLedger(root.clone()))?;
    let status = lifecycle::batch_status(&ledger, batch)?;
    let dir = root.join(batch);
    let files = ledger
        .files(batch)?
        .into_iter()
        .map(|(path, _, _)| path)
        .filter(|path| lifecycle::holds_secret(path) && dir.join(path).exists())
        .collect();
    Ok(Plan { batch: batch.to_string(), files, unaccounted: status.not_yet_sent, purged: status.purged })
}
