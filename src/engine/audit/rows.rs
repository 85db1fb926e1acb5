//! The ledger's rows and events as values, without the database: an event of the chain and
//! its canonical hash, a batch's row, a request's row and its outcome, the chain's head as
//! written on paper. `event`, `log` and `integrity` read these; only `ledger` stores them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ground::digest::sha256_hex;

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One hash-chained event. `hash` is the SHA-256 of [`Event::canonical`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub batch_id: String,
    pub at: String,
    pub kind: String,
    pub detail: Detail,
    pub prev_hash: String,
    pub hash: String,
}

/// What an event says, as the JSON text the chain hashes and the ledger stores: a batch of
/// 100,000 requests holds as many events in memory until the ledger commits them, and text
/// takes a fraction of the room of a parsed tree. [`Detail::value`] parses it for reading.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Detail(Box<serde_json::value::RawValue>);

impl Detail {
    /// The detail of `value`, written as serde_json writes it (keys sorted).
    pub fn of(value: &serde_json::Value) -> Detail {
        Detail::from_json(value.to_string()).expect("a JSON value is JSON text")
    }

    /// JSON text as it stands, or `None` when it is not JSON.
    pub fn from_json(text: String) -> Option<Detail> {
        serde_json::value::RawValue::from_string(text).ok().map(Detail)
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The detail parsed, for reading its fields.
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(self.text()).expect("a detail is JSON text")
    }
}

impl PartialEq for Detail {
    fn eq(&self, other: &Detail) -> bool {
        self.text() == other.text()
    }
}

impl Event {
    /// The canonical form that is hashed: JSON of every field but `hash`, keys sorted.
    pub fn canonical(&self) -> String {
        canonical(self.seq, &self.batch_id, &self.at, &self.kind, self.detail.text(), &self.prev_hash)
    }

    /// SHA-256 of [`Event::canonical`], hashed as it is written: a seal's detail lists every
    /// file of the batch, and the canonical text need not be built a second time to hash it.
    pub fn computed_hash(&self) -> String {
        canonical_hash(self.seq, &self.batch_id, &self.at, &self.kind, self.detail.text(), &self.prev_hash)
    }
}

/// The canonical text of an event whose `detail` is already JSON text (as the ledger stores
/// it): exactly what serde_json writes for the object of those fields, keys sorted.
fn canonical(seq: i64, batch_id: &str, at: &str, kind: &str, detail: &str, prev_hash: &str) -> String {
    let mut text = Vec::new();
    write_canonical(&mut text, seq, batch_id, at, kind, detail, prev_hash).expect("writing to memory cannot fail");
    String::from_utf8(text).expect("JSON text is UTF-8")
}

/// SHA-256 (hex) of [`canonical`], without building the text.
pub(super) fn canonical_hash(seq: i64, batch_id: &str, at: &str, kind: &str, detail: &str, prev_hash: &str) -> String {
    let mut hashing = crate::ground::digest::Hashing::new(std::io::sink());
    write_canonical(&mut hashing, seq, batch_id, at, kind, detail, prev_hash).expect("a sink cannot fail");
    hashing.finish().1
}

/// Writes the canonical text: the one place that knows its form.
fn write_canonical(
    out: &mut impl std::io::Write,
    seq: i64,
    batch_id: &str,
    at: &str,
    kind: &str,
    detail: &str,
    prev_hash: &str,
) -> std::io::Result<()> {
    let text = |s: &str| serde_json::to_string(s).expect("a string serialises");
    write!(
        out,
        r#"{{"at":{},"batch_id":{},"detail":{detail},"kind":{},"prev_hash":{},"seq":{seq}}}"#,
        text(at),
        text(batch_id),
        text(kind),
        text(prev_hash)
    )
}

/// Which date of a batch a period is about: the 発行日 printed on its notices, or the day it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodBasis {
    IssueDate,
    RunDate,
}

/// What a request came to in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Issued,
    Skipped,
    Rejected,
    AlreadyIssued,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Issued => "issued",
            Outcome::Skipped => "skipped",
            Outcome::Rejected => "rejected",
            Outcome::AlreadyIssued => "already_issued",
        }
    }
}

/// A notice a batch issued, as [`Ledger::past_issues`] finds it by office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastIssue {
    pub batch_id: String,
    /// The batch's 発行日.
    pub issue_date: Option<chrono::NaiveDate>,
    pub office_no: String,
    /// Recorded since cross-batch checks began; `None` in older ledgers (then any ユーザID of
    /// the office matches).
    pub user_id: Option<String>,
    /// The kind's English alias.
    pub kind: String,
}

/// A request row of the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub row: usize,
    pub request_id: String,
    /// The kind's English alias (`registration` …); empty when the row had none.
    pub kind: String,
    pub office_no: String,
    pub outcome: Outcome,
    pub reason: String,
    /// For a deliberate reissue: the batch that issued it before, and why again.
    pub reissue_of: Option<String>,
    pub reissue_reason: Option<String>,
}

/// A batch as the ledger records it: its row and everything under it.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRecord {
    pub batch: BatchRow,
    pub requests: Vec<RequestRecord>,
    /// (path relative to the batch folder, SHA-256, size).
    pub files: Vec<(String, String, u64)>,
    /// The batch's `events.jsonl`, when its events were written there as they were chained
    /// instead of being held: they come before [`BatchRecord::events`].
    pub events_file: Option<PathBuf>,
    pub events: Vec<Event>,
}

/// A batch's own row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRow {
    pub id: String,
    pub started: String,
    pub finished: String,
    pub operator: String,
    pub host: String,
    pub tool: String,
    pub input_path: String,
    pub input_sha256: String,
    pub config_sha256: Option<String>,
    pub issue_date: String,
    pub zip_encryption: String,
}

/// What [`Ledger::recover`] did with a staging folder a run that was cut off left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// The ledger records the batch: its folder was moved into the output root.
    Published(String),
    /// The ledger does not: the folder was deleted (nothing of it was issued).
    Removed(String),
}

impl std::fmt::Display for Recovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&match self {
            Recovered::Published(id) => crate::msg!("audit.recovered.published", id),
            Recovered::Removed(id) => crate::msg!("audit.recovered.removed", id),
        })
    }
}

/// Where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub why: String,
}

/// The first place where `events` (in order) do not form a chain from the genesis.
pub fn first_break(events: &[Event]) -> Option<ChainBreak> {
    let mut prev = GENESIS.to_string();
    for (expected_seq, e) in (1..).zip(events) {
        if e.seq != expected_seq {
            return Some(ChainBreak { seq: expected_seq, why: crate::msg!("audit.chain.missing", seq = expected_seq) });
        }
        if e.prev_hash != prev {
            return Some(ChainBreak { seq: e.seq, why: crate::msg!("audit.chain.prev_hash") });
        }
        if e.computed_hash() != e.hash {
            return Some(ChainBreak { seq: e.seq, why: crate::msg!("audit.chain.changed") });
        }
        prev = e.hash.clone();
    }
    None
}

/// A `batch.rows` or `batch.sealed` event as stored.
pub struct SealEvent {
    pub seq: i64,
    pub batch_id: String,
    pub kind: String,
    pub detail: String,
}

/// The chain's head as printed on paper: `<count>:<hash>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub count: i64,
    pub hash: String,
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.count, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;

    /// Reads `<count>:<hash>` as typed back from paper: spaces anywhere, either case, full or
    /// half width (a Japanese input method types `１２：３ＦＡ４…`).
    fn from_str(s: &str) -> Result<Head, String> {
        use unicode_normalization::UnicodeNormalization;
        let compact: String = s.nfkc().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        let bad = || crate::msg!("audit.head_format", value = s);
        let (count, hash) = compact.split_once(':').ok_or_else(bad)?;
        let count: i64 = count.parse().map_err(|_| bad())?;
        if count < 1 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Head { count, hash: hash.to_string() })
    }
}

impl Head {
    /// The hash in groups of eight, for reading aloud and typing back from paper.
    pub fn grouped(&self) -> String {
        let groups: Vec<&str> =
            self.hash.as_bytes().chunks(8).map(|c| std::str::from_utf8(c).expect("hex is ASCII")).collect();
        format!("{}:{}", self.count, groups.join(" "))
    }
}

/// The canonical form of a `requests` row, which its seal hashes.
pub fn request_row_hash(batch_id: &str, r: &RequestRecord) -> String {
    let canonical = serde_json::to_string(&(
        batch_id,
        r.row,
        &r.request_id,
        &r.kind,
        &r.office_no,
        r.outcome.as_str(),
        &r.reason,
        &r.reissue_of,
        &r.reissue_reason,
    ))
    .expect("a row serialises");
    sha256_hex(canonical.as_bytes())
}

/// (path, when) of the files a `batch.purged` event removed.
pub fn purged_paths(e: &Event) -> Vec<(String, String)> {
    e.detail.value()["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| Some((f[0].as_str()?.to_string(), e.at.clone())))
        .collect()
}

/// events.jsonl: one event a line, exactly as chained in the ledger.
pub fn jsonl(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    write_jsonl(&mut out, events).expect("writing to memory cannot fail");
    out
}

/// The events of an events.jsonl file, read a line at a time.
pub fn read_jsonl(path: &Path) -> std::io::Result<impl Iterator<Item = std::io::Result<Event>>> {
    let lines = std::io::BufRead::lines(std::io::BufReader::new(std::fs::File::open(path)?));
    Ok(lines.map(|line| serde_json::from_str(&line?).map_err(std::io::Error::other)))
}

/// [`jsonl`] into `out`, a line at a time.
pub fn write_jsonl(mut out: impl std::io::Write, events: &[Event]) -> std::io::Result<()> {
    for e in events {
        serde_json::to_writer(&mut out, e)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
