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
