//! The whole ledger against its chain. Every row of every table is bound into the hash chain:
//! the events by their own hashes, the `batches` and `requests` rows of each batch by its
//! `batch.rows` event, and its `files` rows by its `batch.sealed` event. [`check`] recomputes all of it and names every row that was changed,
//! deleted or added since it was recorded. `run` calls it before issuing anything (a damaged
//! ledger could otherwise issue a request twice); `verify` calls it for the auditor.
//!
//! What it cannot see: a wholesale rewrite that recomputes every hash from the genesis. That is
//! what the head printed on paper is for ([`extends`]).

use std::collections::BTreeMap;

use super::event::{FilesSeal, ROWS, RowsSeal};
pub use super::finding::{Change, Finding};
use super::ledger::{Ledger, LedgerError};
use super::rows::{self as ledger, BatchRow, Head, RequestRecord, SealEvent};

/// Checks the chain and every row of the ledger. An empty result means everything holds.
pub fn check(ledger: &Ledger) -> Result<Vec<Finding>, LedgerError> {
    let (broken, sealed) = ledger.scan()?;
    let mut findings = Vec::new();
    if let Some(b) = broken {
        findings.push(Finding::ChainBroken { seq: b.seq, why: b.why });
    }
    if ledger.version()? < 2 {
        findings.push(Finding::OldLedger);
        return Ok(findings);
    }
    let seals = seals(sealed, &mut findings);
    batches(ledger, &seals, &mut findings)?;
    requests(ledger, &seals, &mut findings)?;
    files(ledger, &seals, &mut findings)?;
    Ok(findings)
}

/// Whether the ledger's chain still passes through `head` (the count and hash kept on paper).
pub fn extends(ledger: &Ledger, head: &Head) -> Result<Option<Finding>, LedgerError> {
    let Some(hash) = ledger.hash_at(head.count)? else {
        let count = ledger.head()?.map_or(0, |h| h.count);
        return Ok(Some(Finding::HeadNotExtended(crate::msg!("audit.head.too_short", count, seq = head.count))));
    };
    if hash == head.hash {
        return Ok(None);
    }
    // Both heads whole, in the groups of eight the paper prints, and the first group that
    // differs: the clerk compares them with the paper, not a prefix that happens to match.
    let ours = Head { count: head.count, hash };
    let group = head.hash.as_bytes().chunks(8).zip(ours.hash.as_bytes().chunks(8)).position(|(a, b)| a != b);
    Ok(Some(Finding::HeadNotExtended(crate::msg!(
        "audit.head.differs",
        seq = head.count,
        paper = head.grouped(),
        ledger = ours.grouped(),
        group = group.map_or(0, |g| g + 1)
    ))))
}

/// What the chain binds of one batch's rows.
#[derive(Default)]
struct Seal {
    batch: Option<BatchRow>,
    requests: Vec<(usize, String)>,
    files: Option<Vec<(String, String, u64)>>,
}

/// The seals of each batch, by batch id. A seal that does not read, or a second one, is
/// itself a finding.
fn seals(sealed: Vec<SealEvent>, findings: &mut Vec<Finding>) -> BTreeMap<String, Seal> {
    let mut seals: BTreeMap<String, Seal> = BTreeMap::new();
    for e in sealed {
        let name = crate::msg!("audit.row.seal", seq = e.seq, batch = e.batch_id);
        let seal = seals.entry(e.batch_id.clone()).or_default();
        if e.kind == ROWS {
            match serde_json::from_str::<RowsSeal>(&e.detail) {
                Ok(rows) if rows.batch.id == e.batch_id && seal.batch.is_none() => {
                    seal.batch = Some(rows.batch);
                    seal.requests = rows.requests;
                }
                Ok(rows) if rows.batch.id == e.batch_id => findings.push(row("events", name, Change::Added)),
                _ => findings.push(row("events", name, Change::Changed)),
            }
        } else {
            match serde_json::from_str::<FilesSeal>(&e.detail) {
                Ok(files) if seal.files.is_none() => seal.files = Some(files.files),
                Ok(_) => findings.push(row("events", name, Change::Added)),
                Err(_) => findings.push(row("events", name, Change::Changed)),
            }
        }
    }
    seals
}

fn batches(ledger: &Ledger, seals: &BTreeMap<String, Seal>, findings: &mut Vec<Finding>) -> Result<(), LedgerError> {
    let rows: BTreeMap<String, ledger::BatchRow> =
        ledger.batches(None, None)?.into_iter().map(|b| (b.id.clone(), b)).collect();
    for (id, seal) in seals {
        let Some(sealed) = &seal.batch else { continue };
        match rows.get(id) {
            None => findings.push(row("batches", crate::msg!("audit.row.batch", id), Change::Deleted)),
            Some(actual) if actual != sealed => {
                let (a, s) = (serde_json::to_value(actual), serde_json::to_value(sealed));
                let columns: Vec<String> = match (a, s) {
                    (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(s))) => {
                        a.iter().filter(|(k, v)| s.get(*k) != Some(v)).map(|(k, _)| k.clone()).collect()
                    }
                    _ => Vec::new(),
                };
                let columns = columns.join(&crate::msg!("audit.row.separator"));
                findings.push(row("batches", crate::msg!("audit.row.batch_columns", id, columns), Change::Changed));
            }
            Some(_) => {}
        }
    }
    for id in rows.keys().filter(|id| seals.get(*id).is_none_or(|s| s.batch.is_none())) {
        findings.push(row("batches", crate::msg!("audit.row.batch", id), Change::Added));
    }
    Ok(())
}

fn requests(ledger: &Ledger, seals: &BTreeMap<String, Seal>, findings: &mut Vec<Finding>) -> Result<(), LedgerError> {
    // (batch, row) → hashes recorded, and → (hash, 申請番号) found.
    let mut expected: BTreeMap<(String, usize), Vec<String>> = BTreeMap::new();
    for (id, seal) in seals {
        for (row, hash) in &seal.requests {
            expected.entry((id.clone(), *row)).or_default().push(hash.clone());
        }
    }
    let mut found: BTreeMap<(String, usize), Vec<(String, RequestRecord)>> = BTreeMap::new();
    let mut unsealed: BTreeMap<String, usize> = BTreeMap::new();
    for (batch, r) in ledger.all_requests()? {
        if seals.get(&batch).is_none_or(|s| s.batch.is_none()) {
            *unsealed.entry(batch).or_default() += 1;
            continue;
        }
        let hash = ledger::request_row_hash(&batch, &r);
        found.entry((batch, r.row)).or_default().push((hash, r));
    }
    findings.extend(unsealed_rows("requests", unsealed));
    let keys: std::collections::BTreeSet<&(String, usize)> = expected.keys().chain(found.keys()).collect();
    for key in keys {
        let mut want: Vec<&String> = expected.get(key).map(|v| v.iter().collect()).unwrap_or_default();
        let mut have: Vec<&(String, RequestRecord)> = found.get(key).map(|v| v.iter().collect()).unwrap_or_default();
        have.retain(|(hash, _)| match want.iter().position(|w| *w == hash) {
            Some(i) => {
                want.remove(i);
                false
            }
            None => true,
        });
        let name = |r: Option<&RequestRecord>| match r.map(|r| r.request_id.as_str()).filter(|id| !id.is_empty()) {
            Some(request) => crate::msg!("audit.row.request_with_id", batch = key.0, row = key.1, request),
            None => crate::msg!("audit.row.request", batch = key.0, row = key.1),
        };
        let changed = want.len().min(have.len());
        for (_, r) in &have[..changed] {
            findings.push(row("requests", name(Some(r)), Change::Changed));
        }
        for (_, r) in &have[changed..] {
            findings.push(row("requests", name(Some(r)), Change::Added));
        }
        for _ in &want[changed..] {
            findings.push(row("requests", name(None), Change::Deleted));
        }
    }
    Ok(())
}

fn files(ledger: &Ledger, seals: &BTreeMap<String, Seal>, findings: &mut Vec<Finding>) -> Result<(), LedgerError> {
    let expected: BTreeMap<(String, String), (String, u64)> = seals
        .iter()
        .flat_map(|(id, s)| s.files.iter().flatten().map(move |(p, h, n)| ((id.clone(), p.clone()), (h.clone(), *n))))
        .collect();
    let mut found: BTreeMap<(String, String), (String, u64)> = BTreeMap::new();
    let mut unsealed: BTreeMap<String, usize> = BTreeMap::new();
    for (b, p, h, n) in ledger.all_files()? {
        if seals.get(&b).is_some_and(|s| s.files.is_some()) {
            found.insert((b, p), (h, n));
        } else {
            *unsealed.entry(b).or_default() += 1;
        }
    }
    findings.extend(unsealed_rows("files", unsealed));
    // Every batch is committed with both seals in one transaction. A batch whose rows are
    // sealed but whose files are not lost its `batch.sealed` event: as the chain's last event
    // that is a truncation the chain alone cannot see, and with its `files` rows gone too,
    // nothing would bind the batch folder any more.
    for id in seals.iter().filter(|(_, s)| s.batch.is_some() && s.files.is_none()).map(|(id, _)| id) {
        findings.push(row("events", crate::msg!("audit.row.files_seal", id), Change::Deleted));
    }
    for (key, want) in &expected {
        let name = crate::msg!("audit.row.file", batch = key.0, path = key.1);
        match found.get(key) {
            None => findings.push(row("files", name, Change::Deleted)),
            Some(have) if have != want => findings.push(row("files", name, Change::Changed)),
            Some(_) => {}
        }
    }
    for key in found.keys().filter(|k| !expected.contains_key(*k)) {
        findings.push(row("files", crate::msg!("audit.row.file", batch = key.0, path = key.1), Change::Added));
    }
    Ok(())
}

/// Rows of batches the chain has no seal for: one finding per batch, not one per row.
fn unsealed_rows(table: &'static str, unsealed: BTreeMap<String, usize>) -> impl Iterator<Item = Finding> {
    unsealed
        .into_iter()
        .map(move |(batch, count)| row(table, crate::msg!("audit.row.unsealed", batch, count), Change::Added))
}

fn row(table: &'static str, key: String, change: Change) -> Finding {
    Finding::LedgerRow { table, key, change }
}
/// Fails with [`LedgerError::Damaged`] unless the chain and every row hold.
pub fn ensure_intact(ledger: &Ledger) -> Result<(), LedgerError> {
    let findings = check(ledger)?;
    if findings.is_empty() {
        return Ok(());
    }
    // Each finding on one line: what the ledger holds cannot break or fake one.
    let findings = findings.iter().map(|f| crate::engine::report::terminal_safe(&f.to_string())).collect();
    Err(LedgerError::Damaged { path: ledger.path(), findings })
}
