//! A batch: one run of `tsuchi run`, in two stages. [`plan::prepare`] does everything that
//! depends on a row's content (secrets, notices, layout, glyphs) and turns failures into
//! rejections; [`write::write`] puts the prepared batch into a staging folder, and the ledger
//! commit publishes it with one rename. The output root never holds a half-written batch,
//! and no row can make the batch fail.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::engine::audit::ledger;
use crate::engine::config::Config;
use crate::engine::intake::{self, Intake, ReadOptions};
use crate::engine::mailroom;
use crate::engine::pack::{self, ZipEncryption};
use crate::engine::plan::{self, PlanInput, SecretSource};
use crate::engine::render::Renderer;
use crate::engine::write;

use crate::engine::outcome::Context;
pub use crate::engine::outcome::{
    BatchError, BatchReport, Counts, IssuedNotice, Progress, RunOptions, Silent, counts, issue_date_allowed_warning,
    issue_date_range, paper_notices, planned, zipcrypto_warning,
};

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
    let today = crate::ground::wareki::today_in_tokyo();
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
    let mut ledger =
        crate::engine::home::verified_ledger(&options.out_root, registry, options.new_ledger, !options.dry_run)?;
    let mut warnings = Vec::new();
    let mut recovery_notes = Vec::new();
    if let Some(ledger) = ledger.as_ref().filter(|_| !options.dry_run) {
        recovery_notes = ledger.recover()?;
        // A ledger that holds batches goes on the user's list now, not only after this run
        // commits: the run that committed them may have been cut off before it listed it, and
        // this one may have nothing to issue. Unlisted, it would not stop a run from another
        // folder from issuing everything again.
        if let Some(head) = ledger.head()?
            && let Err(warning) = crate::engine::home::remember(&options.out_root, registry, Some(&head))
        {
            warnings.push(warning);
        }
    }
    let (intake, source) = read_input(options)?;
    // Reading left the file's cells freed behind it.
    crate::ground::os::release_freed_memory();
    let created = crate::ground::wareki::now_in_tokyo();
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
    crate::ground::os::release_freed_memory();
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
        withdrawn: std::mem::take(&mut plan.withdrawn),
        warnings,
        timings: vec![("prepare", clock.elapsed())],
        dry_run: options.dry_run,
        ledger_path: crate::engine::home::absolute(&options.out_root.join(ledger::FILE_NAME)),
        nothing_to_issue: plan.notices.is_empty(),
        // Said in every summary, the dry run's too.
        sample: config.sample,
        presort: (paper_notices(&plan.notices) > 0)
            .then(|| crate::engine::presort::Estimate::of(&plan.notices, &config.mailroom)),
        handoff: (config.handoff.mode == crate::engine::config::HandoffMode::Manual)
            .then_some(crate::engine::handoff::Outcome::Manual),
    };
    let Some(ledger) = ledger.as_mut().filter(|_| !options.dry_run && !plan.notices.is_empty()) else {
        // What the run would write, counted by the functions the write stage uses.
        let openings = pack::policy::openings(&plan.notices, config);
        report.issued = plan.notices.iter().zip(openings).map(|(n, o)| planned(n, o)).collect();
        if !plan.notices.is_empty() {
            let slips = mailroom::slip_count(&plan.notices, &config.mailroom);
            report.bundle_pages = mailroom::bundle_pages(paper_notices(&plan.notices), slips, config.mailroom.duplex);
            let rows = report.withdrawn.len() + plan.notices.len();
            report.handoff_rows = if config.handoff.recipients.is_empty() { 0 } else { rows };
        }
        return Ok(report);
    };

    let staging = options.out_root.join(format!(".staging-{}", report.batch_id));
    let context = Context {
        options,
        config,
        renderer,
        created,
        progress,
        operator: crate::engine::audit::operator(),
        host: crate::engine::audit::host(),
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
            crate::ground::fsutil::sync_dir(&options.out_root);
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
    if let Err(warning) =
        crate::engine::home::remember(&crate::engine::home::absolute(&options.out_root), registry, head.as_ref())
    {
        report.warnings.push(warning);
    }
    Ok(report)
}

/// Reads the request list once and hashes those same bytes: the record names the list that
/// was processed even if the clerk saves the file again during the run.
pub fn read_input(options: &RunOptions) -> Result<(Intake, crate::engine::audit::manifest::Source), BatchError> {
    let read = ReadOptions { sheet: options.sheet.clone(), include_hidden: options.include_hidden };
    let bytes = intake::load(&options.input)?;
    let source = crate::engine::audit::manifest::source_of(&options.input, &bytes);
    let intake = intake::read_bytes(&options.input, &bytes, &read)?;
    Ok((intake, source))
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
