//! The PDF writer: laid-out pages into one PDF that embeds each of its subset fonts once.
//! Every PDF of tsuchi is written here — a one-page notice (with fonts subset to that notice,
//! see [`super::pdf`]) as well as a mail-room bundle of tens of thousands of pages (with the
//! batch subsets).
//!
//! It emits PDF objects straight to the output: the fonts first (Gothic, the password face and,
//! when the pages need it, the fallback face; Identity-H, glyph ids of the subsets, a ToUnicode
//! map so the text stays extractable, variation selectors included), then each page's compressed
//! content stream (drawn by [`super::ops`]) as it comes, and the page tree, catalog, metadata
//! and cross-reference table at the end. Memory stays flat whatever the page count.
//!
//! An archival writer ([`BundleWriter::archival`]) adds what PDF/A-2b needs (see
//! [`super::pdfa`]): XMP metadata, the sRGB output intent and a file identifier.

use std::io::{self, Write};

use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};

use super::fonts::{PdfFonts, SubsetFont};
use super::layout::Frame;
use super::ops::{MissingGlyph, PT_PER_MM, content_stream, font_name, push_hex4, push_number, push_uint};
use crate::ground::font::{Cluster, Face};

pub use super::pdfa::Meta;

/// Compression level (libdeflate's, 1 to 12): 1 is within 2 % of 9 in size for a notice's
/// font program, and more than twice as fast.
const DEFLATE_LEVEL: i32 = 1;

/// Compresses a stream's bytes (zlib, as FlateDecode wants) with libdeflate, about twice as
/// fast as zlib at the same size for these streams (font programs, page operators). Each thread
/// keeps its compressor: setting one up costs more than compressing a notice's page.
pub(super) fn deflate(bytes: &[u8]) -> Vec<u8> {
    use libdeflater::{CompressionLvl, Compressor};
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Compressor> = std::cell::RefCell::new(Compressor::new(
            CompressionLvl::new(DEFLATE_LEVEL).expect("a level libdeflate has"),
        ));
    }
    COMPRESSOR.with_borrow_mut(|c| {
        let mut out = vec![0; c.zlib_compress_bound(bytes.len())];
        let n = c.zlib_compress(bytes, &mut out).expect("the bound holds the compressed stream");
        out.truncate(n);
        out
    })
}

/// The document's creator and producer.
const PRODUCER: &str = concat!("tsuchi ", env!("CARGO_PKG_VERSION"));

/// Counts bytes so that object offsets for the cross-reference table are known, and hashes
/// them for an archival file's identifier.
struct Counting<W: Write> {
    inner: W,
    written: u64,
    hash: Option<Sha256>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        if let Some(hash) = &mut self.hash {
            hash.update(&buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Object 1 is the catalog and object 2 the page tree; both are written last.
const CATALOG: usize = 1;
const PAGES: usize = 2;

/// A subset font's streams, compressed once: a notice and its archive copy that show the same
/// characters embed the very same bytes.
pub struct EncodedFont {
    program: Vec<u8>,
    to_unicode: Vec<u8>,
}

impl EncodedFont {
    pub fn new(font: &SubsetFont) -> EncodedFont {
        EncodedFont { program: deflate(&font.bytes), to_unicode: deflate(to_unicode(font).as_bytes()) }
    }
}

/// Writes pages of one size, set in one set of subset fonts, to `W`. Its pages are
/// [`prepare`]d with the fonts it was started with.
pub struct BundleWriter<W: Write> {
    out: Counting<W>,
    /// Byte offset of every object, by object number (index 0 unused).
    offsets: Vec<u64>,
    pages: Vec<usize>,
    /// Each embedded face with its Type0 font object.
    font_objects: Vec<(Face, usize)>,
    width_pt: f32,
    height_pt: f32,
    /// PDF/A-2b: metadata, output intent and identifier at the end.
    archival: bool,
}

impl<W: Write> BundleWriter<W> {
    /// Starts a bundle of `width_mm` × `height_mm` pages set in `fonts`.
    pub fn new(out: W, fonts: &PdfFonts, width_mm: f32, height_mm: f32) -> io::Result<Self> {
        Self::start(out, fonts, width_mm, height_mm, false)
    }

    /// Starts a PDF/A-2b document (the archive copy of a notice).
    pub fn archival(out: W, fonts: &PdfFonts, width_mm: f32, height_mm: f32) -> io::Result<Self> {
        Self::start(out, fonts, width_mm, height_mm, true)
    }

    fn start(out: W, fonts: &PdfFonts, width_mm: f32, height_mm: f32, archival: bool) -> io::Result<Self> {
        let encoded: Vec<EncodedFont> = fonts.all().map(EncodedFont::new).collect();
        Self::with_encoded(out, fonts, &encoded.iter().collect::<Vec<_>>(), width_mm, height_mm, archival)
    }

    /// Starts a document whose fonts (`fonts`) are already compressed (`encoded`, in the order
    /// of [`PdfFonts::all`]).
    pub fn with_encoded(
        out: W,
        fonts: &PdfFonts,
        encoded: &[&EncodedFont],
        width_mm: f32,
        height_mm: f32,
        archival: bool,
    ) -> io::Result<Self> {
        let mut writer = BundleWriter {
            out: Counting { inner: out, written: 0, hash: archival.then(Sha256::new) },
            offsets: vec![0, 0, 0],
            pages: Vec::new(),
            font_objects: Vec::new(),
            width_pt: width_mm * PT_PER_MM,
            height_pt: height_mm * PT_PER_MM,
            archival,
        };
        writer.out.write_all(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")?;
        assert_eq!(fonts.all().count(), encoded.len(), "one encoded stream per font");
        for (font, encoded) in fonts.all().zip(encoded) {
            let object = writer.font(font, encoded)?;
            writer.font_objects.push((font.face, object));
        }
        Ok(writer)
    }

    fn reserve(&mut self) -> usize {
        self.offsets.push(0);
        self.offsets.len() - 1
    }

    fn object(&mut self, id: usize, body: &[u8]) -> io::Result<()> {
        self.offsets[id] = self.out.written;
        writeln!(self.out, "{id} 0 obj")?;
        self.out.write_all(body)?;
        self.out.write_all(b"\nendobj\n")
    }

    /// A stream already compressed.
    fn compressed(&mut self, id: usize, dict: &str, compressed: &[u8]) -> io::Result<()> {
        self.offsets[id] = self.out.written;
        write!(self.out, "{id} 0 obj\n<<{dict}/Length {}/Filter/FlateDecode>>\nstream\n", compressed.len())?;
        self.out.write_all(compressed)?;
        self.out.write_all(b"\nendstream\nendobj\n")
    }

    /// Writes one face as a Type0 font over its batch subset; returns the font object.
    fn font(&mut self, font: &SubsetFont, encoded: &EncodedFont) -> io::Result<usize> {
        let [file, descriptor, cid, unicode, type0] = [(); 5].map(|_| self.reserve());
        // A subset tag is six capital letters; fixed per face so output is reproducible.
        let name = format!("{}+{}", font_name(font.face), font.name);
        self.compressed(file, &format!("/Length1 {}", font.bytes.len()), &encoded.program)?;
        let [x0, y0, x1, y1] = font.bbox;
        self.object(
            descriptor,
            format!(
                "<</Type/FontDescriptor/FontName/{name}/Flags 4/FontBBox[{x0} {y0} {x1} {y1}]/ItalicAngle 0\
                 /Ascent {}/Descent {}/CapHeight {}/StemV 80/FontFile2 {file} 0 R>>",
                font.ascent, font.descent, font.cap_height
            )
            .as_bytes(),
        )?;
        let mut widths = String::with_capacity(5 * font.widths.len());
        for &w in &font.widths {
            push_uint(&mut widths, u64::from(w));
            widths.push(' ');
        }
        self.object(
            cid,
            format!(
                "<</Type/Font/Subtype/CIDFontType2/BaseFont/{name}/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>\
                 /FontDescriptor {descriptor} 0 R/CIDToGIDMap/Identity/W[0[{}]]>>",
                widths.trim_end()
            )
            .as_bytes(),
        )?;
        self.compressed(unicode, "", &encoded.to_unicode)?;
        self.object(
            type0,
            format!(
                "<</Type/Font/Subtype/Type0/BaseFont/{name}/Encoding/Identity-H/DescendantFonts[{cid} 0 R]/ToUnicode {unicode} 0 R>>"
            )
            .as_bytes(),
        )?;
        Ok(type0)
    }

    /// Appends a page prepared (possibly on another thread) by [`prepare`].
    pub fn prepared(&mut self, page: PreparedPage) -> io::Result<()> {
        let content = self.reserve();
        let id = self.reserve();
        self.compressed(content, "", &page.content)?;
        let mut resources = String::new();
        for &(face, object) in &self.font_objects {
            resources.push('/');
            resources.push_str(font_name(face));
            resources.push(' ');
            push_uint(&mut resources, object as u64);
            resources.push_str(" 0 R");
        }
        let mut media_box = String::new();
        for v in [self.width_pt, self.height_pt] {
            media_box.push(' ');
            push_number(&mut media_box, v, 2);
        }
        let body = format!(
            "<</Type/Page/Parent {PAGES} 0 R/MediaBox[0 0{media_box}]/Resources<</Font<<{resources}>>>>/Contents {content} 0 R>>"
        );
        self.object(id, body.as_bytes())?;
        self.pages.push(id);
        Ok(())
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Writes the page tree, catalog, metadata and cross-reference table.
    pub fn finish(mut self, meta: &Meta) -> io::Result<W> {
        let kids: String = self.pages.iter().map(|p| format!("{p} 0 R ")).collect();
        let pages = format!("<</Type/Pages/Count {}/Kids[{}]>>", self.pages.len(), kids.trim_end());
        self.object(PAGES, pages.as_bytes())?;
        let mut archival = String::new();
        if self.archival {
            let [profile, metadata] = [(); 2].map(|_| self.reserve());
            // The same profile in every archive copy: compressed once per process.
            static PROFILE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
            self.compressed(profile, "/N 3", PROFILE.get_or_init(|| deflate(super::pdfa::SRGB_ICC)))?;
            // PDF/A wants the metadata readable without decoding: no filter.
            let xmp = super::pdfa::xmp(meta, PRODUCER);
            let mut body = format!("<</Type/Metadata/Subtype/XML/Length {}>>\nstream\n", xmp.len()).into_bytes();
            body.extend_from_slice(xmp.as_bytes());
            body.extend_from_slice(b"\nendstream");
            self.object(metadata, &body)?;
            archival = format!("/Metadata {metadata} 0 R/OutputIntents{}", super::pdfa::output_intents(profile));
        }
        self.object(
            CATALOG,
            format!("<</Type/Catalog/Pages {PAGES} 0 R/ViewerPreferences<</PrintScaling/None>>{archival}>>").as_bytes(),
        )?;
        let info = self.reserve();
        let date = pdf_date(&meta.created);
        let body = format!(
            "<</Title{}/Author{}/Subject{}/Creator{}/Producer{}/CreationDate{date}/ModDate{date}>>",
            hex_text(meta.title),
            hex_text(meta.author),
            hex_text(meta.subject),
            hex_text(PRODUCER),
            hex_text(PRODUCER),
        );
        self.object(info, body.as_bytes())?;
        let id = match self.out.hash.take() {
            Some(hash) => super::pdfa::file_id(&hash.finalize()),
            None => String::new(),
        };
        let xref = self.out.written;
        write!(self.out, "xref\n0 {}\n0000000000 65535 f \n", self.offsets.len())?;
        for offset in &self.offsets[1..] {
            writeln!(self.out, "{offset:010} 00000 n ")?;
        }
        write!(
            self.out,
            "trailer\n<</Size {}/Root {CATALOG} 0 R/Info {info} 0 R{id}>>\nstartxref\n{xref}\n%%EOF\n",
            self.offsets.len()
        )?;
        self.out.flush()?;
        Ok(self.out.inner)
    }
}

/// A page's compressed content stream, ready to be appended.
#[derive(Clone)]
pub struct PreparedPage {
    content: Vec<u8>,
}

/// Encodes and compresses a page's drawing operators; independent of the file being
/// written, so pages can be prepared in parallel and appended in order. Fails on a character
/// that `fonts` cannot draw.
pub fn prepare(frame: &Frame, fonts: &PdfFonts) -> Result<PreparedPage, MissingGlyph> {
    // The operators may hold a password's glyphs: wipe the plain copy once compressed.
    let ops = zeroize::Zeroizing::new(content_stream(frame, fonts)?);
    Ok(PreparedPage { content: deflate(ops.as_bytes()) })
}

/// A PDF text string as UTF-16BE hex with BOM.
fn hex_text(s: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in s.encode_utf16() {
        push_hex4(&mut out, unit);
    }
    out.push('>');
    out
}

/// A PDF date string, `(D:YYYYMMDDHHmmSS+HH'mm')`.
fn pdf_date(t: &DateTime<FixedOffset>) -> String {
    let offset = t.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let (h, m) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
    format!("(D:{}{sign}{h:02}'{m:02}')", t.format("%Y%m%d%H%M%S"))
}

/// The ToUnicode CMap: glyph id → characters (a character and its variation selector), so that
/// copied or extracted text is what the list said.
fn to_unicode(font: &SubsetFont) -> String {
    let mut pairs: Vec<(u16, Cluster)> = font.mappings().collect();
    pairs.sort_unstable();
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo<</Registry(Adobe)/Ordering(UCS)/Supplement 0>> def\n\
         /CMapName/Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000><FFFF>\nendcodespacerange\n",
    );
    for chunk in pairs.chunks(100) {
        push_uint(&mut out, chunk.len() as u64);
        out.push_str(" beginbfchar\n");
        for &(gid, c) in chunk {
            out.push('<');
            push_hex4(&mut out, gid);
            out.push_str("><");
            for ch in c.chars() {
                for &unit in ch.encode_utf16(&mut [0; 2]).iter() {
                    push_hex4(&mut out, unit);
                }
            }
            out.push_str(">\n");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}
