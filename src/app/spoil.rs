//! A spoiled page: the notice is withdrawn (its passwords are not to be used) and never
//! printed again; the replacement is issued with new passwords by a run that reissues its
//! 申請番号, whose hand-off marks the old ones withdrawn.

use std::path::PathBuf;

use serde::Serialize;

use super::{AppError, Place};
use crate::engine::audit::event::NoticeRef;
use crate::engine::lifecycle;

/// A spoiled notice as recorded.
#[derive(Debug, Serialize)]
pub struct Spoiled {
    pub batch: String,
    pub notice: NoticeRef,
    pub reason: String,
    pub ledger: PathBuf,
}

/// Records that the page with control number `control` was spoiled, and why.
pub fn spoil(place: &Place, control: &str, reason: &str) -> Result<Spoiled, AppError> {
    let root = place.root()?;
    let mut ledger = lifecycle::open(&root)?;
    let (batch, notice) = lifecycle::spoil(&mut ledger, control, reason)?;
    Ok(Spoiled { batch, notice, reason: reason.trim().to_string(), ledger: ledger.path() })
}
