//! The ledger as an auditor and a clerk rely on it: a re-run issues nothing twice, `--reissue`
//! issues exactly one, `verify` finds a changed byte, a deleted ZIP and an edited event, two
//! runs cannot interleave, and a batch killed at any moment leaves all of it or none of it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{batch_dir, batch_dirs, files_under, sample, secrets_in, text, tsuchi, xlsx_rows};

fn run(cwd: &Path, input: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", input.to_str().unwrap(), "--out", "out"];
    args.extend_from_slice(extra);
    tsuchi(&args, cwd)
}

fn ledger(out: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap()
}

/// (申請番号, 通知種別) → how many times the ledger says it was issued.
fn issued_counts(out: &Path) -> BTreeMap<(String, String), (usize, usize)> {
    let conn = ledger(out);
    let mut stmt =
        conn.prepare("SELECT request_id, kind, reissue_of IS NOT NULL FROM requests WHERE outcome = 'issued'").unwrap();
    let mut counts: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for row in
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?))).unwrap()
    {
        let (id, kind, reissue) = row.unwrap();
        let entry = counts.entry((id, kind)).or_default();
        if reissue {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    counts
}

fn committed_batches(out: &Path) -> Vec<String> {
    let conn = ledger(out);
    let mut stmt = conn.prepare("SELECT id FROM batches ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn verify(batch: &Path) -> (i32, String) {
    let out = common::command().arg("verify").arg(batch).output().unwrap();
    (out.status.code().unwrap_or(-1), text(&out.stdout) + &text(&out.stderr))
}

#[test]
fn rerunning_the_sample_batch_issues_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample("requests.xlsx");
    assert_eq!(run(dir.path(), &input, &[]).status.code(), Some(0));
    let second = run(dir.path(), &input, &[]);
    assert_eq!(second.status.code(), Some(0), "発行済み is not an error: {}", text(&second.stderr));
    let out = dir.path().join("out");
    // Nothing left to issue: no second batch folder, no bundle, nothing recorded.
    let batches = batch_dirs(&out);
    assert_eq!(batches.len(), 1, "a run with nothing to issue makes no batch");
    assert_eq!(committed_batches(&out).len(), 1);
    let counts = issued_counts(&out);
    assert_eq!(counts.len(), 20);
    assert!(counts.values().all(|c| *c == (1, 0)));
    // The clerk is told why: every row is listed as 発行済み with the batch that issued it.
    let said = text(&second.stdout);
    assert!(said.contains("発行するものはありません"), "{said}");
    let first_id = batches[0].file_name().unwrap().to_string_lossy().into_owned();
    let listed = said.lines().filter(|l| l.contains("発行済み") && l.contains(&first_id)).count();
    assert_eq!(listed, 20, "{said}");
    // And where the ledger is, absolute.
    let ledger_line = said.lines().find(|l| l.contains("台帳：")).expect("the ledger's path");
    assert!(ledger_line.contains(&out.join("ledger.sqlite").display().to_string()), "{ledger_line}");
}

#[test]
fn reissue_issues_exactly_one_and_records_why() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample("requests.xlsx");
    assert_eq!(run(dir.path(), &input, &[]).status.code(), Some(0));
    let without_reason = run(dir.path(), &input, &["--reissue", "R08-0002"]);
    assert_eq!(without_reason.status.code(), Some(2));
    assert!(text(&without_reason.stderr).contains("--reason"));
    let again = run(dir.path(), &input, &["--reissue", "R08-0002", "--reason", "事業所が通知書を紛失したため"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let out = dir.path().join("out");
    let batches = batch_dirs(&out);
    assert_eq!(batches.len(), 2, "the failed call left nothing");
    let notices: Vec<PathBuf> = files_under(&batches[1].join("notices"));
    assert_eq!(notices.len(), 1);
    let counts = issued_counts(&out);
    assert_eq!(counts[&("R08-0002".to_string(), "login_reissue".to_string())], (1, 1));
    assert_eq!(counts.values().map(|c| c.0 + c.1).sum::<usize>(), 21);
    let reason: String = ledger(&out)
        .query_row("SELECT reissue_reason FROM requests WHERE reissue_of IS NOT NULL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(reason, "事業所が通知書を紛失したため");
}

#[test]
fn verify_passes_an_intact_batch_and_names_each_change() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(dir.path(), &sample("requests.xlsx"), &[]).status.code(), Some(0));
    let out = dir.path().join("out");
    let batch = batch_dir(&out);
    let (code, said) = verify(&batch);
    assert_eq!(code, 0, "{said}");

    // A changed byte in a notice.
    let notice = files_under(&batch.join("notices")).remove(0);
    let mut bytes = std::fs::read(&notice).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&notice, &bytes).unwrap();
    let rel = format!("notices/{}", notice.file_name().unwrap().to_string_lossy());
    let (code, said) = verify(&batch);
    assert_eq!(code, 1);
    assert!(said.contains(&format!("ファイルが変更されています：{rel}")), "{said}");
    bytes[at] ^= 0x01;
    std::fs::write(&notice, &bytes).unwrap();

    // A deleted ZIP and an extra file.
    let zip = files_under(&batch.join("zip")).remove(3);
    std::fs::remove_file(&zip).unwrap();
    std::fs::write(batch.join("notices/extra.pdf"), b"%PDF").unwrap();
    let (code, said) = verify(&batch);
    assert_eq!(code, 1);
    assert!(
        said.contains(&format!("ファイルがありません：zip/{}", zip.file_name().unwrap().to_string_lossy())),
        "{said}"
    );
    assert!(said.contains("記録にないファイルがあります：notices/extra.pdf"), "{said}");
}

#[test]
fn verify_finds_an_edited_ledger_event() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(dir.path(), &sample("requests.xlsx"), &[]).status.code(), Some(0));
    let out = dir.path().join("out");
    let batch = batch_dir(&out);
    ledger(&out)
        .execute(
            "UPDATE events SET detail = replace(detail, 'R08-0005', 'R08-9999') WHERE detail LIKE '%R08-0005%'",
            [],
        )
        .unwrap();
    let seq: i64 =
        ledger(&out).query_row("SELECT seq FROM events WHERE detail LIKE '%R08-9999%'", [], |r| r.get(0)).unwrap();
    let (code, said) = verify(&batch);
    assert_eq!(code, 1);
    assert!(said.contains(&format!("イベントの連鎖が {seq} 番で切れています")), "{said}");
    assert!(said.contains("events.jsonl が台帳のイベントと一致しません"), "{said}");
}

#[test]
fn a_second_run_on_the_same_output_root_is_refused_while_one_is_running() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let held = tsuchi::engine::audit::ledger::Ledger::open(&out).unwrap();
    let second = run(dir.path(), &sample("requests.xlsx"), &[]);
    assert_eq!(second.status.code(), Some(2));
    assert!(text(&second.stderr).contains("使用中"), "{}", text(&second.stderr));
    drop(held);
    assert_eq!(batch_dirs(&out).len(), 0);
    assert_eq!(run(dir.path(), &sample("requests.xlsx"), &[]).status.code(), Some(0));
}

/// A request list of `rows` rows (all three kinds), so that a batch writes many files.
fn big_input(dir: &Path, rows: usize) -> PathBuf {
    let path = dir.join("requests.csv");
    let mut csv = String::from("申請番号,通知種別,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID\n");
    let kinds = ["登録結果", "再発行", "証明書PW再発行"];
    for i in 0..rows {
        let payload = format!("137{i:06}");
        let office = format!("{payload}{}", tsuchi::engine::intake::fields::office_check_digit(&payload).unwrap());
        csv.push_str(&format!(
            "C{i:04},{},{office},クラッシュ試験事業所{i},100-0013,東京都千代田区霞が関{}丁目,03-1234-0000,03-1234-0001,KJ13{office}\n",
            kinds[i % 3],
            i % 5 + 1
        ));
    }
    std::fs::write(&path, csv).unwrap();
    path
}

/// The ledger and the folders agree: every folder is a committed batch that verifies, and
/// every committed batch has its folder (or, if the kill fell between commit and rename, its
/// complete staging folder, which the next run moves into place).
fn assert_consistent(out: &Path, moment: &str) {
    assert!(out.join("ledger.sqlite").exists(), "{moment}: the ledger of the first batch is gone");
    let committed = committed_batches(out);
    for entry in std::fs::read_dir(out).unwrap().flatten().filter(|e| e.path().is_dir()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        match name.strip_prefix(".staging-") {
            // A staging folder is either uncommitted debris (removed next run) or a committed
            // batch waiting for its rename.
            Some(_) => {}
            None => {
                assert!(committed.contains(&name), "{moment}: folder {name} is not in the ledger");
                let (code, said) = verify(&entry.path());
                assert_eq!(code, 0, "{moment}: batch {name} is half-present: {said}");
            }
        }
    }
    for id in &committed {
        assert!(
            out.join(id).is_dir() || out.join(format!(".staging-{id}")).is_dir(),
            "{moment}: committed batch {id} has no folder"
        );
    }
}

#[test]
fn a_batch_killed_at_any_moment_leaves_all_or_nothing_and_a_rerun_completes_it() {
    // The second batch writes 38 files: 15 notices and 15 ZIPs, then the password list, the
    // bundle, the mailing list, the two rejected lists, the two audit files and the manifest.
    let moments: Vec<String> = [1, 2, 9, 20, 30, 31, 32, 33, 34, 35, 36, 37, 38]
        .iter()
        .map(|k| format!("file:{k}"))
        .chain(["commit:before", "commit:after", "commit:published"].map(String::from))
        .collect();
    for moment in &moments {
        let dir = tempfile::tempdir().unwrap();
        let input = big_input(dir.path(), 30);
        let out = dir.path().join("out");
        // Half of the list was issued by an earlier, complete batch.
        let head: String =
            std::fs::read_to_string(&input).unwrap().lines().take(16).map(|l| format!("{l}\n")).collect();
        let first_half = dir.path().join("first.csv");
        std::fs::write(&first_half, head).unwrap();
        assert_eq!(run(dir.path(), &first_half, &[]).status.code(), Some(0));

        let killed = common::command()
            .args(["run", input.to_str().unwrap(), "--out", "out"])
            .current_dir(dir.path())
            .env("TSUCHI_CRASH_AT", moment)
            .output()
            .unwrap();
        assert!(
            !killed.status.success(),
            "{moment}: the run was not killed. Was {} built without the `crash-points` feature? \
             `cargo test` turns it on through tsuchi's dev-dependency on itself (Cargo.toml)",
            env!("CARGO_BIN_EXE_tsuchi")
        );
        assert_consistent(&out, moment);

        let staging_left = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".staging-"));
        let rerun = run(dir.path(), &input, &[]);
        assert_eq!(rerun.status.code(), Some(0), "{moment}: {}", text(&rerun.stderr));
        // What the crash left is finished or removed, and the clerk is told which.
        if staging_left {
            let told = text(&rerun.stderr);
            let expected = if moment.as_str() == "commit:after" {
                "移動を完了しました"
            } else {
                "作業用フォルダを削除しました"
            };
            assert!(told.contains(expected), "{moment}: {told}");
        }
        assert_consistent(&out, moment);
        assert!(batch_dirs(&out).len() >= 2);
        // Every request issued exactly once, over all batches.
        let counts = issued_counts(&out);
        assert_eq!(counts.len(), 30, "{moment}: every request issued");
        assert!(counts.values().all(|c| *c == (1, 0)), "{moment}: a request was issued twice: {counts:?}");
        // And exactly one notice file per request across the batch folders.
        let notices: usize = batch_dirs(&out).iter().map(|b| files_under(&b.join("notices")).len()).sum();
        assert_eq!(notices, 30, "{moment}");
    }
}

#[test]
fn no_secret_is_recorded_anywhere_outside_notices_zips_and_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(dir.path(), &sample("requests.xlsx"), &["--json"]);
    let second = run(dir.path(), &sample("requests.xlsx"), &["--reissue", "R08-0001", "--reason", "再送"]);
    let out = dir.path().join("out");
    let mut secrets = Vec::new();
    for batch in batch_dirs(&out) {
        for pdf in files_under(&batch.join("notices")).into_iter().chain(files_under(&batch.join("secrets"))) {
            secrets.extend(secrets_in(&pdf));
        }
    }
    assert_eq!(secrets.len(), 7 * 2 + 8 + 5 + 18 + 2 + 1);
    let conn = ledger(&out);
    let mut dump = String::new();
    for table in ["batches", "requests", "files", "events"] {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let columns = stmt.column_count();
        let cell = |v: rusqlite::types::ValueRef| match v {
            rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => text(t),
            rusqlite::types::ValueRef::Integer(i) => i.to_string(),
            rusqlite::types::ValueRef::Real(f) => f.to_string(),
            rusqlite::types::ValueRef::Null => String::new(),
        };
        let rows = stmt
            .query_map([], |r| Ok((0..columns).map(|i| cell(r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|")))
            .unwrap();
        for row in rows {
            dump.push_str(&row.unwrap());
            dump.push('\n');
        }
    }
    assert!(dump.contains("request.issued"));
    let mut places = vec![
        ("ledger".to_string(), dump),
        ("ledger file".to_string(), text(&std::fs::read(out.join("ledger.sqlite")).unwrap())),
        ("stdout".to_string(), text(&first.stdout) + &text(&second.stdout)),
        ("stderr".to_string(), text(&first.stderr) + &text(&second.stderr)),
    ];
    for file in files_under(&out) {
        let rel = file.strip_prefix(&out).unwrap().to_string_lossy().into_owned();
        if ["/notices/", "/zip/", "/secrets/"].iter().any(|d| rel.contains(d)) {
            continue;
        }
        let content = match file.extension().and_then(|e| e.to_str()) {
            Some("xlsx") => xlsx_rows(&file).into_iter().flatten().collect::<Vec<_>>().join("\t"),
            _ => text(&std::fs::read(&file).unwrap()),
        };
        places.push((rel, content));
    }
    for (place, content) in &places {
        for secret in &secrets {
            assert!(!content.contains(secret.as_str()), "a password leaked into {place}");
        }
    }
}
