//! Check a request list: prepare the batch exactly as `run` would, with specimen secrets, and
//! write only the lists of rows that would not be issued. Its verdict on every row is `run`'s.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::{AppError, Settings};
use crate::engine::batch::{self, Counts, IssuedNotice};
use crate::engine::intake::{self, HiddenRow, Note, ReadOptions, Skipped};
use crate::engine::plan::{self, AlreadyIssued, PlanInput, SecretSource};
use crate::engine::render::Renderer;
use crate::engine::report;
use crate::ground::font;
use crate::ground::model::Rejection;

/// What the clerk asked `check` for.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    /// The request list.
    pub requests: PathBuf,
    pub sheet: Option<String>,
    pub include_hidden: bool,
    /// Where `rejected.xlsx`/`.csv` go; `None`: `check/` under the ledger's folder.
    pub out: Option<PathBuf>,
    /// The output root whose ledger is consulted; `None`: the one `run` would use.
    pub ledger: Option<PathBuf>,
    pub new_ledger: bool,
    pub date: Option<NaiveDate>,
    pub allow_date: bool,
    /// 申請番号 to issue again on purpose.
    pub reissue: Vec<String>,
}

/// The password rules `check` states, one per kind of password.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyShown {
    /// `temp`, `cert` or `zip`.
    pub which: &'static str,
    pub length: usize,
    pub alphabet: usize,
    pub entropy_bits: f64,
    /// The symbols drawn from, when symbols are used.
    pub symbols: Option<String>,
}

/// A character (or variation sequence) that notices print from the fallback face rather than
/// IPAex Gothic, with the rows whose notices show it: the clerk looks at those notices.
#[derive(Debug, Clone, Serialize)]
pub struct FallbackChar {
    pub character: String,
    /// `U+20BB7`, `U+845B U+E0100`.
    pub code_points: String,
    pub rows: Vec<usize>,
}

/// What `run` would do with the list, row by row.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub requests: PathBuf,
    pub issue_date: NaiveDate,
    pub counts: Counts,
    /// The notices `run` would issue (paths as `run` would write them).
    pub issued: Vec<IssuedNotice>,
    /// Rows refused by intake, and rows refused while laying out.
    pub intake_rejections: Vec<Rejection>,
    pub layout_rejections: Vec<Rejection>,
    /// Every rejection, in row order.
    pub rejections: Vec<Rejection>,
    pub skipped: Vec<Skipped>,
    pub hidden: Vec<HiddenRow>,
    pub notes: Vec<Note>,
    /// Every character the notices `run` would issue take from the fallback face, once.
    pub fallback_font: Vec<FallbackChar>,
    pub already_issued: Vec<AlreadyIssued>,
    /// The output root whose ledger was consulted, and whether a ledger is there yet.
    pub ledger_root: PathBuf,
    pub ledger_exists: bool,
    /// What `run` would refuse (a second ledger, settings not ready), said before it does.
    pub run_would_refuse: Vec<String>,
    pub policies: Vec<PolicyShown>,
    /// The mailed notices against Japan Post's conditions, as `run` would say them.
    pub presort: Option<crate::engine::presort::Estimate>,
    pub rejected_xlsx: PathBuf,
    pub rejected_csv: PathBuf,
}

/// Checks `request.requests` with `settings`.
pub fn check(settings: &Settings, request: &CheckRequest) -> Result<CheckOutcome, AppError> {
    let config = &settings.config;
    let ledger_root = settings.output_root(request.ledger.as_deref());
    let out = request.out.clone().unwrap_or_else(|| ledger_root.join("check"));
    // Its reports go beside a batch's sealed ones by name (rejected.xlsx/.csv): never into one.
    if let Some(batch) = crate::engine::home::batch_or_ledger_at(&out) {
        return Err(AppError::refused(crate::msg!(
            "cli.check.out_is_a_batch",
            out = out.display(),
            batch = batch.display()
        )));
    }
    let renderer = Renderer::new(config)?;
    // The ledger `run` would use, refused where it is damaged; a second ledger is only said.
    let registry = crate::engine::home::registry().filter(|_| !config.sample);
    let (ledger, second_ledger) =
        crate::engine::home::consulted_ledger(&ledger_root, registry.as_deref(), request.new_ledger)?;
    let read = ReadOptions { sheet: request.sheet.clone(), include_hidden: request.include_hidden };
    let intake = intake::read(&request.requests, &read).map_err(batch::BatchError::from)?;
    let issue_date = batch::issue_date(request.date, config, request.allow_date)?.date;
    let input = PlanInput {
        intake: &intake,
        ledger: ledger.as_ref(),
        reissue: &request.reissue,
        issue_date,
        secrets: SecretSource::Specimen,
    };
    let plan = plan::prepare(&input, config, &renderer).map_err(batch::BatchError::from)?;
    let rejections = plan::refused(&intake, &plan.rejections);
    let counts = Counts::planned(&intake, &plan, config);
    let counts_paper = counts.paper;
    let openings = crate::engine::pack::policy::openings(&plan.notices, config);
    let issued = plan.notices.iter().zip(openings).map(|(n, o)| batch::planned(n, o)).collect();
    let (rejected_xlsx, rejected_csv) = (out.join("rejected.xlsx"), out.join("rejected.csv"));
    // Every row that would not be issued, as `run` lists it.
    let not_issued = plan::not_issued(&intake, &plan.rejections, &plan.already_issued);
    report::write_rejected_xlsx(&rejected_xlsx, &not_issued)
        .and_then(|()| report::write_rejected_csv(&rejected_csv, &not_issued))?;
    let policies = [("temp", &config.passwords.temp), ("cert", &config.passwords.cert), ("zip", &config.passwords.zip)]
        .into_iter()
        .map(|(which, policy)| PolicyShown {
            which,
            length: policy.length,
            alphabet: policy.alphabet().len(),
            entropy_bits: policy.entropy_bits(),
            symbols: policy.symbols.then(|| policy.symbols().to_string()),
        })
        .collect();
    let run_would_refuse = second_ledger.into_iter().chain(config.not_ready(settings.file.as_deref())).collect();
    Ok(CheckOutcome {
        requests: request.requests.clone(),
        issue_date,
        counts,
        issued,
        intake_rejections: intake.rejections.clone(),
        layout_rejections: plan.rejections.clone(),
        rejections,
        skipped: intake.skipped.clone(),
        hidden: intake.hidden.clone(),
        notes: intake.notes.clone(),
        fallback_font: fallback_chars(&plan.notices),
        already_issued: plan.already_issued.clone(),
        ledger_exists: ledger_root.join(crate::engine::audit::ledger::FILE_NAME).exists(),
        ledger_root,
        run_would_refuse,
        policies,
        presort: (counts_paper > 0).then(|| crate::engine::presort::Estimate::of(&plan.notices, &config.mailroom)),
        rejected_xlsx,
        rejected_csv,
    })
}

/// The characters of the printed fields (name, address, addressee) of `notices` that print from
/// the fallback face, in code point order, each with its rows.
fn fallback_chars(notices: &[crate::engine::notice::Notice]) -> Vec<FallbackChar> {
    let mut rows: std::collections::BTreeMap<font::Cluster, Vec<usize>> = Default::default();
    for notice in notices {
        let r = &notice.request;
        let fields = [Some(&r.office_name), Some(&r.address), r.address2.as_ref(), r.attention.as_ref()];
        for cluster in fields.into_iter().flatten().flat_map(|text| font::from_fallback(text)) {
            let at = rows.entry(cluster).or_default();
            if at.last() != Some(&r.row) {
                at.push(r.row);
            }
        }
    }
    rows.into_iter()
        .map(|(c, mut rows)| {
            rows.sort_unstable();
            rows.dedup();
            FallbackChar { character: c.to_string(), code_points: c.code_points(), rows }
        })
        .collect()
}
