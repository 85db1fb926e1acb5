//! `tsuchi verify`: recomputes every file hash of a batch against its manifest and the ledger,
//! checks the event chain, and lists exactly what differs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ledger::{self, Event, Ledger};
use super::manifest;

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
    ChainBroken { seq: i64, why: String },
    EventsFileDiffers(String),
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::FileChanged(p) => write!(f, "ファイルが変更されています：{p}"),
            Finding::FileMissing(p) => write!(f, "ファイルがありません：{p}"),
            Finding::ExtraFile(p) => write!(f, "記録にないファイルがあります：{p}"),
            Finding::ManifestDisagrees(p) => write!(f, "manifest.json と台帳でハッシュが違います：{p}"),
            Finding::ManifestUnreadable(why) => write!(f, "manifest.json を読めません：{why}"),
            Finding::NoLedger => write!(f, "台帳（ledger.sqlite）が見つかりません"),
            Finding::NotInLedger(id) => write!(f, "台帳にバッチ {id} の記録がありません"),
            Finding::ChainBroken { seq, why } => write!(f, "イベントの連鎖が {seq} 番で切れています（{why}）"),
            Finding::EventsFileDiffers(why) => write!(f, "audit/events.jsonl が台帳のイベントと一致しません（{why}）"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("バッチのフォルダ「{}」が見つかりません", .0.display())]
    NoBatch(PathBuf),
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error("「{}」を読めません：{detail}", .path.display())]
    Io { path: PathBuf, detail: String },
}

/// Checks the batch folder `dir` (its ledger is in the parent folder). An empty result means
/// everything holds.
pub fn verify(dir: &Path) -> Result<Vec<Finding>, VerifyError> {
    if !dir.is_dir() {
        return Err(VerifyError::NoBatch(dir.to_path_buf()));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| VerifyError::Io { path, detail: e.to_string() }
    };
    let mut findings = Vec::new();
    let id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
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

    let root = dir.parent().unwrap_or(Path::new("."));
    let ledger = Ledger::open_read_only(root)?;
    let from_ledger: Option<BTreeMap<String, String>> = match &ledger {
        None => {
            findings.push(Finding::NoLedger);
            None
        }
        Some(l) if l.batch(&id)?.is_none() => {
            findings.push(Finding::NotInLedger(id.clone()));
            None
        }
        Some(l) => Some(l.files(&id)?.into_iter().map(|(p, h, _)| (p, h)).collect()),
    };

    // The ledger is the reference where it has the batch; the manifest otherwise.
    let expected: BTreeMap<String, String> = match (&from_ledger, &from_manifest) {
        (Some(l), _) => l.clone(),
        (None, Some(m)) => {
            let mut m = m.clone();
            if let Some((hash, _)) = on_disk.get("manifest.json") {
                m.insert("manifest.json".into(), hash.clone());
            }
            m
        }
        (None, None) => BTreeMap::new(),
    };
    for (path, hash) in &expected {
        match on_disk.get(path) {
            None => findings.push(Finding::FileMissing(path.clone())),
            Some((actual, _)) if actual != hash => findings.push(Finding::FileChanged(path.clone())),
            Some(_) => {}
        }
    }
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

    if let Some(l) = &ledger {
        if let Some(b) = l.verify_chain()? {
            findings.push(Finding::ChainBroken { seq: b.seq, why: b.why });
        }
        if from_ledger.is_some()
            && let Ok(text) = std::fs::read_to_string(dir.join("audit").join("events.jsonl"))
        {
            let recorded = l.events(Some(&id))?;
            let written: Vec<Result<Event, _>> = text.lines().map(serde_json::from_str::<Event>).collect();
            if written.len() != recorded.len() {
                findings.push(Finding::EventsFileDiffers(format!("{}件と{}件", written.len(), recorded.len())));
            } else if let Some((w, r)) = written.iter().zip(&recorded).find(|(w, r)| w.as_ref().ok() != Some(*r)) {
                let seq = w.as_ref().map(|e| e.seq).unwrap_or(r.seq);
                findings.push(Finding::EventsFileDiffers(format!("{seq}番")));
            }
        }
    }
    Ok(findings)
}
