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
