//! Work in progress between requests: the request list checked on the 発行 page and the batch
//! started from it (with its progress), and the 発送リスト previewed on the 発送 page. Each holds
//! its upload, removed when the work is done or replaced.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::upload::Upload;
use crate::app::Progress;
use crate::app::check::CheckOutcome;
use crate::app::run::RunOutcome;

/// The 発行 page's work in progress: the list checked last, and the batch started from it.
#[derive(Default)]
pub struct Desk {
    pub(super) checked: Option<Checked>,
    pub(super) job: Option<Arc<Job>>,
}

/// A list as uploaded and checked; the upload is removed when this goes.
pub struct Checked {
    pub(super) upload: Upload,
    pub(super) outcome: CheckOutcome,
}

/// A batch running (or run) from the page.
pub struct Job {
    pub(super) total: AtomicUsize,
    pub(super) done: AtomicUsize,
    pub(super) finished: AtomicBool,
    pub(super) started: Instant,
    pub(super) list: String,
    pub(super) result: Mutex<Option<Result<Issued, String>>>,
}

/// A batch as it was written, and the ledger's chain head after it.
pub struct Issued {
    pub(super) outcome: RunOutcome,
    pub(super) head: Option<String>,
}

impl Progress for Job {
    fn start(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
    fn finish(&self) {}
}

/// A filled 発送リスト uploaded and previewed, waiting for the clerk's confirmation.
pub struct Pending {
    pub(super) upload: Upload,
    /// The clerk asked to record rows that differ from the ledger as corrections.
    pub(super) correct: bool,
    /// The session shown the preview, and the preview's own id (its page's forms carry it).
    pub(super) session: String,
    pub(super) id: String,
}
