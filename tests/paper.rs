//! Paper, as the mail room and the 事業所 see it: every page kind (the three notices, one of
//! them for an office with a ユーザID per 請求先都道府県, the archive copy, the print bundle's
//! cover, a slip page (区分票) and a notice's page in it (with its control code, outside the window), the 開封パスワード一覧 and the calibration sheet) laid out from stress inputs (60-character
//! names and addresses, 16 password characters of symbols with their readings, 32-character ZIP
//! passwords), then checked twice: on the layout's own placed runs (size, ink box, the box each
//! belongs to) and on the PDF rasterised by poppler at 300 dpi (no dark pixel outside the boxes
//! the layout drew into, none in the window's margin or where the sheet's play brings the window).
//!
//! `TSUCHI_PAPER_PNG=<folder>` also writes every page there as an 80 dpi PNG and as its PDF, for
//! a look by eye (the passwords are from seeded generators, never real ones).

mod common;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use common::tool;
use tsuchi::engine::config::Config;
use tsuchi::engine::intake::{self, NoticeKind, ReadOptions, Request};
use tsuchi::engine::notice::{Notice, Secrets};
use tsuchi::engine::render::layout::{Area, Item, address_area};
use tsuchi::engine::render::{CoverInfo, Frame, PdfFonts, Renderer, pdf};
use tsuchi::engine::secrets::{Generator, Secret};
use tsuchi::ground::model::Prefecture;
use tsuchi::ground::wareki::now_in_tokyo;

const DPI: f32 = 300.0;
const MIN_PT: f32 = 8.0;
/// How far the folded sheet moves in a 長形3号 either way (templates/layout.toml, [address]
/// play_mm, explains the figure).
const ENVELOPE_PLAY_MM: f32 = 10.0;
/// How far it moves sideways: a 長形3号 is 235 mm wide, the sheet 210 mm.
const ENVELOPE_SIDE_PLAY_MM: f32 = 12.5;
/// The control number of the bundle page among the sheets.
const BUNDLE_CONTROL: &str = "20260110-0901-7Q-00001";

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 10).unwrap()
}

fn sample_requests() -> Vec<Request> {
    intake::read(&common::sample("requests.xlsx"), &ReadOptions::default()).unwrap().requests
}

const LONG_NAME: &str = "社会福祉法人とても長い名前の福祉会 特別養護老人ホーム長い長い名前の里 短期入所生活介護事業所 併設居宅介護支援事業所 ";
const LONG_ADDRESS: &str =
    "北海道札幌市中央区北一条西二丁目一番地 札幌市役所本庁舎別館十二階 介護保険課電子請求受付窓口係 気付 第三会議室 ";

fn sixty(text: &str) -> String {
    text.repeat(2).chars().take(60).collect()
}

/// A request of `kind` with a 60-character name and address (and 宛名 when `attention`).
fn long_request(kind: NoticeKind, attention: bool) -> Request {
    let mut r = sample_requests().into_iter().find(|r| r.kind == kind).unwrap();
    r.office_name = sixty(LONG_NAME);
    r.address = sixty(LONG_ADDRESS);
    r.attention = attention.then(|| "施設長 長谷川 三千代".to_string());
    r
}

/// A config that prints the reading row and draws passwords mostly of symbols (the receiving
/// system wants a letter and a digit): the longest readings (アンダーバー, クエスチョン,
/// 左波かっこ …) in their cells.
fn stress_config() -> Config {
    let mut config = Config::default();
    config.notice.reading_row = true;
    for policy in [&mut config.passwords.temp, &mut config.passwords.cert] {
        policy.lowercase = false;
        policy.symbols = true;
    }
    config
}

fn issue(config: &Config, request: Request, seed: u64) -> Notice {
    Notice::issue(request, date(), &config.passwords, Secrets::Drawn(&mut Generator::seeded(seed)))
}

/// One page of one kind: its layout and its PDF.
struct Sheet {
    name: String,
    frame: Frame,
    pdf: Vec<u8>,
}

fn meta(title: &str) -> pdf::Meta<'_> {
    pdf::Meta { title, author: "テスト", subject: title, created: now_in_tokyo() }
}

fn fonts_with(renderer: &Renderer, texts: &[&str]) -> PdfFonts {
    renderer.fonts_for(&texts.iter().flat_map(|t| tsuchi::ground::font::clusters(t)).collect()).unwrap()
}

/// Every page kind, laid out from stress inputs under `config`.
fn every_page_kind(config: &Config) -> Vec<Sheet> {
    let renderer = Renderer::new(config).unwrap();
    let mut requests: Vec<(String, Request, bool)> = Vec::new();
    for (i, kind) in NoticeKind::ALL.into_iter().enumerate() {
        requests.push((kind.alias().to_string(), long_request(kind, i % 2 == 1), false));
    }
    // An office with a ユーザID per 請求先都道府県 (他県ユーザID): the notice names the prefecture.
    let mut other = long_request(NoticeKind::Registration, true);
    other.prefecture = Some(Prefecture::parse("大阪府").unwrap());
    requests.push(("registration_other_prefecture".into(), other, true));
    // A row as the samples hold it, with its customer barcode under the address.
    let sample = sample_requests().into_iter().find(|r| r.kind == NoticeKind::LoginReissue).unwrap();
    let sample_text =
        format!("{}{}{}", sample.office_name, sample.address, sample.attention.clone().unwrap_or_default());
    requests.push(("login_reissue_barcode".into(), sample, false));
    let fonts = fonts_with(&renderer, &[LONG_NAME, LONG_ADDRESS, "施設長 長谷川 三千代 大阪府", &sample_text]);

    let mut sheets = Vec::new();
    for (seed, (name, request, several_ids)) in requests.into_iter().enumerate() {
        let mut notice = issue(config, request, seed as u64 + 1);
        notice.several_ids = several_ids;
        let (_, frame) = renderer.frame(&notice).unwrap();
        let bytes = renderer.render(&notice, &fonts, now_in_tokyo()).unwrap();
        sheets.push(Sheet { name: format!("notice_{name}"), frame, pdf: bytes });
        if name == "registration" {
            // Its page in the print bundle: the control stamp and the control number's code.
            let (_, mut page) = renderer.frame(&notice).unwrap();
            renderer.stamp(&mut page, BUNDLE_CONTROL, "2/1291");
            renderer.control_code(&mut page, BUNDLE_CONTROL).unwrap();
            let bytes = pdf::write(std::slice::from_ref(&page), &meta("印刷束"), &fonts).unwrap();
            sheets.push(Sheet { name: "bundle_page_registration".into(), frame: page, pdf: bytes });
            let (_, frame) = renderer.archive_frame(&notice).unwrap();
            let bytes = renderer.render_archive(&notice, &fonts, now_in_tokyo()).unwrap();
            sheets.push(Sheet { name: "archive_registration".into(), frame, pdf: bytes });
        }
    }

    let info = CoverInfo {
        batch_id: "20260110-0901-7Q".into(),
        issue_date: date(),
        created: now_in_tokyo(),
        operator: "窓口担当者".repeat(8),
        host: "KOKUHO-MAILROOM-PC-0001".into(),
        counts: vec![(NoticeKind::Registration, 1_234), (NoticeKind::LoginReissue, 56)],
        pages: 1_291,
        head: "1290:3f2a 9c4e 0b7d 51aa 2e6f 8c13 d4b9 07e2".into(),
        bundles: 345,
        slips: 345,
        bundle_min: 10,
        duplex: true,
    };
    let mut cover = renderer.cover(&info).unwrap();
    renderer.stamp(&mut cover, &info.batch_id, "1/1291");
    let cover_fonts = fonts_with(&renderer, &[&info.operator, &info.host]);
    let bytes = pdf::write(std::slice::from_ref(&cover), &meta("表紙"), &cover_fonts).unwrap();
    sheets.push(Sheet { name: "bundle_cover".into(), frame: cover, pdf: bytes });

    // A slip of each kind of bundle: one district, a region's small districts, 雑.
    for (name, district, level) in [
        ("bundle_slip", "100-00", "district"),
        ("bundle_slip_region", "10", "region"),
        ("bundle_slip_mixed", "雑", "mixed"),
    ] {
        let slip = tsuchi::engine::render::SlipInfo {
            batch_id: info.batch_id.clone(),
            district: district.into(),
            level,
            bundle_min: 10,
            count: 1_234,
            number: 12,
            bundles: 345,
            first_seq: 10_001,
            last_seq: 11_234,
            first_control: "20260110-0901-7Q-10001".into(),
            last_control: "20260110-0901-7Q-11234".into(),
        };
        let mut frame = renderer.slip(&slip).unwrap();
        renderer.stamp(&mut frame, &info.batch_id, "10012/101291");
        let slip_fonts = fonts_with(&renderer, &[]);
        let bytes = pdf::write(std::slice::from_ref(&frame), &meta("区分票"), &slip_fonts).unwrap();
        sheets.push(Sheet { name: name.into(), frame, pdf: bytes });
    }

    let mut generator = Generator::seeded(77);
    let mut zip_policy = config.passwords.zip.clone();
    zip_policy.symbols = true;
    let passwords: Vec<Secret> = [32, 16, 14, 32, 20]
        .iter()
        .map(|&length| {
            zip_policy.length = length;
            generator.generate(&zip_policy, "")
        })
        .collect();
    let long_name = sixty(LONG_NAME);
    let names = ["みどり苑", long_name.as_str(), "ひかりケアセンター", long_name.as_str(), "あおぞら"];
    let files: Vec<String> = (0..5).map(|i| format!("131100000{i}_登録結果.zip")).collect();
    let entries: Vec<(&str, &str, &str, &Secret)> = (0..5)
        .map(|i| {
            (
                ["1311000001", "1311000002", "1311000003", "1311000004", "1311000005"][i],
                names[i],
                files[i].as_str(),
                &passwords[i],
            )
        })
        .collect();
    let list_fonts = fonts_with(&renderer, &[LONG_NAME, "みどり苑ひかりケアセンターあおぞら"]);
    let mut pages = Vec::new();
    renderer
        .zip_password_pages(&info.batch_id, date(), &entries, |frame| {
            pages.push(frame);
            Ok::<_, tsuchi::engine::render::RenderError>(())
        })
        .unwrap();
    for (i, frame) in pages.into_iter().enumerate() {
        let bytes = pdf::write(std::slice::from_ref(&frame), &meta("開封パスワード一覧"), &list_fonts).unwrap();
        sheets.push(Sheet { name: format!("zip_passwords_{}", i + 1), frame, pdf: bytes });
    }

    let frame = renderer.calibration().unwrap();
    let bytes = pdf::write(std::slice::from_ref(&frame), &meta("窓合わせ"), &fonts_with(&renderer, &[])).unwrap();
    sheets.push(Sheet { name: "calibration".into(), frame, pdf: bytes });
    sheets
}

/// The layout's own account: every run at least 8 pt, its ink box inside the box it was set
/// in and on the page.
/// Where the address block may print: Japan Post's 2 mm inside the window frame, whatever
/// `layout.toml` says.
fn two_mm_inside(frame: Area) -> Area {
    Area { x: frame.x + 2.0, y: frame.y + 2.0, w: frame.w - 4.0, h: frame.h - 4.0 }
}

/// The window on a notice or the calibration sheet: the address block and the barcode inside
/// its inner box (2 mm from the frame), the bars 2 mm clear of the text, and the 殿 line at
/// least the envelope's play below the frame.
fn check_window(sheet: &Sheet, config: &Config) {
    let renderer = Renderer::new(config).unwrap();
    let g = renderer.geometry();
    let options = tsuchi::engine::render::layout::LayoutOptions {
        address_offset: config.layout.address_offset_mm,
        ..Default::default()
    };
    let frame = address_area(&g.address, options);
    let inner = two_mm_inside(frame);
    let within = |a: Area| {
        a.x >= inner.x - 1e-3
            && a.right() <= inner.right() + 1e-3
            && a.y >= inner.y - 1e-3
            && a.bottom() <= inner.bottom() + 1e-3
    };
    let address: Vec<_> = sheet.frame.texts().filter(|t| t.role.starts_with("address:")).collect();
    assert!(address.len() >= 3, "{}", sheet.name);
    for run in &address {
        assert!(
            within(run.extent()),
            "{}: {} at {:?} is not 2 mm inside the window {frame:?}",
            sheet.name,
            run.role,
            run.extent()
        );
    }
    let bars: Vec<Area> =
        sheet.frame.items.iter().filter_map(|i| if let Item::Fill { area } = i { Some(*area) } else { None }).collect();
    if !bars.is_empty() {
        assert_eq!(bars.len(), 67, "{}", sheet.name);
        let text_bottom = address.iter().map(|r| r.extent().bottom()).fold(0.0, f32::max);
        for bar in &bars {
            assert!(within(*bar), "{}: a bar at {bar:?} is not 2 mm inside the window", sheet.name);
            assert!(bar.y >= text_bottom + 2.0 - 1e-3, "{}: a bar within 2 mm of the text", sheet.name);
        }
    }
    for run in sheet.frame.texts().filter(|t| t.role == "addressee") {
        let top = run.extent().y;
        assert!(
            top >= frame.bottom() + g.address.play_mm - 1e-3,
            "{}: the 殿 line at {top} mm slides into the window",
            sheet.name
        );
    }
}

/// A bundle page's control code: outside the window wherever the sheet slides in the envelope,
/// with its quiet zone clear of every run.
fn check_control_code(sheet: &Sheet, config: &Config) {
    let renderer = Renderer::new(config).unwrap();
    let g = renderer.geometry();
    let options = tsuchi::engine::render::layout::LayoutOptions {
        address_offset: config.layout.address_offset_mm,
        ..Default::default()
    };
    let window = address_area(&g.address, options);
    let reach = Area {
        x: window.x - ENVELOPE_SIDE_PLAY_MM,
        y: window.y - ENVELOPE_PLAY_MM,
        w: window.w + 2.0 * ENVELOPE_SIDE_PLAY_MM,
        h: window.h + 2.0 * ENVELOPE_PLAY_MM,
    };
    let overlaps = |a: Area, b: Area| a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom();
    let code: Vec<Area> = sheet
        .frame
        .items
        .iter()
        .filter_map(|i| if let Item::Fill { area } = i { Some(*area) } else { None })
        .filter(|bar| !overlaps(*bar, window))
        .collect();
    assert!(code.len() > 50, "{}: no control code", sheet.name);
    let (left, right) =
        (code.iter().map(|a| a.x).fold(f32::MAX, f32::min), code.iter().map(|a| a.right()).fold(0.0, f32::max));
    let (top, bottom) = (code[0].y, code[0].bottom());
    let quiet = g.control_code.quiet_mm;
    let zone = Area { x: left - quiet, y: top - quiet, w: right - left + 2.0 * quiet, h: bottom - top + 2.0 * quiet };
    assert!(!overlaps(zone, reach), "{}: the control code at {zone:?} can show in the window", sheet.name);
    for run in sheet.frame.texts() {
        assert!(!overlaps(zone, run.extent()), "{}: {} in the control code's quiet zone", sheet.name, run.role);
    }
}

fn check_runs(sheet: &Sheet) {
    assert!(sheet.frame.texts().count() > 10, "{}: too few runs", sheet.name);
    for run in sheet.frame.texts() {
        assert!(run.size_pt >= MIN_PT - 1e-3, "{}: {} at {} pt", sheet.name, run.role, run.size_pt);
        let (ink, c) = (run.extent(), run.container);
        let inside = ink.x >= c.x - 0.01
            && ink.right() <= c.right() + 0.01
            && ink.y >= c.y - 0.3
            && ink.bottom() <= c.bottom() + 0.3;
        assert!(inside, "{}: run {} at {ink:?} leaves its box {c:?}", sheet.name, run.role);
        assert!(ink.x >= 0.0 && ink.right() <= sheet.frame.width && ink.y >= 0.0 && ink.bottom() <= sheet.frame.height);
    }
}

/// Every font size the PDF sets (`Tf`), read back with qpdf from the uncompressed content.
fn pdf_font_sizes(pdf: &Path) -> Vec<f32> {
    let out = std::process::Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("qpdf is needed for this test (scripts/test installs it)");
    assert!(out.status.success(), "qpdf: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let sizes: Vec<f32> = text.split(" Tf").filter_map(|before| before.rsplit(' ').next()?.parse().ok()).collect();
    assert!(!sizes.is_empty(), "no text found in {}", pdf.display());
    sizes
}

/// A page rasterised in grey at [`DPI`].
struct Raster {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

fn rasterise(pdf: &Path) -> Raster {
    let prefix = pdf.with_extension("");
    tool(
        "pdftoppm",
        &["-r", &DPI.to_string(), "-gray", "-singlefile", pdf.to_str().unwrap(), prefix.to_str().unwrap()],
    );
    let bytes = std::fs::read(prefix.with_extension("pgm")).unwrap();
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8(bytes[start..at].to_vec()).unwrap());
    }
    assert_eq!(fields[0], "P5");
    let (width, height): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(pixels.len(), width * height);
    Raster { width, height, pixels }
}

fn px(mm: f32) -> f32 {
    mm / 25.4 * DPI
}

impl Raster {
    fn dark(&self, x: usize, y: usize) -> bool {
        self.pixels[y * self.width + x] < 160
    }

    /// Dark pixels inside `area` (millimetres) and outside `except`, as (x, y) in millimetres.
    fn ink_in(&self, area: Area, except: Option<Area>) -> Vec<(f32, f32)> {
        let mut found = Vec::new();
        let (x0, y0) = (px(area.x).max(0.0) as usize, px(area.y).max(0.0) as usize);
        let (x1, y1) = ((px(area.right()) as usize).min(self.width), (px(area.bottom()) as usize).min(self.height));
        for y in y0..y1 {
            for x in x0..x1 {
                let mm = ((x as f32 + 0.5) * 25.4 / DPI, (y as f32 + 0.5) * 25.4 / DPI);
                let excepted =
                    except.is_some_and(|e| mm.0 >= e.x && mm.0 <= e.right() && mm.1 >= e.y && mm.1 <= e.bottom());
                if !excepted && self.dark(x, y) {
                    found.push(mm);
                }
            }
        }
        found
    }
}

/// Where the layout allows ink: each run's box, each rule and outline (as wide as its line),
/// each filled bar; `slack` millimetres around each for antialiasing.
fn allowed(frame: &Frame, width: usize, height: usize, slack: f32) -> Vec<bool> {
    let mut mask = vec![false; width * height];
    let mut allow = |a: Area| {
        let (x0, y0) = (px(a.x - slack).max(0.0) as usize, px(a.y - slack).max(0.0) as usize);
        let x1 = (px(a.right() + slack).ceil() as usize).min(width);
        let y1 = (px(a.bottom() + slack).ceil() as usize).min(height);
        for y in y0..y1 {
            mask[y * width + x0..y * width + x1.max(x0)].fill(true);
        }
    };
    let pt = 25.4 / 72.0;
    for item in &frame.items {
        match item {
            // A 見本 watermark (sample settings only) crosses the page by design.
            Item::Text(run) | Item::Watermark(run) => allow(run.container),
            Item::Fill { area } => allow(*area),
            Item::Rect { area, line_pt, .. } => {
                let half = line_pt * pt / 2.0;
                let (x, y, r, b) = (area.x - half, area.y - half, area.right() - half, area.bottom() - half);
                for edge in [
                    Area { x, y, w: area.w + 2.0 * half, h: 2.0 * half },
                    Area { x, y: b, w: area.w + 2.0 * half, h: 2.0 * half },
                    Area { x, y, w: 2.0 * half, h: area.h + 2.0 * half },
                    Area { x: r, y, w: 2.0 * half, h: area.h + 2.0 * half },
                ] {
                    allow(edge);
                }
            }
            Item::Line { from, to, line_pt } => {
                let half = line_pt * pt / 2.0;
                let (x, y) = (from.0.min(to.0) - half, from.1.min(to.1) - half);
                allow(Area { x, y, w: (from.0 - to.0).abs() + 2.0 * half, h: (from.1 - to.1).abs() + 2.0 * half });
            }
        }
    }
    mask
}

fn check_raster(sheet: &Sheet, dir: &Path, config: &Config) {
    let path = dir.join(format!("{}.pdf", sheet.name));
    std::fs::write(&path, &sheet.pdf).unwrap();
    for size in pdf_font_sizes(&path) {
        assert!(size >= MIN_PT - 1e-3, "{}: the PDF sets text at {size} pt", sheet.name);
    }
    if let Some(out) = std::env::var_os("TSUCHI_PAPER_PNG") {
        let png = PathBuf::from(out).join(&sheet.name);
        tool("pdftoppm", &["-png", "-r", "80", "-singlefile", path.to_str().unwrap(), png.to_str().unwrap()]);
        std::fs::write(png.with_extension("pdf"), &sheet.pdf).unwrap();
    }
    let img = rasterise(&path);
    // A4 at 300 dpi: 2480.3 × 3507.9 pixels, rounded up by poppler.
    assert!(img.width.abs_diff(px(210.0) as usize) <= 1 && img.height.abs_diff(px(297.0) as usize) <= 1);
    let mask = allowed(&sheet.frame, img.width, img.height, 0.25);
    let stray: Vec<(usize, usize)> = (0..img.height)
        .flat_map(|y| (0..img.width).map(move |x| (x, y)))
        .filter(|&(x, y)| img.dark(x, y) && !mask[y * img.width + x])
        .collect();
    assert!(
        stray.is_empty(),
        "{}: {} dark pixels outside every box the layout drew into, the first at {:?} mm",
        sheet.name,
        stray.len(),
        stray.first().map(|&(x, y)| (x as f32 * 25.4 / DPI, y as f32 * 25.4 / DPI))
    );

    // The window: nothing in its 2 mm margin, nothing where the sheet's play brings it over
    // the page below or above the frame (the 殿 line, the title).
    if sheet.name.starts_with("notice_") || sheet.name.starts_with("archive_") {
        let g = Renderer::new(config).unwrap();
        let geometry = g.geometry();
        let options = tsuchi::engine::render::layout::LayoutOptions {
            address_offset: config.layout.address_offset_mm,
            ..Default::default()
        };
        let frame = address_area(&geometry.address, options);
        let inner = two_mm_inside(frame);
        let play = ENVELOPE_PLAY_MM;
        let reach = Area { y: frame.y - play, h: frame.h + 2.0 * play, ..frame };
        let ink = img.ink_in(reach, Some(inner));
        assert!(ink.is_empty(), "{}: ink in the window's margin or play at {:?}", sheet.name, ink.first());
        assert!(!img.ink_in(inner, None).is_empty(), "{}: no address printed", sheet.name);
    }
}

#[test]
fn every_page_kind_keeps_its_text_in_its_boxes_at_8_pt_or_more_at_300_dpi() {
    let dir = tempfile::tempdir().unwrap();
    for offset in [[0.0, 0.0], [3.0, 5.0]] {
        let mut config = stress_config();
        config.layout.address_offset_mm = offset;
        let sheets = every_page_kind(&config);
        let kinds: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
        for kind in [
            "notice_registration",
            "notice_login_reissue",
            "notice_cert_password_reissue",
            "notice_registration_other_prefecture",
            "archive_registration",
            "bundle_cover",
            "bundle_page_registration",
            "bundle_slip",
            "bundle_slip_region",
            "bundle_slip_mixed",
            "zip_passwords_1",
            "calibration",
        ] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }
        assert!(
            sheets.iter().filter(|s| s.frame.items.iter().any(|i| matches!(i, Item::Fill { .. }))).count() >= 2,
            "a notice and the calibration sheet carry a customer barcode"
        );
        for sheet in &sheets {
            check_runs(sheet);
            if sheet.name.starts_with("notice_") || sheet.name.starts_with("archive_") || sheet.name == "calibration" {
                check_window(sheet, &config);
            }
            if sheet.name.starts_with("bundle_page_") {
                check_control_code(sheet, &config);
            }
            if offset == [0.0, 0.0] || sheet.name.starts_with("notice_registration") {
                check_raster(sheet, dir.path(), &config);
            }
        }
    }
}
