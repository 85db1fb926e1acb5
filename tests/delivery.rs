//! Delivery, checked from the outside on one real batch of the samples: every ZIP opens with
//! 7-Zip with its password and not with a wrong one, AES-256 unless configured otherwise; the
//! print bundle holds the cover plus one page per paper notice in postal order; 発送リスト.xlsx
//! matches the bundle; manifest.json's hashes match the files; no secret outside notices/,
//! zip/ and secrets/.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{batch_dir, files_under, sample, secrets_in, text, tool, tsuchi, words, xlsx_rows};

struct Batch {
    _dir: tempfile::TempDir,
    path: PathBuf,
    stdout: String,
    stderr: String,
}

/// One batch of the samples, run once for all tests of this file.
fn batch() -> &'static Batch {
    static BATCH: OnceLock<Batch> = OnceLock::new();
    BATCH.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let input = sample("requests.xlsx");
        let out = tsuchi(
            &["run", input.to_str().unwrap(), "--out", "out", "--date", "2026-01-10", "--allow-date"],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let path = batch_dir(&dir.path().join("out"));
        Batch { path, stdout: text(&out.stdout), stderr: text(&out.stderr), _dir: dir }
    })
}

fn pdfs(dir: &Path) -> Vec<PathBuf> {
    files_under(dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "pdf")).collect()
}

/// Notice stem → the passwords printed on it.
fn notice_secrets(batch: &Path) -> BTreeMap<String, Vec<String>> {
    pdfs(&batch.join("notices"))
        .into_iter()
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), secrets_in(&p)))
        .collect()
}

/// ZIP file name → its 開封パスワード, read from the second-channel list: each grid follows a
/// label ending in 「（<zip name>）」; a password longer than a line of cells goes on in the grid
/// rows below, up to the next label.
fn listed_zip_passwords(batch: &Path) -> BTreeMap<String, String> {
    let list = batch.join("secrets/開封パスワード一覧.pdf");
    let mut listed: Vec<(String, String)> = Vec::new();
    for page in words(&list) {
        // (top, Some(zip name)) for a label, (top, None) for a grid row's large characters.
        let mut marks: Vec<(f64, Option<String>, f64, String)> = Vec::new();
        for (x0, y0, _, y1, word) in page {
            if let Some(name) = word.strip_suffix(".zip）").and_then(|w| w.rsplit('（').next()) {
                marks.push((y0, Some(format!("{name}.zip")), x0, String::new()));
            } else if y1 - y0 > 20.0 {
                marks.push((y0.round(), None, x0, word));
            }
        }
        marks.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.total_cmp(&b.2)));
        for (_, label, _, word) in marks {
            match label {
                Some(name) => listed.push((name, String::new())),
                None => listed.last_mut().expect("a grid follows its label").1.push_str(&word),
            }
        }
    }
    assert!(listed.iter().all(|(_, password)| !password.is_empty()));
    listed.into_iter().collect()
}

fn zip_opens(zip: &Path, password: &str) -> bool {
    std::process::Command::new("7z")
        .arg("t")
        .arg(format!("-p{password}"))
        .arg(zip)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("7z (p7zip-full) is needed for this test")
        .status
        .success()
}

#[test]
fn every_zip_opens_with_its_password_and_not_with_a_wrong_one() {
    let b = batch();
    let notices = notice_secrets(&b.path);
    let listed = listed_zip_passwords(&b.path);
    let zips: Vec<PathBuf> = files_under(&b.path.join("zip"));
    assert_eq!(zips.len(), 20);
    let mut by_login = 0;
    for zip in &zips {
        let name = zip.file_name().unwrap().to_string_lossy().into_owned();
        let stem = name.trim_end_matches(".zip");
        let password = match listed.get(&name) {
            Some(p) => p.clone(),
            None => {
                // Not on the list: it opens with the office's login password from this batch.
                assert!(stem.ends_with("証明書PW再発行"), "{name} has no listed password");
                let office = &stem[..10];
                by_login += 1;
                notices[&format!("{office}_再発行")][0].clone()
            }
        };
        assert!(zip_opens(zip, &password), "{name} does not open with its password");
        assert!(!zip_opens(zip, "WrongPassword123"), "{name} opens with a wrong password");
        // Never the secret the ZIP itself carries.
        assert!(!notices[stem].contains(&password), "{name} opens with its own secret");
        let listing = tool("7z", &["l", "-slt", &format!("-p{password}"), zip.to_str().unwrap()]);
        assert!(listing.lines().any(|l| l == "Method = AES-256 Store"), "{name}: {listing}");
        assert!(listing.lines().any(|l| l == format!("Path = {stem}.pdf")), "{name}");
    }
    // なごみ and はなみずき have their login reissued in the same batch.
    assert_eq!(by_login, 2);
    assert_eq!(listed.len(), 18);
}

#[test]
fn zip_passwords_of_32_characters_with_symbols_fit_the_list_and_open_their_zips() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tsuchi.toml"),
        common::config_with("[passwords.zip]\nlength = 32\nsymbols = true\n"),
    )
    .unwrap();
    let input = sample("requests.xlsx");
    let out = tsuchi(&["run", input.to_str().unwrap(), "--out", "out", "--date", "2026-01-10"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let batch = batch_dir(&dir.path().join("out"));
    let listed = listed_zip_passwords(&batch);
    assert_eq!(listed.len(), 18);
    let mut symbols = 0;
    for (name, password) in &listed {
        // Read back whole from the printed grid: every character has its cell on the line.
        assert_eq!(password.chars().count(), 32, "{name}");
        assert!(!password.starts_with(['=', '+', '-', '@']), "{name} starts a formula");
        symbols += password.chars().filter(|c| "#$%&()+-/;<=>?@^_{}~".contains(*c)).count();
        assert!(zip_opens(&batch.join("zip").join(name), password), "{name} does not open with its password");
    }
    assert!(symbols > 0, "no symbol in any password");
    // The grid stays inside the page's margins.
    let list = batch.join("secrets/開封パスワード一覧.pdf");
    for page in words(&list) {
        for (x0, _, x1, _, word) in page {
            assert!(x0 >= 20.0 && x1 <= 595.0 - 20.0, "{word} at {x0}..{x1} pt");
        }
    }
}

#[test]
fn the_zip_holds_the_same_notice_as_the_notices_folder() {
    let b = batch();
    let listed = listed_zip_passwords(&b.path);
    let (name, password) = listed.iter().next().unwrap();
    let out = tempfile::tempdir().unwrap();
    tool(
        "7z",
        &[
            "x",
            &format!("-p{password}"),
            &format!("-o{}", out.path().display()),
            b.path.join("zip").join(name).to_str().unwrap(),
        ],
    );
    let stem = name.trim_end_matches(".zip");
    let extracted = std::fs::read(out.path().join(format!("{stem}.pdf"))).unwrap();
    assert_eq!(extracted, std::fs::read(b.path.join("notices").join(format!("{stem}.pdf"))).unwrap());
}

#[test]
fn the_second_channel_list_is_private_to_its_owner() {
    let path = batch().path.join("secrets/開封パスワード一覧.pdf");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    tool("qpdf", &["--check", path.to_str().unwrap()]);
}

#[test]
fn the_print_bundle_has_a_cover_and_one_page_per_paper_notice_in_postal_order() {
    let b = batch();
    let batch_id = b.path.file_name().unwrap().to_string_lossy().into_owned();
    let bundle = b.path.join("print").join(format!("{batch_id}.pdf"));
    tool("qpdf", &["--check", bundle.to_str().unwrap()]);
    let info = tool("pdfinfo", &[bundle.to_str().unwrap()]);
    // 15 paper notices (登録結果 7 + 再発行 8) and the cover.
    assert!(info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 16")), "{info}");
    let fonts = tool("pdffonts", &[bundle.to_str().unwrap()]);
    assert_eq!(fonts.lines().skip(2).count(), 2, "one subset per face for the whole file: {fonts}");
    let bytes = std::fs::read(&bundle).unwrap();
    assert!(bytes.windows(19).any(|w| w == b"/PrintScaling/None>"));

    let pages = words(&bundle);
    assert_eq!(pages.len(), 16);
    let cover: String = pages[0].iter().map(|w| w.4.as_str()).collect();
    assert!(cover.contains(&batch_id) && cover.contains("15通") && cover.contains("16ページ"), "{cover}");
    let mut keys = Vec::new();
    for (i, page) in pages.iter().enumerate().skip(1) {
        let all: Vec<&str> = page.iter().map(|w| w.4.as_str()).collect();
        let postal = all.iter().find(|w| w.starts_with('〒')).expect("a postal code").to_string();
        let office = all.iter().find(|w| w.len() == 10 && w.bytes().all(|b| b.is_ascii_digit())).unwrap().to_string();
        assert!(all.contains(&format!("{batch_id}-{i:05}").as_str()), "control number on page {}", i + 1);
        assert!(all.contains(&format!("{}/16", i + 1).as_str()), "page number on page {}", i + 1);
        keys.push((postal, office));
    }
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "postal code, then office number");
}

#[test]
fn the_mailing_list_matches_the_bundle() {
    let b = batch();
    let batch_id = b.path.file_name().unwrap().to_string_lossy().into_owned();
    let rows = xlsx_rows(&b.path.join("print/発送リスト.xlsx"));
    assert_eq!(
        rows[0],
        [
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
            "区分の束"
        ]
    );
    assert_eq!(rows.len(), 16);
    // 霞が関1丁目3番2号 has a barcode; so has 一番町 4丁目7-17, whose town name holds a
    // numeral: the postal table says where the 町域 ends.
    assert!(rows.iter().any(|r| r[2] == "100-0013" && r[8] == "1-3-2 CD 9"), "{rows:?}");
    assert!(rows.iter().any(|r| r[2] == "980-0811" && r[8] == "4-7-17 CD 7"), "{rows:?}");
    assert!(rows.iter().any(|r| r[2] == "060-0001" && r[8] == "2-1 CD CC1"), "{rows:?}");
    let bundle = words(&b.path.join("print").join(format!("{batch_id}.pdf")));
    for (i, row) in rows.iter().enumerate().skip(1) {
        assert_eq!(row[0], i.to_string());
        assert_eq!(row[1], format!("{batch_id}-{i:05}"));
        assert!(["登録結果", "再発行"].contains(&row[6].as_str()));
        assert_eq!(row[7], "1");
        assert!(row[8].contains("CD ") || row[8].starts_with("なし："), "barcode data or a reason: {}", row[8]);
        assert_eq!(row[9], "", "書留番号 is left for the clerk");
        // The sample's 15 envelopes, in as many districts and regions, are one 雑 bundle.
        assert_eq!(row[10], "1（雑）");
        let page: Vec<&str> = bundle[i].iter().map(|w| w.4.as_str()).collect();
        assert!(page.contains(&format!("〒{}", row[2]).as_str()), "row {i} and page {} agree", i + 1);
    }
}

#[test]
fn manifest_hashes_match_the_files() {
    let b = batch();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.path.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    let on_disk: Vec<PathBuf> = files_under(&b.path).into_iter().filter(|p| !p.ends_with("manifest.json")).collect();
    assert_eq!(files.len(), on_disk.len());
    for entry in files {
        let path = b.path.join(entry["path"].as_str().unwrap());
        let sum = tool("sha256sum", &[path.to_str().unwrap()]);
        assert_eq!(sum.split_whitespace().next().unwrap(), entry["sha256"].as_str().unwrap(), "{path:?}");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), entry["size"].as_u64().unwrap());
    }
    let input = tool("sha256sum", &[sample("requests.xlsx").to_str().unwrap()]);
    assert_eq!(manifest["input"]["sha256"].as_str().unwrap(), input.split_whitespace().next().unwrap());
    assert_eq!(manifest["batch_id"], b.path.file_name().unwrap().to_str().unwrap());
    assert_eq!(manifest["issue_date"], "2026-01-10");
    assert_eq!(manifest["counts"]["issued"], 20);
    assert_eq!(manifest["zip_encryption"], "aes256");
    assert!(manifest["tool"].as_str().unwrap().starts_with("tsuchi "));
}

#[test]
fn no_secret_appears_outside_notices_zips_and_the_second_channel_list() {
    let b = batch();
    let mut secrets: Vec<String> = notice_secrets(&b.path).into_values().flatten().collect();
    secrets.extend(listed_zip_passwords(&b.path).into_values());
    assert_eq!(secrets.len(), 7 * 2 + 8 + 5 + 18);
    let mut places: Vec<(String, String)> =
        vec![("stdout".into(), b.stdout.clone()), ("stderr".into(), b.stderr.clone())];
    for file in files_under(&b.path) {
        let rel = file.strip_prefix(&b.path).unwrap();
        if ["notices", "zip", "secrets"].iter().any(|d| rel.starts_with(d)) {
            continue;
        }
        let content = match file.extension().and_then(|e| e.to_str()) {
            Some("xlsx") => xlsx_rows(&file).into_iter().flatten().collect::<Vec<_>>().join("\t"),
            Some("pdf") => tool("pdftotext", &[file.to_str().unwrap(), "-"]) + &text(&std::fs::read(&file).unwrap()),
            _ => text(&std::fs::read(&file).unwrap()),
        };
        places.push((rel.display().to_string(), content));
    }
    assert!(places.len() >= 7, "stdout, stderr, manifest, rejected ×2, bundle, list");
    for (place, content) in &places {
        for secret in &secrets {
            assert!(!content.contains(secret.as_str()), "a password leaked into {place}");
        }
    }
}

#[test]
fn zipcrypto_only_when_configured_and_then_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tsuchi.toml"),
        common::config_with("[zip]\nencryption = \"zip_crypto\"\n[mailroom]\nduplex = true\n"),
    )
    .unwrap();
    let input = sample("requests_sjis.csv");
    let out = tsuchi(&["run", input.to_str().unwrap(), "--out", "out"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ZipCrypto"), "warning on every run");
    let path = batch_dir(&dir.path().join("out"));
    let listed = listed_zip_passwords(&path);
    let (name, password) = listed.iter().next().unwrap();
    let zip = path.join("zip").join(name);
    let listing = tool("7z", &["l", "-slt", &format!("-p{password}"), zip.to_str().unwrap()]);
    assert!(listing.lines().any(|l| l == "Method = ZipCrypto Deflate"), "{listing}");
    assert!(zip_opens(&zip, password) && !zip_opens(&zip, "WrongPassword123"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["zip_encryption"], "zip_crypto");
    // Duplex: a blank back after the cover and after every notice.
    let bundle = pdfs(&path.join("print")).remove(0);
    let info = tool("pdfinfo", &[bundle.to_str().unwrap()]);
    assert!(info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 32")), "{info}");
}

#[test]
fn calibrate_prints_the_address_block_folds_and_rulers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tsuchi.toml"), common::config_with("[layout]\naddress_offset_mm = [2.5, -1.0]\n"))
        .unwrap();
    let out = tsuchi(&["calibrate", "--out", "cal.pdf"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let pdf = dir.path().join("cal.pdf");
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    assert!(info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 1")));
    let page = &words(&pdf)[0];
    let all: String = page.iter().map(|w| w.4.as_str()).collect();
    assert!(all.contains("折り線") && all.contains("〒100-0013") && all.contains("+2.5"), "{all}");
    // The postal line sits where notices put it, moved by the configured offset.
    let mm = 72.0 / 25.4;
    let postal = page.iter().find(|w| w.4.starts_with('〒')).unwrap();
    // 2 mm inside the window frame.
    assert!((postal.0 / mm - (22.0 + 2.0 + 2.5)).abs() < 0.5, "x = {} mm", postal.0 / mm);
    for n in ["10", "50", "100", "200", "210"] {
        assert!(page.iter().any(|w| w.4 == n), "ruler mark {n}");
    }
}
