//! Verify: every row of the ledger, its chain, and every batch folder it records (or one batch
//! folder), and, if given, the chain head written on paper.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{AppError, Place};
use crate::engine::audit::ledger::{self, Head};
use crate::engine::audit::verify::{self as audit_verify, Finding};

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    /// A batch folder, a batch ID under the output root, or a folder holding a ledger;
    /// `None`: the whole ledger of `place`.
    pub batch: Option<PathBuf>,
    pub place: Place,
    /// The chain head written on the paper record (`COUNT:HASH`).
    pub head: Option<String>,
}

/// What was verified.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Scope {
    /// One batch folder.
    Batch { dir: PathBuf },
    /// The whole ledger under `root` and every batch it records.
    Ledger { root: PathBuf, ledger: PathBuf, batches: usize, head: Option<String> },
}

/// The verdict: no failure means verified.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyOutcome {
    #[serde(flatten)]
    pub scope: Scope,
    /// No failure: everything verified.
    pub verified: bool,
    /// A paper head was given and checked with the rest.
    pub head_checked: bool,
    #[serde(serialize_with = "crate::engine::outcome::displayed")]
    pub failures: Vec<Finding>,
    /// Findings that are not failures (a purge recorded, …).
    #[serde(serialize_with = "crate::engine::outcome::displayed")]
    pub notes: Vec<Finding>,
}

impl VerifyOutcome {
    pub fn verified(&self) -> bool {
        self.verified
    }
}

/// Verifies what `request` names.
pub fn verify(request: &VerifyRequest) -> Result<VerifyOutcome, AppError> {
    let head: Option<Head> = request.head.as_deref().map(str::parse).transpose().map_err(AppError::refused)?;
    let mut place = request.place.clone();
    // A folder that holds the ledger is an output root, not a batch: the whole ledger.
    let batch = match &request.batch {
        Some(b) if b.join(ledger::FILE_NAME).is_file() => {
            place.out = Some(b.clone());
            None
        }
        other => other.clone(),
    };
    // A batch ID that names no folder here is looked for under the output root, as `purge` does.
    let batch = match batch {
        Some(b) if !b.is_dir() && b.components().count() == 1 => {
            let root = place.root()?;
            Some(if root.join(&b).is_dir() { root.join(b) } else { b })
        }
        other => other,
    };
    let (scope, findings) = match batch {
        Some(dir) => {
            let findings = audit_verify::verify(&dir, head.as_ref())?;
            (Scope::Batch { dir }, findings)
        }
        None => {
            let root = place.root()?;
            let report = audit_verify::verify_ledger(&root, head.as_ref())?;
            let scope = Scope::Ledger {
                ledger: root.join(ledger::FILE_NAME),
                root,
                batches: report.batches,
                head: report.head.as_ref().map(Head::grouped),
            };
            (scope, report.findings)
        }
    };
    let (failures, notes): (Vec<Finding>, Vec<Finding>) = findings.into_iter().partition(Finding::is_failure);
    Ok(VerifyOutcome { scope, verified: failures.is_empty(), head_checked: head.is_some(), failures, notes })
}

/// The folder a batch argument names: itself if it is one, else that name under `place`'s root.
pub fn batch_dir(batch: &Path, place: &Place) -> Result<PathBuf, AppError> {
    match batch.is_dir() {
        true => Ok(batch.to_path_buf()),
        false => Ok(place.root()?.join(batch)),
    }
}
