//! Issue a batch: the secrets, the notices, the ZIPs, the hand-off, the print bundle and the
//! record, all or nothing; or, as a dry run, say what would be issued and write nothing.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::{AppError, Progress, Settings};
use crate::engine::batch::{self, BatchReport, Counts, RunOptions};
use crate::engine::render::Renderer;

/// What the clerk asked `run` for.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub requests: PathBuf,
    pub sheet: Option<String>,
    pub include_hidden: bool,
    /// The output root; `None`: the settings', else the default.
    pub out: Option<PathBuf>,
    pub new_ledger: bool,
    pub date: Option<NaiveDate>,
    pub allow_date: bool,
    pub dry_run: bool,
    /// 申請番号 to issue again on purpose, and why.
    pub reissue: Vec<String>,
    pub reason: Option<String>,
}

/// A batch as it was written (or, in a dry run, would be), with its numbers.
#[derive(Debug, Serialize)]
pub struct RunOutcome {
    pub report: BatchReport,
    pub counts: Counts,
}

impl RunOutcome {
    /// Whether some row was refused.
    pub fn has_rejections(&self) -> bool {
        !self.report.rejections().is_empty()
    }
}

/// Runs one batch with `settings`, reporting the slow part through `progress`.
pub fn run(settings: &Settings, request: &RunRequest, progress: &dyn Progress) -> Result<RunOutcome, AppError> {
    let options = RunOptions {
        input: request.requests.clone(),
        sheet: request.sheet.clone(),
        include_hidden: request.include_hidden,
        out_root: settings.output_root(request.out.as_deref()),
        config_path: settings.file.clone(),
        issue_date: request.date,
        allow_date: request.allow_date,
        dry_run: request.dry_run,
        reissue: request.reissue.clone(),
        reissue_reason: request.reason.clone(),
        new_ledger: request.new_ledger,
        registry: crate::engine::home::registry(),
    };
    // Templates are checked before anything is read or issued.
    let renderer = Renderer::new(&settings.config)?;
    let report = batch::run(&options, &settings.config, &renderer, progress)?;
    let counts = Counts::of(&report);
    Ok(RunOutcome { report, counts })
}
