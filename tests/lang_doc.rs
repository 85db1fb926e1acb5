//! `--lang en` where a row's notice is judged: a 郵便番号 that does not match its address, a
//! name too long for its box, an address with no barcode, a broken template, a password
//! policy, a ZIP and Japan Post's data say why in English, quoting the Japanese values in 「」;
//! without `--lang` they say it in Japanese as before, and the 発送リスト stays Japanese.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{batch_dir, text, xlsx_rows};
use tsuchi::engine::barcode::NoBarcode;
use tsuchi::engine::intake::fields::office_check_digit;
use tsuchi::ground::i18n::{Lang, with_lang};
use tsuchi::ground::postal::{Entry, Kind, PostalTable};

/// Fails when `text` has a Japanese character outside 「」.
#[track_caller]
fn assert_english(text: &str) {
    let found = common::japanese_outside_quotes(text);
    assert!(found.is_empty(), "Japanese outside 「」 ({found}): {text}");
}

const HEADER: &str = "申請番号,通知種別,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID\n";

/// An office name far too long for the addressee line of the notice.
fn long_name() -> String {
    format!("社会福祉法人{}", "とても長い名前の事業所".repeat(12))
}

/// A list with one 再発行 row per (事業所名, 〒, address), rows 2 on.
fn list(dir: &Path, rows: &[(&str, &str, &str)]) -> PathBuf {
    let mut csv = String::from(HEADER);
    for (i, (name, postal, address)) in rows.iter().enumerate() {
        let payload = format!("137{i:06}");
        let office = format!("{payload}{}", office_check_digit(&payload).unwrap());
        csv.push_str(&format!("L{i},再発行,{office},{name},{postal},{address},,,KJ13{office}\n"));
    }
    let path = dir.join("requests.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

/// Row 2: a name that overflows; row 3: an Osaka code on a Tokyo address; row 4: an office's
/// own code on another city's address; row 5: 博多駅前's code on an address in 祇園町 (a note:
/// issued without a barcode); row 6: right.
fn rows(long: &str) -> [(&str, &str, &str); 5] {
    [
        (long, "100-0013", "東京都千代田区霞が関1-3-2"),
        ("事業所A", "530-0001", "東京都千代田区霞が関1-3-2"),
        ("事業所B", "060-8797", "東京都千代田区霞が関1-3-2"),
        ("事業所C", "812-0011", "福岡県福岡市博多区祇園町1-1"),
        ("事業所D", "100-0013", "東京都千代田区霞が関1-3-2"),
    ]
}

fn tsuchi(lang: Option<&str>, args: &[&str], cwd: &Path) -> Output {
    let mut command = common::command();
    command.env_remove("TSUCHI_LANG");
    if let Some(lang) = lang {
        command.args(["--lang", lang]);
    }
    command.args(args).current_dir(cwd).output().unwrap()
}

/// Messages with the row they are about.
type ByRow = Vec<(u64, String)>;

/// `check --json`: the reason of each rejected row and the message of each note, by row.
fn check(lang: Option<&str>) -> (ByRow, ByRow) {
    let dir = tempfile::tempdir().unwrap();
    let long = long_name();
    list(dir.path(), &rows(&long));
    let out = tsuchi(lang, &["check", "requests.csv", "--out", "checked", "--json"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&text(&out.stdout)).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    let by_row = |list: &str, field: &str| -> ByRow {
        summary[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["row"].as_u64().unwrap(), r[field].as_str().unwrap().to_string()))
            .collect()
    };
    (by_row("rejected", "reason"), by_row("notes", "message"))
}

fn of(list: &[(u64, String)], row: u64) -> String {
    let found: Vec<&str> = list.iter().filter(|(r, _)| *r == row).map(|(_, m)| m.as_str()).collect();
    assert_eq!(found.len(), 1, "one entry for row {row}: {list:?}");
    found[0].to_string()
}

#[test]
fn a_name_too_long_for_its_box_is_rejected_with_an_english_reason_under_lang_en() {
    let (rejected, _) = check(Some("en"));
    let reason = of(&rejected, 2);
    assert!(
        reason.contains(
            "the addressee in the body (the office name) is too long for its box \
             (it does not fit even at the smallest type size)"
        ),
        "{reason}"
    );
    assert!(!reason.contains("長すぎて"), "{reason}");

    let (rejected, _) = check(None);
    let reason = of(&rejected, 2);
    assert!(
        reason.contains("本文の宛名（事業所名）が長すぎて枠に収まりません（最小の文字サイズでも入りません）"),
        "{reason}"
    );
    assert!(!reason.contains("too long"), "{reason}");
}

#[test]
fn a_postal_code_of_another_place_names_that_place_in_quotes_under_lang_en() {
    let (rejected, notes) = check(Some("en"));
    let osaka = of(&rejected, 3);
    assert!(osaka.contains("「大阪府大阪市北区梅田」"), "{osaka}");
    let office = of(&rejected, 4);
    assert!(office.contains("「北海道札幌市中央区北二条西」 (an office's own postal code)"), "{office}");
    assert!(!office.contains("事業所の個別番号"), "{office}");
    let town = of(&notes, 5);
    assert!(town.contains("「福岡県福岡市博多区博多駅前」"), "{town}");
    assert!(rejected.iter().all(|(row, _)| *row != 5 && *row != 6), "{rejected:?}");
    for (_, said) in rejected.iter().chain(&notes) {
        assert!(!said.contains("「「") && !said.contains("」」"), "a place quoted twice: {said}");
    }

    let (rejected, notes) = check(None);
    let osaka = of(&rejected, 3);
    assert!(osaka.contains("大阪府大阪市北区梅田") && !osaka.contains("「大阪府大阪市北区梅田」"), "{osaka}");
    let office = of(&rejected, 4);
    assert!(office.contains("北海道札幌市中央区北二条西（事業所の個別番号）"), "{office}");
    let town = of(&notes, 5);
    assert!(town.contains("福岡県福岡市博多区博多駅前") && !town.contains("「福岡県福岡市博多区博多駅前」"), "{town}");
}

#[test]
fn the_console_of_check_under_lang_en_has_japanese_only_in_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let long = long_name();
    list(dir.path(), &rows(&long));
    let out = tsuchi(Some("en"), &["check", "requests.csv", "--out", "checked"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("is too long for its box"), "{stdout}");
    assert!(stdout.contains("(an office's own postal code)"), "{stdout}");
    assert_english(&stdout);
    assert_english(&text(&out.stderr));
}

#[test]
fn the_barcode_command_says_why_there_is_no_barcode_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let out = tsuchi(Some("en"), &["barcode", "812-0011", "福岡県福岡市博多区祇園町1-1"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("No barcode: the town area (「町域」) of the postal code is not found in the address\n"),
        "{stdout}"
    );
    assert_english(&stdout);
    let out = tsuchi(Some("en"), &["barcode", "105-0000", "東京都港区虎ノ門1-1"], dir.path());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("No barcode: the postal code is the representative code of a whole city"), "{stdout}");
    assert_english(&stdout);
}

#[test]
fn run_under_lang_en_keeps_the_mailing_lists_barcode_reason_japanese() {
    let dir = tempfile::tempdir().unwrap();
    let long = long_name();
    list(dir.path(), &rows(&long));
    common::test_config(dir.path());
    let out = tsuchi(
        Some("en"),
        &["run", "requests.csv", "--out", "out", "--date", "2026-01-10", "--allow-date"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let batch = batch_dir(&dir.path().join("out"));

    // The rejection list speaks the console's language...
    let refused = std::fs::read_to_string(batch.join("rejected.csv")).unwrap();
    assert!(refused.contains("is too long for its box"), "{refused}");
    assert!(refused.contains("「大阪府大阪市北区梅田」"), "{refused}");

    // ...the mailing list, a document for the Japanese mail room, does not.
    let rows = xlsx_rows(&batch.join("print/発送リスト.xlsx"));
    let barcode_of = |postal: &str| rows.iter().find(|r| r[2] == postal).map(|r| r[8].clone()).unwrap();
    assert_eq!(barcode_of("812-0011"), "なし：郵便番号の町域が住所に見つからないため、バーコードを付けません");
    assert_eq!(barcode_of("100-0013"), "1-3-2 CD 9");
}

#[test]
fn every_reason_for_no_barcode_has_an_english_text() {
    let all = [
        NoBarcode::InvalidPostal,
        NoBarcode::UnknownPostal,
        NoBarcode::RepresentativePostal,
        NoBarcode::OtherCity,
        NoBarcode::TownNotFound,
        NoBarcode::Building,
        NoBarcode::NotFound,
    ];
    for refusal in all {
        let english = with_lang(Lang::En, || refusal.to_string());
        let japanese = with_lang(Lang::Ja, || refusal.to_string());
        assert_english(&english);
        assert_ne!(english, japanese);
        assert_eq!(with_lang(Lang::En, || refusal.reason()), english);
    }
    assert_eq!(
        with_lang(Lang::En, || NoBarcode::OtherCity.reason()),
        "the prefecture or city of the address does not match the postal code"
    );
    let bad = with_lang(Lang::En, || tsuchi::engine::barcode::encode("1000013", "1あ").unwrap_err().to_string());
    assert_eq!(
        bad,
        "The address number holds 「あ」, which the barcode cannot encode (only digits, 「-」 and capital letters)"
    );
}

fn entry(kind: Kind, town: &str, note: &str, name: &str) -> Entry {
    Entry {
        code: 1_000_013,
        kind,
        prefecture: "東京都".into(),
        city: "千代田区".into(),
        town: town.into(),
        note: note.into(),
        name: name.into(),
    }
}

#[test]
fn the_places_of_a_postal_code_quote_japan_posts_names_in_english() {
    let places = [
        entry(Kind::Area, "霞が関", "1〜3丁目", ""),
        entry(Kind::Office, "大手町", "", ""),
        entry(Kind::Building, "丸の内", "1階", "丸の内ビル"),
        entry(Kind::Representative, "", "", ""),
    ];
    let english = with_lang(Lang::En, || tsuchi::ground::postal::places(&places));
    assert_eq!(
        english,
        "「東京都千代田区霞が関（1〜3丁目）」, 「東京都千代田区大手町」 (an office's own postal code) (and 2 more)"
    );
    assert_english(&english);
    assert_eq!(
        with_lang(Lang::Ja, || tsuchi::ground::postal::places(&places)),
        "東京都千代田区霞が関（1〜3丁目）・東京都千代田区大手町（事業所の個別番号） ほか2か所"
    );
    let two = with_lang(Lang::En, || tsuchi::ground::postal::places(&places[2..]));
    assert_eq!(two, "「東京都千代田区丸の内丸の内ビル（1階）」 or 「東京都千代田区」");
    assert_eq!(
        with_lang(Lang::Ja, || tsuchi::ground::postal::places(&places[2..])),
        "東京都千代田区丸の内丸の内ビル（1階）・東京都千代田区"
    );
}

#[test]
fn a_japan_post_file_that_cannot_be_used_says_why_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("KEN_ALL.CSV");
    std::fs::write(&broken, "13101,100,1000013,トウキョウト\n").unwrap();
    let err = with_lang(Lang::En, || PostalTable::from_japan_post_csv(&broken, None).err().unwrap().to_string());
    assert_eq!(
        err,
        format!(
            "Line 1 of the postal code data 「{}」 cannot be read: the line has 4 fields \
             (the postal code data has 15, the offices' own postal codes 13)",
            broken.display()
        )
    );
    let japanese = with_lang(Lang::Ja, || PostalTable::from_japan_post_csv(&broken, None).err().unwrap().to_string());
    assert!(japanese.contains("の1行目を読めません：列が4個です"), "{japanese}");

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let err = with_lang(Lang::En, || PostalTable::from_japan_post_csv(&empty, None).err().unwrap().to_string());
    assert!(err.contains("holds no postal code (give Japan Post's utf_ken_all.csv"), "{err}");
    assert_english(&err);
}

#[test]
fn password_policy_and_zip_errors_are_english_under_lang_en() {
    use tsuchi::engine::secrets::PasswordPolicy;
    let long = PasswordPolicy { length: 20, ..PasswordPolicy::temp_password() };
    assert_eq!(
        with_lang(Lang::En, || long.validate()),
        Err("A password must be 8 to 16 characters long (configured: 20)".into())
    );
    assert!(with_lang(Lang::Ja, || long.validate()).unwrap_err().contains("8文字以上16文字以下"));
    let no_letters = PasswordPolicy { uppercase: false, lowercase: false, ..PasswordPolicy::temp_password() };
    let no_digits = PasswordPolicy { digits: false, ..PasswordPolicy::temp_password() };
    for policy in [no_letters, no_digits] {
        let reason = with_lang(Lang::En, || policy.validate()).unwrap_err();
        assert!(reason.contains("the electronic claims reception system requires at least one"), "{reason}");
        assert_english(&reason);
    }

    let secret =
        tsuchi::engine::secrets::Generator::seeded(1).generate(&PasswordPolicy::temp_password(), "KJ000000000000");
    let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap().and_hms_opt(9, 0, 0).unwrap();
    let aes = tsuchi::engine::pack::ZipEncryption::Aes256;
    let err = with_lang(Lang::En, || {
        tsuchi::engine::pack::zip_one("通知/書.pdf", b"x", &secret, aes, now).unwrap_err().to_string()
    });
    assert_eq!(
        err,
        "The ZIP file cannot be made: the file name 「通知/書.pdf」 cannot be used (it must not be empty nor contain 「/」 or 「\\」)"
    );
    let old = chrono::NaiveDate::from_ymd_opt(1979, 12, 31).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let err = with_lang(Lang::En, || {
        tsuchi::engine::pack::zip_one("a.pdf", b"x", &secret, aes, old).unwrap_err().to_string()
    });
    assert!(err.contains("cannot record the time 1979-12-31 00:00:00 (it must lie between 1980 and 2107)"), "{err}");
    assert!(!err.contains(secret.expose()), "never a password in a message");
}

/// A copy of the repository's templates in `dir`, with `edit` applied to the shared header.
fn templates(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let to = dir.join("templates");
    for sub in ["notices", "mailroom"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for file in std::fs::read_dir(from.join(sub)).unwrap() {
            let path = file.unwrap().path();
            let mut text = std::fs::read_to_string(&path).unwrap();
            if path.file_name().unwrap() == "_header.toml.tera" {
                text = edit(&text);
            }
            std::fs::write(to.join(sub).join(path.file_name().unwrap()), text).unwrap();
        }
    }
    std::fs::copy(from.join("layout.toml"), to.join("layout.toml")).unwrap();
    to
}

#[test]
fn a_broken_template_is_explained_in_english_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = tsuchi::engine::config::Config::default();
    config.templates.dir = Some(templates(dir.path(), |t| t.replace("honorific(word=honorific_person)", "honorific")));
    let err = with_lang(Lang::En, || tsuchi::engine::render::Renderer::new(&config).err().unwrap().to_string());
    assert!(err.starts_with("The notice template ("), "{err}");
    assert!(err.contains("notices/registration.toml.tera: "), "{err}");
    assert!(
        err.ends_with("give honorific the honorific to add as word=... (for example honorific(word=honorific_person))"),
        "{err}"
    );
    assert!(!err.contains('：'), "{err}");
    let japanese = with_lang(Lang::Ja, || tsuchi::engine::render::Renderer::new(&config).err().unwrap().to_string());
    assert!(japanese.starts_with("通知書のテンプレート（"), "{japanese}");
    assert!(japanese.contains("honorific には敬称を word=... で渡してください"), "{japanese}");

    let missing = dir.path().join("nothing-here");
    config.templates.dir = Some(missing.clone());
    let err = with_lang(Lang::En, || tsuchi::engine::render::Renderer::new(&config).err().unwrap().to_string());
    assert!(err.contains(&format!("{}: ", missing.join("notices/_header.toml.tera").display())), "{err}");
}

/// A notice document of the built-in geometry with `blocks` (TOML) as its body.
fn document(blocks: &str) -> tsuchi::engine::render::template::Document {
    let head = r#"
title = "通知書"
subject = "通知書"
[address]
postal = "〒100-0013"
address = "東京都千代田区霞が関1-3-2"
name = "事業所 御中"
attention = ""
[issuer]
lines = ["発行者"]
[addressee]
text = "事業所 殿"
[footer]
text = ""
"#;
    toml::from_str(&format!("{head}{blocks}")).unwrap()
}

fn layout_error(doc: &tsuchi::engine::render::template::Document) -> String {
    use tsuchi::engine::render::layout::{LayoutOptions, Marks, layout};
    let geometry = tsuchi::engine::render::template::Templates::builtin().unwrap().geometry;
    let marks = Marks { secrets: &[], bars: None, redacted: false };
    with_lang(Lang::En, || layout(doc, &marks, &geometry, LayoutOptions::default()).err().unwrap().to_string())
}

#[test]
fn a_value_too_long_for_its_cell_or_a_body_too_long_for_the_page_says_so_in_english() {
    let long = "とても長い名前の事業所".repeat(40);
    let table =
        document(&format!("[[blocks]]\ntype = \"table\"\nrows = [[{{ label = \"事業所名\", value = \"{long}\" }}]]\n"));
    assert_eq!(
        layout_error(&table),
        "the 「事業所名」 field is too long for its box (it does not fit even at the smallest type size)"
    );
    let paragraphs = "[[blocks]]\ntype = \"paragraph\"\ntext = \"本文の段落です。\"\n".repeat(80);
    assert_eq!(
        layout_error(&document(&paragraphs)),
        "the notice does not fit on one page (it runs into the bottom margin at the end of the body)"
    );
}
