//! The text `run` and `check` share: the list as read, the summary table, the requests issued
//! before, the rows refused while laying out. Every number comes from [`Counts`].

use std::path::Path;

use super::console::{capitalized, per_kind, print_table, shown, shown_long};
use crate::engine::batch::Counts;
use crate::engine::intake::{self, Note, Skipped};
use crate::engine::plan::AlreadyIssued;
use crate::engine::presort::{self, Applies, Estimate};
use crate::ground::model::{NoticeKind, Rejection};
use crate::msg;

/// The list as read: its rows and what becomes of them.
pub fn print_intake(path: &Path, counts: &Counts, rejections: &[Rejection], skipped: &[Skipped], notes: &[Note]) {
    out!("{}", msg!("cli.intake.list", path = path.display()));
    out!("{}", msg!("cli.intake.rows", count = counts.rows));
    let per_kind = per_kind(|k| counts.of_kind(k));
    out!("{}", msg!("cli.intake.to_issue", count = counts.issued, per_kind));
    out!("{}", msg!("cli.intake.already", count = counts.already_issued));
    out!("{}", msg!("cli.intake.skipped", count = counts.skipped));
    if counts.hidden > 0 {
        out!("{}", msg!("cli.intake.hidden", count = counts.hidden));
    }
    out!("{}", msg!("cli.intake.rejected", rows = counts.rejected_rows, problems = counts.rejections));
    if !rejections.is_empty() {
        out!();
        out!("{}", msg!("cli.intake.rejections_header"));
        for r in rejections {
            out!("  {}", intake::rejection_line(r, shown, shown_long));
        }
    }
    if !skipped.is_empty() {
        out!();
        out!("{}", msg!("cli.intake.skipped_header"));
        for s in skipped {
            let (request, office, status) = (shown(&s.request_id), shown(&s.office_no), shown(&s.status));
            out!("{}", msg!("cli.intake.skipped_row", row = s.row, request, office, status));
        }
    }
    if !notes.is_empty() {
        out!();
        out!("{}", msg!("cli.intake.notes_header"));
        for n in notes {
            out!("  {}", intake::note_line(n, shown, shown_long));
        }
    }
}

/// The summary table of a batch, a dry run or `check`.
pub fn print_counts(counts: &Counts) {
    let mut rows: Vec<(String, String)> = NoticeKind::ALL
        .iter()
        .map(|k| (capitalized(k.console_label()), msg!("cli.summary.notices", count = counts.of_kind(*k))))
        .collect();
    let (paper, pages) = (counts.paper, counts.print_pages);
    rows.extend([
        (msg!("cli.summary.total"), msg!("cli.summary.notices", count = counts.issued)),
        (msg!("cli.summary.bundle"), msg!("cli.summary.bundle_value", paper, pages)),
        (msg!("cli.summary.zips_login"), msg!("cli.summary.items", count = counts.zip_login)),
        (msg!("cli.summary.zips"), msg!("cli.summary.items", count = counts.zip_separate)),
        (msg!("cli.summary.handoff_rows"), msg!("cli.summary.items", count = counts.handoff_rows)),
        (msg!("cli.summary.rejected"), msg!("cli.summary.rows", count = counts.rejected_rows)),
        (msg!("cli.summary.already_issued"), msg!("cli.summary.items", count = counts.already_issued)),
    ]);
    print_table(&rows);
}

/// Requests the ledger says were issued, with the batch that issued them (run and check alike).
pub fn print_already_issued(already_issued: &[AlreadyIssued]) {
    if !already_issued.is_empty() {
        out!("{}", msg!("cli.already.header"));
        for a in already_issued {
            let (request, kind) = (shown(&a.request_id), a.kind.console_label());
            out!("{}", msg!("cli.already.row", row = a.row, request, kind, batch = a.batch_id));
        }
        out!();
    }
}

/// Rows refused while preparing (a value that does not fit the notice), after intake's list.
pub fn print_layout_rejections(rejections: &[Rejection]) {
    for r in rejections {
        out!("{}", msg!("cli.layout_rejection", line = intake::rejection_line(r, shown, shown_long)));
    }
}

/// The mailed notices against Japan Post's conditions: the pre-sort's bundles (and the bundle
/// list, once written), then each discount with what it would come to, or that none is in reach.
pub fn print_presort(estimate: &Estimate, list: Option<&Path>) {
    let (envelopes, bundles) = (presort::count(estimate.envelopes), presort::count(estimate.bundles));
    // Under the batch's files after a run; under the counts in `check` and a dry run.
    let indent = match list {
        Some(list) => {
            out!("{}", msg!("cli.summary.presort", list = list.display(), envelopes, bundles));
            "    "
        }
        None => {
            out!("{}", msg!("cli.summary.presort_planned", envelopes, bundles));
            "  "
        }
    };
    if !estimate.discounts.iter().any(|d| matches!(d.applies, Applies::Yes | Applies::Unconfirmed)) {
        out!("{indent}{}", msg!("cli.summary.discount_none"));
        return;
    }
    out!("{indent}{}", msg!("cli.summary.discount_header", basis = estimate.basis()));
    for (title, verdict) in estimate.lines() {
        out!("{indent}{}", msg!("cli.summary.discount_line", title, verdict));
    }
    out!("{indent}{}", msg!("cli.summary.discount_total", total = estimate.total()));
}
