//! Reading a request file into rows of cell text, whatever the clerk saved it as.
//!
//! Spreadsheets go through calamine; CSV is decoded from UTF-8 (with or without BOM),
//! UTF-16 (Excel's 「Unicode テキスト」) or Shift_JIS/CP932, detected rather than asked, and
//! split by our own small parser so that row numbers and unclosed quotes are ours to get right.
//! Row numbers are the ones the clerk sees in Excel. Rows are sparse: memory follows the
//! cells the clerk filled, not the size a sheet claims.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{Data, Reader, SheetVisible, Sheets};

use super::IntakeError;
use super::bounds::{self, CellBudget};
pub use super::row::Table;
use super::row::{CellType, RowProblem, Rows, RowsBuilder, choose_sheet, number_text};
use super::{biff, ods};

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

/// The bytes of the list at `path`, read once: what is parsed ([`table_of`]) and what the
/// record hashes must be the same bytes, whatever happens to the file meanwhile. A file larger
/// than [`bounds::MAX_FILE_BYTES`] is refused before it is read.
pub fn load(path: &Path) -> Result<Vec<u8>, IntakeError> {
    format_of(path)?;
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => IntakeError::NotFound { path: path.to_path_buf() },
        _ => IntakeError::Io { path: path.to_path_buf(), detail: e.to_string() },
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(bounds::MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > bounds::MAX_FILE_BYTES {
        return Err(bounds::too_large(
            path,
            crate::msg!("intake.limit.file", limit = bounds::mib(bounds::MAX_FILE_BYTES)),
        ));
    }
    if bytes.is_empty() {
        return Err(IntakeError::Empty { path: path.to_path_buf() });
    }
    Ok(bytes)
}

/// The rows of the list (or of the chosen sheet) whose bytes are `bytes` (read from `path`,
/// which names it in messages and gives its format).
pub fn table_of(path: &Path, bytes: &[u8], sheet: Option<&str>) -> Result<Table, IntakeError> {
    let format = format_of(path)?;
    if bytes.is_empty() {
        return Err(IntakeError::Empty { path: path.to_path_buf() });
    }
    read_table_from(path, bytes, format == Format::Csv, sheet)
}

/// The rows of every visible sheet of a workbook (or of a CSV, as one sheet named by the file),
/// each under the same limits as [`table_of`]: for lists such as the mail room's, where any
/// sheet may be the one filled in.
pub fn read_every_sheet(path: &Path) -> Result<Vec<(String, Table)>, IntakeError> {
    every_sheet_of(path, &load(path)?)
}

/// [`read_every_sheet`] of bytes already read from `path`.
pub fn every_sheet_of(path: &Path, bytes: &[u8]) -> Result<Vec<(String, Table)>, IntakeError> {
    let format = format_of(path)?;
    if format == Format::Csv {
        let name = path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return Ok(vec![(name, read_csv(path, bytes)?)]);
    }
    let names = quietly_catching_panics(|| visible_sheets(path, bytes)).unwrap_or_else(|| {
        Err(IntakeError::Workbook { path: path.to_path_buf(), detail: crate::msg!("intake.error.corrupt") })
    })?;
    names
        .into_iter()
        .map(|name| {
            let table = read_table_from(path, bytes, false, Some(&name))?;
            Ok((name, table))
        })
        .collect()
}

/// The names of a workbook's visible sheets, in order.
fn visible_sheets(path: &Path, bytes: &[u8]) -> Result<Vec<String>, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let sheets = if bytes.starts_with(ZIP_MAGIC) && is_ods(bytes) {
        ods::sheets(path, bytes)?
    } else {
        let (bytes, _) = for_calamine(path, bytes)?;
        let workbook = calamine::open_workbook_auto_from_rs(Cursor::new(&bytes[..])).map_err(|e| match e {
            calamine::Error::Xls(calamine::XlsError::Password) => IntakeError::Encrypted { path: path.to_path_buf() },
            e => broken(e.to_string()),
        })?;
        workbook.sheets_metadata().to_vec()
    };
    Ok(sheets.into_iter().filter(|s| s.visible == SheetVisible::Visible).map(|s| s.name).collect())
}

/// [`table_of`] by kind: `csv` for a text list, else a workbook of any kind
/// (told apart by its content, not its name).
fn read_table_from(path: &Path, bytes: &[u8], csv: bool, sheet: Option<&str>) -> Result<Table, IntakeError> {
    if csv {
        return read_csv(path, bytes);
    }
    // calamine 0.31 panics on some corrupted workbooks (index out of bounds in its xlsx
    // cell reader, found by the property tests); a broken file must be an error, not a crash.
    quietly_catching_panics(|| read_workbook(path, bytes, sheet)).unwrap_or_else(|| {
        Err(IntakeError::Workbook { path: path.to_path_buf(), detail: crate::msg!("intake.error.corrupt") })
    })
}

/// The first bytes of a ZIP file (xlsx, xlsm, xlsb, ods) and of a compound file (xls, or an
/// Office file encrypted with a password).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The bytes calamine may be given, checked first: a ZIP workbook's parts within their limits;
/// an xls's records within the cell limit, its hidden rows noted (by sheet), and its workbook
/// stream packed into a new compound file. calamine's own compound-file reader trusts the
/// sector numbers it finds and allocates up to them (terabytes for a bogus one, found by
/// fuzzing); the `cfb` crate checks them, and the file it writes holds only sane ones.
fn for_calamine<'a>(path: &Path, bytes: &'a [u8]) -> Result<(Cow<'a, [u8]>, Option<XlsHidden>), IntakeError> {
    if bytes.starts_with(CFB_MAGIC) {
        // Excel saves a workbook with an opening password as a compound file holding the
        // encrypted package, whatever its extension.
        if cfb::CompoundFile::open(Cursor::new(bytes)).is_ok_and(|f| f.is_stream("/EncryptedPackage")) {
            return Err(IntakeError::Encrypted { path: path.to_path_buf() });
        }
        let biff = biff::scan(path, bytes)?;
        return Ok((Cow::Owned(biff.repacked), Some(biff.hidden)));
    }
    if bytes.starts_with(ZIP_MAGIC) {
        bounds::check_zip_parts(path, bytes, |name| name.starts_with("xl/worksheets/"))?;
    }
    Ok((Cow::Borrowed(bytes), None))
}

type XlsHidden = std::collections::HashMap<String, BTreeSet<usize>>;

fn read_workbook(path: &Path, bytes: &[u8], sheet: Option<&str>) -> Result<Table, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    if bytes.starts_with(ZIP_MAGIC) && is_ods(bytes) {
        return ods::read(path, bytes, sheet, ods_active_table(bytes));
    }
    let (for_calamine, mut xls_hidden) = for_calamine(path, bytes)?;
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(&for_calamine[..])).map_err(|e| match e {
        calamine::Error::Xls(calamine::XlsError::Password) => IntakeError::Encrypted { path: path.to_path_buf() },
        e => broken(e.to_string()),
    })?;
    let sheets = workbook.sheets_metadata().to_vec();
    let active = match &workbook {
        Sheets::Xlsx(_) => xlsx_active_tab(bytes),
        // The active sheet of xls and xlsb is in binary records calamine does not expose.
        Sheets::Xls(_) | Sheets::Xlsb(_) | Sheets::Ods(_) => None,
    };
    let index = choose_sheet(path, &sheets, sheet, active)?;
    let name = sheets[index].name.clone();

    // xlsx and xlsb are streamed cell by cell: a sheet with one value in XFD1048576 (or a
    // <dimension> claiming the whole grid) costs what its filled cells cost. xls sheets are
    // rectangles in calamine, bounded by `biff::scan` before they were read.
    let mut rows = RowsBuilder::default();
    let mut hidden = BTreeSet::new();
    let add = |rows: &mut RowsBuilder, row: u32, col: u32, text: &str, typed: Option<CellType>| {
        if rows.push(row, col, text, typed) { Ok(()) } else { Err(bounds::too_many_cells(path)) }
    };
    let data = |cell: &Data| (cell_text(cell), CellType::of(cell));
    match &mut workbook {
        Sheets::Xlsx(xlsx) => {
            let part = xlsx_sheet_part(bytes, index).ok_or_else(|| broken(format!("{name}: xl/workbook.xml")))?;
            let marks = xlsx_sheet_marks(path, bytes, &part)?;
            hidden = marks.hidden;
            let mut reader = xlsx.worksheet_cells_reader(&name).map_err(|e| broken(e.to_string()))?;
            let mut unsaved = marks.unsaved.into_iter().peekable();
            while let Some(cell) = reader.next_cell().map_err(|e| broken(e.to_string()))? {
                let (row, col) = cell.get_position();
                // A formula without a value comes from calamine as an empty cell.
                let (text, typed) = match unsaved.next_if_eq(&(row, col)) {
                    Some(_) => (String::new(), Some(CellType::Unsaved)),
                    None => data(&Data::from(cell.get_value().clone())),
                };
                add(&mut rows, row, col, &text, typed)?;
            }
            for (row, col) in unsaved {
                add(&mut rows, row, col, "", Some(CellType::Unsaved))?;
            }
        }
        Sheets::Xlsb(xlsb) => {
            let mut reader = xlsb.worksheet_cells_reader(&name).map_err(|e| broken(e.to_string()))?;
            while let Some(cell) = reader.next_cell().map_err(|e| broken(e.to_string()))? {
                let (row, col) = cell.get_position();
                let (text, typed) = data(&Data::from(cell.get_value().clone()));
                add(&mut rows, row, col, &text, typed)?;
            }
        }
        other => {
            let range = other.worksheet_range(&name).map_err(|e| broken(e.to_string()))?;
            let (row0, col0) = range.start().unwrap_or((0, 0));
            for (r, c, cell) in range.used_cells() {
                let (text, typed) = data(cell);
                add(&mut rows, row0 + r as u32, col0 + c as u32, &text, typed)?;
            }
            if let Some(by_sheet) = &mut xls_hidden {
                hidden = by_sheet.remove(&name).unwrap_or_default();
            }
        }
    }
    Ok(Table { rows: rows.finish(), hidden })
}

/// An ods file names its type in its first entry, `mimetype`.
fn is_ods(bytes: &[u8]) -> bool {
    zip_text(bytes, "mimetype").is_some_and(|m| m.trim() == "application/vnd.oasis.opendocument.spreadsheet")
}

/// The text of a zip entry (a small XML part of a workbook), if there is one.
fn zip_text(bytes: &[u8], name: &str) -> Option<String> {
    const LIMIT: u64 = 16 << 20;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let entry = archive.by_name(name).ok()?;
    let mut text = String::new();
    entry.take(LIMIT).read_to_string(&mut text).ok()?;
    Some(text)
}

/// `activeTab` of xlsx's `<workbookView>` (0 when the view omits it, as Excel does for the
/// first sheet); `None` when the workbook has no view at all.
fn xlsx_active_tab(bytes: &[u8]) -> Option<usize> {
    let xml = zip_text(bytes, "xl/workbook.xml")?;
    let view = start_tags(&xml, "workbookView").next()?;
    Some(attribute(view, "activeTab").and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// The `ActiveTable` view setting of an ods file.
fn ods_active_table(bytes: &[u8]) -> Option<String> {
    let xml = zip_text(bytes, "settings.xml")?;
    let at = xml.find("config:name=\"ActiveTable\"")?;
    let value = xml[at..].split_once('>')?.1.split('<').next()?;
    Some(unescape(value))
}

/// The zip path of the `index`-th sheet of an xlsx: `<sheet r:id>` in workbook.xml, in the
/// order calamine lists them, then its target in the workbook's relationships.
fn xlsx_sheet_part(bytes: &[u8], index: usize) -> Option<String> {
    let workbook = zip_text(bytes, "xl/workbook.xml")?;
    let id = attribute(start_tags(&workbook, "sheet").nth(index)?, "id")?;
    let rels = zip_text(bytes, "xl/_rels/workbook.xml.rels")?;
    let target = start_tags(&rels, "Relationship")
        .find(|tag| attribute(tag, "Id").as_deref() == Some(id.as_str()))
        .and_then(|tag| attribute(tag, "Target"))?;
    Some(match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("xl/{target}"),
    })
}

/// What a pass over an xlsx sheet's XML finds that calamine's cell reader does not say.
struct SheetMarks {
    /// Rows marked `hidden` (by hand, by a filter or by a collapsed outline: Excel writes all
    /// three the same way), 1-based.
    hidden: BTreeSet<usize>,
    /// Cells holding a formula but no value (0-based row, column): the file was saved without
    /// calculating, so the cell shows nothing tsuchi could read.
    unsaved: Vec<(u32, u32)>,
}

/// Streams the sheet part once, before calamine reads it: refuses it when it inflates beyond
/// [`bounds::MAX_SHEET_BYTES`], holds a run calamine's XML reader would buffer whole, or more
/// cells than [`bounds::MAX_CELLS`]; and notes its hidden rows and unsaved formulas.
fn xlsx_sheet_marks(path: &Path, bytes: &[u8], part: &str) -> Result<SheetMarks, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| broken(e.to_string()))?;
    let entry = archive.by_name(part).map_err(|e| broken(format!("{part}: {e}")))?;
    let mut marks = SheetMarks { hidden: BTreeSet::new(), unsaved: Vec::new() };
    let mut budget = CellBudget::default();
    let mut over_budget = false;
    let (mut row, mut col, mut next_col) = (0u32, 0u32, 0u32);
    let (mut in_cell, mut formula, mut value) = (false, false, false);
    bounds::scan_xml(path, part, entry, bounds::MAX_SHEET_BYTES, |tag, text_before| {
        let tag = String::from_utf8_lossy(tag);
        let closing = tag.starts_with('/');
        let self_closing = tag.ends_with('/');
        let inside = tag.trim_start_matches('/');
        if let Some(attrs) = tag_attributes(inside, "row") {
            if closing {
                return;
            }
            row = attribute(attrs, "r").and_then(|r| r.parse::<u32>().ok()).map_or(row + 1, |r| r.max(1));
            next_col = 0;
            if matches!(attribute(attrs, "hidden").as_deref(), Some("1" | "true")) {
                marks.hidden.insert(row as usize);
            }
        } else if let Some(attrs) = tag_attributes(inside, "c") {
            if closing {
                if in_cell && formula && !value {
                    marks.unsaved.push((row.saturating_sub(1), col));
                }
                in_cell = false;
                return;
            }
            col = attribute(attrs, "r").and_then(|r| cell_column(&r)).unwrap_or(next_col);
            next_col = col.saturating_add(1);
            if !self_closing {
                over_budget |= !budget.take(1);
                (in_cell, formula, value) = (true, false, false);
            }
        } else if in_cell {
            // A value is a `<v>` with text in it (openpyxl writes `<v />` for a formula it did
            // not calculate), or an inline string.
            if closing {
                value |= text_before && tag_attributes(inside, "v").is_some();
            } else {
                formula |= tag_attributes(inside, "f").is_some();
                value |= tag_attributes(inside, "is").is_some();
            }
        }
    })?;
    if over_budget {
        return Err(bounds::too_many_cells(path));
    }
    Ok(marks)
}

/// The 0-based column of a cell reference such as `AB12`.
fn cell_column(reference: &str) -> Option<u32> {
    let letters: Vec<u8> = reference.bytes().take_while(u8::is_ascii_alphabetic).collect();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let n = letters.iter().fold(0u32, |n, b| n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1));
    Some(n - 1)
}

/// The attribute text of every start tag named `local` (any namespace prefix).
fn start_tags<'a>(xml: &'a str, local: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    xml.split('<').filter_map(move |piece| tag_attributes(piece.split('>').next().unwrap_or(""), local))
}

/// For the inside of a tag (`x:row r="3" hidden="1"`), its attributes when its local name is `local`.
fn tag_attributes<'a>(tag: &'a str, local: &str) -> Option<&'a str> {
    let end = tag.find(|c: char| c.is_ascii_whitespace() || c == '/').unwrap_or(tag.len());
    let name = &tag[..end];
    (name.rsplit(':').next() == Some(local)).then_some(&tag[end..])
}

/// The unescaped value of attribute `local` (any namespace prefix).
fn attribute(attrs: &str, local: &str) -> Option<String> {
    let mut rest = attrs;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq].trim().rsplit(':').next().unwrap_or("");
        let after = rest[eq + 1..].trim_start();
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let close = after[1..].find(quote)? + 1;
        if name == local {
            return Some(unescape(&after[1..close]));
        }
        rest = &after[close + 1..];
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let entity = rest[amp + 1..].split_once(';').map(|(e, _)| e).filter(|e| e.len() <= 8);
        let decoded = entity.and_then(|e| match e {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => e
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| e.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        });
        match (entity, decoded) {
            (Some(e), Some(c)) => {
                out.push(c);
                rest = &rest[amp + e.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[amp + 1..];
            }
        }
    }
    out.push_str(rest);
    out
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
/// (1311111114.0); integral ones are written without the fraction. A date is written as a date
/// (2026-01-05), not as the serial number Excel keeps (46027), so that a message shows what the
/// clerk sees in the cell.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) => number_text(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, sec, _) = d.to_ymd_hms_milli();
            let date = format!("{y:04}-{mo:02}-{day:02}");
            let time = format!("{h:02}:{mi:02}:{sec:02}");
            match (d.as_f64().trunc() == 0.0, d.as_f64().fract() == 0.0) {
                (_, true) => date,
                (true, false) => time,
                (false, false) => format!("{date} {time}"),
            }
        }
        Data::DateTime(d) => d.to_string(),
        Data::Error(e) => e.to_string(),
    }
}

/// Decodes CSV bytes: BOMs first, then UTF-16 without a BOM (recognised by its zero bytes
/// falling on one side of each code unit), then strict UTF-8, then CP932 (which is what
/// `encoding_rs::SHIFT_JIS` decodes). A stray NUL in UTF-8 or CP932 text is kept: it is one
/// cell's problem, rejected with its row, not the file's.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).ok();
    }
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (!had_errors).then(|| text.into_owned());
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(bytes);
        return (!had_errors).then(|| text.into_owned());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(text.to_string());
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    (!had_errors).then(|| text.into_owned())
}

/// UTF-16 text has a zero byte in every ASCII code unit (commas, line breaks, digits), all on
/// the same side; text in UTF-8 or CP932 has none, or a stray one in a cell.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let even = bytes.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd = bytes.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    let zeros = even + odd;
    if zeros < 2 || zeros * 16 < bytes.len() {
        return None;
    }
    if odd * 10 >= zeros * 9 {
        Some(encoding_rs::UTF_16LE)
    } else if even * 10 >= zeros * 9 {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

fn read_csv(path: &Path, bytes: &[u8]) -> Result<Table, IntakeError> {
    let text = decode_text(bytes).ok_or_else(|| IntakeError::Encoding { path: path.to_path_buf() })?;
    let first_line = text.split(['\r', '\n']).find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') { b'\t' } else { b',' };
    let rows = parse_csv(&text, delimiter).ok_or_else(|| bounds::too_many_cells(path))?;
    if rows.is_empty() {
        return Err(IntakeError::Empty { path: path.to_path_buf() });
    }
    Ok(Table { rows, hidden: BTreeSet::new() })
}

/// Splits CSV text into rows numbered as Excel numbers them: a record's row is 1 + the number
/// of record terminators before its first byte, where CRLF, a lone CR and a lone LF each end
/// one record (a blank line is an empty record) and line breaks inside quotes end none.
///
/// A quote that is never closed would swallow the rest of the file (or run on to pair with the
/// quote of some later cell); instead its row is marked and reading resumes on the line after
/// the one where the quote opened.
/// `None` once the text holds more cells than [`bounds::MAX_CELLS`], or more text than
/// [`bounds::MAX_TEXT_BYTES`].
fn parse_csv(text: &str, delimiter: u8) -> Option<Rows> {
    let b = text.as_bytes();
    let is_end = |c: u8| c == delimiter || c == b'\r' || c == b'\n';
    let find =
        |from: usize, pred: &dyn Fn(u8) -> bool| b[from..].iter().position(|&c| pred(c)).map_or(b.len(), |p| p + from);
    // Index just past the terminator of the line holding `at` (or the end of the text).
    let next_line = |at: usize| {
        let end = find(at, &|c| c == b'\r' || c == b'\n');
        match b.get(end) {
            Some(b'\r') if b.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        }
    };
    let field_spans_lines = |open: usize, close: usize| b[open..close].iter().any(|&c| c == b'\r' || c == b'\n');
    let mut rows = RowsBuilder::default();
    // 0-based, as the workbook readers count rows; within u32 like every count of the text.
    let (mut pos, mut row) = (0usize, 0u32);
    while pos < b.len() {
        let mut problem = None;
        let mut i = pos;
        // Empty cells are only counted: a line of ten million commas holds no cell.
        let mut column = 0u32;
        loop {
            let mut field = String::new();
            if b.get(i) == Some(&b'"') {
                let open = i;
                i += 1;
                loop {
                    match b[i..].iter().position(|&c| c == b'"').map(|p| p + i) {
                        Some(q) if b.get(q + 1) == Some(&b'"') => {
                            field.push_str(&text[i..=q]);
                            i = q + 2;
                        }
                        // A closing quote ends a cell only when a delimiter or line end follows;
                        // text after it is kept (as Excel does) only on the quote's own line. A
                        // cell that ran over lines into stray text paired the quote of a later
                        // cell: the quote that opened it was never closed.
                        Some(q) if b.get(q + 1).is_none_or(|&c| is_end(c)) || !field_spans_lines(open, q) => {
                            field.push_str(&text[i..q]);
                            i = q + 1;
                            break;
                        }
                        _ => {
                            problem = Some(RowProblem::UnclosedQuote { column: column as usize });
                            field = text[open + 1..find(open, &|c| c == b'\r' || c == b'\n')].to_string();
                            i = next_line(open);
                            break;
                        }
                    }
                }
                if problem.is_some() {
                    if !rows.push(row, column, &field, None) {
                        return None;
                    }
                    break;
                }
            }
            // Unquoted text, or text after a closing quote (kept, as Excel does).
            let stop = find(i, &is_end);
            field.push_str(&text[i..stop]);
            i = stop;
            if !rows.push(row, column, &field, None) {
                return None;
            }
            column += 1;
            match b.get(i) {
                Some(&c) if c == delimiter => i += 1,
                Some(b'\r') if b.get(i + 1) == Some(&b'\n') => {
                    i += 2;
                    break;
                }
                Some(_) => {
                    i += 1;
                    break;
                }
                None => break,
            }
        }
        if let Some(problem) = problem {
            rows.mark(row, problem);
        }
        row += 1;
        pos = i;
    }
    Some(rows.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::intake::row::Row;

    fn numbered(text: &str) -> Vec<(usize, String)> {
        parse_csv(text, b',').unwrap().iter().map(|r| (r.number, r.cell(0).to_string())).collect()
    }

    fn expect(pairs: &[(usize, &str)]) -> Vec<(usize, String)> {
        pairs.iter().map(|(n, s)| (*n, s.to_string())).collect()
    }

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
    fn utf16_without_bom_is_recognised_and_a_stray_nul_is_not_utf16() {
        let text = "申請番号,事業所名\r\nR-1,髙橋ケアサービス\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode_text(&le).unwrap(), text);
        assert_eq!(decode_text(&be).unwrap(), text);
        let with_nul = "申請番号,事業所名\r\nR-1,髙橋\0ケア\r\n";
        assert_eq!(decode_text(with_nul.as_bytes()).unwrap(), with_nul);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(with_nul);
        assert_eq!(decode_text(&sjis).unwrap(), with_nul);
    }

    #[test]
    fn csv_row_numbers_match_excel_across_blank_lines_and_quoted_breaks() {
        let text = "a,b\r\n1,x\r\n\r\n2,\"line1\r\nline2\"\r\n3,y\r\n";
        assert_eq!(numbered(text), expect(&[(1, "a"), (2, "1"), (4, "2"), (5, "3")]));
    }

    #[test]
    fn csv_row_numbers_are_exact_for_lf_only() {
        assert_eq!(numbered("a\n1\n\n2\n3"), expect(&[(1, "a"), (2, "1"), (4, "2"), (5, "3")]));
    }

    #[test]
    fn csv_row_numbers_are_exact_for_crlf() {
        assert_eq!(numbered("a\r\n1\r\n\r\n2\r\n3\r\n"), expect(&[(1, "a"), (2, "1"), (4, "2"), (5, "3")]));
    }

    #[test]
    fn csv_row_numbers_are_exact_for_bare_cr() {
        assert_eq!(numbered("a\r1\r\r2\r3\r"), expect(&[(1, "a"), (2, "1"), (4, "2"), (5, "3")]));
    }

    #[test]
    fn csv_row_numbers_are_exact_for_mixed_line_endings() {
        // CRLF, LF, CR, LF+LF (a blank line), CR+CR (a blank line): each counts once.
        let text = "a\r\n1\n2\r3\n\n4\r\r5\r\n";
        assert_eq!(numbered(text), expect(&[(1, "a"), (2, "1"), (3, "2"), (4, "3"), (6, "4"), (8, "5")]));
    }

    #[test]
    fn csv_row_numbers_are_exact_after_quoted_line_breaks_of_every_kind() {
        let text = "a\n\"x\ny\"\n\"p\r\nq\rr\"\n3\n";
        let rows = parse_csv(text, b',').unwrap();
        let rows: Vec<Row> = rows.iter().collect();
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(rows[1].cell(0), "x\ny");
        assert_eq!(rows[2].cell(0), "p\r\nq\rr");
        assert_eq!(rows[3].cell(0), "3");
    }

    #[test]
    fn an_unclosed_quote_marks_its_own_row_and_the_next_lines_are_read() {
        // The quote of row 4 would close row 2's cell; the stray `y` after it shows it does not.
        let text = "a,b\r\n1,\"open\r\n2,x\r\n3,\"y\"\"z\"\r\n";
        let rows = parse_csv(text, b',').unwrap();
        let rows: Vec<Row> = rows.iter().collect();
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(rows[1].problem, Some(RowProblem::UnclosedQuote { column: 1 }));
        assert_eq!(rows[1].cell(1), "open");
        assert_eq!((rows[2].cell(0), rows[2].cell(1), &rows[2].problem), ("2", "x", &None));
        assert_eq!(rows[3].cell(1), "y\"z");
        // At the end of the file with nothing to pair with.
        let rows = parse_csv("a,b\r\n1,x\r\n2,\"open\r\n3,y\r\n", b',').unwrap();
        let rows: Vec<Row> = rows.iter().collect();
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(rows[2].problem, Some(RowProblem::UnclosedQuote { column: 1 }));
        assert_eq!(rows[3].cells().collect::<Vec<_>>(), [(0, "3"), (1, "y")]);
    }

    #[test]
    fn quotes_inside_a_field_are_text_and_text_after_a_closing_quote_is_kept() {
        let rows = parse_csv("ab\"c,\"d\"e,f\n", b',').unwrap();
        let rows: Vec<Row> = rows.iter().collect();
        assert_eq!(rows[0].cells().collect::<Vec<_>>(), [(0, "ab\"c"), (1, "de"), (2, "f")]);
    }

    #[test]
    fn xml_attributes_are_found_with_any_prefix_and_unescaped() {
        let tags: Vec<&str> =
            start_tags("<x:row r=\"3\" hidden='1'><c r=\"A3\"/></x:row><row r=\"4\">", "row").collect();
        assert_eq!(tags.len(), 2);
        assert_eq!(attribute(tags[0], "hidden").as_deref(), Some("1"));
        assert_eq!(attribute(" name=\"A&amp;B&#x3042;\" r:id=\"rId2\"", "id").as_deref(), Some("rId2"));
        assert_eq!(attribute(" name=\"A&amp;B&#x3042;\"", "name").as_deref(), Some("A&Bあ"));
    }

    #[test]
    fn excel_numbers_lose_their_fraction() {
        assert_eq!(cell_text(&Data::Float(1311111114.0)), "1311111114");
        assert_eq!(cell_text(&Data::Float(175701069.0)), "175701069");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
    }

    #[test]
    fn excel_dates_read_as_dates_not_serials() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        let at = |serial| Data::DateTime(ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, false));
        assert_eq!(cell_text(&at(46027.0)), "2026-01-05");
        assert_eq!(cell_text(&at(46027.5)), "2026-01-05 12:00:00");
        assert_eq!(cell_text(&at(0.25)), "06:00:00");
        assert_eq!(CellType::of(&at(46027.0)), Some(CellType::Date));
        assert_eq!(CellType::of(&Data::Float(46027.0)), Some(CellType::Number));
        assert_eq!(CellType::of(&Data::String("46027".into())), None);
    }
}
