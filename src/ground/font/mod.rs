//! The bundled fonts, compiled into the binary so that a clerk's PC needs no font installed
//! and nothing is fetched at run time (licences in `fonts/`).
//!
//! - IPAexゴシック (IPA Font License v1.0): every Japanese text on the notices.
//! - The fallback Mincho (`fonts/fallback-mincho.ttf.gz`, cut from IPAmj明朝 by
//!   `scripts/cut-fallback-font`, IPA Font License v1.0): per character, what IPAex lacks (𠮷,
//!   𩸽 …) and the ideographic variation sequences IPAex has no glyph for (葛󠄀 = 葛 + U+E0100).
//!   It is inflated in memory the first time a text needs it.
//! - JetBrains Mono Bold (Apache-2.0): the password characters only, because its 0/O and
//!   1/l/I differ at a glance (dotted zero, serifed I, tailed l).
//!
//! This module measures text and answers whether, and from which face, a character can be
//! drawn; it knows nothing of PDFs.

pub mod subset;

use std::sync::OnceLock;

/// The Japanese font program, as shipped in `fonts/ipaexg.ttf`.
pub const GOTHIC_BYTES: &[u8] = include_bytes!("../../../fonts/ipaexg.ttf");
/// The password font program, as shipped in `fonts/JetBrainsMono-Bold.ttf`.
pub const MONO_BYTES: &[u8] = include_bytes!("../../../fonts/JetBrainsMono-Bold.ttf");
/// The fallback font program, gzip-compressed (13 MB; 23 MB inflated).
const FALLBACK_GZ: &[u8] = include_bytes!("../../../fonts/fallback-mincho.ttf.gz");

/// The Japanese font's name as clerks know it, used in messages.
pub const FONT_NAME: &str = "IPAexゴシック";
/// The fonts a name may be printed in, as messages name them.
pub const FONT_NAMES: &str = "IPAexゴシック・IPAmj明朝";

/// Which bundled face a text is set in. Layout sets Japanese text in [`Face::Gothic`]; the PDF
/// writer draws a character of such a text from [`Face::Fallback`] where [`source`] says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Face {
    Gothic,
    Mono,
    /// Never a run's face: the glyphs Gothic lacks, within Gothic runs.
    Fallback,
}

/// A parsed face with the metrics layout needs, per em.
pub struct Metrics {
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
    /// Distance from baseline to the top of the em box, in ems.
    pub ascender: f32,
    /// Distance from baseline to the bottom (negative), in ems.
    pub descender: f32,
    /// Advance of every BMP character in ems, negative where the face has no glyph: layout
    /// measures the same characters thousands of times per batch.
    bmp_advances: Vec<f32>,
    /// Gothic measures what it lacks with the fallback face, as the writer draws it.
    falls_back: bool,
}

impl Face {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Face::Gothic => GOTHIC_BYTES,
            Face::Mono => MONO_BYTES,
            Face::Fallback => fallback_bytes(),
        }
    }

    /// The PostScript name, as the PDF names the embedded font.
    pub fn postscript_name(self) -> &'static str {
        match self {
            Face::Gothic => "IPAexGothic",
            Face::Mono => "JetBrainsMono-Bold",
            Face::Fallback => "TsuchiFallbackMincho",
        }
    }

    /// The face parsed once per process.
    pub fn metrics(self) -> &'static Metrics {
        static GOTHIC: OnceLock<Metrics> = OnceLock::new();
        static MONO: OnceLock<Metrics> = OnceLock::new();
        static FALLBACK: OnceLock<Metrics> = OnceLock::new();
        let cell = match self {
            Face::Gothic => &GOTHIC,
            Face::Mono => &MONO,
            Face::Fallback => &FALLBACK,
        };
        cell.get_or_init(|| {
            let face = ttf_parser::Face::parse(self.bytes(), 0).expect("the bundled fonts are valid TrueType fonts");
            let units_per_em = face.units_per_em() as f32;
            // The fallback is measured per character: it is consulted only for what Gothic lacks.
            let bmp = if self == Face::Fallback { 0 } else { 0x10000u32 };
            let bmp_advances = (0..bmp)
                .map(|u| {
                    char::from_u32(u)
                        .and_then(|c| face.glyph_index(c))
                        .filter(|g| g.0 != 0)
                        .map(|g| face.glyph_hor_advance(g).unwrap_or(0) as f32 / units_per_em)
                        .unwrap_or(-1.0)
                })
                .collect();
            Metrics {
                ascender: face.ascender() as f32 / units_per_em,
                descender: face.descender() as f32 / units_per_em,
                units_per_em,
                face,
                bmp_advances,
                falls_back: self == Face::Gothic,
            }
        })
    }
}

/// The fallback font program, inflated once per process, the first time it is needed.
static FALLBACK: OnceLock<Vec<u8>> = OnceLock::new();

/// Whether this process has inflated the fallback face (23 MB of memory, some 50 ms): only a
/// text with a character IPAex lacks, or a variation sequence, should have made it.
pub fn fallback_loaded() -> bool {
    FALLBACK.get().is_some()
}

fn fallback_bytes() -> &'static [u8] {
    FALLBACK.get_or_init(|| {
        use std::io::Read;
        let mut out = Vec::with_capacity(24 << 20);
        flate2::read::GzDecoder::new(FALLBACK_GZ).read_to_end(&mut out).expect("the bundled fallback font inflates");
        out
    })
}

impl Metrics {
    /// Whether the face itself has a glyph for `ch`.
    fn has(&self, ch: char) -> bool {
        match self.bmp_advances.get(ch as usize) {
            Some(&a) => a >= 0.0,
            None => self.face.glyph_index(ch).is_some_and(|g| g.0 != 0),
        }
    }

    /// Whether `ch` can be drawn in a text set in this face (for Gothic: by the fallback too).
    pub fn covers(&self, ch: char) -> bool {
        self.has(ch) || (self.falls_back && may_fall_back(ch) && Face::Fallback.metrics().has(ch))
    }

    /// The glyph of `ch` in this face itself.
    pub fn glyph_id(&self, ch: char) -> Option<u16> {
        self.face.glyph_index(ch).map(|g| g.0).filter(|&g| g != 0)
    }

    /// The glyph of the variation sequence `base` + `selector`, where this face lists it
    /// (cmap format 14; a default sequence gives the base character's glyph).
    fn variant(&self, base: char, selector: char) -> Option<u16> {
        self.face.glyph_variation_index(base, selector).map(|g| g.0).filter(|&g| g != 0)
    }

    /// Advance width of `ch` in ems (0 for a character the face lacks, and for a variation
    /// selector: the variant takes its base character's place).
    pub fn advance(&self, ch: char) -> f32 {
        match self.bmp_advances.get(ch as usize) {
            Some(&a) if a >= 0.0 => a,
            _ if !may_fall_back(ch) => 0.0,
            Some(_) if self.falls_back => Face::Fallback.metrics().advance(ch),
            Some(_) => 0.0,
            None => match self.face.glyph_index(ch).filter(|g| g.0 != 0) {
                Some(g) => self.face.glyph_hor_advance(g).unwrap_or(0) as f32 / self.units_per_em,
                None if self.falls_back => Face::Fallback.metrics().advance(ch),
                None => 0.0,
            },
        }
    }

    /// Width of `text` set at `size_pt`, in millimetres.
    pub fn width_mm(&self, text: &str, size_pt: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size_pt * MM_PER_PT
    }
}

/// Millimetres in a PostScript point.
pub const MM_PER_PT: f32 = 25.4 / 72.0;

/// Whether the Japanese text can draw `ch` (names and addresses are set in it), from either face.
pub fn covers(ch: char) -> bool {
    Face::Gothic.metrics().covers(ch)
}

/// Whether `c` is a variation selector (U+FE00–FE0F, U+E0100–E01EF): invisible, it asks for a
/// variant of the character before it.
pub fn is_variation_selector(c: char) -> bool {
    matches!(c as u32, 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

/// Whether the fallback face is worth asking for `c`: not for a control character (a line
/// break has no glyph anywhere) nor a variation selector, so that a text with neither of the
/// fallback's characters never inflates it.
fn may_fall_back(c: char) -> bool {
    !c.is_control() && !is_variation_selector(c)
}

/// What a text draws as one glyph: a character, with the variation selector that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cluster {
    pub base: char,
    pub selector: Option<char>,
}

impl Cluster {
    pub fn plain(base: char) -> Cluster {
        Cluster { base, selector: None }
    }

    /// The characters, as the text had them.
    pub fn chars(self) -> impl Iterator<Item = char> {
        std::iter::once(self.base).chain(self.selector)
    }

    /// `U+845B U+E0100`, for messages.
    pub fn code_points(self) -> String {
        self.chars().map(|c| format!("U+{:04X}", c as u32)).collect::<Vec<_>>().join(" ")
    }
}

impl std::fmt::Display for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.chars().try_for_each(|c| std::fmt::Write::write_char(f, c))
    }
}

/// The clusters of `text`: each variation selector joins the character before it (a selector
/// with none before it, or after another, stands alone and has no glyph).
pub fn clusters(text: &str) -> impl Iterator<Item = Cluster> + '_ {
    let mut chars = text.chars().peekable();
    std::iter::from_fn(move || {
        let base = chars.next()?;
        let selector = if is_variation_selector(base) { None } else { chars.next_if(|&c| is_variation_selector(c)) };
        Some(Cluster { base, selector })
    })
}

/// The clusters of `text` that IPAex Gothic does not draw as written, with where they are drawn
/// from (`None`: nowhere). Line breaks and control characters are among them (no glyph).
pub fn beyond_gothic(text: &str) -> impl Iterator<Item = (Cluster, Option<Source>)> + '_ {
    let gothic = Face::Gothic.metrics();
    clusters(text).filter(move |c| c.selector.is_some() || !gothic.has(c.base)).map(|c| (c, source(c)))
}

/// The clusters of `text` drawn from the fallback face.
pub fn from_fallback(text: &str) -> impl Iterator<Item = Cluster> + '_ {
    beyond_gothic(text).filter(|(_, s)| s.is_some_and(|s| s.face == Face::Fallback)).map(|(c, _)| c)
}

/// Where the glyph of a cluster of a Japanese text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// [`Face::Gothic`] or [`Face::Fallback`].
    pub face: Face,
    /// The glyph id in that face's bundled program.
    pub glyph: u16,
    /// False for a variation sequence that no face has: its base character stands in.
    pub exact: bool,
}

/// The face and glyph a Japanese text draws `cluster` with: Gothic where it has the character
/// (or the sequence), else the fallback; a sequence neither face has is drawn as its base
/// character. `None`: no face can draw it.
pub fn source(cluster: Cluster) -> Option<Source> {
    let (gothic, fallback) = (Face::Gothic.metrics(), || Face::Fallback.metrics());
    let plain = |exact| {
        if gothic.has(cluster.base) {
            gothic.glyph_id(cluster.base).map(|glyph| Source { face: Face::Gothic, glyph, exact })
        } else if !may_fall_back(cluster.base) {
            None
        } else {
            fallback().glyph_id(cluster.base).map(|glyph| Source { face: Face::Fallback, glyph, exact })
        }
    };
    match cluster.selector {
        None => plain(true),
        Some(vs) => gothic
            .variant(cluster.base, vs)
            .map(|glyph| Source { face: Face::Gothic, glyph, exact: true })
            .or_else(|| {
                fallback().variant(cluster.base, vs).map(|glyph| Source { face: Face::Fallback, glyph, exact: true })
            })
            .or_else(|| plain(false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_covers_kana_kanji_and_ascii() {
        for ch in "あア亜漢字髙﨑ABCxyz0123456789〒－ー　 ".chars() {
            assert!(covers(ch), "{ch:?} should be covered");
        }
    }

    #[test]
    fn what_gothic_lacks_comes_from_the_fallback() {
        assert!(!Face::Gothic.metrics().has('𠮷'));
        for c in "𠮷\u{20001}Đ".chars() {
            assert!(covers(c), "{c}");
            assert_eq!(source(Cluster::plain(c)).unwrap().face, Face::Fallback, "{c}");
            assert!(Face::Gothic.metrics().advance(c) > 0.0, "{c}");
        }
        assert_eq!(Face::Gothic.metrics().advance('𠮷'), 1.0);
        for c in "髙﨑塚㐂葛𩸽".chars() {
            assert_eq!(source(Cluster::plain(c)).unwrap().face, Face::Gothic, "{c}");
        }
        assert!(!covers('\u{E001}'));
        assert!(source(Cluster::plain('\u{E001}')).is_none());
    }

    #[test]
    fn a_variation_sequence_prints_its_variant_or_its_base() {
        let kuzu: Vec<Cluster> = clusters("葛\u{E0100}飾").collect();
        assert_eq!(kuzu, [Cluster { base: '葛', selector: Some('\u{E0100}') }, Cluster::plain('飾')]);
        // IPAex has 葛 + U+E0100 (Adobe-Japan1's 葛 with 匕), the fallback the MJ variants.
        let variant = source(kuzu[0]).unwrap();
        assert!(variant.exact && variant.face == Face::Gothic);
        assert_ne!(Some(variant), source(Cluster::plain('葛')));
        let mj = source(Cluster { base: '葛', selector: Some('\u{E0102}') }).unwrap();
        assert!(mj.exact && mj.face == Face::Fallback);
        // 葛 with a selector no font lists: the base character, not exact.
        let base = source(Cluster { base: '葛', selector: Some('\u{E01EF}') }).unwrap();
        assert_eq!(
            (base.face, base.glyph, base.exact),
            (Face::Gothic, source(Cluster::plain('葛')).unwrap().glyph, false)
        );
        assert_eq!(Face::Gothic.metrics().width_mm("葛\u{E0100}", 10.0), Face::Gothic.metrics().width_mm("葛", 10.0));
        // A selector alone has no glyph.
        assert_eq!(clusters("\u{FE00}").next(), Some(Cluster::plain('\u{FE00}')));
        assert!(source(Cluster::plain('\u{FE00}')).is_none());
        assert_eq!(kuzu[0].code_points(), "U+845B U+E0100");
    }

    #[test]
    fn password_font_covers_every_password_character() {
        let mono = Face::Mono.metrics();
        for c in (b'!'..=b'~').map(char::from) {
            assert!(mono.covers(c), "{c}");
        }
        // Monospaced: every character has the same advance.
        assert_eq!(mono.advance('W'), mono.advance('i'));
    }

    #[test]
    fn full_width_characters_are_one_em() {
        let w = Face::Gothic.metrics().width_mm("漢字", 10.0);
        assert!((w - 2.0 * 10.0 * MM_PER_PT).abs() < 0.01, "{w}");
    }
}
