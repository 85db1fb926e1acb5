//! The user's ledgers: every output root tsuchi has used for this user, the one used last, and
//! the one a command started here would use.

use std::path::PathBuf;

use serde::Serialize;

use super::{AppError, Place};
use crate::engine::audit::ledger;

/// One ledger of the list.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub ledger: PathBuf,
    /// Batches it records; `None`: the ledger is not there (any more).
    pub batches: Option<usize>,
    pub last_used: bool,
}

/// The list, where it is kept, and the ledger here.
#[derive(Debug, Clone, Serialize)]
pub struct Ledgers {
    /// The user's list of ledgers; `None`: no per-user folder on this machine.
    pub list: Option<PathBuf>,
    pub ledgers: Vec<Listed>,
    pub here: PathBuf,
}

/// The user's ledgers and the one `place` names.
pub fn ledgers(place: &Place) -> Result<Ledgers, AppError> {
    let here = place.root()?.join(ledger::FILE_NAME);
    let Some(registry) = crate::engine::home::registry() else {
        return Ok(Ledgers { list: None, ledgers: Vec::new(), here });
    };
    let ledgers = crate::engine::home::listing(&registry)
        .into_iter()
        .map(|l| Listed { ledger: l.root.join(ledger::FILE_NAME), batches: l.batches, last_used: l.last_used })
        .collect();
    Ok(Ledgers { list: Some(registry), ledgers, here })
}

/// The chain head of the ledger `place` names (`COUNT:HASH`, the hash in groups of eight, as the
/// bundle's cover prints it), to be written on the paper record; `None` without a ledger.
pub fn head(place: &Place) -> Result<Option<String>, AppError> {
    let Some(ledger) = ledger::Ledger::open_read_only(&place.root()?)? else { return Ok(None) };
    Ok(ledger.head()?.as_ref().map(ledger::Head::grouped))
}
