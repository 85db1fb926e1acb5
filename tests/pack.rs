//! Checks `tsuchi::engine::pack` against an independent reader: the `7z` command of Debian's
//! p7zip-full. A missing `7z` fails these tests rather than skipping them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{NaiveDate, NaiveDateTime};
use tsuchi::engine::pack::{ZipEncryption, zip_one};
use tsuchi::engine::secrets::{Generator, PasswordPolicy, Secret};

const JAPANESE_NAME: &str = "1311111114_証明書PW再発行.pdf";

fn password(seed: u64) -> Secret {
    Generator::seeded(seed).generate(&PasswordPolicy::temp_password(), "KJ000000000000")
}

fn jst(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d).and_then(|date| date.and_hms_opt(h, mi, s)).expect("valid test date")
}

/// PDF-looking bytes of a few KiB that, like a real notice, carry the password in plain text.
fn fake_pdf(pw: &Secret) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        // xorshift: deterministic, only partly compressible.
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(b'A' + (x % 8) as u8);
    }
    out.extend_from_slice(b"\n(");
    out.extend_from_slice(pw.expose().as_bytes());
    out.extend_from_slice(b") Tj\n%%EOF\n");
    out
}

/// Packs and writes the archive into `dir`, returning its path.
fn write_zip(
    dir: &Path,
    entry: &str,
    content: &[u8],
    pw: &Secret,
    encryption: ZipEncryption,
    modified: NaiveDateTime,
) -> PathBuf {
    let bytes = zip_one(entry, content, pw, encryption, modified).expect("zip_one failed");
    let path = dir.join("notice.zip");
    std::fs::write(&path, bytes).expect("write zip");
    path
}

/// Runs `7z` with the arguments; never reads stdin, so a password prompt cannot hang a test.
fn seven_zip(args: &[&str]) -> Output {
    Command::new("7z")
        .args(args)
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .output()
        .expect("cannot run `7z`: install p7zip-full (these tests need it and do not skip)")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pw_arg(pw: &str) -> String {
    format!("-p{pw}")
}

/// `7z l -slt` output: one `Key = value` line per property.
fn technical_listing(zip: &Path, pw: &Secret) -> String {
    let out = seven_zip(&["l", "-slt", &pw_arg(pw.expose()), path_str(zip)]);
    assert!(out.status.success(), "7z l -slt failed");
    stdout(&out)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn tests_ok(zip: &Path, pw: &str) -> bool {
    seven_zip(&["t", &pw_arg(pw), path_str(zip)]).status.success()
}

fn contains_subslice(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn aes_zip_opens_with_the_right_password_and_not_a_wrong_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = password(1);
    let content = fake_pdf(&pw);
    let zip = write_zip(dir.path(), "notice.pdf", &content, &pw, ZipEncryption::Aes256, jst(2026, 1, 10, 9, 30, 0));

    assert!(tests_ok(&zip, pw.expose()), "7z t rejected the right password");
    assert!(!tests_ok(&zip, "WRONG"), "7z t accepted a wrong password");

    let out_dir = dir.path().join("out");
    let out = seven_zip(&["x", "-y", &pw_arg(pw.expose()), &format!("-o{}", path_str(&out_dir)), path_str(&zip)]);
    assert!(out.status.success(), "7z x failed");
    let extracted = std::fs::read(out_dir.join("notice.pdf")).expect("extracted file");
    assert!(extracted == content, "extracted bytes differ from the input");
}

#[test]
fn aes_zip_uses_aes_256() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = password(2);
    let zip =
        write_zip(dir.path(), "notice.pdf", &fake_pdf(&pw), &pw, ZipEncryption::Aes256, jst(2026, 1, 10, 9, 30, 0));
    let listing = technical_listing(&zip, &pw);
    assert!(listing.lines().any(|l| l == "Method = AES-256 Store"), "7z does not report AES-256 Store:\n{listing}");
    assert!(listing.lines().any(|l| l == "Encrypted = +"));
}

#[test]
fn zipcrypto_only_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = password(3);
    let zip =
        write_zip(dir.path(), "notice.pdf", &fake_pdf(&pw), &pw, ZipEncryption::ZipCrypto, jst(2026, 1, 10, 9, 30, 0));
    let listing = technical_listing(&zip, &pw);
    assert!(
        listing.lines().any(|l| l == "Method = ZipCrypto Deflate"),
        "7z does not report ZipCrypto Deflate:\n{listing}"
    );
    assert!(tests_ok(&zip, pw.expose()), "7z t rejected the right password");
    assert!(!tests_ok(&zip, "WRONG"), "7z t accepted a wrong password");
}

#[test]
fn japanese_entry_names_are_utf8() {
    for encryption in [ZipEncryption::Aes256, ZipEncryption::ZipCrypto] {
        let dir = tempfile::tempdir().expect("tempdir");
        let pw = password(4);
        let zip = write_zip(dir.path(), JAPANESE_NAME, &fake_pdf(&pw), &pw, encryption, jst(2026, 1, 10, 9, 30, 0));

        let listing = technical_listing(&zip, &pw);
        let expected = format!("Path = {JAPANESE_NAME}");
        assert!(listing.lines().any(|l| l == expected), "{encryption:?}: 7z lists another name:\n{listing}");
        let plain = stdout(&seven_zip(&["l", path_str(&zip)]));
        assert!(plain.contains(JAPANESE_NAME), "{encryption:?}: 7z l:\n{plain}");

        let bytes = std::fs::read(&zip).expect("read zip");
        assert_eq!(&bytes[..4], b"PK\x03\x04", "not a local file header");
        let flags = u16::from_le_bytes([bytes[6], bytes[7]]);
        assert_ne!(flags & (1 << 11), 0, "{encryption:?}: UTF-8 flag (bit 11) not set, flags = {flags:#06x}");
    }
}

#[test]
fn entry_time_is_the_given_jst_wall_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = password(5);
    let zip =
        write_zip(dir.path(), "notice.pdf", &fake_pdf(&pw), &pw, ZipEncryption::Aes256, jst(2026, 1, 10, 9, 30, 0));
    let listing = technical_listing(&zip, &pw);
    assert!(listing.lines().any(|l| l == "Modified = 2026-01-10 09:30:00"), "7z shows another time:\n{listing}");
}

#[test]
fn password_bytes_never_appear_in_the_archive() {
    for encryption in [ZipEncryption::Aes256, ZipEncryption::ZipCrypto] {
        let pw = password(6);
        // The content carries the password in plain text, as a real notice does.
        let content = fake_pdf(&pw);
        assert!(contains_subslice(&content, pw.expose().as_bytes()));
        let bytes =
            zip_one("notice.pdf", &content, &pw, encryption, jst(2026, 1, 10, 9, 30, 0)).expect("zip_one failed");
        assert!(
            !contains_subslice(&bytes, pw.expose().as_bytes()),
            "{encryption:?}: the password appears in the archive bytes"
        );
    }
}

/// The WinZip AES extra field (0x9901) of a local or central header: (vendor version, vendor
/// id, strength, actual compression method).
fn aes_extra_field(extra: &[u8]) -> Option<(u16, [u8; 2], u8, u16)> {
    let u16_at = |at: usize| u16::from_le_bytes([extra[at], extra[at + 1]]);
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, size) = (u16_at(at), usize::from(u16_at(at + 2)));
        if id == 0x9901 && size == 7 {
            return Some((u16_at(at + 4), [extra[at + 6], extra[at + 7]], extra[at + 8], u16_at(at + 9)));
        }
        at += 4 + size;
    }
    None
}

#[test]
fn aes_zip_is_ae2_and_stores_no_crc_of_the_notice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = password(7);
    // Several KiB: the `zip` crate (9.4.1) chose AE-1 for entries of 20 bytes or more.
    let content = fake_pdf(&pw);
    let zip = write_zip(dir.path(), JAPANESE_NAME, &content, &pw, ZipEncryption::Aes256, jst(2026, 1, 10, 9, 30, 0));
    let bytes = std::fs::read(&zip).expect("read zip");
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);

    // Local file header: method 99 (AES), CRC 0, extra field AE-2 / "AE" / AES-256 / stored.
    assert_eq!(u32_at(0), 0x0403_4b50, "not a local file header");
    assert_eq!(u16_at(8), 99, "compression method is not 99 (AES)");
    assert_eq!(u32_at(14), 0, "the local header stores a CRC-32");
    let (name_len, extra_len) = (usize::from(u16_at(26)), usize::from(u16_at(28)));
    let local_extra = &bytes[30 + name_len..30 + name_len + extra_len];
    assert_eq!(aes_extra_field(local_extra), Some((2, *b"AE", 3, 0)), "local header is not AE-2");

    // Central directory entry: the same, and no CRC there either.
    let central = bytes.windows(4).position(|w| w == b"PK\x01\x02").expect("central directory entry");
    assert_eq!(u32_at(central + 16), 0, "the central directory stores a CRC-32");
    let (name_len, extra_len) = (usize::from(u16_at(central + 28)), usize::from(u16_at(central + 30)));
    let extra_at = central + 46 + name_len;
    assert_eq!(aes_extra_field(&bytes[extra_at..extra_at + extra_len]), Some((2, *b"AE", 3, 0)));

    // The real CRC-32 of the notice appears nowhere (data descriptor included).
    let crc = crc32(&content).to_le_bytes();
    assert!(!contains_subslice(&bytes, &crc), "the notice's CRC-32 is in the archive");

    assert!(tests_ok(&zip, pw.expose()), "7z t rejected the right password");
    assert!(!tests_ok(&zip, "WRONG"), "7z t accepted a wrong password");
    let out_dir = dir.path().join("out");
    let out = seven_zip(&["x", "-y", &pw_arg(pw.expose()), &format!("-o{}", path_str(&out_dir)), path_str(&zip)]);
    assert!(out.status.success(), "7z x failed");
    assert!(std::fs::read(out_dir.join(JAPANESE_NAME)).expect("extracted") == content, "extracted bytes differ");
}

/// CRC-32 (IEEE, as ZIP uses it), bit by bit: only for the test above.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Opens archives with pyzipper (PyPI), a ZIP reader independent of 7-Zip; `scripts/test`
/// installs it. Reads `zip path<TAB>password<TAB>wrong password` lines on stdin, so no
/// password is on a command line, writes each entry's bytes next to its archive (`.out`), and
/// prints one line per archive: `ok`, or why not. A wrong password must raise.
const PYZIPPER: &str = r#"
import sys, pyzipper
for line in sys.stdin.read().splitlines():
    path, password, wrong = line.split("\t")
    try:
        with pyzipper.AESZipFile(path) as z:
            (name,) = z.namelist()
            z.setpassword(wrong.encode())
            try:
                z.read(name)
                print("wrong password accepted")
                continue
            except Exception:  # bad password, bad HMAC or CRC, or a broken deflate stream
                pass
            z.setpassword(password.encode())
            with open(path + ".out", "wb") as out:
                out.write(z.read(name))
        print("ok")
    except Exception as e:
        print(type(e).__name__)
"#;

/// Runs [`PYZIPPER`] over `archives` (path, password); one verdict each.
fn pyzipper_verdicts(archives: &[(PathBuf, Secret)]) -> Vec<String> {
    use std::io::Write as _;
    let mut child = Command::new("python3")
        .args(["-c", PYZIPPER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run python3 (these tests need it with pyzipper, and do not skip)");
    let mut input = String::new();
    for (path, pw) in archives {
        // A wrong password one character off: the last one changed.
        let mut wrong: Vec<char> = pw.expose().chars().collect();
        let last = wrong.last_mut().expect("a password is not empty");
        *last = if *last == 'x' { 'y' } else { 'x' };
        let wrong: String = wrong.into_iter().collect();
        input.push_str(&format!("{}\t{}\t{wrong}\n", path_str(path), pw.expose()));
    }
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pyzipper failed (install it: pip install pyzipper): {stderr}");
    stdout(&out).lines().map(str::to_string).collect()
}

#[test]
fn pyzipper_opens_symbol_passwords_of_every_allowed_length_and_refuses_a_wrong_one() {
    use tsuchi::engine::secrets::{ZIP_MAX_LENGTH, ZIP_MIN_LENGTH};
    let dir = tempfile::tempdir().expect("tempdir");
    // ZIP opening passwords (14..=32) and the login passwords a ZIP may open with (8..=16),
    // with symbols on: every length, three passwords each.
    let zip_policy = PasswordPolicy { symbols: true, ..PasswordPolicy::zip_password() };
    let login_policy = PasswordPolicy { symbols: true, ..PasswordPolicy::temp_password() };
    let policies = (ZIP_MIN_LENGTH..=ZIP_MAX_LENGTH)
        .map(|length| PasswordPolicy { length, ..zip_policy.clone() })
        .chain((8..=16).map(|length| PasswordPolicy { length, ..login_policy.clone() }));
    let mut generator = Generator::seeded(24);
    let mut archives = Vec::new();
    let mut contents = Vec::new();
    for (i, policy) in policies.flat_map(|p| [p.clone(), p.clone(), p]).enumerate() {
        let pw = generator.generate(&policy, "KJ000000000000");
        assert_eq!(pw.expose().len(), policy.length);
        let content = fake_pdf(&pw);
        let encryption = if i % 5 == 4 { ZipEncryption::ZipCrypto } else { ZipEncryption::Aes256 };
        let bytes = zip_one("notice.pdf", &content, &pw, encryption, jst(2026, 1, 10, 9, 30, 0)).expect("zip_one");
        let path = dir.path().join(format!("{i:03}.zip"));
        std::fs::write(&path, bytes).expect("write zip");
        archives.push((path, pw));
        contents.push(content);
    }
    // Every allowed symbol is in some password, so every one went through both readers' KDF.
    let symbols = PasswordPolicy { symbols: true, ..PasswordPolicy::zip_password() }.symbols();
    let used: String = archives.iter().flat_map(|(_, pw)| pw.chars()).collect();
    for c in symbols.chars() {
        assert!(used.contains(c), "no password holds {c}");
    }
    let verdicts = pyzipper_verdicts(&archives);
    assert_eq!(verdicts.len(), archives.len());
    for (((path, pw), content), verdict) in archives.iter().zip(&contents).zip(&verdicts) {
        let length = pw.expose().len();
        assert_eq!(verdict, "ok", "{}: {length} characters", path.display());
        let extracted = std::fs::read(path.with_extension("zip.out")).expect("pyzipper wrote the entry");
        assert!(&extracted == content, "{}: pyzipper read other bytes", path.display());
    }
}
