//! What a batch is asked ([`RunOptions`]) and what it gives back ([`BatchReport`], [`Counts`]),
//! with the errors that stop it: the types `batch`, `write` and `record` share, so that each of
//! them imports these and none imports another's internals back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::engine::audit::ledger;
use crate::engine::config::Config;
use crate::engine::intake::{self, Intake};
use crate::engine::mailroom;
use crate::engine::notice::Notice;
use crate::engine::pack::{self, policy::ZipOpening};
use crate::engine::plan::{self, AlreadyIssued};
use crate::engine::render::{RenderError, Renderer};
use crate::engine::report;
use crate::ground::model::{NoticeKind, Rejection};

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
    /// The user's list of ledgers ([`crate::engine::home::registry`]); `None` consults none.
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
#[derive(Debug, serde::Serialize)]
pub struct BatchReport {
    pub batch_id: String,
    /// Where the batch landed (not created in a dry run).
    pub dir: PathBuf,
    pub issue_date: NaiveDate,
    /// The 発行日 is more than a year from today, issued so with `--allow-date`.
    pub issue_date_allowed: bool,
    /// The list as it was read: its hash is of the very bytes the intake was made from.
    pub input: crate::engine::audit::manifest::Source,
    pub intake: Intake,
    pub issued: Vec<IssuedNotice>,
    /// Rows refused while laying out (text too long for its box), beside the intake rejections.
    pub render_rejections: Vec<Rejection>,
    /// Requests the ledger says were issued before (not issued again).
    pub already_issued: Vec<AlreadyIssued>,
    /// What recovery did with a previous run that was cut off.
    #[serde(serialize_with = "displayed")]
    pub recovery_notes: Vec<ledger::Recovered>,
    /// Pages of the print bundle (cover included); in a dry run, the pages it would have.
    pub bundle_pages: usize,
    /// Rows of the システム登録ファイル; in a dry run, the rows it would have.
    pub handoff_rows: usize,
    /// Notices withdrawn before (spoiled pages) that this batch reissues: 取消 rows of the hand-off.
    pub withdrawn: Vec<crate::engine::handoff::Withdrawn>,
    /// Things the clerk must be told on every run (e.g. ZipCrypto in use).
    pub warnings: Vec<String>,
    /// Wall-clock time of each phase, for the benchmark.
    #[serde(skip)]
    pub timings: Vec<(&'static str, std::time::Duration)>,
    pub dry_run: bool,
    /// The ledger file the run checked (and wrote to), absolute.
    pub ledger_path: PathBuf,
    /// Nothing was left to issue: no batch folder was made and nothing was recorded.
    pub nothing_to_issue: bool,
    /// The batch's システム登録ファイル for the 受付システム; `None` when no batch was written.
    pub handoff: Option<crate::engine::handoff::Outcome>,
    /// Made with the sample settings: every page says 見本.
    pub sample: bool,
    /// The mailed notices against Japan Post's conditions (bundles, discounts); `None` when
    /// nothing is mailed.
    pub presort: Option<crate::engine::presort::Estimate>,
}

/// Values as their display words them (findings, notes), for `#[serde(serialize_with)]`.
pub(crate) fn displayed<S: serde::Serializer, T: std::fmt::Display>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(values.iter().map(ToString::to_string))
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
    Audit(#[from] crate::engine::audit::log::AuditWriteError),
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
    let (earliest, latest) = issue_date_range(crate::ground::wareki::today_in_tokyo());
    crate::msg!("run.issue_date_allowed", date, earliest, latest)
}

/// The warning shown on every run that packs with ZipCrypto (and recorded in the audit trail).
pub fn zipcrypto_warning() -> String {
    crate::msg!("run.zipcrypto")
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
        let slips = mailroom::slip_count(&plan.notices, &config.mailroom);
        let pages = if issued == 0 {
            0
        } else {
            mailroom::bundle_pages(paper_notices(&plan.notices), slips, config.mailroom.duplex)
        };
        let handoff = if config.handoff.recipients.is_empty() { 0 } else { issued + plan.withdrawn.len() };
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
            Some(crate::engine::handoff::Outcome::Written { rows, .. }) => *rows,
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

/// What the write stage needs besides the plan and the report.
pub struct Context<'a> {
    pub options: &'a RunOptions,
    pub config: &'a Config,
    pub renderer: &'a Renderer,
    pub created: DateTime<FixedOffset>,
    pub progress: &'a dyn Progress,
    pub operator: String,
    pub host: String,
}
