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

/// One sheet: its name, header, column widths and rows.
pub struct Table<'a> {
    pub name: &'a str,
    pub header: &'a [&'a str],
    pub widths: &'a [f64],
    pub rows: Vec<Vec<Cell>>,
}

/// The workbook of `tables`, as bytes.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for table in tables {
        let sheet = book.add_worksheet().set_name(table.name)?;
        for (c, (name, width)) in table.header.iter().zip(table.widths).enumerate() {
            sheet.write_string_with_format(0, c as u16, *name, &bold)?;
            sheet.set_column_width(c as u16, *width)?;
        }
        for (i, row) in table.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(t) => sheet.write_string(i as u32 + 1, c as u16, t)?,
                    Cell::Number(n) => sheet.write_number(i as u32 + 1, c as u16, *n)?,
                };
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, table.rows.len() as u32, table.header.len() as u16 - 1)?;
    }
    book.save_to_buffer()
}
