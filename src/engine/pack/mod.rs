//! Packs one rendered notice (PDF bytes) into a password-protected ZIP held in memory.
//! AES-256 (WinZip AE-2) by default, legacy ZipCrypto only when the config asks for it; the
//! password itself never leaves its `Secret` except to reach the encryptor.

use std::io::Write;

use chrono::{Datelike, NaiveDateTime, Timelike};
use zip::unstable::write::FileOptionsExt;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::engine::secrets::Secret;

mod ae2;
pub mod policy;

pub use crate::engine::config::ZipEncryption;

/// Why an archive could not be made. Messages are for the clerk and never contain the password.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{}", crate::msg!("secret.zip.empty_password"))]
    EmptyPassword,
    #[error("{}", crate::msg!("secret.zip.entry_name", name = .0))]
    EntryName(String),
    #[error("{}", crate::msg!("secret.zip.timestamp", time = .0))]
    Timestamp(NaiveDateTime),
    #[error("{}", crate::msg!("secret.zip.other", detail = .0))]
    Zip(#[from] zip::result::ZipError),
}

/// Returns a ZIP archive holding `content` as the single entry `entry_name`, Deflate-compressed
/// and encrypted with `password`.
///
/// `modified` is recorded as the entry's timestamp as is: ZIP stores local wall-clock time
/// without a zone, so pass JST wall-clock time. ZIP keeps seconds in 2-second steps (an odd
/// second is rounded down) and drops fractions. A non-ASCII `entry_name` is stored as UTF-8 with
/// general-purpose flag bit 11 set, which 7-Zip, Explorer and Info-ZIP honour.
pub fn zip_one(
    entry_name: &str,
    content: &[u8],
    password: &Secret,
    encryption: ZipEncryption,
    modified: NaiveDateTime,
) -> Result<Vec<u8>, PackError> {
    if entry_name.is_empty() || entry_name.contains(['/', '\\']) {
        return Err(PackError::EntryName(entry_name.to_string()));
    }
    let pw = password.expose();
    if pw.is_empty() {
        return Err(PackError::EmptyPassword);
    }

    let modified = zip_time(modified)?;
    match encryption {
        // A notice PDF is already compressed (its font program and page streams are
        // deflated): deflating it again would cost as much as the encryption and save about
        // 1 % of its size, so the AES entry is stored.
        ZipEncryption::Aes256 => {
            let mut salt = [0u8; 16];
            rand::rand_core::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut salt)
                .map_err(|e| PackError::Zip(zip::result::ZipError::Io(std::io::Error::other(e))))?;
            let entry = ae2::Entry { name: entry_name, dos_time: modified.timepart(), dos_date: modified.datepart() };
            Ok(ae2::archive(&entry, content, pw.as_bytes(), &salt))
        }
        // ZipCrypto keeps Deflate, so that its known plaintext is not simply the PDF header.
        ZipEncryption::ZipCrypto => {
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .last_modified_time(modified)
                .with_deprecated_encryption(pw.as_bytes());
            let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(content.len() + 1024)));
            writer.start_file(entry_name, options)?;
            writer.write_all(content).map_err(zip::result::ZipError::Io)?;
            Ok(writer.finish()?.into_inner())
        }
    }
}

/// Converts a wall-clock time into the MS-DOS timestamp a ZIP entry carries.
fn zip_time(t: NaiveDateTime) -> Result<zip::DateTime, PackError> {
    let out_of_range = || PackError::Timestamp(t);
    // chrono's fields are always in range for u8; only the year can fall outside u16.
    let narrow = |v: u32| u8::try_from(v).map_err(|_| out_of_range());
    let year = u16::try_from(t.year()).map_err(|_| out_of_range())?;
    zip::DateTime::from_date_and_time(
        year,
        narrow(t.month())?,
        narrow(t.day())?,
        narrow(t.hour())?,
        narrow(t.minute())?,
        narrow(t.second())?,
    )
    .map_err(|_| out_of_range())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::secrets::{Generator, PasswordPolicy};
    use chrono::NaiveDate;

    fn secret() -> Secret {
        Generator::seeded(7).generate(&PasswordPolicy::temp_password(), "KJ000000000000")
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d).and_then(|date| date.and_hms_opt(h, mi, s)).expect("valid test date")
    }

    #[test]
    fn zip_time_keeps_the_wall_clock_fields() {
        let t = zip_time(at(2026, 1, 10, 9, 30, 0)).expect("in range");
        assert_eq!((t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second()), (2026, 1, 10, 9, 30, 0));
    }

    #[test]
    fn zip_time_rounds_odd_seconds_down() {
        let t = zip_time(at(2026, 12, 31, 23, 59, 59)).expect("in range");
        assert_eq!((t.hour(), t.minute(), t.second()), (23, 59, 58));
    }

    #[test]
    fn dates_zip_cannot_store_are_errors() {
        for t in [at(1979, 12, 31, 23, 59, 58), at(2108, 1, 1, 0, 0, 0)] {
            let err = zip_one("a.pdf", b"x", &secret(), ZipEncryption::Aes256, t).expect_err("out of range");
            assert!(matches!(err, PackError::Timestamp(_)));
            assert!(err.to_string().starts_with("ZIPファイルを作れません："));
        }
    }

    #[test]
    fn entry_names_with_paths_or_nothing_are_errors() {
        for name in ["", "a/b.pdf", "a\\b.pdf"] {
            let err =
                zip_one(name, b"x", &secret(), ZipEncryption::Aes256, at(2026, 1, 10, 9, 30, 0)).expect_err("bad name");
            assert!(matches!(err, PackError::EntryName(_)));
        }
    }

    #[test]
    fn archive_starts_with_a_local_file_header() {
        for encryption in [ZipEncryption::Aes256, ZipEncryption::ZipCrypto] {
            let bytes =
                zip_one("a.pdf", b"%PDF-1.7 hello", &secret(), encryption, at(2026, 1, 10, 9, 30, 0)).expect("zip");
            assert_eq!(&bytes[..4], b"PK\x03\x04");
            // Bit 0: encrypted.
            assert_eq!(bytes[6] & 1, 1, "{encryption:?} entry is not flagged encrypted");
        }
    }

    #[test]
    fn default_is_aes_and_config_names_are_snake_case() {
        #[derive(serde::Deserialize)]
        struct Cfg {
            encryption: ZipEncryption,
        }
        assert_eq!(ZipEncryption::default(), ZipEncryption::Aes256);
        let parse = |s: &str| toml::from_str::<Cfg>(s).map(|c| c.encryption);
        assert_eq!(parse("encryption = \"aes256\"").ok(), Some(ZipEncryption::Aes256));
        assert_eq!(parse("encryption = \"zip_crypto\"").ok(), Some(ZipEncryption::ZipCrypto));
        assert!(parse("encryption = \"none\"").is_err());
    }
}
