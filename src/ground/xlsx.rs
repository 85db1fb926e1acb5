//! The workbooks clerks and auditors open (差戻し一覧, 発送リスト, 監査ログ): table sheets with
//! a bold, frozen, filterable header and column widths that fit Japanese text. Text is always
//! written as a string cell, so a value such as `=1+2` from a request list never becomes a
//! formula.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// One cell of a table.
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

/// One sheet: its name, header, column widths and rows. The rows are made one at a time as
/// the sheet is written, so that a table of 100,000 rows never stands whole in memory.
pub struct Table<'a> {
    pub name: &'a str,
    pub header: &'a [&'a str],
    pub widths: &'a [f64],
    pub rows: Box<dyn Iterator<Item = Vec<Cell>> + 'a>,
}

/// What an xlsx cell holds at most, in UTF-16 units as Excel counts.
const XLSX_CELL_LIMIT: usize = 32_767;
/// How much of an over-long value is kept, leaving room for the note.
const XLSX_CELL_KEPT: usize = 32_000;

/// A value that fits in one xlsx cell: over-long ones keep their first 32,000 units and say
/// how long they were.
pub fn fit_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if value.len() <= XLSX_CELL_LIMIT || value.encode_utf16().count() <= XLSX_CELL_LIMIT {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut units = 0;
    let mut kept = String::new();
    for c in value.chars() {
        units += c.len_utf16();
        if units > XLSX_CELL_KEPT {
            break;
        }
        kept.push(c);
    }
    std::borrow::Cow::Owned(crate::msg!("run.cell_cut", kept, count = value.chars().count()))
}

/// Writes the workbook of `tables` to `path` as [`crate::ground::fsutil::write_atomic`] does (a private
/// temporary file beside it, flushed, renamed into place), compressed straight into the file:
/// a 100,000-row audit log is tens of megabytes even zipped.
pub fn save(path: &std::path::Path, tables: Vec<Table>) -> std::io::Result<()> {
    let mut book = workbook(tables).map_err(std::io::Error::other)?;
    crate::ground::fsutil::write_atomic_with(path, |file| {
        book.save_to_writer(std::io::BufWriter::new(file)).map_err(std::io::Error::other)
    })
}

/// The workbook of `tables`. Every text cell goes through [`fit_cell`], so no value of any row
/// can make a workbook unwritable. Rows go out in order through rust_xlsxwriter's
/// constant-memory mode (each sheet's XML streamed to a temporary file of its own, strings
/// inline), so a 100,000-row audit log does not hold every cell a second time in memory.
fn workbook(tables: Vec<Table>) -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for table in tables {
        let sheet = book.add_worksheet_with_constant_memory().set_name(table.name)?;
        for (c, (name, width)) in table.header.iter().zip(table.widths).enumerate() {
            sheet.write_string_with_format(0, c as u16, *name, &bold)?;
            sheet.set_column_width(c as u16, *width)?;
        }
        let mut rows = 0;
        for (i, row) in table.rows.enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(t) => sheet.write_string(i as u32 + 1, c as u16, fit_cell(t))?,
                    Cell::Number(n) => sheet.write_number(i as u32 + 1, c as u16, *n)?,
                };
            }
            rows = i as u32 + 1;
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, rows, table.header.len() as u16 - 1)?;
    }
    Ok(book)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_over_long_value_is_shortened_with_its_length_and_a_short_one_is_kept() {
        assert_eq!(fit_cell("東京都"), "東京都");
        let exact = "a".repeat(XLSX_CELL_LIMIT);
        assert_eq!(fit_cell(&exact), exact);
        let long = fit_cell(&"あ".repeat(40_000)).into_owned();
        assert!(
            long.starts_with(&"あ".repeat(32_000)) && long.ends_with("…（以下省略、全40000文字）"),
            "{}",
            &long[long.len() - 80..]
        );
        // Astral characters count twice in Excel's limit.
        let astral = fit_cell(&"𠮷".repeat(20_000)).into_owned();
        assert!(astral.encode_utf16().count() <= XLSX_CELL_LIMIT);
        assert!(astral.ends_with("全20000文字）"));
    }
}
