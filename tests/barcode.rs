//! The customer barcode as the mail room and Japan Post's sorters see it: every worked example
//! of Japan Post's manual (p25) through `tsuchi barcode`, and the bars of a rendered notice measured at 600 dpi
//! in the raster poppler makes of it.

mod common;

use std::path::Path;

use chrono::NaiveDate;
use common::{text, tool};
use tsuchi::engine::config::Config;
use tsuchi::engine::intake::{NoticeKind, OfficeNo, PhoneNo, PostalCode, Request, RequestId, UserId};
use tsuchi::engine::notice::{Notice, Secrets};
use tsuchi::engine::render::{Item, Renderer};
use tsuchi::engine::secrets::Generator;

fn barcode_command(postal: &str, address: &str) -> (i32, String) {
    let out = common::command().args(["barcode", postal, address]).output().unwrap();
    (out.status.code().unwrap(), text(&out.stdout))
}

/// Japan Post's 16 worked examples (バーコードマニュアル p25), written out as whole addresses, and
/// 十和田市西十一番町: 〒, address, 住所表示番号, and the check digit where DOMAIN §6 gives it.
const WORKED_EXAMPLES: [(&str, &str, &str, Option<&str>); 17] = [
    ("263-0023", "千葉県千葉市稲毛区緑町3丁目30-8　郵便ビル403号", "3-30-8-403", Some("5")),
    ("014-0113", "秋田県大仙市堀見内　南田茂木　添60-1", "60-1", None),
    ("110-0016", "東京都台東区台東5-6-3　ABCビル10F", "5-6-3-10", Some("9")),
    ("060-0906", "北海道札幌市東区北六条東4丁目　郵便センター6号館", "4-6", None),
    ("065-0006", "北海道札幌市東区北六条東8丁目　郵便センター10号館", "8-10", None),
    ("407-0033", "山梨県韮崎市龍岡町下條南割　韮崎400", "400", Some("-")),
    ("273-0102", "千葉県鎌ケ谷市右京塚　東3丁目-20-5　郵便・A&bコーポB604号", "3-20-5B604", None),
    ("198-0036", "東京都青梅市河辺町十一丁目六番地一号　郵便タワー601", "11-6-1-601", None),
    ("027-0203", "岩手県宮古市大字津軽石第二十一地割大淵川480", "21-480", None),
    ("590-0016", "大阪府堺市堺区中田出井町四丁六番十九号", "4-6-19", None),
    ("080-0831", "北海道帯広市稲田町南七線　西28", "7-28", None),
    ("317-0055", "茨城県日立市宮田町6丁目7-14　ABCビル2F", "6-7-14-2", None),
    ("650-0046", "兵庫県神戸市中央区港島中町9丁目7-6　郵便シティA棟1F1号", "9-7-6A1-1", None),
    ("623-0011", "京都府綾部市青野町綾部6-7　LプラザB106", "6-7LB106", None),
    ("064-0804", "北海道札幌市中央区南四条西29丁目1524-23　第2郵便ハウス501", "29-1524-23-2-501", None),
    ("910-0067", "福井県福井市新田塚3丁目80-25　J1ビル2-B", "3-80-25J1-2B", None),
    ("034-0091", "青森県十和田市西十一番町5-3", "5-3", None),
];

#[test]
fn every_worked_example_of_the_manual_through_tsuchi_barcode() {
    for (postal, address, data, cd) in WORKED_EXAMPLES {
        let (code, out) = barcode_command(postal, address);
        assert_eq!(code, 0, "{address}: {out}");
        assert!(out.contains(&format!("住所表示番号：{data}\n")), "{postal} {address}: {out}");
        if let Some(cd) = cd {
            assert!(out.contains(&format!("チェックデジット：{cd}\n")), "{postal}: {out}");
        }
    }
    let (_, out) = barcode_command("100-0013", "東京都千代田区霞が関1丁目3番2号　郵便プラザ503室");
    assert!(out.contains("1311414414414414411431211441431241413241414114431243243243243241131"), "{out}");
}

#[test]
fn the_examples_also_split_without_prefecture_and_with_half_width_spaces() {
    // The manual writes some addresses from the city on (千葉市稲毛区…, 神戸市中央区…).
    let (_, out) = barcode_command("263-0023", "千葉市稲毛区緑町3丁目30-8 郵便ビル403号");
    assert!(out.contains("住所表示番号：3-30-8-403\n"), "{out}");
    let (_, out) = barcode_command("650-0046", "神戸市中央区港島中町9丁目7-6 郵便シティA棟1F1号");
    assert!(out.contains("住所表示番号：9-7-6A1-1\n"), "{out}");
    let (_, out) = barcode_command("064-0804", "札幌市中央区南4条西29丁目1524-23 第2郵便ハウス501");
    assert!(out.contains("住所表示番号：29-1524-23-2-501\n"), "{out}");
    assert!(out.contains("住所A（町域まで）：札幌市中央区南4条西\n"), "{out}");
    // From the town on, as the manual's 住所B examples are often quoted.
    let (_, out) = barcode_command("407-0033", "龍岡町下條南割 韮崎400");
    assert!(out.contains("住所表示番号：400\n"), "{out}");
}

#[test]
fn an_address_not_of_its_code_gets_no_barcode_and_a_reason() {
    let (code, out) = barcode_command("812-0011", "福岡県福岡市博多区祇園町1-1");
    assert_eq!(code, 1);
    assert!(out.contains("バーコードなし：郵便番号の町域が住所に見つからない"), "{out}");
    let (code, out) = barcode_command("530-0001", "東京都千代田区霞が関1-3-2");
    assert_eq!(code, 1);
    assert!(out.contains("バーコードなし：住所の都道府県・市区町村が郵便番号と合わない"), "{out}");
    let (code, out) = barcode_command("105-0000", "東京都港区虎ノ門1-1");
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
    std::fs::write(&pdf, renderer.render(&n, &fonts, tsuchi::ground::wareki::now_in_tokyo()).unwrap()).unwrap();
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
fn no_bars_for_a_town_not_of_the_code_an_electronic_notice_or_when_turned_off() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let bars = |renderer: &Renderer, r: Request| {
        let (_, frame) = renderer.frame(&notice(r)).unwrap();
        frame.items.iter().filter(|i| matches!(i, Item::Fill { .. })).count()
    };
    assert_eq!(bars(&renderer, request("100-0013", "東京都千代田区霞が関1-3-2", NoticeKind::Registration)), 67);
    assert_eq!(bars(&renderer, request("980-0811", "宮城県仙台市青葉区一番町4丁目7-17", NoticeKind::Registration)), 67);
    // 〒812-0011 is 博多駅前, not 祇園町: no 町域 of the code in the address, no bars.
    assert_eq!(bars(&renderer, request("812-0011", "福岡県福岡市博多区祇園町1-1", NoticeKind::Registration)), 0);
    assert_eq!(bars(&renderer, request("100-0013", "東京都千代田区霞が関1-3-2", NoticeKind::CertPasswordReissue)), 0);
    let mut off = Config::default();
    off.mailroom.customer_barcode = false;
    let renderer = Renderer::new(&off).unwrap();
    assert_eq!(bars(&renderer, request("100-0013", "東京都千代田区霞が関1-3-2", NoticeKind::Registration)), 0);
}
