//! Mail room: what goes into envelopes. The paper notices of a batch (登録結果 and 再発行; the
//! 証明書発行用パスワード通知書 travels as a ZIP) are put in postal order, printed into one
//! bundle with a cover sheet and a control stamp on every page (on a notice's page also its
//! control number as Code 128, for the scanner), and listed in 発送リスト.xlsx.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::ground::xlsx::{self, Cell, Table};
use rayon::prelude::*;

use crate::engine::config::BundleSlips;
use crate::engine::notice::Notice;
use crate::engine::render::bundle::{self, BundleWriter, PreparedPage};
use crate::engine::render::pdf::Meta;
use crate::engine::render::{CoverInfo, Frame, PdfFonts, RenderError, Renderer, SlipInfo};
use crate::ground::model::{NoticeKind, OfficeNo, PostalCode, Request, UserId};

/// The mail room's order: by 郵便番号, then 事業所番号 (then ユーザID and kind, so the order is
/// total).
pub fn sort(notices: &mut [&Notice]) {
    fn key(n: &Notice) -> (&PostalCode, &OfficeNo, &UserId, NoticeKind) {
        let r = &n.request;
        (&r.postal_code, &r.office_no, &r.user_id, n.kind())
    }
    notices.sort_by(|a, b| key(a).cmp(&key(b)));
}

/// One envelope.
#[derive(Debug, Clone)]
pub struct Piece<'a> {
    pub seq: usize,
    /// `<batch-id>-<seq>`, printed at the foot of the notice.
    pub control_no: String,
    pub request: &'a Request,
    /// Pages of the notice (without blank backs).
    pub pages: usize,
    /// Page of the bundle the notice starts on.
    pub first_page: usize,
    /// The customer barcode's data and check digit, or why there is none.
    pub barcode: String,
}

/// What the mailing list says of a notice's customer barcode (in Japanese, as the whole list
/// is, whatever language the console speaks).
fn barcode_note(notice: &Notice, printed: bool) -> String {
    if !printed {
        return "（印字しない設定）".into();
    }
    match notice.barcode() {
        Ok(code) if code.data().is_empty() => format!("（番地なし）CD {}", code.check_digit()),
        Ok(code) => format!("{} CD {}", code.data(), code.check_digit()),
        Err(reason) => {
            format!("なし：{}", crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || reason.reason()))
        }
    }
}

/// The bundle as written.
#[derive(Debug, Clone)]
pub struct Bundle<'a> {
    pub path: PathBuf,
    pub pieces: Vec<Piece<'a>>,
    /// Every page of the file, cover and blank backs included.
    pub pages: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum MailroomError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{}", crate::msg!("lifecycle.mailroom_cannot_write", path = .path.display(), detail = .detail))]
    Write { path: PathBuf, detail: String },
}

/// Who made the bundle and when, for its cover.
pub struct BundleInfo {
    pub batch_id: String,
    pub issue_date: chrono::NaiveDate,
    pub created: chrono::DateTime<chrono::FixedOffset>,
    pub operator: String,
    pub host: String,
    pub issuer: String,
    /// A blank back after every printed page, so each notice starts on its own sheet when
    /// printed on both sides.
    pub duplex: bool,
    /// Whether notices carry the customer barcode.
    pub customer_barcode: bool,
    /// The ledger's chain head with this batch's events, as printed on the cover.
    pub head: String,
    /// A slip page (区分票) before each pre-sort bundle.
    pub slips: bool,
}

/// The control number of the `seq`-th notice (from 1) of a batch's bundle; 0 is the cover.
pub fn control_no(batch_id: &str, seq: usize) -> String {
    format!("{batch_id}-{seq:05}")
}

/// Pages of the bundle of `notices` paper notices and `slips` slip pages: the cover and one
/// page each, and a blank back after each with `duplex`.
pub fn bundle_pages(notices: usize, slips: usize, duplex: bool) -> usize {
    (1 + notices + slips) * if duplex { 2 } else { 1 }
}

/// The pre-sort district of a 郵便番号: its upper five digits, `NNN-NN`.
pub fn district(postal: &PostalCode) -> String {
    let digits: String = postal.to_string().chars().filter(char::is_ascii_digit).collect();
    format!("{}-{}", &digits[..3.min(digits.len())], digits.get(3..5).unwrap_or_default())
}

/// How many slip pages the bundle of `notices` (all the batch's; the paper ones count) has
/// under `setting`: one per district, or none.
pub fn slip_count(notices: &[Notice], setting: BundleSlips) -> usize {
    let paper: Vec<&Notice> = notices.iter().filter(|n| n.kind().is_mailed()).collect();
    if !slips_wanted(setting, paper.len()) {
        return 0;
    }
    paper.iter().map(|n| district(&n.request.postal_code)).collect::<std::collections::BTreeSet<_>>().len()
}

/// Whether a bundle of `paper` envelopes has slip pages under `setting`.
pub fn slips_wanted(setting: BundleSlips, paper: usize) -> bool {
    match setting {
        BundleSlips::Always => paper > 0,
        BundleSlips::Never => false,
        BundleSlips::Auto => paper >= PRESORT_MIN,
    }
}

/// The pre-sort bundles of `notices` (in [`sort`] order): (index of the first, district, count).
fn groups(notices: &[&Notice]) -> Vec<(usize, String, usize)> {
    let mut groups: Vec<(usize, String, usize)> = Vec::new();
    for (i, n) in notices.iter().enumerate() {
        let d = district(&n.request.postal_code);
        match groups.last_mut() {
            Some((_, last, count)) if *last == d => *count += 1,
            _ => groups.push((i, d, 1)),
        }
    }
    groups
}

/// How many notices are laid out at once (in parallel) before being streamed to the file.
const CHUNK: usize = 256;

/// Writes the print bundle of `notices` (paper notices, already in [`sort`] order) to `path`.
pub fn write_bundle<'a>(
    path: &Path,
    notices: &[&'a Notice],
    renderer: &Renderer,
    fonts: &PdfFonts,
    info: &BundleInfo,
) -> Result<Bundle<'a>, MailroomError> {
    let fail = |e: &dyn std::fmt::Display| MailroomError::Write { path: path.to_path_buf(), detail: e.to_string() };
    // The pre-sort bundles (first notice, district, count) when the bundle has slip pages,
    // and the printed page number (blank backs not counted) of each notice.
    let groups = if info.slips { groups(notices) } else { Vec::new() };
    let printed = 1 + notices.len() + groups.len();
    let slip_before: std::collections::HashMap<usize, usize> =
        groups.iter().enumerate().map(|(g, (first, _, _))| (*first, g)).collect();
    let mut page_no = Vec::with_capacity(notices.len());
    let mut page = 1;
    for i in 0..notices.len() {
        page += if slip_before.contains_key(&i) { 2 } else { 1 };
        page_no.push(page);
    }
    let per_sheet = if info.duplex { 2 } else { 1 };
    let counts = NoticeKind::ALL
        .into_iter()
        .filter(|k| k.is_mailed())
        .map(|k| (k, notices.iter().filter(|n| n.kind() == k).count()))
        .collect();
    let cover_info = CoverInfo {
        batch_id: info.batch_id.clone(),
        issue_date: info.issue_date,
        created: info.created,
        operator: info.operator.clone(),
        host: info.host.clone(),
        counts,
        pages: printed * per_sheet,
        head: info.head.clone(),
    };
    let (width, height) = renderer.page_size_mm();
    let file = crate::ground::fsutil::create_private(path).map_err(|e| fail(&e))?;
    let mut writer = BundleWriter::new(BufWriter::new(file), fonts, width, height).map_err(|e| fail(&e))?;
    let blank = Frame { width, height, items: Vec::new() };
    let mut cover = renderer.cover(&cover_info)?;
    renderer.stamp(&mut cover, &control_no(&info.batch_id, 0), &format!("1/{printed}"));
    renderer.check_fonts(fonts, &cover)?;
    writer.prepared(bundle::prepare(&cover, fonts).map_err(RenderError::from)?).map_err(|e| fail(&e))?;
    // The blank back of a sheet in duplex, drawn once.
    let blank = bundle::prepare(&blank, fonts).map_err(RenderError::from)?;
    if info.duplex {
        writer.prepared(blank.clone()).map_err(|e| fail(&e))?;
    }
    let mut pieces = Vec::with_capacity(notices.len());
    for (chunk_no, chunk) in notices.chunks(CHUNK).enumerate() {
        let prepared: Vec<Result<PreparedPage, RenderError>> = chunk
            .par_iter()
            .enumerate()
            .map(|(i, notice)| {
                let seq = chunk_no * CHUNK + i + 1;
                let (_, mut frame) = renderer.frame(notice)?;
                let control = control_no(&info.batch_id, seq);
                renderer.stamp(&mut frame, &control, &format!("{}/{printed}", page_no[seq - 1]));
                renderer.control_code(&mut frame, &control)?;
                renderer.check_fonts(fonts, &frame)?;
                Ok(bundle::prepare(&frame, fonts)?)
            })
            .collect();
        for (i, (page, notice)) in prepared.into_iter().zip(chunk).enumerate() {
            let seq = chunk_no * CHUNK + i + 1;
            if let Some(&g) = slip_before.get(&(seq - 1)) {
                let (first, district, count) = &groups[g];
                let slip = SlipInfo {
                    batch_id: info.batch_id.clone(),
                    district: district.clone(),
                    count: *count,
                    number: g + 1,
                    bundles: groups.len(),
                    first_seq: first + 1,
                    last_seq: first + count,
                    first_control: control_no(&info.batch_id, first + 1),
                    last_control: control_no(&info.batch_id, first + count),
                };
                let mut frame = renderer.slip(&slip)?;
                renderer.stamp(&mut frame, &info.batch_id, &format!("{}/{printed}", page_no[seq - 1] - 1));
                renderer.check_fonts(fonts, &frame)?;
                writer.prepared(bundle::prepare(&frame, fonts).map_err(RenderError::from)?).map_err(|e| fail(&e))?;
                if info.duplex {
                    writer.prepared(blank.clone()).map_err(|e| fail(&e))?;
                }
            }
            pieces.push(Piece {
                seq,
                control_no: control_no(&info.batch_id, seq),
                request: &notice.request,
                pages: 1,
                first_page: writer.page_count() + 1,
                barcode: barcode_note(notice, info.customer_barcode),
            });
            writer.prepared(page?).map_err(|e| fail(&e))?;
            if info.duplex {
                writer.prepared(blank.clone()).map_err(|e| fail(&e))?;
            }
        }
    }
    let pages = writer.page_count();
    let meta = Meta {
        title: &format!("印刷束 {}", info.batch_id),
        author: &info.issuer,
        subject: &format!("発送用の印刷束（通知書 {}通、{}ページ）", notices.len(), pages),
        created: info.created,
    };
    let out = writer.finish(&meta).map_err(|e| fail(&e))?;
    let file = out.into_inner().map_err(|e| fail(&e.error()))?;
    crate::ground::fsutil::staged(&file).map_err(|e| fail(&e))?;
    Ok(Bundle { path: path.to_path_buf(), pieces, pages })
}

/// The header of 発送リスト.xlsx.
pub const MAILING_LIST_HEADER: [&str; 10] =
    ["連番", "管理番号", "郵便番号", "住所", "事業所名", "宛名", "通知種別", "枚数", "カスタマバーコード", "書留番号"];

/// Writes 発送リスト.xlsx: one row per envelope in bundle order, an empty 書留番号 column for
/// the clerk, frozen header, autofilter, widths that fit Japanese text.
pub fn write_mailing_list(path: &Path, pieces: &[Piece]) -> Result<(), MailroomError> {
    let fail = |e: &dyn std::fmt::Display| MailroomError::Write { path: path.to_path_buf(), detail: e.to_string() };
    let rows = pieces.iter().map(|p| {
        let r = &p.request;
        vec![
            Cell::Number(p.seq as f64),
            p.control_no.as_str().into(),
            r.postal_code.to_string().into(),
            r.printed_address().into(),
            r.office_name.as_str().into(),
            r.attention.clone().unwrap_or_default().into(),
            r.kind.label().into(),
            Cell::Number(p.pages as f64),
            p.barcode.as_str().into(),
            "".into(),
        ]
    });
    let widths = [6.0, 24.0, 10.0, 48.0, 44.0, 24.0, 16.0, 6.0, 40.0, 18.0];
    let table = Table { name: "発送リスト", header: &MAILING_LIST_HEADER, widths: &widths, rows: Box::new(rows) };
    // A document for the mail room: Japanese whatever the console speaks.
    crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || xlsx::save(path, vec![table]))
        .map_err(|e| fail(&e))
}

/// The pre-sort's bundle list, beside the 発送リスト in `print/`.
pub const PRESORT_LIST: &str = "区分.xlsx";

/// Japan Post's minimum counts posted at once (docs/japanpost-presort.md, with sources):
/// 区分郵便物 (pre-sorted by 郵便区番号, 3 % and up) …
pub const PRESORT_MIN: usize = 2_000;
/// … and バーコード付郵便物 (3 %; not with 書留 or any other option service).
pub const BARCODE_MIN: usize = 1_000;

/// One bundle of the pre-sort: the envelopes whose 郵便番号 share their upper five digits, as
/// they lie together in the bundle order. Five digits never mix two 郵便区 (a 郵便区番号 is the
/// upper three or five digits), so a bundle goes to one delivery office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresortBundle {
    /// `NNN-NN`, the upper five digits of the 郵便番号, as written on the slip.
    pub district: String,
    pub count: usize,
    /// 連番 and 管理番号 of its first and last envelope.
    pub first: (usize, String),
    pub last: (usize, String),
}

/// The bundles of `pieces` (in bundle order, which is 郵便番号 order), in that order.
pub fn presort(pieces: &[Piece]) -> Vec<PresortBundle> {
    let mut bundles: Vec<PresortBundle> = Vec::new();
    for p in pieces {
        let district = district(&p.request.postal_code);
        match bundles.last_mut() {
            Some(b) if b.district == district => {
                b.count += 1;
                b.last = (p.seq, p.control_no.clone());
            }
            _ => bundles.push(PresortBundle {
                district,
                count: 1,
                first: (p.seq, p.control_no.clone()),
                last: (p.seq, p.control_no.clone()),
            }),
        }
    }
    bundles
}

/// The header of the bundle sheet of 区分.xlsx.
pub const PRESORT_HEADER: [&str; 7] =
    ["束", "郵便区番号（上5桁）", "通数", "最初の連番", "最後の連番", "最初の管理番号", "最後の管理番号"];

/// Writes 区分.xlsx: a sheet 「区分」 of the bundles (one slip each: district and count), and a
/// sheet 「条件」 telling whether the batch reaches Japan Post's minimum counts, in Japanese
/// whatever the console speaks (a document for the mail room, like the 発送リスト).
pub fn write_presort_list(path: &Path, pieces: &[Piece]) -> Result<(), MailroomError> {
    let fail = |e: &dyn std::fmt::Display| MailroomError::Write { path: path.to_path_buf(), detail: e.to_string() };
    let bundles = presort(pieces);
    let rows = bundles.into_iter().enumerate().map(|(i, b)| {
        vec![
            Cell::Number((i + 1) as f64),
            b.district.into(),
            Cell::Number(b.count as f64),
            Cell::Number(b.first.0 as f64),
            Cell::Number(b.last.0 as f64),
            b.first.1.into(),
            b.last.1.into(),
        ]
    });
    let widths = [6.0, 20.0, 8.0, 12.0, 12.0, 26.0, 26.0];
    let bundles = Table { name: "区分", header: &PRESORT_HEADER, widths: &widths, rows: Box::new(rows) };
    let n = pieces.len();
    let terms = crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || presort_terms(n));
    let terms = terms.into_iter().map(|(a, b)| vec![Cell::from(a), Cell::from(b)]);
    const TERMS_HEADER: [&str; 2] = ["項目", "内容"];
    let conditions = Table {
        name: "条件",
        header: &TERMS_HEADER,
        widths: &[36.0, 100.0],
        rows: Box::new(terms.collect::<Vec<_>>().into_iter()),
    };
    crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || xlsx::save(path, vec![bundles, conditions]))
        .map_err(|e| fail(&e))
}

/// Whether `pieces` envelopes reach the minimum counts, and what the mail room must know, as
/// (item, value) rows in the current language.
pub fn presort_terms(pieces: usize) -> Vec<(String, String)> {
    let reaches = |min: usize| {
        if pieces >= min {
            crate::msg!("lifecycle.presort.reaches", min)
        } else {
            crate::msg!("lifecycle.presort.below", min, short = min - pieces)
        }
    };
    vec![
        (crate::msg!("lifecycle.presort.pieces"), pieces.to_string()),
        (crate::msg!("lifecycle.presort.kubun"), reaches(PRESORT_MIN)),
        (crate::msg!("lifecycle.presort.barcode"), reaches(BARCODE_MIN)),
        (crate::msg!("lifecycle.presort.registered"), crate::msg!("lifecycle.presort.registered_note")),
        (crate::msg!("lifecycle.presort.source"), "docs/japanpost-presort.md".into()),
    ]
}
