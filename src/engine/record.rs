//! The record of a batch: its ledger rows (the batch, every data row's outcome, every file's
//! hash) and its chained audit events, also written into the batch folder (`audit/`,
//! `manifest.json`) so that the folder carries its own record. What tsuchi writes into the
//! record in words is in Japanese, whatever language the console speaks: the record is read
//! by auditors, like the 監査ログ made from it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::engine::audit::event::{AuditEvent, FilesSeal, NotIssued};
use crate::engine::audit::ledger::{self, BatchRecord, Head, Ledger, Outcome, RequestRecord};
use crate::engine::audit::{self, manifest};
use crate::engine::handoff;
use crate::engine::outcome::{
    BatchError, BatchReport, Context, counts, io_error, issue_date_allowed_warning, zipcrypto_warning,
};
use crate::engine::pack::ZipEncryption;
use crate::ground::fsutil;
use crate::ground::i18n::{Lang, with_lang};
use crate::ground::model::NoticeKind;
use crate::ground::wareki::now_in_tokyo;

/// The tool and version every record of a batch names.
const TOOL: &str = concat!("tsuchi ", env!("CARGO_PKG_VERSION"));

/// A batch's events, chained after the ledger's last event and written to the batch's
/// `events.jsonl` (not yet to the ledger), and what its ledger rows will say.
pub struct Pending {
    /// Goes on after the events written (with the seal).
    chain: ledger::EventChain,
    /// The batch's `events.jsonl`, holding every event from `batch.started` on, and the file
    /// still open to flush it to disk.
    events_file: (PathBuf, std::fs::File),
    batch: ledger::BatchRow,
    requests: Vec<RequestRecord>,
    input: manifest::Source,
    config: Option<manifest::Source>,
    zip_encryption: &'static str,
}

impl Pending {
    /// The chain head once this batch's events are in (the seal, which binds the files,
    /// comes after): what the bundle cover and the audit log print.
    pub fn head(&self) -> Head {
        self.chain.head()
    }
}

/// Events chained at a time before they go to the file.
const EVENTS_AT_ONCE: usize = 1024;

/// Chains the batch's events, from `batch.started` to `batch.completed`, into the batch's
/// `audit/events.jsonl` as they are made: a batch of 100,000 rows has as many events, and the
/// ledger commit reads them back from there. Everything they say is known before any file of
/// the print bundle is written (control numbers, page count).
pub fn events(
    staging: &Path,
    report: &BatchReport,
    reissue_of: &HashMap<(String, NoticeKind), String>,
    ledger: &Ledger,
    context: &Context,
) -> Result<Pending, BatchError> {
    let Context { options, config, .. } = *context;
    // Hashed from the bytes that were parsed, not read again.
    let input = report.input.clone();
    let config_source = match &options.config_path {
        Some(p) => Some(manifest::source(p).map_err(io_error(p))?),
        None => None,
    };
    let zip_encryption = match config.zip.encryption {
        ZipEncryption::Aes256 => "aes256",
        ZipEncryption::ZipCrypto => "zip_crypto",
    };
    let requests = with_lang(Lang::Ja, || request_records(report, reissue_of, options.reissue_reason.as_deref()));
    let events_file = staging.join("audit").join("events.jsonl");
    let file = fsutil::create_private(&events_file).map_err(io_error(&events_file))?;
    let mut out = std::io::BufWriter::new(&file);
    let mut chain = ledger.chain(&report.batch_id)?;
    let mut spill = |chain: &mut ledger::EventChain, at_once: usize| -> Result<(), BatchError> {
        if chain.events.len() >= at_once {
            audit::log::write_jsonl(&mut out, &chain.events).map_err(io_error(&events_file))?;
            chain.events.clear();
        }
        Ok(())
    };
    chain.push(&AuditEvent::BatchStarted {
        input: input.clone(),
        config_sha256: config_source.as_ref().map(|c| c.sha256.clone()),
        operator: context.operator.clone(),
        host: context.host.clone(),
        tool: TOOL.into(),
        issue_date: report.issue_date,
        zip_encryption: zip_encryption.into(),
        recovery: with_lang(Lang::Ja, || report.recovery_notes.iter().map(ToString::to_string).collect()),
    });
    if config.zip.encryption == ZipEncryption::ZipCrypto {
        chain.push(&AuditEvent::ZipCrypto { warning: with_lang(Lang::Ja, zipcrypto_warning) });
    }
    if report.issue_date_allowed {
        let warning = with_lang(Lang::Ja, || issue_date_allowed_warning(report.issue_date));
        chain.push(&AuditEvent::IssueDateAllowed { issue_date: report.issue_date, warning });
    }
    for n in &report.issued {
        let previous = reissue_of.get(&(n.request_id.clone(), n.kind)).cloned();
        chain.push(&AuditEvent::RequestIssued {
            row: n.row,
            request_id: n.request_id.clone(),
            kind: n.kind,
            office_no: n.office_no.clone(),
            user_id: Some(n.user_id.clone()),
            prefecture: n.prefecture.clone(),
            pdf: n.pdf.clone(),
            zip: n.zip.clone(),
            zip_opening: n.zip_opening,
            control_no: n.control_no.clone(),
            reissue_reason: previous.as_ref().and(options.reissue_reason.clone()),
            reissue_of: previous,
        });
        spill(&mut chain, EVENTS_AT_ONCE)?;
    }
    chain.push(&match &report.handoff {
        Some(handoff::Outcome::Written { file, sha256, rows, recipients }) => AuditEvent::HandoffWritten {
            file: file.clone(),
            sha256: sha256.clone(),
            rows: *rows,
            recipients: recipients.clone(),
        },
        Some(handoff::Outcome::NoRecipients) | None => {
            AuditEvent::HandoffNotWritten { reason: with_lang(Lang::Ja, handoff::no_recipients) }
        }
        Some(handoff::Outcome::Manual) => {
            AuditEvent::HandoffNotWritten { reason: with_lang(Lang::Ja, handoff::manual) }
        }
    });
    for r in requests.iter().filter(|r| r.outcome != Outcome::Issued) {
        let detail = NotIssued {
            row: r.row,
            request_id: r.request_id.clone(),
            kind: r.kind.clone(),
            reason: r.reason.clone(),
            office_no: Some(r.office_no.clone()).filter(|o| !o.is_empty()),
        };
        chain.push(&match r.outcome {
            Outcome::Skipped => AuditEvent::RequestSkipped(detail),
            Outcome::AlreadyIssued => AuditEvent::RequestAlreadyIssued(detail),
            _ => AuditEvent::RequestRejected(detail),
        });
        spill(&mut chain, EVENTS_AT_ONCE)?;
    }
    // The batch's ledger rows, bound before the head that the cover prints. `finished` is
    // when its record was settled; writing the rest of the folder is not part of it.
    let batch = ledger::BatchRow {
        id: report.batch_id.clone(),
        started: context.created.to_rfc3339(),
        finished: now_in_tokyo().to_rfc3339(),
        operator: context.operator.clone(),
        host: context.host.clone(),
        tool: TOOL.into(),
        input_path: input.path.clone(),
        input_sha256: input.sha256.clone(),
        config_sha256: config_source.as_ref().map(|c| c.sha256.clone()),
        issue_date: report.issue_date.to_string(),
        zip_encryption: zip_encryption.into(),
    };
    chain.push(&AuditEvent::BatchRows(ledger::rows_seal(&batch, &requests)));
    chain.push(&AuditEvent::BatchCompleted { counts: counts(report) });
    spill(&mut chain, 1)?;
    drop(out);
    // Flushed to disk by write_audit, beside the print bundle: waiting here would hold up the
    // batch behind the notices still going to disk.
    let events_file = (events_file, file);
    Ok(Pending { chain, events_file, batch, requests, input, config: config_source, zip_encryption })
}

/// Writes the batch's 監査ログ.xlsx into `staging`, from the rows and the events (read back
/// from events.jsonl) that [`write`] then seals. Needs nothing else of the folder, so it runs
/// beside the print bundle.
pub fn write_audit(staging: &Path, report: &BatchReport, pending: &Pending) -> Result<(), BatchError> {
    let (path, file) = &pending.events_file;
    fsutil::staged(file).map_err(io_error(path))?;
    let tagged: Vec<(&str, &RequestRecord)> = pending.requests.iter().map(|r| (report.batch_id.as_str(), r)).collect();
    // A line that cannot be read back ends the sheet; the error is reported after it.
    let failed = std::cell::RefCell::new(None);
    let events = audit::log::read_jsonl(path)
        .map_err(io_error(path))?
        .map_while(|event| event.map_err(|e| *failed.borrow_mut() = Some(e)).ok());
    let head = pending.head();
    audit::log::write_xlsx(
        &staging.join("audit").join("監査ログ.xlsx"),
        std::slice::from_ref(&pending.batch),
        &tagged,
        events,
        Some(&head),
    )?;
    match failed.into_inner() {
        Some(e) => Err(io_error(path)(e)),
        None => Ok(()),
    }
}

/// Writes the manifest of the batch in `staging` (after [`write_audit`] and every other
/// file), syncs the folder, and returns the rows the ledger commits with it: the events, then
/// the seal that binds the batch's ledger rows into the chain.
pub fn write(
    staging: &Path,
    report: &BatchReport,
    pending: Pending,
    hashed: manifest::Hashed,
    context: &Context,
) -> Result<BatchRecord, BatchError> {
    let Context { created, .. } = *context;
    let Pending { mut chain, events_file, batch: batch_row, requests, input, config: config_source, zip_encryption } =
        pending;
    let manifest = manifest::Manifest {
        tool: TOOL.into(),
        batch_id: report.batch_id.clone(),
        issue_date: report.issue_date.to_string(),
        created: created.to_rfc3339(),
        operator: context.operator.clone(),
        host: context.host.clone(),
        input: input.clone(),
        config: config_source.clone(),
        zip_encryption: zip_encryption.into(),
        postal_data: manifest::PostalData::in_use(),
        counts: counts(report),
        files: manifest::files_with(staging, &hashed).map_err(io_error(staging))?,
    };
    drop(hashed);
    // Streamed into the file and hashed on the way: a manifest of 300,000 files is tens of
    // megabytes of JSON.
    let path = staging.join("manifest.json");
    let file = fsutil::create_private(&path).map_err(io_error(&path))?;
    let mut out = crate::ground::digest::Hashing::new(std::io::BufWriter::new(&file));
    serde_json::to_writer_pretty(&mut out, &manifest).map_err(|e| io_error(&path)(e.into()))?;
    let size = out.written();
    let (buffered, sha256) = out.finish();
    buffered.into_inner().map_err(|e| io_error(&path)(e.into_error()))?;
    fsutil::staged(&file).map_err(io_error(&path))?;
    fsutil::sync_staging(staging).map_err(io_error(staging))?;

    let mut files: Vec<(String, String, u64)> = Vec::with_capacity(manifest.files.len() + 1);
    files.extend(manifest.files.into_iter().map(|f| (f.path, f.sha256, f.size)));
    files.push(("manifest.json".into(), sha256, size));
    files.sort();
    // The seal takes the list and gives it back for the ledger rows: no second copy.
    let seal = AuditEvent::BatchSealed(FilesSeal { files, adopted: false });
    chain.push(&seal);
    let AuditEvent::BatchSealed(FilesSeal { files, .. }) = seal else { unreachable!("the seal was made above") };
    Ok(BatchRecord { batch: batch_row, requests, files, events_file: Some(events_file.0), events: chain.events })
}

/// The ledger's record of every data row of the batch.
fn request_records(
    report: &BatchReport,
    reissue_of: &HashMap<(String, NoticeKind), String>,
    reissue_reason: Option<&str>,
) -> Vec<RequestRecord> {
    let intake = &report.intake;
    let rows = report.issued.len() + intake.skipped.len() + intake.hidden.len() + report.already_issued.len();
    let mut records = Vec::with_capacity(rows + intake.rejections.len() + report.render_rejections.len());
    for n in &report.issued {
        let previous = reissue_of.get(&(n.request_id.clone(), n.kind)).cloned();
        records.push(RequestRecord {
            row: n.row,
            request_id: n.request_id.clone(),
            kind: n.kind.alias().into(),
            office_no: n.office_no.clone(),
            outcome: Outcome::Issued,
            reason: String::new(),
            reissue_reason: previous.as_ref().and(reissue_reason.map(str::to_string)),
            reissue_of: previous,
        });
    }
    // Rows not approved and rows the workbook hides: read, deliberately not issued.
    let skipped = report.intake.skipped.iter().map(|s| (s.row, &s.request_id, &s.office_no, s.as_rejection()));
    let hidden = report.intake.hidden.iter().map(|h| (h.row, &h.request_id, &h.office_no, h.as_rejection()));
    for (row, request_id, office_no, listed) in skipped.chain(hidden) {
        records.push(RequestRecord {
            row,
            request_id: request_id.clone(),
            kind: String::new(),
            office_no: office_no.clone(),
            outcome: Outcome::Skipped,
            reason: listed.reason,
            reissue_of: None,
            reissue_reason: None,
        });
    }
    for a in &report.already_issued {
        records.push(RequestRecord {
            row: a.row,
            request_id: a.request_id.clone(),
            kind: a.kind.alias().into(),
            office_no: a.office_no.clone(),
            outcome: Outcome::AlreadyIssued,
            reason: a.as_rejection().reason,
            reissue_of: None,
            reissue_reason: None,
        });
    }
    // One record per rejected row, its reasons joined.
    let mut by_row: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for r in report.rejections() {
        by_row.entry(r.row).or_default().push(format!("{}：{}", r.column, r.reason));
    }
    for (row, reasons) in by_row {
        // The row's keys as written (a 申請番号 or 事業所番号 may be the cell at fault).
        let keys = intake.row_keys.get(&row).cloned().unwrap_or_default();
        records.push(RequestRecord {
            row,
            request_id: keys.request_id,
            kind: String::new(),
            office_no: keys.office_no,
            outcome: Outcome::Rejected,
            reason: reasons.join("／"),
            reissue_of: None,
            reissue_reason: None,
        });
    }
    records.sort_by_key(|r| r.row);
    records
}
