//! Layout of the mail room's sheets: the print bundle's cover, the control stamp on every
//! bundle page, and the envelope calibration sheet. Same engine and fonts as the notices.

use super::layout::{
    Align, Area, Frame, Geometry, Item, LayoutError, LayoutOptions, Page, address_area, address_block, grid,
    leading_mm, one_line_label, table, wrap,
};
use super::template::{CalibrationDocument, CoverDocument, ZipPasswordsDocument};
use crate::font::Face;

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
    let size = 7.0;
    let top = g.page.height_mm - 9.0;
    let area = Area { x: page.content_left(), y: top, w: page.content_width(), h: leading_mm(size, g.page.leading) };
    page.aligned(control, area, top, size, Align::Left, "stamp:control");
    page.aligned(page_no, area, top, size, Align::Right, "stamp:page");
    frame.items.append(&mut page.items);
}

/// The envelope calibration sheet: the address block where notices print it (with the
/// configured offset), its outline, the fold lines of a 長形3号 tri-fold and millimetre rulers
/// along the top and left edges.
pub fn calibration(doc: &CalibrationDocument, g: &Geometry, options: LayoutOptions) -> Result<Frame, LayoutError> {
    let mut page = Page { g, items: Vec::new() };
    address_block(&mut page, &doc.address, options, 0.0)?;
    page.rect(address_area(&g.address, options), None, 1.2);
    let (w, h) = (g.page.width_mm, g.page.height_mm);
    // A4 in a 長形3号 envelope is folded in three equal panels.
    for fold in [h / 3.0, 2.0 * h / 3.0] {
        page.items.push(Item::Line { from: (0.0, fold), to: (w, fold), line_pt: 0.3 });
        let label = Area { x: w - 40.0, y: fold - 5.0, w: 30.0, h: 4.0 };
        page.aligned(&doc.fold, label, fold - 5.0, 7.0, Align::Right, "fold");
    }
    ruler(&mut page, w, Axis::Horizontal);
    ruler(&mut page, h / 3.0 + 20.0, Axis::Vertical);
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
fn ruler(page: &mut Page, length: f32, axis: Axis) {
    for mm in 0..=(length as i32) {
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
            let width = Face::Gothic.metrics().width_mm(&label, 6.0);
            let (x, y) = match axis {
                Axis::Horizontal => (at - width / 2.0, 5.5),
                Axis::Vertical => (6.0, at - 1.2),
            };
            let area = Area { x, y, w: width, h: 3.0 };
            page.line(&label, x, y, 6.0, Face::Gothic, area, "ruler");
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
    let (label_h, entry_h) = zip_entry_height(g);
    let bottom = g.page.height_mm - g.page.margin_bottom_mm;
    for entry in entries {
        if y + entry_h > bottom {
            emit(Frame { width: g.page.width_mm, height: g.page.height_mm, items: std::mem::take(&mut page.items) })?;
            y = top;
        }
        let (size, label) = one_line_label(&entry.label, full.w, g.grid.label_pt, g.grid.label_pt * 0.6);
        let area = Area { y, h: label_h, ..full };
        page.aligned(&label, area, y, size, Align::Left, "zip-label");
        y = grid(&mut page, "開封パスワード", entry.password, y + label_h, false, false) + g.flow.gap_mm;
    }
    emit(Frame { width: g.page.width_mm, height: g.page.height_mm, items: page.items })
}

/// The height of one entry's label line, and of the whole entry with its grid and gap.
fn zip_entry_height(g: &Geometry) -> (f32, f32) {
    let label_h = leading_mm(g.grid.label_pt, g.page.leading);
    (label_h, label_h + g.grid.class_row_mm + g.grid.char_row_mm + g.flow.gap_mm)
}

/// How many pages [`zip_passwords`] makes of `entries` entries: the same walk down the page,
/// without drawing.
pub fn zip_password_page_count(doc: &ZipPasswordsDocument, entries: usize, g: &Geometry) -> usize {
    let mut page = Page { g, items: Vec::new() };
    let top = g.address.y_mm;
    let mut y = notes(&mut page, &doc.notes, top + 18.0, g.bullets.size_pt) + g.flow.gap_mm;
    let (_, entry_h) = zip_entry_height(g);
    let bottom = g.page.height_mm - g.page.margin_bottom_mm;
    let mut pages = 1;
    for _ in 0..entries {
        if y + entry_h > bottom {
            pages += 1;
            y = top;
        }
        y += entry_h;
    }
    pages
}
