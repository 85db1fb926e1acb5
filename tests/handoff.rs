//! The システム登録ファイル and 他県ユーザID, from the outside: an office that bills two
//! prefectures gets both notices (own files, ZIPs, bundle pages, prefecture printed); Debian's
//! `age` (an independent implementation) decrypts the hand-off file with an identity from
//! `age-keygen`, and the passwords inside are exactly those printed on the notices; the ledger
//! records the file's hash and recipients, never a password. Without a recipient there is no
//! file, and the summary and the audit log say so.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{batch_dir, batch_dirs, files_under, secrets_in, text, tool, tsuchi, xlsx_rows};

const HEADER: &str =
    "申請番号,通知種別,審査結果,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID,請求先都道府県\n";

/// One office (1371000124) billing Tokyo and Kanagawa: a 再発行 for each ユーザID and a
/// 証明書PW再発行 for the Kanagawa one; and a 登録結果 for another office.
const LIST: &str = "\
H-1,再発行,承認,1371000124,訪問介護ステーションひまわり,160-0023,東京都新宿区西新宿2-8-1 新宿ビル3F,03-5321-1111,03-5321-1112,KJ131371000124,13
H-2,再発行,承認,1371000124,訪問介護ステーションひまわり,160-0023,東京都新宿区西新宿2-8-1 新宿ビル3F,03-5321-1111,03-5321-1112,KJ141371000124,14
H-3,証明書PW再発行,承認,1371000124,訪問介護ステーションひまわり,160-0023,東京都新宿区西新宿2-8-1 新宿ビル3F,03-5321-1111,03-5321-1112,KJ141371000124,14
H-4,登録結果,承認,1371000017,社会福祉法人あおぞら会 特別養護老人ホームさくら苑,100-0013,東京都千代田区霞が関1丁目3番2号,03-3581-0001,03-3581-0002,KJ131371000017,13
";

struct Setup {
    dir: tempfile::TempDir,
    list: PathBuf,
    config: PathBuf,
    key: PathBuf,
    recipient: String,
}

/// A list, an age identity from `age-keygen`, and a tsuchi.toml naming its public key (or none).
fn setup(with_recipient: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("requests.csv");
    std::fs::write(&list, format!("{HEADER}{LIST}")).unwrap();
    let key = dir.path().join("key.txt");
    let recipient = common::age_identity(&key);
    let config = dir.path().join("tsuchi.toml");
    let recipients = if with_recipient { format!("\"{recipient}\"") } else { String::new() };
    let settings = common::test_config_without_handoff();
    std::fs::write(&config, format!("{settings}\n[handoff]\nrecipients = [{recipients}]\n")).unwrap();
    Setup { dir, list, config, key, recipient }
}

fn run(s: &Setup, command: &str) -> (Option<i32>, String, String) {
    let out = tsuchi(
        &[
            command,
            s.list.to_str().unwrap(),
            "--config",
            s.config.to_str().unwrap(),
            "--date",
            "2026-01-10",
            "--allow-date",
        ],
        s.dir.path(),
    );
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn names(dir: &Path) -> Vec<String> {
    files_under(dir).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect()
}

fn pdftext(pdf: &Path) -> String {
    tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]).split_whitespace().collect()
}

#[test]
fn an_office_billing_two_prefectures_gets_both_notices_and_age_recovers_the_printed_passwords() {
    let s = setup(true);
    let (code, stdout, _) = run(&s, "check");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("発行される通知書：4件（発行済み 0件）"), "{stdout}");

    let (code, stdout, stderr) = run(&s, "run");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    // The one batch (`check` wrote its reports to output/check).
    let batch = batch_dirs(&s.dir.path().join("output")).into_iter().find(|d| !d.ends_with("check")).unwrap();
    let batch_id = batch.file_name().unwrap().to_string_lossy().into_owned();

    // Two notices and two ZIPs for the office, told apart by the ユーザID.
    let mut notices = names(&batch.join("notices"));
    notices.sort();
    assert_eq!(
        notices,
        [
            "1371000017_登録結果.pdf",
            "1371000124_KJ131371000124_再発行.pdf",
            "1371000124_KJ141371000124_再発行.pdf",
            "1371000124_KJ141371000124_証明書PW再発行.pdf",
        ]
    );
    let mut zips = names(&batch.join("zip"));
    zips.sort();
    assert_eq!(zips, notices.iter().map(|n| n.replace(".pdf", ".zip")).collect::<Vec<_>>());

    // The notice shows the 請求先都道府県 where the office has two; not elsewhere.
    let tokyo = pdftext(&batch.join("notices/1371000124_KJ131371000124_再発行.pdf"));
    let kanagawa = pdftext(&batch.join("notices/1371000124_KJ141371000124_再発行.pdf"));
    assert!(tokyo.contains("請求先都道府県東京都") && tokyo.contains("KJ131371000124"), "{tokyo}");
    assert!(kanagawa.contains("請求先都道府県神奈川県") && kanagawa.contains("KJ141371000124"), "{kanagawa}");
    assert!(!pdftext(&batch.join("notices/1371000017_登録結果.pdf")).contains("請求先都道府県"));

    // Both paper notices are in the bundle (cover + 3 pages) and on the mailing list, each with its
    // own control number.
    let bundle = batch.join(format!("print/{batch_id}.pdf"));
    let info = tool("pdfinfo", &[bundle.to_str().unwrap()]);
    assert!(info.lines().any(|l| l.split_whitespace().eq(["Pages:", "4"])), "{info}");
    let bundle_text = pdftext(&bundle);
    assert!(bundle_text.contains("KJ131371000124") && bundle_text.contains("KJ141371000124"));
    let list = xlsx_rows(&batch.join("print/発送リスト.xlsx"));
    let controls: Vec<&String> = list.iter().skip(1).map(|row| &row[1]).collect();
    assert_eq!(controls.len(), 3, "{list:?}");
    assert!(controls.windows(2).all(|w| w[0] != w[1]), "{controls:?}");

    // The 証明書PW再発行 ZIP of the Kanagawa ID opens with that ID's login password, not Tokyo's.
    let printed = |stem: &str| secrets_in(&batch.join(format!("notices/{stem}.pdf")));
    let cert_zip = batch.join("zip/1371000124_KJ141371000124_証明書PW再発行.zip");
    let opens = |password: &str| {
        std::process::Command::new("7z")
            .args(["t", &format!("-p{password}"), cert_zip.to_str().unwrap()])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("7z (p7zip-full) is needed for this test")
            .status
            .success()
    };
    assert!(opens(&printed("1371000124_KJ141371000124_再発行")[0]));
    assert!(!opens(&printed("1371000124_KJ131371000124_再発行")[0]));

    // The hand-off file: ciphertext only, private, and Debian's age opens it with the identity.
    let handoff = batch.join(format!("handoff/{batch_id}.csv.age"));
    let bytes = std::fs::read(&handoff).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&handoff).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let csv = tool("age", &["-d", "-i", s.key.to_str().unwrap(), handoff.to_str().unwrap()]);
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("申請番号,通知種別,ユーザID,事業所番号,請求先都道府県,仮パスワード,証明書発行用パスワード,発行日")
    );
    let rows: BTreeMap<String, Vec<String>> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let fields: Vec<String> = l.split(',').map(str::to_string).collect();
            assert_eq!(fields.len(), 8, "{}", fields[..5].join(","));
            (fields[0].clone(), fields)
        })
        .collect();
    assert_eq!(rows.keys().map(String::as_str).collect::<Vec<_>>(), ["H-1", "H-2", "H-3", "H-4"]);
    let expect = |id: &str, kind: &str, user: &str, office: &str, pref: &str, stem: &str| {
        let row = &rows[id];
        assert_eq!(&row[1..5], [kind, user, office, pref], "{id}");
        assert_eq!(row[7], "2026-01-10", "{id}");
        let mut inside: Vec<&str> =
            [&row[5], &row[6]].into_iter().filter(|p| !p.is_empty()).map(String::as_str).collect();
        let on_paper = printed(stem);
        // Never print a password in a message: compare, and say which notice.
        assert!(inside.len() == on_paper.len(), "{id}: number of passwords");
        for (a, b) in inside.drain(..).zip(&on_paper) {
            assert!(a == b, "{id}: the password in the hand-off file differs from the one on {stem}.pdf");
        }
    };
    expect("H-1", "再発行", "KJ131371000124", "1371000124", "13", "1371000124_KJ131371000124_再発行");
    expect("H-2", "再発行", "KJ141371000124", "1371000124", "14", "1371000124_KJ141371000124_再発行");
    expect("H-3", "証明書PW再発行", "KJ141371000124", "1371000124", "14", "1371000124_KJ141371000124_証明書PW再発行");
    expect("H-4", "登録結果", "KJ131371000017", "1371000017", "13", "1371000017_登録結果");
    assert!(rows["H-1"][6].is_empty() && rows["H-3"][5].is_empty());
    let passwords: Vec<String> =
        rows.values().flat_map(|r| [r[5].clone(), r[6].clone()]).filter(|p| !p.is_empty()).collect();
    assert_eq!(passwords.len(), 5);

    // The audit record: the file's hash and its recipient, no password; the manifest hashes it.
    let events = std::fs::read_to_string(batch.join("audit/events.jsonl")).unwrap();
    let written = events.lines().find(|l| l.contains("\"handoff.written\"")).expect("a handoff.written event");
    let sha256 = tool("sha256sum", &[handoff.to_str().unwrap()]).split_whitespace().next().unwrap().to_string();
    assert!(written.contains(&sha256) && written.contains(&s.recipient), "{written}");
    assert!(written.contains("\"rows\":4"), "{written}");
    let manifest = std::fs::read_to_string(batch.join("manifest.json")).unwrap();
    assert!(manifest.contains(&format!("handoff/{batch_id}.csv.age")) && manifest.contains(&sha256));
    let ledger = std::fs::read(s.dir.path().join("output/ledger.sqlite")).unwrap();
    for (place, content) in [
        ("stdout", stdout.as_bytes()),
        ("stderr", stderr.as_bytes()),
        ("events.jsonl", events.as_bytes()),
        ("ledger.sqlite", &ledger),
        ("manifest.json", manifest.as_bytes()),
    ] {
        for p in &passwords {
            assert!(!content.windows(p.len()).any(|w| w == p.as_bytes()), "a password leaked into {place}");
        }
    }
    assert!(stdout.contains(&format!("handoff/{batch_id}.csv.age（4件）")), "{stdout}");
    assert!(!stderr.contains("[handoff]"), "{stderr}");
    let verify = tsuchi(&["verify", batch.to_str().unwrap()], s.dir.path());
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));

    // check after run: the four rows are 発行済み, with the batch that issued them.
    let (code, stdout, _) = run(&s, "check");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("発行される通知書：0件（発行済み 4件）"), "{stdout}");
    assert_eq!(stdout.matches(&format!("バッチ {batch_id} で発行済み")).count(), 4, "{stdout}");
}

#[test]
fn without_a_recipient_run_refuses_and_check_says_it_would() {
    let s = setup(false);
    let (code, stdout, stderr) = run(&s, "run");
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("[handoff] recipients") && stderr.contains("mode = \"manual\""), "{stderr}");
    assert!(!stderr.contains("行目"), "no row is blamed: {stderr}");
    assert!(!s.dir.path().join("output").exists(), "nothing written");
    // check reads only: it does not refuse, but says what run would.
    let (code, stdout, _) = run(&s, "check");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("run はこのままでは発行しません") && stdout.contains("[handoff] recipients"), "{stdout}");
}

#[test]
fn manual_mode_issues_without_a_file_and_every_summary_and_the_audit_log_say_so() {
    let s = setup(false);
    let settings = common::test_config_without_handoff();
    std::fs::write(&s.config, format!("{settings}\n[handoff]\nmode = \"manual\"\n")).unwrap();
    let dry =
        tsuchi(&["run", s.list.to_str().unwrap(), "--config", s.config.to_str().unwrap(), "--dry-run"], s.dir.path());
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    assert!(text(&dry.stdout).contains("別の経路"), "the dry run says so too: {}", text(&dry.stdout));
    let (code, stdout, stderr) = run(&s, "run");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let batch = batch_dir(&s.dir.path().join("output"));
    assert!(!batch.join("handoff").exists());
    assert!(!files_under(&batch).iter().any(|p| p.to_string_lossy().contains(".csv") && !p.ends_with("rejected.csv")));
    assert!(stdout.contains("[handoff] mode = \"manual\"") && stdout.contains("運用担当が別の経路で"), "{stdout}");
    let events = std::fs::read_to_string(batch.join("audit/events.jsonl")).unwrap();
    let line = events.lines().find(|l| l.contains("\"handoff.not_written\"")).expect("a handoff.not_written event");
    assert!(line.contains("別の経路"), "{line}");
    assert!(!events.contains("handoff.written"));
    let log = xlsx_rows(&batch.join("audit/監査ログ.xlsx")).into_iter().flatten().collect::<Vec<_>>().join("\t");
    assert!(log.contains("handoff.not_written") && log.contains("別の経路"), "監査ログ.xlsx says so");
    // The JSON summary too.
    let again = tsuchi(
        &["run", s.list.to_str().unwrap(), "--config", s.config.to_str().unwrap(), "--dry-run", "--json"],
        s.dir.path(),
    );
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(json["handoff"]["status"], "manual", "{json}");
}

#[test]
fn the_same_office_id_and_kind_twice_is_still_a_duplicate() {
    let s = setup(false);
    let twice = LIST.lines().next().unwrap().replacen("H-1", "H-9", 1);
    std::fs::write(&s.list, format!("{HEADER}{LIST}{twice}\n")).unwrap();
    let (code, stdout, _) = run(&s, "check");
    assert_eq!(code, Some(1), "{stdout}");
    assert_eq!(stdout.matches("同じ事業所番号・ユーザID・通知種別（再発行）の申請が").count(), 2, "{stdout}");
    assert!(stdout.contains("発行される通知書：3件"), "{stdout}");
}

/// tsuchi's own age encryption (`src/age.rs`), decrypted by Debian's `age`: an empty payload,
/// one byte, exactly one 64 KiB chunk, one byte more, and several chunks, each to two
/// recipients (either identity opens it).
#[test]
fn debian_age_decrypts_every_chunk_shape_for_every_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<(String, tsuchi::engine::age::Recipient)> = (0..2)
        .map(|i| {
            let key = dir.path().join(format!("key{i}.txt"));
            let public = common::age_identity(&key);
            (key.to_str().unwrap().to_string(), public.parse().unwrap())
        })
        .collect();
    let recipients: Vec<tsuchi::engine::age::Recipient> = keys.iter().map(|(_, r)| r.clone()).collect();
    for len in [0, 1, 64 * 1024, 64 * 1024 + 1, 200 * 1024] {
        let plain: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let mut writer = tsuchi::engine::age::encrypt(&recipients, Vec::new()).unwrap();
        std::io::Write::write_all(&mut writer, &plain).unwrap();
        let file = dir.path().join(format!("{len}.age"));
        std::fs::write(&file, writer.finish().unwrap()).unwrap();
        for (key, _) in &keys {
            let out =
                std::process::Command::new("age").args(["-d", "-i", key, file.to_str().unwrap()]).output().unwrap();
            assert!(out.status.success(), "{len} bytes: {}", String::from_utf8_lossy(&out.stderr));
            assert!(out.stdout == plain, "{len} bytes decrypt to {} other bytes", out.stdout.len());
        }
    }
}

/// A spoiled page is never printed again: `spoil` withdraws its notice, the next run reissues
/// the request with new passwords, and that batch's hand-off first marks the old ones withdrawn
/// (a 取消 row), then carries the new ones.
#[test]
fn a_spoiled_notice_is_reissued_with_new_passwords_and_the_hand_off_withdraws_the_old_ones() {
    let s = setup(true);
    let (code, stdout, stderr) = run(&s, "run");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let out = s.dir.path().join("output");
    let first = batch_dir(&out);
    let first_id = first.file_name().unwrap().to_string_lossy().into_owned();
    let list = xlsx_rows(&first.join("print/発送リスト.xlsx"));
    let spoiled = list.iter().skip(1).find(|row| row[4].contains("さくら苑")).unwrap()[1].clone();
    let config = s.config.to_str().unwrap();
    let o = tsuchi(&["spoil", &spoiled, "--reason", "紙詰まりで破損", "--config", config], s.dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    // check says what run will write: the new notice and the 取消 row.
    let o = tsuchi(
        &[
            "check",
            s.list.to_str().unwrap(),
            "--config",
            config,
            "--date",
            "2026-01-12",
            "--allow-date",
            "--reissue",
            "H-4",
            "--json",
        ],
        s.dir.path(),
    );
    let check: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(check["counts"]["handoff.rows"], 2, "{check}");
    let o = tsuchi(
        &[
            "run",
            s.list.to_str().unwrap(),
            "--config",
            config,
            "--date",
            "2026-01-12",
            "--allow-date",
            "--reissue",
            "H-4",
            "--reason",
            "汚損のため再発行",
        ],
        s.dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let second = batch_dirs(&out).into_iter().find(|d| *d != first && !d.ends_with("check")).unwrap();
    let second_id = second.file_name().unwrap().to_string_lossy().into_owned();
    let handoff = second.join(format!("handoff/{second_id}.csv.age"));
    let csv = tool("age", &["-d", "-i", s.key.to_str().unwrap(), handoff.to_str().unwrap()]);
    let rows: Vec<Vec<&str>> =
        csv.split("\r\n").skip(1).filter(|l| !l.is_empty()).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2, "a 取消 row and the new notice");
    assert_eq!(rows[0], ["H-4", "取消", "KJ131371000017", "1371000017", "13", "", "", "2026-01-10"]);
    assert_eq!(&rows[1][..5], ["H-4", "登録結果", "KJ131371000017", "1371000017", "13"]);
    assert_eq!(rows[1][7], "2026-01-12");
    let new = secrets_in(&second.join("notices/1371000017_登録結果.pdf"));
    let old = secrets_in(&first.join("notices/1371000017_登録結果.pdf"));
    assert!(rows[1][5] == new[0] && rows[1][6] == new[1], "the hand-off carries the new notice's passwords");
    assert!(new[0] != old[0] && new[1] != old[1], "the reissue has new passwords");

    // The first batch balances: the spoiled notice withdrawn and reissued.
    let o = tsuchi(&["status", "--batch", &first_id, "--json", "--config", config], s.dir.path());
    let status: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &status["reconciliation"];
    assert_eq!((r["spoiled"].as_u64(), r["withdrawn"].as_u64(), r["reissued"].as_u64()), (Some(1), Some(1), Some(1)));
}
