//! `--lang en`: every line tsuchi says at the console, the help, the summary and the
//! rejected-rows lists are English; the notices and the documents for the mail room and the
//! auditors (発送リスト, 監査ログ, the audit trail) stay Japanese.

use std::path::Path;
use std::process::Output;

use calamine::Reader;

mod common;
use common::{command, sample, text};

/// A clean list: every row issues, nothing to note (ten-digit office numbers, postal codes
/// that match their addresses), so whatever Japanese the console prints is tsuchi's own.
const CLEAN: &str = "申請番号,通知種別,審査結果,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID,請求先都道府県,宛名\r\n\
R08-0001,登録結果,承認,1371000017,社会福祉法人あおぞら会 特別養護老人ホームさくら苑,100-0013,東京都千代田区霞が関1丁目3番2号,03-3581-0001,03-3581-0002,KJ131371000017,13,施設長 山田 太郎\r\n\
R08-0002,再発行,承認,1371000124,訪問介護ステーションひまわり,160-0023,東京都新宿区西新宿2-8-1 新宿ビル3F,03-5321-1111,03-5321-1112,KJ131371000124,13,\r\n\
R08-0003,証明書PW再発行,承認,1371000231,訪問介護ステーションひまわり 第二事業所,160-0023,東京都新宿区西新宿2-8-1 新宿ビル4F,03-5321-1113,03-5321-1114,KJ131371000231,13,\r\n";

/// The lines of `output` with Japanese outside 「」 (a quoted column name or value).
fn japanese_outside_quotes(output: &str) -> Vec<&str> {
    output.lines().filter(|line| !common::japanese_outside_quotes(line).is_empty()).collect()
}

/// Runs `tsuchi --lang en …` in `cwd` with the list of ledgers in `home`; returns stdout and
/// stderr together, after asserting the exit code and that all of it is English.
fn english(cwd: &Path, home: &Path, args: &[&str], code: i32) -> String {
    let out: Output =
        command().env("TSUCHI_HOME", home).arg("--lang").arg("en").args(args).current_dir(cwd).output().unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(code), "tsuchi {args:?}:\n{all}");
    let japanese = japanese_outside_quotes(&all);
    assert!(
        japanese.is_empty(),
        "tsuchi --lang en {args:?} says Japanese:\n{}\n\nall of it:\n{all}",
        japanese.join("\n")
    );
    all
}

#[test]
fn the_help_of_every_command_follows_lang() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["check", "--help"],
        &["verify", "--help"],
        &["mail", "import", "--help"],
        &["mail", "returned", "--help"],
        &["status", "--help"],
        &["purge", "--help"],
        &["audit", "export", "--help"],
        &["barcode", "--help"],
        &["calibrate", "--help"],
        &["init", "--help"],
    ] {
        english(dir.path(), &home, args, 0);
    }
    let run = english(dir.path(), &home, &["run", "--help"], 0);
    assert!(run.contains("Issues passwords from a request list"), "{run}");
    assert!(run.contains("--reissue <REQUEST_NUMBER>"), "{run}");
    let version = english(dir.path(), &home, &["--version"], 0);
    assert!(version.contains("(postal code data "), "{version}");

    // TSUCHI_LANG does the same; Japanese stays the default.
    let env = command().env("TSUCHI_LANG", "en").args(["run", "--help"]).output().unwrap();
    assert!(text(&env.stdout).contains("Issues passwords from a request list"));
    let ja = command().args(["run", "--help"]).output().unwrap();
    assert!(
        text(&ja.stdout).contains("申請一覧からパスワードを発行し、通知書（PDF）を作成します。"),
        "{}",
        text(&ja.stdout)
    );
    // ASCII value names in both languages: clap counts characters, not columns.
    assert!(text(&ja.stdout).contains("--reissue <REQUEST_NUMBER>"), "{}", text(&ja.stdout));
    // A value clap refuses is explained in the language asked for.
    let bad = command().args(["--lang", "en", "check", "x.csv", "--date", "2026/4/1"]).output().unwrap();
    assert!(text(&bad.stderr).contains("Give the date 「2026/4/1」 as YYYY-MM-DD"), "{}", text(&bad.stderr));
}

#[test]
fn a_batch_and_the_life_of_its_notices_are_told_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let (cwd, home) = (dir.path(), dir.path().join("home"));
    std::fs::write(cwd.join("clean.csv"), CLEAN).unwrap();
    common::test_config(cwd);

    let check =
        english(cwd, &home, &["check", "clean.csv", "--date", "2026-04-01", "--allow-date", "--out", "checked"], 0);
    assert!(
        check.contains("To issue:      3 (registration result 1, login reissue 1, certificate password reissue 1)"),
        "{check}"
    );
    assert!(check.contains("■ Password rules"), "{check}");

    let run = english(cwd, &home, &["run", "clean.csv", "--date", "2026-04-01", "--allow-date"], 0);
    for expected in [
        "│ Registration result ",
        "│ Notices in total ",
        "Mailing list: 「print/発送リスト.xlsx」",
        "No system registration file was made: with [handoff] mode = \"manual\"",
    ] {
        assert!(run.contains(expected), "{expected}:\n{run}");
    }
    let batch = common::batch_dir(&cwd.join("output"));
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();

    let again = english(cwd, &home, &["run", "clean.csv", "--date", "2026-04-01", "--allow-date"], 0);
    assert!(again.contains("Row 2, request number 「R08-0001」, registration result: issued in batch"), "{again}");
    assert!(again.contains("■ Nothing to issue (no batch was made)"), "{again}");

    let verify = english(cwd, &home, &["verify"], 0);
    assert!(verify.contains("all match"), "{verify}");
    let status = english(cwd, &home, &["status", "R08-0001"], 0);
    assert!(status.contains("■ Request number R08-0001, registration result, office number 1371000017"), "{status}");
    let control = format!("{id}-00001");
    let returned = english(cwd, &home, &["mail", "returned", &control, "--reason", "宛所不明"], 0);
    assert!(returned.contains("(「宛所不明」)"), "{returned}");
    let status = english(cwd, &home, &["status", "--batch", &id], 0);
    assert!(
        status.contains("2 by mail (0 sent, 1 returned, 1 not yet sent, 0 destroyed unsent), 1 sent electronically"),
        "{status}"
    );
    let refused = english(cwd, &home, &["purge", batch.to_str().unwrap()], 2);
    assert!(refused.contains("Error: Batch ") && refused.contains("--force --reason REASON"), "{refused}");
    let purged = english(cwd, &home, &["purge", batch.to_str().unwrap(), "--force", "--reason", "test"], 0);
    assert!(purged.contains("(notices not yet sent among them; the reason is recorded)"), "{purged}");
    let verify = english(cwd, &home, &["verify", batch.to_str().unwrap()], 0);
    // One line for the batch's purge, not one per file.
    assert!(verify.contains(&format!("  - Batch {id}: purged: ")) && verify.contains(" files ("), "{verify}");
    assert!(!verify.contains("1371000017"), "{verify}");
    // The mail room's list comes back filled in: one sent, one unknown, one with a bad date.
    let mut filled = rust_xlsxwriter::Workbook::new();
    let sheet = filled.add_worksheet();
    let rows = [
        ["管理番号", "書留番号", "発送日"].map(String::from),
        [format!("{id}-00002"), "131-12-38385-2".into(), "2026-04-02".into()],
        ["XX-99999".into(), "131-12-38386-3".into(), String::new()],
        [format!("{id}-00001"), "131-12-38387-4".into(), "四月一日".into()],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    filled.save(cwd.join("filled.xlsx")).unwrap();
    let import = english(cwd, &home, &["mail", "import", "filled.xlsx"], 1);
    for expected in [
        "Mailings recorded: 1",
        "registered-mail number 13112383852  recorded",
        "sheet 「Sheet1」 row 3, column A (「管理番号」) 「XX-99999」: The control number 「XX-99999」 is not in the ledger (not recorded)",
        "sheet 「Sheet1」 row 4, column C (「発送日」) 「四月一日」: Enter the sending date 「四月一日」 as 2026-04-01 (not recorded)",
    ] {
        assert!(import.contains(expected), "{expected}:\n{import}");
    }
    let export = english(cwd, &home, &["audit", "export", "--dest", "audit"], 0);
    assert!(export.contains("Every ledger row and the event chain: all match"), "{export}");
    english(cwd, &home, &["status"], 2);
    english(cwd, &home, &["init", "new.toml"], 0);
    english(cwd, &home, &["init", "new.toml"], 2);
    english(cwd, &home, &["ledgers"], 0);
    english(cwd, &home, &["barcode", "100-0013", "東京都千代田区霞が関1丁目3番2号"], 0);

    // The audit trail and the documents made from it stay Japanese.
    let events = std::fs::read_to_string(batch.join("audit").join("events.jsonl")).unwrap();
    assert!(events.contains("受付システムへのパスワードの登録は運用担当が別の経路で行います"), "{events}");
    let log = calamine::open_workbook_auto(cwd.join("audit").join("監査ログ.xlsx")).unwrap();
    assert_eq!(log.sheet_names()[0], "概要");
    let mut list = calamine::open_workbook_auto(batch.join("print").join("発送リスト.xlsx")).unwrap();
    let header = list
        .worksheet_range_at(0)
        .unwrap()
        .unwrap()
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>();
    assert_eq!(header[..3], ["連番", "管理番号", "郵便番号"]);
}

#[test]
fn the_rejected_rows_list_follows_lang_and_the_ledger_stays_japanese() {
    let dir = tempfile::tempdir().unwrap();
    let (cwd, home) = (dir.path(), dir.path().join("home"));
    common::test_config(cwd);
    let out = command()
        .env("TSUCHI_HOME", &home)
        .args(["--lang", "en", "run"])
        .arg(sample("requests_with_mistakes.xlsx"))
        .current_dir(cwd)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let batch = common::batch_dir(&cwd.join("output"));

    let mut book = calamine::open_workbook_auto(batch.join("rejected.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["Rejected rows"]);
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header, ["Row", "Column", "Heading", "Value", "Reason"]);
    let csv = std::fs::read_to_string(batch.join("rejected.csv")).unwrap();
    assert!(csv.starts_with("\u{FEFF}Row,Column,Heading,Value,Reason\r\n"), "{csv}");

    // Run again: every issued row is listed as issued before, in English.
    let again = command()
        .env("TSUCHI_HOME", &home)
        .args(["--lang", "en", "check"])
        .arg(sample("requests_with_mistakes.xlsx"))
        .current_dir(cwd)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    let csv = std::fs::read_to_string(cwd.join("output").join("check").join("rejected.csv")).unwrap();
    assert!(csv.contains(",M-01,\"Issued before (batch ") || csv.contains(",M-01,Issued before (batch "), "{csv}");
    assert!(csv.contains("registration result). To issue it again, run with --reissue M-01 --reason REASON"), "{csv}");

    // What tsuchi itself writes into the ledger is Japanese whatever the console spoke.
    let ledger = rusqlite::Connection::open(cwd.join("output").join("ledger.sqlite")).unwrap();
    let reason: String =
        ledger.query_row("SELECT detail FROM events WHERE kind = 'handoff.not_written'", [], |r| r.get(0)).unwrap();
    assert!(reason.contains("別の経路"), "{reason}");

    // Japanese stays the default.
    let ja = command()
        .env("TSUCHI_HOME", &home)
        .arg("check")
        .arg(sample("requests_with_mistakes.xlsx"))
        .arg("--out")
        .arg("ja")
        .current_dir(cwd)
        .output()
        .unwrap();
    assert_eq!(ja.status.code(), Some(1));
    let csv = std::fs::read_to_string(cwd.join("ja").join("rejected.csv")).unwrap();
    assert!(csv.starts_with("\u{FEFF}行,列,項目,値,理由\r\n"), "{csv}");
}

/// The done-when: the whole of `tsuchi --lang en check` on the sample with mistakes is
/// English — framing, reasons, notes and summary — with Japanese only where it quotes the
/// clerk's own headings and values in 「」.
#[test]
fn check_of_the_sample_with_mistakes_is_all_english() {
    let dir = tempfile::tempdir().unwrap();
    let (cwd, home) = (dir.path(), dir.path().join("home"));
    let out = command()
        .env("TSUCHI_HOME", &home)
        .args(["--lang", "en", "check"])
        .arg(sample("requests_with_mistakes.xlsx"))
        .current_dir(cwd)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("Row 3, column D 「事業所番号」 (office number): 「1311111111」: The check digit"), "{said}");
    assert!(said.contains("■ Rows not issued because their review result is not 「承認」 (approved)"), "{said}");
    assert!(
        said.contains("Row 15, request number 「M-13」, office number 「2671000202」: review result 「却下」"),
        "{said}"
    );
    assert!(said.contains("Rejected:      12 rows (12 problems)"), "{said}");
    let japanese = japanese_outside_quotes(&said);
    assert!(japanese.is_empty(), "{}\n\nall of it:\n{said}", japanese.join("\n"));
    assert!(text(&out.stderr).trim().is_empty(), "{}", text(&out.stderr));
}

#[test]
fn a_command_line_clap_refuses_is_explained_in_the_clerks_language_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str, &str); 5] = [
        (&["run", "x.csv", "--bogus"], "知らない引数「--bogus」があります", "Unknown argument 「--bogus」"),
        (&["run"], "必要な引数がありません：<REQUESTS>", "A required argument is missing: <REQUESTS>"),
        (&["run", "x.csv", "--out"], "--out <OUT> に値がありません", "--out <OUT> needs a value"),
        (&["frobnicate"], "知らないコマンド「frobnicate」です", "Unknown command 「frobnicate」"),
        (
            &["--lang", "fr", "check", "x.csv"],
            "--lang <ja|en> の値「fr」が正しくありません",
            "The value 「fr」 of --lang",
        ),
    ];
    for (args, ja, en) in cases {
        let out = command().env_remove("TSUCHI_LANG").args(args).current_dir(dir.path()).output().unwrap();
        let said = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {said}");
        assert!(said.starts_with("エラー："), "{args:?}: {said}");
        assert!(said.contains(ja), "{args:?}: {said}");
        assert!(said.contains("詳しくは --help"), "{said}");
        for english in ["error:", "Usage:", "For more information", "unexpected argument"] {
            assert!(!said.contains(english), "{args:?} says clap's English 「{english}」: {said}");
        }
        if args[0] == "--lang" {
            continue;
        }
        let en_args: Vec<&str> = ["--lang", "en"].iter().chain(args).copied().collect();
        let said = english(dir.path(), &dir.path().join("home"), &en_args, 2);
        assert!(said.contains(en) && said.starts_with("Error: "), "{en_args:?}: {said}");
    }
    // Usage lines name the command in the clerk's words.
    let out = command().args(["run", "--bogus"]).current_dir(dir.path()).output().unwrap();
    assert!(text(&out.stderr).contains("使い方： tsuchi run [OPTIONS] <REQUESTS>"), "{}", text(&out.stderr));
}

#[test]
fn the_help_is_in_the_clerks_words_and_its_columns_align() {
    for (lang, headings) in [
        ("ja", ["使い方：", "引数", "オプション", "このヘルプを表示します"]),
        ("en", ["Usage:", "Arguments", "Options", "Print help"]),
    ] {
        let out = command().args(["--lang", lang, "run", "--help"]).output().unwrap();
        let help = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0));
        for h in headings {
            assert!(help.contains(h), "{lang}: {h}\n{help}");
        }
        if lang == "ja" {
            for english in ["Usage:", "Options:", "Arguments:", "Print help"] {
                assert!(!help.contains(english), "{english}\n{help}");
            }
        }
        // Every option's help starts in the same column (value names are ASCII).
        let starts: std::collections::BTreeSet<usize> = help
            .lines()
            .filter(|l| l.trim_start().starts_with('-'))
            .map(|l| {
                // Flags and value names are ASCII: a byte offset is a column.
                let flags = l.trim_start();
                let gap = flags.find("  ").unwrap();
                let help = flags[gap..].trim_start();
                l.len() - help.len()
            })
            .collect();
        assert_eq!(starts.len(), 1, "{lang}: help columns differ {starts:?}\n{help}");
    }
}
