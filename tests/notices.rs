//! The three notices, checked with independent tools (poppler's pdftotext/pdffonts/pdfinfo,
//! qpdf) as a person would: every field of the row is on the page, the secret is printed in
//! order, fonts are embedded subsets, long names stay inside their boxes.

mod common;

use std::path::{Path, PathBuf};

use common::tool;

use chrono::NaiveDate;
use tsuchi::engine::config::Config;
use tsuchi::engine::intake::{self, NoticeKind, ReadOptions, Request};
use tsuchi::engine::notice::{Notice, SecretSlot, Secrets};
use tsuchi::engine::render::{PdfFonts, Renderer};
use tsuchi::engine::secrets::Generator;
use tsuchi::ground::wareki::now_in_tokyo;

fn sample_requests() -> Vec<Request> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/requests.xlsx");
    intake::read(&path, &ReadOptions::default()).unwrap().requests
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 10).unwrap()
}

struct Rendered {
    _dir: tempfile::TempDir,
    pdf: PathBuf,
    notice: Notice,
}

fn render(renderer: &Renderer, fonts: &PdfFonts, request: Request, seed: u64) -> Rendered {
    let notice =
        Notice::issue(request, date(), &Config::default().passwords, Secrets::Drawn(&mut Generator::seeded(seed)));
    let bytes = renderer.render(&notice, fonts, now_in_tokyo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("notice.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    Rendered { _dir: dir, pdf, notice }
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn each_notice_kind_carries_every_field_of_its_row_and_its_secrets_in_order() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let requests = sample_requests();
    let fonts = common::fonts_for(&renderer, &requests);
    for kind in NoticeKind::ALL {
        let request = requests.iter().find(|r| r.kind == kind).unwrap().clone();
        let r = render(&renderer, &fonts, request.clone(), 7);
        let text = tool("pdftotext", &["-layout", r.pdf.to_str().unwrap(), "-"]);
        let flat = squeeze(&text);
        let title = match kind {
            NoticeKind::Registration => "電子請求登録結果に関するお知らせ",
            NoticeKind::LoginReissue => "電子請求ログイン情報再発行通知書",
            NoticeKind::CertPasswordReissue => "証明書発行用パスワード通知書",
        };
        let mut expected = vec![
            title.to_string(),
            "発行日令和08年01月10日".into(),
            "〇〇〇国民健康保険団体連合会".into(),
            request.office_no.to_string(),
            squeeze(&request.office_name),
            request.user_id.to_string(),
            format!("〒{}", request.postal_code),
            squeeze(&request.address),
            format!("{}殿", squeeze(&request.office_name)),
            "記".into(),
            "以上".into(),
        ];
        if kind == NoticeKind::Registration {
            expected.push(request.phone.as_ref().unwrap().to_string());
            expected.push(request.fax.as_ref().unwrap().to_string());
        }
        for want in &expected {
            assert!(flat.contains(want.as_str()), "{kind}: 「{want}」 missing from the notice");
        }
        for slot in [SecretSlot::TempPassword, SecretSlot::CertPassword] {
            match r.notice.secret(slot) {
                Some(secret) => {
                    // Never print the secret in an assertion message.
                    assert!(flat.contains(secret.expose()), "{kind}: {} not printed in order", slot.label());
                    assert!(flat.contains(slot.label()));
                }
                None => assert!(!flat.contains(slot.label()) || kind == NoticeKind::LoginReissue, "{kind}"),
            }
        }
        // The class row: one label per character, in the seed notices' words (the 備考's
        // 「英数字」 is not a class label).
        let digits = text.matches("数字").count() - text.matches("英数字").count();
        let classes = text.matches("大文字").count() + text.matches("小文字").count() + digits;
        let chars: usize = [SecretSlot::TempPassword, SecretSlot::CertPassword]
            .iter()
            .filter_map(|s| r.notice.secret(*s))
            .map(|s| s.chars().count())
            .sum();
        assert_eq!(classes, chars, "{kind}");
    }
}

/// The passages of the manuals (../shared/seeds/) each kind's 備考 must carry, as printed.
fn seed_passages(kind: NoticeKind) -> &'static [&'static str] {
    match kind {
        // 000 (the sample notices' notes), 001 (the reissue notice's first note), 004 (§4).
        NoticeKind::Registration => &[
            "電子請求受付システムのユーザID※KJから始まる12桁の英数字です。例：KJ123456789012",
            "介護情報基盤ポータル、ケアプランデータ連携システム、LIFEを利用開始する際にも電子請求受付システムのユーザID・パスワードは必要です。",
            "ユーザID及び仮パスワードで電子請求受付システムにログインし、新しいパスワードを設定してください",
            "証明書発行用パスワードは、証明書の発行申請時と、証明書のインストール時に必要となるパスワードです",
            "有償の新しい証明書が必要になります",
        ],
        // 001: the five notes of the 令和 sample, both cases of the last one and its menu step.
        NoticeKind::LoginReissue => &[
            "ユーザID及び仮パスワードで電子請求受付システムにログインし、新しいパスワードを設定してください",
            "仮パスワードは、新しいパスワードを設定するまでの間、他に漏洩しないよう十分な管理を行ってください",
            "ユーザID及び新しいパスワードは、漏洩しないよう十分な管理を行ってください",
            "設定中のセキュリティコードは、仮パスワードでログインした際に削除されます",
            "ユーザ情報変更メニューの「セキュリティコード設定」から再度設定してください",
            "証明書発行用パスワードを紛失した場合や、紙請求または媒体請求を行っている事業者がユーザIDを新たに取得した場合",
            "証明書メニューで「証明書の発行申請をする」を選択し、「証明書発行用パスワードとは」から証明書発行用パスワードを再発行することで、新しい証明書発行用パスワードを取得してください",
        ],
        // 004 §4 「証明書発行用パスワードとは」.
        NoticeKind::CertPasswordReissue => &[
            "証明書発行用パスワードは、証明書の発行申請時と、証明書のインストール時に必要となるパスワードです",
            "パソコンの買い替え等に伴い",
            "証明書を再インストールすることもあります",
            "万が一、証明書発行用パスワードを紛失しますと、証明書のインストールができず、有償の新しい証明書が必要になります",
        ],
    }
}

#[test]
fn each_notice_says_what_the_manuals_say_and_nothing_they_do_not() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let requests = sample_requests();
    let fonts = common::fonts_for(&renderer, &requests);
    for kind in NoticeKind::ALL {
        let request = requests.iter().find(|r| r.kind == kind).unwrap().clone();
        let r = render(&renderer, &fonts, request, 11);
        let flat = squeeze(&tool("pdftotext", &["-layout", r.pdf.to_str().unwrap(), "-"]));
        for passage in seed_passages(kind) {
            assert!(flat.contains(&squeeze(passage)), "{kind}: 「{passage}」 missing from the 備考");
        }
        // A sentence no manual says (issue 11).
        assert!(!flat.contains("以前の証明書発行用パスワードは使用できません"), "{kind}");
        // One office, one prefecture: no 請求先都道府県 row.
        assert!(!flat.contains("請求先都道府県"), "{kind}");
    }
}

#[test]
fn fonts_are_embedded_subsets_and_the_structure_is_sound() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let requests = sample_requests();
    let fonts = common::fonts_for(&renderer, &requests);
    let r = render(&renderer, &fonts, requests[0].clone(), 1);
    let path = r.pdf.to_str().unwrap();
    let listing = tool("pdffonts", &[path]);
    let rows: Vec<&str> = listing.lines().skip(2).collect();
    // One subset of the Japanese font for all text, one of the password face for the grid.
    assert_eq!(rows.len(), 2, "{listing}");
    assert!(rows.iter().any(|r| r.contains("IPAexGothic")));
    assert!(rows.iter().any(|r| r.contains("JetBrainsMono")));
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+', "subset tag: {row}");
        assert_eq!(&cols[cols.len() - 5..cols.len() - 2], ["yes", "yes", "yes"], "emb sub uni: {row}");
    }
    tool("qpdf", &["--check", path]);
    let info = tool("pdfinfo", &[path]);
    let field = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim_start_matches(':').trim().to_string()))
            .unwrap_or_default()
    };
    assert_eq!(field("Title"), "電子請求登録結果に関するお知らせ");
    assert_eq!(field("Author"), "〇〇〇国民健康保険団体連合会");
    assert!(field("Subject").contains(requests[0].office_no.as_str()));
    assert!(field("CreationDate").contains(&now_in_tokyo().format("%Y").to_string()), "{info}");
    assert!(field("Page size").contains("(A4)"), "{info}");
    let bytes = std::fs::read(&r.pdf).unwrap();
    assert!(bytes.windows(20).any(|w| w == b"/PrintScaling/None>>" || w.starts_with(b"/PrintScaling /None")));
    assert!(bytes.len() < 40_000, "{} bytes", bytes.len());
}

fn long_request(kind: NoticeKind, attention: Option<&str>) -> Request {
    let mut r = sample_requests().into_iter().find(|r| r.kind == kind).unwrap();
    // 60 characters each, the longest a clerk's list is likely to hold.
    let name = "社会福祉法人とても長い名前の福祉会 特別養護老人ホーム長い長い名前の里 短期入所生活介護事業所 併設居宅介護支援事業所 ";
    let address = "北海道札幌市中央区北一条西二丁目一番地 札幌市役所本庁舎別館十二階 介護保険課電子請求受付窓口係 気付 第三会議室 ";
    r.office_name = name.repeat(2).chars().take(60).collect();
    r.address = address.repeat(2).chars().take(60).collect();
    assert_eq!(r.office_name.chars().count(), 60);
    assert_eq!(r.address.chars().count(), 60);
    r.attention = attention.map(str::to_string);
    r
}

#[test]
fn a_sixty_character_name_and_address_stay_inside_their_boxes() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    for kind in NoticeKind::ALL {
        for attention in [None, Some("施設長 長谷川 三千代")] {
            let request = long_request(kind, attention);
            let notice =
                Notice::issue(request.clone(), date(), &config.passwords, Secrets::Drawn(&mut Generator::seeded(3)));
            let (_, frame) = renderer.frame(&notice).unwrap();
            for run in frame.texts() {
                let ink = run.extent();
                let c = run.container;
                let inside = ink.x >= c.x - 0.01
                    && ink.right() <= c.right() + 0.01
                    && ink.y >= c.y - 0.3
                    && ink.bottom() <= c.bottom() + 0.3;
                assert!(inside, "{kind}: run {} at {:?} leaves its box {:?}", run.role, ink, c);
                assert!(ink.right() <= frame.width - 15.0 && ink.bottom() <= frame.height - 10.0, "{}", run.role);
            }
            // The whole name is printed (wrapped, maybe smaller), not cut; a line may break
            // at a space.
            let name_lines: String =
                frame.texts().filter(|t| t.role == "table:事業所名").map(|t| t.text.as_str()).collect();
            assert_eq!(squeeze(&name_lines), squeeze(&request.office_name), "{kind}");
            let honorifics: Vec<&str> = frame
                .texts()
                .filter(|t| t.role.starts_with("address"))
                .flat_map(|t| ["御中", "様"].into_iter().filter(|h| t.text.contains(h)))
                .collect();
            assert_eq!(honorifics, if attention.is_some() { vec!["様"] } else { vec!["御中"] }, "{kind}");
        }
    }
}

#[test]
fn a_long_name_stays_inside_the_page_in_the_pdf_itself() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let request = long_request(NoticeKind::Registration, None);
    let fonts = common::fonts_for(&renderer, [&request]);
    let r = render(&renderer, &fonts, request, 5);
    let html = tool("pdftotext", &["-bbox", r.pdf.to_str().unwrap(), "-"]);
    let mm = 72.0 / 25.4;
    let mut words = 0;
    for line in html.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let attr = |name: &str| -> f64 {
            let at = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            line[at..].split('"').next().unwrap().parse().unwrap()
        };
        words += 1;
        assert!(attr("xMin") >= 19.0 * mm && attr("xMax") <= 191.0 * mm, "word outside the margins: {line}");
        assert!(attr("yMax") <= 297.0 * mm - 10.0 * mm, "{line}");
    }
    assert!(words > 50);
}

#[test]
fn text_too_long_for_any_size_is_a_clear_layout_error() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let mut request = long_request(NoticeKind::LoginReissue, None);
    request.office_name = "長".repeat(400);
    let notice = Notice::issue(request, date(), &config.passwords, Secrets::Drawn(&mut Generator::seeded(1)));
    let err = renderer.frame(&notice).err().unwrap().to_string();
    assert!(err.contains("収まりません"), "{err}");
}

fn copy_templates(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    std::fs::copy(from.join("layout.toml"), to.join("layout.toml")).unwrap();
    for sub in ["notices", "mailroom"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for entry in std::fs::read_dir(from.join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(sub).join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn a_broken_template_is_a_clear_error_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    copy_templates(dir.path());
    let mut config = Config::default();
    config.templates.dir = Some(dir.path().to_path_buf());
    assert!(Renderer::new(&config).is_ok(), "the repository's templates load from a folder");

    let file = dir.path().join("notices/login_reissue.toml.tera");
    let good = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, good.replace("{{ office_no }}", "{{ office_no }")).unwrap();
    let err = Renderer::new(&config).err().expect("broken Tera").to_string();
    assert!(err.contains("テンプレート") && err.contains("login_reissue"), "{err}");

    std::fs::write(&file, good.replace("secret = \"temp_password\"", "secret = \"cert_password\"")).unwrap();
    let err = Renderer::new(&config).err().expect("secret the kind lacks").to_string();
    assert!(err.contains("証明書発行用パスワード"), "{err}");

    std::fs::write(&file, good.replace("type = \"bullets\"", "type = \"bulets\"")).unwrap();
    assert!(Renderer::new(&config).is_err());
}

#[test]
fn wording_changes_in_a_template_folder_reach_the_notice() {
    let dir = tempfile::tempdir().unwrap();
    copy_templates(dir.path());
    let file = dir.path().join("notices/login_reissue.toml.tera");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("仮パスワードは、新しいパスワードを", "仮パスワードは、変更後のパスワードを"))
        .unwrap();
    let mut config = Config::default();
    config.templates.dir = Some(dir.path().to_path_buf());
    config.issuer.name = "テスト県国民健康保険団体連合会".into();
    let renderer = Renderer::new(&config).unwrap();
    let request = sample_requests().into_iter().find(|r| r.kind == NoticeKind::LoginReissue).unwrap();
    let fonts = common::fonts_for(&renderer, [&request]);
    let r = render(&renderer, &fonts, request, 2);
    let flat = squeeze(&tool("pdftotext", &[r.pdf.to_str().unwrap(), "-"]));
    assert!(flat.contains("変更後のパスワードを"));
    assert!(flat.contains("テスト県国民健康保険団体連合会"));
}

#[test]
fn the_reading_row_spells_each_character_in_katakana() {
    let mut config = Config::default();
    config.notice.reading_row = true;
    let renderer = Renderer::new(&config).unwrap();
    let request = sample_requests().into_iter().find(|r| r.kind == NoticeKind::CertPasswordReissue).unwrap();
    let fonts = common::fonts_for(&renderer, [&request]);
    let r = render(&renderer, &fonts, request, 9);
    let flat = squeeze(&tool("pdftotext", &["-layout", r.pdf.to_str().unwrap(), "-"]));
    let secret = r.notice.secret(SecretSlot::CertPassword).unwrap();
    let readings: String = secret.chars().map(tsuchi::engine::secrets::reading).collect();
    // Cell by cell, a long reading on two or three lines (ダブ / リュー).
    let (_, frame) = renderer.frame(&r.notice).unwrap();
    let lines: Vec<&str> = frame.texts().filter(|t| t.role.ends_with(":row2")).map(|t| t.text.as_str()).collect();
    assert_eq!(lines.concat(), readings, "readings in order");
    for line in lines {
        assert!(flat.contains(line), "{line} is not in the PDF");
    }
}

/// The printed address name, 宛名 and addressee lines of a notice for `office` and `attention`
/// (each with its spaces squeezed out, wrapped lines joined).
fn honorific_lines(renderer: &Renderer, office: &str, attention: Option<&str>) -> [String; 4] {
    let mut request = sample_requests().into_iter().find(|r| r.kind == NoticeKind::LoginReissue).unwrap();
    request.office_name = office.to_string();
    request.attention = attention.map(str::to_string);
    let notice = Notice::issue(request, date(), &Config::default().passwords, Secrets::Specimen);
    let (_, frame) = renderer.frame(&notice).unwrap();
    let role =
        |role: &str| squeeze(&frame.texts().filter(|t| t.role == role).map(|t| t.text.as_str()).collect::<String>());
    [role("address:name"), role("address:attention"), role("addressee"), role("table:事業所名")]
}

#[test]
fn honorifics_are_never_doubled_and_onchu_never_meets_sama() {
    let renderer = Renderer::new(&Config::default()).unwrap();
    // (事業所名, 宛名) → (name line, 宛名 line, addressee line in the body)
    let cases = [
        ("見本の里", None, ["見本の里御中", "", "見本の里殿"]),
        ("見本の里", Some("管理者 山田 太郎"), ["見本の里", "管理者山田太郎様", "見本の里殿"]),
        ("見本の里", Some("管理者 山田 太郎 様"), ["見本の里", "管理者山田太郎様", "見本の里殿"]),
        ("見本の里", Some("管理者 山田 太郎様　"), ["見本の里", "管理者山田太郎様", "見本の里殿"]),
        ("見本の里", Some("山田 太郎　様 "), ["見本の里", "山田太郎様", "見本の里殿"]),
        ("見本の里", Some("山田 太郎　殿"), ["見本の里", "山田太郎殿", "見本の里殿"]),
        ("見本の里", Some("総務課 御中"), ["見本の里", "総務課御中", "見本の里殿"]),
        ("見本の里 御中", None, ["見本の里御中", "", "見本の里殿"]),
        ("見本の里御中", None, ["見本の里御中", "", "見本の里殿"]),
        ("見本の里　御中", Some("山田 太郎"), ["見本の里", "山田太郎様", "見本の里殿"]),
        ("見本の里 御中", Some("山田 太郎 様"), ["見本の里", "山田太郎様", "見本の里殿"]),
        ("デイサービスお日様", None, ["デイサービスお日様御中", "", "デイサービスお日様殿"]),
    ];
    for (office, attention, expected) in cases {
        let [name, person, addressee, table] = honorific_lines(&renderer, office, attention);
        assert_eq!([name.as_str(), person.as_str(), addressee.as_str()], expected, "{office:?} {attention:?}");
        // The table prints the 事業所名 without a 御中 typed into it: 敬称 belong to the
        // address block and the 殿 line.
        assert_eq!(table, squeeze(office).trim_end_matches("御中"), "{office:?}");
        assert!(!table.ends_with("御中"), "{office:?}");
        if office.ends_with("御中") || attention.is_some() {
            let block = format!("{name}{person}");
            assert!(!(block.contains("御中") && block.contains('様')), "{office:?} {attention:?}: {block}");
        }
    }
}

#[test]
fn a_typed_sama_and_onchu_are_printed_once_in_the_pdf() {
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let mut request = sample_requests().into_iter().find(|r| r.kind == NoticeKind::LoginReissue).unwrap();
    request.office_name = "見本の里 御中".into();
    request.attention = Some("管理者 山田 太郎　様".into());
    let fonts = common::fonts_for(&renderer, [&request]);
    let r = render(&renderer, &fonts, request, 4);
    let flat = squeeze(&tool("pdftotext", &["-layout", r.pdf.to_str().unwrap(), "-"]));
    assert!(flat.contains("管理者山田太郎様") && !flat.contains("様様"), "{flat}");
    assert_eq!(flat.matches('様').count(), 1, "{flat}");
    assert!(flat.contains("見本の里殿") && !flat.contains("御中殿"), "{flat}");
    // Not even the table's 事業所名 keeps the typed 御中.
    assert_eq!(flat.matches("御中").count(), 0, "{flat}");
}
