//! The mail room like a PIN-mailer shop: every mailed page of the print bundle carries its
//! control number as a code a scanner reads (checked with zbar, a reader that is not tsuchi's),
//! and `tsuchi mail scan` marks each notice 封入済み, reporting at once a page scanned twice,
//! a page skipped, and a code of another batch.

mod common;

use std::path::{Path, PathBuf};

use common::mailing::list_rows;
use common::{batch_dirs, text, tool};

fn run(out: &Path, extra: &[&str]) -> PathBuf {
    let config = common::test_config(out.parent().unwrap());
    let o = common::command()
        .args([
            "run",
            common::sample("requests.xlsx").to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--date",
            "2026-04-01",
            "--allow-date",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    batch_dirs(out).pop().unwrap()
}

/// The 管理番号 of the batch's 発送リスト, in list order.
fn listed_controls(batch: &Path) -> Vec<String> {
    list_rows(batch).into_iter().map(|r| r[1].clone()).collect()
}

/// Every code zbarimg finds on each page of `pdf` rasterised at 300 dpi, page by page.
fn decoded_pages(pdf: &Path, dir: &Path) -> Vec<Vec<String>> {
    let prefix = dir.join("page");
    tool("pdftoppm", &["-r", "300", "-gray", "-png", pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|page| {
            // zbarimg exits 4 when a page holds no code (the cover): not a failure here.
            let out = std::process::Command::new("zbarimg")
                .args(["--quiet", "--raw", "-Sdisable", "-Scode128.enable"])
                .arg(page)
                .output()
                .expect("zbarimg is needed for this test (scripts/test installs zbar-tools)");
            assert!(matches!(out.status.code(), Some(0 | 4)), "zbarimg: {}", text(&out.stderr));
            text(&out.stdout).lines().map(str::to_string).collect()
        })
        .collect()
}

#[test]
fn every_mailed_page_carries_its_control_number_as_a_code_zbar_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let batch = run(&out, &[]);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let controls = listed_controls(&batch);
    assert!(controls.len() >= 10, "{controls:?}");
    let pngs = dir.path().join("png");
    std::fs::create_dir(&pngs).unwrap();
    let pages = decoded_pages(&batch.join("print").join(format!("{id}.pdf")), &pngs);
    // The cover carries no code; every notice page exactly one, its own, in the list's order.
    assert_eq!(pages.len(), 1 + controls.len(), "{pages:?}");
    assert!(pages[0].is_empty(), "the cover carries a code: {:?}", pages[0]);
    let decoded: Vec<String> = pages[1..]
        .iter()
        .map(|codes| {
            assert_eq!(codes.len(), 1, "{codes:?}");
            codes[0].clone()
        })
        .collect();
    assert_eq!(decoded, controls);
}
