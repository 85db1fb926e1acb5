//! The 発送リスト as the mail room hands it back: every sheet with 管理番号 and 書留番号
//! headings, each data row read into an entry (a 書留番号 that looks like one, perhaps a
//! 発送日), a blank (not yet sent) or a refusal that names sheet, row, column and value.
//!
//! Reading cells ([`read_workbook`], over the intake's bounded reader) is kept apart from judging
//! them: everything after it works on plain [`Cell`]s (text and what Excel stored), row by row.
//! What needs the ledger (is the 管理番号 known, is the number used elsewhere, is the date after
//! the batch) is decided by `lifecycle::import`, not here.

use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use super::LifecycleError;
use crate::engine::intake::column_letter;
use crate::ground::model::{RegisteredNo, normalize_code};

/// What Excel stored in a cell. A formula counts as what it last computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Text,
    Number,
    /// A date or time; its text is `YYYY-MM-DD` (and a time, if it has one).
    Date,
    /// An error value (`#N/A`, `#REF!` …); its text is the value as Excel shows it.
    Error,
    /// A formula saved without its value; its text is empty.
    Unsaved,
}

/// One cell of a sheet: its text as shown, and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub kind: CellKind,
}

/// A row of a sheet, sparse: (0-based column, cell) for every cell that is not empty.
#[derive(Debug, Clone)]
pub struct SheetRow {
    /// 1-based, as Excel numbers it.
    pub row: usize,
    pub cells: Vec<(usize, Cell)>,
}

impl SheetRow {
    fn cell(&self, column: usize) -> Option<&Cell> {
        self.cells.iter().find(|(c, _)| *c == column).map(|(_, cell)| cell)
    }
}

/// Every row of every visible sheet of the workbook at `path`, in order, handed to `visit` as
/// (sheet name, row of cells). The one function here that knows how a workbook is read: the
/// intake's reader, so that its limits on size and cells hold for this list too.
pub fn read_workbook(path: &Path, visit: impl FnMut(&str, &SheetRow)) -> Result<(), LifecycleError> {
    visit_sheets(crate::engine::intake::read_every_sheet(path)?, visit);
    Ok(())
}

/// The rows of `sheets` as [`read_workbook`] hands them over.
fn visit_sheets(sheets: Vec<(String, crate::engine::intake::Table)>, mut visit: impl FnMut(&str, &SheetRow)) {
    use crate::engine::intake::CellType;
    for (name, table) in sheets {
        for row in table.rows.iter() {
            let kind = |col: usize| match row.cell_type(col) {
                None => CellKind::Text,
                Some(CellType::Number) => CellKind::Number,
                Some(CellType::Date) => CellKind::Date,
                Some(CellType::Error) => CellKind::Error,
                Some(CellType::Unsaved) => CellKind::Unsaved,
            };
            let cells: Vec<(usize, Cell)> =
                row.cells().map(|(col, text)| (col, Cell { text: text.to_string(), kind: kind(col) })).collect();
            visit(&name, &SheetRow { row: row.number, cells });
        }
    }
}

/// Where a row of the list is: sheet and 1-based row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct At {
    pub sheet: String,
    pub row: usize,
}

/// Why a row is not recorded: the cell (column letter and heading), its value, and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub column: String,
    pub heading: String,
    pub value: String,
    pub reason: String,
    /// A 書留番号 or 発送日 other than the one recorded: importing again as a correction
    /// records it.
    #[serde(skip)]
    pub correctable: bool,
}

/// A data row of the list.
#[derive(Debug, Clone)]
pub struct Line {
    pub at: At,
    pub control_no: String,
    pub what: Filled,
    /// The 書留番号 the row holds when it is one, even if the row is refused for another
    /// cell: a number typed on two rows is a slip on both, whatever else is wrong with one.
    pub number: Option<RegisteredNo>,
    /// Column letter and text of the 管理番号, 書留番号 and 発送日 cells, for refusals.
    cells: [(String, String); 3],
}

#[derive(Debug, Clone)]
pub enum Filled {
    /// 書留番号 left blank: not yet sent.
    Blank,
    Sent {
        registered_no: RegisteredNo,
        sent_on: Option<NaiveDate>,
    },
    Refused(Refusal),
}

/// The cells of a row a refusal can name.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    Control,
    Registered,
    SentOn,
}

impl Line {
    /// A refusal of one cell of this row.
    pub fn refusal(&self, field: Field, reason: String) -> Refusal {
        let (i, heading) = match field {
            Field::Control => (0, CONTROL),
            Field::Registered => (1, REGISTERED),
            Field::SentOn => (2, SENT_ON),
        };
        let (column, value) = self.cells[i].clone();
        Refusal { column, heading: heading.to_string(), value, reason, correctable: false }
    }
}

/// Where the headings of a sheet are (0-based columns).
#[derive(Debug, Clone, Copy)]
struct Columns {
    control: usize,
    registered: usize,
    sent_on: Option<usize>,
}

const CONTROL: &str = "管理番号";
const REGISTERED: &str = "書留番号";
const SENT_ON: &str = "発送日";

/// The data rows of every sheet of the workbook at `path` that is a 発送リスト (its header,
/// within the first ten rows that hold anything, has 管理番号 and 書留番号), in sheet order.
/// Rows with neither a 管理番号 nor a 書留番号 are left out.
pub fn read(path: &Path) -> Result<Vec<Line>, LifecycleError> {
    let mut list = Lines::default();
    read_workbook(path, |sheet, row| list.push(sheet, row))?;
    list.finish().ok_or_else(|| LifecycleError::NotAMailingList(path.to_path_buf()))
}

/// [`read`] of bytes already read from `path` (which names the file and its format).
pub fn read_bytes(path: &Path, bytes: &[u8]) -> Result<Vec<Line>, LifecycleError> {
    let mut list = Lines::default();
    visit_sheets(crate::engine::intake::every_sheet_of(path, bytes)?, |sheet, row| list.push(sheet, row));
    list.finish().ok_or_else(|| LifecycleError::NotAMailingList(path.to_path_buf()))
}

/// Rows, as a reader hands them over, turned into the lines of a 発送リスト one at a time.
#[derive(Default)]
pub struct Lines {
    sheet: String,
    /// Rows of this sheet looked at for the header so far.
    looked: usize,
    columns: Option<Columns>,
    found: bool,
    lines: Vec<Line>,
}

impl Lines {
    pub fn push(&mut self, sheet: &str, row: &SheetRow) {
        if sheet != self.sheet {
            (self.sheet, self.looked, self.columns) = (sheet.to_string(), 0, None);
        }
        match &self.columns {
            Some(columns) => self.lines.extend(line(sheet, row, columns)),
            None if self.looked < 10 => {
                self.looked += 1;
                self.columns = header(row);
                self.found |= self.columns.is_some();
            }
            None => {}
        }
    }

    /// The lines, or `None` when no sheet was a 発送リスト.
    pub fn finish(self) -> Option<Vec<Line>> {
        self.found.then_some(self.lines)
    }
}

fn header(row: &SheetRow) -> Option<Columns> {
    let at = |title: &str| {
        row.cells.iter().find(|(_, c)| c.kind == CellKind::Text && c.text.trim() == title).map(|(col, _)| *col)
    };
    Some(Columns { control: at(CONTROL)?, registered: at(REGISTERED)?, sent_on: at(SENT_ON) })
}

fn line(sheet: &str, row: &SheetRow, columns: &Columns) -> Option<Line> {
    let control = row.cell(columns.control);
    let registered = row.cell(columns.registered);
    let sent_on_cell = columns.sent_on.and_then(|c| row.cell(c));
    let shown = |column: Option<usize>, cell: Option<&Cell>| {
        (column.map(column_letter).unwrap_or_default(), cell.map(|c| c.text.clone()).unwrap_or_default())
    };
    let mut line = Line {
        at: At { sheet: sheet.to_string(), row: row.row },
        control_no: control.map(|c| normalize_code(&c.text).to_ascii_uppercase()).unwrap_or_default(),
        what: Filled::Blank,
        number: None,
        cells: [
            shown(Some(columns.control), control),
            shown(Some(columns.registered), registered),
            shown(columns.sent_on, sent_on_cell),
        ],
    };
    let refused = |line: Line, field, reason| Some(Line { what: Filled::Refused(line.refusal(field, reason)), ..line });
    if line.control_no.is_empty() {
        // A number without its 管理番号 cannot be matched to a notice; a row with neither is
        // not a row of the list (a total, a note).
        return match registered_no(registered) {
            Ok(None) => None,
            _ => refused(line, Field::Control, crate::msg!("lifecycle.list.no_control")),
        };
    }
    if control.is_some_and(|c| c.kind == CellKind::Error) {
        return refused(line, Field::Control, crate::msg!("lifecycle.list.error_value"));
    }
    let registered_no = match registered_no(registered) {
        Ok(None) => return Some(line),
        Ok(Some(no)) => no,
        Err(reason) => return refused(line, Field::Registered, reason),
    };
    line.number = Some(registered_no.clone());
    match sent_on(sent_on_cell) {
        Ok(sent_on) => {
            line.what = Filled::Sent { registered_no, sent_on };
            Some(line)
        }
        Err(reason) => refused(line, Field::SentOn, reason),
    }
}

/// The 書留番号 of a cell: `None` when blank, the reason when the cell is not one.
pub fn registered_no(cell: Option<&Cell>) -> Result<Option<RegisteredNo>, String> {
    let Some(cell) = cell else { return Ok(None) };
    match cell.kind {
        CellKind::Error => Err(crate::msg!("lifecycle.list.error_value")),
        CellKind::Unsaved => Err(crate::msg!("lifecycle.list.unsaved")),
        _ if normalize_code(&cell.text).is_empty() => Ok(None),
        CellKind::Date => Err(crate::msg!("lifecycle.list.date_not_number")),
        CellKind::Text | CellKind::Number => RegisteredNo::parse(&cell.text).map(Some),
    }
}

/// The 発送日 of a cell: `None` when blank; a date cell, or text as 2026-04-01 or 2026/04/01.
pub fn sent_on(cell: Option<&Cell>) -> Result<Option<NaiveDate>, String> {
    let Some(cell) = cell else { return Ok(None) };
    let text = normalize_code(&cell.text);
    match cell.kind {
        CellKind::Error => Err(crate::msg!("lifecycle.list.error_value")),
        CellKind::Unsaved => Err(crate::msg!("lifecycle.list.unsaved")),
        _ if text.is_empty() => Ok(None),
        CellKind::Date => text
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(Some)
            .ok_or_else(|| crate::msg!("lifecycle.sent_on_unreadable", value = text)),
        CellKind::Text | CellKind::Number => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(&text, "%Y/%m/%d"))
            .map(Some)
            .map_err(|_| crate::msg!("lifecycle.sent_on_format", value = text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str, kind: CellKind) -> Cell {
        Cell { text: text.to_string(), kind }
    }

    #[test]
    fn error_values_words_and_dates_are_not_registered_numbers() {
        assert!(registered_no(Some(&cell("#N/A", CellKind::Error))).is_err());
        assert!(registered_no(Some(&cell("12345678901", CellKind::Error))).is_err());
        assert!(registered_no(Some(&cell("2026-04-02", CellKind::Date))).is_err());
        assert!(registered_no(Some(&cell("", CellKind::Unsaved))).is_err());
        for word in ["未発送", "保留", "-", "なし", "×", "済"] {
            assert!(registered_no(Some(&cell(word, CellKind::Text))).is_err(), "{word}");
        }
        assert_eq!(registered_no(Some(&cell("　", CellKind::Text))), Ok(None));
        assert_eq!(registered_no(None), Ok(None));
        let number = registered_no(Some(&cell("112233440007", CellKind::Number))).unwrap().unwrap();
        assert_eq!(number.digits(), "112233440007");
    }

    fn row(row: usize, cells: &[(usize, &str, CellKind)]) -> SheetRow {
        SheetRow { row, cells: cells.iter().map(|(c, t, k)| (*c, cell(t, *k))).collect() }
    }

    #[test]
    fn every_sheet_with_the_headings_is_read_and_others_are_not() {
        use CellKind::*;
        let mut lines = Lines::default();
        lines.push("メモ", &row(1, &[(0, "管理番号", Text), (1, "備考", Text)]));
        lines.push("メモ", &row(2, &[(0, "B-1", Text), (1, "31112000003", Number)]));
        lines.push("一月", &row(1, &[(0, "発送リスト", Text)]));
        lines.push("一月", &row(3, &[(1, "管理番号", Text), (3, "書留番号", Text), (4, "発送日", Text)]));
        lines.push("一月", &row(4, &[(1, "b-1", Text), (3, "31112000003", Number), (4, "2026-04-02", Date)]));
        lines.push("一月", &row(5, &[(1, "B-2", Text), (3, "#N/A", Error)]));
        lines.push("二月", &row(1, &[(0, "書留番号", Text), (1, "管理番号", Text)]));
        lines.push("二月", &row(2, &[(0, "未発送", Text), (1, "C-1", Text)]));
        lines.push("二月", &row(3, &[(1, "C-2", Text)]));
        let summary: Vec<String> = lines
            .finish()
            .unwrap()
            .iter()
            .map(|l| {
                let what = match &l.what {
                    Filled::Blank => "blank".to_string(),
                    Filled::Sent { registered_no, sent_on } => format!("{registered_no} {sent_on:?}"),
                    Filled::Refused(r) => format!("{}:{}:{}", r.column, r.heading, r.value),
                };
                format!("{} {} {} {what}", l.at.sheet, l.at.row, l.control_no)
            })
            .collect();
        let expected = [
            "一月 4 B-1 31112000003 Some(2026-04-02)",
            "一月 5 B-2 D:書留番号:#N/A",
            "二月 2 C-1 A:書留番号:未発送",
            "二月 3 C-2 blank",
        ];
        assert_eq!(summary, expected);
        let mut none = Lines::default();
        none.push("メモ", &row(1, &[(0, "管理番号", Text)]));
        assert!(none.finish().is_none());
    }

    #[test]
    fn a_sent_on_date_comes_from_a_date_cell_or_iso_text() {
        let d = NaiveDate::from_ymd_opt(2026, 4, 2);
        assert_eq!(sent_on(Some(&cell("2026-04-02", CellKind::Date))), Ok(d));
        assert_eq!(sent_on(Some(&cell("2026/04/02", CellKind::Text))), Ok(d));
        assert!(sent_on(Some(&cell("#REF!", CellKind::Error))).is_err());
        assert!(sent_on(Some(&cell("46114", CellKind::Number))).is_err());
        assert!(sent_on(Some(&cell("4月2日", CellKind::Text))).is_err());
    }
}
