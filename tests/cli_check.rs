//! `tsuchi check` as a clerk runs it: exit codes, the rejected-rows lists, and one clear
//! message (and nothing written) for a file that cannot be read.

use std::path::Path;
use std::process::Output;

use calamine::{Data, Reader};

mod common;
use common::sample;

fn check(file: &Path, out: &Path) -> Output {
    common::command().arg("check").arg(file).arg("--out").arg(out).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn exit_code_is_zero_when_every_row_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(&sample("requests.xlsx"), dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("発行対象　　：20件"), "{stdout}");
    assert!(dir.path().join("rejected.xlsx").exists());
}

#[test]
fn exit_code_is_one_when_rows_are_rejected_and_lists_name_row_column_value_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(&sample("requests_with_mistakes.xlsx"), dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("3行目 D列「事業所番号」 値「1311111111」"), "{stdout}");

    let mut book = calamine::open_workbook_auto(dir.path().join("rejected.xlsx")).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows[0].iter().map(|c| c.to_string()).collect::<Vec<_>>(), ["行", "列", "項目", "値", "理由"]);
    let formula_row = rows.iter().find(|r| r[3] == "=1+2").expect("the =1+2 value is listed");
    assert!(matches!(formula_row[3], Data::String(_)), "a value must stay a string cell, not a formula");
    assert_eq!(formula_row[0], Data::Float(14.0));
    // 12 problems, and the 却下 row: every row that will not be issued is listed.
    assert_eq!(rows.len() - 1, 13);
    assert!(rows.iter().any(|r| r[0] == Data::Float(15.0) && r[3] == "却下"));

    let csv = std::fs::read(dir.path().join("rejected.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "BOM so that Japanese Excel reads UTF-8");
    let csv = text(&csv[3..]);
    assert!(csv.contains(",'=1+2,"), "{csv}");
    assert!(csv.contains("14,F,郵便番号"), "{csv}");
    assert_eq!(csv.lines().count(), 14);
}

#[test]
fn password_rules_show_each_policy_and_the_symbol_set_where_symbols_are_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tsuchi.toml");
    std::fs::write(&config, "[passwords.zip]\nlength = 20\nsymbols = true\n").unwrap();
    let out = common::command()
        .arg("check")
        .arg(sample("requests.xlsx"))
        .arg("--out")
        .arg(dir.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rules = stdout.split("■ パスワードの規則").nth(1).expect("the rules are shown");
    assert!(rules.contains("仮パスワード：16文字、使う文字 56種類"), "{rules}");
    assert!(rules.contains("ZIPの開封パスワード：20文字、使う文字 76種類"), "{rules}");
    // Only the ZIP policy has symbols: the set is shown once, under it.
    assert_eq!(rules.matches("使う記号：").count(), 1, "{rules}");
    assert!(
        rules.contains("ZIPの開封パスワード：20文字、使う文字 76種類、強さ 約")
            && rules.contains("    使う記号：#$%&()+-/;<=>?@^_{}~\n"),
        "{rules}"
    );
}

fn assert_unreadable(file: &Path, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = check(file, &out_dir);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    assert!(stderr.contains(&*file.file_name().unwrap().to_string_lossy()), "names the file: {stderr}");
    assert!(out.stdout.is_empty());
    assert!(!out_dir.exists(), "nothing is written for an unreadable file");
}

#[test]
fn unreadable_files_get_one_message_and_exit_code_two() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    assert_unreadable(&dir.path().join("missing.xlsx"), "見つかりません");
    assert_unreadable(&write("empty.csv", b""), "データがありません");
    assert_unreadable(&write("blank.csv", b"\r\n,,\r\n"), "データがありません");
    assert_unreadable(&write("garbage.xlsx", b"PK\x03\x04 this is not a workbook"), "開けません");
    assert_unreadable(&write("binary.csv", &[0x00, 0xFF, 0x81, 0x00, 0x10]), "文字コード");
    assert_unreadable(&write("noheader.csv", b"a,b,c\r\n1,2,3\r\n"), "見出し行");
    assert_unreadable(
        &write("missing_column.csv", "申請番号,通知種別,事業所名\r\nR1,再発行,さくら\r\n".as_bytes()),
        "「事業所番号」",
    );
    assert_unreadable(&write("list.pdf", b"%PDF-1.7"), "対応していません");
}
