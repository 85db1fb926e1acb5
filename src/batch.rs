//! A batch: one run of `tsuchi run`. Reads the request list, issues the secrets, renders every
//! notice into a staging folder and moves the finished folder into place, so that the output
//! root never holds a half-written batch. Rows that fail are reported; they never stop the rest.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use rayon::prelude::*;

use crate::config::Config;
use crate::intake::{self, Intake, NoticeKind, ReadOptions, Rejection};
use crate::notice::Notice;
use crate::render::{PdfFonts, RenderError, Renderer};
use crate::report;
use crate::secrets::Generator;

/// What the clerk asked for.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub input: PathBuf,
    pub sheet: Option<String>,
    pub out_root: PathBuf,
    /// 発行日 from the command line; beats the config file.
    pub issue_date: Option<NaiveDate>,
    /// Report what would be issued; write nothing.
    pub dry_run: bool,
}

/// One notice written by the batch.
#[derive(Debug, Clone)]
pub struct IssuedNotice {
    pub row: usize,
    pub request_id: String,
    pub office_no: String,
    pub kind: NoticeKind,
    /// Path relative to the batch folder.
    pub pdf: PathBuf,
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
    /// Rows refused while rendering (text too long for its box), beside the intake rejections.
    pub render_rejections: Vec<Rejection>,
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
    #[error("出力フォルダ「{}」に書き込めません：{detail}", .path.display())]
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

/// Runs one batch. `renderer` is built by the caller (once per process) from `config`.
pub fn run(
    options: &RunOptions,
    config: &Config,
    renderer: &Renderer,
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
    let batch_id = created.format("%Y%m%d-%H%M%S").to_string();
    let dir = unique_dir(&options.out_root, &batch_id);
    let batch_id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(batch_id);

    let staging = options.out_root.join(format!(".staging-{batch_id}"));
    if !options.dry_run {
        std::fs::create_dir_all(staging.join("notices")).map_err(io_error(&staging))?;
    }
    let fonts = if options.dry_run {
        None
    } else {
        Some(renderer.fonts_for(&intake.requests)?)
    };
    let outcome = render_all(
        &intake,
        issue_date,
        created,
        config,
        renderer,
        fonts.as_ref(),
        &staging,
    );
    let (issued, render_rejections) = match outcome {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let report = BatchReport {
        batch_id,
        dir: dir.clone(),
        issue_date,
        intake,
        issued,
        render_rejections,
        dry_run: options.dry_run,
    };
    if !options.dry_run {
        let finish = || -> Result<(), BatchError> {
            let rejections = report.rejections();
            report::write_rejected_xlsx(&staging.join("rejected.xlsx"), &rejections)?;
            report::write_rejected_csv(&staging.join("rejected.csv"), &rejections)?;
            std::fs::rename(&staging, &dir).map_err(io_error(&dir))
        };
        if let Err(e) = finish() {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    }
    Ok(report)
}

fn unique_dir(root: &Path, id: &str) -> PathBuf {
    let mut dir = root.join(id);
    let mut n = 2;
    while dir.exists()
        || root
            .join(format!(
                ".staging-{}",
                dir.file_name().unwrap().to_string_lossy()
            ))
            .exists()
    {
        dir = root.join(format!("{id}-{n}"));
        n += 1;
    }
    dir
}

type Rendered = (Vec<IssuedNotice>, Vec<Rejection>);

fn render_all(
    intake: &Intake,
    issue_date: NaiveDate,
    created: DateTime<FixedOffset>,
    config: &Config,
    renderer: &Renderer,
    fonts: Option<&PdfFonts>,
    staging: &Path,
) -> Result<Rendered, BatchError> {
    let results: Vec<Result<Result<IssuedNotice, Rejection>, BatchError>> = intake
        .requests
        .par_iter()
        .map_init(Generator::os, |generator, request| {
            let notice = Notice::issue(request.clone(), issue_date, &config.passwords, generator);
            // A dry run lays the notice out (so that a name too long still shows) but writes nothing.
            let rendered = match fonts {
                None => renderer.frame(&notice).map(|_| Vec::new()),
                Some(fonts) => renderer.render(&notice, fonts, created),
            };
            let bytes = match rendered {
                Ok(bytes) => bytes,
                Err(RenderError::Layout(e)) => {
                    return Ok(Err(Rejection {
                        row: request.row,
                        column: "事業所名・住所".into(),
                        column_letter: None,
                        value: request.office_name.clone(),
                        reason: e.to_string(),
                    }));
                }
                Err(e) => return Err(e.into()),
            };
            let pdf = Path::new("notices").join(format!("{}.pdf", notice.file_stem()));
            if fonts.is_some() {
                let path = staging.join(&pdf);
                std::fs::write(&path, &bytes).map_err(io_error(&path))?;
            }
            Ok(Ok(IssuedNotice {
                row: request.row,
                request_id: request.request_id.to_string(),
                office_no: request.office_no.to_string(),
                kind: request.kind,
                pdf,
                bytes: bytes.len(),
            }))
        })
        .collect();
    let mut issued = Vec::new();
    let mut rejected = Vec::new();
    for result in results {
        match result? {
            Ok(n) => issued.push(n),
            Err(r) => rejected.push(r),
        }
    }
    Ok((issued, rejected))
}
