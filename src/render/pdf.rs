//! PDF writer: a laid-out [`Frame`] becomes PDF bytes with printpdf, the fonts subset-embedded.
//! The document is finished with lopdf: `/PrintScaling /None` (so 100 % printing keeps the
//! address in the envelope window), real metadata, and streams compressed once at a level
//! chosen for speed. The writer knows nothing of requests or rules.

use std::io::Write;

use chrono::{DateTime, FixedOffset};
use lopdf::{Dictionary, Object, StringFormat};
use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, TextItem, TextMatrix,
};

use super::fonts::PdfFonts;
use super::layout::{Area, Frame, Item};
use crate::font::Face;

/// Fixed resource names keep the output free of random font ids.
pub(super) fn font_id(face: Face) -> FontId {
    FontId(match face {
        Face::Gothic => "TSGOTH".into(),
        Face::Mono => "TSMONO".into(),
    })
}

/// Document information.
pub struct Meta<'a> {
    pub title: &'a str,
    pub author: &'a str,
    pub subject: &'a str,
    pub created: DateTime<FixedOffset>,
}

const PT_PER_MM: f32 = 72.0 / 25.4;

fn pt(mm: f32) -> Pt {
    Pt(mm * PT_PER_MM)
}

/// Draws `area` (its bottom at `bottom_mm` from the foot of the page) in `mode`.
fn rectangle(area: &Area, bottom_mm: f32, mode: PaintMode) -> Op {
    Op::DrawRectangle {
        rectangle: Rect {
            x: pt(area.x),
            y: pt(bottom_mm),
            width: pt(area.w),
            height: pt(area.h),
            mode: Some(mode),
            winding_order: None,
        },
    }
}

fn ops(frame: &Frame) -> Vec<Op> {
    let mut ops = Vec::with_capacity(frame.items.len() * 6);
    let flip = |y_top: f32| frame.height - y_top;
    for item in &frame.items {
        match item {
            Item::Fill { area } => {
                ops.push(Op::SetFillColor { col: Color::Greyscale(Greyscale { percent: 0.0, icc_profile: None }) });
                ops.push(rectangle(area, flip(area.bottom()), PaintMode::Fill));
            }
            Item::Line { from, to, line_pt } => {
                ops.push(Op::SetOutlineThickness { pt: Pt(*line_pt) });
                let point = |(x, y): (f32, f32)| LinePoint { p: Point { x: pt(x), y: pt(flip(y)) }, bezier: false };
                ops.push(Op::DrawLine { line: Line { points: vec![point(*from), point(*to)], is_closed: false } });
            }
            Item::Rect { area, fill_grey, line_pt } => {
                ops.push(Op::SetOutlineThickness { pt: Pt(*line_pt) });
                let mode = match fill_grey {
                    Some(grey) => {
                        ops.push(Op::SetFillColor {
                            col: Color::Greyscale(Greyscale { percent: *grey, icc_profile: None }),
                        });
                        PaintMode::FillStroke
                    }
                    None => PaintMode::Stroke,
                };
                ops.push(rectangle(area, flip(area.bottom()), mode));
            }
            Item::Text(run) => {
                ops.push(Op::SetFillColor { col: Color::Greyscale(Greyscale { percent: 0.0, icc_profile: None }) });
                ops.push(Op::StartTextSection);
                ops.push(Op::SetFont { font: PdfFontHandle::External(font_id(run.face)), size: Pt(run.size_pt) });
                ops.push(Op::SetTextMatrix { matrix: TextMatrix::Translate(pt(run.x), pt(flip(run.baseline))) });
                ops.push(Op::ShowText { items: vec![TextItem::Text(run.text.to_string())] });
                ops.push(Op::EndTextSection);
            }
        }
    }
    ops
}

/// A PDF text string: UTF-16BE with BOM, as the spec requires for non-Latin text.
pub(super) fn text_string(s: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
    Object::String(bytes, StringFormat::Hexadecimal)
}

pub(super) fn pdf_date(t: &DateTime<FixedOffset>) -> Object {
    let offset = t.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let (h, m) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
    Object::string_literal(format!("D:{}{sign}{h:02}'{m:02}'", t.format("%Y%m%d%H%M%S")))
}

/// Compression level: 3 is within 1 % of 9 in size (the font program dominates) and several
/// times faster; 1 would push a notice past 35 KB.
const DEFLATE_LEVEL: u32 = 3;

/// Compresses a stream's bytes (zlib, as FlateDecode wants).
pub(super) fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder =
        flate2::write::ZlibEncoder::new(Vec::with_capacity(bytes.len() / 2), flate2::Compression::new(DEFLATE_LEVEL));
    encoder.write_all(bytes).expect("compressing to memory cannot fail");
    encoder.finish().expect("compressing to memory cannot fail")
}

/// Writes `frames` (one a page) as a PDF.
pub fn write(frames: &[Frame], meta: &Meta, fonts: &PdfFonts) -> Vec<u8> {
    let mut doc = PdfDocument::new(meta.title);
    let uses = |face: Face| frames.iter().flat_map(|f| f.texts()).any(|t| t.face == face);
    for face in [Face::Gothic, Face::Mono] {
        if uses(face) {
            let parsed = fonts.get(face).parsed.clone();
            doc.resources.fonts.map.insert(font_id(face), printpdf::PdfFont::new(parsed));
        }
    }
    let pages = frames.iter().map(|f| PdfPage::new(Mm(f.width), Mm(f.height), ops(f))).collect::<Vec<_>>();
    doc.with_pages(pages);
    let options = PdfSaveOptions { optimize: false, subset_fonts: true, secure: true, image_optimization: None };
    let mut lo = doc.to_lopdf_document(&options, &mut Vec::new());
    finish(&mut lo, meta);
    let mut out = Vec::new();
    lo.save_to(&mut out).expect("writing a PDF to memory cannot fail");
    out
}

fn finish(lo: &mut lopdf::Document, meta: &Meta) {
    if let Ok(catalog) = lo.catalog_mut() {
        catalog.set("ViewerPreferences", Dictionary::from_iter(vec![("PrintScaling", Object::Name(b"None".to_vec()))]));
    }
    let info = Dictionary::from_iter(vec![
        ("Title", text_string(meta.title)),
        ("Author", text_string(meta.author)),
        ("Subject", text_string(meta.subject)),
        ("Creator", text_string(concat!("tsuchi ", env!("CARGO_PKG_VERSION")))),
        ("Producer", text_string("printpdf + lopdf")),
        ("CreationDate", pdf_date(&meta.created)),
        ("ModDate", pdf_date(&meta.created)),
    ]);
    let info_id = lo.add_object(info);
    lo.trailer.set("Info", info_id);
    for object in lo.objects.values_mut() {
        if let Object::Stream(stream) = object
            && stream.dict.get(b"Filter").is_err()
        {
            let compressed = deflate(&stream.content);
            if compressed.len() < stream.content.len() {
                stream.set_content(compressed);
                stream.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
            }
        }
    }
    // Drop the Info dictionary printpdf wrote, now unreferenced.
    lo.prune_objects();
}
