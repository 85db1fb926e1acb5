//! OpenDocument spreadsheets (.ods), read as a stream of their `content.xml`. calamine parses
//! every sheet of an ods into a full rectangle when the file is opened, so one far cell or one
//! long repeated run costs gigabytes; here memory follows the filled cells of the one sheet
//! read, repeated runs count as the cells they fill, and hidden rows and sheets are seen as
//! the xlsx reader sees them.

use std::collections::{BTreeSet, HashSet};
use std::io::{BufReader, Cursor};
use std::path::Path;

use calamine::{Sheet, SheetType, SheetVisible};
use quick_xml::events::{BytesStart, Event};

use super::IntakeError;
use super::bounds;
use super::row::{CellType, RowsBuilder, Table, choose_sheet, number_text};

/// The largest column and row an ods sheet can have (LibreOffice's grid).
const MAX_COLUMNS: u64 = 16_384;
const MAX_ROWS: u64 = 1_048_576;

pub fn read(path: &Path, bytes: &[u8], wanted: Option<&str>, active: Option<String>) -> Result<Table, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let sheets = sheets(path, bytes)?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| broken(e.to_string()))?;
    let active = active.and_then(|name| sheets.iter().position(|s| s.name == name));
    let index = choose_sheet(path, &sheets, wanted, active)?;
    let entry = archive.by_name("content.xml").map_err(|e| broken(format!("content.xml: {e}")))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(entry));
    let mut buf = Vec::new();
    let mut tables = 0usize;
    loop {
        match xml.read_event_into(&mut buf).map_err(|e| broken(e.to_string()))? {
            Event::Start(e) if e.name().as_ref() == b"table:table" => {
                if tables == index {
                    return read_table(path, &mut xml);
                }
                tables += 1;
            }
            Event::Eof => return Err(broken("content.xml".into())),
            _ => {}
        }
        buf.clear();
    }
}

/// The sheets of an ods file, read under the same limits as its cells.
pub fn sheets(path: &Path, bytes: &[u8]) -> Result<Vec<Sheet>, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    bounds::check_zip_parts(path, bytes, |name| name == "content.xml")?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| broken(e.to_string()))?;
    {
        let entry = archive.by_name("content.xml").map_err(|e| broken(format!("content.xml: {e}")))?;
        bounds::scan_xml(path, "content.xml", entry, bounds::MAX_SHEET_BYTES, |_, _| {})?;
    }
    sheet_list(path, &mut archive)
}

type Xml<'a> = quick_xml::Reader<BufReader<zip::read::ZipFile<'a, Cursor<&'a [u8]>>>>;

/// Every sheet's name and whether it is shown: a sheet is hidden by its table style
/// (`table:display="false"`).
fn sheet_list(path: &Path, archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<Vec<Sheet>, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let entry = archive.by_name("content.xml").map_err(|e| broken(format!("content.xml: {e}")))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(entry));
    let mut buf = Vec::new();
    let mut hidden_styles: HashSet<String> = HashSet::new();
    let mut style: Option<String> = None;
    let mut sheets = Vec::new();
    loop {
        match xml.read_event_into(&mut buf).map_err(|e| broken(e.to_string()))? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"style:style" => {
                style = attr(&e, b"style:name");
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"style:table-properties" => {
                if attr(&e, b"table:display").as_deref() == Some("false")
                    && let Some(name) = &style
                {
                    hidden_styles.insert(name.clone());
                }
            }
            Event::Start(e) if e.name().as_ref() == b"table:table" => {
                let visible = attr(&e, b"table:style-name").is_none_or(|s| !hidden_styles.contains(&s));
                sheets.push(Sheet {
                    name: attr(&e, b"table:name").unwrap_or_default(),
                    typ: SheetType::WorkSheet,
                    visible: if visible { SheetVisible::Visible } else { SheetVisible::Hidden },
                });
                xml.read_to_end_into(e.name(), &mut Vec::new()).map_err(|e| broken(e.to_string()))?;
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(sheets)
}

/// The cells of the table whose start tag was just read.
fn read_table(path: &Path, xml: &mut Xml) -> Result<Table, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let mut rows = RowsBuilder::default();
    let mut hidden = BTreeSet::new();
    let mut buf = Vec::new();
    let mut row = 0u64;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|e| broken(e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) if e.name().as_ref() == b"table:table-row" => {
                let repeat = repeats(e, b"table:number-rows-repeated");
                let is_hidden = matches!(attr(e, b"table:visibility").as_deref(), Some("collapse" | "filter"));
                let runs = if matches!(event, Event::Start(_)) { read_row(path, xml)? } else { Vec::new() };
                if !runs.is_empty() {
                    // A filled row repeated is that many filled rows.
                    for r in row..row.saturating_add(repeat).min(MAX_ROWS) {
                        if is_hidden {
                            hidden.insert(r as usize + 1);
                        }
                        for (cols, text, typed) in &runs {
                            for col in cols.clone() {
                                if !rows.push(r as u32, col as u32, text, *typed) {
                                    return Err(bounds::too_many_cells(path));
                                }
                            }
                        }
                    }
                }
                row = row.saturating_add(repeat);
            }
            Event::End(ref e) if e.name().as_ref() == b"table:table" => break,
            Event::Eof => return Err(broken("content.xml".into())),
            _ => {}
        }
        buf.clear();
    }
    Ok(Table { rows: rows.finish(), hidden })
}

/// Filled cells of one value side by side: their 0-based columns, text and type.
type Run = (std::ops::Range<u64>, String, Option<CellType>);

/// The filled cells of the row whose start tag was just read, as runs: a cell repeated across
/// the row is held once, however long its text, and counted against the limits cell by cell
/// as its rows are filled.
fn read_row(path: &Path, xml: &mut Xml) -> Result<Vec<Run>, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut col = 0u64;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|e| broken(e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e)
                if matches!(e.name().as_ref(), b"table:table-cell" | b"table:covered-table-cell") =>
            {
                let repeat = repeats(e, b"table:number-columns-repeated");
                let text =
                    if matches!(event, Event::Start(_)) { cell_text(path, xml, e.name().as_ref())? } else { None };
                if let Some((text, typed)) = value(e, text)
                    && col < MAX_COLUMNS
                {
                    out.push((col..col.saturating_add(repeat).min(MAX_COLUMNS), text, typed));
                }
                col = col.saturating_add(repeat);
            }
            Event::End(ref e) if e.name().as_ref() == b"table:table-row" => return Ok(out),
            Event::Eof => return Err(broken("content.xml".into())),
            _ => {}
        }
        buf.clear();
    }
}

/// A cell's value and type from its attributes, and its text content for strings and errors.
/// `None` for an empty cell.
fn value(e: &BytesStart, text: Option<String>) -> Option<(String, Option<CellType>)> {
    let value_type = attr(e, b"office:value-type");
    if attr(e, b"calcext:value-type").as_deref() == Some("error") {
        return Some((text.unwrap_or_default(), Some(CellType::Error)));
    }
    match value_type.as_deref() {
        Some("float" | "percentage" | "currency") => {
            let raw = attr(e, b"office:value")?;
            let text = raw.parse::<f64>().map(number_text).unwrap_or(raw);
            Some((text, Some(CellType::Number)))
        }
        Some("date") => Some((attr(e, b"office:date-value")?, Some(CellType::Date))),
        Some("time") => Some((attr(e, b"office:time-value")?, Some(CellType::Date))),
        Some("boolean") => {
            let on = matches!(attr(e, b"office:boolean-value").as_deref(), Some("true" | "TRUE"));
            Some((if on { "TRUE" } else { "FALSE" }.to_string(), None))
        }
        Some(_) => {
            let text = attr(e, b"office:string-value").or(text).unwrap_or_default();
            (!text.is_empty()).then_some((text, None))
        }
        // A formula LibreOffice did not calculate before saving has no value.
        None if attr(e, b"table:formula").is_some() => Some((String::new(), Some(CellType::Unsaved))),
        None => text.filter(|t| !t.is_empty()).map(|t| (t, None)),
    }
}

/// The text of a cell's paragraphs, one line each; `text:s` spaces, tabs and line breaks as
/// written; annotations left out.
fn cell_text(path: &Path, xml: &mut Xml, end: &[u8]) -> Result<Option<String>, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let end = end.to_vec();
    let mut text = String::new();
    let mut paragraphs = 0usize;
    let mut annotation = 0usize;
    let mut buf = Vec::new();
    loop {
        match xml.read_event_into(&mut buf).map_err(|e| broken(e.to_string()))? {
            Event::Start(ref e) if e.name().as_ref() == b"office:annotation" => annotation += 1,
            Event::End(ref e) if e.name().as_ref() == b"office:annotation" => annotation = annotation.saturating_sub(1),
            _ if annotation > 0 => {}
            Event::Start(ref e) if e.name().as_ref() == b"text:p" => {
                if paragraphs > 0 {
                    text.push('\n');
                }
                paragraphs += 1;
            }
            Event::Start(ref e) | Event::Empty(ref e) if e.name().as_ref() == b"text:s" => {
                // A cell holds at most 32,767 characters; a larger count only pads.
                let n = attr(e, b"text:c").and_then(|c| c.parse::<usize>().ok()).unwrap_or(1).min(1 << 15);
                text.extend(std::iter::repeat_n(' ', n));
            }
            Event::Start(ref e) | Event::Empty(ref e) if e.name().as_ref() == b"text:tab" => text.push('\t'),
            Event::Start(ref e) | Event::Empty(ref e) if e.name().as_ref() == b"text:line-break" => text.push('\n'),
            Event::Text(t) => {
                text.push_str(&t.xml10_content().map_err(|e| broken(e.to_string()))?);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| broken(e.to_string()))?;
                match quick_xml::escape::resolve_predefined_entity(&name) {
                    Some(s) => text.push_str(s),
                    None => {
                        if let Some(c) = r.resolve_char_ref().ok().flatten() {
                            text.push(c);
                        }
                    }
                }
            }
            Event::End(ref e) if e.name().as_ref() == end.as_slice() => break,
            Event::Eof => return Err(broken("content.xml".into())),
            _ => {}
        }
        if text.len() > bounds::MAX_XML_RUN {
            return Err(bounds::long_run(path, "content.xml"));
        }
        buf.clear();
    }
    Ok(Some(text))
}

fn repeats(e: &BytesStart, name: &[u8]) -> u64 {
    attr(e, name).and_then(|v| v.parse::<u64>().ok()).filter(|&n| n > 0).unwrap_or(1)
}

fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    let a = e.try_get_attribute(name).ok().flatten()?;
    let raw = String::from_utf8_lossy(&a.value);
    quick_xml::escape::unescape(&raw).ok().map(|v| v.into_owned())
}
