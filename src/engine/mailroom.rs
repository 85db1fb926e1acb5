//! Mail room: what goes into envelopes. The paper notices of a batch (登録結果 and 再発行; the
//! 証明書発行用パスワード通知書 travels as a ZIP) are put in postal order, printed into one
//! bundle with a cover sheet and a control stamp on every page (on a notice's page also its
//! control number as Code 128, for the scanner), and listed in 発送リスト.xlsx.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::ground::xlsx::{self, Cell, Table};
use rayon::prelude::*;

use crate::engine::config::{BundleSlips, MailroomSettings};
use crate::engine::notice::Notice;
use crate::engine::presort::{self, Estimate, Sack};
use crate::engine::render::bundle::{self, BundleWriter, PreparedPage};
use crate::engine::render::pdf::Meta;
use crate::engine::render::{CoverInfo, Frame, PdfFonts, RenderError, Renderer, SlipInfo};
use crate::ground::model::{NoticeKind, OfficeNo, PostalCode, Request, UserId};

/// The mail room's order: by pre-sort bundle ([`sacks`]), and within a bundle by 郵便番号, then
/// 事業所番号 (then ユーザID and kind, so the order is total). With `bundle_min` 1 every bundle is
/// one district and the order is plain 郵便番号 order.
pub fn sort(notices: &mut [&Notice], bundle_min: usize) {
    fn key(n: &Notice) -> (&PostalCode, &OfficeNo, &UserId, NoticeKind) {
        let r = &n.request;
        (&r.postal_code, &r.office_no, &r.user_id, n.kind())
    }
    // Which bundle a notice goes to depends on the whole set, not on the order: one sort.
    let sacks = presort::sacks(notices.iter().map(|n| &n.request.postal_code), bundle_min);
    let mut keyed: Vec<(Sack, &Notice)> = sacks.into_iter().zip(notices.iter().copied()).collect();
    keyed.sort_by(|(a, x), (b, y)| a.rank().cmp(&b.rank()).then_with(|| key(x).cmp(&key(y))));
    for (slot, (_, notice)) in notices.iter_mut().zip(keyed) {
        *slot = notice;
    }
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
    /// Its pre-sort bundle: number (from 1) and label (`100-00`, `10`, 雑).
    pub bundle: (usize, String),
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
    /// `[mailroom] bundle_min`: the fewest envelopes of a bundle but 雑.
    pub bundle_min: usize,
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

/// How many slip pages the bundle of `notices` (all the batch's; the paper ones count) has
/// under `settings`: one per pre-sort bundle, or none.
pub fn slip_count(notices: &[Notice], settings: &MailroomSettings) -> usize {
    let paper = notices.iter().filter(|n| n.kind().is_mailed()).count();
    if slips_wanted(settings.bundle_slips, paper) { presort::bundle_count(notices, settings.bundle_min) } else { 0 }
}

/// Whether a bundle of `paper` envelopes has slip pages under `setting`.
pub fn slips_wanted(setting: BundleSlips, paper: usize) -> bool {
    match setting {
        BundleSlips::Always => paper > 0,
        BundleSlips::Never => false,
        BundleSlips::Auto => paper >= presort::PRESORT_MIN,
    }
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
    let bundles = presort::runs(presort::sacks(notices.iter().map(|n| &n.request.postal_code), info.bundle_min));
    let bundle_count = bundles.len();
    // The bundle of each notice, in order: number (from 1) and label.
    let bundle_of: Vec<(usize, String)> = bundles
        .iter()
        .enumerate()
        .flat_map(|(b, (_, sack, count))| std::iter::repeat_n((b + 1, sack.label()), *count))
        .collect();
    let groups = if info.slips { bundles } else { Vec::new() };
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
        bundles: bundle_count,
        slips: groups.len(),
        bundle_min: info.bundle_min,
        duplex: info.duplex,
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
                let (first, sack, count) = &groups[g];
                let slip = SlipInfo {
                    batch_id: info.batch_id.clone(),
                    district: sack.label(),
                    level: sack.level(),
                    bundle_min: info.bundle_min,
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
                bundle: bundle_of[seq - 1].clone(),
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
pub const MAILING_LIST_HEADER: [&str; 11] = [
    "連番",
    "管理番号",
    "郵便番号",
    "住所",
    "事業所名",
    "宛名",
    "通知種別",
    "枚数",
    "カスタマバーコード",
    "書留番号",
    "区分の束",
];

/// Writes 発送リスト.xlsx: one row per envelope in bundle order, an empty 書留番号 column for
/// the clerk, then the envelope's pre-sort bundle; frozen header, autofilter, widths that fit
/// Japanese text.
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
            format!("{}（{}）", p.bundle.0, p.bundle.1).into(),
        ]
    });
    let widths = [6.0, 24.0, 10.0, 48.0, 44.0, 24.0, 16.0, 6.0, 40.0, 18.0, 14.0];
    let table = Table { name: "発送リスト", header: &MAILING_LIST_HEADER, widths: &widths, rows: Box::new(rows) };
    // A document for the mail room: Japanese whatever the console speaks.
    crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || xlsx::save(path, vec![table]))
        .map_err(|e| fail(&e))
}

/// The pre-sort's bundle list, beside the 発送リスト in `print/`.
pub const PRESORT_LIST: &str = "区分.xlsx";

/// One bundle of the pre-sort as the bundle list and its slip give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresortBundle {
    pub sack: Sack,
    pub count: usize,
    /// 連番 and 管理番号 of its first and last envelope.
    pub first: (usize, String),
    pub last: (usize, String),
}

/// The bundles of `pieces` (in the mail room's order), in that order.
pub fn presort(pieces: &[Piece], bundle_min: usize) -> Vec<PresortBundle> {
    presort::runs(presort::sacks(pieces.iter().map(|p| &p.request.postal_code), bundle_min))
        .into_iter()
        .map(|(first, sack, count)| {
            let (a, b) = (&pieces[first], &pieces[first + count - 1]);
            PresortBundle { sack, count, first: (a.seq, a.control_no.clone()), last: (b.seq, b.control_no.clone()) }
        })
        .collect()
}

/// The header of the bundle sheet of 区分.xlsx.
pub const PRESORT_HEADER: [&str; 8] = [
    "束",
    "区分（郵便番号の上5桁・上2桁・雑）",
    "通数",
    "最初の連番",
    "最後の連番",
    "最初の管理番号",
    "最後の管理番号",
    "束の種類",
];

/// Writes 区分.xlsx: a sheet 「区分」 of the bundles (one slip each: district and count), and a
/// sheet 「条件」 telling whether the batch meets Japan Post's conditions and what it would save,
/// in Japanese whatever the console speaks (a document for the mail room, like the 発送リスト).
pub fn write_presort_list(
    path: &Path,
    pieces: &[Piece],
    settings: &MailroomSettings,
    estimate: &Estimate,
) -> Result<(), MailroomError> {
    let fail = |e: &dyn std::fmt::Display| MailroomError::Write { path: path.to_path_buf(), detail: e.to_string() };
    crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || {
        let bundles = presort(pieces, settings.bundle_min);
        let rows = bundles.into_iter().enumerate().map(|(i, b)| {
            vec![
                Cell::Number((i + 1) as f64),
                b.sack.label().into(),
                Cell::Number(b.count as f64),
                Cell::Number(b.first.0 as f64),
                Cell::Number(b.last.0 as f64),
                b.first.1.into(),
                b.last.1.into(),
                b.sack.describe(settings.bundle_min).into(),
            ]
        });
        let widths = [6.0, 20.0, 8.0, 12.0, 12.0, 26.0, 26.0, 48.0];
        let bundles = Table { name: "区分", header: &PRESORT_HEADER, widths: &widths, rows: Box::new(rows) };
        let terms = estimate.terms().into_iter().map(|(a, b)| vec![Cell::from(a), Cell::from(b)]);
        const TERMS_HEADER: [&str; 2] = ["項目", "内容"];
        let conditions = Table {
            name: "条件",
            header: &TERMS_HEADER,
            widths: &[40.0, 110.0],
            rows: Box::new(terms.collect::<Vec<_>>().into_iter()),
        };
        xlsx::save(path, vec![bundles, conditions])
    })
    .map_err(|e| fail(&e))
}
