//! The mail room's list is input too: `mail import` records only 書留番号 that look like one,
//! refuses duplicates and implausible dates, reads every sheet of the list and says per row
//! what it did; `mail returned` never guesses among envelopes; `purge` never runs while a
//! notice is unaccounted for and never touches a file that is not the sealed one.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::mailing::{Row, Value, event_count, hashes, issued_batch, number, rows_of, sent_events, write_list};
use common::{batch_dir, text};

fn tsuchi(args: &[&str], out: &Path) -> Output {
    common::command().args(args).arg("--out").arg(out).output().unwrap()
}

fn import(list: &Path, out: &Path) -> Output {
    tsuchi(&["mail", "import", list.to_str().unwrap()], out)
}

fn controls(rows: &[Row]) -> Vec<String> {
    rows.iter().map(|r| r.control().to_string()).collect()
}

fn recorded_controls(out: &Path) -> Vec<String> {
    sent_events(out).into_iter().map(|(c, _)| c).collect()
}

/// The files purge would remove (notices, ZIPs, the opening-password list, the bundle), hashed.
fn secret_files(batch: &Path) -> std::collections::BTreeMap<PathBuf, String> {
    let mut all = hashes(&batch.join("notices"));
    all.extend(hashes(&batch.join("zip")));
    all.extend(hashes(&batch.join("print")));
    all
}

#[test]
fn a_vlookup_giving_na_on_every_row_records_nothing_and_purge_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = issued_batch(&out, &[]);
    let rows = rows_of(&batch, |_| Value::Error("#N/A"));
    let list = write_list(dir.path(), "na.xlsx", &[("発送リスト", &rows)]);
    let o = import(&list, &out);
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}{}", text(&o.stderr));
    assert!(said.contains("記録した発送：0通"), "{said}");
    assert!(said.contains(&format!("記録しなかった行：{}行", rows.len())), "{said}");
    for r in 0..rows.len() {
        let line = format!("シート「発送リスト」{}行目 J列（書留番号）「#N/A」：Excel のエラー値です", r + 2);
        assert!(said.contains(&line), "{line}\n{said}");
    }
    assert_eq!(event_count(&out, "mail.sent"), 0);

    let before = secret_files(&batch);
    let purge = common::command().arg("purge").arg(&batch).output().unwrap();
    assert_eq!(purge.status.code(), Some(2), "{}", text(&purge.stdout));
    assert!(text(&purge.stderr).contains(&format!("{}通", rows.len())), "{}", text(&purge.stderr));
    assert_eq!(secret_files(&batch), before, "purge touched a file while no notice was sent");
    assert_eq!(event_count(&out, "batch.purged"), 0);
}

#[test]
fn error_values_words_placeholders_and_dates_are_reported_by_row_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = issued_batch(&out, &[]);
    let bad: Vec<(Value, &str, &str)> = vec![
        (Value::Error("#N/A"), "#N/A", "エラー値"),
        (Value::Error("#REF!"), "#REF!", "エラー値"),
        (Value::Text("未発送".into()), "未発送", "数字がありません"),
        (Value::Text("保留".into()), "保留", "数字がありません"),
        (Value::Text("-".into()), "-", "数字がありません"),
        (Value::Text("なし".into()), "なし", "数字がありません"),
        (Value::Text("×".into()), "×", "数字がありません"),
        (Value::Text("31112000003 済".into()), "31112000003 済", "数字・ハイフン・空白以外"),
        (Value::Text("000-00-00000-0".into()), "000-00-00000-0", "仮の番号"),
        (Value::Text("123-45-67890-1".into()), "123-45-67890-1", "仮の番号"),
        (Value::Number("1234567".into()), "1234567", "11〜13桁です（7桁"),
        (Value::Date(2026, 4, 2), "2026-04-02", "日付"),
    ];
    let mut rows = rows_of(&batch, |r| Value::Number(number(r)));
    assert!(rows.len() > bad.len());
    for (r, (value, _, _)) in bad.iter().enumerate() {
        rows[r].registered = value.clone();
    }
    let list = write_list(dir.path(), "bad.xlsx", &[("発送リスト", &rows)]);
    let o = import(&list, &out);
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}{}", text(&o.stderr));
    for (r, (_, shown, reason)) in bad.iter().enumerate() {
        let line = said
            .lines()
            .find(|l| l.contains(&format!("」{}行目 J列（書留番号）", r + 2)))
            .unwrap_or_else(|| panic!("row {} is not reported:\n{said}", r + 2));
        assert!(line.contains(&format!("「{shown}」")) && line.contains(reason), "{line}");
        assert!(line.contains("記録しません"), "{line}");
    }
    let good = rows.len() - bad.len();
    assert!(said.contains(&format!("記録した発送：{good}通")), "{said}");
    let recorded = sent_events(&out);
    assert_eq!(recorded.len(), good);
    for row in &rows[..bad.len()] {
        assert!(!recorded.iter().any(|(c, _)| c == row.control()), "{} was recorded", row.control());
    }
    for (c, n) in &recorded {
        assert!(n.len() == 11 && n.starts_with("31112"), "{c} recorded with {n}");
    }
    // status counts them as not yet sent, and purge refuses.
    let id = batch.file_name().unwrap().to_str().unwrap();
    let status: serde_json::Value =
        serde_json::from_slice(&tsuchi(&["status", "--batch", id, "--json"], &out).stdout).unwrap();
    assert_eq!(status["sent"], good);
    assert_eq!(status["not_yet_sent"].as_array().unwrap().len(), bad.len());
    let before = secret_files(&batch);
    let purge = common::command().arg("purge").arg(&batch).output().unwrap();
    assert_eq!(purge.status.code(), Some(2));
    assert_eq!(secret_files(&batch), before);
}

#[test]
fn japan_posts_forms_are_recorded_as_their_digits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = issued_batch(&out, &[]);
    let forms = [
        (Value::Text("131-12-38385-2".into()), "13112383852"),
        (Value::Text("１３１－１２－３８３８６－３".into()), "13112383863"),
        (Value::Text("4011-2233-4456".into()), "401122334456"),
        (Value::Text("4011 2233 4467".into()), "401122334467"),
        (Value::Number("5512345678906".into()), "5512345678906"),
    ];
    let mut rows = rows_of(&batch, |_| Value::Blank);
    for (r, (value, _)) in forms.iter().enumerate() {
        rows[r].registered = value.clone();
    }
    let list = write_list(dir.path(), "forms.xlsx", &[("発送リスト", &rows)]);
    let o = import(&list, &out);
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{said}{}", text(&o.stderr));
    let recorded = sent_events(&out);
    let expected: Vec<(String, String)> =
        forms.iter().enumerate().map(|(r, (_, digits))| (rows[r].control().to_string(), digits.to_string())).collect();
    assert_eq!(recorded, expected);
    assert!(said.contains(&format!("書留番号が空欄（未発送）：{}通", rows.len() - forms.len())), "{said}");
}

#[test]
fn the_same_registered_number_on_two_rows_records_neither() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = issued_batch(&out, &[]);
    let mut rows = rows_of(&batch, |r| Value::Number(number(r)));
    // The same number, once typed with hyphens: still the same envelope.
    rows[3].registered = Value::Text("311-12-00000-3".into());
    assert_eq!(rows[0].registered, Value::Number("31112000003".into()));
    // A copy-paste slip onto a row whose 発送日 is wrong as well: still a slip on both.
    rows[6].registered = rows[7].registered.clone();
    rows[7].sent_on = Value::Date(2099, 1, 1);
    let list = write_list(dir.path(), "dup.xlsx", &[("発送リスト", &rows)]);
    let o = import(&list, &out);
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}");
    let line = |r: usize| said.lines().find(|l| l.contains(&format!("」{r}行目 J列"))).unwrap_or_default().to_string();
    assert!(line(2).contains("同じ書留番号が シート「発送リスト」5行目 にも"), "{said}");
    assert!(line(5).contains("同じ書留番号が シート「発送リスト」2行目 にも"), "{said}");
    assert!(line(8).contains("同じ書留番号が シート「発送リスト」9行目 にも"), "{said}");
    let recorded = recorded_controls(&out);
    assert_eq!(recorded.len(), rows.len() - 4);
    for r in [0, 3, 6, 7] {
        assert!(!recorded.contains(&rows[r].control().to_string()), "row {} recorded", r + 2);
    }
}

#[test]
fn a_number_recorded_for_another_notice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = issued_batch(&out, &[]);
    let mut rows = rows_of(&batch, |r| if r == 0 { Value::Number(number(0)) } else { Value::Blank });
    let first = write_list(dir.path(), "first.xlsx", &[("発送リスト", &rows)]);
    assert_eq!(import(&first, &out).status.code(), Some(0));
    // Later, on a fresh copy of the list, the clerk types the same number for the second envelope.
    rows[0].registered = Value::Blank;
    rows[1].registered = Value::Number(number(0));
    let second = write_list(dir.path(), "second.xlsx", &[("発送リスト", &rows)]);
    let o = import(&second, &out);
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}");
    let line = said.lines().find(|l| l.contains("」3行目 J列（書留番号）")).expect(&said);
    assert!(line.contains(&number(0)) && line.contains(&format!("管理番号 {}", rows[0].control())), "{line}");
    assert_eq!(sent_events(&out), vec![(rows[0].control().to_string(), number(0))]);
}

#[test]
fn a_sending_date_before_the_batch_or_after_today_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = issued_batch(&out, &[]);
    let mut rows = rows_of(&batch, |r| Value::Number(number(r)));
    rows[0].sent_on = Value::Date(2026, 3, 31);
    rows[1].sent_on = Value::Date(2099, 4, 2);
    rows[2].sent_on = Value::Text("2099/01/01".into());
    rows[3].sent_on = Value::Error("#N/A");
    rows[4].sent_on = Value::Text("4月2日".into());
    let list = write_list(dir.path(), "dates.xlsx", &[("発送リスト", &rows)]);
    let o = import(&list, &out);
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}");
    for (r, value, reason) in [
        (2, "2026-03-31", "発行日 2026-04-01 より前"),
        (3, "2099-04-02", "今日"),
        (4, "2099/01/01", "今日"),
        (5, "#N/A", "エラー値"),
        (6, "4月2日", "2026-04-01 の形で"),
    ] {
        let line = said.lines().find(|l| l.contains(&format!("」{r}行目 K列（発送日）"))).expect(&said);
        assert!(line.contains(&format!("「{value}」")) && line.contains(reason), "{line}");
    }
    let recorded = recorded_controls(&out);
    assert_eq!(recorded.len(), rows.len() - 5);
    assert!(controls(&rows[..5]).iter().all(|c| !recorded.contains(c)));
}

/// Two batches of the sample list: the second reissues R08-0007 (事業所番号 2772000267).
fn two_batches(out: &Path) -> (PathBuf, PathBuf) {
    let first = issued_batch(out, &[]);
    std::thread::sleep(std::time::Duration::from_millis(1100)); // batch IDs are by the second
    let second = issued_batch(out, &["--reissue", "R08-0007", "--reason", "紛失"]);
    assert_ne!(first, second);
    (first, second)
}

#[test]
fn every_mailing_list_sheet_of_a_workbook_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (first, second) = two_batches(&out);
    let a = rows_of(&first, |r| Value::Number(number(r)));
    let b = rows_of(&second, |r| Value::Number(number(100 + r)));
    assert!(!b.is_empty());
    let list = write_list(dir.path(), "both.xlsx", &[("一月", &a), ("二月", &b)]);
    let o = import(&list, &out);
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{said}{}", text(&o.stderr));
    assert!(said.contains(&format!("記録した発送：{}通", a.len() + b.len())), "{said}");
    assert!(said.contains("シート「二月」2行目"), "{said}");
    let recorded = recorded_controls(&out);
    assert!(controls(&a).iter().chain(controls(&b).iter()).all(|c| recorded.contains(c)));
    for batch in [&first, &second] {
        let id = batch.file_name().unwrap().to_str().unwrap();
        let status: serde_json::Value =
            serde_json::from_slice(&tsuchi(&["status", "--batch", id, "--json"], &out).stdout).unwrap();
        assert_eq!(status["not_yet_sent"].as_array().unwrap().len(), 0, "{status}");
    }
}

#[test]
fn an_office_number_with_several_envelopes_asks_for_the_control_number() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (first, second) = two_batches(&out);
    let o = tsuchi(&["mail", "returned", "2772000267", "--reason", "宛所不明"], &out);
    let said = text(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{said}");
    assert!(said.contains("2通") && said.contains("管理番号で指定"), "{said}");
    let story: serde_json::Value =
        serde_json::from_slice(&tsuchi(&["status", "R08-0007", "--json"], &out).stdout).unwrap();
    let envelope = |batch: &Path| {
        let id = batch.file_name().unwrap().to_str().unwrap();
        let life = story.as_array().unwrap().iter().find(|l| l["batch"] == id).unwrap_or_else(|| panic!("{story}"));
        life["notice"]["control_no"].as_str().unwrap().to_string()
    };
    let (old, new) = (envelope(&first), envelope(&second));
    assert_ne!(old, new);
    for (control, batch) in [(&old, &first), (&new, &second)] {
        let id = batch.file_name().unwrap().to_str().unwrap();
        let line = said.lines().find(|l| l.contains(control.as_str())).expect(&said);
        assert!(line.contains("R08-0007") && line.contains("再発行") && line.contains(id), "{line}");
    }
    assert_eq!(event_count(&out, "mail.returned"), 0);
    // By the request number, too: two envelopes.
    let o = tsuchi(&["mail", "returned", "R08-0007", "--reason", "宛所不明"], &out);
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(event_count(&out, "mail.returned"), 0);
    // The 管理番号 on the envelope in hand picks it.
    let o = tsuchi(&["mail", "returned", &old, "--reason", "宛所不明"], &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(&old));
    assert_eq!(event_count(&out, "mail.returned"), 1);
}

#[test]
fn mail_import_reports_each_row_in_english_and_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = issued_batch(&out, &[]);
    let mut rows = rows_of(&batch, |r| Value::Number(number(r)));
    rows[1].registered = Value::Text("未発送".into());
    rows[2].registered = Value::Blank;
    let list = write_list(dir.path(), "list.xlsx", &[("発送リスト", &rows)]);
    let o = tsuchi(&["--lang", "en", "mail", "import", list.to_str().unwrap()], &out);
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains(&format!("Mailings recorded: {}", rows.len() - 2)), "{said}");
    assert!(said.contains("Rows not recorded: 1"), "{said}");
    assert!(
        said.contains("sheet 「発送リスト」 row 3, column J (「書留番号」) 「未発送」: Not a registered-mail number"),
        "{said}"
    );
    assert!(said.contains(&format!("sheet 「発送リスト」 row 2  {}", rows[0].control())), "{said}");
    assert_eq!(common::japanese_outside_quotes(&said), "", "{said}");

    let o = tsuchi(&["mail", "import", list.to_str().unwrap(), "--json"], &out);
    assert_eq!(o.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o.stdout)));
    assert_eq!(json["recorded"], 0);
    assert_eq!(json["unchanged"], rows.len() - 2);
    assert_eq!(json["not_yet"], 1);
    assert_eq!(json["refused"], 1);
    let refused = &json["rows"][1];
    assert_eq!(refused["outcome"], "refused");
    assert_eq!((refused["sheet"].as_str(), refused["row"].as_u64()), (Some("発送リスト"), Some(3)));
    assert_eq!((refused["column"].as_str(), refused["value"].as_str()), (Some("J"), Some("未発送")));
    assert_eq!(json["rows"][0]["outcome"], "unchanged");
    assert_eq!(json["rows"][0]["registered_no"], number(0));
    assert_eq!(json["rows"][2]["outcome"], "not_yet");
}

/// A batch whose every paper notice is recorded as sent, ready to purge.
fn sent_batch(dir: &Path, out: &Path) -> PathBuf {
    let batch = batch_dir_after_run(out);
    let rows = rows_of(&batch, |r| Value::Number(number(r)));
    let list = write_list(dir, "all.xlsx", &[("発送リスト", &rows)]);
    assert_eq!(import(&list, out).status.code(), Some(0));
    batch
}

fn batch_dir_after_run(out: &Path) -> PathBuf {
    issued_batch(out, &[]);
    batch_dir(out)
}

fn purged_paths(out: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    let detail: String =
        conn.query_row("SELECT detail FROM events WHERE kind = 'batch.purged'", [], |r| r.get(0)).unwrap();
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    detail["files"].as_array().unwrap().iter().map(|f| f[0].as_str().unwrap().to_string()).collect()
}

#[test]
fn purge_leaves_a_file_changed_since_the_batch_alone_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = sent_batch(dir.path(), &out);
    let changed = batch.join("notices").join("1371000017_登録結果.pdf");
    let mut bytes = std::fs::read(&changed).unwrap();
    bytes.extend_from_slice(b"%% appended later\n");
    std::fs::write(&changed, &bytes).unwrap();
    let o = common::command().arg("purge").arg(&batch).output().unwrap();
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}{}", text(&o.stderr));
    assert!(said.contains("notices/1371000017_登録結果.pdf：内容が台帳に記録された SHA-256 と一致しません"), "{said}");
    assert_eq!(std::fs::read(&changed).unwrap(), bytes, "the changed file was touched");
    let purged = purged_paths(&out);
    assert!(!purged.contains(&"notices/1371000017_登録結果.pdf".to_string()), "{purged:?}");
    assert!(purged.contains(&"notices/1371000124_再発行.pdf".to_string()), "{purged:?}");
    assert!(!batch.join("notices").join("1371000124_再発行.pdf").exists());
}

#[cfg(unix)]
#[test]
fn purge_does_not_follow_a_symlink_put_in_place_of_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = sent_batch(dir.path(), &out);
    // The link points at a copy of the sealed bytes outside the batch: only the link check
    // and O_NOFOLLOW keep purge off it, not the hash.
    let notice = batch.join("notices").join("1371000017_登録結果.pdf");
    let outside = dir.path().join("elsewhere.pdf");
    std::fs::rename(&notice, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &notice).unwrap();
    // And the whole zip folder moved out and linked back.
    let zip_outside = dir.path().join("zip-elsewhere");
    std::fs::rename(batch.join("zip"), &zip_outside).unwrap();
    std::os::unix::fs::symlink(&zip_outside, batch.join("zip")).unwrap();
    let before = (hashes(&zip_outside), std::fs::read(&outside).unwrap());

    let o = common::command().arg("purge").arg(&batch).output().unwrap();
    let said = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}{}", text(&o.stderr));
    assert!(said.contains("notices/1371000017_登録結果.pdf：シンボリックリンク"), "{said}");
    assert!(said.contains("zip/1371000017_登録結果.zip：実体がバッチのフォルダの外"), "{said}");
    assert_eq!((hashes(&zip_outside), std::fs::read(&outside).unwrap()), before, "purge touched a file outside");
    assert!(std::fs::symlink_metadata(&notice).unwrap().file_type().is_symlink());
    let purged = purged_paths(&out);
    assert!(purged.iter().all(|p| !p.starts_with("zip/") && p != "notices/1371000017_登録結果.pdf"), "{purged:?}");
    assert!(purged.contains(&"notices/1371000124_再発行.pdf".to_string()), "{purged:?}");
}
