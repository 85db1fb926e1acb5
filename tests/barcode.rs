//! The customer barcode as the mail room and Japan Post's sorters see it: every worked example
//! of DOMAIN §6 through `tsuchi barcode`, and the bars of a rendered notice measured at 600 dpi
//! in the raster poppler makes of it.

mod common;

use std::path::Path;

use chrono::NaiveDate;
use common::{text, tool};
use tsuchi::config::Config;
use tsuchi::intake::{NoticeKind, OfficeNo, PhoneNo, PostalCode, Request, RequestId, UserId};
use tsuchi::notice::{Notice, Secrets};
use tsuchi::render::{Item, Renderer};
use tsuchi::secrets::Generator;

fn barcode_command(postal: &str, address: &str) -> (i32, String) {
    let out = common::command().args(["barcode", postal, address]).output().unwrap();
    (out.status.code().unwrap(), text(&out.stdout))
}

#[test]
fn every_worked_example_of_the_domain_notes_through_tsuchi_barcode() {
    let examples = [
        ("263-0023", "3丁目30-8 郵便ビル403号", "3-30-8-403", "5"),
        ("110-0016", "5-6-3 ABCビル10F", "5-6-3-10", "9"),
        ("407-0033", "韮崎400", "400", "-"),
        ("100-0013", "1丁目3番2号 郵便プラザ503室", "1-3-2-503", "9"),
    ];
    for (postal, address, data, cd) in examples {
        let (code, out) = barcode_command(postal, address);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(&format!("住所表示番号：{data}\n")), "{postal}: {out}");
        assert!(out.contains(&format!("チェックデジット：{cd}\n")), "{postal}: {out}");
    }
    let (_, out) = barcode_command("100-0013", "1丁目3番2号 郵便プラザ503室");
    assert!(out.contains("1311414414414414411431211441431241413241414114431243243243243241131"), "{out}");
}

#[test]
fn an_address_whose_town_has_a_numeral_gets_no_barcode_and_a_reason() {
    let (code, out) = barcode_command("980-0811", "宮城県仙台市青葉区一番町4丁目7-17");
    assert_eq!(code, 1);
    assert!(out.contains("バーコードなし：町域名に数字"), "{out}");
    let (code, out) = barcode_command("100-0000", "東京都千代田区1-1");
    assert_eq!(code, 1);
    assert!(out.contains("代表郵便番号"), "{out}");
}

fn request(postal: &str, address: &str, kind: NoticeKind) -> Request {
    Request {
        row: 2,
        request_id: RequestId::parse("B-1").unwrap(),
        kind,
        office_no: OfficeNo::parse("1311111114").unwrap().0,
        office_name: "社会福祉法人見本会 特別養護老人ホームみほん".into(),
        postal_code: PostalCode::parse(postal).unwrap(),
        address: address.into(),
        address2: None,
        phone: Some(PhoneNo::parse("03-1234-5678").unwrap()),
        fax: Some(PhoneNo::parse("03-1234-5679").unwrap()),
        user_id: UserId::parse("KJ131311111114").unwrap(),
        prefecture: None,
        attention: None,
    }
}

fn notice(r: Request) -> Notice {
    Notice::issue(
        r,
        NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
        &Config::default().passwords,
        Secrets::Drawn(&mut Generator::seeded(4)),
    )
}

/// An 8-bit greyscale raster (PGM) of part of a page.
struct Raster {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Raster {
    fn dark(&self, x: usize, y: usize) -> bool {
        self.pixels[y * self.width + x] < 128
    }

    /// Runs of dark pixels along row `y`: (start, length).
    fn runs(&self, y: usize) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut x = 0;
        while x < self.width {
            if self.dark(x, y) {
                let start = x;
                while x < self.width && self.dark(x, y) {
                    x += 1;
                }
                runs.push((start, x - start));
            }
            x += 1;
        }
        runs
    }
}

/// Renders page 1 of `pdf` at 600 dpi in grey, cropped to the address block.
fn raster(pdf: &Path, dir: &Path) -> (Raster, f64) {
    let dpi = 600.0;
    let px = |mm: f64| (mm / 25.4 * dpi).round() as i64;
    let prefix = dir.join("crop");
    tool(
        "pdftoppm",
        &[
            "-r",
            "600",
            "-gray",
            "-f",
            "1",
            "-l",
            "1",
            "-x",
            &px(15.0).to_string(),
            "-y",
            &px(12.0).to_string(),
            "-W",
            &px(100.0).to_string(),
            "-H",
            &px(55.0).to_string(),
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let file = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pgm"))
        .unwrap();
    let bytes = std::fs::read(file).unwrap();
    // P5 header: magic, width, height, maxval, then one byte per pixel.
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
    let (width, height) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (Raster { width, height, pixels: bytes[at + 1..].to_vec() }, 25.4 / dpi)
}

#[test]
fn the_printed_bars_have_japan_posts_widths_pitch_and_heights_at_600_dpi() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let r = request("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室", NoticeKind::LoginReissue);
    let expected = notice(r.clone()).barcode().unwrap().bar_string();
    let fonts = common::fonts_for(&renderer, [&r]);
    let n = notice(r);
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("notice.pdf");
    std::fs::write(&pdf, renderer.render(&n, &fonts, tsuchi::batch::now_in_tokyo()).unwrap()).unwrap();
    let (img, mm_per_px) = raster(&pdf, dir.path());

    // Every bar crosses the timing band: the rows with exactly 67 dark runs.
    let band: Vec<usize> = (0..img.height).filter(|&y| img.runs(y).len() == 67).collect();
    assert!(!band.is_empty(), "no row crosses 67 bars");
    let middle = band[band.len() / 2];
    let runs = img.runs(middle);
    for (i, &(start, len)) in runs.iter().enumerate() {
        let width = len as f64 * mm_per_px;
        assert!((width - 0.6).abs() <= 0.1, "bar {i} is {width:.3} mm wide");
        if i > 0 {
            let pitch = (start - runs[i - 1].0) as f64 * mm_per_px;
            assert!((pitch - 1.2).abs() <= 0.1, "pitch before bar {i} is {pitch:.3} mm");
        }
    }
    let span = (runs[66].0 - runs[0].0) as f64 * mm_per_px;
    assert!((span - 66.0 * 1.2).abs() <= 0.2, "66 pitches span {span:.2} mm");

    // Heights, and which part of the 3.6 mm band each bar covers, give its kind.
    let extents: Vec<(usize, usize)> = runs
        .iter()
        .map(|&(start, len)| {
            let x = start + len / 2;
            let (mut top, mut bottom) = (middle, middle);
            while top > 0 && img.dark(x, top - 1) {
                top -= 1;
            }
            while bottom + 1 < img.height && img.dark(x, bottom + 1) {
                bottom += 1;
            }
            (top, bottom + 1)
        })
        .collect();
    let band_top = extents.iter().map(|e| e.0).min().unwrap();
    let mut read = String::new();
    for &(top, bottom) in &extents {
        let height = (bottom - top) as f64 * mm_per_px;
        let kind = if (height - 3.6).abs() <= 0.2 {
            '1'
        } else if (height - 1.2).abs() <= 0.2 {
            '4'
        } else {
            assert!((height - 2.4).abs() <= 0.2, "a half bar is {height:.2} mm high");
            // An upper half bar starts level with the long bars.
            if (top - band_top) as f64 * mm_per_px <= 0.2 { '2' } else { '3' }
        };
        read.push(kind);
    }
    assert_eq!(read, expected, "the bars on paper spell the encoded barcode");
    assert!(read.starts_with("13") && read.ends_with("31"));
}

#[test]
fn no_bars_for_an_ambiguous_town_an_electronic_notice_or_when_turned_off() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let bars = |renderer: &Renderer, r: Request| {
        let (_, frame) = renderer.frame(&notice(r)).unwrap();
        frame.items.iter().filter(|i| matches!(i, Item::Fill { .. })).count()
    };
    assert_eq!(bars(&renderer, request("100-0013", "東京都千代田区霞が関1-3-2", NoticeKind::Registration)), 67);
    assert_eq!(bars(&renderer, request("980-0811", "宮城県仙台市青葉区一番町4丁目7-17", NoticeKind::Registration)), 0);
    assert_eq!(bars(&renderer, request("100-0013", "東京都千代田区霞が関1-3-2", NoticeKind::CertPasswordReissue)), 0);
    let mut off = Config::default();
    off.mailroom.customer_barcode = false;
    let renderer = Renderer::new(&off).unwrap();
    assert_eq!(bars(&renderer, request("100-0013", "東京都千代田区霞が関1-3-2", NoticeKind::Registration)), 0);
}
