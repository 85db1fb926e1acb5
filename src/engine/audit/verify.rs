//! `tsuchi verify`: recomputes every file hash of a batch against its manifest and the ledger,
//! checks the event chain and every ledger row ([`integrity`]), optionally that the ledger
//! still extends a head kept on paper, and lists exactly what differs. Without a batch it does
//! so for the whole ledger and every batch folder it records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use super::finding::{Change, Finding};
use super::integrity;
use super::ledger::{self, Event, Head, Ledger};
use super::manifest;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}", crate::msg!("audit.verify.no_batch", path = .0.display()))]
    NoBatch(PathBuf),
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error("{}", crate::msg!("audit.verify.cannot_read", path = .path.display(), detail = .detail))]
    Io { path: PathBuf, detail: String },
}

/// Checks the batch folder `dir` (its ledger is in the parent folder) and the whole ledger's
/// rows and chain; with `head`, also that the ledger extends it. An empty result means
/// everything holds.
pub fn verify(dir: &Path, head: Option<&Head>) -> Result<Vec<Finding>, VerifyError> {
    if !dir.is_dir() {
        return Err(VerifyError::NoBatch(dir.to_path_buf()));
    }
    // `.` or `output/x/..` name no batch and no parent: the folder made absolute (links kept,
    // so that a batch folder linked from the output root still finds its ledger there), and
    // resolved where it ends in `..`.
    let io = |e: std::io::Error| VerifyError::Io { path: dir.to_path_buf(), detail: e.to_string() };
    let mut resolved = std::path::absolute(dir).map_err(io)?;
    if resolved.file_name().is_none() {
        resolved = resolved.canonicalize().map_err(io)?;
    }
    let dir = resolved.as_path();
    let id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let root = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let ledger = Ledger::open_read_only(root)?;
    let mut findings = match &ledger {
        None => vec![Finding::NoLedger],
        Some(l) => ledger_findings(l, head)?,
    };
    // As in the whole-ledger check, a purge is named with its batch.
    findings.extend(folder(dir, &id, ledger.as_ref())?.into_iter().map(|f| match f {
        Finding::Purged { .. } => Finding::InBatch(id.clone(), Box::new(f)),
        f => f,
    }));
    Ok(findings)
}

/// What `verify` found in the whole ledger.
#[derive(Debug)]
pub struct LedgerReport {
    pub findings: Vec<Finding>,
    pub batches: usize,
    pub head: Option<Head>,
}

/// Checks the whole ledger under `root` (rows, chain, and `head` if given) and every batch
/// folder it records; a missing, extra or renamed folder is a finding.
pub fn verify_ledger(root: &Path, head: Option<&Head>) -> Result<LedgerReport, VerifyError> {
    let Some(ledger) = Ledger::open_read_only(root)? else {
        return Ok(LedgerReport { findings: vec![Finding::NoLedger], batches: 0, head: None });
    };
    let mut findings = ledger_findings(&ledger, head)?;
    let batches = ledger.batches(None, None)?;
    let recorded: std::collections::BTreeSet<&str> = batches.iter().map(|b| b.id.as_str()).collect();
    for b in &batches {
        let dir = root.join(&b.id);
        if !dir.is_dir() {
            findings.push(Finding::FolderMissing(b.id.clone()));
            continue;
        }
        findings.extend(
            folder(&dir, &b.id, Some(&ledger))?.into_iter().map(|f| Finding::InBatch(b.id.clone(), Box::new(f))),
        );
    }
    let extra = unrecorded_folders(root, &recorded)
        .map_err(|e| VerifyError::Io { path: root.to_path_buf(), detail: e.to_string() })?;
    findings.extend(extra);
    Ok(LedgerReport { findings, batches: batches.len(), head: ledger.head()? })
}

/// The folders in the output root `root` that are not among the batches `recorded` and not
/// tsuchi's own ([`is_tool_folder`]): [`Finding::ExtraFolder`] for a batch folder the ledger does
/// not know (named like one, or holding a manifest or an audit folder), [`Finding::StagingLeft`] for a run cut off; in name order.
/// `run` refuses on the first kind too: a ledger that lost its rows is not a fresh ledger.
pub fn unrecorded_folders(root: &Path, recorded: &std::collections::BTreeSet<&str>) -> std::io::Result<Vec<Finding>> {
    let mut extra = Vec::new();
    for entry in std::fs::read_dir(root)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) || recorded.contains(name.as_str()) {
            continue;
        }
        if name.starts_with(".staging-") {
            extra.push(Finding::StagingLeft(name));
        } else if !is_tool_folder(&name) && looks_like_a_batch(&entry.path(), &name) {
            extra.push(Finding::ExtraFolder(name));
        }
    }
    extra.sort_by_key(|f| f.to_string());
    Ok(extra)
}

/// A folder named like a batch (`20260110-093000`, `…-2`) or holding a batch's record, even
/// renamed. The output root may be the folder of tsuchi.toml, beside the clerk's own folders.
fn looks_like_a_batch(dir: &Path, name: &str) -> bool {
    let id = name.split_once('-').is_some_and(|(day, rest)| {
        let time = rest.split('-').next().unwrap_or_default();
        day.len() == 8 && time.len() == 6 && day.bytes().chain(time.bytes()).all(|b| b.is_ascii_digit())
    });
    id || dir.join("manifest.json").exists() || dir.join("audit").is_dir()
}

/// Folders tsuchi itself makes in the output root besides batches: `check`'s reports,
/// `audit export`'s copies, and hidden ones.
pub fn is_tool_folder(name: &str) -> bool {
    name == "check" || name.starts_with("audit-") || (name.starts_with('.') && !name.starts_with(".staging-"))
}

/// The ledger's own findings: chain, rows, and the paper head.
fn ledger_findings(ledger: &Ledger, head: Option<&Head>) -> Result<Vec<Finding>, VerifyError> {
    let mut findings = integrity::check(ledger)?;
    if let Some(head) = head {
        findings.extend(integrity::extends(ledger, head)?);
    }
    Ok(findings)
}

/// Checks one batch folder against its manifest and the ledger's record of it.
fn folder(dir: &Path, id: &str, ledger: Option<&Ledger>) -> Result<Vec<Finding>, VerifyError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| VerifyError::Io { path, detail: e.to_string() }
    };
    let mut findings = Vec::new();
    let on_disk: BTreeMap<String, (String, u64)> =
        manifest::files(dir).map_err(io(dir))?.into_iter().map(|f| (f.path, (f.sha256, f.size))).collect();

    let from_manifest: Option<BTreeMap<String, String>> = match std::fs::read(dir.join("manifest.json")) {
        Err(e) => {
            findings.push(Finding::ManifestUnreadable(e.to_string()));
            None
        }
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Err(e) => {
                findings.push(Finding::ManifestUnreadable(e.to_string()));
                None
            }
            Ok(value) => Some(
                value["files"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| Some((f["path"].as_str()?.to_string(), f["sha256"].as_str()?.to_string())))
                    .collect(),
            ),
        },
    };

    let from_ledger: Option<BTreeMap<String, String>> = match ledger {
        None => None,
        Some(l) if l.batch(id)?.is_none() => {
            findings.push(Finding::NotInLedger(id.to_string()));
            None
        }
        Some(l) => Some(l.files(id)?.into_iter().map(|(p, h, _)| (p, h)).collect()),
    };

    // The ledger is the reference where it has the batch's files; the manifest otherwise (a
    // batch always has files: none in the ledger means its rows were deleted, which the
    // ledger check reports, and the folder must still be checked).
    let expected: BTreeMap<String, String> = match (&from_ledger, &from_manifest) {
        (Some(l), _) if !l.is_empty() => l.clone(),
        (_, Some(m)) => {
            let mut m = m.clone();
            if let Some((hash, _)) = on_disk.get("manifest.json") {
                m.insert("manifest.json".into(), hash.clone());
            }
            m
        }
        (_, None) => BTreeMap::new(),
    };
    // Files `purge` removed (path → when, by whom): their absence is the record, not a loss.
    let mut purged: BTreeMap<String, (String, String)> = BTreeMap::new();
    if let Some(l) = ledger.filter(|_| from_ledger.is_some()) {
        for e in l.events(Some(id))?.iter().filter(|e| e.kind == super::event::PURGED) {
            let operator = e.detail.value()["operator"].as_str().unwrap_or_default().to_string();
            for (path, at) in ledger::purged_paths(e) {
                purged.insert(path, (at, operator.clone()));
            }
        }
    }
    let mut purges: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (path, hash) in &expected {
        match on_disk.get(path) {
            None if purged.contains_key(path) => *purges.entry(purged[path].clone()).or_default() += 1,
            Some(_) if purged.contains_key(path) => findings.push(Finding::PurgedButPresent(path.clone())),
            None => findings.push(Finding::FileMissing(path.clone())),
            Some((actual, _)) if actual != hash => findings.push(Finding::FileChanged(path.clone())),
            Some(_) => {}
        }
    }
    findings.extend(purges.into_iter().map(|((at, operator), count)| Finding::Purged { count, at, operator }));
    if !expected.is_empty() {
        for path in on_disk.keys().filter(|p| !expected.contains_key(*p)) {
            findings.push(Finding::ExtraFile(path.clone()));
        }
    }
    if let (Some(l), Some(m)) = (&from_ledger, &from_manifest) {
        for (path, hash) in m {
            if l.get(path).is_some_and(|h| h != hash) {
                findings.push(Finding::ManifestDisagrees(path.clone()));
            }
        }
    }

    if let Some(l) = ledger.filter(|_| from_ledger.is_some())
        && let Ok(text) = std::fs::read_to_string(dir.join("audit").join("events.jsonl"))
    {
        // The folder's copy ends before the seal, which is recorded once the folder is complete.
        let recorded: Vec<Event> =
            l.events(Some(id))?.into_iter().filter(|e| !super::event::after_the_batch(&e.kind)).collect();
        let written: Vec<Result<Event, _>> = text.lines().map(serde_json::from_str::<Event>).collect();
        if written.len() != recorded.len() {
            let (written, recorded) = (written.len(), recorded.len());
            findings.push(Finding::EventsFileDiffers(crate::msg!("audit.finding.counts_differ", written, recorded)));
        } else if let Some((w, r)) = written.iter().zip(&recorded).find(|(w, r)| w.as_ref().ok() != Some(*r)) {
            let seq = w.as_ref().map(|e| e.seq).unwrap_or(r.seq);
            findings.push(Finding::EventsFileDiffers(crate::msg!("audit.finding.event_differs", seq)));
        }
    }
    Ok(findings)
}
