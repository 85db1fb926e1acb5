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
use crate::intake::{self, Intake, NoticeKind, OfficeNo, ReadOptions, Rejection};
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
        let mut all: Vec<Rejection> = self
            .intake
            .rejections
            .iter()
            .chain(&self.render_rejections)
            .cloned()
            .collect();
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
    #[error("「{}」に書き込めません：{detail}", .path.display())]
    Io { path: PathBuf, detail: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
    move |e| BatchError::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// The current time in Japan.
pub fn now_in_tokyo() -> DateTime<FixedOffset> {
    chrono::Utc::now().with_timezone(&FixedOffset::east_opt(9 * 3600).expect("valid offset"))
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
    let intake = intake::read(
        &options.input,
        &ReadOptions {
            sheet: options.sheet.clone(),
        },
    )?;
    let issue_date = options
        .issue_date
        .or(config.notice.issue_date)
        .unwrap_or_else(crate::wareki::today_in_tokyo);
    let created = now_in_tokyo();
    let dir = unique_dir(
        &options.out_root,
        &created.format("%Y%m%d-%H%M%S").to_string(),
    );
    let batch_id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut warnings = Vec::new();
    if config.zip.encryption == ZipEncryption::ZipCrypto {
        warnings.push(ZIPCRYPTO_WARNING.to_string());
    }

    let clock = std::time::Instant::now();
    let (notices, render_rejections) = issue(&intake, issue_date, config, renderer);
    let issue_time = clock.elapsed();
    let mut report = BatchReport {
        batch_id,
        dir,
        issue_date,
        intake,
        issued: Vec::new(),
        render_rejections,
        bundle_pages: 0,
        warnings,
        timings: vec![("intake+secrets+layout check", issue_time)],
        dry_run: options.dry_run,
    };
    if options.dry_run {
        report.issued = notices
            .iter()
            .map(|n| planned(n, ZipOpening::Separate))
            .collect();
        return Ok(report);
    }

    let staging = options
        .out_root
        .join(format!(".staging-{}", report.batch_id));
    let built = build(
        &staging,
        &mut report,
        &notices,
        options,
        config,
        renderer,
        created,
        progress,
    )
    .and_then(|()| std::fs::rename(&staging, &report.dir).map_err(io_error(&report.dir)));
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    Ok(report)
}

/// Draws the secrets of every approved request and lays its notice out once, so that a row
/// whose text cannot fit is rejected before anything depends on it (e.g. a ZIP opened with
/// its login password).
fn issue(
    intake: &Intake,
    issue_date: NaiveDate,
    config: &Config,
    renderer: &Renderer,
) -> (Vec<Notice>, Vec<Rejection>) {
    let results: Vec<Result<Notice, Rejection>> = intake
        .requests
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
                PasswordSource::Login => logins
                    .get(&n.request.office_no)
                    .filter(|v| v.len() == 1)
                    .map(|v| v[0]),
                PasswordSource::Separate => None,
            };
            // Never the secret the ZIP itself carries.
            let carries = |j: usize| {
                let key = notices[j]
                    .secret(SecretSlot::TempPassword)
                    .map(Secret::expose);
                [SecretSlot::TempPassword, SecretSlot::CertPassword]
                    .iter()
                    .any(|s| j == i || n.secret(*s).map(Secret::expose) == key)
            };
            match login {
                Some(j) if !carries(j) => ZipKey::Login(j),
                _ => ZipKey::Separate(
                    generator.generate(&config.passwords.zip, n.request.user_id.as_str()),
                ),
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
    file.sync_all().map_err(io_error(path))
}

#[allow(clippy::too_many_arguments)]
fn build(
    staging: &Path,
    report: &mut BatchReport,
    notices: &[Notice],
    options: &RunOptions,
    config: &Config,
    renderer: &Renderer,
    created: DateTime<FixedOffset>,
    progress: &dyn Progress,
) -> Result<(), BatchError> {
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
                    notices[*j]
                        .secret(SecretSlot::TempPassword)
                        .expect("a login notice carries one"),
                    ZipOpening::Login,
                ),
                ZipKey::Separate(secret) => (secret, ZipOpening::Separate),
            };
            let mut issued = planned(notice, opening);
            let entry = issued
                .pdf
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
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
                i.zip
                    .file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .into_owned(),
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
                subject: &format!(
                    "バッチ {} の開封パスワード（{}件）",
                    report.batch_id,
                    separate.len()
                ),
                created,
            },
        )?;
        write_private(
            &staging.join("secrets").join("開封パスワード一覧.pdf"),
            &bytes,
        )?;
    }
    drop(keys);
    lap(report, "second-channel list");

    // The mail room: paper notices in postal order, one bundle and one list.
    let mut paper: Vec<&Notice> = notices
        .iter()
        .filter(|n| mailroom::is_paper(n.kind()))
        .collect();
    mailroom::sort(&mut paper);
    let info = BundleInfo {
        batch_id: report.batch_id.clone(),
        issue_date: report.issue_date,
        created,
        operator: operator.clone(),
        host: host.clone(),
        issuer: config.issuer.name.clone(),
        duplex: config.mailroom.duplex,
    };
    let bundle_path = staging
        .join("print")
        .join(format!("{}.pdf", report.batch_id));
    let bundle = mailroom::write_bundle(&bundle_path, &paper, renderer, &fonts, &info)?;
    mailroom::write_mailing_list(
        &staging.join("print").join("発送リスト.xlsx"),
        &bundle.pieces,
    )?;
    let control: HashMap<(String, NoticeKind), String> = bundle
        .pieces
        .iter()
        .map(|p| {
            (
                (p.request.office_no.to_string(), p.request.kind),
                p.control_no.clone(),
            )
        })
        .collect();
    for i in &mut issued {
        i.control_no = control.get(&(i.office_no.clone(), i.kind)).cloned();
    }
    report.bundle_pages = bundle.pages;
    report.issued = issued;
    lap(report, "print bundle+mailing list");

    let rejections = report.rejections();
    report::write_rejected_xlsx(&staging.join("rejected.xlsx"), &rejections)?;
    report::write_rejected_csv(&staging.join("rejected.csv"), &rejections)?;

    let manifest = manifest::Manifest {
        tool: concat!("tsuchi ", env!("CARGO_PKG_VERSION")).into(),
        batch_id: report.batch_id.clone(),
        issue_date: report.issue_date.to_string(),
        created: created.to_rfc3339(),
        operator,
        host,
        input: manifest::source(&options.input).map_err(io_error(&options.input))?,
        config: match &options.config_path {
            Some(p) => Some(manifest::source(p).map_err(io_error(p))?),
            None => None,
        },
        zip_encryption: match config.zip.encryption {
            ZipEncryption::Aes256 => "aes256".into(),
            ZipEncryption::ZipCrypto => "zip_crypto".into(),
        },
        counts: counts(report),
        files: manifest::files(staging).map_err(io_error(staging))?,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    write_synced(&staging.join("manifest.json"), &json)?;
    sync_staging(staging)?;
    lap(report, "rejected lists+manifest+sync");
    Ok(())
}

/// Writes sheets (not notices) as one PDF with the batch fonts.
fn write_pages(
    pages: &[crate::render::Frame],
    fonts: &PdfFonts,
    renderer: &Renderer,
    meta: &pdf::Meta,
) -> Result<Vec<u8>, BatchError> {
    let (w, h) = renderer.page_size_mm();
    let mut writer =
        crate::render::bundle::BundleWriter::new(Vec::new(), fonts, w, h).map_err(|e| {
            BatchError::Io {
                path: PathBuf::from("（メモリ）"),
                detail: e.to_string(),
            }
        })?;
    for page in pages {
        renderer.check_fonts(fonts, page)?;
        writer.page(page).map_err(|e| BatchError::Io {
            path: PathBuf::from("（メモリ）"),
            detail: e.to_string(),
        })?;
    }
    writer.finish(meta).map_err(|e| BatchError::Io {
        path: PathBuf::from("（メモリ）"),
        detail: e.to_string(),
    })
}

/// Counts for the manifest and the JSON summary.
pub fn counts(report: &BatchReport) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for kind in NoticeKind::ALL {
        counts.insert(
            format!("issued.{}", kind.alias()),
            report.issued.iter().filter(|n| n.kind == kind).count(),
        );
    }
    counts.insert("issued".into(), report.issued.len());
    counts.insert("rows".into(), report.intake.data_rows);
    counts.insert("skipped".into(), report.intake.skipped.len());
    let mut rows: Vec<usize> = report.rejections().iter().map(|r| r.row).collect();
    rows.dedup();
    counts.insert("rejected_rows".into(), rows.len());
    counts.insert(
        "zip.separate".into(),
        report
            .issued
            .iter()
            .filter(|n| n.zip_opening == ZipOpening::Separate)
            .count(),
    );
    counts.insert(
        "zip.login".into(),
        report
            .issued
            .iter()
            .filter(|n| n.zip_opening == ZipOpening::Login)
            .count(),
    );
    counts.insert("print.pages".into(), report.bundle_pages);
    counts
}

fn unique_dir(root: &Path, id: &str) -> PathBuf {
    let taken =
        |name: &str| root.join(name).exists() || root.join(format!(".staging-{name}")).exists();
    let mut name = id.to_string();
    let mut n = 2;
    while taken(&name) {
        name = format!("{id}-{n}");
        n += 1;
    }
    root.join(name)
}
