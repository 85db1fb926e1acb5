//! A batch: one run of `tsuchi run`, in two stages. [`plan::prepare`] does everything that
//! depends on a row's content (secrets, notices, layout, glyphs) and turns failures into
//! rejections; [`write::write`] puts the prepared batch into a staging folder, and the ledger
//! commit publishes it with one rename. The output root never holds a half-written batch,
//! and no row can make the batch fail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::config::Config;
use crate::intake::{self, Intake, ReadOptions};
use crate::ledger;
use crate::mailroom;
use crate::model::{NoticeKind, Rejection};
use crate::notice::Notice;
use crate::pack::{self, ZipEncryption, policy::ZipOpening};
use crate::plan::{self, AlreadyIssued, PlanInput, SecretSource};
use crate::render::{RenderError, Renderer};
use crate::report;
use crate::write;

/// What the clerk asked for.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub input: PathBuf,
    pub sheet: Option<String>,
    /// Issue rows the workbook hides (hidden or filtered out) too.
    pub include_hidden: bool,
    pub out_root: PathBuf,
    /// The config file the run uses, for the manifest (`None`: defaults).
    pub config_path: Option<PathBuf>,
    /// 発行日 from the command line; beats the config file.
    pub issue_date: Option<NaiveDate>,
    /// Issue with a 発行日 more than a year from today (`--allow-date`); recorded in the audit
    /// trail when it was needed.
    pub allow_date: bool,
    /// Report what would be issued; write nothing.
    pub dry_run: bool,
    /// 申請番号 to issue again on purpose although the ledger says they were issued.
    pub reissue: Vec<String>,
    /// Why they are issued again (recorded in the ledger); required with `reissue`.
    pub reissue_reason: Option<String>,
    /// Start a new ledger at `out_root` although another ledger holds batches.
    pub new_ledger: bool,
    /// The user's list of ledgers ([`crate::home::registry`]); `None` consults none.
    pub registry: Option<PathBuf>,
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

/// One notice written by the batch.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedNotice {
    pub row: usize,
    pub request_id: String,
    pub office_no: String,
    pub user_id: String,
    /// 請求先都道府県 as the list gave it (its name), if it did.
    pub prefecture: Option<String>,
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
    /// The 発行日 is more than a year from today, issued so with `--allow-date`.
    pub issue_date_allowed: bool,
    /// The list as it was read: its hash is of the very bytes the intake was made from.
    pub input: crate::audit::manifest::Source,
    pub intake: Intake,
    pub issued: Vec<IssuedNotice>,
    /// Rows refused while laying out (text too long for its box), beside the intake rejections.
    pub render_rejections: Vec<Rejection>,
    /// Requests the ledger says were issued before (not issued again).
    pub already_issued: Vec<AlreadyIssued>,
    /// What recovery did with a previous run that was cut off.
    pub recovery_notes: Vec<ledger::Recovered>,
    /// Pages of the print bundle (cover included); in a dry run, the pages it would have.
    pub bundle_pages: usize,
    /// Rows of the システム登録ファイル; in a dry run, the rows it would have.
    pub handoff_rows: usize,
    /// Things the clerk must be told on every run (e.g. ZipCrypto in use).
    pub warnings: Vec<String>,
    /// Wall-clock time of each phase, for the benchmark.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    pub dry_run: bool,
    /// The ledger file the run checked (and wrote to), absolute.
    pub ledger_path: PathBuf,
    /// Nothing was left to issue: no batch folder was made and nothing was recorded.
    pub nothing_to_issue: bool,
    /// The batch's システム登録ファイル for the 受付システム; `None` when no batch was written.
    pub handoff: Option<crate::handoff::Outcome>,
    /// Made with the sample settings: every page says 見本.
    pub sample: bool,
}

impl BatchReport {
    /// Every rejection, intake and render, in row order.
    pub fn rejections(&self) -> Vec<Rejection> {
        plan::refused(&self.intake, &self.render_rejections)
    }

    /// Every row not issued, for rejected.xlsx/.csv: rejections, rows not approved, and
    /// requests issued before.
    pub fn not_issued(&self) -> Vec<Rejection> {
        plan::not_issued(&self.intake, &self.render_rejections, &self.already_issued)
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
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    Audit(#[from] crate::audit::log::AuditWriteError),
    #[error("{}", crate::msg!("run.reissue_without_reason"))]
    ReissueWithoutReason,
    /// The settings would issue notices that cannot work (see [`Config::not_ready`]).
    #[error("{}", crate::msg!("config.ready.refused", problems = .0.iter().map(|item| crate::msg!("audit.bullet", item)).collect::<Vec<_>>().join("\n")))]
    NotReady(Vec<String>),
    #[error("{}", crate::msg!("run.cannot_write_to", path = .path.display(), detail = .detail))]
    Io { path: PathBuf, detail: String },
    /// Something (a file, a link, a folder) stands at the name the batch folder is published
    /// under; nothing of the batch was recorded.
    #[error("{}", crate::msg!("run.path_in_the_way", path = .0.display()))]
    InTheWay(PathBuf),
    #[error("{}", crate::msg!("run.issue_date_out_of_range", date = .date, from = .from, earliest = .earliest, latest = .latest))]
    IssueDateOutOfRange { date: NaiveDate, from: String, earliest: NaiveDate, latest: NaiveDate },
}

/// The 発行日 of a batch and whether it lies outside [`issue_date_range`] (allowed only with
/// `--allow-date`, and then recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssueDate {
    pub date: NaiveDate,
    pub out_of_range: bool,
}

/// The 発行日 a run (and `check`) uses: `--date`, else the config file's, else today; one more
/// than a year from today is a typo (令和7981年) unless `allow` (`--allow-date`).
pub fn issue_date(cli: Option<NaiveDate>, config: &Config, allow: bool) -> Result<IssueDate, BatchError> {
    let today = crate::wareki::today_in_tokyo();
    let (date, from) = match (cli, config.notice.issue_date) {
        (Some(date), _) => (date, "--date".to_string()),
        (None, Some(date)) => (date, crate::msg!("run.issue_date_from_config")),
        (None, None) => return Ok(IssueDate { date: today, out_of_range: false }),
    };
    let (earliest, latest) = issue_date_range(today);
    let out_of_range = !(earliest..=latest).contains(&date);
    if out_of_range && !allow {
        return Err(BatchError::IssueDateOutOfRange { date, from, earliest, latest });
    }
    Ok(IssueDate { date, out_of_range })
}

/// The 発行日 allowed without `--allow-date`: a year either side of `today`.
pub fn issue_date_range(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let year = chrono::Months::new(12);
    (today.checked_sub_months(year).unwrap_or(NaiveDate::MIN), today.checked_add_months(year).unwrap_or(NaiveDate::MAX))
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
    move |e| BatchError::Io { path: path.to_path_buf(), detail: e.to_string() }
}

/// The warning shown (and recorded) when `--allow-date` let a 発行日 far from today through.
pub fn issue_date_allowed_warning(date: NaiveDate) -> String {
    let (earliest, latest) = issue_date_range(crate::wareki::today_in_tokyo());
    crate::msg!("run.issue_date_allowed", date, earliest, latest)
}

/// The current time in Japan.
pub fn now_in_tokyo() -> DateTime<FixedOffset> {
    crate::wareki::now_in_tokyo()
}

/// The warning shown on every run that packs with ZipCrypto (and recorded in the audit trail).
pub fn zipcrypto_warning() -> String {
    crate::msg!("run.zipcrypto")
}

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
    // Settings that would mail notices no office can use are refused before anything is read.
    let problems = config.not_ready(options.config_path.as_deref());
    if !problems.is_empty() {
        return Err(BatchError::NotReady(problems));
    }
    // A 発行日 that is a typo is refused before the ledger is touched.
    let IssueDate { date: issue_date, out_of_range } = issue_date(options.issue_date, config, options.allow_date)?;
    // The ledger first: the one this installation uses, holding the output root's lock,
    // checked row by row before anything is issued, then with a run that was cut off finished.
    // The check comes before the recovery: recovery moves or deletes staging folders on the
    // ledger's word, and a ledger that does not verify could have it delete a committed batch.
    // A sample ledger is not the installation's: the sample settings neither go on the user's
    // list nor are stopped by it.
    let registry = options.registry.as_deref().filter(|_| !config.sample);
    let mut ledger = crate::home::verified_ledger(&options.out_root, registry, options.new_ledger, !options.dry_run)?;
    let mut warnings = Vec::new();
    let mut recovery_notes = Vec::new();
    if let Some(ledger) = ledger.as_ref().filter(|_| !options.dry_run) {
        recovery_notes = ledger.recover()?;
        // A ledger that holds batches goes on the user's list now, not only after this run
        // commits: the run that committed them may have been cut off before it listed it, and
        // this one may have nothing to issue. Unlisted, it would not stop a run from another
        // folder from issuing everything again.
        if let Some(head) = ledger.head()?
            && let Err(warning) = crate::home::remember(&options.out_root, registry, Some(&head))
        {
            warnings.push(warning);
        }
    }
    let (intake, source) = read_input(options)?;
    // Reading left the file's cells freed behind it.
    crate::os::release_freed_memory();
    let created = now_in_tokyo();
    let dir = unique_dir(&options.out_root, &created.format("%Y%m%d-%H%M%S").to_string());
    let batch_id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if config.zip.encryption == ZipEncryption::ZipCrypto {
        warnings.push(zipcrypto_warning());
    }
    if out_of_range {
        warnings.push(issue_date_allowed_warning(issue_date));
    }

    let clock = std::time::Instant::now();
    let input = PlanInput {
        intake: &intake,
        ledger: ledger.as_ref(),
        reissue: &options.reissue,
        issue_date,
        secrets: SecretSource::Os,
    };
    let mut plan = plan::prepare(&input, config, renderer)?;
    // The plan's notices hold the accepted requests now: a batch of 100,000 rows need not
    // keep a second copy of each until it ends, nor every 申請番号 (for `--reissue`).
    let mut intake = intake;
    intake.requests = Vec::new();
    intake.request_ids = Default::default();
    crate::os::release_freed_memory();
    let mut report = BatchReport {
        batch_id,
        dir,
        issue_date,
        issue_date_allowed: out_of_range,
        input: source,
        issued: Vec::new(),
        // The write stage needs the notices, not the verdicts on the other rows.
        render_rejections: std::mem::take(&mut plan.rejections),
        already_issued: std::mem::take(&mut plan.already_issued),
        intake,
        recovery_notes,
        bundle_pages: 0,
        handoff_rows: 0,
        warnings,
        timings: vec![("prepare", clock.elapsed())],
        dry_run: options.dry_run,
        ledger_path: crate::home::absolute(&options.out_root.join(ledger::FILE_NAME)),
        nothing_to_issue: plan.notices.is_empty(),
        // Said in every summary, the dry run's too.
        sample: config.sample,
        handoff: (config.handoff.mode == crate::config::HandoffMode::Manual).then_some(crate::handoff::Outcome::Manual),
    };
    let Some(ledger) = ledger.as_mut().filter(|_| !options.dry_run && !plan.notices.is_empty()) else {
        // What the run would write, counted by the functions the write stage uses.
        let openings = pack::policy::openings(&plan.notices, config);
        report.issued = plan.notices.iter().zip(openings).map(|(n, o)| planned(n, o)).collect();
        if !plan.notices.is_empty() {
            report.bundle_pages = mailroom::bundle_pages(paper_notices(&plan.notices), config.mailroom.duplex);
            report.handoff_rows = if config.handoff.recipients.is_empty() { 0 } else { plan.notices.len() };
        }
        return Ok(report);
    };

    let staging = options.out_root.join(format!(".staging-{}", report.batch_id));
    let context = write::Context {
        options,
        config,
        renderer,
        created,
        progress,
        operator: crate::audit::operator(),
        host: crate::audit::host(),
    };
    // The write stage drops the plan (and the secrets in it) once every notice is in its files.
    let written = write::write(&staging, &mut report, plan, ledger, &context);
    let committed = written.and_then(|record| {
        let clock = std::time::Instant::now();
        let dir = report.dir.clone();
        // The folder's name must still be free (it was when the batch ID was chosen): committed,
        // the batch must also be published, and the rename cannot put it where something else
        // already stands.
        if !is_free(&dir) {
            return Err(BatchError::InTheWay(dir));
        }
        ledger.commit(record, || {
            std::fs::rename(&staging, &dir)?;
            // Make the rename itself durable where the platform can.
            crate::fsutil::sync_dir(&options.out_root);
            Ok(())
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
    let head = ledger.head()?;
    if let Err(warning) = crate::home::remember(&crate::home::absolute(&options.out_root), registry, head.as_ref()) {
        report.warnings.push(warning);
    }
    Ok(report)
}

/// Reads the request list once and hashes those same bytes: the record names the list that
/// was processed even if the clerk saves the file again during the run.
pub fn read_input(options: &RunOptions) -> Result<(Intake, crate::audit::manifest::Source), BatchError> {
    let read = ReadOptions { sheet: options.sheet.clone(), include_hidden: options.include_hidden };
    let bytes = intake::load(&options.input)?;
    let source = crate::audit::manifest::source_of(&options.input, &bytes);
    let intake = intake::read_bytes(&options.input, &bytes, &read)?;
    Ok((intake, source))
}

/// A notice's entry before its files exist.
pub fn planned(notice: &Notice, zip_opening: ZipOpening) -> IssuedNotice {
    let stem = notice.file_stem();
    IssuedNotice {
        row: notice.request.row,
        request_id: notice.request.request_id.to_string(),
        office_no: notice.request.office_no.to_string(),
        user_id: notice.request.user_id.to_string(),
        prefecture: notice.request.prefecture.map(|p| p.name().to_string()),
        kind: notice.kind(),
        pdf: Path::new("notices").join(format!("{stem}.pdf")),
        zip: Path::new("zip").join(format!("{stem}.zip")),
        zip_opening,
        control_no: None,
        bytes: 0,
    }
}

/// The notices of `notices` that go by mail (into the print bundle and the mailing list).
pub fn paper_notices(notices: &[Notice]) -> usize {
    notices.iter().filter(|n| n.kind().is_mailed()).count()
}

/// Every number tsuchi says about a batch, from one place: the summary table, the dry run,
/// `check`, `--json`, the manifest and the audit trail all print these. Made from the plan
/// (what a run would write) or, after a run, from what was written; each names the files it
/// counts, so a test can count them on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Data rows of the list.
    pub rows: usize,
    /// Notices issued: files in `notices/`, `archive/` and `zip/` each.
    pub issued: usize,
    /// Notices of each kind, by the kind's English alias.
    pub by_kind: BTreeMap<&'static str, usize>,
    /// Rows not approved.
    pub skipped: usize,
    /// Hidden rows not issued.
    pub hidden: usize,
    /// Rows rejected (by intake or layout) and the problems found in them.
    pub rejected_rows: usize,
    pub rejections: usize,
    /// Requests the ledger says were issued before.
    pub already_issued: usize,
    /// ZIPs that open with the login password issued in the same batch, and with a separate
    /// 開封パスワード (lines of `secrets/開封パスワード一覧.pdf`).
    pub zip_login: usize,
    pub zip_separate: usize,
    /// Notices by mail: in the print bundle and rows of `print/発送リスト.xlsx`.
    pub paper: usize,
    /// Pages of the print bundle, cover (and blank backs) included; 0 without a batch.
    pub print_pages: usize,
    /// Rows of the システム登録ファイル (0 when none is written).
    pub handoff_rows: usize,
}

impl Counts {
    /// What `prepare` accepted, counted as the write stage will write it (`check`).
    pub fn planned(intake: &Intake, plan: &plan::Plan, config: &Config) -> Counts {
        let openings = pack::policy::openings(&plan.notices, config);
        let notices = plan.notices.iter().zip(openings).map(|(n, o)| (n.kind(), o));
        let issued = plan.notices.len();
        let pages =
            if issued == 0 { 0 } else { mailroom::bundle_pages(paper_notices(&plan.notices), config.mailroom.duplex) };
        let handoff = if config.handoff.recipients.is_empty() { 0 } else { issued };
        Counts::tally(
            intake,
            &plan::refused(intake, &plan.rejections),
            plan.already_issued.len(),
            notices,
            pages,
            handoff,
        )
    }

    /// A batch's numbers: what it wrote, or in a dry run what it would write.
    pub fn of(report: &BatchReport) -> Counts {
        let notices = report.issued.iter().map(|n| (n.kind, n.zip_opening));
        let handoff = match &report.handoff {
            Some(crate::handoff::Outcome::Written { rows, .. }) => *rows,
            _ => report.handoff_rows,
        };
        let rejections = report.rejections();
        Counts::tally(&report.intake, &rejections, report.already_issued.len(), notices, report.bundle_pages, handoff)
    }

    fn tally(
        intake: &Intake,
        rejections: &[Rejection],
        already_issued: usize,
        notices: impl Iterator<Item = (NoticeKind, ZipOpening)>,
        print_pages: usize,
        handoff_rows: usize,
    ) -> Counts {
        let mut counts = Counts {
            rows: intake.data_rows,
            by_kind: NoticeKind::ALL.iter().map(|k| (k.alias(), 0)).collect(),
            skipped: intake.skipped.len(),
            hidden: intake.hidden.len(),
            rejected_rows: intake::distinct_rows(rejections),
            rejections: rejections.len(),
            already_issued,
            print_pages,
            handoff_rows,
            ..Counts::default()
        };
        for (kind, opening) in notices {
            counts.issued += 1;
            *counts.by_kind.entry(kind.alias()).or_default() += 1;
            match opening {
                ZipOpening::Login => counts.zip_login += 1,
                ZipOpening::Separate => counts.zip_separate += 1,
            }
            if kind.is_mailed() {
                counts.paper += 1;
            }
        }
        counts
    }

    /// Notices of `kind`.
    pub fn of_kind(&self, kind: NoticeKind) -> usize {
        self.by_kind.get(kind.alias()).copied().unwrap_or(0)
    }

    /// The flat map the manifest, the audit trail and `--json` carry (`docs/json/summary.schema.json`).
    pub fn to_map(&self) -> BTreeMap<String, usize> {
        let mut map: BTreeMap<String, usize> =
            self.by_kind.iter().map(|(alias, n)| (format!("issued.{alias}"), *n)).collect();
        for (key, value) in [
            ("rows", self.rows),
            ("issued", self.issued),
            ("skipped", self.skipped),
            ("hidden", self.hidden),
            ("rejected_rows", self.rejected_rows),
            ("rejections", self.rejections),
            ("already_issued", self.already_issued),
            ("zip.login", self.zip_login),
            ("zip.separate", self.zip_separate),
            ("print.notices", self.paper),
            ("print.pages", self.print_pages),
            ("handoff.rows", self.handoff_rows),
        ] {
            map.insert(key.to_string(), value);
        }
        map
    }
}

/// Counts for the manifest and the JSON summary.
pub fn counts(report: &BatchReport) -> BTreeMap<String, usize> {
    Counts::of(report).to_map()
}

/// Whether nothing at all stands at `path`: not a file, a folder, nor a link (dangling or not).
fn is_free(path: &Path) -> bool {
    matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

/// A batch folder name under `root` starting with `id`, at which nothing stands yet, nor at
/// its staging name.
fn unique_dir(root: &Path, id: &str) -> PathBuf {
    let taken = |name: &str| !is_free(&root.join(name)) || !is_free(&root.join(format!(".staging-{name}")));
    let mut name = id.to_string();
    let mut n = 2;
    while taken(&name) {
        name = format!("{id}-{n}");
        n += 1;
    }
    root.join(name)
}
