//! What `verify` and the integrity check can find: one thing that does not hold (or, for a
//! purge, a note), worded by the catalogue.

/// One thing that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    FileChanged(String),
    FileMissing(String),
    ExtraFile(String),
    ManifestDisagrees(String),
    ManifestUnreadable(String),
    NoLedger,
    NotInLedger(String),
    ChainBroken {
        seq: i64,
        why: String,
    },
    EventsFileDiffers(String),
    /// A ledger row that is not as its batch's seal recorded it.
    LedgerRow {
        table: &'static str,
        key: String,
        change: Change,
    },
    /// A ledger written before rows were chained, not yet migrated.
    OldLedger,
    /// The ledger does not extend the head given with `--head`.
    HeadNotExtended(String),
    /// A batch the ledger records whose folder is not in the output root.
    FolderMissing(String),
    /// A folder in the output root that the ledger does not record.
    ExtraFolder(String),
    /// A staging folder left by a run that was cut off (the next run tidies it).
    StagingLeft(String),
    /// A finding inside one batch folder, in a whole-ledger check.
    InBatch(String, Box<Finding>),
    /// Not a failure: the files one `purge` removed (how many), when and by whom; one line a
    /// purge, not a line a file.
    Purged {
        count: usize,
        at: String,
        operator: String,
    },
    /// A file `purge` recorded as removed is still (or again) in the folder.
    PurgedButPresent(String),
}

impl Finding {
    /// Whether this finding means something does not hold (a purged file is a note, not one).
    pub fn is_failure(&self) -> bool {
        match self {
            Finding::Purged { .. } => false,
            Finding::InBatch(_, inner) => inner.is_failure(),
            _ => true,
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::msg;
        let text = match self {
            Finding::FileChanged(path) => msg!("audit.finding.file_changed", path),
            Finding::FileMissing(path) => msg!("audit.finding.file_missing", path),
            Finding::ExtraFile(path) => msg!("audit.finding.extra_file", path),
            Finding::ManifestDisagrees(path) => msg!("audit.finding.manifest_disagrees", path),
            Finding::ManifestUnreadable(why) => msg!("audit.finding.manifest_unreadable", why),
            Finding::NoLedger => msg!("audit.finding.no_ledger"),
            Finding::NotInLedger(id) => msg!("audit.finding.not_in_ledger", id),
            Finding::ChainBroken { seq, why } => msg!("audit.finding.chain_broken", seq, why),
            Finding::EventsFileDiffers(why) => msg!("audit.finding.events_file_differs", why),
            Finding::LedgerRow { table, key, change } => match change {
                Change::Changed => msg!("audit.finding.row_changed", table, key),
                Change::Deleted => msg!("audit.finding.row_deleted", table, key),
                Change::Added => msg!("audit.finding.row_added", table, key),
            },
            Finding::OldLedger => msg!("audit.finding.old_ledger"),
            Finding::HeadNotExtended(why) => msg!("audit.finding.head_not_extended", why),
            Finding::FolderMissing(id) => msg!("audit.finding.folder_missing", id),
            Finding::ExtraFolder(name) => msg!("audit.finding.extra_folder", name),
            Finding::StagingLeft(name) => msg!("audit.finding.staging_left", name),
            Finding::InBatch(id, inner) => msg!("audit.finding.in_batch", id, inner),
            Finding::Purged { count, at, operator } => {
                msg!("audit.finding.purged", count, at = crate::ground::wareki::to_the_minute(at), operator)
            }
            Finding::PurgedButPresent(path) => msg!("audit.finding.purged_but_present", path),
        };
        f.write_str(&text)
    }
}

/// How a ledger row differs from what the chain recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Changed,
    Deleted,
    Added,
}
