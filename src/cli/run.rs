//! `tsuchi run`: the batch's summary in text or JSON, and a progress bar on a terminal.

use std::path::Path;
use std::process::ExitCode;

use super::console::{code, fail, json};
use super::summary::{print_already_issued, print_counts, print_intake, print_layout_rejections, print_presort};
use crate::app::run::{RunOutcome, RunRequest};
use crate::app::{self, Progress, Settings};
use crate::engine::batch::{BatchReport, Counts};
use crate::engine::{handoff, mailroom};
use crate::msg;

pub fn run(settings: &Settings, request: &RunRequest, as_json: bool) -> ExitCode {
    let outcome = match app::run::run(settings, request, &Bar::new()) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let report = &outcome.report;
    for warning in &report.warnings {
        err!("{}", msg!("cli.warning", warning));
    }
    for note in &report.recovery_notes {
        err!("{}", msg!("cli.note", note));
    }
    if as_json {
        json(&summary_json(&outcome));
    } else {
        let counts = &outcome.counts;
        print_intake(
            &request.requests,
            counts,
            &report.intake.rejections,
            &report.intake.skipped,
            &report.intake.notes,
        );
        print_batch(report, counts);
    }
    code(!outcome.has_rejections())
}

/// `run --json` (and `--dry-run --json`): the shape `docs/json/summary.schema.json` names `run`.
fn summary_json(outcome: &RunOutcome) -> serde_json::Value {
    let report = &outcome.report;
    // A batch ID only for a batch that exists: a dry run or a run with nothing to issue made none.
    let made = !report.dry_run && !report.nothing_to_issue;
    serde_json::json!({
        "command": "run",
        "batch_id": made.then_some(&report.batch_id),
        "dir": made.then(|| report.dir.display().to_string()),
        "dry_run": report.dry_run,
        "issue_date": report.issue_date.to_string(),
        "counts": outcome.counts.to_map(),
        "issued": report.issued,
        "skipped": report.intake.skipped,
        "hidden": report.intake.hidden,
        "rejected": report.rejections(),
        "already_issued": report.already_issued,
        "notes": report.intake.notes,
        "warnings": report.warnings,
        "ledger": report.ledger_path.display().to_string(),
        "nothing_to_issue": report.nothing_to_issue,
        "handoff": report.handoff,
        "sample": report.sample,
        "presort": report.presort,
    })
}

fn print_batch(report: &BatchReport, counts: &Counts) {
    out!();
    print_already_issued(&report.already_issued);
    print_layout_rejections(&report.render_rejections);
    let ledger = msg!("cli.ledger", path = report.ledger_path.display());
    // Said in every summary: a sample batch, and passwords registered by hand.
    let settings = || {
        if report.sample {
            out!("{}", msg!("cli.summary.sample"));
        }
        if report.handoff == Some(handoff::Outcome::Manual) {
            out!("{}", msg!("cli.summary.handoff_manual", text = handoff::manual()));
        }
    };
    if report.nothing_to_issue {
        out!("{}", msg!("cli.batch.nothing"));
        settings();
        out!("  {ledger}");
        return;
    }
    if report.dry_run {
        out!("{}", msg!("cli.batch.dry_run"));
        print_counts(counts);
        if let Some(estimate) = &report.presort {
            print_presort(estimate, None);
        }
        settings();
        out!("  {ledger}");
        return;
    }
    let bytes: usize = report.issued.iter().map(|n| n.bytes).sum();
    out!("{}", msg!("cli.batch.header", batch = report.batch_id, issue_date = report.issue_date));
    print_counts(counts);
    out!("{}", msg!("cli.summary.pdf_size", kb = bytes / 1024));
    out!("{}", msg!("cli.summary.out", path = report.dir.display()));
    let print = Path::new("print");
    out!(
        "{}",
        msg!(
            "cli.summary.print",
            bundle = print.join(format!("{}.pdf", report.batch_id)).display(),
            list = print.join("発送リスト.xlsx").display()
        )
    );
    if let Some(estimate) = &report.presort {
        print_presort(estimate, Some(&print.join(mailroom::PRESORT_LIST)));
    }
    if counts.zip_separate > 0 {
        out!("{}", msg!("cli.summary.secrets", path = Path::new("secrets").join("開封パスワード一覧.pdf").display()));
    }
    match &report.handoff {
        Some(handoff::Outcome::Written { file, rows, recipients, .. }) => {
            out!("{}", msg!("cli.summary.handoff", keys = recipients.len(), path = file.display(), rows))
        }
        Some(handoff::Outcome::Manual) => {}
        _ => out!("{}", msg!("cli.summary.no_handoff")),
    }
    settings();
    out!("{}", msg!("cli.summary.files"));
    out!("  {ledger}");
}

/// A progress bar on stderr that appears only when the batch takes longer than a second
/// (and only on a terminal).
struct Bar {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
}

impl Bar {
    fn new() -> Bar {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_style(indicatif::ProgressStyle::with_template(&msg!("cli.progress")).expect("valid template"));
        Bar { bar, started: std::time::Instant::now() }
    }
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        self.bar.set_length(total as u64);
    }

    fn advance(&self) {
        if self.bar.is_hidden() && self.started.elapsed().as_secs_f32() > 1.0 {
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        self.bar.inc(1);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
