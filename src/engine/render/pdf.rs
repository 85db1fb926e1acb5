//! A small PDF — a notice, the calibration sheet — from its laid-out pages: the batch fonts are
//! cut down to the characters these pages show, and the pages are written by the same writer
//! (and drawn by the same [`super::ops`] translation) as the print bundle. The writer knows
//! nothing of requests or rules.

use std::collections::BTreeSet;

use super::bundle::{BundleWriter, EncodedFont, prepare};
use super::fonts::PdfFonts;
use super::layout::Frame;
use super::ops::MissingGlyph;
use crate::ground::font::{self, Cluster, Face};

pub use super::bundle::Meta;

/// Writes `frames` (one a page, all of the first one's size) as a PDF set in `fonts`, subset
/// to what the pages show; fails on a character `fonts` cannot draw.
pub fn write(frames: &[Frame], meta: &Meta, fonts: &PdfFonts) -> Result<Vec<u8>, MissingGlyph> {
    write_as(frames, meta, fonts, false)
}

/// [`write`] as PDF/A-2b, for the archive copy. Its fonts are cut down to what the pages show
/// like every small document's, so a page without a password holds no password glyph either.
pub fn write_archival(frames: &[Frame], meta: &Meta, fonts: &PdfFonts) -> Result<Vec<u8>, MissingGlyph> {
    write_as(frames, meta, fonts, true)
}

fn write_as(frames: &[Frame], meta: &Meta, fonts: &PdfFonts, archival: bool) -> Result<Vec<u8>, MissingGlyph> {
    // Cutting a subset down cannot lose a glyph the pages need; should it fail all the same,
    // the document embeds the batch subsets whole: larger, never wrong (and for the archive
    // copy no more telling: the batch subsets hold every character a password may have).
    let own = fonts.subset_to(frames).ok();
    let fonts = own.as_ref().unwrap_or(fonts);
    let encoded: Vec<EncodedFont> = fonts.all().map(EncodedFont::new).collect();
    write_encoded(frames, meta, fonts, &encoded.iter().collect::<Vec<_>>(), archival)
}

/// A notice ([`write`]) and its archive copy ([`write_archival`]), made together. Both pages
/// show the same Japanese characters unless the reading row is printed (the copy leaves it
/// out), and then the copy embeds the notice's Japanese subsets, cut and compressed once.
pub fn write_with_archive(
    frame: &Frame,
    meta: &Meta,
    archive_frame: &Frame,
    archive_meta: &Meta,
    fonts: &PdfFonts,
) -> Result<(Vec<u8>, Vec<u8>), MissingGlyph> {
    let frames = std::slice::from_ref(frame);
    let archive_frames = std::slice::from_ref(archive_frame);
    let Ok(own) = fonts.subset_to(frames) else {
        return Ok((write(frames, meta, fonts)?, write_archival(archive_frames, archive_meta, fonts)?));
    };
    let gothic = EncodedFont::new(&own.gothic);
    let fallback = own.fallback.as_ref().map(EncodedFont::new);
    let mono = EncodedFont::new(&own.mono);
    let notice =
        write_encoded(frames, meta, &own, &[&gothic, &mono].into_iter().chain(&fallback).collect::<Vec<_>>(), false)?;
    let archive_mono = own_chars(archive_frame, Face::Mono);
    let archive = match fonts.mono.cut_to(&archive_mono) {
        Ok(mono) if own_chars(archive_frame, Face::Gothic) == own_chars(frame, Face::Gothic) => {
            let copy = PdfFonts { gothic: own.gothic.clone(), mono, fallback: own.fallback.clone() };
            let mono = EncodedFont::new(&copy.mono);
            let encoded: Vec<&EncodedFont> = [&gothic, &mono].into_iter().chain(&fallback).collect();
            write_encoded(archive_frames, archive_meta, &copy, &encoded, true)?
        }
        _ => write_archival(archive_frames, archive_meta, fonts)?,
    };
    Ok((notice, archive))
}

/// The characters `frame` sets in `face`.
fn own_chars(frame: &Frame, face: Face) -> BTreeSet<Cluster> {
    frame.texts().filter(|t| t.face == face).flat_map(|t| font::clusters(&t.text)).collect()
}

fn write_encoded(
    frames: &[Frame],
    meta: &Meta,
    fonts: &PdfFonts,
    encoded: &[&EncodedFont],
    archival: bool,
) -> Result<Vec<u8>, MissingGlyph> {
    let (width, height) = frames.first().map_or((210.0, 297.0), |f| (f.width, f.height));
    let pages = frames.iter().map(|frame| prepare(frame, fonts)).collect::<Result<Vec<_>, _>>()?;
    let written = (|| {
        let mut writer = BundleWriter::with_encoded(Vec::new(), fonts, encoded, width, height, archival)?;
        for page in pages {
            writer.prepared(page)?;
        }
        writer.finish(meta)
    })();
    Ok(written.expect("writing a PDF to memory cannot fail"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::render::layout::{Area, Item, TextRun};
    use crate::ground::font::Face;

    #[test]
    fn a_document_embeds_only_the_glyphs_its_pages_show() {
        let batch: BTreeSet<Cluster> = ('一'..='龠').step_by(40).chain("通知".chars()).map(Cluster::plain).collect();
        let fonts = PdfFonts::for_chars(&batch).unwrap();
        let frame = Frame {
            width: 210.0,
            height: 297.0,
            items: vec![Item::Text(TextRun {
                x: 20.0,
                baseline: 30.0,
                size_pt: 12.0,
                face: Face::Gothic,
                text: zeroize::Zeroizing::new("通知".into()),
                width: 8.5,
                container: Area { x: 0.0, y: 0.0, w: 210.0, h: 297.0 },
                role: "test".into(),
            })],
        };
        let own = fonts.subset_to(std::slice::from_ref(&frame)).unwrap();
        assert!(own.gothic.widths.len() <= 3, "{} glyphs", own.gothic.widths.len());
        let created = chrono::DateTime::parse_from_rfc3339("2026-04-01T09:00:00+09:00").unwrap();
        let meta = Meta { title: "t", author: "a", subject: "s", created };
        let pdf = write(&[frame], &meta, &fonts).unwrap();
        assert!(pdf.len() < fonts.gothic.bytes.len() / 4, "{} bytes for two characters", pdf.len());
        assert!(pdf.windows(24).any(|w| w == b"/CreationDate(D:20260401"));
    }
}
