//! A notice's whole life as the mail room and the auditor live it: the 発送リスト filled in and
//! imported (twice: nothing changes), a 返戻, `status` telling the story, `purge` leaving no
//! password in any byte of the batch folder, and `verify` reporting the purged files as
//! 廃棄済み.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{batch_dir, files_under, sample, secrets_in, text, tool};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn tsuchi(args: &[&str], out: &Path) -> Output {
    common::command().args(args).arg("--out").arg(out).output().unwrap()
}

fn run_samples(out: &Path) -> PathBuf {
    let config = common::test_config(out.parent().unwrap());
    let o = common::command()
        .args(["run", sample("requests.xlsx").to_str().unwrap(), "--date", "2026-04-01", "--allow-date", "--out"])
        .arg(out)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    batch_dir(out)
}

/// The mailing list as tsuchi wrote it: its rows (管理番号 in the second column).
fn list_rows(batch: &Path) -> Vec<Vec<String>> {
    let rows = common::xlsx_rows(&batch.join("print").join("発送リスト.xlsx"));
    rows.into_iter().skip(1).collect()
}

/// The list as the mail room fills it: 書留番号 typed into the last column (as a number, as
/// Excel keeps digits) for the rows `registered` gives, and a 発送日 column with a date cell.
fn filled(dir: &Path, name: &str, rows: &[Vec<String>], registered: impl Fn(usize) -> Option<String>) -> PathBuf {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let header = [
        "連番",
        "管理番号",
        "郵便番号",
        "住所",
        "事業所名",
        "宛名",
        "通知種別",
        "枚数",
        "カスタマバーコード",
        "書留番号",
        "発送日",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy/mm/dd");
    for (r, row) in rows.iter().enumerate() {
        let at = r as u32 + 1;
        for (c, value) in row.iter().take(9).enumerate() {
            sheet.write_string(at, c as u16, value).unwrap();
        }
        if let Some(number) = registered(r) {
            sheet.write_number(at, 9, number.parse::<f64>().unwrap()).unwrap();
            let when = ExcelDateTime::from_ymd(2026, 4, 2).unwrap();
            sheet.write_datetime_with_format(at, 10, &when, &date).unwrap();
        }
    }
    let path = dir.join(name);
    book.save(&path).unwrap();
    path
}

#[test]
fn sent_returned_status_purged_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = run_samples(&out);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let rows = list_rows(&batch);
    assert!(rows.len() > 2);
    let passwords: Vec<String> = files_under(&batch.join("notices")).iter().flat_map(|pdf| secrets_in(pdf)).collect();
    assert!(passwords.len() >= 20, "{passwords:?}");

    // Before anything is sent, purge refuses: the notices are not accounted for.
    let early = common::command().arg("purge").arg(&batch).output().unwrap();
    assert_eq!(early.status.code(), Some(2), "{}", text(&early.stdout));
    assert!(text(&early.stderr).contains("mail import"), "{}", text(&early.stderr));

    // The mail room fills every row but the last, which comes back as 宛所不明.
    let last = rows.len() - 1;
    let number = |r: usize| (r < last).then(|| format!("11223344{:04}", r));
    let list = filled(dir.path(), "filled.xlsx", &rows, number);
    let import = tsuchi(&["mail", "import", list.to_str().unwrap()], &out);
    assert_eq!(import.status.code(), Some(0), "{}{}", text(&import.stdout), text(&import.stderr));
    assert!(text(&import.stdout).contains(&format!("記録した発送：{}通", last)), "{}", text(&import.stdout));
    // Twice: nothing changes.
    let again = tsuchi(&["mail", "import", list.to_str().unwrap()], &out);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stdout).contains("記録した発送：0通"), "{}", text(&again.stdout));
    assert!(text(&again.stdout).contains(&format!("記録済み（変更なし）：{last}通")), "{}", text(&again.stdout));
    // A changed number and an unknown 管理番号 are reported and not recorded.
    let mut odd = rows.clone();
    odd[1][1] = format!("{id}-99999");
    let changed = filled(dir.path(), "changed.xlsx", &odd, |r| (r <= 1).then(|| format!("5566778800{r:02}")));
    let refused = tsuchi(&["mail", "import", changed.to_str().unwrap()], &out);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stdout));
    let said = text(&refused.stdout);
    assert!(said.contains("前回") && said.contains("記録しません"), "{said}");
    assert!(said.contains(&format!("{id}-99999")) && said.contains("台帳にありません"), "{said}");

    let returned_control = rows[last][1].clone();
    let returned = tsuchi(&["mail", "returned", &returned_control, "--reason", "宛所不明"], &out);
    assert_eq!(returned.status.code(), Some(0), "{}", text(&returned.stderr));

    // status tells the story of one notice: issued, bundled, sent with its number.
    let first_control = rows[0][1].clone();
    let story = tsuchi(&["status", &first_control], &out);
    assert_eq!(story.status.code(), Some(0), "{}", text(&story.stderr));
    let said = text(&story.stdout);
    for expected in ["発行", &id, "印刷束", &first_control, "発送", "112233440000", "2026-04-02"] {
        assert!(said.contains(expected), "「{expected}」 in\n{said}");
    }
    let story = text(&tsuchi(&["status", &returned_control], &out).stdout);
    assert!(story.contains("返戻") && story.contains("宛所不明"), "{story}");
    let json: serde_json::Value =
        serde_json::from_slice(&tsuchi(&["status", &first_control, "--json"], &out).stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    let summary: serde_json::Value =
        serde_json::from_slice(&tsuchi(&["status", "--batch", &id, "--json"], &out).stdout).unwrap();
    assert_eq!(summary["sent"], last);
    assert_eq!(summary["returned"], 1);
    assert_eq!(summary["not_yet_sent"].as_array().unwrap().len(), 0);

    // Purge: every file that holds or opens with a password goes; the record stays.
    let purge = common::command().arg("purge").arg(&batch).output().unwrap();
    assert_eq!(purge.status.code(), Some(0), "{}", text(&purge.stderr));
    for gone in ["notices", "zip", "secrets"] {
        assert!(!batch.join(gone).exists() || files_under(&batch.join(gone)).is_empty(), "{gone} left");
    }
    assert!(!batch.join("print").join(format!("{id}.pdf")).exists());
    assert!(batch.join("print").join("発送リスト.xlsx").exists());
    for file in files_under(&batch) {
        let bytes = std::fs::read(&file).unwrap();
        let mut texts = vec![String::from_utf8_lossy(&bytes).into_owned()];
        if file.extension().is_some_and(|e| e == "pdf") {
            texts.push(tool("pdftotext", &[file.to_str().unwrap(), "-"]));
        }
        for p in &passwords {
            assert!(!texts.iter().any(|t| t.contains(p.as_str())), "a password is left in {}", file.display());
        }
    }
    let verify = tsuchi(&["verify"], &out);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
    assert!(text(&verify.stdout).contains("廃棄済み"), "{}", text(&verify.stdout));
    let story = text(&tsuchi(&["status", &first_control], &out).stdout);
    assert!(story.contains("廃棄"), "{story}");
    // A purged file put back is a finding.
    std::fs::create_dir_all(batch.join("secrets")).unwrap();
    std::fs::write(batch.join("secrets").join("開封パスワード一覧.pdf"), b"restored").unwrap();
    let verify = tsuchi(&["verify"], &out);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify.stdout));
}

#[test]
fn a_forced_purge_needs_a_reason_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = run_samples(&out);
    let no_reason = common::command().arg("purge").arg(&batch).arg("--force").output().unwrap();
    assert_eq!(no_reason.status.code(), Some(2));
    // By batch ID under --out, as the other lifecycle commands find the ledger.
    let id = batch.file_name().unwrap().to_str().unwrap().to_string();
    let forced = tsuchi(&["purge", &id, "--force", "--reason", "誤送付のため破棄"], &out);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    let events = rusqlite::Connection::open(out.join("ledger.sqlite"))
        .unwrap()
        .query_row("SELECT detail FROM events WHERE kind = 'batch.purged'", [], |r| r.get::<_, String>(0))
        .unwrap();
    assert!(events.contains("誤送付のため破棄") && events.contains("\"forced\":true"), "{events}");
    let verify = tsuchi(&["verify"], &out);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

#[test]
fn a_mistyped_registered_number_is_corrected_only_with_correct_and_the_old_one_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let batch = run_samples(&out);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let rows = list_rows(&batch);
    let typed = filled(dir.path(), "typed.xlsx", &rows, |r| Some(format!("11223344{r:04}")));
    let import = tsuchi(&["mail", "import", typed.to_str().unwrap()], &out);
    assert_eq!(import.status.code(), Some(0), "{}{}", text(&import.stdout), text(&import.stderr));

    // Row 0's number was typed wrongly: the right one is 998877660000.
    let right = filled(dir.path(), "right.xlsx", &rows, |r| {
        Some(if r == 0 { "998877660000".to_string() } else { format!("11223344{r:04}") })
    });
    let refused = tsuchi(&["mail", "import", right.to_str().unwrap()], &out);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stdout));
    assert!(text(&refused.stdout).contains("--correct"), "{}", text(&refused.stdout));
    let control = rows[0][1].clone();
    let before = text(&tsuchi(&["status", &control], &out).stdout);
    assert!(before.contains("112233440000") && !before.contains("998877660000"), "{before}");

    let corrected = tsuchi(&["mail", "import", right.to_str().unwrap(), "--correct"], &out);
    assert_eq!(corrected.status.code(), Some(0), "{}{}", text(&corrected.stdout), text(&corrected.stderr));
    let said = text(&corrected.stdout);
    assert!(said.contains("訂正した発送：1通"), "{said}");
    assert!(said.contains("112233440000（発送日 2026-04-02） を 998877660000（発送日 2026-04-02） に訂正"), "{said}");
    // The history keeps both: sent with the old number, then the correction, and who made it.
    let story = text(&tsuchi(&["status", &control], &out).stdout);
    let sent = story.find("書留番号 112233440000").expect(&story);
    let fix = story.find("訂正　　書留番号 112233440000（発送日 2026-04-02） → 998877660000").expect(&story);
    assert!(sent < fix, "{story}");
    // Imported again, with or without --correct, nothing changes; the old number is free again.
    let again = tsuchi(&["mail", "import", right.to_str().unwrap()], &out);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    assert!(
        text(&again.stdout).contains(&format!("記録済み（変更なし）：{}通", rows.len())),
        "{}",
        text(&again.stdout)
    );
    let events = common::xlsx_rows(&{
        let dest = dir.path().join("export");
        let o = tsuchi(&["audit", "export", "--dest", dest.to_str().unwrap()], &out);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        dest.join("監査ログ.xlsx")
    });
    let correction = events.iter().find(|r| r.iter().any(|c| c == "mail.corrected")).expect("a mail.corrected event");
    let detail = correction.iter().find(|c| c.contains("was_registered_no")).unwrap();
    assert!(detail.contains("112233440000") && detail.contains("998877660000") && detail.contains(&id), "{detail}");
    let verify = tsuchi(&["verify"], &out);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}
