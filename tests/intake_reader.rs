//! The reader as a clerk expects it: which sheet, which rows, which row numbers, and what one
//! bad cell costs (its row, never the file). Workbooks are written by the tests themselves with
//! rust_xlsxwriter, and patched with the zip crate where a test needs XML no writer produces.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use calamine::Reader;
use rust_xlsxwriter::{Workbook, Worksheet};
use tsuchi::engine::intake::{self, Intake, IntakeError, ReadOptions, Rejection};

use common::patch;

const HEADER: [&str; 10] = [
    "申請番号",
    "通知種別",
    "審査結果",
    "事業所番号",
    "事業所名",
    "郵便番号",
    "住所",
    "電話番号",
    "FAX番号",
    "ユーザID",
];
const CSV_HEADER: &str = "申請番号,通知種別,審査結果,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID\r\n";

fn good(id: &str) -> [String; 10] {
    [id, "再発行", "承認", "1311111114", "さくら苑", "100-0013", "東京都千代田区霞が関1-3-2", "", "", "KJ131311111114"]
        .map(str::to_string)
}

fn other_office(id: &str) -> [String; 10] {
    let mut row = good(id);
    row[3] = "0175701069".into();
    row[9] = "KJ010175701069".into();
    row
}

fn csv_line(cells: &[String]) -> String {
    format!("{}\r\n", cells.join(","))
}

fn write_rows(sheet: &mut Worksheet, rows: &[Vec<String>]) {
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
    }
}

fn table(ids: &[&str]) -> Vec<Vec<String>> {
    let mut rows = vec![HEADER.map(str::to_string).to_vec()];
    rows.extend(ids.iter().map(|id| good(id).to_vec()));
    rows
}

fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read(path: &Path) -> Intake {
    intake::read(path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn ids(intake: &Intake) -> Vec<&str> {
    intake.requests.iter().map(|r| r.request_id.as_str()).collect()
}

fn rejection_for<'a>(intake: &'a Intake, row: usize, column: &str) -> &'a Rejection {
    intake
        .rejections
        .iter()
        .find(|r| r.row == row && r.column == column)
        .unwrap_or_else(|| panic!("no rejection at row {row} column {column}: {:#?}", intake.rejections))
}

fn entry_text(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

/// Removes `<bookViews>…</bookViews>`: a workbook that does not say which sheet is active.
fn without_views(xml: String) -> String {
    match (xml.find("<bookViews>"), xml.find("</bookViews>")) {
        (Some(a), Some(b)) => format!("{}{}", &xml[..a], &xml[b + "</bookViews>".len()..]),
        _ => panic!("no bookViews in {xml}"),
    }
}

/// A workbook of sheets (name, hidden, active, ids of good rows).
fn workbook(sheets: &[(&str, bool, bool, &[&str])]) -> Vec<u8> {
    let mut book = Workbook::new();
    for (name, hidden, active, rows) in sheets {
        let sheet = book.add_worksheet().set_name(*name).unwrap();
        write_rows(sheet, &table(rows));
        if *active {
            sheet.set_active(true);
        }
        if *hidden {
            sheet.set_hidden(true);
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn a_hidden_first_sheet_is_never_read_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = workbook(&[("テンプレート", true, false, &["T-1"]), ("申請一覧", false, true, &["R-1"])]);
    assert_eq!(ids(&read(&save(dir.path(), "a.xlsx", &bytes))), ["R-1"]);
    // With no view at all, or a view that names the hidden sheet, the only visible one is read.
    let no_view = patch(&bytes, "xl/workbook.xml", without_views);
    assert_eq!(ids(&read(&save(dir.path(), "b.xlsx", &no_view))), ["R-1"]);
    let hidden_active = patch(&bytes, "xl/workbook.xml", |x| x.replace(" activeTab=\"1\"", ""));
    assert!(!entry_text(&hidden_active, "xl/workbook.xml").contains("activeTab"));
    assert_eq!(ids(&read(&save(dir.path(), "c.xlsx", &hidden_active))), ["R-1"]);
}

#[test]
fn the_active_visible_sheet_is_read_when_there_are_several() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = workbook(&[
        ("1月分", false, false, &["J-1"]),
        ("2月分", false, true, &["F-1"]),
        ("記入例", false, false, &["X-1"]),
    ]);
    assert!(entry_text(&bytes, "xl/workbook.xml").contains("activeTab=\"1\""));
    assert_eq!(ids(&read(&save(dir.path(), "a.xlsx", &bytes))), ["F-1"]);
    let options = ReadOptions { sheet: Some("1月分".into()), ..ReadOptions::default() };
    assert_eq!(ids(&intake::read(&save(dir.path(), "b.xlsx", &bytes), &options).unwrap()), ["J-1"]);
}

#[test]
fn several_visible_sheets_and_no_active_tab_are_refused_naming_the_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let bytes =
        workbook(&[("1月分", false, true, &["J-1"]), ("2月分", false, false, &["F-1"]), ("隠し", true, false, &[])]);
    let path = save(dir.path(), "a.xlsx", &patch(&bytes, "xl/workbook.xml", without_views));
    let err = intake::read(&path, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IntakeError::AmbiguousSheet { .. }), "{err:?}");
    let message = err.to_string();
    for needle in ["「1月分」", "「2月分」", "「隠し」（非表示）", "--sheet", "a.xlsx"] {
        assert!(message.contains(needle), "{needle} in {message}");
    }
}

#[test]
fn a_hidden_active_sheet_among_several_visible_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = workbook(&[
        ("元データ", true, false, &["H-1"]),
        ("1月分", false, false, &["J-1"]),
        ("2月分", false, true, &["F-1"]),
    ]);
    let patched = patch(&bytes, "xl/workbook.xml", |x| x.replace(" activeTab=\"2\"", " activeTab=\"0\""));
    assert!(entry_text(&patched, "xl/workbook.xml").contains("activeTab=\"0\""));
    let err = intake::read(&save(dir.path(), "a.xlsx", &patched), &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IntakeError::AmbiguousSheet { .. }), "{err:?}");
}

#[test]
fn hidden_rows_are_listed_not_issued_unless_include_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let mut rows = table(&["R-1", "R-2"]);
    rows.push(other_office("R-3").to_vec());
    write_rows(sheet, &rows);
    sheet.set_row_hidden(2).unwrap(); // Excel row 3: R-2
    let path = save(dir.path(), "a.xlsx", &book.save_to_buffer().unwrap());

    let intake = read(&path);
    assert_eq!(ids(&intake), ["R-1", "R-3"]);
    assert_eq!(intake.hidden.len(), 1);
    assert_eq!((intake.hidden[0].row, intake.hidden[0].request_id.as_str()), (3, "R-2"));
    assert_eq!(intake.data_rows, 2);
    let listed = intake.not_issued();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].row, listed[0].value.as_str()), (3, "R-2"));
    assert!(listed[0].reason.contains("非表示") && listed[0].reason.contains("--include-hidden"));
    assert!(
        intake.notes.iter().any(|n| n.message.contains("非表示") && n.message.contains("3行目")),
        "{:#?}",
        intake.notes
    );

    let options = ReadOptions { include_hidden: true, ..ReadOptions::default() };
    let all = intake::read(&path, &options).unwrap();
    // R-1 and R-2 share office and kind: reading the hidden row brings that conflict to light.
    assert!(all.hidden.is_empty());
    assert_eq!(all.data_rows, 3);
    assert!(all.rejections.iter().any(|r| r.row == 3 && r.reason.contains("2行目")), "{:#?}", all.rejections);
}

#[test]
fn a_single_value_in_the_last_cell_xfd1048576_is_read_without_a_dense_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    write_rows(sheet, &table(&["R-1"]));
    sheet.write_string(1_048_575, 16_383, "迷子").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    assert!(entry_text(&bytes, "xl/worksheets/sheet1.xml").contains("A1:XFD1048576"));
    let intake = read(&save(dir.path(), "far.xlsx", &bytes));
    assert_eq!(ids(&intake), ["R-1"]);
    // The stray cell is in no column tsuchi reads: a blank row, named in one note.
    assert_eq!(intake.template_rows, 1);
    assert!(intake.notes.iter().any(|n| n.message.contains("1048576行目")), "{:#?}", intake.notes);
}

#[test]
fn a_far_value_in_a_read_column_is_a_row_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    write_rows(sheet, &table(&["R-1"]));
    sheet.write_string(1_048_575, 4, "迷子の事業所").unwrap(); // 事業所名, E1048576
    sheet.write_string(0, 16_383, "メモ").unwrap(); // XFD1: a header far to the right
    let intake = read(&save(dir.path(), "far.xlsx", &book.save_to_buffer().unwrap()));
    assert_eq!(ids(&intake), ["R-1"]);
    // 審査結果 is blank on that row, so it is listed as not approved, with its own number.
    assert_eq!(
        intake.skipped.iter().map(|s| (s.row, s.status.as_str())).collect::<Vec<_>>(),
        [(1_048_576, "（空欄）")]
    );
    assert_eq!(intake.data_rows, 2);
    assert!(intake.notes.iter().any(|n| n.message.contains("「メモ」")));
}

#[test]
fn a_claimed_whole_grid_dimension_with_few_cells_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Workbook::new();
    write_rows(book.add_worksheet(), &table(&["R-1"]));
    let bytes = book.save_to_buffer().unwrap();
    let patched = patch(&bytes, "xl/worksheets/sheet1.xml", |x| {
        let at = x.find("<dimension ref=\"").unwrap() + "<dimension ref=\"".len();
        let end = at + x[at..].find('"').unwrap();
        format!("{}A1:XFD1048576{}", &x[..at], &x[end..])
    });
    assert!(entry_text(&patched, "xl/worksheets/sheet1.xml").contains("<dimension ref=\"A1:XFD1048576\""));
    let intake = read(&save(dir.path(), "dim.xlsx", &patched));
    assert_eq!(ids(&intake), ["R-1"]);
    assert_eq!(intake.data_rows, 1);
}

#[test]
fn csv_rows_are_numbered_as_excel_shows_them_whatever_the_line_endings() {
    let dir = tempfile::tempdir().unwrap();
    let header = CSV_HEADER.trim_end();
    let lines = [header.to_string(), csv_line(&good("R-1")).trim_end().to_string(), String::new()];
    let third = csv_line(&other_office("R-2")).trim_end().to_string();
    for (name, eol) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
        let text = format!("{}{eol}{}{eol}{eol}{third}{eol}", lines[0], lines[1]);
        let intake = read(&save(dir.path(), &format!("{name}.csv"), text.as_bytes()));
        assert_eq!(intake.requests.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 4], "{name}");
    }
    // Mixed, with a quoted line break in a name: row 2 spans two lines and is still row 2.
    let quoted = csv_line(&good("R-1")).replace("さくら苑", "\"さくら苑\r\n本館\"");
    let text = format!("{header}\n{}\r\r{third}\n", quoted.trim_end());
    let intake = read(&save(dir.path(), "mixed.csv", text.as_bytes()));
    assert_eq!(intake.requests.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 4]);
    assert_eq!(intake.requests[0].office_name, "さくら苑\n本館");
}

#[test]
fn an_unclosed_quote_rejects_the_row_where_it_opened_and_the_rest_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let broken = csv_line(&good("R-1")).replace("さくら苑", "\"さくら苑");
    let text = format!("{CSV_HEADER}{broken}{}", csv_line(&other_office("R-2")));
    let intake = read(&save(dir.path(), "t.csv", text.as_bytes()));
    assert_eq!(ids(&intake), ["R-2"]);
    assert_eq!(intake.requests[0].row, 3);
    let r = rejection_for(&intake, 2, "事業所名");
    assert_eq!(r.column_letter.as_deref(), Some("E"));
    assert!(r.reason.contains("閉じられていません"), "{}", r.reason);
    assert!(r.value.starts_with("さくら苑"));
    assert_eq!(intake.rejections.len(), 1, "no made-up blank-field reasons: {:#?}", intake.rejections);
}

#[test]
fn a_nul_byte_in_one_csv_cell_rejects_only_that_row() {
    let dir = tempfile::tempdir().unwrap();
    let bad = csv_line(&good("R-1")).replace("さくら苑", "さくら\0苑");
    let text = format!("{CSV_HEADER}{bad}{}", csv_line(&other_office("R-2")));
    for (name, bytes) in
        [("utf8.csv", text.as_bytes().to_vec()), ("sjis.csv", encoding_rs::SHIFT_JIS.encode(&text).0.into_owned())]
    {
        let intake = read(&save(dir.path(), name, &bytes));
        assert_eq!(ids(&intake), ["R-2"], "{name}");
        let r = rejection_for(&intake, 2, "事業所名");
        assert!(r.reason.contains("U+0000"), "{name}: {}", r.reason);
    }
}

#[test]
fn control_characters_are_rejected_in_every_column_read_naming_the_code_point() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(usize, &str, &str, &str); 5] = [
        (0, "申請番号", "R-\u{1B}1", "U+001B"),
        (3, "事業所番号", "131111\u{7}1114", "U+0007"),
        (6, "住所", "東京都\u{85}千代田区", "U+0085"),
        (9, "ユーザID", "KJ1313111\t11114", "U+0009"),
        (2, "審査結果", "承認\u{7F}", "U+007F"),
    ];
    for (i, (col, header, value, code)) in cases.iter().enumerate() {
        let mut row = good("R-1");
        row[*col] = value.to_string();
        let text = format!("{CSV_HEADER}{}", csv_line(&row));
        let intake = read(&save(dir.path(), &format!("{i}.csv"), text.as_bytes()));
        assert!(intake.requests.is_empty() && intake.skipped.is_empty(), "{header}");
        let r = rejection_for(&intake, 2, header);
        assert!(r.reason.contains(code), "{header}: {}", r.reason);
        assert_eq!(r.value, *value);
    }
}

#[test]
fn line_breaks_in_printed_fields_become_lf_from_csv_and_from_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let row = csv_line(&good("R-1"))
        .replace("さくら苑", "\"さくら苑\r本館\"")
        .replace("東京都千代田区霞が関1-3-2", "\"東京都千代田区\r\n霞が関1-3-2\"");
    let intake = read(&save(dir.path(), "t.csv", format!("{CSV_HEADER}{row}").as_bytes()));
    assert_eq!(intake.requests[0].office_name, "さくら苑\n本館");
    assert_eq!(intake.requests[0].address, "東京都千代田区\n霞が関1-3-2");

    let mut book = Workbook::new();
    let mut rows = table(&["R-1"]);
    rows[1][4] = "さくら苑\r\n本館\r別館".into();
    write_rows(book.add_worksheet(), &rows);
    let bytes = book.save_to_buffer().unwrap();
    let xml = entry_text(&bytes, "xl/sharedStrings.xml");
    assert!(xml.contains("_x000D_"), "the writer escapes CR as Excel does: {xml}");
    let intake = read(&save(dir.path(), "t.xlsx", &bytes));
    assert_eq!(intake.requests[0].office_name, "さくら苑\n本館\n別館");
}

#[test]
fn a_5000_row_template_tail_is_one_note_and_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{CSV_HEADER}{}", csv_line(&good("R-1")));
    for _ in 0..5000 {
        text.push_str(",再発行,承認,,,,,,,\r\n");
    }
    text.push_str(",,,,,,,,,\r\n");
    let intake = read(&save(dir.path(), "t.csv", text.as_bytes()));
    assert_eq!(ids(&intake), ["R-1"]);
    assert_eq!((intake.data_rows, intake.template_rows), (1, 5000));
    assert!(intake.rejections.is_empty());
    let notes: Vec<&str> =
        intake.notes.iter().map(|n| n.message.as_str()).filter(|m| m.contains("テンプレート")).collect();
    assert_eq!(
        notes,
        ["申請番号・事業所番号のない行（テンプレートの残り）5000行を空行として読み飛ばしました（3〜5002行目）"]
    );
}

#[test]
fn a_row_with_a_name_but_no_numbers_is_data_not_template() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{CSV_HEADER},再発行,承認,,さくら苑,,,,,\r\n");
    let intake = read(&save(dir.path(), "t.csv", text.as_bytes()));
    assert_eq!((intake.data_rows, intake.template_rows), (1, 0));
    assert!(rejection_for(&intake, 2, "申請番号").reason.contains("空欄"));
}

#[test]
fn duplicates_name_the_first_row_and_messages_stay_linear() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = CSV_HEADER.to_string();
    let line = csv_line(&good("R-1"));
    for _ in 0..20_000 {
        text.push_str(&line);
    }
    let intake = read(&save(dir.path(), "t.csv", text.as_bytes()));
    assert!(intake.requests.is_empty());
    assert_eq!(intake.rejected_rows(), 20_000);
    let bytes: usize = intake.rejections.iter().map(|r| r.reason.len() + r.value.len()).sum();
    assert!(bytes < 200 * intake.rejections.len(), "{bytes} bytes for {} rejections", intake.rejections.len());
    assert!(rejection_for(&intake, 2, "申請番号").reason.starts_with("申請番号が重複しています（3行目と同じ）"));
    assert!(rejection_for(&intake, 3, "申請番号").reason.starts_with("申請番号が重複しています（2行目と同じ）"));
    assert!(rejection_for(&intake, 20_001, "申請番号").reason.starts_with("申請番号が重複しています（2行目と同じ）"));
    assert!(rejection_for(&intake, 20_001, "事業所番号").reason.contains("2行目にもあります"));
}

#[test]
fn a_cell_over_32767_characters_is_rejected_and_rejected_xlsx_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mut row = good("R-1");
    row[6] = "東".repeat(40_000);
    let text = format!("{CSV_HEADER}{}{}", csv_line(&row), csv_line(&other_office("R-2")));
    let intake = read(&save(dir.path(), "t.csv", text.as_bytes()));
    assert_eq!(ids(&intake), ["R-2"]);
    let r = rejection_for(&intake, 2, "住所");
    assert_eq!(r.reason, "32,767文字を超えています（40,000文字）");

    let xlsx = dir.path().join("rejected.xlsx");
    tsuchi::engine::report::write_rejected_xlsx(&xlsx, &intake.not_issued()).unwrap();
    let mut book = calamine::open_workbook_auto(&xlsx).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let value = range.get_value((1, 3)).unwrap().to_string();
    assert!(value.starts_with(&"東".repeat(32_000)));
    assert!(value.ends_with("…（以下省略、全40000文字）"), "{}", &value[value.len() - 60..]);
}
