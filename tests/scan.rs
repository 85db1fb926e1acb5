//! The mail room like a PIN-mailer shop: every mailed page of the print bundle carries its
//! control number as a code a scanner reads (checked with zbar, a reader that is not tsuchi's),
//! and `tsuchi mail scan` marks each notice 封入済み, reporting at once a page scanned twice,
//! a page skipped, and a code of another batch.

mod common;

use std::path::{Path, PathBuf};

use common::mailing::{Value, issued_batch, list_rows, number, rows_of, write_list};
use common::{text, tool};

fn tsuchi(args: &[&str], out: &Path, stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = common::command()
        .args(args)
        .arg("--out")
        .arg(out)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn json_of(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&o.stdout), text(&o.stderr)))
}

/// The bundles of the batch's 区分.xlsx as (label, count), checked against its 発送リスト: each
/// bundle's envelopes lie together in the list's order and belong to it — a district (upper five
/// digits) of at least `bundle_min`; a region (upper two) whose districts are each smaller; 雑,
/// whose regions are each smaller — the bundles in Japan Post's order (by 郵便番号, a region's
/// districts before its region bundle, 雑 last), each bundle's envelopes in 郵便番号 order.
fn presort_bundles(batch: &Path, bundle_min: usize) -> Vec<(String, usize)> {
    use std::collections::HashMap;
    let list = list_rows(batch);
    let digits = |row: &Vec<String>| row[2].replace('-', "");
    let mut per_district: HashMap<String, usize> = HashMap::new();
    for row in &list {
        *per_district.entry(digits(row)[..5].to_string()).or_default() += 1;
    }
    let rows = common::xlsx_sheet(&batch.join("print").join("区分.xlsx"), "区分");
    let mut at = 0;
    let mut bundles = Vec::new();
    let mut order = Vec::new();
    for bundle in &rows[1..] {
        let (label, count): (&str, usize) = (&bundle[1], bundle[2].parse().unwrap());
        let members = &list[at..at + count];
        assert_eq!((&members[0][1], &members[count - 1][1]), (&bundle[5], &bundle[6]), "{bundle:?}");
        assert_eq!((members[0][0].parse::<usize>().unwrap(), bundle[3].parse::<usize>().unwrap()), (at + 1, at + 1));
        let number = bundles.len() + 1;
        assert!(members.iter().all(|row| row[10] == format!("{number}（{label}）")), "{label}: {members:?}");
        let codes: Vec<String> = members.iter().map(digits).collect();
        assert!(codes.windows(2).all(|w| w[0] <= w[1]), "{label}: {codes:?}");
        match label.len() {
            6 => {
                let district = label.replace('-', "");
                assert!(codes.iter().all(|c| c[..5] == district), "{label}: {codes:?}");
                assert!(count >= bundle_min && count == per_district[&district], "{label}: {count}");
                order.push((false, district[..2].to_string(), false, district));
            }
            2 => {
                assert!(codes.iter().all(|c| c.starts_with(label) && per_district[&c[..5]] < bundle_min), "{codes:?}");
                assert!(count >= bundle_min, "{label}: {count}");
                order.push((false, label.to_string(), true, String::new()));
            }
            _ => {
                assert_eq!(label, "雑");
                assert!(codes.iter().all(|c| per_district[&c[..5]] < bundle_min), "{codes:?}");
                order.push((true, String::new(), true, String::new()));
            }
        }
        bundles.push((label.to_string(), count));
        at += count;
    }
    assert_eq!(at, list.len(), "every envelope in one bundle");
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    bundles
}

/// The 管理番号 of the batch's 発送リスト, in list order.
fn listed_controls(batch: &Path) -> Vec<String> {
    list_rows(batch).into_iter().map(|r| r[1].clone()).collect()
}

/// Every code zbarimg finds on each page of `pdf` rasterised at 300 dpi, page by page.
fn decoded_pages(pdf: &Path, dir: &Path) -> Vec<Vec<String>> {
    let prefix = dir.join("page");
    tool("pdftoppm", &["-r", "300", "-gray", "-png", pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|page| {
            // zbarimg exits 4 when a page holds no code (the cover): not a failure here.
            let out = std::process::Command::new("zbarimg")
                .args(["--quiet", "--raw", "-Sdisable", "-Scode128.enable"])
                .arg(page)
                .output()
                .expect("zbarimg is needed for this test (scripts/test installs zbar-tools)");
            assert!(matches!(out.status.code(), Some(0 | 4)), "zbarimg: {}", text(&out.stderr));
            text(&out.stdout).lines().map(str::to_string).collect()
        })
        .collect()
}

#[test]
fn every_mailed_page_carries_its_control_number_as_a_code_zbar_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let batch = issued_batch(&out, &[]);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let controls = listed_controls(&batch);
    assert!(controls.len() >= 10, "{controls:?}");
    let pngs = dir.path().join("png");
    std::fs::create_dir(&pngs).unwrap();
    let pages = decoded_pages(&batch.join("print").join(format!("{id}.pdf")), &pngs);
    // The cover carries no code; every notice page exactly one, its own, in the list's order.
    assert_eq!(pages.len(), 1 + controls.len(), "{pages:?}");
    assert!(pages[0].is_empty(), "the cover carries a code: {:?}", pages[0]);
    let decoded: Vec<String> = pages[1..]
        .iter()
        .map(|codes| {
            assert_eq!(codes.len(), 1, "{codes:?}");
            codes[0].clone()
        })
        .collect();
    assert_eq!(decoded, controls);

    // The mail room scans the pages read back from the PDF: the third page is left out and
    // the fifth scanned twice; a code of no notice too.
    let mut input: Vec<&str> = decoded.iter().map(String::as_str).collect();
    input.remove(2);
    input.insert(4, &decoded[4]);
    input.push("20991231-000000-00001");
    let o = tsuchi(&["mail", "scan", "--json"], &out, &format!("{}\n\n", input.join("\r\n")));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let scan = json_of(&o);
    common::schema::assert_schema(&scan);
    assert_eq!(scan["batch"], id.as_str());
    assert_eq!(scan["enclosed"], controls.len() - 1);
    assert_eq!(scan["problems"], 3);
    assert_eq!(scan["remaining"], serde_json::json!([controls[2]]));
    let scans = scan["scans"].as_array().unwrap();
    assert_eq!(scans.len(), input.len());
    assert_eq!(scans[2]["outcome"], "enclosed");
    assert_eq!(scans[2]["skipped"], serde_json::json!([controls[2]]), "{scans:?}");
    assert_eq!(scans[4]["outcome"], "twice");
    assert_eq!(scans[4]["control_no"], controls[4].as_str());
    assert_eq!(scans.last().unwrap()["outcome"], "unknown");
    assert!(scans.iter().filter(|s| s["outcome"] == "enclosed").all(|s| s["line"].as_u64().unwrap() >= 1));

    // The page left out turns up and is scanned: now every notice is enclosed; a second scan
    // of it, in English, says so at once.
    let o = tsuchi(&["--lang", "en", "mail", "scan"], &out, &format!("{}\n{}\n", controls[2], controls[2]));
    assert_eq!(o.status.code(), Some(1));
    let lines = text(&o.stdout);
    assert!(lines.contains(&format!("OK 1: {}  enclosed", controls[2])), "{lines}");
    assert!(lines.contains(&format!("!! 2: {}  scanned before", controls[2])), "{lines}");
    assert!(lines.contains("0 notice(s) not yet enclosed"), "{lines}");
    let status = json_of(&tsuchi(&["status", "--batch", &id, "--json"], &out, ""));
    common::schema::assert_schema(&status);
    assert_eq!(status["reconciliation"]["enclosed"], controls.len());
    assert_eq!(status["reconciliation"]["unaccounted"], controls.len());
    assert_eq!(status["reconciliation"]["complete"], false);
    assert_eq!(common::mailing::event_count(&out, "mail.enclosed"), controls.len());
}

#[test]
fn a_batch_is_complete_only_when_every_notice_is_mailed_returned_or_withdrawn() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let batch = issued_batch(&out, &[]);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let controls = listed_controls(&batch);

    // The pre-sort's bundles cover every envelope once, in the 発送リスト's order; the
    // conditions sheet says the batch is short of 2,000.
    let bundles = presort_bundles(&batch, 10);
    assert_eq!(bundles.iter().map(|b| b.1).sum::<usize>(), controls.len());
    let terms = common::xlsx_sheet(&batch.join("print").join("区分.xlsx"), "条件");
    assert!(terms.iter().any(|r| r[1].contains("2,000通に") && r[1].contains("足りません")), "{terms:?}");

    let reconciliation = || json_of(&tsuchi(&["status", "--batch", &id, "--json"], &out, ""))["reconciliation"].clone();
    let r = reconciliation();
    assert_eq!(
        (r["printed"].as_u64(), r["unaccounted"].as_u64()),
        (Some(controls.len() as u64), Some(controls.len() as u64))
    );

    // One code per call, as the browser's field sends them: the second call still hears that
    // the page between was skipped.
    let one = |code: &str| json_of(&tsuchi(&["mail", "scan", "--json"], &out, &format!("{code}\n")));
    assert_eq!(one(&controls[0])["problems"], 0);
    let scan = one(&controls[2]);
    assert_eq!(scan["scans"][0]["skipped"], serde_json::json!([controls[1]]));

    // The third page is spoiled (after it was enclosed): its notice is withdrawn, a second spoil and its scan refused.
    let spoiled = &controls[2];
    let o = tsuchi(&["spoil", spoiled, "--reason", "紙詰まりで破損"], &out, "");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("--reissue"), "{}", text(&o.stdout));
    assert_eq!(tsuchi(&["spoil", spoiled, "--reason", "again"], &out, "").status.code(), Some(2));
    let spoil = json_of(&tsuchi(&["spoil", &controls[3], "--reason", "インクのかすれ", "--json"], &out, ""));
    common::schema::assert_schema(&spoil);
    assert_eq!(spoil["notice"]["control_no"], controls[3].as_str());
    let scan = json_of(&tsuchi(&["mail", "scan", "--json"], &out, &format!("{spoiled}\n")));
    common::schema::assert_schema(&scan);
    assert_eq!(scan["scans"][0]["outcome"], "withdrawn");
    assert_eq!(scan["enclosed"], 0);

    // The notice of the second spoiled page is issued again, with new passwords, in a new batch;
    // its page scanned while scanning the first batch is another batch's.
    let request = spoil["notice"]["request_id"].as_str().unwrap().to_string();
    let second = issued_batch(&out, &["--reissue", &request, "--reason", "汚損のため再発行"]);
    assert_ne!(second, batch);
    let second_controls = listed_controls(&second);
    assert_eq!(second_controls.len(), 1);
    let scan =
        json_of(&tsuchi(&["mail", "scan", "--batch", &id, "--json"], &out, &format!("{}\n", second_controls[0])));
    assert_eq!(scan["scans"][0]["outcome"], "other_batch");
    assert_eq!(scan["scans"][0]["batch"], second.file_name().unwrap().to_str().unwrap());
    assert_eq!(reconciliation()["reissued"], 1);

    // Every other notice is mailed; the spoiled one's row, had the mail room filled it, is refused.
    let rows = rows_of(&batch, |r| Value::Number(number(r)));
    let list = write_list(dir.path(), "sent.xlsx", &[("発送リスト", &rows)]);
    let o = tsuchi(&["mail", "import", list.to_str().unwrap()], &out, "");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let r = reconciliation();
    assert_eq!(r["mailed"], controls.len() - 2);
    assert_eq!(r["withdrawn"], 2);
    assert_eq!(r["spoiled"], 2);
    assert_eq!(r["unaccounted"], 0);
    assert_eq!(r["complete"], true);
    let text_status = text(&tsuchi(&["status", "--batch", &id], &out, "").stdout);
    assert!(text_status.contains("取消 2・未確認 0　完了"), "{text_status}");

    // 完了: purge needs no --force, and a sent notice can no longer be spoiled.
    assert_eq!(tsuchi(&["spoil", &controls[0], "--reason", "x"], &out, "").status.code(), Some(2));
    let o = tsuchi(&["purge", &id], &out, "");
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
}

/// With `[mailroom] bundle_slips = "always"` (by default from 2,000 envelopes, 区分郵便物's
/// minimum), a slip page (区分票) with its district and count lies before each pre-sort bundle;
/// it carries no code, and every notice page still carries its own, in order.
#[test]
fn a_slip_page_lies_before_each_bundle_and_the_notice_codes_still_read_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tsuchi.toml"),
        common::config_with("[mailroom]\nbundle_slips = \"always\"\nbundle_min = 1\n"),
    )
    .unwrap();
    let out = dir.path().join("output");
    let batch = issued_batch(&out, &[]);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let controls = listed_controls(&batch);
    let bundles = presort_bundles(&batch, 1);
    assert!(bundles.len() > 1, "{bundles:?}");
    let pdf = batch.join("print").join(format!("{id}.pdf"));
    let pngs = dir.path().join("png");
    std::fs::create_dir(&pngs).unwrap();
    let pages = decoded_pages(&pdf, &pngs);
    assert_eq!(pages.len(), 1 + controls.len() + bundles.len());
    let words = common::words(&pdf);
    let text = |page: usize| words[page].iter().map(|w| w.4.as_str()).collect::<String>();
    // Cover, then for each bundle its slip and its notices.
    let mut page = 1;
    let mut seq = 0;
    for (district, count) in &bundles {
        assert!(pages[page].is_empty(), "a slip carries no code: {:?}", pages[page]);
        let slip = text(page);
        assert!(
            slip.contains("区分票") && slip.contains(district.as_str()) && slip.contains(&format!("{count}通")),
            "{slip}"
        );
        page += 1;
        for _ in 0..*count {
            assert_eq!(pages[page], [controls[seq].clone()], "page {page}");
            page += 1;
            seq += 1;
        }
    }
    assert_eq!(seq, controls.len());
    let status = json_of(&tsuchi(&["status", "--batch", &id, "--json"], &out, ""));
    assert_eq!(status["paper"], controls.len());
}

/// A valid 事業所番号 from its nine digits (the check digit as the intake computes it).
fn office_no(payload: &str) -> String {
    format!("{payload}{}", tsuchi::engine::intake::fields::office_check_digit(payload).unwrap())
}

/// A request list of 2,500 notices by mail (登録結果 and 再発行 in turn) to real places of Japan
/// Post's table, shaped to make every kind of pre-sort bundle: 47 districts of 50 envelopes
/// (a bundle each), five regions of six districts of 4 (too small alone, 24 together: a region
/// bundle each), and fifteen regions of one district of 2 (together the 雑 bundle).
fn mail_room_list(path: &Path) -> usize {
    use std::collections::BTreeMap;
    let table = tsuchi::ground::postal::table();
    // The first plain town of each district (upper five digits), by region (upper two).
    let mut regions: BTreeMap<u32, BTreeMap<u32, &tsuchi::ground::postal::Entry>> = BTreeMap::new();
    for e in table.all() {
        let plain = e.kind == tsuchi::ground::postal::Kind::Area
            && e.note.is_empty()
            && !e.town.is_empty()
            && e.town.chars().all(|c| !"（）()、「」・".contains(c) && !c.is_ascii_digit())
            && !e.town.contains("場合")
            && !e.town.contains("丁目");
        if plain {
            regions.entry(e.code / 100_000).or_default().entry(e.code / 100).or_insert(e);
        }
    }
    let regions: Vec<Vec<&tsuchi::ground::postal::Entry>> =
        regions.into_values().map(|d| d.into_values().collect()).collect();
    let mut places: Vec<(&tsuchi::ground::postal::Entry, usize)> = Vec::new();
    places.extend(regions[..15].iter().map(|r| (r[0], 2)));
    let mut rest = regions[15..].iter();
    for region in rest.by_ref().filter(|r| r.len() >= 6).take(5) {
        places.extend(region[..6].iter().map(|e| (*e, 4)));
    }
    places.extend(rest.flat_map(|r| r.iter().take(3)).take(47).map(|e| (*e, 50)));
    let mut csv = String::from("申請番号,通知種別,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID\n");
    let mut n = 0;
    for (entry, count) in places {
        for _ in 0..count {
            let office = office_no(&format!("13{:07}", 7 * n + 1));
            let kind = ["登録結果", "再発行"][n % 2];
            let address = format!("{}{}{}{}番{}号", entry.prefecture, entry.city, entry.town, n % 40 + 1, n % 9 + 1);
            csv.push_str(&format!(
                "M{n:05},{kind},{office},社会福祉法人区分会 第{n}ケアセンター,{},{address},03-1234-{:04},,KJ13{office}\n",
                entry.code_text(),
                n % 10_000
            ));
            n += 1;
        }
    }
    std::fs::write(path, csv).unwrap();
    n
}

/// The codes zbarimg reads from the corner of every page of `pdf` where the control number's code
/// is printed, rasterised at 200 dpi in two halves at once, in page order.
fn decoded_corners(pdf: &Path, pages: usize, dir: &Path) -> Vec<String> {
    let half = pages.div_ceil(2);
    let halves: Vec<std::thread::JoinHandle<()>> = [(1, half), (half + 1, pages)]
        .into_iter()
        .map(|(first, last)| {
            let (pdf, prefix) = (pdf.to_path_buf(), dir.join(format!("c{first:05}")));
            std::thread::spawn(move || {
                // 100–200 mm from the left, 35–75 mm from the top: the code, under the issuer.
                let (first, last) = (first.to_string(), last.to_string());
                let args = ["-r", "200", "-x", "787", "-y", "275", "-W", "787", "-H", "315", "-gray", "-png"];
                let mut all: Vec<&str> = args.to_vec();
                all.extend(["-f", &first, "-l", &last, pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
                tool("pdftoppm", &all);
            })
        })
        .collect();
    for h in halves {
        h.join().unwrap();
    }
    let mut crops: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    crops.sort();
    assert_eq!(crops.len(), pages);
    // Sorted by page: pdftoppm names each crop by its page number, zero-padded alike in a file.
    crops.sort_by_key(|p| {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        name.rsplit('-').next().unwrap().parse::<usize>().unwrap()
    });
    let out = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Scode128.enable"])
        .args(&crops)
        .output()
        .expect("zbarimg is needed for this test (scripts/test installs zbar-tools)");
    // 4: some image (the cover, a slip) holds no code.
    assert!(matches!(out.status.code(), Some(0 | 4)), "zbarimg: {}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_string).collect()
}

/// The issue's whole mail room on a batch big enough for 区分郵便物: 2,500 notices print with a
/// slip before each bundle in Japan Post's order; every code read back from the bundle's PDF by
/// zbar and scanned marks its notice 封入済み, a skipped page and a second scan said at once; a
/// spoiled page is reissued with new passwords and the hand-off withdraws the old ones; the batch
/// is 完了 only when every notice is mailed, returned or withdrawn.
#[test]
fn a_2500_notice_batch_is_presorted_scanned_into_its_envelopes_and_balanced() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("requests.csv");
    assert_eq!(mail_room_list(&list), 2_500);
    let key = dir.path().join("key.txt");
    let recipient = common::age_identity(&key);
    let config = dir.path().join("tsuchi.toml");
    let settings = common::test_config_without_handoff();
    std::fs::write(&config, format!("{settings}\n[handoff]\nrecipients = [\"{recipient}\"]\n")).unwrap();
    let out = dir.path().join("output");
    let batch_of = |command: &str, extra: &[&str]| {
        let mut args = vec![command, list.to_str().unwrap(), "--config", config.to_str().unwrap(), "--json"];
        args.extend(["--date", "2026-04-01", "--allow-date"]);
        args.extend(extra);
        tsuchi(&args, &out, "")
    };

    // check and run agree, and both say the batch reaches 区分郵便物's 2,000.
    let check = batch_of("check", &[]);
    let check = json_of(&check);
    let o = batch_of("run", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let run = json_of(&o);
    common::schema::assert_schema(&run);
    assert_eq!(check["counts"], run["counts"]);
    assert_eq!(check["presort"], run["presort"]);
    let presort = &run["presort"];
    assert_eq!((presort["envelopes"].as_u64(), presort["bundles"].as_u64()), (Some(2_500), Some(47 + 5 + 1)));
    let discount = |name: &str| presort["discounts"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap();
    // Sent by 簡易書留 (the default): 3 % of 110 yen × 2,500 and 11 yen × 2,500, both to confirm.
    assert_eq!(
        (discount("presort")["applies"].as_str(), discount("presort")["yen"].as_u64()),
        (Some("unconfirmed"), Some(8_250))
    );
    assert_eq!(discount("barcode")["applies"], "no");
    assert_eq!(discount("registered_bulk")["yen"], 27_500);
    assert_eq!(run["counts"]["print.pages"], 1 + 2_500 + 53);

    let batch = PathBuf::from(run["dir"].as_str().unwrap());
    let id = run["batch_id"].as_str().unwrap().to_string();
    let controls = listed_controls(&batch);
    assert_eq!(controls.len(), 2_500);
    let bundles = presort_bundles(&batch, 10);
    let shape: Vec<usize> = bundles.iter().map(|b| b.1).collect();
    assert_eq!(shape.iter().filter(|&&c| c == 50).count(), 47, "{bundles:?}");
    assert_eq!(bundles.iter().filter(|b| b.0.len() == 2).map(|b| b.1).collect::<Vec<_>>(), [24; 5]);
    assert_eq!(bundles.last().unwrap(), &("雑".to_string(), 30));

    // The print bundle: the cover, then each bundle's slip and its notices, every notice page
    // stamped with its own control number.
    let pdf = batch.join("print").join(format!("{id}.pdf"));
    let pages: Vec<String> = tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"])
        .split('\u{c}')
        .map(|p| p.chars().filter(|c| !c.is_whitespace()).collect())
        .collect();
    // The cover counts the slips among the pages and says the order is the bundles'.
    assert!(pages[0].contains("2554ページ（この表紙と区分票53枚を含む）"), "{}", pages[0]);
    assert!(pages[0].contains("区分郵便物の束の順、53束"), "{}", pages[0]);
    let mut page = 1;
    let mut seq = 0;
    for (label, count) in &bundles {
        assert!(
            pages[page].contains("区分票") && pages[page].contains(&format!("{label}{count}通")),
            "{}",
            pages[page]
        );
        page += 1;
        for _ in 0..*count {
            assert!(pages[page].contains(&controls[seq]) && !pages[page].contains("区分票"), "page {page}");
            page += 1;
            seq += 1;
        }
    }
    assert_eq!(page, 1 + 2_500 + 53);

    // Every code, read by zbar from the PDF: one per notice page, none on the cover or a slip,
    // in the 発送リスト's order.
    let crops = dir.path().join("crops");
    std::fs::create_dir(&crops).unwrap();
    let decoded = decoded_corners(&pdf, page, &crops);
    assert_eq!(decoded, controls);

    // The mail room scans them all: the third page is left out, the fifth scanned twice.
    let mut input: Vec<&str> = decoded.iter().map(String::as_str).collect();
    input.remove(2);
    input.insert(4, &decoded[4]);
    let scan = json_of(&tsuchi(&["mail", "scan", "--json"], &out, &(input.join("\n") + "\n")));
    assert_eq!((scan["enclosed"].as_u64(), scan["problems"].as_u64()), (Some(2_499), Some(2)));
    assert_eq!(scan["remaining"], serde_json::json!([controls[2]]));
    let scans = scan["scans"].as_array().unwrap();
    assert_eq!(scans[2]["skipped"], serde_json::json!([controls[2]]));
    assert_eq!(
        (scans[4]["outcome"].as_str(), scans[4]["control_no"].as_str()),
        (Some("twice"), Some(controls[4].as_str()))
    );
    let scan = json_of(&tsuchi(&["mail", "scan", "--json"], &out, &format!("{}\n", controls[2])));
    assert_eq!((scan["enclosed"].as_u64(), scan["problems"].as_u64()), (Some(1), Some(0)));
    assert_eq!(scan["remaining"], serde_json::json!([]));
    let reconciliation = || json_of(&tsuchi(&["status", "--batch", &id, "--json"], &out, ""))["reconciliation"].clone();
    assert_eq!(reconciliation()["enclosed"], 2_500);

    // A page is spoiled: its notice is withdrawn and issued again with new passwords; the new
    // batch's hand-off withdraws the old ones first.
    let spoiled = &controls[1_234];
    let spoil = json_of(&tsuchi(&["spoil", spoiled, "--reason", "封入機で破損", "--json"], &out, ""));
    let request = spoil["notice"]["request_id"].as_str().unwrap().to_string();
    let o = batch_of("run", &["--reissue", &request, "--reason", "汚損のため再発行"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let second = json_of(&o);
    let decrypt = |batch: &serde_json::Value| {
        let file = Path::new(batch["dir"].as_str().unwrap())
            .join("handoff")
            .join(format!("{}.csv.age", batch["batch_id"].as_str().unwrap()));
        let csv = tool("age", &["-d", "-i", key.to_str().unwrap(), file.to_str().unwrap()]);
        csv.split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect::<Vec<Vec<String>>>()
    };
    let first_rows = decrypt(&run);
    assert_eq!(first_rows.len(), 2_500);
    let old = first_rows.iter().find(|r| r[0] == request).unwrap();
    let new_rows = decrypt(&second);
    assert_eq!(new_rows.len(), 2, "{new_rows:?}");
    assert_eq!((new_rows[0][0].as_str(), new_rows[0][1].as_str()), (request.as_str(), "取消"));
    assert_eq!((new_rows[0][2].as_str(), &new_rows[0][5..7]), (old[2].as_str(), &[String::new(), String::new()][..]));
    assert_eq!((new_rows[1][0].as_str(), new_rows[1][1].as_str()), (request.as_str(), old[1].as_str()));
    assert!(new_rows[1][5] != old[5] && !new_rows[1][5].is_empty(), "a new temporary password");
    let r = reconciliation();
    assert_eq!((r["spoiled"].as_u64(), r["withdrawn"].as_u64(), r["reissued"].as_u64()), (Some(1), Some(1), Some(1)));

    // 2,498 mailed (the spoiled one's row left as the mail room would, and one more left
    // blank): not 完了 while one notice is unaccounted for; its return balances the batch.
    let missing = &controls[2_000];
    let rows: Vec<common::mailing::Row> = rows_of(&batch, |r| Value::Number(number(r)))
        .into_iter()
        .filter(|row| row.control() != spoiled && row.control() != missing)
        .collect();
    let sent = write_list(dir.path(), "sent.xlsx", &[("発送リスト", &rows)]);
    let o = tsuchi(&["mail", "import", sent.to_str().unwrap(), "--json"], &out, "");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = reconciliation();
    assert_eq!(
        (r["mailed"].as_u64(), r["unaccounted"].as_u64(), r["complete"].as_bool()),
        (Some(2_498), Some(1), Some(false))
    );
    assert_eq!(tsuchi(&["purge", &id], &out, "").status.code(), Some(2), "purge needs 完了 (or --force)");
    let o = tsuchi(&["mail", "returned", missing, "--reason", "宛所不明"], &out, "");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = reconciliation();
    assert_eq!(
        (r["printed"].as_u64(), r["mailed"].as_u64(), r["returned"].as_u64(), r["withdrawn"].as_u64()),
        (Some(2_500), Some(2_498), Some(1), Some(1))
    );
    assert_eq!((r["unaccounted"].as_u64(), r["complete"].as_bool()), (Some(0), Some(true)));
}
