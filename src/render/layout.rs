//! Layout: a [`Document`] plus the notice's secrets and bars ([`Marks`]) become a [`Frame`] — positioned text runs,
//! boxes and lines in millimetres from the top-left of the page. Layout measures text with the
//! bundled fonts, wraps and shrinks it to fit its box, and refuses what cannot fit; it knows
//! nothing of PDF or files.

use zeroize::Zeroizing;

use super::geometry::AddressGeometry;
pub use super::geometry::Geometry;
use super::template::{AddressBlock, Block, Document, Field};
use crate::barcode::Bar;
use crate::font::{Face, MM_PER_PT};
use crate::notice::SecretSlot;
use crate::secrets::{self, CharClass};

/// A rectangle in millimetres from the top-left corner of the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Area {
    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }
}

/// One line of text placed on the page.
#[derive(Clone)]
pub struct TextRun {
    pub x: f32,
    /// Baseline, millimetres from the top.
    pub baseline: f32,
    pub size_pt: f32,
    pub face: Face,
    /// Zeroised on drop: a run may be a password character.
    pub text: Zeroizing<String>,
    /// Measured width in millimetres.
    pub width: f32,
    /// The box the run must stay inside.
    pub container: Area,
    /// What the run shows (`address`, `table:事業所名`, `grid:仮パスワード` …), for tests.
    pub role: String,
}

impl TextRun {
    /// The run's ink box: advance width by the face's ascender–descender.
    pub fn extent(&self) -> Area {
        let m = self.face.metrics();
        let size = self.size_pt * MM_PER_PT;
        Area { x: self.x, y: self.baseline - m.ascender * size, w: self.width, h: (m.ascender - m.descender) * size }
    }
}

/// What is drawn on the page.
#[derive(Clone)]
pub enum Item {
    Text(TextRun),
    /// A filled black rectangle without outline (a barcode bar).
    Fill {
        area: Area,
    },
    /// A straight line from `from` to `to` (millimetres from the top-left).
    Line {
        from: (f32, f32),
        to: (f32, f32),
        line_pt: f32,
    },
    Rect {
        area: Area,
        fill_grey: Option<f32>,
        line_pt: f32,
    },
    /// Large light-grey text across the page's diagonal, under everything else (the 見本 of
    /// the sample settings): `x`/`baseline` place it as if level, the writer turns it 45°
    /// about the page's centre.
    Watermark(TextRun),
}

/// A laid-out page.
#[derive(Clone)]
pub struct Frame {
    pub width: f32,
    pub height: f32,
    pub items: Vec<Item>,
}

impl Frame {
    pub fn texts(&self) -> impl Iterator<Item = &TextRun> {
        self.items.iter().filter_map(|i| match i {
            Item::Text(t) | Item::Watermark(t) => Some(t),
            Item::Rect { .. } | Item::Line { .. } | Item::Fill { .. } => None,
        })
    }
}

/// Text that cannot be made to fit its box, even at the smallest allowed size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("{}", crate::msg!("render.layout.does_not_fit", what = .what))]
    DoesNotFit { what: String },
    #[error("{}", crate::msg!("render.layout.page_overflow", what = .what))]
    PageOverflow { what: String },
}

/// Options that change the layout beyond the geometry.
#[derive(Debug, Clone, Copy, Default)]
pub struct LayoutOptions {
    /// Print a katakana reading under each password character.
    pub reading_row: bool,
    /// Shift of the address block (right, down), millimetres.
    pub address_offset: [f32; 2],
    /// Draw the Japan Post customer barcode under the addressee of mailed notices.
    pub customer_barcode: bool,
}

/// A space this far into a full line is a better break than the character that overflows.
const SPACE_BREAK_SHARE: f32 = 0.5;

/// Characters that must not start a line (禁則).
const NO_LINE_START: &str =
    "、。，．,.・：；？！ー）］｝」』】〕〉》”’ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ)]}:;!?%％";

pub(super) fn leading_mm(size_pt: f32, leading: f32) -> f32 {
    size_pt * MM_PER_PT * leading
}

/// Breaks `text` into lines no wider than `width` mm at `size_pt`. Runs of ASCII letters and
/// digits stay together unless a run alone is wider than the line; explicit line breaks are
/// kept; 禁則 characters are not left at the start of a line. Linear in the length of `text`.
pub fn wrap(text: &str, width: f32, size_pt: f32, face: Face) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n').map(|p| p.trim_end_matches('\r')) {
        wrap_paragraph(paragraph, width, size_pt, face, &mut lines);
    }
    lines
}

fn is_space(token: &str) -> bool {
    token == " " || token == "\u{3000}"
}

/// Tokens of a paragraph: each character alone, except runs of ASCII letters and digits.
fn tokens(paragraph: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let (mut start, mut prev) = (0, None::<char>);
    for (i, c) in paragraph.char_indices() {
        let joins = prev.is_some_and(|p| p.is_ascii_alphanumeric()) && c.is_ascii_alphanumeric();
        if !joins && i > start {
            tokens.push(&paragraph[start..i]);
            start = i;
        }
        prev = Some(c);
    }
    if start < paragraph.len() {
        tokens.push(&paragraph[start..]);
    }
    tokens
}

fn wrap_paragraph(paragraph: &str, width: f32, size_pt: f32, face: Face, lines: &mut Vec<String>) {
    let m = face.metrics();
    let em = size_pt * MM_PER_PT;
    let mut queue: std::collections::VecDeque<&str> = tokens(paragraph).into();
    let mut line: Vec<&str> = Vec::new();
    let mut line_width = 0.0;
    while let Some(token) = queue.pop_front() {
        let w = m.width_mm(token, size_pt);
        if line_width + w <= width + 1e-4 {
            line_width += w;
            line.push(token);
            continue;
        }
        if line.is_empty() {
            // A single token wider than the line: cut it by characters in one pass, each
            // piece as wide as fits (at least one character); the last piece opens a line.
            let (mut start, mut piece_width) = (0, 0.0);
            for (i, c) in token.char_indices() {
                let cw = m.advance(c) * em;
                if i > start && piece_width + cw > width + 1e-4 {
                    lines.push(token[start..i].to_string());
                    start = i;
                    piece_width = 0.0;
                }
                piece_width += cw;
            }
            line.push(&token[start..]);
            line_width = piece_width;
            continue;
        }
        // Break before `token`; pull one token down if `token` may not start a line.
        let starts_badly = token.chars().next().is_some_and(|c| NO_LINE_START.contains(c));
        queue.push_front(token);
        if starts_badly && line.len() > 1 {
            queue.push_front(line.pop().expect("line has two tokens"));
        }
        // Names are often 「法人名 事業所名」: break at the last space when it is in the
        // latter part of the line rather than in the middle of a word.
        if let Some(space) = line.iter().rposition(|t| is_space(t)).filter(|&i| i > 0) {
            let before: f32 = line[..space].iter().map(|t| m.width_mm(t, size_pt)).sum();
            if before >= SPACE_BREAK_SHARE * width {
                for t in line.drain(space..).rev() {
                    queue.push_front(t);
                }
            }
        }
        lines.push(line.concat());
        line.clear();
        line_width = 0.0;
        // A wrapped line does not start with a space.
        while queue.front().is_some_and(|t| is_space(t)) {
            queue.pop_front();
        }
    }
    lines.push(line.concat());
}

/// The largest size from `max_pt` down to `min_pt` (in 0.25 pt steps) at which `text` wraps into
/// at most `max_lines` lines of `width`. Sizes at which the text is wider than all the lines
/// together are not tried, so a hopelessly long value fails at once.
pub(super) fn fit(
    text: &str,
    width: f32,
    max_lines: usize,
    max_pt: f32,
    min_pt: f32,
    face: Face,
) -> Option<(f32, Vec<String>)> {
    let total = face.metrics().width_mm(text, max_pt);
    let mut size = max_pt;
    if total > 0.0 {
        // Width scales with size: above `largest`, even perfect filling needs too many lines.
        let largest = max_lines as f32 * width * max_pt / total;
        if largest < min_pt - 1e-4 {
            return None;
        }
        if largest < max_pt {
            size = max_pt - ((max_pt - largest) / 0.25).ceil() * 0.25;
        }
    }
    while size >= min_pt - 1e-4 {
        let lines = wrap(text, width, size, face);
        if lines.len() <= max_lines {
            return Some((size, lines));
        }
        size -= 0.25;
    }
    None
}

/// Fits a label — `[before, name, after]` — on one line of `width` mm: at `max_pt`, shrunk
/// as far as `min_pt`, and past that with the name cut short by 「…」 (what comes before and
/// after it, such as a file name, stays whole). Never fails: a label on a list (the full value
/// stays in the workbooks) must not stop a batch.
pub fn one_line_label(label: &[String; 3], width: f32, max_pt: f32, min_pt: f32) -> (f32, String) {
    let [before, name, after] = label;
    let text = format!("{before}{name}{after}");
    let m = Face::Gothic.metrics();
    let natural = m.width_mm(&text, max_pt);
    if natural <= width + 1e-4 {
        return (max_pt, text);
    }
    let shrunk = ((max_pt * width / natural) * 4.0).floor() / 4.0;
    if shrunk >= min_pt {
        return (shrunk, text);
    }
    let ellipsis = "…";
    let fixed = m.width_mm(&format!("{before}{ellipsis}{after}"), min_pt);
    let (kept, budget) = if fixed < width {
        (name.as_str(), width - fixed)
    } else {
        (text.as_str(), width - m.width_mm(ellipsis, min_pt))
    };
    let em = min_pt * MM_PER_PT;
    let (mut used, mut cut) = (0.0, String::new());
    for c in kept.chars() {
        used += m.advance(c) * em;
        if used > budget {
            break;
        }
        cut.push(c);
    }
    let out = if fixed < width { format!("{before}{cut}{ellipsis}{after}") } else { format!("{cut}{ellipsis}") };
    (min_pt, out)
}

/// Wraps `text`, but sets it up to `1 - min_share` smaller when that saves a line: a
/// paragraph's last two characters or a lone 御中 should not take a line of their own.
fn fewer_lines(text: &str, width: f32, size_pt: f32, min_share: f32) -> (f32, Vec<String>) {
    let lines = wrap(text, width, size_pt, Face::Gothic);
    if lines.len() > 1
        && let Some(fitted) = fit(text, width, lines.len() - 1, size_pt, size_pt * min_share, Face::Gothic)
    {
        return fitted;
    }
    (size_pt, lines)
}

pub(super) struct Page<'a> {
    pub(super) g: &'a Geometry,
    pub(super) items: Vec<Item>,
}

impl Page<'_> {
    pub(super) fn content_left(&self) -> f32 {
        self.g.page.margin_left_mm
    }

    pub(super) fn content_width(&self) -> f32 {
        self.g.page.width_mm - self.g.page.margin_left_mm - self.g.page.margin_right_mm
    }

    /// Places one line with its top at `top`; returns the line height used.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn line(
        &mut self,
        text: &str,
        x: f32,
        top: f32,
        size_pt: f32,
        face: Face,
        container: Area,
        role: &str,
    ) -> f32 {
        let m = face.metrics();
        let size = size_pt * MM_PER_PT;
        let line_h = size * self.g.page.leading;
        // Centre the em box in the line box.
        let baseline = top + (line_h - (m.ascender - m.descender) * size) / 2.0 + m.ascender * size;
        self.items.push(Item::Text(TextRun {
            x,
            baseline,
            size_pt,
            face,
            width: m.width_mm(text, size_pt),
            text: Zeroizing::new(text.to_string()),
            container,
            role: role.to_string(),
        }));
        line_h
    }

    pub(super) fn aligned(&mut self, text: &str, area: Area, top: f32, size_pt: f32, align: Align, role: &str) -> f32 {
        let w = Face::Gothic.metrics().width_mm(text, size_pt);
        let x = match align {
            Align::Left => area.x,
            Align::Center => area.x + (area.w - w) / 2.0,
            Align::Right => area.right() - w,
        };
        self.line(text, x, top, size_pt, Face::Gothic, area, role)
    }

    pub(super) fn rect(&mut self, area: Area, fill_grey: Option<f32>, line_pt: f32) {
        self.items.push(Item::Rect { area, fill_grey, line_pt });
    }
}

#[derive(Clone, Copy)]
pub(super) enum Align {
    Left,
    Center,
    Right,
}

/// What a notice's page shows besides its document: the secrets of its grids and the bars of
/// its customer barcode (computed once per notice by the caller; `None` for no barcode).
pub struct Marks<'a> {
    pub secrets: &'a [(SecretSlot, &'a str)],
    pub bars: Option<&'a [Bar]>,
    /// The archive copy: each password character is drawn as [`MASK`] and its reading is left
    /// out; the class row above it stays. The page then holds no password character at all.
    pub redacted: bool,
}

/// What the archive copy draws in place of a password character (in the password face, which
/// has it, so that the mark sits where the character stood).
pub const MASK: char = '●';

/// Lays out one notice on one A4 page.
pub fn layout(doc: &Document, marks: &Marks, g: &Geometry, options: LayoutOptions) -> Result<Frame, LayoutError> {
    let mut page = Page { g, items: Vec::new() };
    let barcode = marks.bars;
    let b = &g.barcode;
    let reserve = if barcode.is_some() { b.long_mm + 2.0 * b.quiet_mm } else { 0.0 };
    let text_bottom = address_block(&mut page, &doc.address, options, reserve)?;
    if let Some(bars) = barcode {
        let area = address_area(&g.address, options);
        customer_barcode(&mut page, bars, area.x + b.quiet_mm, text_bottom + b.quiet_mm);
    }
    issuer_block(&mut page, doc)?;

    // 殿 line, title.
    let a = &g.addressee;
    let area = Area { x: page.content_left(), y: a.top_mm, w: a.width_mm, h: 0.0 };
    let (size, lines) = fit(&doc.addressee.text, a.width_mm, 2, a.size_pt, a.min_pt, Face::Gothic)
        .ok_or_else(|| LayoutError::DoesNotFit { what: crate::msg!("render.part.addressee") })?;
    let area = Area { h: lines.len() as f32 * leading_mm(size, g.page.leading), ..area };
    let mut y = a.top_mm;
    for line in &lines {
        y += page.aligned(line, area, y, size, Align::Left, "addressee");
    }
    let full = Area { x: page.content_left(), y: 0.0, w: page.content_width(), h: g.page.height_mm };
    let title_area = Area { y: g.title.top_mm, h: leading_mm(g.title.size_pt, g.page.leading), ..full };
    page.aligned(&doc.title, title_area, g.title.top_mm, g.title.size_pt, Align::Center, "title");

    let mut y = g.flow.top_mm.max(y + g.flow.gap_mm);
    for block in &doc.blocks {
        y = body_block(&mut page, block, marks, y, options)? + g.flow.gap_mm;
    }
    let limit = g.page.height_mm - g.page.margin_bottom_mm - leading_mm(g.footer.size_pt, g.page.leading);
    if y - g.flow.gap_mm > limit {
        return Err(LayoutError::PageOverflow { what: crate::msg!("render.part.body_end") });
    }

    if !doc.footer.text.is_empty() {
        let top = g.page.height_mm - g.footer.bottom_mm - leading_mm(g.footer.size_pt, g.page.leading);
        let area = Area { y: top, h: leading_mm(g.footer.size_pt, g.page.leading), ..full };
        let (size, lines) = fit(&doc.footer.text, area.w, 1, g.footer.size_pt, g.footer.size_pt * 0.7, Face::Gothic)
            .ok_or_else(|| LayoutError::DoesNotFit { what: crate::msg!("render.part.footer") })?;
        page.aligned(&lines[0], area, top, size, Align::Center, "footer");
    }
    Ok(Frame { width: g.page.width_mm, height: g.page.height_mm, items: page.items })
}

/// Where the address block sits, after the envelope adjustment.
pub fn address_area(g: &AddressGeometry, options: LayoutOptions) -> Area {
    Area { x: g.x_mm + options.address_offset[0], y: g.y_mm + options.address_offset[1], w: g.width_mm, h: g.height_mm }
}

/// The envelope window: 〒, address, name (with 御中, or the person with 様). Everything shrinks
/// together until it fits the box.
/// `reserve` millimetres at the foot of the block stay free (for the customer barcode).
/// Returns the bottom of the last line.
pub(super) fn address_block(
    page: &mut Page,
    block: &AddressBlock,
    options: LayoutOptions,
    reserve: f32,
) -> Result<f32, LayoutError> {
    let g = &page.g.address;
    let area = address_area(g, options);
    let room = area.h - reserve;
    let parts: Vec<(&str, f32, &str)> = [
        (block.postal.as_str(), g.postal_pt, "address:postal"),
        (block.address.as_str(), g.address_pt, "address:address"),
        (block.name.as_str(), g.name_pt, "address:name"),
        (block.attention.as_str(), g.name_pt, "address:attention"),
    ]
    .into_iter()
    .filter(|(text, _, _)| !text.is_empty())
    .collect();
    let leading = page.g.page.leading;
    let mut scale = 1.0;
    while scale >= g.min_scale - 1e-4 {
        let wrapped: Vec<(Vec<String>, f32, &str)> = parts
            .iter()
            .map(|(text, pt, role)| {
                let (size, lines) = fewer_lines(text, area.w, pt * scale, 0.85);
                (lines, size, *role)
            })
            .collect();
        // A small gap separates the postal line and the address from the name.
        let gap = 1.5;
        let height: f32 =
            wrapped.iter().map(|(lines, pt, _)| lines.len() as f32 * leading_mm(*pt, leading)).sum::<f32>() + gap;
        if height <= room {
            let mut y = area.y;
            for (lines, pt, role) in wrapped {
                if role == "address:name" {
                    y += gap;
                }
                for line in lines {
                    y += page.line(&line, area.x, y, pt, Face::Gothic, area, role);
                }
            }
            return Ok(y);
        }
        scale -= 0.025;
    }
    Err(LayoutError::DoesNotFit { what: crate::msg!("render.part.address_window") })
}

/// The Japan Post customer barcode as filled bars, `left`/`top` the corner of its first long
/// bar. Heights follow the 10 pt size: long, upper and lower half, timing.
fn customer_barcode(page: &mut Page, bars: &[Bar], left: f32, top: f32) {
    let b = &page.g.barcode;
    let half = b.long_mm - b.timing_mm;
    let middle = (b.long_mm - b.timing_mm) / 2.0;
    for (i, bar) in bars.iter().enumerate() {
        let (y, h) = match bar {
            Bar::Long => (0.0, b.long_mm),
            Bar::Upper => (0.0, middle + b.timing_mm),
            Bar::Lower => (middle, half),
            Bar::Timing => (middle, b.timing_mm),
        };
        let area = Area { x: left + i as f32 * b.pitch_mm, y: top + y, w: b.bar_width_mm, h };
        page.items.push(Item::Fill { area });
    }
}

/// 発行日 and issuer, right-aligned at the top right.
fn issuer_block(page: &mut Page, doc: &Document) -> Result<(), LayoutError> {
    let g = &page.g.issuer;
    let right = page.g.page.width_mm - page.g.page.margin_right_mm;
    let area = Area {
        x: right - g.width_mm,
        y: g.top_mm,
        w: g.width_mm,
        h: doc.issuer.lines.len() as f32 * 2.0 * leading_mm(g.size_pt, page.g.page.leading),
    };
    let mut y = g.top_mm;
    for text in &doc.issuer.lines {
        let (size, lines) = fit(text, area.w, 2, g.size_pt, g.size_pt * 0.7, Face::Gothic)
            .ok_or_else(|| LayoutError::DoesNotFit { what: crate::msg!("render.part.issuer") })?;
        for line in lines {
            y += page.aligned(&line, area, y, size, Align::Right, "issuer");
        }
    }
    Ok(())
}

/// Lays out one body block with its top at `y`; returns its bottom.
fn body_block(
    page: &mut Page,
    block: &Block,
    marks: &Marks,
    y: f32,
    options: LayoutOptions,
) -> Result<f32, LayoutError> {
    let g = page.g;
    let leading = g.page.leading;
    let full = Area { x: page.content_left(), y, w: page.content_width(), h: 0.0 };
    let single = |size: f32| Area { h: leading_mm(size, leading), ..full };
    Ok(match block {
        Block::Paragraph { text } => {
            let (size, lines) = fewer_lines(text, full.w, g.paragraph.size_pt, 0.92);
            let area = Area { h: lines.len() as f32 * leading_mm(size, leading), ..full };
            let mut y = y;
            for line in lines {
                y += page.aligned(&line, area, y, size, Align::Left, "paragraph");
            }
            y
        }
        Block::Center { text } => {
            y + page.aligned(text, single(g.paragraph.size_pt), y, g.paragraph.size_pt, Align::Center, "center")
        }
        Block::Right { text } => {
            y + page.aligned(text, single(g.paragraph.size_pt), y, g.paragraph.size_pt, Align::Right, "right")
        }
        Block::Heading { text } => {
            y + page.aligned(text, single(g.table.size_pt), y, g.table.size_pt, Align::Left, "heading")
        }
        Block::Table { rows } => table(page, rows, y)?,
        Block::Grid { label, secret } => {
            let secret = marks
                .secrets
                .iter()
                .find(|(slot, _)| slot == secret)
                .map(|(_, s)| *s)
                .ok_or_else(|| LayoutError::DoesNotFit { what: crate::msg!("render.part.field", label) })?;
            let y = y + page.aligned(label, single(g.grid.label_pt), y, g.grid.label_pt, Align::Left, "grid-label");
            grid(page, label, secret, y, options.reading_row, marks.redacted)
        }
        Block::Bullets { heading, items } => {
            let b = &g.bullets;
            let mut y =
                y + page.aligned(heading, single(b.heading_pt), y, b.heading_pt, Align::Left, "bullets-heading");
            let text_area = Area { x: full.x + b.indent_mm, w: full.w - b.indent_mm, ..full };
            for item in items {
                let lines = wrap(item, text_area.w, b.size_pt, Face::Gothic);
                let area = Area { y, h: lines.len() as f32 * leading_mm(b.size_pt, leading), ..text_area };
                page.line("・", full.x, y, b.size_pt, Face::Gothic, Area { x: full.x, ..area }, "bullet");
                for line in lines {
                    y += page.aligned(&line, area, y, b.size_pt, Align::Left, "bullets");
                }
            }
            y
        }
    })
}

/// A bordered table of label/value pairs; one or two pairs a row. Values wrap and shrink
/// inside their cell; a row grows to the lines it needs.
pub(super) fn table(page: &mut Page, rows: &[Vec<Field>], top: f32) -> Result<f32, LayoutError> {
    let g = &page.g.table;
    let leading = page.g.page.leading;
    let (left, width) = (page.content_left(), page.content_width());
    let mut y = top;
    for row in rows {
        let pairs = row.len().max(1) as f32;
        let value_w = (width - pairs * g.label_width_mm) / pairs;
        let inner = value_w - 2.0 * g.padding_mm;
        let mut cells = Vec::new();
        for field in row {
            let too_long = || LayoutError::DoesNotFit { what: crate::msg!("render.part.field", label = &field.label) };
            let (size, lines) =
                fit(&field.value, inner, g.max_lines, g.size_pt, g.min_pt, Face::Gothic).ok_or_else(too_long)?;
            let (label_size, label_lines) =
                fit(&field.label, g.label_width_mm - 2.0 * g.padding_mm, 2, g.size_pt, g.min_pt, Face::Gothic)
                    .ok_or_else(too_long)?;
            cells.push((field, size, lines, label_size, label_lines));
        }
        let row_h = cells
            .iter()
            .map(|(_, size, lines, lsize, llines)| {
                let value_h = lines.len() as f32 * leading_mm(*size, leading);
                let label_h = llines.len() as f32 * leading_mm(*lsize, leading);
                value_h.max(label_h) + 2.0 * g.padding_mm
            })
            .fold(g.row_min_height_mm, f32::max);
        let mut x = left;
        for (field, size, lines, label_size, label_lines) in cells {
            let label_area = Area { x, y, w: g.label_width_mm, h: row_h };
            let value_area = Area { x: x + g.label_width_mm, y, w: value_w, h: row_h };
            page.rect(label_area, Some(g.label_grey), g.line_pt);
            page.rect(value_area, None, g.line_pt);
            let inner_label = inset(label_area, g.padding_mm);
            let mut ly = y + (row_h - label_lines.len() as f32 * leading_mm(label_size, leading)) / 2.0;
            for line in label_lines {
                ly += page.aligned(&line, inner_label, ly, label_size, Align::Left, "table-label");
            }
            let inner_value = inset(value_area, g.padding_mm);
            let mut vy = y + (row_h - lines.len() as f32 * leading_mm(size, leading)) / 2.0;
            let role = format!("table:{}", field.label);
            for line in lines {
                vy += page.aligned(&line, inner_value, vy, size, Align::Left, &role);
            }
            x += g.label_width_mm + value_w;
        }
        y += row_h;
    }
    Ok(y)
}

fn inset(area: Area, by: f32) -> Area {
    Area { x: area.x + by, y: area.y + by, w: area.w - 2.0 * by, h: area.h - 2.0 * by }
}

/// The password grid: one cell per character, its class (大文字/小文字/数字/記号) above, the
/// character large in the monospaced face below, and optionally its katakana reading.
/// `masked` (the archive copy) draws [`MASK`] instead of each character and leaves the reading
/// cells empty: the same boxes, no character of the secret.
pub(super) fn grid(page: &mut Page, label: &str, secret: &str, top: f32, reading_row: bool, masked: bool) -> f32 {
    let g = &page.g.grid;
    let chars: Vec<char> = secret.chars().collect();
    let cell_w = g.cell_width_mm.min(page.content_width() / chars.len().max(1) as f32);
    let left = page.content_left();
    let role = format!("grid:{label}");
    let mut rows = vec![(g.class_row_mm, Some(g.class_grey)), (g.char_row_mm, None)];
    if reading_row {
        rows.push((g.reading_row_mm, None));
    }
    for (i, &c) in chars.iter().enumerate() {
        let x = left + i as f32 * cell_w;
        let mut y = top;
        for (row, &(h, grey)) in rows.iter().enumerate() {
            let cell = Area { x, y, w: cell_w, h };
            page.rect(cell, grey, g.line_pt);
            let (text, face, pt) = match row {
                0 => (CharClass::of(c).label().to_string(), Face::Gothic, g.class_pt),
                1 if masked => (MASK.to_string(), Face::Mono, g.char_pt),
                1 => (c.to_string(), Face::Mono, g.char_pt),
                _ if masked => (String::new(), Face::Gothic, g.reading_pt),
                _ => (secrets::reading(c).to_string(), Face::Gothic, g.reading_pt),
            };
            if text.is_empty() {
                y += h;
                continue;
            }
            // Shrink a label (e.g. a long reading) until it fits the cell.
            let m = face.metrics();
            let mut size = pt;
            while m.width_mm(&text, size) > cell_w - 0.6 && size > 3.0 {
                size -= 0.25;
            }
            let w = m.width_mm(&text, size);
            let line_h = leading_mm(size, page.g.page.leading);
            let role = if row == 1 { role.clone() } else { format!("{role}:row{row}") };
            page.line(&text, x + (cell_w - w) / 2.0, y + (h - line_h) / 2.0, size, face, cell, &role);
            y += h;
        }
    }
    top + rows.iter().map(|(h, _)| h).sum::<f32>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_lines_within_the_width() {
        let text =
            "社会福祉法人あおぞら会 特別養護老人ホームさくら苑 東京都千代田区霞が関1丁目3番2号 中央合同庁舎第5号館";
        for line in wrap(text, 40.0, 10.5, Face::Gothic) {
            assert!(Face::Gothic.metrics().width_mm(&line, 10.5) <= 40.0 + 1e-3, "{line}");
        }
    }

    #[test]
    fn wrap_keeps_ascii_runs_together_and_honours_line_breaks() {
        let lines = wrap("あいうえおかきくけこ ABCDEFGH\n二行目", 45.0, 10.5, Face::Gothic);
        assert!(lines.iter().any(|l| l.contains("ABCDEFGH")), "{lines:?}");
        assert_eq!(lines.last().unwrap(), "二行目");
    }

    #[test]
    fn wrap_does_not_start_a_line_with_closing_punctuation() {
        // Width for exactly five full-width characters.
        let width = Face::Gothic.metrics().width_mm("あいうえお", 10.0);
        let lines = wrap("あいうえお。かきく", width, 10.0, Face::Gothic);
        assert!(lines.iter().all(|l| !l.starts_with('。')), "{lines:?}");
        assert_eq!(lines.concat(), "あいうえお。かきく");
    }

    #[test]
    fn wrap_prefers_the_space_between_corporation_and_office() {
        let text = "株式会社北の大地ケアサービス 札幌中央営業所";
        let width = Face::Gothic.metrics().width_mm("株式会社北の大地ケアサービス 札幌中央営業", 12.0);
        assert_eq!(wrap(text, width, 12.0, Face::Gothic), ["株式会社北の大地ケアサービス", "札幌中央営業所"]);
    }

    #[test]
    fn a_paragraph_shrinks_a_little_rather_than_leave_an_orphan() {
        let text = "事業所からの依頼に基づき、下記の通りログイン情報を再発行いたしましたので、ご連絡いたします。";
        let width = Face::Gothic.metrics().width_mm(&text[..text.len() - "す。".len()], 10.5);
        let (size, lines) = fewer_lines(text, width, 10.5, 0.92);
        assert_eq!(lines.len(), 1);
        assert!(size < 10.5);
    }

    #[test]
    fn a_label_too_long_cuts_the_name_and_keeps_the_file_name() {
        let label =
            ["1311000002　".to_string(), "社会福祉法人みどり福祉会".repeat(8), "　（1311000002_登録結果.zip）".into()];
        let (size, text) = one_line_label(&label, 170.0, 10.0, 6.0);
        assert_eq!(size, 6.0);
        assert!(text.ends_with("…　（1311000002_登録結果.zip）"), "{text}");
        assert!(Face::Gothic.metrics().width_mm(&text, size) <= 170.0 + 1e-3);
        let short = ["A ".to_string(), "株式会社\nみどり".into(), " (a.zip)".into()];
        assert_eq!(one_line_label(&short, 170.0, 10.0, 6.0), (10.0, "A 株式会社\nみどり (a.zip)".into()));
    }

    #[test]
    fn wrapping_thirty_thousand_letters_is_linear() {
        // Each piece but the last fills a line: one pass, not one line per character.
        let text = "abcdefghij".repeat(3_000);
        let lines = wrap(&text, 50.0, 10.0, Face::Gothic);
        assert_eq!(lines.concat(), text);
        let m = Face::Gothic.metrics();
        for pair in lines.windows(2) {
            assert!(m.width_mm(&pair[0], 10.0) <= 50.0 + 1e-3);
            let next = pair[1].chars().next().unwrap();
            assert!(m.width_mm(&format!("{}{next}", pair[0]), 10.0) > 50.0, "a line left room: {}", pair[0]);
        }
    }

    #[test]
    fn fit_shrinks_before_it_gives_up() {
        let text = "あ".repeat(60);
        let (size, lines) = fit(&text, 100.0, 3, 10.5, 6.0, Face::Gothic).unwrap();
        assert!(size <= 10.5 && lines.len() <= 3);
        assert!(fit(&text, 10.0, 1, 10.5, 6.0, Face::Gothic).is_none());
    }
}
