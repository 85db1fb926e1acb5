//! Layout of the mail room's sheets: the print bundle's cover, the control stamp on every
//! bundle page, and the envelope calibration sheet. Same engine and fonts as the notices.

use super::layout::{
    Align, Area, Frame, Geometry, Item, LayoutError, LayoutOptions, Page, address_area, address_block, address_inner,
    barcode_reserve, customer_barcode, grid, grid_height, label_lines, leading_mm, table, wrap,
};
use super::template::{CalibrationDocument, CoverDocument, ZipPasswordsDocument};
use crate::engine::barcode::Bar;
use crate::engine::barcode::control::Unencodable;
use crate::ground::font::Face;

/// Writes `notes` as wrapped lines from `top`; returns the bottom.
fn notes(page: &mut Page, notes: &[String], top: f32, size_pt: f32) -> f32 {
    let area = Area { x: page.content_left(), y: top, w: page.content_width(), h: 0.0 };
    let mut y = top;
    for note in notes {
        let lines = wrap(note, area.w - 4.0, size_pt, Face::Gothic);
        let block = Area {
            x: area.x + 4.0,
            y,
            w: area.w - 4.0,
            h: lines.len() as f32 * leading_mm(size_pt, page.g.page.leading),
        };
        page.line("・", area.x, y, size_pt, Face::Gothic, Area { x: area.x, ..block }, "note");
        for line in lines {
            y += page.aligned(&line, block, y, size_pt, Align::Left, "note");
        }
    }
    y
}

/// The bundle's cover sheet.
pub fn cover(doc: &CoverDocument, g: &Geometry) -> Result<Frame, LayoutError> {
    let mut page = Page { g, items: Vec::new() };
    let full = Area { x: page.content_left(), y: 0.0, w: page.content_width(), h: g.page.height_mm };
    let top = g.address.y_mm;
    let title = Area { y: top, h: leading_mm(g.title.size_pt, g.page.leading), ..full };
    page.aligned(&doc.title, title, top, g.title.size_pt, Align::Center, "title");
    let y = table(&mut page, &doc.rows, top + 20.0)?;
    notes(&mut page, &doc.notes, y + g.flow.gap_mm * 2.0, g.bullets.size_pt);
    Ok(Frame { width: g.page.width_mm, height: g.page.height_mm, items: page.items })
}

/// Adds the control number (left) and page number (right) in small type at the foot of a
/// bundle page, below the notice's own footer.
pub fn stamp(frame: &mut Frame, g: &Geometry, control: &str, page_no: &str) {
    let mut page = Page { g, items: Vec::new() };
    let size = g.page.min_pt;
    let top = g.page.height_mm - 9.0;
    let area = Area { x: page.content_left(), y: top, w: page.content_width(), h: leading_mm(size, g.page.leading) };
    page.aligned(control, area, top, size, Align::Left, "stamp:control");
    page.aligned(page_no, area, top, size, Align::Right, "stamp:page");
    frame.items.append(&mut page.items);
}

/// Adds the control number's Code 128 symbol to a notice's bundle page: right-aligned under the
/// issuer (lower if the issuer's lines reach its quiet zone), outside the envelope window.
pub fn control_code(frame: &mut Frame, g: &Geometry, control: &str) -> Result<(), Unencodable> {
    let c = &g.control_code;
    let bars = crate::engine::barcode::control::bars(control)?;
    let width = crate::engine::barcode::control::width(&bars) as f32 * c.module_mm;
    let issuer_bottom = frame.texts().filter(|t| t.role == "issuer").map(|t| t.extent().bottom()).fold(0.0, f32::max);
    let top = c.top_mm.max(issuer_bottom + c.quiet_mm);
    let left = c.right_mm - width;
    for (start, modules) in bars {
        let area =
            Area { x: left + start as f32 * c.module_mm, y: top, w: modules as f32 * c.module_mm, h: c.height_mm };
        frame.items.push(Item::Fill { area });
    }
    Ok(())
}

/// The envelope calibration sheet: the address block where notices print it (with the
/// configured offset) and a customer barcode sample (`bars`, 10 pt) under it as on a notice,
/// the window frame, the barcode's quiet zone, the fold lines of a 長形3号 tri-fold and
/// millimetre rulers along the top and left edges.
pub fn calibration(
    doc: &CalibrationDocument,
    g: &Geometry,
    options: LayoutOptions,
    bars: Option<&[Bar]>,
) -> Result<Frame, LayoutError> {
    let mut page = Page { g, items: Vec::new() };
    let text_bottom = address_block(&mut page, &doc.address, options, barcode_reserve(g, bars.is_some()))?;
    page.rect(address_area(&g.address, options), None, 1.2);
    if let Some(bars) = bars {
        let b = &g.barcode;
        let (left, top) = (address_inner(&g.address, options).x, text_bottom + b.quiet_mm);
        customer_barcode(&mut page, bars, left, top);
        // The quiet zone, drawn hairline thin: nothing else may print inside it.
        let span = (bars.len() as f32 - 1.0) * b.pitch_mm + b.bar_width_mm;
        let zone = Area {
            x: left - b.quiet_mm,
            y: top - b.quiet_mm,
            w: span + 2.0 * b.quiet_mm,
            h: b.long_mm + 2.0 * b.quiet_mm,
        };
        page.rect(zone, None, 0.2);
    }
    let (w, h) = (g.page.width_mm, g.page.height_mm);
    let label_pt = g.page.min_pt;
    // A4 in a 長形3号 envelope is folded in three equal panels.
    for fold in [h / 3.0, 2.0 * h / 3.0] {
        page.items.push(Item::Line { from: (0.0, fold), to: (w, fold), line_pt: 0.3 });
        let line_h = leading_mm(label_pt, g.page.leading);
        let label = Area { x: w - 50.0, y: fold - line_h - 0.5, w: 40.0, h: line_h };
        page.aligned(&doc.fold, label, label.y, label_pt, Align::Right, "fold");
    }
    ruler(&mut page, w, Axis::Horizontal, label_pt);
    ruler(&mut page, h / 3.0 + 20.0, Axis::Vertical, label_pt);
    let full = Area { x: page.content_left(), y: 0.0, w: page.content_width(), h };
    let top = h / 3.0 + 12.0;
    let title = Area { y: top, h: leading_mm(g.title.size_pt, g.page.leading), ..full };
    page.aligned(&doc.title, title, top, g.title.size_pt, Align::Center, "title");
    notes(&mut page, &doc.notes, top + 14.0, g.paragraph.size_pt);
    Ok(Frame { width: w, height: h, items: page.items })
}

#[derive(Clone, Copy, PartialEq)]
enum Axis {
    Horizontal,
    Vertical,
}

/// Millimetre ticks from the page edge: 1 mm short, 5 mm longer, 10 mm long and numbered.
/// Each number sits beside its tick, wholly on the page: the last one of the top ruler (the
/// page's far edge) goes on a second line, left of its tick, so that it never meets the one
/// before it.
fn ruler(page: &mut Page, length: f32, axis: Axis, size_pt: f32) {
    let line_h = leading_mm(size_pt, page.g.page.leading);
    let last = (length + 1e-3) as i32;
    for mm in 0..=last {
        let tick = match mm {
            m if m % 10 == 0 => 5.0,
            m if m % 5 == 0 => 3.0,
            _ => 1.5,
        };
        let at = mm as f32;
        let (from, to) = match axis {
            Axis::Horizontal => ((at, 0.0), (at, tick)),
            Axis::Vertical => ((0.0, at), (tick, at)),
        };
        page.items.push(Item::Line { from, to, line_pt: 0.25 });
        if mm % 10 == 0 && mm > 0 {
            let label = mm.to_string();
            let width = Face::Gothic.metrics().width_mm(&label, size_pt);
            let (x, y) = match axis {
                Axis::Horizontal if at + width / 2.0 > length => (at - width - 0.5, 5.5 + line_h),
                Axis::Horizontal => (at - width / 2.0, 5.5),
                Axis::Vertical => (6.0, at - line_h / 2.0),
            };
            let area = Area { x, y, w: width, h: line_h };
            page.line(&label, x, y, size_pt, Face::Gothic, area, "ruler");
        }
    }
}

/// One ZIP of the list: its label and the password that opens it.
pub struct ZipEntry<'a> {
    /// The label: text before the office name, the name, text after it.
    pub label: [String; 3],
    pub password: &'a str,
}

/// The pages of the ZIP opening-password list: a heading and notes, then one labelled
/// password grid per ZIP, as many to a page as fit. Each page goes to `emit` as soon as it is
/// full, so a list of a hundred thousand passwords is never held in memory whole; `emit` also
/// learns the page count ([`zip_password_page_count`]) to number the pages.
pub fn zip_passwords<'a, E>(
    doc: &ZipPasswordsDocument,
    entries: impl IntoIterator<Item = ZipEntry<'a>>,
    g: &Geometry,
    mut emit: impl FnMut(Frame) -> Result<(), E>,
) -> Result<(), E> {
    let new_page = || Page { g, items: Vec::new() };
    let mut page = new_page();
    let full = Area { x: page.content_left(), y: 0.0, w: page.content_width(), h: g.page.height_mm };
    let top = g.address.y_mm;
    let title = Area { y: top, h: leading_mm(g.title.size_pt, g.page.leading), ..full };
    page.aligned(&doc.title, title, top, g.title.size_pt, Align::Center, "title");
    let heading = Area { y: top + 10.0, h: leading_mm(g.paragraph.size_pt, g.page.leading), ..full };
    page.aligned(&doc.heading, heading, heading.y, g.paragraph.size_pt, Align::Center, "heading");
    let mut y = notes(&mut page, &doc.notes, top + 18.0, g.bullets.size_pt) + g.flow.gap_mm;
    let bottom = g.page.height_mm - g.page.margin_bottom_mm;
    for entry in entries {
        let (size, lines) = entry_label(g, &entry.label, full.w);
        let label_h = lines.len() as f32 * leading_mm(size, g.page.leading);
        let entry_h = label_h + grid_height(&page, entry.password.chars().count()) + g.flow.gap_mm;
        if y + entry_h > bottom {
            emit(Frame { width: g.page.width_mm, height: g.page.height_mm, items: std::mem::take(&mut page.items) })?;
            y = top;
        }
        let area = Area { y, h: label_h, ..full };
        for line in &lines {
            y += page.aligned(line, area, y, size, Align::Left, "zip-label");
        }
        y = grid(&mut page, "開封パスワード", entry.password, y, false, false) + g.flow.gap_mm;
    }
    emit(Frame { width: g.page.width_mm, height: g.page.height_mm, items: page.items })
}

/// An entry's label, whole: on one line, a little smaller, or wrapped (the name gives way
/// first: a break is preferred at the spaces around it). Never below `[page] min_pt`.
fn entry_label(g: &Geometry, label: &[String; 3], width: f32) -> (f32, Vec<String>) {
    label_lines(&label.concat(), width, g.grid.label_pt, g.page.min_pt)
}

/// How many pages [`zip_passwords`] makes of `entries` (each a label and its password's length):
/// the same walk down the page, without drawing.
pub fn zip_password_page_count(
    doc: &ZipPasswordsDocument,
    entries: impl IntoIterator<Item = ([String; 3], usize)>,
    g: &Geometry,
) -> usize {
    let mut page = Page { g, items: Vec::new() };
    let full_w = page.content_width();
    let top = g.address.y_mm;
    let mut y = notes(&mut page, &doc.notes, top + 18.0, g.bullets.size_pt) + g.flow.gap_mm;
    let bottom = g.page.height_mm - g.page.margin_bottom_mm;
    let mut pages = 1;
    for (label, len) in entries {
        let (size, lines) = entry_label(g, &label, full_w);
        let entry_h = lines.len() as f32 * leading_mm(size, g.page.leading) + grid_height(&page, len) + g.flow.gap_mm;
        if y + entry_h > bottom {
            pages += 1;
            y = top;
        }
        y += entry_h;
    }
    pages
}
