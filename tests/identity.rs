//! One identity per request: a 申請番号 retyped with an invisible character, in lower case or in
//! full width is the request already issued, a 申請番号 Excel turned into a date or a number is
//! refused rather than read as its serial, and `--reissue` names requests the way the list does.

mod common;

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use common::{batch_dirs, files_under, text, tsuchi};

const HEADER: [&str; 8] =
    ["申請番号", "通知種別", "審査結果", "事業所番号", "事業所名", "郵便番号", "住所", "ユーザID"];

/// Two offices, so that two 再発行 rows can share a list.
const OFFICES: [(&str, &str); 3] =
    [("1311111114", "KJ131311111114"), ("0175701069", "KJ010175701069"), ("0112345673", "KJ010112345673")];

/// A cell of a test list: text, or what Excel makes of some typing.
enum Cell<'a> {
    Text(&'a str),
    Date(u16, u8, u8),
    Number(f64),
}

/// An xlsx request list, one 再発行 row per 申請番号 cell, each for its own office.
fn list(dir: &Path, name: &str, ids: &[Cell]) -> PathBuf {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy/m/d");
    for (i, id) in ids.iter().enumerate() {
        let r = i as u32 + 1;
        match id {
            Cell::Text(id) => sheet.write_string(r, 0, *id).unwrap(),
            Cell::Date(y, m, d) => {
                sheet.write_datetime_with_format(r, 0, ExcelDateTime::from_ymd(*y, *m, *d).unwrap(), &date).unwrap()
            }
            Cell::Number(n) => sheet.write_number(r, 0, *n).unwrap(),
        };
        let (office, user) = OFFICES[i];
        for (c, value) in ["再発行", "承認", office, "さくら苑", "100-0013", "東京都千代田区霞が関1-3-2", user]
            .into_iter()
            .enumerate()
        {
            sheet.write_string(r, c as u16 + 1, value).unwrap();
        }
    }
    let path = dir.join(name);
    book.save(&path).unwrap();
    path
}

fn run(cwd: &Path, input: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", input.to_str().unwrap(), "--out", "out", "--date", "2026-01-10", "--allow-date"];
    args.extend_from_slice(extra);
    tsuchi(&args, cwd)
}

fn check_json(cwd: &Path, input: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut args = vec!["check", input.to_str().unwrap(), "--ledger", "out", "--out", "check", "--json"];
    args.extend_from_slice(extra);
    let out = tsuchi(&args, cwd);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), json, text(&out.stderr))
}

/// (申請番号, reissue_of) of every request the ledger says was issued.
fn issued(out: &Path) -> Vec<(String, Option<String>)> {
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    let mut stmt =
        conn.prepare("SELECT request_id, reissue_of FROM requests WHERE outcome = 'issued' ORDER BY rowid").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

fn notices(out: &Path) -> usize {
    batch_dirs(out).iter().map(|b| files_under(&b.join("notices")).len()).sum()
}

#[test]
fn a_retyped_request_id_with_a_zero_width_space_or_in_lower_case_is_already_issued() {
    let dir = tempfile::tempdir().unwrap();
    let first = list(dir.path(), "first.xlsx", &[Cell::Text("R08-0001"), Cell::Text("R08-0002")]);
    let done = run(dir.path(), &first, &[]);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    let out = dir.path().join("out");
    assert_eq!(issued(&out).len(), 2);

    let retyped: [(&str, [&str; 2]); 3] = [
        ("zwsp.xlsx", ["R08-0001\u{200B}", "R08-0002\u{FEFF}"]),
        ("lower.xlsx", ["r08-0001", "r08-0002"]),
        ("wide.xlsx", ["Ｒ０８－０００１", "\u{2060}ｒ08-0002 "]),
    ];
    for (name, ids) in retyped {
        let input = list(dir.path(), name, &ids.map(Cell::Text));
        let (code, json, stderr) = check_json(dir.path(), &input, &[]);
        assert_eq!(code, Some(0), "{name}: {stderr}");
        let already: Vec<&str> =
            json["already_issued"].as_array().unwrap().iter().map(|a| a["request_id"].as_str().unwrap()).collect();
        assert_eq!(already, ["R08-0001", "R08-0002"], "{name}: check lists both as 発行済み");
        assert!(json["issued"].as_array().unwrap().is_empty(), "{name}: check would issue nothing");

        let again = run(dir.path(), &input, &[]);
        assert_eq!(again.status.code(), Some(0), "{name}: {}", text(&again.stderr));
        let said = text(&again.stdout);
        assert!(said.contains("申請番号「R08-0001」") && said.contains("申請番号「R08-0002」"), "{name}: {said}");
        assert!(said.contains("発行済み"), "{said}");
        assert_eq!(issued(&out).len(), 2, "{name}: nothing issued twice");
        assert_eq!(notices(&out), 2, "{name}: no new notice");
    }
}

#[test]
fn a_request_id_stored_as_a_date_or_a_number_is_refused_in_check_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = list(dir.path(), "typed.xlsx", &[Cell::Text("R08-0001"), Cell::Date(2026, 1, 5), Cell::Number(12.0)]);

    let (code, json, stderr) = check_json(dir.path(), &input, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    let rejected = json["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{rejected:#?}");
    let (date, number) = (&rejected[0], &rejected[1]);
    assert_eq!(
        (date["row"].as_u64(), date["column"].as_str(), date["column_letter"].as_str()),
        (Some(3), Some("申請番号"), Some("A"))
    );
    assert_eq!(date["value"], "2026-01-05", "the date the clerk sees, not the serial 46027");
    assert!(date["reason"].as_str().unwrap().contains("日付として保存されています"), "{date}");
    assert_eq!((number["row"].as_u64(), number["value"].as_str()), (Some(4), Some("12")));
    assert!(number["reason"].as_str().unwrap().contains("数値として保存されています"), "{number}");
    let issued_by_check: Vec<&str> =
        json["issued"].as_array().unwrap().iter().map(|n| n["request_id"].as_str().unwrap()).collect();
    assert_eq!(issued_by_check, ["R08-0001"]);

    let done = run(dir.path(), &input, &[]);
    assert_eq!(done.status.code(), Some(1), "{}", text(&done.stderr));
    let said = text(&done.stdout);
    assert!(said.contains("3行目 A列「申請番号」 値「2026-01-05」：申請番号が日付として保存されています"), "{said}");
    assert!(!said.contains("46027"), "{said}");
    let out = dir.path().join("out");
    assert_eq!(issued(&out), [("R08-0001".to_string(), None)]);
    let batch = batch_dirs(&out).pop().unwrap();
    let csv = std::fs::read_to_string(batch.join("rejected.csv")).unwrap();
    assert!(csv.lines().any(|l| l.contains("2026-01-05") && l.contains("日付として保存されています")), "{csv}");
}

#[test]
fn reissue_of_an_id_not_in_the_list_stops_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = list(dir.path(), "list.xlsx", &[Cell::Text("R08-0001"), Cell::Text("R08-0002")]);
    let out = dir.path().join("out");

    // Before any batch: no batch folder, and check writes no report either.
    let refused = run(dir.path(), &input, &["--reissue", "R08-9999", "--reason", "紛失"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("「R08-9999」"), "{}", text(&refused.stderr));
    assert!(!out.exists() || batch_dirs(&out).is_empty());

    assert_eq!(run(dir.path(), &input, &[]).status.code(), Some(0));
    let before = batch_dirs(&out);
    for extra in [
        &["--reissue", "R08-9999", "--reason", "紛失"][..],
        &["--reissue", "R08-0001", "--reissue", "R08-9999", "--reason", "紛失"],
        &["--reissue", "R08-9999", "--reason", "紛失", "--dry-run"],
    ] {
        let refused = run(dir.path(), &input, extra);
        assert_eq!(refused.status.code(), Some(2), "{extra:?}");
        let stderr = text(&refused.stderr);
        assert!(stderr.contains("「R08-9999」") && stderr.contains("ありません"), "{stderr}");
        assert!(!stderr.contains("「R08-0001」"), "only the unknown ID is named: {stderr}");
        assert!(refused.stdout.is_empty(), "{}", text(&refused.stdout));
        assert_eq!(batch_dirs(&out), before, "{extra:?}: no batch folder");
        assert_eq!(issued(&out).len(), 2, "{extra:?}: nothing issued");
    }
    let (code, _, stderr) = check_json(dir.path(), &input, &["--reissue", "R08-9999"]);
    assert_eq!(code, Some(2), "check refuses it too");
    assert!(stderr.contains("「R08-9999」"), "{stderr}");
    assert!(!dir.path().join("check").exists(), "check wrote nothing");
}

#[test]
fn reissue_of_a_mis_cased_id_reissues_that_request() {
    let dir = tempfile::tempdir().unwrap();
    let input = list(dir.path(), "list.xlsx", &[Cell::Text("R08-0001"), Cell::Text("R08-0002")]);
    assert_eq!(run(dir.path(), &input, &[]).status.code(), Some(0));
    let out = dir.path().join("out");
    let first = batch_dirs(&out)[0].file_name().unwrap().to_string_lossy().into_owned();

    let (code, json, stderr) = check_json(dir.path(), &input, &["--reissue", "r08-0002\u{200B}"]);
    assert_eq!(code, Some(0), "{stderr}");
    let would: Vec<&str> =
        json["issued"].as_array().unwrap().iter().map(|n| n["request_id"].as_str().unwrap()).collect();
    assert_eq!(would, ["R08-0002"]);

    let again = run(dir.path(), &input, &["--reissue", "r08-0002\u{200B}", "--reason", "事業所が通知書を紛失したため"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let ledger = issued(&out);
    assert_eq!(ledger.len(), 3);
    assert_eq!(ledger[2], ("R08-0002".to_string(), Some(first)));
    assert_eq!(notices(&out), 3, "exactly one notice issued again");
}
