//! Layout: a [`Document`] plus the notice's secrets and bars ([`Marks`]) become a [`Frame`] — positioned text runs,
//! boxes and lines in millimetres from the top-left of the page. Layout measures text with the
//! bundled fonts, wraps and shrinks it to fit its box, and refuses what cannot fit; it knows
//! nothing of PDF or files.

use zeroize::Zeroizing;

use super::geometry::AddressGeometry;
pub use super::geometry::Geometry;
use super::template::{AddressBlock, Block, Document, Field};
use crate::engine::barcode::Bar;
use crate::engine::notice::SecretSlot;
use crate::engine::secrets::{self, CharClass};
use crate::ground::font::{self, Face, MM_PER_PT};

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

/// A sentence's end: at least two characters come before it on its line.
const SENTENCE_END: &str = "。．";

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

/// Whether a line made of `next` would start badly (禁則): with a character that may not
/// start a line, or with a single character and the 「。」 after it.
fn starts_badly(next: &std::collections::VecDeque<&str>) -> bool {
    let first = |t: Option<&&str>| t.and_then(|t| t.chars().next());
    first(next.front()).is_some_and(|c| NO_LINE_START.contains(c))
        || (next.front().is_some_and(|t| t.chars().count() == 1)
            && first(next.get(1)).is_some_and(|c| SENTENCE_END.contains(c)))
}

fn is_space(token: &str) -> bool {
    token == " " || token == "\u{3000}"
}

/// Tokens of a paragraph: each character alone (with the variation selector after it), except
/// runs of ASCII letters and digits.
fn tokens(paragraph: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let (mut start, mut prev) = (0, None::<char>);
    for (i, c) in paragraph.char_indices() {
        let joins = (prev.is_some_and(|p| p.is_ascii_alphanumeric()) && c.is_ascii_alphanumeric())
            || font::is_variation_selector(c);
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
                if i > start && piece_width + cw > width + 1e-4 && !font::is_variation_selector(c) {
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
        // Break before `token`. A line may not start with a closing mark (「。」「）」「ー」…),
        // and a sentence's end may not come down alone with one character (「い。」): pull
        // tokens down from the full line until the new line starts well.
        queue.push_front(token);
        while line.len() > 1 && starts_badly(&queue) {
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

/// A label — a list entry's heading — at `max_pt` on one line if it fits, else shrunk a little
/// (not below `min_pt`) to take as few lines as it can, else wrapped at `min_pt` over as many
/// lines as it needs. Never fails and never cuts: a list must not stop a batch, nor hide a name.
pub fn label_lines(text: &str, width: f32, max_pt: f32, min_pt: f32) -> (f32, Vec<String>) {
    let lines = wrap(text, width, max_pt, Face::Gothic);
    if lines.len() == 1 {
        return (max_pt, lines);
    }
    for fewer in 1..lines.len() {
        if let Some(fitted) = fit(text, width, fewer, max_pt, min_pt, Face::Gothic) {
            return fitted;
        }
    }
    (max_pt, lines)
}

/// Wraps `text`, but sets it up to `1 - min_share` smaller when that saves a line: a
/// paragraph's last two characters or a lone 御中 should not take a line of their own.
/// Never below `min_pt`.
fn fewer_lines(text: &str, width: f32, size_pt: f32, min_share: f32, min_pt: f32) -> (f32, Vec<String>) {
    let size_pt = size_pt.max(min_pt);
    let lines = wrap(text, width, size_pt, Face::Gothic);
    if lines.len() > 1
        && let Some(fitted) =
            fit(text, width, lines.len() - 1, size_pt, (size_pt * min_share).max(min_pt), Face::Gothic)
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
    let text_bottom = address_block(&mut page, &doc.address, options, barcode_reserve(g, barcode.is_some()))?;
    if let Some(bars) = barcode {
        let area = address_inner(&g.address, options);
        customer_barcode(&mut page, bars, area.x, text_bottom + b.quiet_mm);
    }
    issuer_block(&mut page, doc)?;

    // 殿 line, title. The 殿 line never shows in the window, wherever the sheet slides: a
    // window moved down by the offset moves it down, and the title and body under it as far
    // as they must.
    let a = &g.addressee;
    let m = Face::Gothic.metrics();
    let (size, lines) = fit(&doc.addressee.text, a.width_mm, 2, a.size_pt, a.min_pt.max(g.page.min_pt), Face::Gothic)
        .ok_or_else(|| LayoutError::DoesNotFit { what: crate::msg!("render.part.addressee") })?;
    let line_h = leading_mm(size, g.page.leading);
    // The first line's ink starts half the leading's slack below its top.
    let ink_below_top = (line_h - (m.ascender - m.descender) * size * MM_PER_PT) / 2.0;
    let clear = address_area(&g.address, options).bottom() + g.address.play_mm - ink_below_top;
    let down = (clear - a.top_mm).max(0.0);
    let area = Area { x: page.content_left(), y: a.top_mm + down, w: a.width_mm, h: lines.len() as f32 * line_h };
    let mut y = area.y;
    for line in &lines {
        y += page.aligned(line, area, y, size, Align::Left, "addressee");
    }
    let full = Area { x: page.content_left(), y: 0.0, w: page.content_width(), h: g.page.height_mm };
    let addressee_bottom = y;
    let title_h = leading_mm(g.title.size_pt, g.page.leading);

    // The footer first: the body ends above it.
    let footer = match doc.footer.text.is_empty() {
        true => None,
        false => Some(
            fit(&doc.footer.text, full.w, 2, g.footer.size_pt, g.page.min_pt, Face::Gothic)
                .ok_or_else(|| LayoutError::DoesNotFit { what: crate::msg!("render.part.footer") })?,
        ),
    };
    let footer_h = footer.as_ref().map_or(1, |(_, lines)| lines.len()) as f32
        * leading_mm(footer.as_ref().map_or(g.footer.size_pt, |(size, _)| *size), g.page.leading);
    let footer_top = g.page.height_mm - g.footer.bottom_mm - footer_h;
    let limit = footer_top.min(g.page.height_mm - g.page.margin_bottom_mm - footer_h);

    // The title keeps its place unless the 殿 line came down onto it, and the blocks follow
    // with the given gap between them. On a full page (long names and addresses, a reading row
    // of three-line readings, a window moved down) the title comes up under the 殿 line and the
    // gaps close up, to a quarter at most, before the page overflows.
    let body_start = page.items.len();
    let mut fitted = false;
    for (tight, share) in [(false, 1.0), (false, 0.5), (true, 0.5), (true, 0.25)] {
        page.items.truncate(body_start);
        let gap = share * g.flow.gap_mm;
        let title_top =
            if tight { addressee_bottom + gap } else { g.title.top_mm.max(addressee_bottom + g.flow.gap_mm) };
        let title_area = Area { y: title_top, h: title_h, ..full };
        page.aligned(&doc.title, title_area, title_top, g.title.size_pt, Align::Center, "title");
        let flow_top = title_top + title_h + gap;
        let flow_top = if tight { flow_top } else { g.flow.top_mm.max(flow_top) };
        let mut y = flow_top;
        for (i, block) in doc.blocks.iter().enumerate() {
            if i > 0 {
                y += gap;
            }
            y = body_block(&mut page, block, marks, y, options)?;
        }
        if y <= limit {
            fitted = true;
            break;
        }
    }
    if !fitted {
        return Err(LayoutError::PageOverflow { what: crate::msg!("render.part.body_end") });
    }

    if let Some((size, lines)) = footer {
        let area = Area { y: footer_top, h: footer_h, ..full };
        let mut y = footer_top;
        for line in &lines {
            y += page.aligned(line, area, y, size, Align::Center, "footer");
        }
    }
    Ok(Frame { width: g.page.width_mm, height: g.page.height_mm, items: page.items })
}

/// The window frame: where the address block sits, after the envelope adjustment.
pub fn address_area(g: &AddressGeometry, options: LayoutOptions) -> Area {
    Area { x: g.x_mm + options.address_offset[0], y: g.y_mm + options.address_offset[1], w: g.width_mm, h: g.height_mm }
}

/// What the address block may fill: the window frame less [`AddressGeometry::inset_mm`] on
/// every side.
pub fn address_inner(g: &AddressGeometry, options: LayoutOptions) -> Area {
    inset(address_area(g, options), g.inset_mm)
}

/// The envelope window: 〒, address, name (with 御中, or the person with 様). Everything shrinks
/// together until it fits the box, each part no smaller than `[page] min_pt`.
/// `reserve` millimetres at the foot of the block stay free (for the customer barcode).
/// Returns the bottom of the last line.
pub(super) fn address_block(
    page: &mut Page,
    block: &AddressBlock,
    options: LayoutOptions,
    reserve: f32,
) -> Result<f32, LayoutError> {
    let g = &page.g.address;
    let area = address_inner(g, options);
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
    let (leading, min_pt) = (page.g.page.leading, page.g.page.min_pt);
    let mut scale = 1.0;
    while scale >= g.min_scale - 1e-4 {
        let wrapped: Vec<(Vec<String>, f32, &str)> = parts
            .iter()
            .map(|(text, pt, role)| {
                let (size, lines) = fewer_lines(text, area.w, pt * scale, 0.85, min_pt);
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

/// Room the customer barcode takes at the foot of the address block: its quiet zone above it
/// and its bars (the block's inset is the quiet zone below and beside it).
pub(super) fn barcode_reserve(g: &Geometry, barcode: bool) -> f32 {
    if barcode { g.barcode.long_mm + g.barcode.quiet_mm } else { 0.0 }
}

/// The Japan Post customer barcode as filled bars, `left`/`top` the corner of its first long
/// bar. Heights follow the 10 pt size: long, upper and lower half, timing.
pub(super) fn customer_barcode(page: &mut Page, bars: &[Bar], left: f32, top: f32) {
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
        let (size, lines) = fit(text, area.w, 2, g.size_pt, (g.size_pt * 0.7).max(page.g.page.min_pt), Face::Gothic)
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
            let (size, lines) = fewer_lines(text, full.w, g.paragraph.size_pt, 0.92, g.page.min_pt);
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

/// Where a katakana reading may break when it is too wide for its cell at the smallest type
/// size: between the parts, at a word's or a mora group's edge, never before 「ー」 or a small
/// kana. A reading not listed here is one part.
const READING_PARTS: &[(&str, &[&str])] = &[
    ("ダブリュー", &["ダブ", "リュー"]),
    ("エックス", &["エッ", "クス"]),
    ("シャープ", &["シャー", "プ"]),
    ("パーセント", &["パー", "セント"]),
    ("左かっこ", &["左", "かっこ"]),
    ("右かっこ", &["右", "かっこ"]),
    ("ハイフン", &["ハイ", "フン"]),
    ("スラッシュ", &["スラッ", "シュ"]),
    ("セミコロン", &["セミ", "コロン"]),
    ("イコール", &["イ", "コール"]),
    ("クエスチョン", &["クエス", "チョン"]),
    ("アットマーク", &["アット", "マーク"]),
    ("キャレット", &["キャ", "レット"]),
    ("アンダーバー", &["アン", "ダー", "バー"]),
    ("左波かっこ", &["左波", "かっこ"]),
    ("右波かっこ", &["右波", "かっこ"]),
];

/// The lines of a cell's text at `size_pt` in `width` mm: the parts packed greedily, a part
/// wider than the cell wrapped by characters. Never cut and never shrunk.
fn cell_lines(parts: &[&str], width: f32, size_pt: f32) -> Vec<String> {
    let m = Face::Gothic.metrics();
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for part in parts {
        let joined = format!("{line}{part}");
        if line.is_empty() || m.width_mm(&joined, size_pt) <= width + 1e-4 {
            line = joined;
        } else {
            lines.push(std::mem::take(&mut line));
            line = part.to_string();
        }
        if m.width_mm(&line, size_pt) > width + 1e-4 {
            let mut pieces = wrap(&line, width, size_pt, Face::Gothic);
            line = pieces.pop().unwrap_or_default();
            lines.extend(pieces);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The lines of the reading of `c` in a grid cell.
fn reading_lines(c: char, width: f32, size_pt: f32) -> Vec<String> {
    let reading = secrets::reading(c);
    match READING_PARTS.iter().find(|(whole, _)| *whole == reading) {
        Some((_, parts)) => cell_lines(parts, width, size_pt),
        None => cell_lines(&[reading], width, size_pt),
    }
}

/// Every character a password may hold (printable ASCII with a reading).
fn readable_chars() -> impl Iterator<Item = char> {
    ('!'..='~').filter(|&c| !secrets::reading(c).is_empty())
}

/// The geometry of a password grid of `len` characters whose classes are `classes`: it depends
/// on nothing else, so the archive copy's masked grid has the very same boxes and says nothing
/// of the characters beyond their classes.
struct GridShape {
    cell_w: f32,
    per_line: usize,
    class_h: f32,
    class_lines: usize,
    char_h: f32,
    /// Height of the reading row; 0 without it.
    reading_h: f32,
    lines: usize,
}

/// Room above and below the lines of a cell that holds two or three.
const CELL_PADDING_MM: f32 = 1.2;

/// Space between the lines of a grid that wraps (a ZIP password of 17 to 32 characters).
const GRID_LINE_GAP_MM: f32 = 2.0;

impl GridShape {
    fn new(page: &Page, len: usize, classes: &[CharClass], reading_row: bool) -> GridShape {
        let g = &page.g.grid;
        let width = page.content_width();
        // A cell never narrows below its set width: a long password wraps onto another line.
        let per_line = ((width + 1e-3) / g.cell_width_mm).floor().max(1.0) as usize;
        let cell_w = g.cell_width_mm.min(width);
        let inner = cell_w - 0.6;
        let all = [CharClass::Upper, CharClass::Lower, CharClass::Digit, CharClass::Symbol];
        let class_lines = all.iter().map(|c| cell_lines(&[c.label()], inner, g.class_pt).len()).max().unwrap_or(1);
        let reading_h = if reading_row {
            let lines = readable_chars()
                .filter(|&c| classes.contains(&CharClass::of(c)))
                .map(|c| reading_lines(c, inner, g.reading_pt).len())
                .max()
                .unwrap_or(1);
            g.reading_row_mm.max(lines as f32 * g.reading_line_mm + CELL_PADDING_MM)
        } else {
            0.0
        };
        GridShape {
            cell_w,
            per_line,
            class_h: g.class_row_mm.max(class_lines as f32 * g.reading_line_mm + CELL_PADDING_MM),
            class_lines,
            char_h: g.char_row_mm,
            reading_h,
            lines: len.max(1).div_ceil(per_line),
        }
    }

    fn line_h(&self) -> f32 {
        self.class_h + self.char_h + self.reading_h
    }

    fn height(&self) -> f32 {
        self.lines as f32 * self.line_h() + (self.lines - 1) as f32 * GRID_LINE_GAP_MM
    }
}

/// The height of a grid of `len` characters without a reading row (the ZIP password list's).
pub(super) fn grid_height(page: &Page, len: usize) -> f32 {
    GridShape::new(page, len, &[], false).height()
}

/// Places the lines of a cell's text centred in `cell`, `pitch` apart.
fn cell_text(page: &mut Page, lines: &[String], cell: Area, size_pt: f32, pitch: f32, role: &str) {
    let m = Face::Gothic.metrics();
    let line_h = leading_mm(size_pt, page.g.page.leading);
    let first = cell.y + cell.h / 2.0 - (lines.len() - 1) as f32 * pitch / 2.0;
    for (i, line) in lines.iter().enumerate() {
        let w = m.width_mm(line, size_pt);
        let centre = first + i as f32 * pitch;
        page.line(line, cell.x + (cell.w - w) / 2.0, centre - line_h / 2.0, size_pt, Face::Gothic, cell, role);
    }
}

/// The password grid: one cell per character, its class (大文字/小文字/数字/記号) above, the
/// character large in the monospaced face below, and optionally its katakana reading (on two or
/// three lines when it is too wide for the cell; the row is as tall as the longest reading of
/// the classes the password holds). A password longer than a line of cells goes on below.
/// `masked` (the archive copy) draws [`MASK`] instead of each character and leaves the reading
/// cells empty: the same boxes, no character of the secret.
pub(super) fn grid(page: &mut Page, label: &str, secret: &str, top: f32, reading_row: bool, masked: bool) -> f32 {
    let g = &page.g.grid;
    let (class_pt, char_pt, reading_pt, pitch) = (g.class_pt, g.char_pt, g.reading_pt, g.reading_line_mm);
    let (line_pt, class_grey) = (g.line_pt, g.class_grey);
    let chars: Vec<char> = secret.chars().collect();
    let mut classes: Vec<CharClass> = chars.iter().map(|&c| CharClass::of(c)).collect();
    classes.dedup();
    let shape = GridShape::new(page, chars.len(), &classes, reading_row);
    let left = page.content_left();
    let role = format!("grid:{label}");
    let mono = Face::Mono.metrics();
    for (i, &c) in chars.iter().enumerate() {
        let (line, column) = (i / shape.per_line, i % shape.per_line);
        let x = left + column as f32 * shape.cell_w;
        let y = top + line as f32 * (shape.line_h() + GRID_LINE_GAP_MM);
        let class_cell = Area { x, y, w: shape.cell_w, h: shape.class_h };
        page.rect(class_cell, Some(class_grey), line_pt);
        let class = cell_lines(&[CharClass::of(c).label()], shape.cell_w - 0.6, class_pt);
        debug_assert!(class.len() <= shape.class_lines);
        cell_text(page, &class, class_cell, class_pt, pitch, &format!("{role}:row0"));
        let char_cell = Area { y: class_cell.bottom(), h: shape.char_h, ..class_cell };
        page.rect(char_cell, None, line_pt);
        let shown = if masked { MASK } else { c };
        let text = shown.to_string();
        let w = mono.width_mm(&text, char_pt);
        let line_h = leading_mm(char_pt, page.g.page.leading);
        page.line(
            &text,
            x + (shape.cell_w - w) / 2.0,
            char_cell.y + (char_cell.h - line_h) / 2.0,
            char_pt,
            Face::Mono,
            char_cell,
            &role,
        );
        if reading_row {
            let reading_cell = Area { y: char_cell.bottom(), h: shape.reading_h, ..class_cell };
            page.rect(reading_cell, None, line_pt);
            if !masked {
                let lines = reading_lines(c, shape.cell_w - 0.6, reading_pt);
                cell_text(page, &lines, reading_cell, reading_pt, pitch, &format!("{role}:row2"));
            }
        }
    }
    top + shape.height()
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
        let (size, lines) = fewer_lines(text, width, 10.5, 0.92, 8.0);
        assert_eq!(lines.len(), 1);
        assert!(size < 10.5);
    }

    #[test]
    fn a_label_too_long_wraps_whole_and_never_below_the_smallest_size() {
        let label = format!("1311000002　{}　（1311000002_登録結果.zip）", "社会福祉法人みどり福祉会".repeat(8));
        let (size, lines) = label_lines(&label, 170.0, 10.5, 8.0);
        assert!(size >= 8.0, "{size}");
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.concat().replace('　', ""), label.replace('　', ""));
        for line in &lines {
            assert!(Face::Gothic.metrics().width_mm(line, size) <= 170.0 + 1e-3, "{line}");
        }
        assert_eq!(label_lines("A 株式会社 (a.zip)", 170.0, 10.5, 8.0), (10.5, vec!["A 株式会社 (a.zip)".to_string()]));
    }

    #[test]
    fn a_sentence_end_never_comes_down_with_a_single_character() {
        // Five characters a line: 「ください。」 would leave 「い。」 alone on the second line.
        let width = Face::Gothic.metrics().width_mm("あいうえお", 10.0);
        for text in ["かきくけこさい。", "かきくけさい。", "かきくけこさ。"] {
            let lines = wrap(text, width, 10.0, Face::Gothic);
            assert_eq!(lines.concat(), text);
            for line in &lines[1..] {
                let head: Vec<char> = line.chars().take(2).collect();
                assert!(head[0] != '。' && head.get(1) != Some(&'。'), "{text}: {lines:?}");
            }
        }
        assert_eq!(wrap("かきくけこい。", width, 10.0, Face::Gothic), ["かきくけ", "こい。"]);
    }

    #[test]
    fn every_reading_fits_its_cell_at_the_smallest_size_in_at_most_three_lines() {
        let inner = 10.5 - 0.6;
        for c in readable_chars() {
            let lines = reading_lines(c, inner, 8.0);
            assert_eq!(lines.concat(), secrets::reading(c), "{c}");
            assert!(lines.len() <= 3, "{c}: {lines:?}");
            for line in &lines {
                assert!(Face::Gothic.metrics().width_mm(line, 8.0) <= inner + 1e-3, "{c}: {line}");
                let first = line.chars().next().unwrap();
                assert!(!NO_LINE_START.contains(first), "{c}: {lines:?}");
            }
        }
        assert_eq!(reading_lines('_', inner, 8.0), ["アン", "ダー", "バー"]);
        assert_eq!(reading_lines('?', inner, 8.0), ["クエス", "チョン"]);
        assert_eq!(reading_lines('{', inner, 8.0), ["左波", "かっこ"]);
        assert_eq!(reading_lines('K', inner, 8.0), ["ケー"]);
        for (whole, parts) in READING_PARTS {
            assert_eq!(parts.concat(), *whole);
            assert!(readable_chars().any(|c| secrets::reading(c) == *whole), "{whole} is no reading");
        }
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
    fn a_variation_sequence_stays_whole_and_the_fallback_is_measured() {
        let m = Face::Gothic.metrics();
        let width = m.width_mm("株式会社", 10.0);
        let text = "株式会社葛\u{E0100}飾𠮷野𩸽";
        let lines = wrap(text, width, 10.0, Face::Gothic);
        assert_eq!(lines, ["株式会社", "葛\u{E0100}飾𠮷野", "𩸽"]);
        for line in &lines {
            assert!(m.width_mm(line, 10.0) <= width + 1e-3, "{line}");
        }
        // Narrower than one character: cut by characters, the selector with its base.
        let lines = wrap("葛\u{E0100}葛\u{E0100}", 1.0, 10.0, Face::Gothic);
        assert_eq!(lines, ["葛\u{E0100}", "葛\u{E0100}"]);
    }

    #[test]
    fn fit_shrinks_before_it_gives_up() {
        let text = "あ".repeat(60);
        let (size, lines) = fit(&text, 100.0, 3, 10.5, 6.0, Face::Gothic).unwrap();
        assert!(size <= 10.5 && lines.len() <= 3);
        assert!(fit(&text, 10.0, 1, 10.5, 6.0, Face::Gothic).is_none());
    }
}
