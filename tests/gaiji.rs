//! Every name prints (issue 27): characters IPAex Gothic lacks come from the fallback face,
//! variation sequences print their variant (or their base, with a note), a 外字 (private-use
//! character) is refused with its reason. Read back with poppler and qpdf.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{text, tool, tsuchi};

/// The names of the list, one a row, and whether the row is issued.
const NAMES: [(&str, bool); 10] = [
    ("株式会社𠮷野ケアサービス", true),
    // 葛 + U+E0100: IPAex Gothic has this variant (Adobe-Japan1).
    ("葛\u{E0100}飾介護センター", true),
    ("髙橋訪問介護ステーション", true),
    ("﨑山デイサービス", true),
    ("𩸽の家グループホーム", true),
    ("塚本ケアプラン", true),
    ("㐂楽苑", true),
    ("外字\u{E05A}ホーム", false),
    // 葛 + U+E0102: only the fallback face (the MJ set) has this variant.
    ("葛\u{E0102}城デイケア", true),
    // 辻 + U+E01EF: no font lists the sequence; the base character prints, with a note.
    ("辻\u{E01EF}訪問看護", true),
];

/// The sample list's first rows with these names as their 事業所名; returns the list's path
/// and each row's (number, notice file name without extension, name, issued).
fn list(dir: &Path) -> (PathBuf, Vec<(usize, String, &'static str, bool)>) {
    let rows = common::xlsx_rows(&common::sample("requests.xlsx"));
    let header = &rows[0];
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name}"));
    let (name_at, office_at, kind_at) = (column("事業所名"), column("事業所番号"), column("通知種別"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let mut expected = Vec::new();
    for (r, row) in rows.iter().take(NAMES.len() + 1).enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let value = match r {
                0 => cell.as_str(),
                _ if c == name_at => NAMES[r - 1].0,
                _ => cell.as_str(),
            };
            sheet.write_string(r as u32, c as u16, value).unwrap();
        }
        if r > 0 {
            // Files are named 事業所番号_通知種別 (a 9-digit number gets Excel's lost zero back).
            let file = format!("{:0>10}_{}", row[office_at], row[kind_at]);
            expected.push((r + 1, file, NAMES[r - 1].0, NAMES[r - 1].1));
        }
    }
    let path = dir.join("gaiji.xlsx");
    book.save(&path).unwrap();
    (path, expected)
}

fn fonts_of(pdf: &Path) -> String {
    tool("pdffonts", &[pdf.to_str().unwrap()])
}

/// Every font of a `pdffonts` listing is embedded (the `emb` column).
fn all_embedded(listing: &str) -> bool {
    listing.lines().skip(2).all(|line| line.split_whitespace().rev().nth(3) == Some("yes"))
}

#[test]
fn every_name_prints_and_a_private_use_character_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (input, rows) = list(dir.path());
    let input = input.to_str().unwrap();

    // check: the private-use row refused with its reason, the fallback characters listed once,
    // the variant no font has noted on its row.
    let check = tsuchi(&["check", input, "--json", "--out", dir.path().join("check").to_str().unwrap()], dir.path());
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let rejected: Vec<(u64, String)> = v["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["reason"].as_str().unwrap().to_string()))
        .collect();
    let pua_row = rows.iter().find(|r| !r.3).unwrap().0 as u64;
    assert_eq!(rejected.iter().map(|r| r.0).collect::<Vec<_>>(), [pua_row], "{rejected:?}");
    assert!(rejected[0].1.contains("外字") && rejected[0].1.contains("U+E05A"), "{rejected:?}");
    let fallback: BTreeMap<String, (String, Vec<u64>)> = v["fallback_font"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let rows = f["rows"].as_array().unwrap().iter().map(|r| r.as_u64().unwrap()).collect();
            (f["character"].as_str().unwrap().to_string(), (f["code_points"].as_str().unwrap().to_string(), rows))
        })
        .collect();
    assert_eq!(
        fallback,
        BTreeMap::from([
            ("𠮷".to_string(), ("U+20BB7".to_string(), vec![2])),
            ("葛\u{E0102}".to_string(), ("U+845B U+E0102".to_string(), vec![10])),
        ]),
    );
    let notes: Vec<String> = v["notes"].as_array().unwrap().iter().map(|n| n.to_string()).collect();
    let variant_notes: Vec<&String> = notes.iter().filter(|n| n.contains("U+E01EF")).collect();
    assert_eq!(variant_notes.len(), 1, "{notes:?}");
    assert!(variant_notes[0].contains("\"row\":11") && variant_notes[0].contains("「辻」"), "{notes:?}");
    assert!(!notes.iter().any(|n| n.contains("U+E0100") || n.contains("U+E0102")), "{notes:?}");
    common::schema::assert_schema(&v);
    // The terminal lists the fallback characters once, with their rows.
    let console = tsuchi(&["check", input, "--out", dir.path().join("check").to_str().unwrap()], dir.path());
    let console = text(&console.stdout);
    assert_eq!(console.matches("U+20BB7").count(), 1, "{console}");
    assert!(console.contains("「𠮷」 U+20BB7：2行目"), "{console}");
    let english =
        tsuchi(&["--lang", "en", "check", input, "--out", dir.path().join("check").to_str().unwrap()], dir.path());
    let english = text(&english.stdout);
    assert!(english.contains("「𠮷」 U+20BB7: row 2"), "{english}");
    for line in english.lines().filter(|l| l.contains("U+E01EF") || l.contains("lacks")) {
        assert_eq!(common::japanese_outside_quotes(line), "", "{line}");
    }

    // run: every other row issued; each notice and archive copy gives its name back.
    let out = dir.path().join("out");
    let run = tsuchi(&["run", input, "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(run.status.code(), Some(1), "{}{}", text(&run.stdout), text(&run.stderr));
    let batch = common::batch_dir(&out);
    for (row, file, name, issued) in &rows {
        let pdfs: Vec<PathBuf> = ["notices", "archive"]
            .iter()
            .flat_map(|folder| std::fs::read_dir(batch.join(folder)).unwrap())
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_stem().unwrap().to_string_lossy() == *file)
            .collect();
        assert_eq!(pdfs.len(), if *issued { 2 } else { 0 }, "row {row}: {pdfs:?}");
        for pdf in &pdfs {
            let extracted = tool("pdftotext", &[pdf.to_str().unwrap(), "-"]);
            assert!(extracted.contains(name), "row {row}: {name:?} not in {pdf:?}:\n{extracted}");
            tool("qpdf", &["--check", pdf.to_str().unwrap()]);
            let fonts = fonts_of(pdf);
            assert!(all_embedded(&fonts), "{pdf:?}\n{fonts}");
            // The fallback face is embedded where the name needs it, and only there.
            let needs_fallback = name.contains('𠮷') || name.contains('\u{E0102}');
            assert_eq!(fonts.contains("TsuchiFallbackMincho"), needs_fallback, "{pdf:?}\n{fonts}");
            assert!(fonts.contains("IPAexGothic"), "{fonts}");
        }
    }
    // The mail room's bundle carries the fallback face too.
    let bundle = std::fs::read_dir(batch.join("print"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .unwrap();
    tool("qpdf", &["--check", bundle.to_str().unwrap()]);
    let fonts = fonts_of(&bundle);
    assert!(all_embedded(&fonts) && fonts.contains("TsuchiFallbackMincho"), "{fonts}");
    let extracted = tool("pdftotext", &[bundle.to_str().unwrap(), "-"]);
    let mailed: Vec<PathBuf> = std::fs::read_dir(batch.join("notices"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().contains("証明書"))
        .collect();
    assert!(!mailed.is_empty());
    for (row, file, name, _) in &rows {
        if mailed.iter().any(|p| p.file_stem().unwrap().to_string_lossy() == *file) {
            assert!(extracted.contains(name), "row {row}: {name:?} not in the bundle");
        }
    }
}

#[test]
fn a_setting_no_font_has_is_refused_naming_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::TEST_CONFIG.replace("試験県国民健康保険団体連合会", "試験県\u{E000}連合会");
    std::fs::write(dir.path().join("tsuchi.toml"), config).unwrap();
    let check = tsuchi(&["check", common::sample("requests.xlsx").to_str().unwrap()], dir.path());
    assert_ne!(check.status.code(), Some(0));
    let stderr = text(&check.stderr);
    assert!(stderr.contains("tsuchi.toml") && stderr.contains("2行目") && stderr.contains("[issuer] name"), "{stderr}");
    assert!(stderr.contains("U+E000"), "{stderr}");
    // 𠮷 in the issuer's name prints from the fallback face: no error.
    let config = common::TEST_CONFIG.replace("試験県国民健康保険団体連合会", "𠮷野県国民健康保険団体連合会");
    std::fs::write(dir.path().join("tsuchi.toml"), config).unwrap();
    let out = dir.path().join("out");
    let run =
        tsuchi(&["run", common::sample("requests.xlsx").to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let notice = std::fs::read_dir(common::batch_dir(&out).join("notices")).unwrap().next().unwrap().unwrap().path();
    let extracted = tool("pdftotext", &[notice.to_str().unwrap(), "-"]);
    assert!(extracted.contains("𠮷野県国民健康保険団体連合会"), "{extracted}");
}

/// The fallback face costs memory and time only where a name needs it: a batch of ordinary
/// names, with line breaks and every notice laid out, never inflates it. (The other tests of
/// this file run the binary, so this process is the batch's alone.)
#[test]
fn ordinary_names_never_load_the_fallback_face() {
    let config = common::test_settings();
    let intake = tsuchi::engine::intake::read(&common::sample("requests.xlsx"), &Default::default()).unwrap();
    let mut requests = intake.requests.clone();
    requests[0].address.push_str("\n3階");
    requests[1].office_name.push_str("\r\n第二");
    let renderer = tsuchi::engine::render::Renderer::new(&config).unwrap();
    let fonts = common::fonts_for(&renderer, &requests);
    assert!(fonts.fallback.is_none());
    assert!(!tsuchi::ground::font::fallback_loaded());
}
