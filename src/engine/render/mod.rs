//! Render: a [`Notice`] becomes the PDF the 事業所 reads. Three stages, one way:
//! `template` (wording → [`template::Document`]) → `layout` (document + secrets → positioned
//! [`layout::Frame`]) → `pdf` (frame → bytes). The three notice kinds share this engine and
//! differ only in their templates.

pub mod bundle;
pub mod fonts;
pub mod geometry;
mod honorific;
pub mod layout;
pub mod ops;
pub mod pdf;
pub mod pdfa;
pub mod sheets;
pub mod template;

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset};
use tera::Context;

use crate::engine::config::Config;
use crate::engine::notice::Notice;
use crate::engine::secrets::Secret;
use crate::ground::font::{self, Cluster};
use crate::ground::model::{NoticeKind, Request};
use crate::ground::wareki;

/// What every page made with the sample settings carries across it, so that a sample notice
/// can never pass for a real one. Not wording a clerk changes: it is the same in every language.
pub const SAMPLE_MARK: &str = "見本";

/// Its size: two characters reach across most of an A4 page's diagonal.
const SAMPLE_MARK_PT: f32 = 150.0;

pub use fonts::PdfFonts;
pub use layout::{Frame, Item, LayoutError};

/// A name or address as a one-line value: its line breaks (Alt+Enter in Excel, CRLF, a bare
/// CR) become spaces, where the layout may break the line, and never print as glyphs;
/// leading and trailing breaks go.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for part in text.split(['\n', '\r']).map(str::trim).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// The characters (with their variation selectors) a laid-out page sets in the Japanese face
/// (the password face always holds all of printable ASCII).
pub fn gothic_glyphs(frame: &Frame) -> impl Iterator<Item = Cluster> + '_ {
    frame.texts().filter(|t| t.face == crate::ground::font::Face::Gothic).flat_map(|t| font::clusters(&t.text))
}

/// Why a notice cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template or layout.toml is broken: found at start-up, stops the run.
    #[error("{}", crate::msg!("render.template_broken", origin = .origin, detail = .detail))]
    Template { origin: String, detail: String },
    /// The 発行日 cannot be written in 和暦.
    #[error("{}", crate::msg!("render.date", detail = .0))]
    Date(String),
    /// The batch fonts could not be built, or lack a character (a bug, never tofu on paper).
    #[error("{}", crate::msg!("render.font", detail = .0))]
    Font(String),
    /// A page sets a character its font subset lacks (a bug, never glyph 0 on paper).
    #[error(transparent)]
    Glyph(#[from] ops::MissingGlyph),
    /// A control number Code 128 cannot carry (a bug: they are digits and hyphens).
    #[error(transparent)]
    ControlCode(#[from] crate::engine::barcode::control::Unencodable),
    /// This row's text does not fit: the row is rejected, the batch goes on.
    #[error(transparent)]
    Layout(#[from] LayoutError),
}

/// What the cover sheet of a print bundle reports.
#[derive(Debug, Clone)]
pub struct CoverInfo {
    pub batch_id: String,
    pub issue_date: chrono::NaiveDate,
    pub created: DateTime<FixedOffset>,
    pub operator: String,
    pub host: String,
    /// Paper notices per kind.
    pub counts: Vec<(NoticeKind, usize)>,
    /// Pages of the bundle, cover included.
    pub pages: usize,
    /// The ledger's chain head, `<count>:<hash>` grouped for reading.
    pub head: String,
    /// Pre-sort bundles, slip pages among the pages, `[mailroom] bundle_min`, and whether a
    /// blank back follows every page.
    pub bundles: usize,
    pub slips: usize,
    pub bundle_min: usize,
    pub duplex: bool,
}

/// What a slip page (区分票) before a pre-sort bundle says.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SlipInfo {
    pub batch_id: String,
    /// `NNN-NN` (the upper five digits of its 郵便番号), `NN` (the upper two) or 雑.
    pub district: String,
    /// `district`, `region` or `mixed` (engine::presort::Sack), and `[mailroom] bundle_min`.
    pub level: &'static str,
    pub bundle_min: usize,
    pub count: usize,
    /// Its place among the batch's bundles (from 1), and how many there are.
    pub number: usize,
    pub bundles: usize,
    pub first_seq: usize,
    pub last_seq: usize,
    pub first_control: String,
    pub last_control: String,
}

#[derive(serde::Serialize)]
struct KindCount {
    label: &'static str,
    count: usize,
}

/// Everything needed to render notices, loaded once per run and shared across threads.
pub struct Renderer {
    templates: template::Templates,
    config: Config,
    options: layout::LayoutOptions,
}

impl Renderer {
    /// Loads templates and fonts, and renders a specimen of every notice kind so that a broken
    /// template stops the run before anything is issued.
    pub fn new(config: &Config) -> Result<Renderer, RenderError> {
        let templates = match &config.templates.dir {
            Some(dir) => template::Templates::from_dir(dir)?,
            None => template::Templates::builtin()?,
        };
        let renderer = Renderer {
            templates,
            config: config.clone(),
            options: layout::LayoutOptions {
                reading_row: config.notice.reading_row,
                address_offset: config.layout.address_offset_mm,
                customer_barcode: config.mailroom.customer_barcode,
            },
        };
        for kind in NoticeKind::ALL {
            let specimen = Notice::specimen(kind);
            renderer.frame(&specimen).map_err(|e| match e {
                RenderError::Layout(l) => RenderError::Template {
                    origin: crate::msg!("render.origin.specimen"),
                    detail: crate::msg!("render.specimen_layout", kind, error = l),
                },
                other => other,
            })?;
        }
        Ok(renderer)
    }

    fn context(&self, notice: &Notice) -> Result<Context, RenderError> {
        let r: &Request = &notice.request;
        let n = &self.config.notice;
        let mut c = Context::new();
        c.insert("request_id", r.request_id.as_str());
        c.insert("kind", r.kind.label());
        c.insert("office_no", r.office_no.as_str());
        c.insert("office_name", &one_line(&r.office_name));
        c.insert("postal_code", &r.postal_code.to_string());
        c.insert("address", &one_line(&r.printed_address()));
        c.insert("phone", r.phone.as_ref().map(|p| p.as_str()).unwrap_or(""));
        c.insert("fax", r.fax.as_ref().map(|p| p.as_str()).unwrap_or(""));
        c.insert("user_id", r.user_id.as_str());
        c.insert("prefecture", r.prefecture.map(|p| p.name()).unwrap_or(""));
        // Printed only where the office has a ユーザID per 請求先都道府県: it tells the two apart.
        let billing = r.prefecture.filter(|_| notice.several_ids).map(|p| p.name()).unwrap_or("");
        c.insert("billing_prefecture", billing);
        c.insert("attention", &one_line(r.attention.as_deref().unwrap_or("")));
        c.insert("issue_date", &wareki::format(notice.issue_date, n.date_style).map_err(RenderError::Date)?);
        c.insert("issuer_name", &self.config.issuer.name);
        c.insert("helpdesk", &self.config.issuer.helpdesk);
        c.insert("honorific_organization", &n.honorific_organization);
        c.insert("honorific_person", &n.honorific_person);
        c.insert("honorific_addressee", &n.honorific_addressee);
        Ok(c)
    }

    /// The geometry of `layout.toml` in use.
    pub fn geometry(&self) -> &geometry::Geometry {
        &self.templates.geometry
    }

    /// The page geometry (A4 portrait by default).
    pub fn page_size_mm(&self) -> (f32, f32) {
        let p = &self.templates.geometry.page;
        (p.width_mm, p.height_mm)
    }

    /// The print bundle's cover sheet.
    pub fn cover(&self, info: &CoverInfo) -> Result<Frame, RenderError> {
        let mut c = Context::new();
        c.insert("batch_id", &info.batch_id);
        c.insert(
            "issue_date",
            &wareki::format(info.issue_date, self.config.notice.date_style).map_err(RenderError::Date)?,
        );
        c.insert("created", &info.created.format("%Y-%m-%d %H:%M:%S").to_string());
        c.insert("operator", &info.operator);
        c.insert("host", &info.host);
        let kinds: Vec<_> = info.counts.iter().map(|(k, n)| KindCount { label: k.label(), count: *n }).collect();
        c.insert("kinds", &kinds);
        c.insert("notices", &info.counts.iter().map(|(_, n)| n).sum::<usize>());
        c.insert("pages", &info.pages);
        c.insert("head", &info.head);
        c.insert("bundles", &info.bundles);
        c.insert("slips", &info.slips);
        c.insert("bundle_min", &info.bundle_min);
        c.insert("duplex", &info.duplex);
        let doc: template::CoverDocument = self.templates.sheet("cover", &c)?;
        Ok(self.marked(sheets::cover(&doc, &self.templates.geometry)?))
    }

    /// A slip page (区分票) of the print bundle, laid out as the cover is.
    pub fn slip(&self, info: &SlipInfo) -> Result<Frame, RenderError> {
        let c = Context::from_serialize(info).map_err(|e| RenderError::Template {
            origin: crate::msg!("render.origin.builtin"),
            detail: e.to_string(),
        })?;
        let doc: template::CoverDocument = self.templates.sheet("slip", &c)?;
        Ok(self.marked(sheets::cover(&doc, &self.templates.geometry)?))
    }

    /// `frame` with the sample settings' 見本 under everything on it (as it is otherwise).
    fn marked(&self, mut frame: Frame) -> Frame {
        if self.config.sample {
            let size_pt = SAMPLE_MARK_PT;
            let width = SAMPLE_MARK.chars().count() as f32 * size_pt / ops::PT_PER_MM;
            let container = layout::Area { x: 0.0, y: 0.0, w: frame.width, h: frame.height };
            let run = layout::TextRun {
                x: (frame.width - width) / 2.0,
                baseline: frame.height / 2.0,
                size_pt,
                face: crate::ground::font::Face::Gothic,
                text: SAMPLE_MARK.to_string().into(),
                width,
                container,
                role: "watermark".into(),
            };
            frame.items.insert(0, layout::Item::Watermark(run));
        }
        frame
    }

    /// Stamps a bundle page with its control number and page number.
    pub fn stamp(&self, frame: &mut Frame, control: &str, page_no: &str) {
        sheets::stamp(frame, &self.templates.geometry, control, page_no);
    }

    /// Adds the control number's Code 128 symbol to a notice's bundle page, for the mail room's
    /// scanner (`tsuchi mail scan`).
    pub fn control_code(&self, frame: &mut Frame, control: &str) -> Result<(), RenderError> {
        Ok(sheets::control_code(frame, &self.templates.geometry, control)?)
    }

    /// The envelope calibration sheet (with the configured address offset).
    pub fn calibration(&self) -> Result<Frame, RenderError> {
        let mut c = Context::new();
        let [dx, dy] = self.config.layout.address_offset_mm;
        c.insert("dx", &format!("{dx:+.1}"));
        c.insert("dy", &format!("{dy:+.1}"));
        let doc: template::CalibrationDocument = self.templates.sheet("calibrate", &c)?;
        // The sample address's barcode, as a notice to that address would carry it; the
        // postcode alone when the address has none. No sample when notices print no barcode.
        let barcode =
            crate::engine::barcode::for_address(&doc.address.postal, &doc.address.address, None).ok().or_else(|| {
                let digits: String = doc.address.postal.chars().filter(char::is_ascii_digit).collect();
                crate::engine::barcode::encode(&digits, "").ok()
            });
        let bars = barcode.filter(|_| self.options.customer_barcode).map(|code| code.bars());
        Ok(self.marked(sheets::calibration(&doc, &self.templates.geometry, self.options, bars.as_deref())?))
    }

    /// The pages of the ZIP opening-password list, stamped, each handed to `emit` as it is
    /// laid out; `entries` are (事業所番号, 事業所名, file name, password).
    pub fn zip_password_pages<E: From<RenderError>>(
        &self,
        batch_id: &str,
        issue_date: chrono::NaiveDate,
        entries: &[(&str, &str, &str, &Secret)],
        mut emit: impl FnMut(Frame) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut c = Context::new();
        c.insert("batch_id", batch_id);
        c.insert("issue_date", &wareki::format(issue_date, self.config.notice.date_style).map_err(RenderError::Date)?);
        let doc: template::ZipPasswordsDocument = self.templates.sheet("zip_passwords", &c)?;
        let label = |office_no: &str, office_name: &str, file: &str| {
            let fill = |part: &str| part.replace("{office_no}", office_no).replace("{file}", file);
            let (before, after) = doc.entry.split_once("{office_name}").unwrap_or((doc.entry.as_str(), ""));
            [fill(before), one_line(office_name), fill(after)]
        };
        let total = sheets::zip_password_page_count(
            &doc,
            entries.iter().map(|(no, name, file, secret)| (label(no, name, file), secret.expose().chars().count())),
            &self.templates.geometry,
        );
        // Made one at a time as the pages reach them, not all at once.
        let entries = entries.iter().map(|(office_no, office_name, file, secret)| sheets::ZipEntry {
            label: label(office_no, office_name, file),
            password: secret.expose(),
        });
        let mut page_no = 0;
        sheets::zip_passwords(&doc, entries, &self.templates.geometry, |frame| {
            let mut frame = self.marked(frame);
            page_no += 1;
            self.stamp(&mut frame, batch_id, &format!("{page_no}/{total}"));
            emit(frame)
        })
    }

    /// Fails when the batch fonts lack a character of `frame` (a bug; never print tofu).
    pub fn check_fonts(&self, fonts: &PdfFonts, frame: &Frame) -> Result<(), RenderError> {
        match fonts.missing_char(frame) {
            Some(c) => {
                let code = format!("{:04X}", c as u32);
                Err(RenderError::Font(crate::msg!("render.missing_glyph", character = c, code)))
            }
            None => Ok(()),
        }
    }

    /// The document and its laid-out page (no PDF yet).
    pub fn frame(&self, notice: &Notice) -> Result<(template::Document, Frame), RenderError> {
        self.laid_out(notice, false)
    }

    /// The archive copy's page: the notice's page with every password character masked
    /// ([`layout::MASK`]) and no reading row; the class row stays.
    pub fn archive_frame(&self, notice: &Notice) -> Result<(template::Document, Frame), RenderError> {
        self.laid_out(notice, true)
    }

    fn laid_out(&self, notice: &Notice, redacted: bool) -> Result<(template::Document, Frame), RenderError> {
        let doc = self.templates.document(notice.kind(), &self.context(notice)?)?;
        let frame = self.layout(&doc, notice, redacted)?;
        Ok((doc, frame))
    }

    /// Lays out `doc`, the document of `notice`, as its page or as its archive copy's.
    fn layout(&self, doc: &template::Document, notice: &Notice, redacted: bool) -> Result<Frame, RenderError> {
        let bars = match (self.options.customer_barcode && notice.kind().is_mailed(), notice.barcode()) {
            (true, Ok(code)) => Some(code.bars()),
            _ => None,
        };
        let secrets = notice.secrets();
        let marks = layout::Marks { secrets: &secrets, bars: bars.as_deref(), redacted };
        Ok(self.marked(layout::layout(doc, &marks, &self.templates.geometry, self.options)?))
    }

    /// Every character a batch prints whatever its rows say: the templates' wording, the
    /// configured names, dates, kinds, and every password character with its class label and
    /// reading. A batch's fonts are these plus the glyphs its prepared rows need.
    pub fn base_glyphs(&self) -> BTreeSet<Cluster> {
        let mut chars: BTreeSet<Cluster> = self.templates.source_chars().iter().copied().map(Cluster::plain).collect();
        let (issuer, n) = (&self.config.issuer, &self.config.notice);
        for text in
            [&issuer.name, &issuer.helpdesk, &n.honorific_organization, &n.honorific_person, &n.honorific_addressee]
        {
            chars.extend(font::clusters(text));
        }
        let plain = |text: &'static str| text.chars().map(Cluster::plain);
        chars.extend(plain("令和平成昭和元年月日〒・…"));
        if self.config.sample {
            chars.extend(plain(SAMPLE_MARK));
        }
        chars.extend(NoticeKind::ALL.iter().flat_map(|k| plain(k.label())));
        for ch in ' '..='~' {
            chars.insert(Cluster::plain(ch));
            chars.extend(plain(crate::engine::secrets::CharClass::of(ch).label()));
            chars.extend(plain(crate::engine::secrets::reading(ch)));
        }
        chars
    }

    /// The fonts of a batch: [`Self::base_glyphs`] and `glyphs`.
    pub fn fonts_for(&self, glyphs: &BTreeSet<Cluster>) -> Result<PdfFonts, RenderError> {
        let mut chars = self.base_glyphs();
        chars.extend(glyphs.iter().copied());
        PdfFonts::for_chars(&chars).map_err(RenderError::Font)
    }

    /// Renders one notice as a one-page PDF with the batch's `fonts`.
    pub fn render(
        &self,
        notice: &Notice,
        fonts: &PdfFonts,
        created: DateTime<FixedOffset>,
    ) -> Result<Vec<u8>, RenderError> {
        let (doc, frame) = self.frame(notice)?;
        self.check_fonts(fonts, &frame)?;
        let subject = format!("{}（{} {}）", doc.subject, notice.request.office_no, notice.request.office_name);
        let meta = pdf::Meta { title: &doc.title, author: &self.config.issuer.name, subject: &subject, created };
        Ok(pdf::write(&[frame], &meta, fonts)?)
    }

    /// Renders a notice ([`Self::render`]) and its archive copy ([`Self::render_archive`])
    /// together, sharing the work the two have in common.
    pub fn render_with_archive(
        &self,
        notice: &Notice,
        fonts: &PdfFonts,
        created: DateTime<FixedOffset>,
    ) -> Result<(Vec<u8>, Vec<u8>), RenderError> {
        let (doc, frame) = self.frame(notice)?;
        self.check_fonts(fonts, &frame)?;
        let archive_frame = self.layout(&doc, notice, true)?;
        self.check_fonts(fonts, &archive_frame)?;
        let author = &self.config.issuer.name;
        let subject = format!("{}（{} {}）", doc.subject, notice.request.office_no, notice.request.office_name);
        let archive_subject = archive_subject(&doc, notice);
        let meta = pdf::Meta { title: &doc.title, author, subject: &subject, created };
        let archive_meta = pdf::Meta { title: &doc.title, author, subject: &archive_subject, created };
        Ok(pdf::write_with_archive(&frame, &meta, &archive_frame, &archive_meta, fonts)?)
    }

    /// Renders the archive copy of one notice: its page with the passwords masked, as PDF/A-2b
    /// whose fonts hold only the glyphs that page shows (so not one password character).
    pub fn render_archive(
        &self,
        notice: &Notice,
        fonts: &PdfFonts,
        created: DateTime<FixedOffset>,
    ) -> Result<Vec<u8>, RenderError> {
        let (doc, frame) = self.archive_frame(notice)?;
        self.check_fonts(fonts, &frame)?;
        let subject = archive_subject(&doc, notice);
        let meta = pdf::Meta { title: &doc.title, author: &self.config.issuer.name, subject: &subject, created };
        Ok(pdf::write_archival(&[frame], &meta, fonts)?)
    }
}

/// The archive copy's subject (its metadata).
fn archive_subject(doc: &template::Document, notice: &Notice) -> String {
    format!("{}（{} {}）保存用・パスワード伏字", doc.subject, notice.request.office_no, notice.request.office_name)
}
