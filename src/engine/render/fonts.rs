//! The fonts of one batch: subsets of the bundled faces holding every character the batch can
//! print (see [`crate::ground::font::subset`]), made once and shared by reference across threads.
//! The PDF writer embeds them whole in the print bundle, and [`PdfFonts::subset_to`] cuts them
//! down again to the characters of one small document (a notice).
//!
//! Japanese text is set in IPAex Gothic; a character (or variation sequence) it has no glyph for
//! is drawn from the fallback face ([`crate::ground::font::source`]), a third subset font that a
//! document embeds only when its pages need it.

use std::collections::BTreeSet;

use super::layout::Frame;
use crate::ground::font::{self, Cluster, Face, subset};

/// One face subset for the batch.
#[derive(Clone)]
pub struct SubsetFont {
    pub face: Face,
    /// The subset font program (TrueType, no hinting, no cmap: see [`subset`]).
    pub bytes: Vec<u8>,
    /// (character, glyph id), sorted by character: a few hundred entries, looked up for every
    /// character a page sets, where a binary search beats hashing.
    gids: Vec<(char, u16)>,
    /// The same for characters with a variation selector (most fonts of a batch have none).
    /// Two clusters drawn alike (辻 and 辻 with a selector no face has) have two glyph ids, so
    /// that the text taken from the PDF is each one's own.
    sequences: Vec<(Cluster, u16)>,
    /// Advance of every glyph, in thousandths of an em.
    pub widths: Vec<u16>,
    /// Font bounding box, ascender, descender, cap height, in thousandths of an em.
    pub bbox: [i32; 4],
    pub ascent: i32,
    pub descent: i32,
    pub cap_height: i32,
    /// The PostScript name of the face.
    pub name: String,
}

impl SubsetFont {
    /// The bundled `face` cut down to `glyphs` (each cluster with its glyph id in the face).
    fn from_face(face: Face, glyphs: &[(Cluster, u16)]) -> Result<SubsetFont, String> {
        let ttf = ttf_parser::Face::parse(face.bytes(), 0).map_err(|e| e.to_string())?;
        let per_mille = |v: f32| (v * 1000.0 / ttf.units_per_em() as f32).round() as i32;
        let b = ttf.global_bounding_box();
        let whole = SubsetFont {
            face,
            bytes: Vec::new(),
            gids: Vec::new(),
            sequences: Vec::new(),
            widths: Vec::new(),
            bbox: [
                per_mille(b.x_min as f32),
                per_mille(b.y_min as f32),
                per_mille(b.x_max as f32),
                per_mille(b.y_max as f32),
            ],
            ascent: per_mille(ttf.ascender() as f32),
            descent: per_mille(ttf.descender() as f32),
            cap_height: per_mille(ttf.capital_height().unwrap_or(ttf.ascender()) as f32),
            name: face.postscript_name().to_string(),
        };
        whole.cut(face.bytes(), glyphs)
    }

    /// A font of this face cut from the program `source` down to `glyphs` (each cluster with
    /// its glyph id in `source`). The first cluster of a glyph gets it; each further one a copy.
    fn cut(&self, source: &[u8], glyphs: &[(Cluster, u16)]) -> Result<SubsetFont, String> {
        let mut by_glyph: Vec<(u16, Cluster)> = glyphs.iter().map(|&(c, g)| (g, c)).collect();
        by_glyph.sort_unstable();
        by_glyph.dedup();
        let copies: Vec<(u16, Cluster)> = by_glyph.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| w[1]).collect();
        let copy_ids: Vec<u16> = copies.iter().map(|&(g, _)| g).collect();
        let cut = subset::subset_with_copies(source, by_glyph.iter().map(|&(g, _)| g), &copy_ids)?;
        let units = cut.units_per_em.max(1) as f32;
        let mut gids: Vec<(Cluster, u16)> = Vec::with_capacity(by_glyph.len());
        let mut previous = None;
        for &(g, c) in &by_glyph {
            if previous != Some(g)
                && let Some(new) = cut.new_id(g)
            {
                gids.push((c, new));
            }
            previous = Some(g);
        }
        gids.extend(copies.iter().enumerate().map(|(i, &(_, c))| (c, (cut.old_ids.len() + i) as u16)));
        gids.sort_unstable();
        gids.dedup_by_key(|(c, _)| *c);
        let (plain, sequences): (Vec<_>, Vec<_>) = gids.into_iter().partition(|(c, _)| c.selector.is_none());
        Ok(SubsetFont {
            face: self.face,
            gids: plain.into_iter().map(|(c, g)| (c.base, g)).collect(),
            sequences,
            widths: cut.advances.iter().map(|&a| (a as f32 * 1000.0 / units).round() as u16).collect(),
            bytes: cut.bytes,
            bbox: self.bbox,
            ascent: self.ascent,
            descent: self.descent,
            cap_height: self.cap_height,
            name: self.name.clone(),
        })
    }

    /// This subset cut down again to `clusters` (those it lacks are left out).
    pub fn cut_to(&self, clusters: &BTreeSet<Cluster>) -> Result<SubsetFont, String> {
        let glyphs: Vec<(Cluster, u16)> = clusters.iter().filter_map(|&c| self.gid(c).map(|g| (c, g))).collect();
        self.cut(&self.bytes, &glyphs)
    }

    /// The glyph id of `c`, if the subset holds it.
    #[inline]
    pub fn gid(&self, c: Cluster) -> Option<u16> {
        match c.selector {
            None => self.char_gid(c.base),
            Some(_) => self.sequences.binary_search_by_key(&c, |&(c, _)| c).ok().map(|i| self.sequences[i].1),
        }
    }

    /// The glyph id of the character `c` alone.
    #[inline]
    pub fn char_gid(&self, c: char) -> Option<u16> {
        self.gids.binary_search_by_key(&c, |&(c, _)| c).ok().map(|i| self.gids[i].1)
    }

    /// Every (glyph id, cluster) pair, for the ToUnicode map.
    pub fn mappings(&self) -> impl Iterator<Item = (u16, Cluster)> + '_ {
        self.gids.iter().map(|&(c, g)| (g, Cluster::plain(c))).chain(self.sequences.iter().map(|&(c, g)| (g, c)))
    }

    /// Whether the subset holds no glyph but `.notdef`.
    fn is_empty(&self) -> bool {
        self.gids.is_empty() && self.sequences.is_empty()
    }
}

/// The faces of a batch, or of one document.
#[derive(Clone)]
pub struct PdfFonts {
    pub gothic: SubsetFont,
    pub mono: SubsetFont,
    /// What Gothic lacks; `None` when no text needs it.
    pub fallback: Option<SubsetFont>,
}

impl PdfFonts {
    /// Subsets the bundled fonts: the Japanese faces to `clusters` (each from the face
    /// [`font::source`] names; one no face has is left out, and a page that sets it is refused),
    /// the password face to printable ASCII and the archive copy's mark.
    pub fn for_chars(clusters: &BTreeSet<Cluster>) -> Result<PdfFonts, String> {
        let (mut gothic, mut fallback) = (Vec::new(), Vec::new());
        for &c in clusters {
            match font::source(c) {
                Some(s) if s.face == Face::Fallback => fallback.push((c, s.glyph)),
                Some(s) => gothic.push((c, s.glyph)),
                None => {}
            }
        }
        let mono = Face::Mono.metrics();
        let ascii: Vec<(Cluster, u16)> = (' '..='~')
            .chain([super::layout::MASK])
            .filter_map(|c| mono.glyph_id(c).map(|g| (Cluster::plain(c), g)))
            .collect();
        Ok(PdfFonts {
            gothic: SubsetFont::from_face(Face::Gothic, &gothic)?,
            mono: SubsetFont::from_face(Face::Mono, &ascii)?,
            fallback: match fallback.is_empty() {
                true => None,
                false => Some(SubsetFont::from_face(Face::Fallback, &fallback)?),
            },
        })
    }

    /// These fonts cut down to the characters `frames` show, for a document of a page or two:
    /// a notice embeds a few hundred glyphs instead of every glyph the batch may print, and the
    /// fallback face only when it draws something.
    pub fn subset_to(&self, frames: &[Frame]) -> Result<PdfFonts, String> {
        // Gathered in vectors and built at once: faster than inserting each character.
        let (mut japanese, mut mono) = (Vec::new(), Vec::new());
        for run in frames.iter().flat_map(|f| f.texts()) {
            let all = if run.face == Face::Mono { &mut mono } else { &mut japanese };
            all.extend(font::clusters(&run.text));
        }
        let (japanese, mono): (BTreeSet<Cluster>, BTreeSet<Cluster>) =
            (japanese.into_iter().collect(), mono.into_iter().collect());
        // Gothic's cut leaves out what it lacks; the fallback's holds just that.
        let fallback = match &self.fallback {
            Some(f) => {
                let lacking: BTreeSet<Cluster> =
                    japanese.iter().filter(|&&c| self.gothic.gid(c).is_none()).copied().collect();
                match lacking.is_empty() {
                    true => None,
                    false => Some(f.cut_to(&lacking)?).filter(|f| !f.is_empty()),
                }
            }
            None => None,
        };
        Ok(PdfFonts { gothic: self.gothic.cut_to(&japanese)?, mono: self.mono.cut_to(&mono)?, fallback })
    }

    /// Each subset font, Gothic first, then the password face, then the fallback if any.
    pub fn all(&self) -> impl Iterator<Item = &SubsetFont> {
        [&self.gothic, &self.mono].into_iter().chain(&self.fallback)
    }

    /// The subset and glyph id that draw `c` in a text set in `face`: the password face's own,
    /// or for Japanese text Gothic's, else the fallback's.
    #[inline]
    pub fn glyph(&self, face: Face, c: Cluster) -> Option<(Face, u16)> {
        match face {
            Face::Mono => self.mono.gid(c).map(|g| (Face::Mono, g)),
            Face::Gothic | Face::Fallback => self
                .gothic
                .gid(c)
                .map(|g| (Face::Gothic, g))
                .or_else(|| self.fallback.as_ref()?.gid(c).map(|g| (Face::Fallback, g))),
        }
    }

    /// The first character of `frame` that the batch fonts cannot draw (a bug if ever `Some`:
    /// the batch's character set missed it, and it would print as a blank box).
    pub fn missing_char(&self, frame: &Frame) -> Option<char> {
        frame
            .texts()
            .find_map(|run| font::clusters(&run.text).find(|&c| self.glyph(run.face, c).is_none()))
            .map(|c| c.base)
    }
}
