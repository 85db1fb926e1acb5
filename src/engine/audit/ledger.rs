//! The ledger: an embedded SQLite database at `<output root>/ledger.sqlite` recording every
//! batch, every request (issued / skipped / rejected / already issued), every output file's
//! SHA-256 and a hash-chained list of events. It is what makes a re-run issue nothing twice
//! and what an auditor checks. It never holds a secret, nor any hash of one.
//!
//! One tsuchi at a time per output root: [`Ledger::open`] takes an exclusive lock. A batch is
//! committed in one transaction *before* its staging folder is renamed into place; a crash in
//! between is finished by [`Ledger::recover`] on the next run (the staging folder was complete
//! and synced when the transaction committed), and a staging folder the ledger does not know
//! is removed. So after recovery the ledger and the folders always agree.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::event::{AuditEvent, FilesSeal, RowsSeal};
use super::rows::canonical_hash;
pub use super::rows::{
    BatchRecord, BatchRow, ChainBreak, Detail, Event, GENESIS, Head, Outcome, PastIssue, PeriodBasis, Recovered,
    RequestRecord, SealEvent, first_break, purged_paths, request_row_hash,
};

/// 1: tables and chained events; 2: every row of every table bound into the chain.
const SCHEMA_VERSION: i64 = 2;
pub const FILE_NAME: &str = "ledger.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The output root and who holds its lock.
    #[error("{}", crate::msg!("audit.ledger.busy", path = .0.display(), holder = .1))]
    Busy(PathBuf, String),
    #[error("{}", crate::msg!("audit.ledger.cannot_open", path = .path.display(), detail = .detail))]
    Open { path: PathBuf, detail: String },
    #[error("{}", crate::msg!("audit.ledger.sql", detail = .0))]
    Sql(#[from] rusqlite::Error),
    #[error("{}", crate::msg!("audit.ledger.newer_schema", found = .found, supported = SCHEMA_VERSION))]
    NewerSchema { found: i64 },
    /// The output root holds batch folders (`folders`, one a line) that the ledger does not
    /// record: its rows or its file were lost.
    #[error("{}", crate::msg!("audit.ledger.unrecorded_batches", ledger = .ledger.display(), folders = .folders))]
    UnrecordedBatches { ledger: PathBuf, folders: String },
    /// The batch folder could not be moved to its name in the output root, `path`.
    #[error("{}", crate::msg!("audit.ledger.publish", path = .path.display(), detail = .detail))]
    Publish { path: PathBuf, detail: String },
    /// The batch's `events.jsonl`, which the commit records, cannot be read or does not chain.
    #[error("{}", crate::msg!("audit.ledger.events_file", path = .path.display(), detail = .detail))]
    EventsFile { path: PathBuf, detail: String },
    #[error(
        "{}",
        crate::msg!(
            "audit.ledger.damaged",
            path = .path.display(),
            findings = .findings.iter().map(|item| crate::msg!("audit.bullet", item)).collect::<Vec<_>>().join("\n")
        )
    )]
    Damaged { path: PathBuf, findings: Vec<String> },
    #[error(
        "{}",
        crate::msg!(
            "audit.ledger.elsewhere",
            root = .root.display(),
            other_ledger = .other.join(FILE_NAME).display(),
            batches = .batches,
            other = .other.display(),
            listed = .listed
        )
    )]
    Elsewhere { root: PathBuf, other: PathBuf, batches: usize, listed: usize },
}

/// Builds the chained events of a batch from the ledger's last event.
pub struct EventChain {
    next_seq: i64,
    prev_hash: String,
    batch_id: String,
    pub events: Vec<Event>,
}

impl EventChain {
    /// The head of the chain with the events pushed so far, whether or not they are still in
    /// [`EventChain::events`].
    pub fn head(&self) -> Head {
        Head { count: self.next_seq - 1, hash: self.prev_hash.clone() }
    }

    /// Appends `event`, chained to the one before.
    pub fn push(&mut self, event: &AuditEvent) {
        let batch_id = self.batch_id.clone();
        self.push_for(&batch_id, event);
    }

    /// Appends `event` about batch `batch_id` (a notice's life after its batch).
    pub fn push_for(&mut self, batch_id: &str, event: &AuditEvent) {
        let (kind, detail) = event.to_detail();
        let mut event = Event {
            seq: self.next_seq,
            batch_id: batch_id.to_string(),
            // When it happened, to the microsecond, in Japan time.
            at: crate::ground::wareki::now_in_tokyo().format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string(),
            kind: kind.to_string(),
            detail,
            prev_hash: self.prev_hash.clone(),
            hash: String::new(),
        };
        event.hash = event.computed_hash();
        self.prev_hash = event.hash.clone();
        self.next_seq += 1;
        self.events.push(event);
    }
}

pub struct Ledger {
    conn: Connection,
    root: PathBuf,
    _lock: Option<super::lock::Held>,
}

impl Ledger {
    /// Opens (creating and migrating as needed) the ledger of `root`, holding the output
    /// root's lock until dropped.
    pub fn open(root: &Path) -> Result<Ledger, LedgerError> {
        // A new output root is the clerk's alone (an existing one keeps the mode it was given).
        let lock = super::lock::Held::take(root, super::lock::LEDGER).map_err(|e| match e {
            super::lock::LockError::Busy { path, holder } | super::lock::LockError::Served { path, holder } => {
                LedgerError::Busy(path, holder)
            }
            super::lock::LockError::Open { path, detail } => LedgerError::Open { path, detail },
        })?;
        let mut ledger = Self::connect(root)?;
        ledger._lock = Some(lock);
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Opens an existing ledger without the lock and without changing it (dry runs, verify,
    /// export). `None` when the root has no ledger yet.
    pub fn open_read_only(root: &Path) -> Result<Option<Ledger>, LedgerError> {
        if !root.join(FILE_NAME).exists() {
            return Ok(None);
        }
        Self::connect(root).map(Some)
    }

    fn connect(root: &Path) -> Result<Ledger, LedgerError> {
        let path = root.join(FILE_NAME);
        // A link at the ledger's name is refused, not followed.
        let flags = rusqlite::OpenFlags::default() | rusqlite::OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(&path, flags)
            .map_err(|e| LedgerError::Open { path: path.clone(), detail: e.to_string() })?;
        // Durable commits: the batch folder is published only after the commit returns.
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        Ok(Ledger { conn, root: root.to_path_buf(), _lock: None })
    }

    fn migrate(&mut self) -> Result<(), LedgerError> {
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(LedgerError::NewerSchema { found: version });
        }
        if version < 1 {
            self.conn.execute_batch(
                "BEGIN;
                 CREATE TABLE batches(
                   id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT NOT NULL,
                   operator TEXT NOT NULL, host TEXT NOT NULL, tool TEXT NOT NULL,
                   input_path TEXT NOT NULL, input_sha256 TEXT NOT NULL, config_sha256 TEXT,
                   issue_date TEXT NOT NULL, zip_encryption TEXT NOT NULL);
                 CREATE TABLE requests(
                   batch_id TEXT NOT NULL REFERENCES batches(id), row INTEGER NOT NULL,
                   request_id TEXT NOT NULL, kind TEXT NOT NULL, office_no TEXT NOT NULL,
                   outcome TEXT NOT NULL CHECK (outcome IN ('issued','skipped','rejected','already_issued')),
                   reason TEXT NOT NULL, reissue_of TEXT, reissue_reason TEXT);
                 -- Nothing is issued twice by accident: a second issue must say which one it repeats.
                 CREATE UNIQUE INDEX issued_once ON requests(request_id, kind)
                   WHERE outcome = 'issued' AND reissue_of IS NULL;
                 CREATE INDEX requests_key ON requests(request_id, kind);
                 CREATE TABLE files(
                   batch_id TEXT NOT NULL REFERENCES batches(id), path TEXT NOT NULL,
                   sha256 TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (batch_id, path));
                 CREATE TABLE events(
                   seq INTEGER PRIMARY KEY, batch_id TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
                   detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
                 PRAGMA user_version = 1;
                 COMMIT;",
            )?;
        }
        if version < 2 {
            // Bind the rows written before rows were chained, as they stand now.
            let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let ids: Vec<String> = {
                let mut stmt = tx.prepare("SELECT id FROM batches ORDER BY started, id")?;
                stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
            };
            for id in ids {
                let record = BatchRecord {
                    events_file: None,
                    batch: self_batch(&tx, &id)?.expect("listed above"),
                    requests: requests_of(&tx, &id)?,
                    files: files_of(&tx, &id)?,
                    events: Vec::new(),
                };
                let mut chain = chain_after(&tx, &id)?;
                let rows = RowsSeal { adopted: true, ..rows_seal(&record.batch, &record.requests) };
                chain.push(&AuditEvent::BatchRows(rows));
                chain.push(&AuditEvent::BatchSealed(FilesSeal { files: record.files, adopted: true }));
                insert_events(&tx, &chain.events)?;
            }
            tx.execute_batch("PRAGMA user_version = 2;")?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The schema version of this ledger file.
    pub fn version(&self) -> Result<i64, LedgerError> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The chain's head: the last event's number and hash (`None` for an empty ledger).
    pub fn head(&self) -> Result<Option<Head>, LedgerError> {
        last_event(&self.conn)
    }

    /// Every `requests` row with its batch, in table order.
    pub fn all_requests(&self) -> Result<Vec<(String, RequestRecord)>, LedgerError> {
        let mut stmt =
            self.conn.prepare(&format!("SELECT batch_id, {REQUEST_COLUMNS} FROM requests ORDER BY rowid"))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, request_record(r, 1)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every `files` row: (batch, path, SHA-256, size).
    pub fn all_files(&self) -> Result<Vec<(String, String, String, u64)>, LedgerError> {
        let mut stmt = self.conn.prepare("SELECT batch_id, path, sha256, size FROM files ORDER BY batch_id, path")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? as u64)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Where the ledger file is.
    pub fn path(&self) -> PathBuf {
        self.root.join(FILE_NAME)
    }

    /// Finishes or removes what a crashed run left: a staging folder whose batch the ledger
    /// committed is moved into place; any other staging folder is deleted. Returns what was
    /// done, for the clerk and the audit trail.
    pub fn recover(&self) -> Result<Vec<Recovered>, LedgerError> {
        let mut notes = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.root) else { return Ok(notes) };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_prefix(".staging-") else { continue };
            if self.batch(id)?.is_some() {
                let dest = self.root.join(id);
                std::fs::rename(entry.path(), &dest)
                    .map_err(|e| LedgerError::Publish { path: dest, detail: e.to_string() })?;
                notes.push(Recovered::Published(id.to_string()));
            } else {
                let _ = std::fs::remove_dir_all(entry.path());
                notes.push(Recovered::Removed(id.to_string()));
            }
        }
        Ok(notes)
    }

    /// Every notice issued, by office: from the `request.issued` events (which name the ユーザID
    /// since it was recorded; `None` before) with their batch's 発行日, in the order issued.
    pub fn past_issues(&self) -> Result<Vec<PastIssue>, LedgerError> {
        let mut stmt = self.conn.prepare(
            "SELECT e.batch_id, e.detail, b.issue_date FROM events e JOIN batches b ON b.id = e.batch_id
             WHERE e.kind = 'request.issued' ORDER BY e.seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut past = Vec::new();
        while let Some(r) = rows.next()? {
            let (batch_id, detail, issue_date): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let Ok(d) = serde_json::from_str::<serde_json::Value>(&detail) else { continue };
            let text = |k: &str| d[k].as_str().map(str::to_string);
            let (Some(office_no), Some(kind)) = (text("office_no"), text("kind")) else { continue };
            past.push(PastIssue {
                batch_id,
                issue_date: chrono::NaiveDate::parse_from_str(&issue_date, "%Y-%m-%d").ok(),
                office_no,
                user_id: text("user_id"),
                kind,
            });
        }
        Ok(past)
    }

    /// Every issued (申請番号, 通知種別) → the batch that issued it most recently. The 申請番号
    /// is normalised as the list's are ([`crate::ground::model::RequestId`]): a ledger written before
    /// the number was upper-cased and stripped of invisible characters holds it as it was
    /// typed, and an exact comparison would issue those requests again.
    pub fn issued_index(&self) -> Result<std::collections::HashMap<(String, String), String>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT request_id, kind, batch_id FROM requests WHERE outcome = 'issued' ORDER BY rowid")?;
        let mut rows = stmt.query([])?;
        let mut index = std::collections::HashMap::new();
        while let Some(r) = rows.next()? {
            let (id, kind, batch): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let id = crate::ground::model::RequestId::parse(&id).map(|p| p.as_str().to_string()).unwrap_or(id);
            index.insert((id, kind), batch);
        }
        Ok(index)
    }

    /// Starts the event chain of a new batch after the ledger's last event.
    pub fn chain(&self, batch_id: &str) -> Result<EventChain, LedgerError> {
        chain_after(&self.conn, batch_id)
    }

    /// Records `batch` in one transaction, then runs `publish` (the rename of the staging
    /// folder). The commit comes first: if tsuchi dies before `publish`, [`Ledger::recover`]
    /// finishes the rename next time. Each part of the record is dropped once inserted: SQLite
    /// copies what it is given, and a batch of 100,000 rows hands it tens of megabytes.
    pub fn commit(
        &mut self,
        record: BatchRecord,
        publish: impl FnOnce() -> std::io::Result<()>,
    ) -> Result<(), LedgerError> {
        let BatchRecord { batch, requests, files, events_file, events } = record;
        let dest = self.root.join(&batch.id);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO batches VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                batch.id,
                batch.started,
                batch.finished,
                batch.operator,
                batch.host,
                batch.tool,
                batch.input_path,
                batch.input_sha256,
                batch.config_sha256,
                batch.issue_date,
                batch.zip_encryption
            ],
        )?;
        {
            let mut insert = tx.prepare("INSERT INTO requests VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?;
            for r in &requests {
                insert.execute(params![
                    batch.id,
                    r.row as i64,
                    r.request_id,
                    r.kind,
                    r.office_no,
                    r.outcome.as_str(),
                    r.reason,
                    r.reissue_of,
                    r.reissue_reason
                ])?;
            }
            drop(requests);
            let mut insert = tx.prepare("INSERT INTO files VALUES (?1, ?2, ?3, ?4)")?;
            for (path, sha, size) in &files {
                insert.execute(params![batch.id, path, sha, *size as i64])?;
            }
            drop(files);
            // The rows were made on other threads; what SQLite takes next comes from this one.
            crate::ground::os::release_freed_memory();
        }
        // The events, each checked to follow the ledger's last: those read back from the
        // batch's events.jsonl a line at a time, then those held.
        let mut chained = Chained::after(&tx, events_file.clone().unwrap_or_else(|| self.root.join(FILE_NAME)))?;
        if let Some(path) = &events_file {
            for event in super::rows::read_jsonl(path).map_err(|e| chained.broken(e.to_string()))? {
                let event = event.map_err(|e| chained.broken(e.to_string()))?;
                chained.insert(&event)?;
            }
        }
        for event in &events {
            chained.insert(event)?;
        }
        drop((chained, events));
        crate::ground::failpoint::hit("commit:before");
        tx.commit()?;
        crate::ground::failpoint::hit("commit:after");
        publish().map_err(|e| LedgerError::Publish { path: dest, detail: e.to_string() })?;
        crate::ground::failpoint::hit("commit:published");
        Ok(())
    }

    /// Records events that follow a notice after its batch (mail, returns, purges), in one
    /// transaction. The caller built them with [`Ledger::chain`] on this ledger, under its lock.
    pub fn append(&mut self, events: &[Event]) -> Result<(), LedgerError> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        insert_events(&tx, events)?;
        tx.commit()?;
        Ok(())
    }

    /// Whether the chain passes through `head`: its event `head.count` has `head.hash`.
    pub fn extends(&self, head: &Head) -> Result<bool, LedgerError> {
        Ok(self.hash_at(head.count)?.as_deref() == Some(head.hash.as_str()))
    }

    /// The hash of event `seq`, if the ledger has one.
    pub fn hash_at(&self, seq: i64) -> Result<Option<String>, LedgerError> {
        Ok(self.conn.query_row("SELECT hash FROM events WHERE seq = ?1", params![seq], |r| r.get(0)).optional()?)
    }

    /// The root folder of this ledger (batches are its sub-folders).
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn batch(&self, id: &str) -> Result<Option<BatchRow>, LedgerError> {
        self_batch(&self.conn, id)
    }

    /// Batches started between `from` and `to` (inclusive dates, either open).
    pub fn batches(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<BatchRow>, LedgerError> {
        self.batches_by(from, to, PeriodBasis::RunDate)
    }

    /// Batches whose date (`basis`: the 発行日 or the day the run started) is between `from`
    /// and `to` (inclusive `YYYY-MM-DD`, either open), in the order they ran.
    pub fn batches_by(
        &self,
        from: Option<&str>,
        to: Option<&str>,
        basis: PeriodBasis,
    ) -> Result<Vec<BatchRow>, LedgerError> {
        let day = match basis {
            PeriodBasis::IssueDate => "substr(issue_date, 1, 10)",
            PeriodBasis::RunDate => "substr(started, 1, 10)",
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, started, finished, operator, host, tool, input_path, input_sha256, config_sha256,
                    issue_date, zip_encryption FROM batches
             WHERE (?1 IS NULL OR {day} >= ?1) AND (?2 IS NULL OR {day} <= ?2)
             ORDER BY started, id"
        ))?;
        let rows = stmt.query_map(params![from, to], batch_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn requests(&self, batch_id: &str) -> Result<Vec<RequestRecord>, LedgerError> {
        requests_of(&self.conn, batch_id)
    }

    /// (path, SHA-256, size) of every file of a batch.
    pub fn files(&self, batch_id: &str) -> Result<Vec<(String, String, u64)>, LedgerError> {
        files_of(&self.conn, batch_id)
    }

    /// Events, all or of one batch, in chain order.
    pub fn events(&self, batch_id: Option<&str>) -> Result<Vec<Event>, LedgerError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, batch_id, at, kind, detail, prev_hash, hash FROM events
             WHERE ?1 IS NULL OR batch_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map(params![batch_id], |r| {
                let detail: String = r.get(4)?;
                Ok(Event {
                    seq: r.get(0)?,
                    batch_id: r.get(1)?,
                    at: r.get(2)?,
                    kind: r.get(3)?,
                    // Text that is not JSON (the ledger's own writes never are) reads as a
                    // JSON string.
                    detail: Detail::from_json(detail.clone())
                        .unwrap_or_else(|| Detail::of(&serde_json::Value::String(detail))),
                    prev_hash: r.get(5)?,
                    hash: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Checks the whole chain: every event's hash is the hash of its canonical form, and every
    /// event names its predecessor's hash. Returns the first break.
    pub fn verify_chain(&self) -> Result<Option<ChainBreak>, LedgerError> {
        Ok(self.scan()?.0)
    }

    /// One pass over the events as stored, hashing each over its stored text (no event is
    /// parsed): the chain's first break, and the `batch.rows` and `batch.sealed` events'
    /// (seq, batch, kind, detail).
    pub fn scan(&self) -> Result<(Option<ChainBreak>, Vec<SealEvent>), LedgerError> {
        let mut stmt =
            self.conn.prepare("SELECT seq, batch_id, at, kind, detail, prev_hash, hash FROM events ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let (mut prev, mut expected, mut first) = (GENESIS.to_string(), 1i64, None);
        let mut seals = Vec::new();
        while let Some(r) = rows.next()? {
            let (seq, batch_id, at, kind): (i64, String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let (detail, prev_hash, hash): (String, String, String) = (r.get(4)?, r.get(5)?, r.get(6)?);
            if first.is_none() {
                if seq != expected {
                    first = Some(ChainBreak { seq: expected, why: crate::msg!("audit.chain.missing", seq = expected) });
                } else if prev_hash != prev {
                    first = Some(ChainBreak { seq, why: crate::msg!("audit.chain.prev_hash") });
                } else if canonical_hash(seq, &batch_id, &at, &kind, &detail, &prev_hash) != hash {
                    first = Some(ChainBreak { seq, why: crate::msg!("audit.chain.changed") });
                }
            }
            if kind == super::event::SEALED || kind == super::event::ROWS {
                seals.push(SealEvent { seq, batch_id, kind, detail });
            }
            prev = hash;
            expected += 1;
        }
        Ok((first, seals))
    }
}

/// What binds a batch's `batches` row and `requests` rows into the chain.
pub fn rows_seal(batch: &BatchRow, requests: &[RequestRecord]) -> RowsSeal {
    RowsSeal {
        batch: batch.clone(),
        requests: requests.iter().map(|r| (r.row, request_row_hash(&batch.id, r))).collect(),
        adopted: false,
    }
}

const REQUEST_COLUMNS: &str = "row, request_id, kind, office_no, outcome, reason, reissue_of, reissue_reason";

fn request_record(r: &rusqlite::Row, at: usize) -> rusqlite::Result<RequestRecord> {
    let outcome: String = r.get(at + 4)?;
    Ok(RequestRecord {
        row: r.get::<_, i64>(at)? as usize,
        request_id: r.get(at + 1)?,
        kind: r.get(at + 2)?,
        office_no: r.get(at + 3)?,
        outcome: match outcome.as_str() {
            "issued" => Outcome::Issued,
            "skipped" => Outcome::Skipped,
            "rejected" => Outcome::Rejected,
            _ => Outcome::AlreadyIssued,
        },
        reason: r.get(at + 5)?,
        reissue_of: r.get(at + 6)?,
        reissue_reason: r.get(at + 7)?,
    })
}

fn self_batch(conn: &Connection, id: &str) -> Result<Option<BatchRow>, LedgerError> {
    Ok(conn
        .query_row(
            "SELECT id, started, finished, operator, host, tool, input_path, input_sha256, config_sha256,
                    issue_date, zip_encryption FROM batches WHERE id = ?1",
            params![id],
            batch_row,
        )
        .optional()?)
}

fn requests_of(conn: &Connection, batch_id: &str) -> Result<Vec<RequestRecord>, LedgerError> {
    let mut stmt =
        conn.prepare(&format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE batch_id = ?1 ORDER BY row, rowid"))?;
    let rows = stmt.query_map(params![batch_id], |r| request_record(r, 0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn files_of(conn: &Connection, batch_id: &str) -> Result<Vec<(String, String, u64)>, LedgerError> {
    let mut stmt = conn.prepare("SELECT path, sha256, size FROM files WHERE batch_id = ?1 ORDER BY path")?;
    let rows = stmt
        .query_map(params![batch_id], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The number and hash of the ledger's last event (`None` for an empty ledger).
fn last_event(conn: &Connection) -> Result<Option<Head>, LedgerError> {
    Ok(conn
        .query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok(Head { count: r.get(0)?, hash: r.get(1)? })
        })
        .optional()?)
}

/// The head an event must follow: the ledger's last event, or the genesis before the first.
fn head_or_genesis(conn: &Connection) -> Result<Head, LedgerError> {
    Ok(last_event(conn)?.unwrap_or_else(|| Head { count: 0, hash: GENESIS.to_string() }))
}

fn chain_after(conn: &Connection, batch_id: &str) -> Result<EventChain, LedgerError> {
    let last = head_or_genesis(conn)?;
    Ok(EventChain { next_seq: last.count + 1, prev_hash: last.hash, batch_id: batch_id.into(), events: Vec::new() })
}

/// Inserts events one by one, each checked to follow the one before, the first the ledger's
/// last: a batch's events are read back from its folder, and nothing that does not chain may
/// enter the ledger.
struct Chained<'c> {
    insert: rusqlite::Statement<'c>,
    last: Head,
    /// Where the events come from, for the error.
    source: PathBuf,
}

impl<'c> Chained<'c> {
    fn after(conn: &'c Connection, source: PathBuf) -> Result<Chained<'c>, LedgerError> {
        Ok(Chained { insert: conn.prepare(INSERT_EVENT)?, last: head_or_genesis(conn)?, source })
    }

    /// The events cannot be recorded, and why.
    fn broken(&self, detail: String) -> LedgerError {
        LedgerError::EventsFile { path: self.source.clone(), detail }
    }

    fn insert(&mut self, e: &Event) -> Result<(), LedgerError> {
        if e.seq != self.last.count + 1 || e.prev_hash != self.last.hash || e.hash != e.computed_hash() {
            return Err(self.broken(crate::msg!("audit.ledger.events_broken", seq = e.seq)));
        }
        insert_event(&mut self.insert, e)?;
        self.last = Head { count: e.seq, hash: e.hash.clone() };
        Ok(())
    }
}

const INSERT_EVENT: &str = "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

fn insert_event(insert: &mut rusqlite::Statement, e: &Event) -> Result<(), LedgerError> {
    insert.execute(params![e.seq, e.batch_id, e.at, e.kind, e.detail.text(), e.prev_hash, e.hash])?;
    Ok(())
}

fn insert_events(conn: &Connection, events: &[Event]) -> Result<(), LedgerError> {
    let mut insert = conn.prepare(INSERT_EVENT)?;
    events.iter().try_for_each(|e| insert_event(&mut insert, e))
}

fn batch_row(r: &rusqlite::Row) -> rusqlite::Result<BatchRow> {
    Ok(BatchRow {
        id: r.get(0)?,
        started: r.get(1)?,
        finished: r.get(2)?,
        operator: r.get(3)?,
        host: r.get(4)?,
        tool: r.get(5)?,
        input_path: r.get(6)?,
        input_sha256: r.get(7)?,
        config_sha256: r.get(8)?,
        issue_date: r.get(9)?,
        zip_encryption: r.get(10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain_of(n: usize) -> Vec<Event> {
        let mut chain = EventChain { next_seq: 1, prev_hash: GENESIS.into(), batch_id: "b".into(), events: vec![] };
        for i in 0..n {
            chain.push(&AuditEvent::ZipCrypto { warning: i.to_string() });
        }
        chain.events
    }

    #[test]
    fn the_hash_is_of_the_canonical_text() {
        for e in chain_of(3) {
            assert_eq!(e.computed_hash(), crate::ground::digest::sha256_hex(e.canonical().as_bytes()));
        }
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(first_break(&chain_of(5)), None);
    }

    #[test]
    fn an_edited_event_breaks_the_chain_at_that_event() {
        let mut events = chain_of(5);
        events[2].detail = Detail::of(&serde_json::json!({ "warning": "99" }));
        assert_eq!(first_break(&events).unwrap().seq, 3);
    }

    #[test]
    fn a_rehashed_edit_breaks_the_chain_at_the_next_event() {
        let mut events = chain_of(5);
        events[2].detail = Detail::of(&serde_json::json!({ "warning": "99" }));
        events[2].hash = events[2].computed_hash();
        assert_eq!(first_break(&events).unwrap().seq, 4);
    }

    #[test]
    fn a_deleted_event_is_found() {
        let mut events = chain_of(5);
        events.remove(1);
        assert_eq!(first_break(&events).unwrap().seq, 2);
    }

    #[test]
    fn a_second_open_of_the_same_root_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = Ledger::open(dir.path()).unwrap();
        assert!(matches!(Ledger::open(dir.path()), Err(LedgerError::Busy(..))));
        drop(first);
        assert!(Ledger::open(dir.path()).is_ok());
    }

    /// A batch whose events come from `lines` (an events.jsonl), committed to a new ledger.
    fn commit_from_file(lines: &[Event]) -> (tempfile::TempDir, Ledger, Result<(), LedgerError>) {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path()).unwrap();
        let file = dir.path().join("events.jsonl");
        std::fs::write(&file, super::super::log::jsonl(lines)).unwrap();
        let batch = BatchRow {
            id: "b".into(),
            started: "s".into(),
            finished: "f".into(),
            operator: "o".into(),
            host: "h".into(),
            tool: "t".into(),
            input_path: "i".into(),
            input_sha256: "0".repeat(64),
            config_sha256: None,
            issue_date: "2026-11-22".into(),
            zip_encryption: "aes256".into(),
        };
        let record = BatchRecord { batch, requests: vec![], files: vec![], events_file: Some(file), events: vec![] };
        let committed = ledger.commit(record, || Ok(()));
        (dir, ledger, committed)
    }

    #[test]
    fn events_read_back_from_the_batch_file_are_committed_in_order() {
        let events = chain_of(4);
        let (_dir, ledger, committed) = commit_from_file(&events);
        committed.unwrap();
        assert_eq!(ledger.events(None).unwrap(), events);
        assert_eq!(ledger.verify_chain().unwrap(), None);
    }

    #[test]
    fn an_events_file_that_does_not_chain_commits_nothing() {
        let mut edited = chain_of(4);
        edited[2].detail = Detail::of(&serde_json::json!({ "warning": "99" }));
        let mut missing = chain_of(4);
        missing.remove(1);
        for events in [edited, missing] {
            let (_dir, ledger, committed) = commit_from_file(&events);
            let Err(LedgerError::EventsFile { detail, .. }) = committed else { panic!("{committed:?}") };
            assert!(detail.contains('2') || detail.contains('3'), "{detail}");
            assert!(ledger.batch("b").unwrap().is_none());
            assert_eq!(ledger.head().unwrap(), None);
        }
    }
}
