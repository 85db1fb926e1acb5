//! What a spreadsheet does on its own never reaches paper: error values, formulas saved without
//! their value, dates and numbers Excel made of what the clerk typed, names that are nothing but
//! 敬称, rows the clerk hid — in xlsx, xls and ods alike, in `check` and `run` alike. And a small
//! hostile file never takes the machine down: it is refused under an address-space cap.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use tsuchi::engine::intake::{self, Intake, IntakeError, ReadOptions};

use common::{patch, text, tsuchi};

/// A cell as the clerk's spreadsheet stores it.
#[derive(Clone, Debug)]
enum Cell {
    Text(String),
    Number(f64),
    Date(u16, u8, u8),
    /// A formula whose saved value is this error.
    Error(&'static str),
    /// A formula saved without a value.
    Unsaved,
    /// The same as openpyxl saves it: with an empty `<v />`.
    UnsavedEmpty,
}

struct Grid {
    rows: Vec<Vec<Cell>>,
    hidden: BTreeSet<usize>,
}

const ADDRESS2: &str = "番地";

/// The sample list with a 番地 column, as text cells.
fn sample_grid() -> Grid {
    let mut rows: Vec<Vec<Cell>> = common::xlsx_rows(&common::sample("requests.xlsx"))
        .into_iter()
        .map(|row| row.into_iter().map(Cell::Text).collect())
        .collect();
    rows[0].push(Cell::Text(ADDRESS2.into()));
    for row in rows.iter_mut().skip(1) {
        row.push(Cell::Text(String::new()));
    }
    Grid { rows, hidden: BTreeSet::new() }
}

fn column(grid: &Grid, name: &str) -> usize {
    grid.rows[0].iter().position(|c| matches!(c, Cell::Text(t) if t == name)).unwrap()
}

/// Puts `cell` in row `row` (1-based, as Excel numbers it) under the header `name`.
fn set(grid: &mut Grid, row: usize, name: &str, cell: Cell) {
    let col = column(grid, name);
    grid.rows[row - 1][col] = cell;
}

/// The sample list with Excel's habits in it; the rows and columns each habit should cost.
fn habits(unsaved: bool) -> (Grid, Vec<(usize, &'static str)>) {
    let mut grid = sample_grid();
    set(&mut grid, 2, "事業所名", Cell::Error("#N/A"));
    set(&mut grid, 3, ADDRESS2, Cell::Date(2026, 5, 13)); // 「5-13」 typed into a General cell
    set(&mut grid, 4, "宛名", Cell::Number(12345.0));
    set(&mut grid, 5, "電話番号", Cell::Number(335_810_001.0)); // 03-3581-0001 without its 0
    set(&mut grid, 7, "宛名", Cell::Text("様".into()));
    set(&mut grid, 8, "事業所名", Cell::Text("御中".into()));
    set(&mut grid, 9, ADDRESS2, Cell::Number(12.0)); // 番地 「12」 is meant as a number
    set(&mut grid, 11, "住所", Cell::Error("#REF!"));
    let mut expected =
        vec![(2, "事業所名"), (3, ADDRESS2), (4, "宛名"), (5, "電話番号"), (7, "宛名"), (8, "事業所名"), (11, "住所")];
    if unsaved {
        set(&mut grid, 6, "事業所名", Cell::Unsaved);
        expected.push((6, "事業所名"));
        set(&mut grid, 12, "住所", Cell::UnsavedEmpty);
        expected.push((12, "住所"));
        expected.sort();
    }
    (grid, expected)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The grid as Excel saves it. rust_xlsxwriter writes no error value and no formula without a
/// value, so those cells are written as placeholders and their XML replaced.
fn xlsx(grid: &Grid) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("申請一覧").unwrap();
    let date = Format::new().set_num_format("yyyy/m/d");
    let mut replaced: Vec<(String, String)> = Vec::new();
    for (r, row) in grid.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r32, c16) = (r as u32, c as u16);
            let reference = format!("{}{}", tsuchi::engine::intake::column_letter(c), r + 1);
            match cell {
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) => drop(sheet.write_string(r32, c16, t).unwrap()),
                Cell::Number(n) => drop(sheet.write_number(r32, c16, *n).unwrap()),
                Cell::Date(y, m, d) => {
                    let at = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                    sheet.write_datetime_with_format(r32, c16, &at, &date).unwrap();
                }
                Cell::Error(e) => {
                    sheet.write_string(r32, c16, "placeholder").unwrap();
                    replaced.push((
                        reference.clone(),
                        format!(
                            "<c r=\"{reference}\" t=\"e\"><f>VLOOKUP(A{},名簿!A:B,2,FALSE)</f><v>{e}</v></c>",
                            r + 1
                        ),
                    ));
                }
                Cell::Unsaved => {
                    sheet.write_string(r32, c16, "placeholder").unwrap();
                    replaced.push((reference.clone(), format!("<c r=\"{reference}\"><f>UPPER(A{})</f></c>", r + 1)));
                }
                Cell::UnsavedEmpty => {
                    sheet.write_string(r32, c16, "placeholder").unwrap();
                    replaced
                        .push((reference.clone(), format!("<c r=\"{reference}\"><f>UPPER(A{})</f><v /></c>", r + 1)));
                }
            }
        }
        if grid.hidden.contains(&(r + 1)) {
            sheet.set_row_hidden(r as u32).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    patch(&bytes, "xl/worksheets/sheet1.xml", |mut xml| {
        for (reference, cell) in &replaced {
            let start = xml.find(&format!("<c r=\"{reference}\"")).unwrap();
            let end = start + xml[start..].find("</c>").unwrap() + "</c>".len();
            xml.replace_range(start..end, cell);
        }
        xml
    })
}

/// The grid as LibreOffice saves it.
fn ods(grid: &Grid) -> Vec<u8> {
    let mut body = String::new();
    for (r, row) in grid.rows.iter().enumerate() {
        let visibility = if grid.hidden.contains(&(r + 1)) { " table:visibility=\"collapse\"" } else { "" };
        body.push_str(&format!("<table:table-row{visibility}>"));
        for cell in row {
            body.push_str(&match cell {
                Cell::Text(t) if t.is_empty() => "<table:table-cell/>".to_string(),
                Cell::Text(t) => {
                    let lines: String = t.split('\n').map(|l| format!("<text:p>{}</text:p>", xml_escape(l))).collect();
                    format!("<table:table-cell office:value-type=\"string\" calcext:value-type=\"string\">{lines}</table:table-cell>")
                }
                Cell::Number(n) => {
                    format!("<table:table-cell office:value-type=\"float\" office:value=\"{n}\"><text:p>{n}</text:p></table:table-cell>")
                }
                Cell::Date(y, m, d) => format!(
                    "<table:table-cell office:value-type=\"date\" office:date-value=\"{y:04}-{m:02}-{d:02}\"><text:p>{y}/{m}/{d}</text:p></table:table-cell>"
                ),
                Cell::Error(e) => format!(
                    "<table:table-cell table:formula=\"of:=VLOOKUP([.A1];$名簿.A:B;2;0)\" office:value-type=\"string\" office:string-value=\"\" calcext:value-type=\"error\"><text:p>{e}</text:p></table:table-cell>"
                ),
                Cell::Unsaved | Cell::UnsavedEmpty => "<table:table-cell table:formula=\"of:=UPPER([.A1])\"/>".to_string(),
            });
        }
        body.push_str("</table:table-row>");
    }
    ods_with(&format!("<table:table table:name=\"申請一覧\">{body}</table:table>"))
}

/// An ods file whose spreadsheet body is `tables`.
fn ods_with(tables: &str) -> Vec<u8> {
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content \
         xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" \
         xmlns:calcext=\"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0\" \
         office:version=\"1.3\"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    );
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file("mimetype", stored).unwrap();
    out.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    out.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
    out.write_all(content.as_bytes()).unwrap();
    out.finish().unwrap().into_inner()
}

/// The grid as Excel exports it to CSV: an error value becomes its text.
fn csv(grid: &Grid) -> Vec<u8> {
    let mut out = String::new();
    for row in &grid.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(t) => format!("\"{}\"", t.replace('"', "\"\"")),
                Cell::Number(n) => n.to_string(),
                Cell::Date(y, m, d) => format!("{y}/{m}/{d}"),
                Cell::Error(e) => e.to_string(),
                Cell::Unsaved | Cell::UnsavedEmpty => String::new(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures").join(name)
}

fn read(path: &Path) -> Intake {
    intake::read(path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// (row, column) of every rejection.
fn rejected(intake: &Intake) -> Vec<(usize, String)> {
    intake.rejections.iter().map(|r| (r.row, r.column.clone())).collect()
}

fn reason(intake: &Intake, row: usize) -> String {
    let r = intake.rejections.iter().find(|r| r.row == row).unwrap_or_else(|| panic!("row {row} not rejected"));
    format!("{} {} {}", r.column_letter.clone().unwrap_or_default(), r.value, r.reason)
}

fn expected(rows: &[(usize, &str)]) -> Vec<(usize, String)> {
    rows.iter().map(|(r, c)| (*r, c.to_string())).collect()
}

#[test]
fn excels_habits_are_row_rejections_naming_the_cell_in_xlsx_and_ods() {
    let dir = tempfile::tempdir().unwrap();
    let (grid, rows) = habits(true);
    for path in [save(dir.path(), "habits.xlsx", &xlsx(&grid)), save(dir.path(), "habits.ods", &ods(&grid))] {
        let intake = read(&path);
        assert_eq!(rejected(&intake), expected(&rows), "{path:?}");
        assert_eq!(intake.requests.len(), 20 - rows.len(), "{path:?}");
        // Each reason says what the cell holds and what to do.
        let e2 = reason(&intake, 2);
        assert!(e2.starts_with("E #N/A ") && e2.contains("エラー値「#N/A」"), "{path:?}: {e2}");
        assert!(reason(&intake, 11).contains("エラー値「#REF!」"), "{path:?}");
        let m3 = reason(&intake, 3);
        assert!(
            m3.starts_with("M 2026-05-13") && m3.contains("日付として保存") && m3.contains("文字列"),
            "{path:?}: {m3}"
        );
        assert!(reason(&intake, 4).contains("「宛名」が数値として保存"), "{path:?}");
        assert!(reason(&intake, 5).contains("0から始まっていません"), "{path:?}: the phone keeps its own repair");
        assert!(reason(&intake, 6).contains("保存された値がありません"), "{path:?}");
        assert!(reason(&intake, 12).contains("保存された値がありません"), "{path:?}: {}", reason(&intake, 12));
        assert!(reason(&intake, 7).contains("敬称（様・殿・御中）だけ"), "{path:?}");
        assert!(reason(&intake, 8).contains("敬称（様・殿・御中）だけ"), "{path:?}");
        // 番地 「12」 stored as a number is what the clerk meant.
        let row9 = intake.requests.iter().find(|r| r.row == 9).expect("row 9 issued");
        assert_eq!(row9.address2.as_deref(), Some("12"));
    }
}

#[test]
fn excels_habits_are_row_rejections_in_xls_too() {
    // scripts/make-xls-fixtures: #N/A in E2, the date 2026-05-13 in G3, 12345 in L4 and
    // 335810001 in H5.
    let intake = read(&fixture("excel_habits.xls"));
    assert_eq!(rejected(&intake), expected(&[(2, "事業所名"), (3, "住所"), (4, "宛名"), (5, "電話番号")]));
    assert!(reason(&intake, 2).contains("エラー値「#N/A」"));
    assert!(reason(&intake, 3).contains("「住所」が日付として保存"));
    assert!(reason(&intake, 4).contains("「宛名」が数値として保存"));
    assert_eq!(intake.requests.len(), 16);
}

#[test]
fn an_error_value_exported_to_csv_and_a_name_of_only_honorifics_are_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let mut grid = sample_grid();
    set(&mut grid, 2, "事業所名", Cell::Error("#N/A"));
    set(&mut grid, 3, "宛名", Cell::Error("#VALUE!"));
    set(&mut grid, 4, "宛名", Cell::Text("　様　".into()));
    set(&mut grid, 5, "事業所名", Cell::Text("御中 様".into()));
    let intake = read(&save(dir.path(), "habits.csv", &csv(&grid)));
    assert_eq!(rejected(&intake), expected(&[(2, "事業所名"), (3, "宛名"), (4, "宛名"), (5, "事業所名")]));
    assert!(reason(&intake, 3).contains("エラー値「#VALUE!」"));
    // A name that merely ends in a 敬称 is still a name.
    assert!(intake.requests.iter().any(|r| r.row == 6));
}

#[test]
fn hidden_rows_are_honoured_alike_in_xlsx_xls_and_ods() {
    let dir = tempfile::tempdir().unwrap();
    let mut grid = sample_grid();
    grid.hidden = BTreeSet::from([3, 5]);
    let files = [
        save(dir.path(), "hidden.xlsx", &xlsx(&grid)),
        fixture("hidden_rows.xls"), // scripts/make-xls-fixtures: rows 3 and 5 hidden
        save(dir.path(), "hidden.ods", &ods(&grid)),
    ];
    let mut seen = Vec::new();
    for path in &files {
        let intake = read(path);
        let hidden: Vec<usize> = intake.hidden.iter().map(|h| h.row).collect();
        assert_eq!(hidden, [3, 5], "{path:?}");
        assert_eq!(intake.requests.len(), 18, "{path:?}");
        let note = intake.notes.iter().find(|n| n.message.contains("--include-hidden")).map(|n| n.message.clone());
        assert!(note.as_deref().is_some_and(|n| n.contains("3・5行目")), "{path:?}: {note:?}");
        let with_hidden = intake::read(path, &ReadOptions { include_hidden: true, ..ReadOptions::default() }).unwrap();
        assert_eq!(with_hidden.requests.len(), 20, "{path:?}");
        seen.push(intake.requests.iter().map(|r| r.request_id.as_str().to_string()).collect::<Vec<_>>());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "the three formats issue the same requests");
}

#[test]
fn check_and_run_agree_on_excels_habits() {
    let dir = tempfile::tempdir().unwrap();
    let (grid, rows) = habits(true);
    let input = save(dir.path(), "habits.xlsx", &xlsx(&grid));
    let input = input.to_str().unwrap();
    let out = dir.path().join("out");
    let check = tsuchi(&["check", input, "--json", "--out", dir.path().join("check").to_str().unwrap()], dir.path());
    let run = tsuchi(&["run", input, "--json", "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    let verdicts = |stdout: &[u8]| {
        let v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
        let rows = |key: &str| -> BTreeSet<u64> {
            v[key].as_array().unwrap().iter().map(|e| e["row"].as_u64().unwrap()).collect()
        };
        (rows("issued"), rows("rejected"))
    };
    let (check_issued, check_refused) = verdicts(&check.stdout);
    let (run_issued, run_refused) = verdicts(&run.stdout);
    assert_eq!((&check_issued, &check_refused), (&run_issued, &run_refused));
    assert_eq!(run_refused, rows.iter().map(|(r, _)| *r as u64).collect::<BTreeSet<_>>());
    let notices = std::fs::read_dir(common::batch_dir(&out).join("notices")).unwrap().count();
    assert_eq!(notices, 20 - rows.len());
    // Nothing Excel produced reaches paper.
    for pdf in std::fs::read_dir(common::batch_dir(&out).join("notices")).unwrap() {
        let words = common::tool("pdftotext", &[pdf.unwrap().path().to_str().unwrap(), "-"]);
        assert!(!words.contains("#N/A") && !words.contains("#REF!") && !words.contains("2026-05-13"));
    }
}

/// A compound file holding `EncryptedPackage`: how Excel saves a workbook with an opening
/// password, whatever its extension.
fn encrypted_workbook() -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    file.create_stream("/EncryptionInfo").unwrap().write_all(&[4, 0, 4, 0, 0x40, 0, 0, 0]).unwrap();
    file.create_stream("/EncryptedPackage").unwrap().write_all(&[0u8; 4096]).unwrap();
    file.flush().unwrap();
    file.into_inner().into_inner()
}

#[test]
fn a_password_protected_workbook_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "申請一覧.xlsx", &encrypted_workbook());
    let err = intake::read(&path, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IntakeError::Encrypted { .. }), "{err:?}");
    let out = tsuchi(&["check", path.to_str().unwrap(), "--out", dir.path().join("c").to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("申請一覧.xlsx") && stderr.contains("パスワードで保護"), "{stderr}");
    assert!(!dir.path().join("c").exists(), "nothing is written");
}

/// Runs `tsuchi args` in `cwd` with its address space capped at `mib` MiB beyond the program's
/// own image, as `ulimit -v` does: an allocation beyond it fails and the process aborts (exit
/// 134), so a clean exit shows the file never made tsuchi ask for that much. The image (the
/// code and the embedded fonts, mapped from the file: 77 MB for a test build, 44 MB released)
/// is what the program is, not what the file costs, and it grows with features.
fn capped(mib: u64, args: &[&str], cwd: &Path) -> std::process::Output {
    let command = common::command();
    let program = command.get_program().to_owned();
    let image = std::fs::metadata(&program).unwrap().len() >> 20;
    let mib = mib + image;
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mib * 1024))
        .arg(program)
        .args(args)
        .current_dir(cwd);
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            shell.env(key, value);
        }
    }
    shell.output().unwrap()
}

/// An xlsx of the sample list whose part `part` has `insert` written right after the first
/// occurrence of `after`.
fn xlsx_with_insert(part: &str, after: &str, insert: impl Fn(&mut dyn Write)) -> Vec<u8> {
    let bytes = std::fs::read(common::sample("requests.xlsx")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let fast = zip::write::SimpleFileOptions::default().compression_level(Some(1)).large_file(true);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        out.start_file(name.clone(), fast).unwrap();
        if name == part {
            let text = String::from_utf8(content).unwrap();
            let start = text.find(after).unwrap();
            let at = start + text[start..].find('>').unwrap() + 1;
            out.write_all(&text.as_bytes()[..at]).unwrap();
            insert(&mut out);
            out.write_all(&text.as_bytes()[at..]).unwrap();
        } else {
            out.write_all(&content).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

fn xlsx_with_sheet_insert(insert: impl Fn(&mut dyn Write)) -> Vec<u8> {
    xlsx_with_insert("xl/worksheets/sheet1.xml", "<sheetData", insert)
}

/// Small hostile files of every reader, each refused (or read) under a 400 MiB address-space
/// cap, with the limit it broke named and nothing written.
#[test]
fn small_hostile_files_are_refused_within_a_memory_cap() {
    let dir = tempfile::tempdir().unwrap();
    let header = "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>申請番号</text:p></table:table-cell></table:table-row>";
    let spaces = vec![b' '; 1 << 20];
    let mut dims = std::fs::read(common::sample("requests.xls")).unwrap();
    // DIMENSIONS (0x0200, 14 bytes) claiming rows 0 to 4,294,967,280 and 255 columns.
    let at = dims.windows(4).position(|w| w == [0x00, 0x02, 0x0E, 0x00]).unwrap() + 4;
    dims[at..at + 12].copy_from_slice(&[0, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0, 0, 0xFF, 0]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "repeated.ods",
            ods_with(&format!(
                "<table:table table:name=\"S\">{header}<table:table-row table:number-rows-repeated=\"1048575\"><table:table-cell office:value-type=\"string\" table:number-columns-repeated=\"16384\"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"
            )),
            "入力のあるセルが上限",
        ),
        (
            "spaces.xlsx",
            xlsx_with_sheet_insert(|w| {
                for _ in 0..256 {
                    w.write_all(&spaces).unwrap();
                }
            }),
            "一続きのデータ",
        ),
        (
            "string.xlsx",
            // One unused shared string of 96 MiB.
            xlsx_with_insert("xl/sharedStrings.xml", "<sst", |w| {
                w.write_all(b"<si><t>").unwrap();
                for _ in 0..96 {
                    w.write_all(&[b'a'; 1 << 20]).unwrap();
                }
                w.write_all(b"</t></si>").unwrap();
            }),
            "展開すると上限",
        ),
        (
            // One cell of a megabyte of text across the whole row: 16 GiB if each repeat were
            // a copy before the limits are asked.
            "long-run.ods",
            ods_with(&format!(
                "<table:table table:name=\"S\">{header}<table:table-row><table:table-cell office:value-type=\"string\" table:number-columns-repeated=\"16384\"><text:p>{}</text:p></table:table-cell></table:table-row></table:table>",
                "a".repeat((1 << 20) - 16)
            )),
            "入力のあるセルが上限",
        ),
        ("dimensions.xls", dims, "入力のあるセルが上限"),
        (
            "cells.csv",
            "申請番号,x\r\n".bytes().chain("a,".repeat(5_000_000).into_bytes()).collect(),
            "入力のあるセルが上限",
        ),
    ];
    for (name, bytes, says) in cases {
        assert!(bytes.len() <= 10 << 20, "{name} is a small file: {} bytes", bytes.len());
        let path = save(dir.path(), name, &bytes);
        let out = dir.path().join(format!("out-{name}"));
        let result = capped(400, &["check", path.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(name) && stderr.contains(says), "{name}: {stderr}");
        assert!(!out.exists(), "{name}: nothing is written");
    }
}

/// The largest lists within the limits (scripts/worst-case-list writes them as xlsx, ods and
/// CSV): 3.2 million one-character cells, in every one of the 13 columns or three to a row on
/// every row of the grid, are read under a 300 MiB address-space cap. A `String` per cell
/// needed more (300–400 MB resident in a release build).
#[test]
fn the_largest_lists_within_the_limits_are_read_within_a_memory_cap() {
    const HEADINGS: [&str; 13] = [
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
        "請求先都道府県",
        "宛名",
        ADDRESS2,
    ];
    let cell = |text: &str, repeat: usize| {
        format!(
            "<table:table-cell table:number-columns-repeated=\"{repeat}\" office:value-type=\"string\"><text:p>{text}</text:p></table:table-cell>"
        )
    };
    let empty = |repeat: usize| format!("<table:table-cell table:number-columns-repeated=\"{repeat}\"/>");
    let list = |row: String, rows: usize| {
        let header: String = HEADINGS.iter().map(|h| cell(h, 1)).collect();
        ods_with(&format!(
            "<table:table table:name=\"申請一覧\"><table:table-row>{header}</table:table-row><table:table-row table:number-rows-repeated=\"{rows}\">{row}</table:table-row></table:table>"
        ))
    };
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // Every row a data row (審査結果 「x」: listed, not issued).
        ("wide.ods", list(cell("x", 13), 246_152), "データ行：246152行"),
        // 通知種別, 審査結果 and 請求先都道府県 only: rows left over from a template.
        (
            "narrow.ods",
            list(format!("{}{}{}{}", empty(1), cell("x", 2), empty(7), cell("x", 1)), 1_048_575),
            "1048575行を空行として読み飛ばしました",
        ),
    ];
    for (name, bytes, says) in cases {
        let path = save(dir.path(), name, &bytes);
        let out = dir.path().join(format!("out-{name}"));
        let result = capped(300, &["check", path.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
        assert_eq!(result.status.code(), Some(0), "{name}: {}", text(&result.stderr));
        assert!(text(&result.stdout).contains(says), "{name}");
    }
}

/// A far cell or a claimed dimension costs what the filled cells cost: the file is read, not
/// refused, under the same cap.
#[test]
fn a_far_cell_is_read_within_a_memory_cap_in_xlsx_and_ods() {
    let dir = tempfile::tempdir().unwrap();
    let far_ods = ods_with(&format!(
        "<table:table table:name=\"S\">{}<table:table-row table:number-rows-repeated=\"1048570\"><table:table-cell/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated=\"16383\"/><table:table-cell office:value-type=\"string\"><text:p>x</text:p></table:table-cell></table:table-row></table:table>",
        {
            let grid = sample_grid();
            let ods_bytes = ods(&grid);
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(ods_bytes)).unwrap();
            let mut content = String::new();
            archive.by_name("content.xml").unwrap().read_to_string(&mut content).unwrap();
            let start = content.find("<table:table-row").unwrap();
            let end = content.rfind("</table:table>").unwrap();
            content[start..end].to_string()
        }
    ));
    let far_xlsx = xlsx_with_sheet_insert(|_| {});
    let far_xlsx = patch(&far_xlsx, "xl/worksheets/sheet1.xml", |xml| {
        xml.replace(
            "</sheetData>",
            "<row r=\"1048576\"><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData>",
        )
    });
    for (name, bytes) in [("far.ods", far_ods), ("far.xlsx", far_xlsx)] {
        let path = save(dir.path(), name, &bytes);
        let out = dir.path().join(format!("out-{name}"));
        let result = capped(400, &["check", path.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
        let stdout = text(&result.stdout);
        assert_eq!(result.status.code(), Some(0), "{name}: {}", text(&result.stderr));
        assert!(stdout.contains("データ行：20行"), "{name}: {stdout}");
    }
}

#[test]
fn two_headings_of_one_field_are_both_named_with_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut grid = sample_grid();
    let at = column(&grid, ADDRESS2);
    grid.rows[0][at] = Cell::Text("電話".into());
    let path = save(dir.path(), "twice.csv", &csv(&grid));
    let message = intake::read(&path, &ReadOptions::default()).unwrap_err().to_string();
    for part in ["H列「電話番号」", "M列「電話」", "同じ項目「電話番号」"] {
        assert!(message.contains(part), "{message}");
    }
}

#[test]
fn a_missing_column_is_named_as_the_template_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "short.csv", "申請番号,通知種別\r\nR-1,再発行\r\n".as_bytes());
    let message = intake::read(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(message.contains("「ユーザID」") && !message.contains("ユーザid"), "{message}");
}

/// The 発送リスト read by `mail import` is held to the same limits: a far cell costs nothing,
/// and a repeated run is refused, under the same cap.
#[test]
fn a_hostile_mailing_list_is_read_or_refused_within_a_memory_cap() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run =
        tsuchi(&["run", common::sample("requests.xlsx").to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert!(run.status.success(), "{}", text(&run.stderr));
    let list = std::fs::read(common::batch_dir(&out).join("print").join("発送リスト.xlsx")).unwrap();
    let far = patch(&list, "xl/worksheets/sheet1.xml", |xml| {
        xml.replace(
            "</sheetData>",
            "<row r=\"1048576\"><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData>",
        )
    });
    let far = save(dir.path(), "far.xlsx", &far);
    let result = capped(400, &["mail", "import", far.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let repeated = ods_with(
        "<table:table table:name=\"発送リスト\"><table:table-row><table:table-cell office:value-type=\"string\"><text:p>管理番号</text:p></table:table-cell><table:table-cell office:value-type=\"string\"><text:p>書留番号</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated=\"1048575\"><table:table-cell office:value-type=\"string\" table:number-columns-repeated=\"16384\"><text:p>x</text:p></table:table-cell></table:table-row></table:table>",
    );
    let repeated = save(dir.path(), "repeated.ods", &repeated);
    let result =
        capped(400, &["mail", "import", repeated.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("repeated.ods") && stderr.contains("入力のあるセルが上限"), "{stderr}");
}
