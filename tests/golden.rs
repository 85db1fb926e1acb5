//! Golden transcripts of the clerk's month at the console, in Japanese (the default: no
//! `--lang`, no TSUCHI_LANG) and in English (`--lang en`): every command on the sample list,
//! its stdout, stderr and exit code, compared byte for byte with
//! `tests/golden/<lang>-<step>.txt`. A refactoring of the faces must leave every file as it is.
//!
//! Only what differs from one run to the next is replaced (see [`Normaliser`]): the temporary
//! folder, the batch IDs and other clock times, hashes, the operator's account name, the PDF
//! sizes (they depend on the random passwords' glyphs) and the range of dates `--allow-date`
//! names (a year either side of today). Every count, word, space and line stays.
//!
//! `UPDATE_GOLDEN=1 cargo test --test golden` writes the files from the current binary; review
//! the diff before committing it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::mailing::{self, Row, Value};
use regex::Regex;

/// The 発行日 of every run: far from any today, so that `--allow-date` always warns, and the
/// transcripts do not change the day the date leaves the year around today.
const ISSUE_DATE: &str = "2020-04-01";

/// The office the `status <事業所番号>` steps look up (request R08-0001, a registration result).
const OFFICE: &str = "1371000017";

/// One language's month: its own folder, list of ledgers and transcripts.
struct Month {
    lang: &'static str,
    dir: tempfile::TempDir,
    normaliser: Normaliser,
    steps: Vec<(String, String)>,
}

impl Month {
    fn new(lang: &'static str) -> Month {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(common::sample("requests.xlsx"), dir.path().join("requests.xlsx")).unwrap();
        for cwd in ["", "second"] {
            common::test_config(&dir.path().join(cwd));
        }
        let normaliser = Normaliser::new(dir.path());
        Month { lang, dir, normaliser, steps: Vec::new() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `tsuchi <args>` in the folder `cwd` (relative to the month's folder), with `--lang en`
    /// in English and no flag in Japanese (the default), recorded as step `name`; the exit code
    /// must be `code`.
    fn step(&mut self, name: &str, cwd: &str, args: &[&str], code: i32) {
        let lang: &[&str] = if self.lang == "ja" { &[] } else { &["--lang", self.lang] };
        let mut command = Command::new(env!("CARGO_BIN_EXE_tsuchi"));
        command
            .env("TSUCHI_HOME", self.path("home"))
            .env_remove("TSUCHI_LANG")
            .args(lang)
            .args(args)
            .current_dir(self.path(cwd));
        let out = command.output().unwrap();
        let (stdout, stderr) = (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
        assert_eq!(out.status.code(), Some(code), "{name}: tsuchi {args:?}\n{stdout}\n{stderr}");
        let shown_cwd = if cwd.is_empty() { "<DIR>".to_string() } else { format!("<DIR>/{cwd}") };
        let line = lang.iter().chain(args).copied().collect::<Vec<_>>().join(" ");
        let transcript = format!(
            "$ cd {shown_cwd} && tsuchi {line}\n--- exit code: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}"
        );
        let number = self.steps.len() + 1;
        self.steps.push((format!("{}-{number:02}-{name}", self.lang), transcript));
    }

    /// The one batch under `cwd/output` (beside `check`'s folder) and its ID (<BATCH> in the
    /// transcripts).
    fn batch(&mut self, cwd: &str) -> (PathBuf, String) {
        let dirs: Vec<PathBuf> =
            common::batch_dirs(&self.path(cwd).join("output")).into_iter().filter(|d| !d.ends_with("check")).collect();
        assert_eq!(dirs.len(), 1, "one batch: {dirs:?}");
        let batch = dirs[0].clone();
        let id = batch.file_name().unwrap().to_string_lossy().into_owned();
        self.normaliser.batch(&id);
        (batch, id)
    }

    /// Compares (or, with UPDATE_GOLDEN=1, writes) every step's transcript; fails naming every
    /// file that differs, with the lines that differ, and a file no step writes any more.
    fn finish(self, secrets: &[String]) {
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden");
        let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
        let prefix = format!("{}-", self.lang);
        let mut expected_files: Vec<String> = Vec::new();
        let mut failures = Vec::new();
        for (name, transcript) in &self.steps {
            let text = self.normaliser.apply(transcript);
            for secret in secrets {
                assert!(!text.contains(secret.as_str()), "{name}: a password appears in the transcript");
            }
            let file = golden.join(format!("{name}.txt"));
            expected_files.push(format!("{name}.txt"));
            if update {
                std::fs::create_dir_all(&golden).unwrap();
                std::fs::write(&file, &text).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", file.display()));
            if want != text {
                failures.push(difference(&file, &want, &text));
            }
        }
        // A file of a step that is gone is a change too.
        for entry in std::fs::read_dir(&golden).unwrap() {
            let file = entry.unwrap().file_name().to_string_lossy().into_owned();
            if file.starts_with(&prefix) && !expected_files.contains(&file) {
                if update {
                    std::fs::remove_file(golden.join(&file)).unwrap();
                } else {
                    failures.push(format!("tests/golden/{file}: no step writes it any more"));
                }
            }
        }
        assert!(failures.is_empty(), "{} golden file(s) differ:\n\n{}", failures.len(), failures.join("\n\n"));
    }
}

/// Where `got` differs from `want`, as a unified diff of one hunk: the lines between the
/// common beginning and the common end (at most 12 of each side), with 3 lines of context.
fn difference(file: &Path, want: &str, got: &str) -> String {
    let (want, got): (Vec<&str>, Vec<&str>) = (want.split('\n').collect(), got.split('\n').collect());
    let first = want.iter().zip(&got).take_while(|(a, b)| a == b).count();
    let same_end = want[first..].iter().rev().zip(got[first..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (want_end, got_end) = (want.len() - same_end, got.len() - same_end);
    let from = first.saturating_sub(3);
    let mut out = format!(
        "--- {} (expected)\n+++ (this binary)\n@@ -{},{} +{},{} @@\n",
        file.display(),
        first + 1,
        want_end - first,
        first + 1,
        got_end - first
    );
    let side = |out: &mut String, sign: char, lines: &[&str]| {
        for line in lines.iter().take(12) {
            *out += &format!("{sign}{line}\n");
        }
        if lines.len() > 12 {
            *out += &format!("{sign}… ({} more lines)\n", lines.len() - 12);
        }
    };
    side(&mut out, ' ', &want[from..first]);
    side(&mut out, '-', &want[first..want_end]);
    side(&mut out, '+', &got[first..got_end]);
    side(&mut out, ' ', &want[want_end..(want_end + 3).min(want.len())]);
    out
}

/// What legitimately differs between two runs of the same steps, replaced by a placeholder.
/// The rules run in the order they are listed; nothing else is touched.
struct Normaliser {
    /// Before the batch IDs: the folder, and the clock in a folder name.
    first: Vec<(Regex, String)>,
    /// The batch IDs (the clock time of each `run`, `YYYYMMDD-HHMMSS`), learnt as the steps
    /// make them → <BATCH>. The two batches are in two folders, so one label does.
    batches: Vec<String>,
    /// After the batch IDs.
    then: Vec<(Regex, String)>,
}

/// A rule: every match of `pattern` becomes `with` (`${1}` names a group).
fn rule(pattern: &str, with: &str) -> (Regex, String) {
    (Regex::new(pattern).unwrap(), with.to_string())
}

impl Normaliser {
    fn new(dir: &Path) -> Normaliser {
        let given = dir.to_string_lossy().into_owned();
        let canonical = dir.canonicalize().unwrap().to_string_lossy().into_owned();
        let first = vec![
            // 1. The temporary folder of the month, as the OS resolves it and as given → <DIR>.
            rule(&regex::escape(&canonical), "<DIR>"),
            rule(&regex::escape(&given), "<DIR>"),
            // 2. The default folder of `audit export`, named after the clock:
            //    audit-YYYYMMDD-HHMMSS (before the batch IDs, which it may equal to the second).
            rule(r"audit-\d{8}-\d{6}", "audit-<TIME>"),
        ];
        let operator = regex::escape(&tsuchi::engine::audit::operator());
        let day = r"\d{4}-\d{2}-\d{2}";
        let then = vec![
            // 3. Clock times of the ledger's events (status, verify, purge): `2026-12-07 16:25`,
            //    with seconds, a `T` and an offset or fraction where JSON carries them → <TIME>.
            //    A bare date (発行日, 発送日) is no clock time and stays.
            rule(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", "<TIME>"),
            // 4. SHA-256 hashes → <HASH>: whole (64 hex digits), or as `verify` prints the chain
            //    head, eight groups of eight (the events chain over the run's times and batch
            //    IDs, so the head differs every run). The event count before the head's `:` stays.
            rule(r"\b[0-9a-f]{64}\b", "<HASH>"),
            rule(r"\b[0-9a-f]{8}( [0-9a-f]{8}){7}\b", "<HASH>"),
            // 5. The size of the notices' PDFs: each embeds the subset of the glyphs its random
            //    passwords use, so it moves by a few hundred bytes from run to run. Only the
            //    summary's total in KB and the JSON's non-zero `bytes` of an issued notice
            //    (`check` says 0, which stays).
            rule(r"(?m)^(  通知書 PDF：計 |  Notice PDFs: )\d+ KB", "${1}<N> KB"),
            rule(r#""bytes": [1-9]\d*"#, r#""bytes": <BYTES>"#),
            // 6. The account that ran tsuchi (the ledger records it; `root` here, `runner` on a
            //    CI machine) where it is printed: after 実行者 / by (status), after the time of a
            //    purge (verify) and as JSON's "operator" → <OPERATOR>.
            rule(&format!(r#"(実行者 |by |<TIME>、|<TIME>, |"operator": "){operator}([）)"])"#), "${1}<OPERATOR>${2}"),
            // 7. The range of 発行日 `--allow-date` names in its warning: a year either side of
            //    today → <TODAY-1Y>, <TODAY+1Y>. Only there: a date elsewhere (2026-04-02 sent
            //    on) may be one of them some day.
            rule(&format!("（{day}〜{day} の範囲外"), "（<TODAY-1Y>〜<TODAY+1Y> の範囲外"),
            rule(&format!("outside {day} to {day};"), "outside <TODAY-1Y> to <TODAY+1Y>;"),
        ];
        Normaliser { first, batches: Vec::new(), then }
    }

    fn batch(&mut self, id: &str) {
        self.batches.push(id.to_string());
    }

    fn apply(&self, text: &str) -> String {
        let replace = |text: String, rules: &[(Regex, String)]| {
            rules.iter().fold(text, |t, (pattern, with)| pattern.replace_all(&t, with.as_str()).into_owned())
        };
        let mut text = replace(text.to_string(), &self.first);
        for id in &self.batches {
            text = text.replace(id.as_str(), "<BATCH>");
        }
        replace(text, &self.then)
    }
}

/// The 発送リスト of `batch` as the mail room hands it back: 書留番号 and 発送日 on every row
/// but two: the second to last with a 書留番号 that is no number (refused), the last blank
/// (not sent yet), unless `all`.
fn filled_list(month: &Month, batch: &Path, name: &str, all: bool) -> PathBuf {
    let mut rows: Vec<Row> = mailing::rows_of(batch, |r| Value::Number(mailing::number(r)));
    let n = rows.len();
    if !all {
        rows[n - 2].registered = Value::Text("未記入".into());
        rows[n - 1].registered = Value::Blank;
        rows[n - 1].sent_on = Value::Blank;
    }
    mailing::write_list(month.dir.path(), name, &[("発送リスト", &rows)])
}

/// The month of one language: check, issue, send, return, look up, verify, export, purge.
fn month(lang: &'static str) {
    let mut m = Month::new(lang);
    let date = ["--date", ISSUE_DATE, "--allow-date"];
    let with_date = |args: &[&'static str]| -> Vec<&'static str> { args.iter().chain(&date).copied().collect() };

    m.step("check", "", &with_date(&["check", "requests.xlsx"]), 0);
    m.step("check-json", "", &with_date(&["check", "requests.xlsx", "--json"]), 0);
    m.step("run-dry-run", "", &with_date(&["run", "requests.xlsx", "--dry-run"]), 0);
    m.step("run", "", &with_date(&["run", "requests.xlsx"]), 0);
    let (batch, id) = m.batch("");
    // A second ledger in another folder: refused, then started on purpose.
    m.step("run-other-ledger-refused", "second", &with_date(&["run", "../requests.xlsx", "--json"]), 2);
    m.step("run-json", "second", &with_date(&["run", "../requests.xlsx", "--json", "--new-ledger"]), 0);
    let (second, _) = m.batch("second");

    // The passwords the notices carry: none of them may appear in any transcript.
    let secrets: Vec<String> =
        common::files_under(&batch.join("notices")).iter().flat_map(|pdf| common::secrets_in(pdf)).collect();
    assert!(secrets.len() >= 20, "{secrets:?}");

    let list = filled_list(&m, &batch, "filled.xlsx", false);
    let list = list.file_name().unwrap().to_str().unwrap().to_string();
    m.step("mail-import", "", &["mail", "import", &list], 1);
    let all = filled_list(&m, &second, "filled-second.xlsx", true);
    let all = format!("../{}", all.file_name().unwrap().to_str().unwrap());
    m.step("mail-import-json", "second", &["mail", "import", &all, "--json"], 0);
    let last = mailing::list_rows(&batch).last().unwrap()[1].clone();
    m.step("mail-returned", "", &["mail", "returned", &last, "--reason", "宛所不明"], 0);
    m.step("status-batch", "", &["status", "--batch", &id], 0);
    m.step("status-batch-json", "", &["status", "--batch", &id, "--json"], 0);
    m.step("status-office", "", &["status", OFFICE], 0);
    m.step("status-office-json", "", &["status", OFFICE, "--json"], 0);
    m.step("verify", "", &["verify"], 0);
    m.step("verify-batch", "", &["verify", &id], 0);
    m.step("audit-export", "", &["audit", "export"], 0);
    m.step("purge", "", &["purge", &id], 2);
    m.step("purge-force", "", &["purge", &id, "--force", "--reason", "試験のため"], 0);
    m.step("verify-batch-purged", "", &["verify", &id], 0);
    m.step("ledgers", "", &["ledgers"], 0);
    m.step("barcode", "", &["barcode", "100-0013", "東京都千代田区霞が関1丁目3番2号"], 0);
    m.step("calibrate", "", &["calibrate"], 0);
    m.step("init", "", &["init", "new.toml"], 0);
    m.step("refused-unknown-flag", "", &["run", "requests.xlsx", "--bogus"], 2);
    m.step("fail-missing-file", "", &["check", "missing.xlsx"], 2);
    m.finish(&secrets);
}

#[test]
fn the_month_in_japanese_is_told_as_before() {
    month("ja");
}

#[test]
fn the_month_in_english_is_told_as_before() {
    month("en");
}
