//! Safe defaults (SPEC §10): no real batch with the placeholder issuer, without a hand-off
//! recipient (unless registration is manual), or to an example key; the sample settings mark
//! every page 見本 and hand off to a demo key anyone can open; and a second notice for the
//! same office across batches is held until the clerk confirms it.

mod common;

use std::path::Path;

use common::{batch_dir, batch_dirs, files_under, sample, text, tool, tsuchi};

const HEADER: &str =
    "申請番号,通知種別,審査結果,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID,請求先都道府県\n";

/// One request of `kind` for office 1371000017 (ユーザID KJ131371000017) under `id`.
fn request(id: &str, kind: &str) -> String {
    format!(
        "{id},{kind},承認,1371000017,社会福祉法人あおぞら会 特別養護老人ホームさくら苑,100-0013,東京都千代田区霞が関1丁目3番2号,03-3581-0001,03-3581-0002,KJ131371000017,13\n"
    )
}

fn list(dir: &Path, name: &str, rows: &[String]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEADER}{}", rows.concat())).unwrap();
    path.to_str().unwrap().to_string()
}

/// The batch folders of the ledger in `dir/output` (not check's reports).
fn batches(dir: &Path) -> Vec<std::path::PathBuf> {
    batch_dirs(&dir.join("output")).into_iter().filter(|d| !d.ends_with("check")).collect()
}

fn refused_with(config: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tsuchi.toml"), config).unwrap();
    let o = tsuchi(&["run", sample("requests.xlsx").to_str().unwrap(), "--out", "out"], dir.path());
    let said = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{config}: {}", text(&o.stdout));
    for e in expected {
        assert!(said.contains(e), "{e}: {said}");
    }
    assert!(!dir.path().join("out").exists(), "nothing written: {config}");
}

#[test]
fn run_refuses_the_placeholder_issuer_and_phone_before_issuing() {
    let handoff = "[handoff]\nmode = \"manual\"\n";
    refused_with(
        &format!("[issuer]\nname = \"〇〇〇国民健康保険団体連合会\"\nhelpdesk = \"電話 03-1111-2222\"\n{handoff}"),
        &["〇〇〇国民健康保険団体連合会", "[issuer] name"],
    );
    refused_with(
        &format!("[issuer]\nname = \"試験県国民健康保険団体連合会\"\nhelpdesk = \"電話 000-000-0000\"\n{handoff}"),
        &["000-000-0000", "[issuer] helpdesk"],
    );
    // The defaults, with no file at all.
    let dir = tempfile::tempdir().unwrap();
    let o = common::command()
        .current_dir(dir.path())
        .args(["run", sample("requests.xlsx").to_str().unwrap(), "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("tsuchi init"), "{}", text(&o.stderr));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn run_refuses_no_recipient_the_templates_example_key_and_the_demo_key_outside_the_samples() {
    let issuer = common::TEST_ISSUER;
    refused_with(&format!("{issuer}[handoff]\nrecipients = []\n"), &["[handoff] recipients", "mode = \"manual\""]);
    let example = tsuchi::engine::handoff::TEMPLATE_EXAMPLE_KEY;
    refused_with(&format!("{issuer}[handoff]\nrecipients = [\"{example}\"]\n"), &[example, "例の鍵"]);
    let demo = tsuchi::engine::handoff::DEMO_KEY;
    refused_with(&format!("{issuer}[handoff]\nrecipients = [\"{demo}\"]\n"), &[demo, "見本専用の鍵"]);
    // Uncommented in tsuchi init's template, the example key is refused too.
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(tsuchi(&["init"], dir.path()).status.code(), Some(0));
    let written = std::fs::read_to_string(dir.path().join("tsuchi.toml")).unwrap();
    let uncommented = written
        .replace("〇〇〇国民健康保険団体連合会", "試験県国民健康保険団体連合会")
        .replace("000-000-0000", "03-1111-2222")
        .replace("# recipients = ", "recipients = ");
    refused_with(&uncommented, &[example]);
}

#[test]
fn the_demo_key_is_the_public_key_of_the_identity_in_samples() {
    let key = std::fs::read_to_string(sample("demo-operator.key")).unwrap();
    assert!(key.contains(&format!("# public key: {}", tsuchi::engine::handoff::DEMO_KEY)), "{key}");
    assert!(key.contains("見本専用") && key.contains("DEMO KEY"), "marked as a demo key: {key}");
}

/// The README's first command: the sample list with the sample settings.
#[test]
fn a_sample_run_marks_every_page_and_its_handoff_opens_with_the_demo_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = sample("tsuchi.toml");
    let out = dir.path().join("out");
    let requests = sample("requests.xlsx");
    let args = ["run", requests.to_str().unwrap(), "--config", config.to_str().unwrap()];
    let home = dir.path().join("home");
    let o = common::command()
        .env("TSUCHI_HOME", &home)
        .args(args)
        .arg("--out")
        .arg(&out)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("どのページにも「見本」と印字"), "the summary says so: {}", text(&o.stdout));
    let batch = batch_dir(&out);
    // The issuer's own name does not hold the word: what is found is the watermark.
    let settings = std::fs::read_to_string(&config).unwrap();
    let issuer = settings.lines().find(|l| l.starts_with("name = ")).unwrap();
    assert!(!issuer.contains("見本"), "{issuer}");
    let mut pdfs = Vec::new();
    for folder in ["notices", "archive", "print", "secrets"] {
        let found: Vec<_> = files_under(&batch.join(folder))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
            .collect();
        assert!(!found.is_empty(), "{folder}");
        pdfs.extend(found);
    }
    for pdf in &pdfs {
        let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
        let pages: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap();
        for page in 1..=pages {
            let p = page.to_string();
            let words = tool("pdftotext", &["-raw", "-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"]);
            let joined: String = words.split_whitespace().collect();
            assert!(joined.contains("見本"), "page {page} of {} carries no 見本", pdf.display());
        }
    }
    // Debian's age opens the hand-off with the identity shipped in samples/.
    let handoff = files_under(&batch.join("handoff")).remove(0);
    let plain = tool("age", &["-d", "-i", sample("demo-operator.key").to_str().unwrap(), handoff.to_str().unwrap()]);
    assert!(plain.starts_with("申請番号,通知種別,ユーザID"), "{plain}");
    assert_eq!(plain.lines().count(), 21, "a header and the 20 notices");
    // A sample ledger is not the installation's: it does not go on the user's list.
    let listed = common::command().env("TSUCHI_HOME", &home).arg("ledgers").current_dir(dir.path()).output().unwrap();
    assert!(text(&listed.stdout).contains("台帳（0件"), "{}", text(&listed.stdout));
    assert!(!text(&listed.stdout).contains(&out.display().to_string()), "{}", text(&listed.stdout));

    // The same run with real settings: no 見本 anywhere.
    let real = dir.path().join("real");
    let o = common::run_sample(dir.path(), &real, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let notice = files_under(&batch_dir(&real).join("notices")).remove(0);
    assert!(!tool("pdftotext", &["-raw", notice.to_str().unwrap(), "-"]).contains('見'));
}

#[test]
fn a_second_registration_across_batches_is_held_until_confirmed_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    common::test_config(dir.path());
    let first = list(dir.path(), "first.csv", &[request("R-1", "登録結果")]);
    let o = tsuchi(&["run", &first], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let earlier = batches(dir.path()).remove(0);
    let earlier = earlier.file_name().unwrap().to_string_lossy().into_owned();

    // Another request number, the same office, user ID and kind: held, in check and run alike.
    let second = list(dir.path(), "second.csv", &[request("R-2", "登録結果")]);
    for command in ["check", "run"] {
        let o = tsuchi(&[command, &second], dir.path());
        let said = text(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{command}: {said}");
        assert!(said.contains("確認事項") && said.contains(&earlier) && said.contains("--reissue R-2"), "{said}");
    }
    assert_eq!(batches(dir.path()).len(), 1, "nothing issued");
    // --reissue without a reason is refused; with one, it is issued and the reason recorded.
    let o = tsuchi(&["run", &second, "--reissue", "R-2"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let o = tsuchi(&["run", &second, "--reissue", "R-2", "--reason", "登録内容の訂正"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let batches = batches(dir.path());
    assert_eq!(batches.len(), 2);
    let events = std::fs::read_to_string(batches[1].join("audit/events.jsonl")).unwrap();
    let issued = events.lines().find(|l| l.contains("request.issued")).unwrap();
    assert!(issued.contains("登録内容の訂正") && issued.contains(&earlier), "{issued}");
}

#[test]
fn a_second_reissue_within_the_window_is_held_and_outside_it_is_issued() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tsuchi.toml"), common::config_with("[reissue]\nwindow_days = 10\n")).unwrap();
    let run = |file: &str, id: &str, date: &str| {
        let path = list(dir.path(), file, &[request(id, "証明書PW再発行")]);
        tsuchi(&["run", &path, "--date", date, "--allow-date"], dir.path())
    };
    assert_eq!(run("a.csv", "C-1", "2026-04-01").status.code(), Some(0));
    // Ten days later: held, naming the batch and the window.
    let held = run("b.csv", "C-2", "2026-04-11");
    assert_eq!(held.status.code(), Some(1), "{}", text(&held.stdout));
    assert!(text(&held.stdout).contains("10日以内"), "{}", text(&held.stdout));
    // Eleven days later: an ordinary reissue.
    let later = run("c.csv", "C-3", "2026-04-12");
    assert_eq!(later.status.code(), Some(0), "{}", text(&later.stdout));
    // Another kind for the same office is not a repeat.
    let other = list(dir.path(), "d.csv", &[request("L-1", "再発行")]);
    let o = tsuchi(&["run", &other, "--date", "2026-04-12", "--allow-date"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}
