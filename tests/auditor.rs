//! What the auditor and the mail room meet when they come to the ledger later: `verify` and
//! `audit export` find it as `run` does, a period is about the 発行日 on the notices, a wrong
//! head shows both heads, purged files are one line per batch.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{sample, text};

/// A clerk's installation: `tsuchi.toml` (no `[output] root`) in `folder`, its ledger beside it.
fn installation(folder: &Path) -> PathBuf {
    std::fs::create_dir_all(folder).unwrap();
    let config = folder.join("tsuchi.toml");
    std::fs::write(&config, format!("{}\n[handoff]\nmode = \"manual\"\n", common::TEST_ISSUER)).unwrap();
    config
}

/// `tsuchi <args>` started in `cwd`, with the user's home `home`.
fn at(cwd: &Path, home: &Path, args: &[&str]) -> Output {
    std::fs::create_dir_all(cwd).unwrap();
    common::command().env("TSUCHI_HOME", home).current_dir(cwd).args(args).output().unwrap()
}

/// One batch of the sample list with 発行日 2026-04-01 in the installation of `config`.
fn issued_on_april_first(config: &Path, home: &Path) -> PathBuf {
    let folder = config.parent().unwrap();
    let run =
        at(folder, home, &["run", sample("requests.xlsx").to_str().unwrap(), "--date", "2026-04-01", "--allow-date"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    batch_dir_of(folder)
}

/// The one batch folder of an installation whose ledger is its own folder.
fn batch_dir_of(folder: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.join("manifest.json").exists())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.into_iter().next().unwrap()
}

#[test]
fn verify_and_audit_export_find_the_ledger_of_the_config_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let office = dir.path().join("office");
    let config = installation(&office);
    let batch = issued_on_april_first(&config, &home);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let ledger = office.join("ledger.sqlite").display().to_string();
    let elsewhere = dir.path().join("elsewhere");

    // From another folder without --config there is no ledger there (the user's data folder).
    let lost = at(&elsewhere, &home, &["verify"]);
    assert_eq!(lost.status.code(), Some(1), "{}", text(&lost.stdout));
    // With --config, the installation's ledger, whole and by batch ID.
    let found = at(&elsewhere, &home, &["verify", "--config", config.to_str().unwrap()]);
    assert_eq!(found.status.code(), Some(0), "{}{}", text(&found.stdout), text(&found.stderr));
    assert!(text(&found.stdout).contains(&ledger), "{}", text(&found.stdout));
    let one = at(&elsewhere, &home, &["verify", &id, "--config", config.to_str().unwrap()]);
    assert_eq!(one.status.code(), Some(0), "{}{}", text(&one.stdout), text(&one.stderr));
    // From the folder of tsuchi.toml, without --config.
    let here = at(&office, &home, &["verify"]);
    assert_eq!(here.status.code(), Some(0), "{}{}", text(&here.stdout), text(&here.stderr));
    assert!(text(&here.stdout).contains(&ledger), "{}", text(&here.stdout));

    let export = at(&elsewhere, &home, &["audit", "export", "--config", config.to_str().unwrap()]);
    assert_eq!(export.status.code(), Some(0), "{}{}", text(&export.stdout), text(&export.stderr));
    assert!(text(&export.stdout).contains(&office.display().to_string()), "{}", text(&export.stdout));
    assert!(
        std::fs::read_dir(&office).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with("audit-")),
        "the export is written beside the installation's ledger"
    );
    assert!(!elsewhere.join("output").exists());
}

/// The batch IDs on the 概要 sheet of an exported 監査ログ.xlsx.
fn exported_batches(dest: &Path) -> Vec<String> {
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(dest.join("監査ログ.xlsx")).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("概要").unwrap();
    sheet.rows().skip(1).map(|r| r[0].to_string()).collect()
}

#[test]
fn audit_export_takes_a_period_of_issue_dates_unless_told_run_date() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let office = dir.path().join("office");
    let config = installation(&office);
    let batch = issued_on_april_first(&config, &home);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let run_day = format!("{}-{}-{}", &id[0..4], &id[4..6], &id[6..8]);
    assert_ne!(run_day, "2026-04-01", "the batch ran on another day than its 発行日");
    let export = |name: &str, extra: &[&str]| {
        let dest = dir.path().join(name);
        let mut args = vec!["audit", "export", "--dest", dest.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = at(&office, &home, &args);
        assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
        (text(&o.stdout), exported_batches(&dest))
    };

    let (said, april) = export("april", &["--from", "2026-04-01", "--to", "2026-04-30"]);
    assert_eq!(april, vec![id.clone()], "{said}");
    assert!(said.contains("発行日") && said.contains("2026-04-01〜2026-04-30"), "{said}");
    let (said, by_run) = export("april-run", &["--from", "2026-04-01", "--to", "2026-04-30", "--by", "run-date"]);
    assert!(by_run.is_empty(), "{said}");
    assert!(said.contains("実行日"), "{said}");
    let (_, run_day_by_issue) = export("run-day", &["--from", &run_day, "--to", &run_day]);
    assert!(run_day_by_issue.is_empty(), "the run day is not the 発行日");
    let (_, run_day_by_run) = export("run-day-run", &["--from", &run_day, "--to", &run_day, "--by", "run-date"]);
    assert_eq!(run_day_by_run, vec![id]);

    let bad = at(&office, &home, &["audit", "export", "--by", "started"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    let help = at(&office, &home, &["audit", "export", "--help"]);
    assert!(text(&help.stdout).contains("run-date") && text(&help.stdout).contains("発行日"), "{}", text(&help.stdout));
}

/// `tsuchi <args> --out <out>`.
fn on(out: &Path, args: &[&str]) -> Output {
    common::command().args(args).arg("--out").arg(out).output().unwrap()
}

#[test]
fn a_wrong_head_shows_both_heads_whole_and_where_they_part() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "out");
    let batch = common::batch_dir(&out);
    let head = common::head_on_cover(&batch);
    let (count, hash) = head.split_once(':').unwrap();
    // One digit of the third group of eight mistyped.
    let mut wrong: Vec<char> = hash.chars().collect();
    wrong[20] = if wrong[20] == '0' { '1' } else { '0' };
    let wrong: String = wrong.into_iter().collect();
    let o = on(&out, &["verify", "--head", &format!("{count}:{wrong}")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let said = text(&o.stdout);
    let grouped =
        |h: &str| h.as_bytes().chunks(8).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ");
    assert!(said.contains(&format!("紙の控え {count}:{}", grouped(&wrong))), "{said}");
    assert!(said.contains(&format!("台帳 {count}:{}", grouped(hash))), "{said}");
    assert!(said.contains("3組目"), "{said}");
}

#[test]
fn verify_names_a_purge_once_per_batch_and_a_second_purge_says_when() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "out");
    let batch = common::batch_dir(&out);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let secrets =
        ["notices", "zip", "secrets"].iter().map(|d| common::files_under(&batch.join(d)).len()).sum::<usize>() + 1; // and the print bundle
    assert!(secrets > 10);

    let purge =
        common::command().args(["purge", batch.to_str().unwrap(), "--force", "--reason", "試験"]).output().unwrap();
    assert_eq!(purge.status.code(), Some(0), "{}{}", text(&purge.stdout), text(&purge.stderr));
    assert!(text(&purge.stdout).contains(&format!("{secrets}件消去しました")), "{}", text(&purge.stdout));

    let minute = reads_to_the_minute;
    for args in [vec!["verify"], vec!["verify", batch.to_str().unwrap()]] {
        let o = on(&out, &args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
        let said = text(&o.stdout);
        let lines: Vec<&str> = said.lines().filter(|l| l.contains("廃棄済み")).collect();
        assert_eq!(lines.len(), 1, "one line for the batch's purge:\n{said}");
        let at = lines[0].split('（').nth(1).unwrap().split('、').next().unwrap();
        assert!(lines[0].contains(&format!("バッチ {id}：廃棄済み {secrets}件（")) && minute(at), "{said}");
        let verdict = said.lines().position(|l| l.starts_with("検証：")).unwrap();
        assert!(said.lines().position(|l| l.contains("廃棄済み")).unwrap() < verdict, "{said}");
    }

    // Purging it again removes nothing and says when it was purged.
    let again = common::command().args(["purge", batch.to_str().unwrap()]).output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}{}", text(&again.stdout), text(&again.stderr));
    let said = text(&again.stdout);
    assert!(!said.contains("0件消去"), "{said}");
    let at = said.split(&format!("バッチ {id} は ")).nth(1).expect(&said).split(" に廃棄済みです").next().unwrap();
    assert!(minute(at), "{said}");
    let status = on(&out, &["status", "--batch", &id]);
    assert!(text(&status.stdout).contains(&format!("{at} に廃棄済み")), "{}", text(&status.stdout));
}

/// Whether `at` reads `YYYY-MM-DD HH:MM`.
fn reads_to_the_minute(at: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").is_ok() && at.len() == 16
}

/// The rows of sheet `name` of an xlsx, header first.
fn sheet(path: &Path, name: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    book.worksheet_range(name).unwrap().rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

#[test]
fn the_rejected_sheet_names_each_rejected_rows_request_and_office_number() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let list = sample("requests_with_mistakes.xlsx");
    let run = common::tsuchi(&["run", list.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(run.status.code(), Some(1), "rows are rejected: {}", text(&run.stderr));
    let batch = common::batch_dir(&out);
    // The list as written: row number → (申請番号, 事業所番号).
    let source: std::collections::BTreeMap<String, (String, String)> = sheet(&list, "申請一覧")
        .into_iter()
        .enumerate()
        .skip(1)
        .map(|(i, r)| ((i + 1).to_string(), (r[0].clone(), r[3].clone())))
        .collect();

    let export = dir.path().join("export");
    let o = on(&out, &["audit", "export", "--dest", export.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    for log in [batch.join("audit").join("監査ログ.xlsx"), export.join("監査ログ.xlsx")] {
        let rows = sheet(&log, "差戻し一覧");
        assert_eq!(rows[0][2..5], ["申請番号", "通知種別", "事業所番号"]);
        let rejected: Vec<&Vec<String>> = rows.iter().filter(|r| r[5] == "差戻し").collect();
        assert!(rejected.len() >= 3, "{rows:?}");
        for r in rejected {
            let (id, office) = &source[&r[1]];
            assert_eq!(&r[2], id, "row {} of {}: {r:?}", r[1], log.display());
            assert!(!r[4].is_empty() && r[4].ends_with(office.as_str()), "row {}: {r:?} (list: {office})", r[1]);
        }
    }
}
