//! `tsuchi check`: what `run` would do with the list, in text or JSON.

use std::process::ExitCode;

use super::console::{code, fail, json, shown_long};
use super::summary::{print_already_issued, print_counts, print_intake, print_layout_rejections, print_presort};
use crate::app::check::{CheckOutcome, CheckRequest};
use crate::app::{self, Settings};
use crate::msg;

pub fn check(settings: &Settings, request: &CheckRequest, as_json: bool) -> ExitCode {
    let outcome = match app::check::check(settings, request) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    if as_json {
        json(&summary_json(&outcome));
    } else {
        print(&outcome);
    }
    code(outcome.rejections.is_empty())
}

/// `run --json`'s shape (`docs/json/summary.schema.json`, `check`): what `run` would issue.
fn summary_json(o: &CheckOutcome) -> serde_json::Value {
    serde_json::json!({
        "command": "check",
        "batch_id": null,
        "issue_date": o.issue_date.to_string(),
        "counts": o.counts.to_map(),
        "issued": o.issued,
        "skipped": o.skipped,
        "hidden": o.hidden,
        "rejected": o.rejections,
        "already_issued": o.already_issued,
        "notes": o.notes,
        "fallback_font": o.fallback_font,
        "ledger": o.ledger_root.join(crate::engine::audit::ledger::FILE_NAME).display().to_string(),
        "run_would_refuse": o.run_would_refuse,
        "presort": o.presort,
    })
}

fn print(o: &CheckOutcome) {
    print_intake(&o.requests, &o.counts, &o.intake_rejections, &o.skipped, &o.notes);
    print_layout_rejections(&o.layout_rejections);
    if !o.fallback_font.is_empty() {
        out!();
        out!("{}", msg!("cli.check.fallback_font", font = crate::ground::font::FONT_NAME));
        for c in &o.fallback_font {
            let rows = crate::engine::intake::row_list(&c.rows);
            out!("{}", msg!("cli.check.fallback_char", character = &c.character, code = &c.code_points, rows));
        }
    }
    out!();
    print_already_issued(&o.already_issued);
    out!("{}", msg!("cli.check.would_issue", count = o.counts.issued, already = o.counts.already_issued));
    print_counts(&o.counts);
    if let Some(estimate) = &o.presort {
        print_presort(estimate, None);
    }
    out!();
    out!("{}", msg!("cli.check.password_rules"));
    for policy in &o.policies {
        let name = match policy.which {
            "temp" => msg!("cli.check.temp_password"),
            "cert" => msg!("cli.check.cert_password"),
            _ => msg!("cli.check.zip_password"),
        };
        let (length, alphabet, bits) = (policy.length, policy.alphabet, format!("{:.1}", policy.entropy_bits));
        out!("{}", msg!("cli.check.policy", name, length, alphabet, bits));
        if let Some(symbols) = &policy.symbols {
            out!("{}", msg!("cli.check.symbols", symbols));
        }
    }
    out!();
    out!("{}", msg!("cli.check.rejected_lists", xlsx = o.rejected_xlsx.display(), csv = o.rejected_csv.display()));
    let ledger_file = o.ledger_root.join(crate::engine::audit::ledger::FILE_NAME);
    match o.ledger_exists {
        true => out!("{}", msg!("cli.check.consulted", path = ledger_file.display())),
        false => out!("{}", msg!("cli.check.no_ledger_yet", path = ledger_file.display())),
    }
    // What `run` would refuse, said before it does.
    for problem in &o.run_would_refuse {
        out!("{}", msg!("cli.check.run_would_refuse", problem = shown_long(problem)));
    }
}
