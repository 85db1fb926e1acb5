//! The check `run` makes before it issues anything: the whole ledger's chain and every row of
//! every table against the batches' seals. Builds a ledger of 100,000 requests (ten batches of
//! 10,000, each with its request events and two files per notice, as `run` records them) and
//! prints how long opening it and checking it take. `cargo bench --bench ledger [-- REQUESTS]`.

use std::path::PathBuf;
use std::time::Instant;

use tsuchi::engine::audit::event::{AuditEvent, FilesSeal};
use tsuchi::engine::audit::ledger::{self, BatchRecord, BatchRow, Ledger, Outcome, RequestRecord};
use tsuchi::ground::model::{NoticeKind, ZipOpening};

fn main() {
    let total: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let per_batch = 10_000.min(total);
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    let clock = Instant::now();
    let mut ledger = Ledger::open(root).unwrap();
    for b in 0..total.div_ceil(per_batch) {
        let id = format!("20260101-{b:06}");
        let batch = BatchRow {
            id: id.clone(),
            started: "2026-01-01T09:00:00+09:00".into(),
            finished: "2026-01-01T09:01:00+09:00".into(),
            operator: "clerk".into(),
            host: "pc01".into(),
            tool: "tsuchi bench".into(),
            input_path: "requests.csv".into(),
            input_sha256: "ab".repeat(32),
            config_sha256: None,
            issue_date: "2026-01-01".into(),
            zip_encryption: "aes256".into(),
        };
        let mut chain = ledger.chain(&id).unwrap();
        let mut requests = Vec::new();
        let mut files = Vec::new();
        for i in 0..per_batch.min(total - b * per_batch) {
            let n = b * per_batch + i;
            let office = format!("13{n:08}");
            let pdf = PathBuf::from("notices").join(format!("{office}_登録結果.pdf"));
            let zip = PathBuf::from("zip").join(format!("{office}_登録結果.zip"));
            chain.push(&AuditEvent::RequestIssued {
                row: i + 2,
                request_id: format!("R-{n:07}"),
                kind: NoticeKind::Registration,
                office_no: office.clone(),
                user_id: Some(format!("KJ13{office}")),
                prefecture: Some("東京都".into()),
                pdf: pdf.clone(),
                zip: zip.clone(),
                zip_opening: ZipOpening::Separate,
                control_no: Some(format!("{id}-{:05}", i + 1)),
                reissue_of: None,
                reissue_reason: None,
            });
            requests.push(RequestRecord {
                row: i + 2,
                request_id: format!("R-{n:07}"),
                kind: "registration".into(),
                office_no: office,
                outcome: Outcome::Issued,
                reason: String::new(),
                reissue_of: None,
                reissue_reason: None,
            });
            for p in [pdf, zip] {
                files.push((p.to_string_lossy().into_owned(), "cd".repeat(32), 32_000));
            }
        }
        files.sort();
        chain.push(&AuditEvent::BatchRows(ledger::rows_seal(&batch, &requests)));
        chain.push(&AuditEvent::BatchSealed(FilesSeal { files: files.clone(), adopted: false }));
        let record = BatchRecord { batch, requests, files, events_file: None, events: chain.events };
        ledger.commit(record, || Ok(())).unwrap();
    }
    drop(ledger);
    let built = clock.elapsed();
    let size = std::fs::metadata(root.join(ledger::FILE_NAME)).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(root.join("ledger.sqlite-wal")).map(|m| m.len()).unwrap_or(0);
    println!("ledger: {total} requests, {:.1} MB, built in {:.1} s", size as f64 / 1e6, built.as_secs_f64());
    for round in 1..=3 {
        let clock = Instant::now();
        let ledger = Ledger::open(root).unwrap();
        let opened = clock.elapsed();
        tsuchi::engine::audit::integrity::ensure_intact(&ledger).unwrap();
        let checked = clock.elapsed() - opened;
        println!(
            "round {round}: open {:.0} ms, pre-issue check (chain + every row) {:.0} ms",
            opened.as_secs_f64() * 1e3,
            checked.as_secs_f64() * 1e3
        );
    }
}
