//! The 発送リスト as a mail room hands it back, written with rust_xlsxwriter: the rows tsuchi
//! wrote, with whatever the clerks put into 書留番号 and 発送日 (numbers, text, error values
//! left by a formula, dates), one sheet or several; and what the ledger then records.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

/// What a clerk left in a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Blank,
    /// Digits typed into a General cell: Excel keeps them as a number.
    Number(String),
    Text(String),
    /// A formula (e.g. a VLOOKUP) whose saved result is an error value such as `#N/A`.
    Error(&'static str),
    Date(u16, u8, u8),
}

/// The headings tsuchi writes, and the 発送日 the mail room adds.
pub const HEADER: [&str; 11] = [
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

/// The sample list issued into `out` on 2026-04-01 (and as `extra` says) with the test settings
/// beside `out`: the new batch's folder.
pub fn issued_batch(out: &Path, extra: &[&str]) -> PathBuf {
    let cwd = out.parent().unwrap();
    let config = super::test_config(cwd);
    let mut args = vec!["--config", config.to_str().unwrap(), "--date", "2026-04-01", "--allow-date"];
    args.extend(extra);
    let o = super::run_sample(cwd, out, &args);
    assert_eq!(o.status.code(), Some(0), "{}", super::text(&o.stderr));
    super::batch_dirs(out).pop().unwrap()
}

/// The data rows of the 発送リスト tsuchi wrote for `batch` (管理番号 in the second column).
pub fn list_rows(batch: &Path) -> Vec<Vec<String>> {
    super::xlsx_rows(&batch.join("print").join("発送リスト.xlsx")).into_iter().skip(1).collect()
}

/// A filled row: tsuchi's nine columns, then 書留番号 and 発送日.
#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<String>,
    pub registered: Value,
    pub sent_on: Value,
}

impl Row {
    pub fn control(&self) -> &str {
        &self.cells[1]
    }
}

/// Every row of `batch`'s list, 書留番号 from `number` (a plain 11-digit one unless it says
/// otherwise) and sent on 2026-04-02.
pub fn rows_of(batch: &Path, number: impl Fn(usize) -> Value) -> Vec<Row> {
    list_rows(batch)
        .into_iter()
        .enumerate()
        .map(|(r, cells)| Row { cells, registered: number(r), sent_on: Value::Date(2026, 4, 2) })
        .collect()
}

/// A valid, distinct 11-digit 書留番号 for row `r` (not a placeholder).
pub fn number(r: usize) -> String {
    format!("31112{:06}", 7 * r + 3)
}

fn write(sheet: &mut rust_xlsxwriter::Worksheet, row: u32, col: u16, value: &Value, date: &Format) {
    match value {
        Value::Blank => Ok(sheet),
        Value::Number(n) => sheet.write_number(row, col, n.parse::<f64>().unwrap()),
        Value::Text(t) => sheet.write_string(row, col, t),
        Value::Error(e) => {
            let formula = match *e {
                "#N/A" => "=VLOOKUP(B2,$X$1:$Y$2,2,FALSE)",
                _ => "=INDIRECT(\"Z0\")",
            };
            sheet.write_formula(row, col, Formula::new(formula).set_result(*e))
        }
        Value::Date(y, m, d) => {
            sheet.write_datetime_with_format(row, col, ExcelDateTime::from_ymd(*y, *m, *d).unwrap(), date)
        }
    }
    .unwrap();
}

/// Writes a workbook of one sheet per (name, rows) to `dir/name`.
pub fn write_list(dir: &Path, name: &str, sheets: &[(&str, &[Row])]) -> PathBuf {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy/mm/dd");
    for (sheet_name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*sheet_name).unwrap();
        for (c, h) in HEADER.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            let at = r as u32 + 1;
            for (c, value) in row.cells.iter().take(9).enumerate() {
                sheet.write_string(at, c as u16, value).unwrap();
            }
            write(sheet, at, 9, &row.registered, &date);
            write(sheet, at, 10, &row.sent_on, &date);
        }
    }
    let path = dir.join(name);
    book.save(&path).unwrap();
    path
}

/// (管理番号, 書留番号) of every `mail.sent` event in the ledger under `out`, in chain order.
pub fn sent_events(out: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    let mut stmt = conn.prepare("SELECT detail FROM events WHERE kind = 'mail.sent' ORDER BY seq").unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|d| {
            let d: serde_json::Value = serde_json::from_str(&d.unwrap()).unwrap();
            (d["notice"]["control_no"].as_str().unwrap().to_string(), d["registered_no"].as_str().unwrap().to_string())
        })
        .collect()
}

/// How many events of `kind` the ledger under `out` holds.
pub fn event_count(out: &Path, kind: &str) -> usize {
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    conn.query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| r.get::<_, i64>(0)).unwrap() as usize
}

/// SHA-256 of every file under `dir`, by path.
pub fn hashes(dir: &Path) -> std::collections::BTreeMap<PathBuf, String> {
    super::files_under(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f, tsuchi::ground::digest::sha256_hex(&bytes))
        })
        .collect()
}
