//! Helpers shared by the end-to-end tests: running the binary and reading its outputs back
//! with independent tools (poppler, 7-Zip, calamine).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod mailing;
pub mod schema;

use calamine::Reader;

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples").join(name)
}

/// The tsuchi binary with a list of ledgers of its own (`TSUCHI_HOME`), so that tests running
/// side by side never see each other's ledgers as "the ledger in another folder".
pub fn command() -> Command {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "home-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut command = Command::new(env!("CARGO_BIN_EXE_tsuchi"));
    command.env("TSUCHI_HOME", home);
    command
}

/// The `[issuer]` of a test installation: no placeholder name or phone number.
macro_rules! test_issuer {
    () => {
        "[issuer]\nname = \"試験県国民健康保険団体連合会\"\nhelpdesk = \"介護保険課 電子請求担当　電話 011-222-3333（平日 9:00〜17:00）\"\n"
    };
}

/// The `[issuer]` section of [`TEST_CONFIG`] alone.
pub const TEST_ISSUER: &str = test_issuer!();

/// The settings of a test installation: an issuer that is no placeholder, passwords
/// registered by hand (`[handoff] mode = "manual"`: the hand-off file is not what these tests
/// are about), and the ledger in `output` beside the file, as a clerk's folder would hold it.
pub const TEST_CONFIG: &str =
    concat!(test_issuer!(), "\n[output]\nroot = \"output\"\n\n[handoff]\nmode = \"manual\"\n");

/// [`TEST_CONFIG`] without its `[handoff]` section, for tests that write their own.
pub fn test_config_without_handoff() -> &'static str {
    concat!(test_issuer!(), "\n[output]\nroot = \"output\"\n")
}

/// [`TEST_CONFIG`] as the library reads it, for tests that run a batch without the binary.
pub fn test_settings() -> tsuchi::engine::config::Config {
    tsuchi::engine::config::Config::parse(TEST_CONFIG, Path::new("tsuchi.toml")).unwrap()
}

/// The test installation's settings and `extra` (sections of its own, other than those of
/// [`TEST_CONFIG`]).
pub fn config_with(extra: &str) -> String {
    format!("{TEST_CONFIG}\n{extra}")
}

/// `TEST_CONFIG` as `dir/tsuchi.toml` (unless the test wrote its own there), where tsuchi
/// finds it when started in `dir`.
pub fn test_config(dir: &Path) -> PathBuf {
    let path = dir.join("tsuchi.toml");
    if !path.exists() {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&path, TEST_CONFIG).unwrap();
    }
    path
}

/// `tsuchi <args>` in `cwd`; a `run` or `check` without `--config` gets the test
/// installation's settings in `cwd` ([`test_config`]).
pub fn tsuchi(args: &[&str], cwd: &Path) -> Output {
    if matches!(args.first(), Some(&"run" | &"check")) && !args.contains(&"--config") {
        test_config(cwd);
    }
    command().args(args).current_dir(cwd).output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a checker tool and returns its stdout; fails the test if the tool is missing or fails.
pub fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed for this test (scripts/test installs it): {e}"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The batch folders under `out`, oldest first; asserts that no staging folder is left.
pub fn batch_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    let staging = dirs.iter().any(|d| d.file_name().unwrap().to_string_lossy().starts_with(".staging"));
    assert!(!staging, "a staging folder was left behind: {dirs:?}");
    dirs
}

/// The one batch folder under `out`.
pub fn batch_dir(out: &Path) -> PathBuf {
    let dirs = batch_dirs(out);
    assert_eq!(dirs.len(), 1, "exactly one batch folder: {dirs:?}");
    dirs.into_iter().next().unwrap()
}

/// A word on a page: xMin, yMin, xMax, yMax (points from the top-left) and its text.
pub type Word = (f64, f64, f64, f64, String);

/// Words of a PDF with their boxes (pdftotext -bbox), page by page.
pub fn words(pdf: &Path) -> Vec<Vec<Word>> {
    let html = tool("pdftotext", &["-bbox", pdf.to_str().unwrap(), "-"]);
    let mut pages = Vec::new();
    for line in html.lines().map(str::trim_start) {
        if line.starts_with("<page") {
            pages.push(Vec::new());
        } else if line.starts_with("<word") {
            let attr = |name: &str| -> f64 {
                let at = line.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
                line[at..].split('"').next().unwrap().parse().unwrap()
            };
            let word = line.split('>').nth(1).unwrap().split('<').next().unwrap();
            // pdftotext writes XHTML: a password's < > & come escaped.
            let word = word.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
            pages.last_mut().unwrap().push((attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax"), word));
        }
    }
    pages
}

/// Reads the passwords back out of a PDF as an independent check would: the large characters
/// of each grid (word boxes taller than 20 pt), one string per grid row, in page order.
pub fn secrets_in(pdf: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for page in words(pdf) {
        let mut rows: BTreeMap<i64, Vec<(f64, String)>> = BTreeMap::new();
        for (x0, y0, _, y1, word) in page {
            if y1 - y0 > 20.0 {
                rows.entry(y0.round() as i64).or_default().push((x0, word));
            }
        }
        for mut words in rows.into_values() {
            words.sort_by(|a, b| a.0.total_cmp(&b.0));
            found.push(words.into_iter().map(|(_, w)| w).collect());
        }
    }
    found
}

/// Every cell of every sheet of an xlsx: rows of text.
pub fn xlsx_rows(path: &Path) -> Vec<Vec<String>> {
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let mut rows = Vec::new();
    for name in book.sheet_names() {
        for row in book.worksheet_range(&name).unwrap().rows() {
            rows.push(row.iter().map(|c| c.to_string()).collect());
        }
    }
    rows
}

/// An age identity made by Debian's `age-keygen` at `key`, and its public key (`age1…`).
pub fn age_identity(key: &Path) -> String {
    tool("age-keygen", &["-o", key.to_str().unwrap()]);
    std::fs::read_to_string(key)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .expect("age-keygen writes the public key in a comment")
}

/// The cells of one sheet of an xlsx: rows of text, the header first.
pub fn xlsx_sheet(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap_or_else(|e| panic!("{}: {sheet}: {e}", path.display()));
    range.rows().map(|row| row.iter().map(|c| c.to_string()).collect()).collect()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The fonts a batch of `requests` gets, collected as `plan` does: each request's notice laid
/// out (with specimen secrets), the glyphs its page sets.
pub fn fonts_for<'a>(
    renderer: &tsuchi::engine::render::Renderer,
    requests: impl IntoIterator<Item = &'a tsuchi::ground::model::Request>,
) -> tsuchi::engine::render::PdfFonts {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    let passwords = tsuchi::engine::config::Config::default().passwords;
    let mut glyphs = std::collections::BTreeSet::new();
    for r in requests {
        let notice = tsuchi::engine::notice::Notice::issue(
            r.clone(),
            date,
            &passwords,
            tsuchi::engine::notice::Secrets::Specimen,
        );
        let (_, frame) = renderer.frame(&notice).unwrap();
        glyphs.extend(tsuchi::engine::render::gothic_glyphs(&frame));
    }
    renderer.fonts_for(&glyphs).unwrap()
}

/// `tsuchi run` of the sample list into `out`, from `cwd`.
pub fn run_sample(cwd: &Path, out: &Path, extra: &[&str]) -> Output {
    if !extra.contains(&"--config") {
        test_config(cwd);
    }
    let mut command = command();
    command.arg("run").arg(sample("requests.xlsx")).arg("--out").arg(out).args(extra).current_dir(cwd);
    command.output().unwrap()
}

/// Runs SQL on the ledger under `out` as someone editing the file would (not bound by its
/// foreign keys).
pub fn edit_ledger(out: &Path, statements: &str) {
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
    conn.execute_batch(statements).unwrap();
}

/// One committed batch of the sample list in `dir/name`, its ledger checkpointed into the one
/// file (so that copying or editing the file is the whole ledger).
pub fn pristine(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let o = run_sample(dir, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    edit_ledger(&out, "PRAGMA wal_checkpoint(TRUNCATE);");
    out
}

/// The chain head as the mail room keeps it: read off the bundle's cover with pdftotext.
pub fn head_on_cover(batch: &Path) -> String {
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let bundle = batch.join("print").join(format!("{id}.pdf"));
    let cover = tool("pdftotext", &["-f", "1", "-l", "1", bundle.to_str().unwrap(), "-"]);
    let after = &cover[cover.find("台帳の先頭").expect("the cover prints the head")..];
    let start = after.find(|c: char| c.is_ascii_digit()).unwrap();
    let (count, rest) = after[start..].split_once(':').unwrap();
    let hex: String = rest.chars().filter(|c| !c.is_whitespace()).take(64).collect();
    format!("{count}:{hex}")
}

/// The Japanese characters of `text` outside 「」: English output quotes a Japanese column
/// name or a clerk's value in 「」 and has no other Japanese.
pub fn japanese_outside_quotes(text: &str) -> String {
    let japanese = |c: char| matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x9FFF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F);
    let mut depth = 0usize;
    let mut found = String::new();
    for c in text.chars() {
        match c {
            '「' => depth += 1,
            '」' => depth = depth.saturating_sub(1),
            c if japanese(c) && depth == 0 => found.push(c),
            _ => {}
        }
    }
    found
}

/// The zip with entry `name` replaced by `edit` of its text.
pub fn patch(bytes: &[u8], name: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let entry_name = entry.name().to_string();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
        if entry_name == name {
            content = edit(String::from_utf8(content).unwrap()).into_bytes();
        }
        out.start_file(entry_name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut out, &content).unwrap();
    }
    out.finish().unwrap().into_inner()
}
