//! `--lang en` for the reasons a row is refused and what a request list's reader says: every
//! reason, note and file error in English, the clerk's own words (a column heading, a value,
//! a place name) quoted in 「」; Japanese stays the default.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::Workbook;
use tsuchi::engine::config::{Config, ConfigError};
use tsuchi::engine::intake::{self, Intake, IntakeError, NoticeKind, ReadOptions};
use tsuchi::ground::i18n::{Lang, with_lang};
use tsuchi::ground::model::{OfficeNo, PhoneNo, PostalCode, Prefecture, RequestId, UserId};

mod common;

/// The Japanese characters of `text` outside 「」, once the clerk's `values` are taken out.
fn japanese_outside_quotes(text: &str, values: &[String]) -> String {
    let mut rest = text.to_string();
    let mut values: Vec<&String> = values.iter().filter(|v| !v.trim().is_empty()).collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    for value in values {
        rest = rest.replace(value.as_str(), "");
    }
    common::japanese_outside_quotes(&rest)
}

#[track_caller]
fn assert_english(text: &str) {
    assert_english_but(text, &[]);
}

#[track_caller]
fn assert_english_but(text: &str, values: &[String]) {
    let found = japanese_outside_quotes(text, values);
    assert!(found.is_empty(), "Japanese outside 「」 ({found}) in: {text}");
    assert!(text.chars().any(|c| c.is_ascii_alphabetic()), "no English in: {text}");
}

fn en<R>(f: impl FnOnce() -> R) -> R {
    with_lang(Lang::En, f)
}

fn ja<R>(f: impl FnOnce() -> R) -> R {
    with_lang(Lang::Ja, f)
}

fn read(path: &Path) -> Result<Intake, IntakeError> {
    intake::read(path, &ReadOptions::default())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Every cell of the first sheet of a workbook, as text: the values a message may quote.
fn cell_values(path: &Path) -> Vec<String> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range.used_cells().map(|(_, _, cell)| cell.to_string()).collect()
}

/// The done-when: `tsuchi --lang en check samples/requests_with_mistakes.xlsx`, run
/// as written (from a folder holding `samples/`). Every rejection reason and every note the
/// console prints is English; the framing lines are main.rs's and are judged only when they
/// already speak English.
#[test]
fn check_of_the_sample_with_mistakes_gives_every_reason_in_english() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("samples")).unwrap();
    let file = dir.path().join("samples").join("requests_with_mistakes.xlsx");
    std::fs::copy(common::sample("requests_with_mistakes.xlsx"), &file).unwrap();
    let out = common::command()
        .args(["--lang", "en", "check", "samples/requests_with_mistakes.xlsx"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = common::text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", common::text(&out.stderr));

    // What the binary should have said, read the same way in English.
    let intake = en(|| read(&file)).unwrap();
    let values = cell_values(&file);
    let said: Vec<String> = intake
        .rejections
        .iter()
        .map(|r| r.reason.clone())
        .chain(intake.notes.iter().map(|n| n.message.clone()))
        .collect();
    assert_eq!(intake.rejections.len(), 12, "{:#?}", intake.rejections);
    assert!(!intake.notes.is_empty());

    for reason in &said {
        assert_english_but(reason, &values);
        let shown = tsuchi::engine::report::terminal_safe(reason);
        let line = stdout
            .lines()
            .find(|line| line.contains(&shown))
            .unwrap_or_else(|| panic!("the console does not say 「{shown}」 whole:\n{stdout}"));
        let frame = &line[..line.find(&shown).unwrap()];
        // Once main.rs frames a row in English, the frame is judged too.
        if frame.trim_start().starts_with("Row ") {
            assert_english_but(line, &values);
        }
    }
    // No reason is left in Japanese: the Japanese reasons of the same file are not printed.
    let japanese = ja(|| read(&file)).unwrap();
    for r in &japanese.rejections {
        assert!(!stdout.contains(&r.reason), "Japanese reason printed with --lang en: {}", r.reason);
    }
}

#[test]
fn code_field_reasons_are_english() {
    let reasons = en(|| {
        vec![
            OfficeNo::parse("1311111111").unwrap_err(),
            OfficeNo::parse("175701068").unwrap_err(),
            OfficeNo::parse("131111111").unwrap_err(),
            OfficeNo::parse("13-1111111").unwrap_err(),
            OfficeNo::parse("4811111114").unwrap_err(),
            OfficeNo::parse("175701069").unwrap().1.unwrap(),
            OfficeNo::parse("13A1111111").map(|(_, w)| w.unwrap()).unwrap_or_else(|e| e),
            UserId::parse("KJ-1410000").unwrap_err(),
            PostalCode::parse("600001").unwrap_err(),
            PostalCode::parse("53-00001").unwrap_err(),
            PhoneNo::parse("312345678").unwrap_err(),
            PhoneNo::parse("03-1234").unwrap_err(),
            RequestId::parse("\u{200B}").unwrap_err(),
            RequestId::parse(&"R".repeat(65)).unwrap_err(),
            RequestId::parse("R-\u{7}1").unwrap_err(),
            NoticeKind::parse("変更届").unwrap_err(),
            Prefecture::parse("東京府").unwrap_err(),
            tsuchi::ground::wareki::format(
                chrono::NaiveDate::from_ymd_opt(1926, 12, 24).unwrap(),
                tsuchi::ground::wareki::DateStyle::Padded,
            )
            .unwrap_err(),
        ]
    });
    for reason in &reasons {
        assert_english(reason);
    }
    assert!(reasons[0].contains("check digit"), "{}", reasons[0]);
    assert!(reasons[1].contains("「0175701068」"), "{}", reasons[1]);
    assert!(reasons[2].contains("(this one has 9)") || reasons[2].contains("0131111111"), "{}", reasons[2]);
    assert!(reasons[5].contains("「175701069」") && reasons[5].contains("「0175701069」"), "{}", reasons[5]);
    assert!(reasons[15].contains("「登録結果」") && reasons[15].contains("registration"), "{}", reasons[15]);
    assert!(reasons[17].contains("1926-12-24"), "{}", reasons[17]);
    // Japanese stays the default, word for word.
    assert_eq!(OfficeNo::parse("1311111111").unwrap_err(), ja(|| OfficeNo::parse("1311111111").unwrap_err()));
    assert_eq!(
        OfficeNo::parse("1311111111").unwrap_err(),
        "事業所番号の検査数字（10桁目）が合いません。番号に誤りがないか確認してください"
    );
}

#[test]
fn a_notice_kind_has_a_console_label_in_each_language_and_keeps_its_document_label() {
    let english: Vec<String> = en(|| NoticeKind::ALL.iter().map(|k| k.console_label()).collect());
    assert_eq!(english, ["registration result", "login reissue", "certificate password reissue"]);
    let japanese: Vec<String> = ja(|| NoticeKind::ALL.iter().map(|k| k.console_label()).collect());
    assert_eq!(japanese, ["登録結果", "再発行", "証明書PW再発行"]);
    // Documents and file names keep the Japanese label whatever the console speaks.
    en(|| {
        assert_eq!(NoticeKind::LoginReissue.label(), "再発行");
        assert_eq!(NoticeKind::LoginReissue.to_string(), "再発行");
    });
    // What a clerk types is accepted as it is, in either language.
    for (typed, kind) in [
        ("登録結果", NoticeKind::Registration),
        ("再発行", NoticeKind::LoginReissue),
        ("証明書PW再発行", NoticeKind::CertPasswordReissue),
        ("registration", NoticeKind::Registration),
    ] {
        assert_eq!(en(|| NoticeKind::parse(typed)), Ok(kind));
    }
}

const HEADER: &str = "申請番号,通知種別,審査結果,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID";

fn good_row(id: &str) -> String {
    format!("{id},再発行,承認,1311111114,さくら苑,100-0013,東京都千代田区霞が関1-3-2,,,KJ131311111114")
}

#[test]
fn a_rejection_names_row_column_and_value_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}\r\n{}\r\nR-2,再発行,承認,1311111111,さくら苑,100-0013,東京都千代田区霞が関1-3-2,,,KJ131311111114\r\n",
        good_row("R-1")
    );
    let path = write(dir.path(), "list.csv", text.as_bytes());
    let intake = en(|| read(&path)).unwrap();
    let [r] = &intake.rejections[..] else { panic!("{:#?}", intake.rejections) };
    let line = en(|| intake::rejection_line(r, |s| s.to_string(), |s| s.to_string()));
    assert!(
        line.starts_with("Row 3, column D 「事業所番号」 (office number): 「1311111111」: The check digit"),
        "{line}"
    );
    assert_english(&line);
    // The Japanese line is the one the console has always printed.
    let japanese = ja(|| read(&path)).unwrap();
    let line = ja(|| intake::rejection_line(&japanese.rejections[0], |s| s.to_string(), |s| s.to_string()));
    assert!(line.starts_with("3行目 D列「事業所番号」 値「1311111111」：事業所番号の検査数字"), "{line}");

    // A heading written as an English alias is quoted as written and glossed all the same.
    let text = format!(
        "{}\r\n{}\r\n",
        HEADER.replace("ユーザID", "user_id"),
        good_row("R-1").replace("KJ131311111114", "KJ13")
    );
    let path = write(dir.path(), "alias.csv", text.as_bytes());
    let intake = en(|| read(&path)).unwrap();
    let line = en(|| intake::rejection_line(&intake.rejections[0], |s| s.to_string(), |s| s.to_string()));
    assert!(line.starts_with("Row 2, column J 「user_id」 (user ID): 「KJ13」: A user ID is"), "{line}");
}

#[test]
fn row_problems_and_notes_are_english() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        "申請番号の一覧（1月分）".to_string(),
        format!("{HEADER},備考"),
        good_row("R-1"),
        // Blank required cells, a gaiji, a character no font has, a control character.
        "R-2,再発行,承認,1311111114,さくら苑,100-0013,,,,KJ131311111114".to_string(),
        "R-3,再発行,承認,1311111114,さくら\u{E001}苑,100-0013,東京都千代田区霞が関1-3-2,,,KJ131311111114".to_string(),
        "R-4,再発行,承認,1311111114,𱁬田苑,100-0013,東京都千代田区霞が関1-3-2,,,KJ131311111114".to_string(),
        "R-5\u{1},再発行,承認,1311111114,さくら苑,100-0013,東京都千代田区霞が関1-3-2,,,KJ131311111114".to_string(),
        // A registration needs a phone number; the row's postal code is of another city.
        "R-6,登録結果,承認,1311111114,さくら苑,530-0001,東京都千代田区霞が関1-3-2,,,KJ131311111114".to_string(),
        // Not approved, then a blank review result.
        "R-7,再発行,却下,1311111114,さくら苑,100-0013,東京都千代田区霞が関1-3-2,,,KJ131311111114".to_string(),
        "R-8,再発行,,1311111114,さくら苑,100-0013,東京都千代田区霞が関1-3-2,,,KJ131311111114".to_string(),
        // The same request twice; a user ID of another office and prefecture.
        good_row("R-1").replace("再発行", "証明書PW再発行"),
        good_row("R-9").replace("再発行", "証明書PW再発行"),
        "R-10,再発行,承認,1311111114,さくら苑,100-0013,東京都千代田区丸の内1-1,,,KJ011311111115".to_string(),
        // Template leftovers: a kind and a status, nothing a request is made of.
        ",再発行,承認".to_string(),
        ",再発行,承認".to_string(),
        // A cell whose quote never closes.
        "R-11,再発行,承認,1311111114,\"さくら苑".to_string(),
    ];
    let path = write(dir.path(), "list.csv", (rows.join("\r\n") + "\r\n").as_bytes());
    let values: Vec<String> = rows.iter().flat_map(|r| r.split(',').map(str::to_string)).collect();
    let intake = en(|| read(&path)).unwrap();
    let not_issued = en(|| intake.not_issued());
    let reasons: Vec<&str> = not_issued.iter().map(|r| r.reason.as_str()).collect();
    assert!(not_issued.len() >= 12, "{reasons:#?}");
    for r in &not_issued {
        assert_english_but(&r.reason, &values);
        assert_english_but(&en(|| intake::rejection_line(r, |s| s.to_string(), |s| s.to_string())), &values);
    }
    for n in &intake.notes {
        assert_english_but(&n.message, &values);
        assert_english_but(&en(|| intake::note_line(n, |s| s.to_string(), |s| s.to_string())), &values);
    }
    let has = |needle: &str| reasons.iter().any(|r| r.contains(needle));
    for needle in [
        "The 「住所」 cell is blank",
        "gaiji",
        "「𱁬」 (U+3106C)",
        "control character U+0001",
        "The 「電話番号」 cell is blank",
        "The postal code 530-0001 belongs to",
        "the review result is 「却下」",
        "the review result is 「(blank)」",
        "Duplicate request number (the same as row 11)",
        "(the same as row 3)",
        "Row 12 also asks for the same office number, user ID and notice kind (certificate password reissue)",
        "is never closed",
    ] {
        assert!(has(needle), "no reason with {needle:?}: {reasons:#?}");
    }
    let notes: Vec<&str> = intake.notes.iter().map(|n| n.message.as_str()).collect();
    for needle in [
        "Passed over row 1, above the header row (row 2), as a title",
        "Columns tsuchi does not use were ignored: 「備考」",
        "2 rows without a request number or office number",
        "(rows 14 to 15)",
        "do not match the office number 「1311111114」",
        "does not match the town area of the address 「東京都千代田区丸の内1-1」",
    ] {
        assert!(notes.iter().any(|n| n.contains(needle)), "no note with {needle:?}: {notes:#?}");
    }

    // A registration in a list without the phone columns.
    let text = format!(
        "{}
{}
",
        HEADER.replace(",電話番号,FAX番号", ""),
        good_row("R-1").replace("再発行", "登録結果").replace(",,,", ",")
    );
    let path = write(dir.path(), "no_phone.csv", text.as_bytes());
    let intake = en(|| read(&path)).unwrap();
    let reasons: Vec<&str> = intake.rejections.iter().map(|r| r.reason.as_str()).collect();
    assert!(reasons.contains(&"There is no 「電話番号」 column (it is required for this notice kind)"), "{reasons:#?}");
}

#[test]
fn hidden_rows_and_sheets_are_explained_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("申請一覧").unwrap();
    let cells = |line: &str| -> Vec<String> { line.split(',').map(str::to_string).collect() };
    let rows: Vec<Vec<String>> =
        std::iter::once(cells(HEADER)).chain((1..=6).map(|i| cells(&good_row(&format!("R-{i}"))))).collect();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
    }
    for hidden in [2, 4, 5] {
        sheet.set_row_hidden(hidden).unwrap();
    }
    book.add_worksheet().set_name("控え").unwrap();
    let path = write(dir.path(), "hidden.xlsx", &book.save_to_buffer().unwrap());

    let intake =
        en(|| intake::read(&path, &ReadOptions { sheet: Some("申請一覧".into()), ..Default::default() })).unwrap();
    assert_eq!(intake.hidden.len(), 3);
    let notes: Vec<&str> = intake.notes.iter().map(|n| n.message.as_str()).collect();
    assert!(notes.iter().any(|n| n.contains("3 rows are hidden") && n.contains("(rows 3, 5-6)")), "{notes:#?}");
    for h in &intake.hidden {
        let reason = en(|| h.as_rejection().reason);
        assert_eq!(reason, "Not issued: the row is hidden (by hand or by a filter). To issue it, add --include-hidden");
    }
    for r in en(|| intake.not_issued()) {
        assert_english(&r.reason);
    }
    for n in &notes {
        assert_english(n);
    }
    let read_all = ReadOptions { sheet: Some("申請一覧".into()), include_hidden: true };
    let intake = en(|| intake::read(&path, &read_all)).unwrap();
    assert!(
        intake.notes.iter().any(|n| n.message.contains("With --include-hidden, 3 hidden rows")),
        "{:#?}",
        intake.notes
    );

    // A sheet the workbook does not have: the error lists those it has, quoted.
    let err = en(|| {
        intake::read(&path, &ReadOptions { sheet: Some("3月分".into()), ..Default::default() }).unwrap_err().to_string()
    });
    assert!(err.contains("no sheet 「3月分」") && err.contains("「申請一覧」, 「控え」"), "{err}");
    assert_english(&err);
}

#[test]
fn a_file_that_cannot_be_read_is_explained_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (dir.path().join("missing.csv"), "was not found"),
        (write(dir.path(), "list.pdf", b"%PDF"), "extension 「pdf」"),
        (write(dir.path(), "empty.csv", b""), "holds no data"),
        (write(dir.path(), "broken.xlsx", b"PK\x03\x04 not really"), "cannot be opened as an Excel/ODS workbook"),
        (write(dir.path(), "bytes.csv", b"\x82\xa0,\xff\xfe\x81\r\n\x80\x80"), "character encoding"),
        (write(dir.path(), "no_header.csv", "あ,い\r\n1,2\r\n".as_bytes()), "No header row"),
        (
            write(dir.path(), "missing_columns.csv", "申請番号,通知種別\r\nR-1,再発行\r\n".as_bytes()),
            "lacks required columns",
        ),
        (
            write(dir.path(), "twice.csv", format!("{HEADER},request_id\r\n").as_bytes()),
            "column A 「申請番号」 and column K 「request_id」 both name the field 「申請番号」",
        ),
    ];
    for (path, expected) in cases {
        let message = en(|| read(&path).map(|_| ()).unwrap_err().to_string());
        assert!(message.contains(expected), "{}: {message}", path.display());
        assert_english(&message);
        let japanese = ja(|| read(&path).map(|_| ()).unwrap_err().to_string());
        assert!(japanese.starts_with("ファイル「"), "{japanese}");
    }
}

#[test]
fn a_config_mistake_is_explained_in_english_with_its_line() {
    let parse = |text: &str| -> ConfigError { Config::parse(text, Path::new("設定/tsuchi.toml")).unwrap_err() };
    let cases = [
        ("[notice]\nreading_rows = true\n", "line 2: there is no setting 「reading_rows」"),
        (
            "[zip]\n\nencryption = \"none\"\n",
            "line 3: 「[zip] encryption = none」 cannot be used (values allowed: aes256, zip_crypto)",
        ),
        (
            "[mailroom]\nduplex = \"yes\"\n",
            "is not written correctly: line 2: [mailroom] duplex takes true or false (found: \"yes\")",
        ),
        ("[notice]\nissue_date = \"2026/01/10\"\n", "Write the issue date 「2026/01/10」 as YYYY-MM-DD"),
        ("[zip.password_source]\nlogin_reissue = \"login\"\n", "login_reissue cannot be login"),
        ("[layout]\naddress_offset_mm = [40.0, 0.0]\n", "between -30 and 30 mm"),
    ];
    for (text, expected) in cases {
        let message = en(|| parse(text).to_string());
        assert!(message.starts_with("The config file 「設定/tsuchi.toml」"), "{message}");
        assert!(message.contains(expected), "{text:?}: {message}");
        assert_english(&message);
    }
    let message =
        en(|| ConfigError::Read { path: "tsuchi.toml".into(), detail: "permission denied".into() }.to_string());
    assert_eq!(message, "The config file 「tsuchi.toml」 cannot be read: permission denied");
    // Japanese stays the default.
    assert!(parse("[notice]\nreading_rows = true\n").to_string().contains("2行目："));
}
