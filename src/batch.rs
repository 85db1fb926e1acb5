//! A batch: one run of `tsuchi run`. Reads the request list, issues the secrets, renders every
//! notice, packs the ZIPs, makes the mail room's bundle and list, and writes the manifest —
//! all in a staging folder that is moved into place only when complete, so the output root
//! never holds a half-written batch. Rows that fail are reported; they never stop the rest.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use rayon::prelude::*;

use crate::audit::{self, manifest};
use crate::config::{Config, PasswordSource};
use crate::intake::{self, Intake, NoticeKind, OfficeNo, ReadOptions, Rejection, Request};
use crate::ledger::{self, BatchRecord, Ledger, Outcome, RequestRecord};
use crate::mailroom::{self, BundleInfo};
use crate::notice::{Notice, SecretSlot};
use crate::pack::{self, ZipEncryption};
use crate::render::{PdfFonts, RenderError, Renderer, pdf};
use crate::report;
use crate::secrets::{Generator, Secret};

/// What the clerk asked for.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub input: PathBuf,
    pub sheet: Option<String>,
    pub out_root: PathBuf,
    /// The config file the run uses, for the manifest (`None`: defaults).
    pub config_path: Option<PathBuf>,
    /// 発行日 from the command line; beats the config file.
    pub issue_date: Option<NaiveDate>,
    /// Report what would be issued; write nothing.
    pub dry_run: bool,
    /// 申請番号 to issue again on purpose although the ledger says they were issued.
    pub reissue: Vec<String>,
    /// Why they are issued again (recorded in the ledger); required with `reissue`.
    pub reissue_reason: Option<String>,
}

/// A request the ledger says was issued before: reported as 発行済み, not issued again.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AlreadyIssued {
    pub row: usize,
    pub request_id: String,
    pub kind: NoticeKind,
    pub office_no: String,
    /// The batch that issued it.
    pub batch_id: String,
}

impl AlreadyIssued {
    pub fn as_rejection(&self) -> Rejection {
        Rejection {
            row: self.row,
            column: "申請番号".into(),
            column_letter: None,
            value: self.request_id.clone(),
            reason: format!(
                "発行済みです（バッチ {}、{}）。もう一度発行するときは --reissue {} --reason 理由 を付けて実行してください",
                self.batch_id, self.kind, self.request_id
            ),
        }
    }
}

/// Progress of the slow part of a batch (rendering and packing), for a progress bar.
pub trait Progress: Sync {
    fn start(&self, total: usize);
    fn advance(&self);
    fn finish(&self);
}

/// No progress display.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: usize) {}
    fn advance(&self) {}
    fn finish(&self) {}
}

/// How a ZIP opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZipOpening {
    /// With the office's login password from this batch's paper notice.
    Login,
    /// With a 開封パスワード from secrets/開封パスワード一覧.pdf.
    Separate,
}

/// One notice written by the batch.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedNotice {
    pub row: usize,
    pub request_id: String,
    pub office_no: String,
    pub kind: NoticeKind,
    /// Paths relative to the batch folder.
    pub pdf: PathBuf,
    pub zip: PathBuf,
    pub zip_opening: ZipOpening,
    /// Control number in the print bundle (paper notices only).
    pub control_no: Option<String>,
    pub bytes: usize,
}

/// The outcome of a batch.
#[derive(Debug)]
pub struct BatchReport {
    pub batch_id: String,
    /// Where the batch landed (not created in a dry run).
    pub dir: PathBuf,
    pub issue_date: NaiveDate,
    pub intake: Intake,
    pub issued: Vec<IssuedNotice>,
    /// Rows refused while laying out (text too long for its box), beside the intake rejections.
    pub render_rejections: Vec<Rejection>,
    /// Requests the ledger says were issued before (not issued again).
    pub already_issued: Vec<AlreadyIssued>,
    /// What recovery did with a previous run that was cut off.
    pub recovery_notes: Vec<String>,
    /// Pages of the print bundle (cover included); 0 in a dry run.
    pub bundle_pages: usize,
    /// Things the clerk must be told on every run (e.g. ZipCrypto in use).
    pub warnings: Vec<String>,
    /// Wall-clock time of each phase, for the benchmark.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    pub dry_run: bool,
}

impl BatchReport {
    /// Every rejection, intake and render, in row order.
    pub fn rejections(&self) -> Vec<Rejection> {
        let mut all: Vec<Rejection> = self.intake.rejections.iter().chain(&self.render_rejections).cloned().collect();
        all.sort_by_key(|r| r.row);
        all
    }

    /// Every row not issued, for rejected.xlsx/.csv: rejections, rows not approved, and
    /// requests issued before.
    pub fn not_issued(&self) -> Vec<Rejection> {
        let mut all = self.rejections();
        all.extend(self.intake.skipped.iter().map(|s| s.as_rejection()));
        all.extend(self.already_issued.iter().map(AlreadyIssued::as_rejection));
        all.sort_by_key(|r| r.row);
        all
    }
}

/// A batch that could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Intake(#[from] intake::IntakeError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Report(#[from] report::ReportError),
    #[error(transparent)]
    Mailroom(#[from] mailroom::MailroomError),
    #[error(transparent)]
    Pack(#[from] pack::PackError),
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    Audit(#[from] crate::audit::log::AuditWriteError),
    #[error("--reissue には --reason で理由を付けてください（台帳に記録します）")]
    ReissueWithoutReason,
    #[error("「{}」に書き込めません：{detail}", .path.display())]
    Io { path: PathBuf, detail: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
    move |e| BatchError::Io { path: path.to_path_buf(), detail: e.to_string() }
}

/// The current time in Japan.
pub fn now_in_tokyo() -> DateTime<FixedOffset> {
    crate::wareki::now_in_tokyo()
}

/// The warning shown on every run that packs with ZipCrypto.
pub const ZIPCRYPTO_WARNING: &str = "ZIPの暗号化に ZipCrypto を使っています。ZipCrypto は既知平文攻撃で破られるため、個人情報・パスワードの送付には推奨しません（tsuchi.toml の [zip] encryption = \"aes256\" を推奨）。";

/// Runs one batch. `renderer` is built by the caller (once per process) from `config`.
pub fn run(
    options: &RunOptions,
    config: &Config,
    renderer: &Renderer,
    progress: &dyn Progress,
) -> Result<BatchReport, BatchError> {
    if !options.reissue.is_empty() && options.reissue_reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(BatchError::ReissueWithoutReason);
    }
    // The ledger first: it holds the output root's lock and finishes a run that was cut off.
    let (mut ledger, recovery_notes) = if options.dry_run {
        (Ledger::open_read_only(&options.out_root)?, Vec::new())
    } else {
        let ledger = Ledger::open(&options.out_root)?;
        let notes = ledger.recover()?;
        (Some(ledger), notes)
    };
    let intake = intake::read(&options.input, &ReadOptions { sheet: options.sheet.clone(), ..ReadOptions::default() })?;
    let issue_date = options.issue_date.or(config.notice.issue_date).unwrap_or_else(crate::wareki::today_in_tokyo);
    let created = now_in_tokyo();
    let dir = unique_dir(&options.out_root, &created.format("%Y%m%d-%H%M%S").to_string());
    let batch_id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut warnings = Vec::new();
    if config.zip.encryption == ZipEncryption::ZipCrypto {
        warnings.push(ZIPCRYPTO_WARNING.to_string());
    }

    // Nothing is issued twice by accident: a (申請番号, 通知種別) in the ledger is 発行済み
    // unless the clerk asked for it again.
    let mut to_issue = Vec::new();
    let mut already_issued = Vec::new();
    let mut reissue_of = HashMap::new();
    for request in &intake.requests {
        let previous = match &ledger {
            Some(l) => l.issued_in(request.request_id.as_str(), request.kind.alias())?,
            None => None,
        };
        match previous {
            Some(batch) if options.reissue.iter().any(|id| id == request.request_id.as_str()) => {
                reissue_of.insert((request.request_id.to_string(), request.kind), batch);
                to_issue.push(request.clone());
            }
            Some(batch_id) => already_issued.push(AlreadyIssued {
                row: request.row,
                request_id: request.request_id.to_string(),
                kind: request.kind,
                office_no: request.office_no.to_string(),
                batch_id,
            }),
            None => to_issue.push(request.clone()),
        }
    }

    let clock = std::time::Instant::now();
    let (notices, render_rejections) = issue(&to_issue, issue_date, config, renderer);
    let issue_time = clock.elapsed();
    let mut report = BatchReport {
        batch_id,
        dir,
        issue_date,
        intake,
        issued: Vec::new(),
        render_rejections,
        already_issued,
        recovery_notes,
        bundle_pages: 0,
        warnings,
        timings: vec![("intake+secrets+layout check", issue_time)],
        dry_run: options.dry_run,
    };
    let Some(ledger) = ledger.as_mut().filter(|_| !options.dry_run) else {
        report.issued = notices.iter().map(|n| planned(n, ZipOpening::Separate)).collect();
        return Ok(report);
    };

    let staging = options.out_root.join(format!(".staging-{}", report.batch_id));
    let context = BuildContext { options, config, renderer, created, progress, reissue_of: &reissue_of };
    let committed = build(&staging, &mut report, &notices, ledger, &context).and_then(|record| {
        let clock = std::time::Instant::now();
        let dir = report.dir.clone();
        ledger.commit(&record, || {
            std::fs::rename(&staging, &dir)?;
            // Make the rename itself durable.
            std::fs::File::open(&options.out_root)?.sync_all()
        })?;
        report.timings.push(("ledger commit+publish", clock.elapsed()));
        Ok(())
    });
    if let Err(e) = committed {
        // Not in the ledger: nothing of this batch may remain. (A failure after the commit
        // leaves the staging folder for the next run to move into place.)
        if ledger.batch(&report.batch_id).ok().flatten().is_none() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        return Err(e);
    }
    Ok(report)
}

/// What [`build`] needs besides the report and the notices.
struct BuildContext<'a> {
    options: &'a RunOptions,
    config: &'a Config,
    renderer: &'a Renderer,
    created: DateTime<FixedOffset>,
    progress: &'a dyn Progress,
    reissue_of: &'a HashMap<(String, NoticeKind), String>,
}

/// Draws the secrets of every approved request and lays its notice out once, so that a row
/// whose text cannot fit is rejected before anything depends on it (e.g. a ZIP opened with
/// its login password).
fn issue(
    requests: &[Request],
    issue_date: NaiveDate,
    config: &Config,
    renderer: &Renderer,
) -> (Vec<Notice>, Vec<Rejection>) {
    let results: Vec<Result<Notice, Rejection>> = requests
        .par_iter()
        .map_init(Generator::os, |generator, request| {
            let notice = Notice::issue(request.clone(), issue_date, &config.passwords, generator);
            match renderer.frame(&notice) {
                Ok(_) => Ok(notice),
                Err(e) => Err(Rejection {
                    row: request.row,
                    column: "事業所名・住所".into(),
                    column_letter: None,
                    value: request.office_name.clone(),
                    reason: e.to_string(),
                }),
            }
        })
        .collect();
    let mut notices = Vec::new();
    let mut rejected = Vec::new();
    for result in results {
        match result {
            Ok(n) => notices.push(n),
            Err(r) => rejected.push(r),
        }
    }
    (notices, rejected)
}

fn planned(notice: &Notice, zip_opening: ZipOpening) -> IssuedNotice {
    let stem = notice.file_stem();
    IssuedNotice {
        row: notice.request.row,
        request_id: notice.request.request_id.to_string(),
        office_no: notice.request.office_no.to_string(),
        kind: notice.kind(),
        pdf: Path::new("notices").join(format!("{stem}.pdf")),
        zip: Path::new("zip").join(format!("{stem}.zip")),
        zip_opening,
        control_no: None,
        bytes: 0,
    }
}

/// The key of each notice's ZIP: the login password of another notice of the same office in
/// this batch, or a fresh 開封パスワード.
enum ZipKey {
    Login(usize),
    Separate(Secret),
}

fn zip_keys(notices: &[Notice], config: &Config) -> Vec<ZipKey> {
    // Offices whose login password is issued exactly once in this batch.
    let mut logins: HashMap<&OfficeNo, Vec<usize>> = HashMap::new();
    for (i, n) in notices.iter().enumerate() {
        if n.secret(SecretSlot::TempPassword).is_some() {
            logins.entry(&n.request.office_no).or_default().push(i);
        }
    }
    let mut generator = Generator::os();
    notices
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let login = match config.zip.password_source.of(n.kind()) {
                PasswordSource::Login => logins.get(&n.request.office_no).filter(|v| v.len() == 1).map(|v| v[0]),
                PasswordSource::Separate => None,
            };
            // Never the secret the ZIP itself carries.
            let carries = |j: usize| {
                let key = notices[j].secret(SecretSlot::TempPassword).map(Secret::expose);
                j == i || SecretSlot::of(n.kind()).iter().any(|s| n.secret(*s).map(Secret::expose) == key)
            };
            match login {
                Some(j) if !carries(j) => ZipKey::Login(j),
                _ => ZipKey::Separate(generator.generate(&config.passwords.zip, n.request.user_id.as_str())),
            }
        })
        .collect()
}

/// Writes `bytes` to `path` and flushes it to disk.
/// Writes a file of the batch. On Linux the whole staging folder is flushed to disk with one
/// `syncfs` before it is published ([`sync_staging`]); elsewhere each file is flushed here.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BatchError> {
    let mut file = std::fs::File::create(path).map_err(io_error(path))?;
    file.write_all(bytes).map_err(io_error(path))?;
    #[cfg(not(target_os = "linux"))]
    file.sync_all().map_err(io_error(path))?;
    crate::failpoint::file_written();
    Ok(())
}

/// Makes every file and folder entry of the staging folder durable before the rename that
/// publishes it: one `syncfs` of the file system on Linux (thousands of `fsync`s cost more
/// than the rendering), the folders' own entries elsewhere.
fn sync_staging(staging: &Path) -> Result<(), BatchError> {
    #[cfg(target_os = "linux")]
    {
        let dir = std::fs::File::open(staging).map_err(io_error(staging))?;
        rustix::fs::syncfs(&dir).map_err(|e| io_error(staging)(e.into()))?;
    }
    for sub in ["notices", "zip", "print", "secrets", ""] {
        if let Ok(dir) = std::fs::File::open(staging.join(sub)) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Writes a file only its owner can read (the ZIP passwords). On Windows the file inherits the
/// folder's permissions: keep the output folder on a drive only the clerks can open.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), BatchError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io_error(path))?;
    file.write_all(bytes).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))?;
    crate::failpoint::file_written();
    Ok(())
}

fn build(
    staging: &Path,
    report: &mut BatchReport,
    notices: &[Notice],
    ledger: &Ledger,
    context: &BuildContext,
) -> Result<BatchRecord, BatchError> {
    let BuildContext { options, config, renderer, created, progress, reissue_of } = *context;
    for sub in ["notices", "zip", "print", "secrets"] {
        std::fs::create_dir_all(staging.join(sub)).map_err(io_error(staging))?;
    }
    let mut clock = std::time::Instant::now();
    let mut lap = |report: &mut BatchReport, phase: &'static str| {
        report.timings.push((phase, clock.elapsed()));
        clock = std::time::Instant::now();
    };
    let (operator, host) = (audit::operator(), audit::host());
    let fonts = renderer.fonts_for(notices.iter().map(|n| &n.request), &[&operator, &host])?;
    lap(report, "batch fonts");
    let keys = zip_keys(notices, config);
    let zip_time = created.naive_local();

    // Notices and their ZIPs, in parallel.
    progress.start(notices.len());
    let written: Vec<Result<IssuedNotice, BatchError>> = notices
        .par_iter()
        .zip(&keys)
        .map(|(notice, key)| {
            let bytes = renderer.render(notice, &fonts, created)?;
            let (password, opening) = match key {
                ZipKey::Login(j) => (
                    notices[*j].secret(SecretSlot::TempPassword).expect("a login notice carries one"),
                    ZipOpening::Login,
                ),
                ZipKey::Separate(secret) => (secret, ZipOpening::Separate),
            };
            let mut issued = planned(notice, opening);
            let entry = issued.pdf.file_name().expect("file name").to_string_lossy().into_owned();
            let zip = pack::zip_one(&entry, &bytes, password, config.zip.encryption, zip_time)?;
            write_synced(&staging.join(&issued.pdf), &bytes)?;
            write_synced(&staging.join(&issued.zip), &zip)?;
            issued.bytes = bytes.len();
            progress.advance();
            Ok(issued)
        })
        .collect();
    progress.finish();
    let mut issued = written.into_iter().collect::<Result<Vec<_>, _>>()?;
    lap(report, "notices+zips");

    // The second channel: every 開封パスワード, with its character-class grid.
    let separate: Vec<(String, String, String, &Secret)> = notices
        .iter()
        .zip(&keys)
        .zip(&issued)
        .filter_map(|((n, key), i)| match key {
            ZipKey::Separate(secret) => Some((
                n.request.office_no.to_string(),
                n.request.office_name.clone(),
                i.zip.file_name().expect("file name").to_string_lossy().into_owned(),
                secret,
            )),
            ZipKey::Login(_) => None,
        })
        .collect();
    if !separate.is_empty() {
        let pages = renderer.zip_password_pages(&report.batch_id, report.issue_date, &separate)?;
        let bytes = write_pages(
            &pages,
            &fonts,
            renderer,
            &pdf::Meta {
                title: "ZIPファイル 開封パスワード一覧",
                author: &config.issuer.name,
                subject: &format!("バッチ {} の開封パスワード（{}件）", report.batch_id, separate.len()),
                created,
            },
        )?;
        write_private(&staging.join("secrets").join("開封パスワード一覧.pdf"), &bytes)?;
    }
    drop(keys);
    lap(report, "second-channel list");

    // The mail room: paper notices in postal order, one bundle and one list.
    let mut paper: Vec<&Notice> = notices.iter().filter(|n| n.kind().is_mailed()).collect();
    mailroom::sort(&mut paper);
    let info = BundleInfo {
        batch_id: report.batch_id.clone(),
        issue_date: report.issue_date,
        created,
        operator: operator.clone(),
        host: host.clone(),
        issuer: config.issuer.name.clone(),
        duplex: config.mailroom.duplex,
        customer_barcode: config.mailroom.customer_barcode,
    };
    let bundle_path = staging.join("print").join(format!("{}.pdf", report.batch_id));
    let bundle = mailroom::write_bundle(&bundle_path, &paper, renderer, &fonts, &info)?;
    mailroom::write_mailing_list(&staging.join("print").join("発送リスト.xlsx"), &bundle.pieces)?;
    let control: HashMap<(String, NoticeKind), String> = bundle
        .pieces
        .iter()
        .map(|p| ((p.request.office_no.to_string(), p.request.kind), p.control_no.clone()))
        .collect();
    for i in &mut issued {
        i.control_no = control.get(&(i.office_no.clone(), i.kind)).cloned();
    }
    report.bundle_pages = bundle.pages;
    report.issued = issued;
    lap(report, "print bundle+mailing list");

    let not_issued = report.not_issued();
    report::write_rejected_xlsx(&staging.join("rejected.xlsx"), &not_issued)?;
    report::write_rejected_csv(&staging.join("rejected.csv"), &not_issued)?;

    // The audit trail: the ledger rows of this batch and its chained events, also written
    // into the batch (audit/) so that the folder carries its own record.
    let input = manifest::source(&options.input).map_err(io_error(&options.input))?;
    let config_source = match &options.config_path {
        Some(p) => Some(manifest::source(p).map_err(io_error(p))?),
        None => None,
    };
    let zip_encryption = match config.zip.encryption {
        ZipEncryption::Aes256 => "aes256",
        ZipEncryption::ZipCrypto => "zip_crypto",
    };
    let requests = request_records(report, reissue_of, options.reissue_reason.as_deref());
    let mut chain = ledger.chain(&report.batch_id)?;
    chain.push(
        "batch.started",
        serde_json::json!({
            "input": { "path": input.path, "sha256": input.sha256, "size": input.size },
            "config_sha256": config_source.as_ref().map(|c| c.sha256.clone()),
            "operator": operator, "host": host, "tool": concat!("tsuchi ", env!("CARGO_PKG_VERSION")),
            "issue_date": report.issue_date.to_string(), "zip_encryption": zip_encryption,
            "recovery": report.recovery_notes,
        }),
    );
    if config.zip.encryption == ZipEncryption::ZipCrypto {
        chain.push("zip.zipcrypto", serde_json::json!({ "warning": ZIPCRYPTO_WARNING }));
    }
    for n in &report.issued {
        let key = (n.request_id.clone(), n.kind);
        chain.push(
            "request.issued",
            serde_json::json!({
                "row": n.row, "request_id": n.request_id, "kind": n.kind, "office_no": n.office_no,
                "pdf": n.pdf, "zip": n.zip, "zip_opening": n.zip_opening, "control_no": n.control_no,
                "reissue_of": reissue_of.get(&key), "reissue_reason": reissue_of.get(&key).and(options.reissue_reason.as_ref()),
            }),
        );
    }
    for r in requests.iter().filter(|r| r.outcome != Outcome::Issued) {
        chain.push(
            match r.outcome {
                Outcome::Skipped => "request.skipped",
                Outcome::AlreadyIssued => "request.already_issued",
                _ => "request.rejected",
            },
            serde_json::json!({ "row": r.row, "request_id": r.request_id, "kind": r.kind, "reason": r.reason }),
        );
    }
    chain.push("batch.completed", serde_json::json!({ "counts": counts(report) }));
    std::fs::create_dir_all(staging.join("audit")).map_err(io_error(staging))?;
    write_synced(&staging.join("audit").join("events.jsonl"), &audit::log::jsonl(&chain.events))?;
    let finished = now_in_tokyo().to_rfc3339();
    let batch_row = ledger::BatchRow {
        id: report.batch_id.clone(),
        started: created.to_rfc3339(),
        finished: finished.clone(),
        operator: operator.clone(),
        host: host.clone(),
        tool: concat!("tsuchi ", env!("CARGO_PKG_VERSION")).into(),
        input_path: input.path.clone(),
        input_sha256: input.sha256.clone(),
        config_sha256: config_source.as_ref().map(|c| c.sha256.clone()),
        issue_date: report.issue_date.to_string(),
        zip_encryption: zip_encryption.into(),
    };
    let tagged: Vec<(String, RequestRecord)> = requests.iter().map(|r| (report.batch_id.clone(), r.clone())).collect();
    audit::log::write_xlsx(
        &staging.join("audit").join("監査ログ.xlsx"),
        std::slice::from_ref(&batch_row),
        &tagged,
        &chain.events,
    )?;

    let manifest = manifest::Manifest {
        tool: concat!("tsuchi ", env!("CARGO_PKG_VERSION")).into(),
        batch_id: report.batch_id.clone(),
        issue_date: report.issue_date.to_string(),
        created: created.to_rfc3339(),
        operator: operator.clone(),
        host: host.clone(),
        input: input.clone(),
        config: config_source.clone(),
        zip_encryption: zip_encryption.into(),
        counts: counts(report),
        files: manifest::files(staging).map_err(io_error(staging))?,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    write_synced(&staging.join("manifest.json"), &json)?;
    sync_staging(staging)?;
    lap(report, "rejected lists+audit+manifest+sync");

    let mut files: Vec<(String, String, u64)> =
        manifest.files.iter().map(|f| (f.path.clone(), f.sha256.clone(), f.size)).collect();
    files.push(("manifest.json".into(), audit::sha256_hex(&json), json.len() as u64));
    Ok(BatchRecord { batch: batch_row, requests, files, events: chain.events })
}

/// The ledger's record of every data row of the batch.
fn request_records(
    report: &BatchReport,
    reissue_of: &HashMap<(String, NoticeKind), String>,
    reissue_reason: Option<&str>,
) -> Vec<RequestRecord> {
    let mut records = Vec::new();
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
    for s in &report.intake.skipped {
        records.push(RequestRecord {
            row: s.row,
            request_id: s.request_id.clone(),
            kind: String::new(),
            office_no: s.office_no.clone(),
            outcome: Outcome::Skipped,
            reason: s.as_rejection().reason,
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
        records.push(RequestRecord {
            row,
            request_id: String::new(),
            kind: String::new(),
            office_no: String::new(),
            outcome: Outcome::Rejected,
            reason: reasons.join("／"),
            reissue_of: None,
            reissue_reason: None,
        });
    }
    records.sort_by_key(|r| r.row);
    records
}

/// Writes sheets (not notices) as one PDF with the batch fonts.
fn write_pages(
    pages: &[crate::render::Frame],
    fonts: &PdfFonts,
    renderer: &Renderer,
    meta: &pdf::Meta,
) -> Result<Vec<u8>, BatchError> {
    let in_memory =
        |e: std::io::Error| BatchError::Io { path: PathBuf::from("（メモリ）"), detail: e.to_string() };
    let (w, h) = renderer.page_size_mm();
    let mut writer = crate::render::bundle::BundleWriter::new(Vec::new(), fonts, w, h).map_err(in_memory)?;
    for page in pages {
        renderer.check_fonts(fonts, page)?;
        writer.page(page).map_err(in_memory)?;
    }
    writer.finish(meta).map_err(in_memory)
}

/// Counts for the manifest and the JSON summary.
pub fn counts(report: &BatchReport) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for kind in NoticeKind::ALL {
        counts.insert(format!("issued.{}", kind.alias()), report.issued.iter().filter(|n| n.kind == kind).count());
    }
    counts.insert("issued".into(), report.issued.len());
    counts.insert("rows".into(), report.intake.data_rows);
    counts.insert("skipped".into(), report.intake.skipped.len());
    counts.insert("rejected_rows".into(), intake::distinct_rows(&report.rejections()));
    counts.insert("already_issued".into(), report.already_issued.len());
    counts
        .insert("zip.separate".into(), report.issued.iter().filter(|n| n.zip_opening == ZipOpening::Separate).count());
    counts.insert("zip.login".into(), report.issued.iter().filter(|n| n.zip_opening == ZipOpening::Login).count());
    counts.insert("print.pages".into(), report.bundle_pages);
    counts
}

fn unique_dir(root: &Path, id: &str) -> PathBuf {
    let taken = |name: &str| root.join(name).exists() || root.join(format!(".staging-{name}")).exists();
    let mut name = id.to_string();
    let mut n = 2;
    while taken(&name) {
        name = format!("{id}-{n}");
        n += 1;
    }
    root.join(name)
}
