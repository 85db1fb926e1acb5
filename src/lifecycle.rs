//! A notice's life after its batch: sent (書留番号 read back from the mail room's 発送リスト),
//! returned (返戻), reissued, purged. Every step is an event in the ledger's chain; the life of
//! a notice is read back from those events alone, so `status` tells what an auditor can verify.
//! `purge` removes every file of a batch that holds a plaintext password or opens with one,
//! once the paper notices are accounted for, and records what it removed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::audit::event::{AuditEvent, MAIL_RETURNED, MAIL_SENT, NoticeRef, PURGED};
use crate::audit::manifest;
use crate::ledger::{self, Event, Ledger, LedgerError};

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{}", crate::msg!("lifecycle.no_ledger", path = .0.display()))]
    NoLedger(PathBuf),
    #[error("{}", crate::msg!("lifecycle.cannot_read", path = .path.display(), detail = .detail))]
    Read { path: PathBuf, detail: String },
    #[error("{}", crate::msg!("lifecycle.not_a_mailing_list", path = .0.display()))]
    NotAMailingList(PathBuf),
    #[error("{}", crate::msg!("lifecycle.no_such_notice", key = .0))]
    NoSuchNotice(String),
    #[error("{}", crate::msg!("lifecycle.no_reason"))]
    NoReason,
    #[error("{}", crate::msg!("lifecycle.no_such_batch", batch = .0))]
    NoSuchBatch(String),
    #[error(
        "{}",
        crate::msg!(
            "lifecycle.not_accounted_for",
            batch = .batch,
            count = .pending.len(),
            pending = .pending.join(&crate::msg!("lifecycle.separator"))
        )
    )]
    NotAccountedFor { batch: String, pending: Vec<String> },
    #[error("{}", crate::msg!("lifecycle.cannot_remove", path = .path.display(), detail = .detail))]
    Remove { path: PathBuf, detail: String },
}

/// Opens the ledger of `root` for a lifecycle step: it must exist, and it must verify (a step
/// recorded on a damaged ledger would be worthless).
pub fn open(root: &Path) -> Result<Ledger, LifecycleError> {
    if !root.join(ledger::FILE_NAME).exists() {
        return Err(LifecycleError::NoLedger(root.to_path_buf()));
    }
    let ledger = Ledger::open(root)?;
    ledger.ensure_intact()?;
    Ok(ledger)
}

/// One step in a notice's life.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    Issued { batch: String, issue_date: String, operator: String },
    Bundled { control_no: String },
    Sent { registered_no: String, sent_on: Option<NaiveDate> },
    Returned { reason: String, operator: String },
    Reissued { batch: String },
    Purged { operator: String },
}

/// A notice and what happened to it, in order: (when, step).
#[derive(Debug, Clone, Serialize)]
pub struct Life {
    pub batch: String,
    pub notice: NoticeRef,
    /// The ユーザID and 請求先都道府県 the notice was issued for (`None` for notices recorded
    /// before the ledger kept them).
    pub user_id: Option<String>,
    pub prefecture: Option<String>,
    pub steps: Vec<(String, Step)>,
}

impl Life {
    pub fn sent(&self) -> bool {
        self.steps.iter().any(|(_, s)| matches!(s, Step::Sent { .. }))
    }
    pub fn returned(&self) -> bool {
        self.steps.iter().any(|(_, s)| matches!(s, Step::Returned { .. }))
    }
    /// Where the envelope is now, by its latest mail step (a notice sent again after it came
    /// back is sent; one that came back after it was sent is returned).
    pub fn mail_state(&self) -> MailState {
        let last = self.steps.iter().rev().find(|(_, s)| matches!(s, Step::Sent { .. } | Step::Returned { .. }));
        match last {
            Some((_, Step::Sent { .. })) => MailState::Sent,
            Some(_) => MailState::Returned,
            None if self.steps.iter().any(|(_, s)| matches!(s, Step::Purged { .. })) => MailState::Destroyed,
            None => MailState::NotYetSent,
        }
    }
    /// Whether a later batch issued the same request again.
    pub fn reissued(&self) -> bool {
        self.steps.iter().any(|(_, s)| matches!(s, Step::Reissued { .. }))
    }
    fn is(&self, batch: &str, notice: &NoticeRef) -> bool {
        self.batch == batch && self.notice.request_id == notice.request_id && self.notice.kind == notice.kind
    }
}

/// Where a paper notice is: exactly one of these, so a batch's counts add up to its paper notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailState {
    /// Sent (a 書留番号 recorded), not returned since.
    Sent,
    /// Came back (返戻), not sent again since; whether or not a later batch reissued it.
    Returned,
    /// Neither sent nor returned, and the batch's files are still there.
    NotYetSent,
    /// Neither sent nor returned when the batch was purged (`purge --force`): it never will be.
    Destroyed,
}

/// Every notice the ledger records, with its life, in the order they were issued.
pub fn lives(ledger: &Ledger) -> Result<Vec<Life>, LifecycleError> {
    let batches: BTreeMap<String, ledger::BatchRow> =
        ledger.batches(None, None)?.into_iter().map(|b| (b.id.clone(), b)).collect();
    let mut lives: Vec<Life> = Vec::new();
    for e in ledger.events(None)? {
        let at = e.at.chars().take(16).collect::<String>().replace('T', " ");
        match e.kind.as_str() {
            "request.issued" => {
                let d = &e.detail.value();
                let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
                let notice = NoticeRef {
                    request_id: text("request_id"),
                    kind: d["kind"].as_str().unwrap_or_default().to_string(),
                    office_no: text("office_no"),
                    control_no: d["control_no"].as_str().map(str::to_string),
                };
                // An earlier notice of the same request is reissued by this one.
                for earlier in lives.iter_mut().filter(|l| {
                    l.notice.request_id == notice.request_id && l.notice.kind == notice.kind && l.batch != e.batch_id
                }) {
                    earlier.steps.push((at.clone(), Step::Reissued { batch: e.batch_id.clone() }));
                }
                let (user_id, prefecture) = (d["user_id"].as_str(), d["prefecture"].as_str());
                let (user_id, prefecture) = (user_id.map(str::to_string), prefecture.map(str::to_string));
                let batch = batches.get(&e.batch_id);
                let mut steps = vec![(
                    at.clone(),
                    Step::Issued {
                        batch: e.batch_id.clone(),
                        issue_date: batch.map(|b| b.issue_date.clone()).unwrap_or_default(),
                        operator: batch.map(|b| b.operator.clone()).unwrap_or_default(),
                    },
                )];
                if let Some(control_no) = &notice.control_no {
                    steps.push((at.clone(), Step::Bundled { control_no: control_no.clone() }));
                }
                lives.push(Life { batch: e.batch_id.clone(), notice, user_id, prefecture, steps });
            }
            MAIL_SENT | MAIL_RETURNED => {
                let mut detail = e.detail.value();
                let Ok(notice) = serde_json::from_value::<NoticeRef>(detail["notice"].take()) else { continue };
                let step = if e.kind == MAIL_SENT {
                    Step::Sent {
                        registered_no: detail["registered_no"].as_str().unwrap_or_default().to_string(),
                        sent_on: detail["sent_on"].as_str().and_then(|d| d.parse().ok()),
                    }
                } else {
                    Step::Returned {
                        reason: detail["reason"].as_str().unwrap_or_default().to_string(),
                        operator: detail["operator"].as_str().unwrap_or_default().to_string(),
                    }
                };
                if let Some(life) = lives.iter_mut().find(|l| l.is(&e.batch_id, &notice)) {
                    life.steps.push((at, step));
                }
            }
            PURGED => {
                let operator = e.detail.value()["operator"].as_str().unwrap_or_default().to_string();
                for life in lives.iter_mut().filter(|l| l.batch == e.batch_id) {
                    life.steps.push((at.clone(), Step::Purged { operator: operator.clone() }));
                }
            }
            _ => {}
        }
    }
    Ok(lives)
}

/// The notices a clerk means by `key`: a 申請番号, 事業所番号, ユーザID (KJ + prefecture +
/// 事業所番号) or 管理番号, compared as the intake compares codes.
pub fn find<'a>(lives: &'a [Life], key: &str) -> Vec<&'a Life> {
    let key = crate::model::normalize_code(key).to_ascii_uppercase();
    let office_of_user_id = key
        .strip_prefix("KJ")
        .filter(|rest| rest.len() == 12 && rest.bytes().all(|b| b.is_ascii_digit()))
        .map(|rest| rest[2..].to_string());
    lives
        .iter()
        .filter(|l| {
            l.notice.request_id.to_ascii_uppercase() == key
                || l.notice.office_no == key
                || l.notice.control_no.as_deref() == Some(key.as_str())
                || match &l.user_id {
                    // The very ユーザID: an office's other prefectures have their own.
                    Some(user_id) => *user_id == key,
                    None => office_of_user_id.as_deref() == Some(l.notice.office_no.as_str()),
                }
        })
        .collect()
}

/// What `mail import` did with each row of the list.
#[derive(Debug, Default, Serialize)]
pub struct Import {
    /// (管理番号, 書留番号) newly recorded.
    pub recorded: Vec<(String, String)>,
    /// Rows already recorded with the same values.
    pub unchanged: usize,
    /// Rows whose 書留番号 is still empty.
    pub not_yet: usize,
    /// (row, 管理番号) the ledger does not know.
    pub unmatched: Vec<(usize, String)>,
    /// (row, 管理番号, recorded, now): values that changed since an earlier import; not recorded.
    pub changed: Vec<(usize, String, String, String)>,
    /// (row, message): a value that cannot be read (e.g. a 発送日 that is not a date).
    pub invalid: Vec<(usize, String)>,
}

/// Reads back the 書留番号 (and 発送日) the mail room filled into a 発送リスト.xlsx and records
/// each newly sent notice. Importing the same file twice changes nothing.
pub fn import(ledger: &mut Ledger, list: &Path) -> Result<Import, LifecycleError> {
    let rows = read_mailing_list(list)?;
    let source = manifest::source(list).map_err(|e| read_error(list, e))?;
    let lives = lives(ledger)?;
    let (operator, host) = (crate::audit::operator(), crate::audit::host());
    let mut report = Import::default();
    let mut chain = ledger.chain("")?;
    let mut seen: BTreeMap<String, (String, Option<NaiveDate>)> = BTreeMap::new();
    for life in &lives {
        for (_, step) in &life.steps {
            if let (Some(control), Step::Sent { registered_no, sent_on }) = (&life.notice.control_no, step) {
                seen.insert(control.clone(), (registered_no.clone(), *sent_on));
            }
        }
    }
    for row in rows {
        if row.registered_no.is_empty() {
            report.not_yet += 1;
            continue;
        }
        let sent_on = match row.sent_on {
            Ok(d) => d,
            Err(message) => {
                report.invalid.push((row.row, message));
                continue;
            }
        };
        let Some(life) = lives.iter().find(|l| l.notice.control_no.as_deref() == Some(row.control_no.as_str())) else {
            report.unmatched.push((row.row, row.control_no));
            continue;
        };
        match seen.get(&row.control_no) {
            Some(before) if *before == (row.registered_no.clone(), sent_on) => report.unchanged += 1,
            Some((was, was_on)) => report.changed.push((
                row.row,
                row.control_no.clone(),
                shown_sent(was, *was_on),
                shown_sent(&row.registered_no, sent_on),
            )),
            None => {
                chain.push_for(
                    &life.batch,
                    &AuditEvent::MailSent {
                        notice: life.notice.clone(),
                        registered_no: row.registered_no.clone(),
                        sent_on,
                        list: source.clone(),
                        operator: operator.clone(),
                        host: host.clone(),
                    },
                );
                seen.insert(row.control_no.clone(), (row.registered_no.clone(), sent_on));
                report.recorded.push((row.control_no, row.registered_no));
            }
        }
    }
    ledger.append(&chain.events)?;
    Ok(report)
}

fn shown_sent(registered_no: &str, sent_on: Option<NaiveDate>) -> String {
    match sent_on {
        Some(date) => crate::msg!("lifecycle.sent_on", registered_no, date),
        None => registered_no.to_string(),
    }
}

struct ListRow {
    row: usize,
    control_no: String,
    registered_no: String,
    sent_on: Result<Option<NaiveDate>, String>,
}

fn read_error(path: &Path, e: impl std::fmt::Display) -> LifecycleError {
    LifecycleError::Read { path: path.to_path_buf(), detail: e.to_string() }
}

/// The rows of a 発送リスト.xlsx: its header row holds 管理番号 and 書留番号 (and perhaps 発送日).
fn read_mailing_list(path: &Path) -> Result<Vec<ListRow>, LifecycleError> {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto(path).map_err(|e| read_error(path, e))?;
    let sheets = book.sheet_names();
    for name in sheets {
        let range = book.worksheet_range(&name).map_err(|e| read_error(path, e))?;
        let (row0, _) = range.start().unwrap_or((0, 0));
        let mut rows = range.rows().enumerate();
        let header = rows.by_ref().take(10).find_map(|(i, cells)| {
            let at = |title: &str| cells.iter().position(|c| c.to_string().trim() == title);
            Some((i, at("管理番号")?, at("書留番号")?, at("発送日")))
        });
        let Some((_, control, registered, sent_on)) = header else { continue };
        let text = |c: Option<&Data>| -> String {
            match c {
                Some(Data::Float(f)) if f.fract() == 0.0 => format!("{f:.0}"),
                Some(c) => crate::model::normalize_code(&c.to_string()),
                None => String::new(),
            }
        };
        let mut out = Vec::new();
        for (i, cells) in rows {
            let control_no = text(cells.get(control)).to_ascii_uppercase();
            if control_no.is_empty() {
                continue;
            }
            let date = match sent_on.and_then(|c| cells.get(c)) {
                None | Some(Data::Empty) => Ok(None),
                Some(Data::DateTime(d)) if d.is_datetime() => {
                    let (y, m, day, ..) = d.to_ymd_hms_milli();
                    NaiveDate::from_ymd_opt(y.into(), m.into(), day.into())
                        .map(Some)
                        .ok_or_else(|| crate::msg!("lifecycle.sent_on_unreadable", value = d))
                }
                Some(cell) => {
                    let t = crate::model::normalize_code(&cell.to_string());
                    NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                        .or_else(|_| NaiveDate::parse_from_str(&t, "%Y/%m/%d"))
                        .map(Some)
                        .map_err(|_| crate::msg!("lifecycle.sent_on_format", value = t))
                }
            };
            out.push(ListRow {
                row: row0 as usize + i + 1,
                control_no,
                registered_no: text(cells.get(registered)),
                sent_on: date,
            });
        }
        return Ok(out);
    }
    Err(LifecycleError::NotAMailingList(path.to_path_buf()))
}

/// Records a 返戻 of the notice `key` (管理番号 or 申請番号; the latest paper notice of that
/// request when it was issued more than once). Returns the notice.
pub fn returned(ledger: &mut Ledger, key: &str, reason: &str) -> Result<(String, NoticeRef), LifecycleError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(LifecycleError::NoReason);
    }
    let lives = lives(ledger)?;
    let life = find(&lives, key)
        .into_iter()
        .rfind(|l| l.notice.control_no.is_some())
        .ok_or_else(|| LifecycleError::NoSuchNotice(key.to_string()))?;
    let mut chain = ledger.chain(&life.batch)?;
    chain.push(&AuditEvent::MailReturned {
        notice: life.notice.clone(),
        reason: reason.to_string(),
        operator: crate::audit::operator(),
        host: crate::audit::host(),
    });
    ledger.append(&chain.events)?;
    Ok((life.batch.clone(), life.notice.clone()))
}

/// A batch's paper notices at a glance. Each paper notice is in exactly one [`MailState`]:
/// `sent + returned + not_yet_sent + destroyed == paper`.
#[derive(Debug, Serialize)]
pub struct BatchStatus {
    pub batch: String,
    pub paper: usize,
    pub sent: usize,
    pub returned: usize,
    /// 管理番号 of the paper notices neither sent nor returned.
    pub not_yet_sent: Vec<String>,
    /// Paper notices neither sent nor returned when the batch was purged.
    pub destroyed: usize,
    /// Paper notices a later batch issued again (each also counted in its state above).
    pub reissued: usize,
    /// Notices delivered electronically (ZIP only).
    pub electronic: usize,
    pub purged: bool,
}

/// The mail state of every paper notice of `batch`.
pub fn batch_status(ledger: &Ledger, batch: &str) -> Result<BatchStatus, LifecycleError> {
    if ledger.batch(batch)?.is_none() {
        return Err(LifecycleError::NoSuchBatch(batch.to_string()));
    }
    let lives = lives(ledger)?;
    let of_batch: Vec<&Life> = lives.iter().filter(|l| l.batch == batch).collect();
    let paper: Vec<&&Life> = of_batch.iter().filter(|l| l.notice.control_no.is_some()).collect();
    let count = |state: MailState| paper.iter().filter(|l| l.mail_state() == state).count();
    Ok(BatchStatus {
        batch: batch.to_string(),
        paper: paper.len(),
        sent: count(MailState::Sent),
        returned: count(MailState::Returned),
        not_yet_sent: paper
            .iter()
            .filter(|l| l.mail_state() == MailState::NotYetSent)
            .filter_map(|l| l.notice.control_no.clone())
            .collect(),
        destroyed: count(MailState::Destroyed),
        reissued: paper.iter().filter(|l| l.reissued()).count(),
        electronic: of_batch.len() - paper.len(),
        purged: of_batch.iter().any(|l| l.steps.iter().any(|(_, s)| matches!(s, Step::Purged { .. }))),
    })
}

/// Whether a batch file holds a plaintext password or opens with one: the notices, their ZIPs,
/// the second-channel list and the print bundle.
pub fn holds_secret(path: &str) -> bool {
    let path = path.replace('\\', "/");
    path.starts_with("notices/")
        || path.starts_with("zip/")
        || path.starts_with("secrets/")
        || (path.starts_with("print/") && path.ends_with(".pdf"))
}

/// What `purge` removed.
#[derive(Debug, Serialize)]
pub struct Purge {
    pub batch: String,
    pub files: Vec<(String, String, u64)>,
    pub forced: bool,
}

/// Removes every file of the batch in `dir` that holds a plaintext password or opens with
/// one, after recording them (path, SHA-256, size) in the ledger. Refuses while paper notices
/// of the batch are neither sent nor returned, unless `force` gives a reason. Each file is
/// overwritten with zeros and flushed before it is unlinked (best effort: an SSD or a
/// copy-on-write file system may keep the old blocks).
pub fn purge(ledger: &mut Ledger, dir: &Path, force: Option<&str>) -> Result<Purge, LifecycleError> {
    let batch = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let status = batch_status(ledger, &batch)?;
    let force = force.map(str::trim).filter(|r| !r.is_empty());
    if !status.not_yet_sent.is_empty() && force.is_none() {
        return Err(LifecycleError::NotAccountedFor { batch, pending: status.not_yet_sent });
    }
    // Already recorded by an earlier purge that was cut short: finish removing, record nothing new.
    let already: Vec<String> = ledger
        .events(Some(&batch))?
        .iter()
        .filter(|e| e.kind == PURGED)
        .flat_map(|e| purged_paths(e).into_iter().map(|(p, _)| p))
        .collect();
    let mut files = Vec::new();
    for (path, _, _) in ledger.files(&batch)? {
        if !holds_secret(&path) || already.contains(&path) {
            continue;
        }
        let on_disk = dir.join(&path);
        let Ok(bytes) = std::fs::read(&on_disk) else { continue };
        files.push((path, crate::audit::sha256_hex(&bytes), bytes.len() as u64));
    }
    if !files.is_empty() {
        let mut chain = ledger.chain(&batch)?;
        chain.push(&AuditEvent::BatchPurged {
            files: files.clone(),
            forced: force.is_some() && !status.not_yet_sent.is_empty(),
            reason: force.map(str::to_string),
            operator: crate::audit::operator(),
            host: crate::audit::host(),
        });
        ledger.append(&chain.events)?;
    }
    for path in already.iter().chain(files.iter().map(|(p, _, _)| p)) {
        let on_disk = dir.join(path);
        if on_disk.exists() {
            shred(&on_disk).map_err(|e| LifecycleError::Remove { path: on_disk.clone(), detail: e.to_string() })?;
        }
    }
    for sub in ["notices", "zip", "secrets"] {
        let _ = std::fs::remove_dir(dir.join(sub)); // only when empty
    }
    Ok(Purge { batch, forced: force.is_some() && !status.not_yet_sent.is_empty(), files })
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

/// Overwrites a file with zeros, flushes it, and unlinks it.
fn shred(path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let len = std::fs::metadata(path)?.len();
    {
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        let zeros = vec![0u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            file.write_all(&zeros[..n])?;
            left -= n as u64;
        }
        file.sync_all()?;
    }
    std::fs::remove_file(path)
}
