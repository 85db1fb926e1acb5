//! Look up a notice's life (by 申請番号, 事業所番号, ユーザID or 管理番号) or a batch's state in
//! the ledger under an output root ([`super::Place::root`]).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::AppError;
use crate::engine::audit::ledger::{self, Ledger};
use crate::engine::lifecycle::{self, BatchStatus, Life, LifecycleError};

/// Every notice `key` names, each with its steps, and the ledger read.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub key: String,
    pub lives: Vec<Life>,
    pub ledger: PathBuf,
}

/// A batch's state, and the ledger read.
#[derive(Debug, Serialize)]
pub struct BatchFound {
    #[serde(flatten)]
    pub status: BatchStatus,
    pub ledger: PathBuf,
}

/// The ledger under `root`, read only; none there is an error that names the folder.
fn ledger_at(root: &Path) -> Result<Ledger, AppError> {
    Ledger::open_read_only(root)?.ok_or_else(|| LifecycleError::NoLedger(root.to_path_buf()).into())
}

/// Every notice whose 申請番号, 事業所番号, ユーザID or 管理番号 is `key`.
pub fn notice(root: &Path, key: &str) -> Result<Found, AppError> {
    let ledger = ledger_at(root)?;
    let lives = lifecycle::lives(&ledger)?;
    let found = lifecycle::find(&lives, key).into_iter().cloned().collect();
    Ok(Found { key: key.to_string(), lives: found, ledger: root.join(ledger::FILE_NAME) })
}

/// The state of batch `batch`.
pub fn batch(root: &Path, batch: &str) -> Result<BatchFound, AppError> {
    let ledger = ledger_at(root)?;
    let status = lifecycle::batch_status(&ledger, batch)?;
    Ok(BatchFound { status, ledger: root.join(ledger::FILE_NAME) })
}

/// One batch as the history lists it: when, by whom, how many notices, and where its mail is.
#[derive(Debug, Serialize)]
pub struct BatchLine {
    pub id: String,
    pub issue_date: String,
    pub started: String,
    pub operator: String,
    /// Notices the batch issued (paper and electronic).
    pub notices: usize,
    #[serde(flatten)]
    pub status: BatchStatus,
}

/// Every batch of the ledger under `root`, the latest first; none when there is no ledger yet.
pub fn batches(root: &Path) -> Result<Vec<BatchLine>, AppError> {
    let Some(ledger) = Ledger::open_read_only(root)? else { return Ok(Vec::new()) };
    let lives = lifecycle::lives(&ledger)?;
    let mut lines = Vec::new();
    for row in ledger.batches(None, None)?.into_iter().rev() {
        let status = lifecycle::batch_status(&ledger, &row.id)?;
        let notices = lives.iter().filter(|l| l.batch == row.id).count();
        lines.push(BatchLine {
            id: row.id,
            issue_date: row.issue_date,
            started: row.started,
            operator: row.operator,
            notices,
            status,
        });
    }
    Ok(lines)
}
