//! The archive copy of every notice (`archive/<stem>.pdf`): the same page with each password
//! character masked while its class row stays, holding no password in any byte, extracted text
//! or font, in the manifest and the ledger, and PDF/A-2b as far as the file itself can show it.
//!
//! No PDF/A validator is reachable here, so the structural checks below read the file back
//! with qpdf (its JSON view, streams decoded) and test each PDF/A-2b point one by one.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{batch_dir, files_under, sample, secrets_in, text, tool, tsuchi, words};
use serde_json::Value;

/// One batch of the samples (with the katakana reading row on, so that the readings are
/// masked too), and its folder.
struct Batch {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn batch() -> &'static Batch {
    static BATCH: std::sync::OnceLock<Batch> = std::sync::OnceLock::new();
    BATCH.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tsuchi.toml"), common::config_with("[notice]\nreading_row = true\n")).unwrap();
        let input = sample("requests.xlsx");
        let args = [
            "run",
            input.to_str().unwrap(),
            "--out",
            "out",
            "--config",
            "tsuchi.toml",
            "--date",
            "2026-01-10",
            "--allow-date",
        ];
        let out = tsuchi(&args, dir.path());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let path = batch_dir(&dir.path().join("out"));
        Batch { _dir: dir, path }
    })
}

/// (notice, its archive copy) for every notice of the batch.
fn pairs() -> Vec<(PathBuf, PathBuf)> {
    let b = batch();
    files_under(&b.path.join("notices"))
        .into_iter()
        .map(|notice| {
            let copy = b.path.join("archive").join(notice.file_name().unwrap());
            (notice, copy)
        })
        .collect()
}

/// A PDF as qpdf reads it: every object (streams decoded into `data`, their dictionaries as
/// written), the trailer, and the raw bytes.
struct Pdf {
    objects: BTreeMap<String, Value>,
    data: BTreeMap<String, Vec<u8>>,
    trailer: Value,
    raw: Vec<u8>,
}

impl Pdf {
    fn read(path: &Path) -> Pdf {
        let scratch = tempfile::tempdir().unwrap();
        let prefix = scratch.path().join("s");
        let p = path.to_str().unwrap();
        // Decoded stream data into files; the dictionaries from a pass that decodes nothing,
        // so that each /Filter is the one in the file.
        let decoded: Value = serde_json::from_str(&tool(
            "qpdf",
            &[
                "--json=2",
                "--json-stream-data=file",
                &format!("--json-stream-prefix={}", prefix.display()),
                "--decode-level=generalized",
                p,
            ],
        ))
        .unwrap();
        let plain: Value =
            serde_json::from_str(&tool("qpdf", &["--json=2", "--json-stream-data=none", "--decode-level=none", p]))
                .unwrap();
        let mut objects = BTreeMap::new();
        let mut data = BTreeMap::new();
        let mut trailer = Value::Null;
        for (key, object) in plain["qpdf"][1].as_object().unwrap() {
            if key == "trailer" {
                trailer = object["value"].clone();
                continue;
            }
            let id = key.strip_prefix("obj:").unwrap().to_string();
            objects.insert(id.clone(), object.clone());
            if let Some(file) = decoded["qpdf"][1][key]["stream"]["datafile"].as_str() {
                data.insert(id, std::fs::read(file).unwrap());
            }
        }
        Pdf { objects, data, trailer, raw: std::fs::read(path).unwrap() }
    }

    /// The value of `v`, following an indirect reference.
    fn get<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.as_str().filter(|s| s.ends_with(" R")) {
            Some(r) => {
                let o = &self.objects[r];
                if o.get("stream").is_some() { &o["stream"]["dict"] } else { &o["value"] }
            }
            None => v,
        }
    }

    /// The decoded data of the stream `v` refers to.
    fn stream(&self, v: &Value) -> &[u8] {
        &self.data[v.as_str().expect("a reference to a stream")]
    }

    /// Every dictionary in the file (objects, stream dictionaries and the dictionaries inside
    /// them), for rules that hold anywhere.
    fn dictionaries(&self) -> Vec<&serde_json::Map<String, Value>> {
        fn walk<'a>(v: &'a Value, out: &mut Vec<&'a serde_json::Map<String, Value>>) {
            match v {
                Value::Object(map) => {
                    out.push(map);
                    map.values().for_each(|v| walk(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for object in self.objects.values() {
            walk(object.get("stream").map(|s| &s["dict"]).unwrap_or(&object["value"]), &mut out);
        }
        walk(&self.trailer, &mut out);
        out
    }

    fn catalog(&self) -> &Value {
        self.get(&self.trailer["/Root"])
    }

    fn info(&self) -> &Value {
        self.get(&self.trailer["/Info"])
    }

    /// The Type0 fonts of the (one) page.
    fn fonts(&self) -> Vec<&Value> {
        let pages = self.get(&self.catalog()["/Pages"]);
        let page = self.get(&pages["/Kids"][0]);
        let resources = self.get(&page["/Resources"]);
        self.get(&resources["/Font"]).as_object().unwrap().values().map(|f| self.get(f)).collect()
    }
}

/// A qpdf JSON string (`u:` text, `b:` hex bytes) as text.
fn string(v: &Value) -> String {
    let s = v.as_str().unwrap();
    if let Some(t) = s.strip_prefix("u:") {
        return t.to_string();
    }
    let hex = s.strip_prefix("b:").unwrap();
    let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => {
            String::from_utf16(&utf16.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect::<Vec<_>>()).unwrap()
        }
        None => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The text of the XMP element `tag` (the first `rdf:li` inside it for arrays).
fn xmp_value(xmp: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let inner = &xmp[xmp.find(&open).unwrap_or_else(|| panic!("{tag} in the XMP")) + open.len()..];
    let inner = &inner[..inner.find(&format!("</{tag}>")).unwrap()];
    let value = match inner.find("<rdf:li") {
        Some(at) => {
            let li = &inner[at..];
            &li[li.find('>').unwrap() + 1..li.find("</rdf:li>").unwrap()]
        }
        None => inner,
    };
    value.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

/// A PDF date `D:YYYYMMDDHHmmSS+HH'mm'` as XMP writes it, `YYYY-MM-DDTHH:mm:SS+HH:mm`.
fn pdf_date_as_xmp(date: &str) -> String {
    let d = date.strip_prefix("D:").unwrap();
    let tz = d[14..].replace('\'', "");
    format!(
        "{}-{}-{}T{}:{}:{}{}:{}",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[8..10],
        &d[10..12],
        &d[12..14],
        &tz[..3],
        &tz[3..]
    )
}

/// The characters a ToUnicode CMap maps glyphs to.
fn mapped_chars(cmap: &[u8]) -> BTreeSet<char> {
    let cmap = String::from_utf8_lossy(cmap);
    let mut chars = BTreeSet::new();
    let mut in_bfchar = false;
    for line in cmap.lines() {
        if line.ends_with("beginbfchar") || line == "endbfchar" {
            in_bfchar = line != "endbfchar";
            continue;
        }
        if !in_bfchar {
            continue;
        }
        let hex = line.rsplit('<').next().unwrap().trim_end_matches('>');
        let units: Vec<u16> =
            (0..hex.len()).step_by(4).map(|i| u16::from_str_radix(&hex[i..i + 4], 16).unwrap()).collect();
        chars.extend(char::decode_utf16(units).map(Result::unwrap));
    }
    chars
}

#[test]
fn every_notice_has_an_archive_copy_and_nothing_else_is_archived() {
    let b = batch();
    let notices: Vec<_> =
        files_under(&b.path.join("notices")).iter().map(|p| p.file_name().unwrap().to_owned()).collect();
    let copies: Vec<_> =
        files_under(&b.path.join("archive")).iter().map(|p| p.file_name().unwrap().to_owned()).collect();
    assert_eq!(notices.len(), 20);
    assert_eq!(notices, copies);
}

#[test]
fn the_copy_is_the_same_page_with_each_password_character_masked() {
    for (notice, copy) in pairs() {
        let secrets = secrets_in(&notice);
        assert!(!secrets.is_empty(), "{notice:?} has a password grid");
        let masks: Vec<String> = secrets.iter().map(|s| "●".repeat(s.chars().count())).collect();
        assert_eq!(secrets_in(&copy), masks, "{copy:?}: one mark a character, grid by grid");
        // Every other word where it was: the title, the names, the class row (大文字/小文字/数字)…
        // but not the readings (ケー, エム…), which would spell the password.
        let readings: BTreeSet<String> = secrets
            .iter()
            .flat_map(|s| s.chars().map(|c| tsuchi::engine::secrets::reading(c).to_string()).collect::<Vec<_>>())
            .collect();
        // In page order: pdftotext's reading order may differ between two sets of fonts.
        let small = |pdf: &Path| -> Vec<String> {
            let mut words: Vec<String> = words(pdf)[0]
                .iter()
                .filter(|(_, y0, _, y1, _)| y1 - y0 <= 20.0)
                .map(|(x0, y0, _, _, w)| format!("{y0:07.1},{x0:07.1} {w}"))
                .collect();
            words.sort();
            words
        };
        let (shown, kept) = (small(&notice), small(&copy));
        // A long reading is set on two or three lines (ダブ / リュー): each line is a word.
        let is_reading = |w: &str| readings.iter().any(|r| r.contains(w));
        let expected: Vec<&String> = shown.iter().filter(|w| !is_reading(w.split_once(' ').unwrap().1)).collect();
        assert_eq!(kept.iter().collect::<Vec<_>>(), expected, "{copy:?}");
        assert!(kept.iter().any(|w| w.ends_with(" 大文字")) && kept.iter().any(|w| w.ends_with(" 数字")));
    }
}

#[test]
fn no_password_is_in_any_byte_text_or_glyph_of_an_archive_copy() {
    for (notice, copy) in pairs() {
        let secrets = secrets_in(&notice);
        let pdf = Pdf::read(&copy);
        let extracted = tool("pdftotext", &[copy.to_str().unwrap(), "-"]);
        let mut places: Vec<(String, String)> =
            vec![("raw bytes".into(), text(&pdf.raw)), ("pdftotext".into(), extracted.clone())];
        for (id, data) in &pdf.data {
            places.push((format!("stream {id}"), text(data)));
        }
        for secret in &secrets {
            // The content streams show glyph ids in hex: look for those of the password too.
            for (place, content) in &places {
                assert!(!content.contains(secret.as_str()), "{copy:?}: a password in {place}");
            }
        }
        // The fonts hold only what the page shows: the password face just the mark, the
        // Japanese face only characters pdftotext finds on the page (no password character
        // can hide in a subset).
        let visible: BTreeSet<char> = extracted.chars().collect();
        for font in pdf.fonts() {
            let chars = mapped_chars(pdf.stream(&font["/ToUnicode"]));
            if font["/BaseFont"].as_str().unwrap().contains("JetBrainsMono") {
                assert_eq!(chars, BTreeSet::from(['●']), "{copy:?}: the password face holds the mark alone");
            } else {
                // pdftotext gives every kind of space as a space.
                let hidden: Vec<char> =
                    chars.iter().filter(|c| !visible.contains(c) && !c.is_whitespace()).copied().collect();
                assert!(hidden.is_empty(), "{copy:?}: glyphs not on the page: {hidden:?}");
            }
        }
    }
}

#[test]
fn archive_copies_are_in_the_manifest_and_the_ledger_and_verify_passes() {
    let b = batch();
    let manifest: Value = serde_json::from_slice(&std::fs::read(b.path.join("manifest.json")).unwrap()).unwrap();
    let listed: BTreeSet<&str> =
        manifest["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    let conn = rusqlite::Connection::open(b.path.parent().unwrap().join("ledger.sqlite")).unwrap();
    let recorded: BTreeSet<String> = conn
        .prepare("SELECT path FROM files")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (_, copy) in pairs() {
        let rel = format!("archive/{}", copy.file_name().unwrap().to_str().unwrap());
        assert!(listed.contains(rel.as_str()), "{rel} in manifest.json");
        assert!(recorded.contains(&rel), "{rel} in the ledger");
    }
    let out = common::command().arg("verify").arg(&b.path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn archive_copies_pass_qpdf_check() {
    for (_, copy) in pairs() {
        let out = tool("qpdf", &["--check", copy.to_str().unwrap()]);
        assert!(out.contains("No syntax or stream encoding errors found"), "{copy:?}: {out}");
    }
}

/// PDF/A-2b (ISO 19005-2), level B, point by point, on every archive copy.
#[test]
fn archive_copies_are_pdf_a_2b_in_structure() {
    for (_, copy) in pairs() {
        let pdf = Pdf::read(&copy);
        let at = |rule: &str| format!("{copy:?}: {rule}");

        // 6.1.2: a PDF 1.x header (PDF/A-2 is based on PDF 1.7), then a comment of four
        // bytes above 127.
        assert!(pdf.raw.starts_with(b"%PDF-1."), "{}", at("header"));
        let second = pdf.raw.split(|&b| b == b'\n').nth(1).unwrap();
        assert!(
            second.starts_with(b"%") && second.iter().filter(|&&b| b > 127).count() >= 4,
            "{}",
            at("binary comment")
        );
        // 6.1.3: a trailer /ID of two strings, no /Encrypt; nothing after %%EOF but an EOL.
        let id = pdf.trailer["/ID"].as_array().unwrap_or_else(|| panic!("{}", at("trailer /ID")));
        assert_eq!(id.len(), 2, "{}", at("/ID of two strings"));
        assert!(id.iter().all(|s| s.as_str().unwrap().len() > "b:".len()), "{}", at("/ID strings not empty"));
        assert!(pdf.trailer.get("/Encrypt").is_none(), "{}", at("no encryption"));
        assert!(pdf.raw.ends_with(b"%%EOF\n"), "{}", at("%%EOF last"));

        // 6.6.2: XMP metadata, unfiltered, with pdfaid part 2 and conformance B.
        let catalog = pdf.catalog();
        let metadata = pdf.get(&catalog["/Metadata"]);
        assert_eq!(metadata["/Type"], "/Metadata", "{}", at("metadata type"));
        assert_eq!(metadata["/Subtype"], "/XML", "{}", at("metadata subtype"));
        assert!(metadata.get("/Filter").is_none(), "{}", at("metadata stream has no filter"));
        let xmp = String::from_utf8(pdf.stream(&catalog["/Metadata"]).to_vec()).unwrap();
        let header = &xmp[..xmp.find("?>").unwrap()];
        assert!(header.starts_with("<?xpacket begin="), "{}", at("xpacket header"));
        assert!(!header.contains("bytes=") && !header.contains("encoding="), "{}", at("xpacket attributes"));
        assert!(xmp.trim_end().ends_with("<?xpacket end=\"w\"?>"), "{}", at("xpacket trailer"));
        assert_eq!(xmp_value(&xmp, "pdfaid:part"), "2", "{}", at("pdfaid:part"));
        assert_eq!(xmp_value(&xmp, "pdfaid:conformance"), "B", "{}", at("pdfaid:conformance"));
        // 6.6.3: the document information equals its XMP counterpart, entry by entry.
        let info = pdf.info();
        for (key, tag) in [
            ("/Title", "dc:title"),
            ("/Author", "dc:creator"),
            ("/Subject", "dc:description"),
            ("/Creator", "xmp:CreatorTool"),
            ("/Producer", "pdf:Producer"),
        ] {
            assert_eq!(string(&info[key]), xmp_value(&xmp, tag), "{}", at(key));
        }
        for (key, tag) in [("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")] {
            assert_eq!(pdf_date_as_xmp(&string(&info[key])), xmp_value(&xmp, tag), "{}", at(key));
        }
        assert!(info.get("/Keywords").is_none() || xmp.contains("pdf:Keywords"), "{}", at("/Keywords"));

        // 6.2.3: exactly one PDF/A output intent, with an embedded RGB ICC profile (N 3).
        let intents = pdf.get(&catalog["/OutputIntents"]).as_array().unwrap();
        let pdfa: Vec<&Value> = intents.iter().map(|i| pdf.get(i)).filter(|i| i["/S"] == "/GTS_PDFA1").collect();
        assert_eq!(pdfa.len(), 1, "{}", at("one GTS_PDFA1 output intent"));
        let profile_ref = &pdfa[0]["/DestOutputProfile"];
        assert_eq!(pdf.get(profile_ref)["/N"], 3, "{}", at("profile components"));
        let icc = pdf.stream(profile_ref);
        assert_eq!(u32::from_be_bytes(icc[0..4].try_into().unwrap()) as usize, icc.len(), "{}", at("ICC size"));
        assert_eq!(&icc[36..40], b"acsp", "{}", at("ICC signature"));
        assert_eq!(&icc[16..20], b"RGB ", "{}", at("ICC colour space"));
        assert!([b"mntr", b"prtr"].contains(&&icc[12..16].try_into().unwrap()), "{}", at("ICC device class"));
        assert!(icc[8] <= 4, "{}", at("ICC version at most 4"));
        assert_eq!(icc, std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/icc/sRGB.icc")).unwrap(), "{}", at("sRGB"));

        // 6.2.11.4: every font embedded, its program present and holding every glyph the
        // widths name; 6.2.11.3: a CIDFontType2 has a CIDToGIDMap; 6.2.11.5: the widths in the
        // dictionary agree with the font program.
        let fonts = pdf.fonts();
        assert_eq!(fonts.len(), 2, "{}", at("two fonts"));
        for font in fonts {
            assert_eq!(font["/Subtype"], "/Type0", "{}", at("composite font"));
            let cid = pdf.get(&pdf.get(&font["/DescendantFonts"]).as_array().unwrap()[0]);
            assert_eq!(cid["/Subtype"], "/CIDFontType2", "{}", at("TrueType outlines"));
            assert_eq!(cid["/CIDToGIDMap"], "/Identity", "{}", at("CIDToGIDMap"));
            let descriptor = pdf.get(&cid["/FontDescriptor"]);
            let program = pdf.stream(&descriptor["/FontFile2"]);
            let face = ttf_parser::Face::parse(program, 0).unwrap_or_else(|e| panic!("{}: {e}", at("font program")));
            let per_mille = 1000.0 / face.units_per_em() as f64;
            let w = cid["/W"].as_array().unwrap();
            let (first, widths) = (w[0].as_u64().unwrap() as u16, w[1].as_array().unwrap());
            assert!(first as usize + widths.len() <= face.number_of_glyphs() as usize, "{}", at("glyphs present"));
            for (i, width) in widths.iter().enumerate() {
                let advance = face.glyph_hor_advance(ttf_parser::GlyphId(first + i as u16)).unwrap() as f64 * per_mille;
                assert!((advance - width.as_f64().unwrap()).abs() <= 1.0, "{}", at("glyph widths"));
            }
        }

        // 6.2.10 and 6.4: no transparency (soft masks, constant alpha below 1, blend modes,
        // transparency groups); 6.6.1 / 6.1.10: no JavaScript, no actions; 6.1.7: no LZW, no
        // external streams; 6.1.3: no encryption anywhere.
        for dict in pdf.dictionaries() {
            if let Some(mask) = dict.get("/SMask") {
                assert_eq!(mask, "/None", "{}", at("no soft mask"));
            }
            for alpha in ["/CA", "/ca"] {
                assert!(dict.get(alpha).is_none_or(|a| a.as_f64() == Some(1.0)), "{}", at("no constant alpha"));
            }
            if let Some(mode) = dict.get("/BM") {
                assert!(mode == "/Normal" || mode == "/Compatible", "{}", at("no blend mode"));
            }
            if let Some(group) = dict.get("/Group") {
                assert_ne!(pdf.get(group)["/S"], "/Transparency", "{}", at("no transparency group"));
            }
            for key in ["/JS", "/JavaScript", "/AA", "/OpenAction", "/Encrypt", "/F", "/FFilter", "/FDecodeParms"] {
                assert!(!dict.contains_key(key), "{}", at(&format!("no {key}")));
            }
            assert_ne!(dict.get("/S"), Some(&Value::from("/JavaScript")), "{}", at("no JavaScript action"));
            let filters = match dict.get("/Filter") {
                Some(Value::Array(list)) => list.clone(),
                Some(one) => vec![one.clone()],
                None => Vec::new(),
            };
            assert!(filters.iter().all(|f| f != "/LZWDecode"), "{}", at("no LZW"));
        }
        // The pages draw through no graphics-state parameter dictionaries (where alpha and blend
        // modes would live) and no images.
        assert!(!text(&pdf.raw).contains("/ExtGState") && !text(&pdf.raw).contains("/XObject"), "{}", at("resources"));
    }
}

/// The archive copy renders like its notice apart from the grid (looked at as a PNG by hand
/// once; here, the pages keep their size and the text its fonts).
#[test]
fn the_copy_keeps_the_page_size_and_embeds_its_fonts() {
    for (notice, copy) in pairs() {
        let info = |pdf: &Path| tool("pdfinfo", &[pdf.to_str().unwrap()]);
        let size = |s: String| s.lines().find(|l| l.starts_with("Page size:")).unwrap().to_string();
        assert_eq!(size(info(&notice)), size(info(&copy)));
        let fonts = tool("pdffonts", &[copy.to_str().unwrap()]);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert_eq!(rows.len(), 2, "{fonts}");
        assert!(rows.iter().all(|r| r.split_whitespace().rev().nth(4) == Some("yes")), "every font embedded: {fonts}");
    }
}
