//! The mail room: scan each page's code as it goes into its envelope (封入済み), import the
//! filled 発送リスト (書留番号 and 発送日 into the ledger), and record a notice that came back (返戻).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{AppError, Place};
use crate::engine::audit::event::NoticeRef;
use crate::engine::audit::ledger::Ledger;
use crate::engine::lifecycle::scan::{self, Scan};
use crate::engine::lifecycle::{self, Import, LifecycleError};

/// What an import recorded, row by row, and the ledger it recorded in.
#[derive(Debug, Serialize)]
pub struct Imported {
    pub list: PathBuf,
    #[serde(flatten)]
    pub import: Import,
    pub ledger: PathBuf,
}

/// Imports the filled 発送リスト `list`; `correct` lets a changed 書留番号 or 発送日 be recorded
/// as a correction.
pub fn import(place: &Place, list: &Path, correct: bool) -> Result<Imported, AppError> {
    let root = place.root()?;
    let mut ledger = lifecycle::open(&root)?;
    let import = lifecycle::import(&mut ledger, list, correct)?;
    Ok(Imported { list: list.to_path_buf(), import, ledger: ledger.path() })
}

/// What importing the filled 発送リスト `list` would record, row by row, recording nothing: the
/// preview the page shows before the clerk confirms.
pub fn preview(place: &Place, list: &Path, correct: bool) -> Result<Imported, AppError> {
    let root = place.root()?;
    let ledger = Ledger::open_read_only(&root)?.ok_or(LifecycleError::NoLedger(root.clone()))?;
    crate::engine::audit::integrity::ensure_intact(&ledger)?;
    let import = lifecycle::preview_import(&ledger, list, correct)?;
    Ok(Imported { list: list.to_path_buf(), import, ledger: ledger.path() })
}

/// A 返戻 as recorded.
#[derive(Debug, Serialize)]
pub struct Returned {
    pub batch: String,
    pub notice: NoticeRef,
    pub reason: String,
    pub ledger: PathBuf,
}

/// Records that the notice `key` (管理番号, 申請番号 or 事業所番号) came back, and why.
pub fn returned(place: &Place, key: &str, reason: &str) -> Result<Returned, AppError> {
    let root = place.root()?;
    let mut ledger = lifecycle::open(&root)?;
    let (batch, notice) = lifecycle::returned(&mut ledger, key, reason)?;
    Ok(Returned { batch, notice, reason: reason.to_string(), ledger: ledger.path() })
}

/// A scan as recorded, and the ledger it recorded in.
#[derive(Debug, Serialize)]
pub struct Scanned {
    #[serde(flatten)]
    pub scan: Scan,
    pub ledger: PathBuf,
}

/// Records each code the mail room's scanner reads (`codes`, one line each, as typed) as its
/// notice put into its envelope (封入済み), of `batch` or else of the batch of the first code;
/// `each` is told what each code did as soon as it is read, so the face can show it at once.
/// A scan goes on from the furthest page enclosed before, so a face may also hand over one
/// code per call (the browser's field) and still hear of skipped pages.
pub fn scan(
    place: &Place,
    batch: Option<&str>,
    codes: impl IntoIterator<Item = String>,
    mut each: impl FnMut(&scan::Scanned),
) -> Result<Scanned, AppError> {
    let root = place.root()?;
    let mut ledger = lifecycle::open(&root)?;
    let path = ledger.path();
    let mut scanner = scan::Scanner::new(&mut ledger, batch)?;
    for (i, code) in codes.into_iter().enumerate() {
        if let Some(scanned) = scanner.scan(i + 1, &code)? {
            each(scanned);
        }
    }
    Ok(Scanned { scan: scanner.finish(), ledger: path })
}
