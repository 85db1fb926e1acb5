//! Reading a request file into rows of cell text, whatever the clerk saved it as.
//!
//! Spreadsheets go through calamine; CSV is decoded from UTF-8 (with or without BOM),
//! UTF-16 (Excel's 「Unicode テキスト」) or Shift_JIS/CP932, detected rather than asked.
//! Row numbers are the ones the clerk sees in Excel.

use std::path::Path;

use calamine::{Data, Reader};

use super::IntakeError;

/// One row of cell text with its row number as Excel shows it (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
}

impl Row {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }

    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map(String::as_str).unwrap_or("")
    }
}

/// The file formats tsuchi reads, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Workbook,
    Csv,
}

fn format_of(path: &Path) -> Result<Format, IntakeError> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => Ok(Format::Workbook),
        "csv" | "txt" | "tsv" => Ok(Format::Csv),
        _ => Err(IntakeError::UnsupportedFormat { path: path.to_path_buf(), ext }),
    }
}

/// Reads every row of the file (or of the chosen sheet), blank rows included.
pub fn read_rows(path: &Path, sheet: Option<&str>) -> Result<Vec<Row>, IntakeError> {
    let format = format_of(path)?;
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => IntakeError::NotFound { path: path.to_path_buf() },
        _ => IntakeError::Io { path: path.to_path_buf(), detail: e.to_string() },
    })?;
    if bytes.is_empty() {
        return Err(IntakeError::Empty { path: path.to_path_buf() });
    }
    match format {
        // calamine 0.31 panics on some corrupted workbooks (index out of bounds in its xlsx
        // cell reader, found by the property tests); a broken file must be an error, not a crash.
        Format::Workbook => quietly_catching_panics(|| read_workbook(path, bytes, sheet)).unwrap_or_else(|| {
            Err(IntakeError::Workbook {
                path: path.to_path_buf(), detail: "ファイルの内容が壊れています".into()
            })
        }),
        Format::Csv => read_csv(path, &bytes),
    }
}

fn read_workbook(path: &Path, bytes: Vec<u8>, sheet: Option<&str>) -> Result<Vec<Row>, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let mut workbook =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| broken(e.to_string()))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => {
            names.iter().find(|n| n.as_str() == wanted).cloned().ok_or_else(|| IntakeError::SheetNotFound {
                path: path.to_path_buf(),
                sheet: wanted.to_string(),
                available: names.join("、"),
            })?
        }
        None => names.first().cloned().ok_or_else(|| IntakeError::Empty { path: path.to_path_buf() })?,
    };
    let range = workbook.worksheet_range(&name).map_err(|e| broken(e.to_string()))?;
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            // Keep absolute column positions so that messages can name the Excel column.
            let mut text = vec![String::new(); first_col];
            text.extend(cells.iter().map(cell_text));
            Row { number: first_row + i + 1, cells: text }
        })
        .collect())
}

thread_local! {
    static SILENCED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into `None` without printing the panic message: the clerk gets
/// one clear error instead of a Rust backtrace. Other panics still reach the previous hook.
fn quietly_catching_panics<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !SILENCED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    SILENCED.with(|s| s.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok();
    SILENCED.with(|s| s.set(false));
    result
}

/// The text of a cell as the clerk meant it. Numbers typed into a cell come back as floats
/// (1311111114.0); integral ones are written without the fraction.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::Error(e) => e.to_string(),
    }
}

/// Decodes CSV bytes: BOMs first, then strict UTF-8, then CP932 (which is what
/// `encoding_rs::SHIFT_JIS` decodes).
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).ok();
    }
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (!had_errors).then(|| text.into_owned());
    }
    if bytes.contains(&0) {
        return None;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(text.to_string());
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    (!had_errors).then(|| text.into_owned())
}

fn read_csv(path: &Path, bytes: &[u8]) -> Result<Vec<Row>, IntakeError> {
    let text = decode_text(bytes).ok_or_else(|| IntakeError::Encoding { path: path.to_path_buf() })?;
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') { b'\t' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // The csv crate skips blank lines; Excel shows each as a row, and a quoted cell with line
    // breaks as one row. So a record's Excel row is the previous one's plus one, plus the blank
    // lines consumed before it: the line breaks read for it, less those inside its cells and
    // the previous record's terminator (which the reader consumes only when it reads on).
    let (mut consumed, mut number) = (0usize, 0usize);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(IntakeError::Csv {
                    path: path.to_path_buf(),
                    line: e.position().map(|p| p.line()).unwrap_or(0),
                    detail: e.to_string(),
                });
            }
        }
        let end = (reader.position().byte() as usize).clamp(consumed, text.len());
        let segment = &text.as_bytes()[consumed..end];
        let breaks = segment.iter().filter(|&&b| b == b'\n').count();
        let inside: usize = record.iter().map(|f| f.matches('\n').count()).sum();
        let terminator = usize::from(number > 0);
        number += 1 + breaks.saturating_sub(inside + terminator);
        consumed = end;
        rows.push(Row { number, cells: record.iter().map(str::to_string).collect() });
    }
    if rows.is_empty() {
        return Err(IntakeError::Empty { path: path.to_path_buf() });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_and_without_bom_and_cp932_alike() {
        let text = "申請番号,事業所名\r\nR-1,髙橋ケアサービス\r\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_text(text.as_bytes()).unwrap(), text);
        assert_eq!(decode_text(&bom).unwrap(), text);
        assert_eq!(decode_text(&sjis).unwrap(), text);
    }

    #[test]
    fn cp932_gaiji_decode_to_private_use() {
        let text = decode_text(b"\xF0\x40").unwrap();
        assert_eq!(text, "\u{E000}");
    }

    #[test]
    fn csv_row_numbers_match_excel_across_blank_lines_and_quoted_breaks() {
        let text = "a,b\r\n1,x\r\n\r\n2,\"line1\r\nline2\"\r\n3,y\r\n";
        let rows = read_csv(Path::new("t.csv"), text.as_bytes()).unwrap();
        let numbers: Vec<(usize, &str)> = rows.iter().map(|r| (r.number, r.cells[0].as_str())).collect();
        assert_eq!(numbers, vec![(1, "a"), (2, "1"), (4, "2"), (5, "3")]);
    }

    #[test]
    fn excel_numbers_lose_their_fraction() {
        assert_eq!(cell_text(&Data::Float(1311111114.0)), "1311111114");
        assert_eq!(cell_text(&Data::Float(175701069.0)), "175701069");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
    }
}
