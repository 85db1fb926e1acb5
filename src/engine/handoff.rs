//! The hand-off file (システム登録ファイル): every credential a batch issued, for the operator of
//! the 電子請求受付システム who registers them there, encrypted with age to the X25519 public
//! keys of `[handoff] recipients`. The plaintext exists only in memory on its way into the
//! encryptor; only ciphertext reaches the disk. With no recipient there is no file — never a
//! plaintext one.
//!
//! Inside, one CSV (UTF-8 without BOM, CRLF line ends, RFC 4180 quoting) with the header
//! [`HEADER`] and one row per issued notice: 通知種別 as printed on the notice (登録結果 / 再発行 /
//! 証明書PW再発行), 請求先都道府県 as its JIS X 0401 code (empty when the list gives none), the
//! password columns empty where the kind does not carry that password, 発行日 as YYYY-MM-DD.
//! A batch that reissues a notice withdrawn before (a spoiled page, `tsuchi spoil`) first
//! lists, for each, a 取消 row: 通知種別 `取消`, the withdrawn notice's 申請番号, ユーザID,
//! 事業所番号, 請求先都道府県 and its 発行日, both password columns empty. The operator
//! withdraws those passwords, then registers the new ones of the rows below (same columns).
//! The operator may open it in a spreadsheet, so no cell starts a formula: a password never
//! starts with `= + - @` (the generator redraws it; checked again here, never patched, since a
//! changed password would not open the account), and a 申請番号 that does is quoted with `'` as
//! in the rejected-rows list.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::engine::notice::{Notice, SecretSlot};

pub use crate::engine::config::{DEMO_KEY, Recipient, TEMPLATE_EXAMPLE_KEY};

/// The columns of the CSV inside the file.
pub const HEADER: [&str; 8] = [
    "申請番号",
    "通知種別",
    "ユーザID",
    "事業所番号",
    "請求先都道府県",
    "仮パスワード",
    "証明書発行用パスワード",
    "発行日",
];

/// The 通知種別 of a row that withdraws an earlier notice's passwords.
pub const WITHDRAWN_KIND: &str = "取消";

/// A notice withdrawn before (a spoiled page) whose request this batch issues anew: its
/// passwords are marked withdrawn in the hand-off. Never a password: only which notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withdrawn {
    pub request_id: String,
    pub user_id: String,
    pub office_no: String,
    /// JIS X 0401 code, empty when the notice had none.
    pub prefecture: String,
    /// The withdrawn notice's 発行日 (YYYY-MM-DD) and batch.
    pub issue_date: String,
    pub batch: String,
}

/// What became of a batch's hand-off file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Written {
        /// Relative to the batch folder.
        file: PathBuf,
        /// SHA-256 of the ciphertext, as the manifest records it.
        sha256: String,
        /// Notices in it, one row each.
        rows: usize,
        recipients: Vec<String>,
    },
    /// `[handoff] recipients` is empty: no file.
    NoRecipients,
    /// `[handoff] mode = "manual"`: the operator registers the passwords by another route.
    Manual,
}

/// Why there is no hand-off file, for the clerk and the audit log.
pub fn no_recipients() -> String {
    crate::msg!("run.no_recipients")
}

/// What every summary and audit log says of a batch whose passwords are registered by hand.
pub fn manual() -> String {
    crate::msg!("run.handoff_manual")
}

/// Encrypts the credentials of `notices` to `recipients` into a new private file at `path`
/// (0600) in a staging folder, durable with the folder ([`crate::ground::fsutil::staged`]).
/// `recipients` must not be empty.
/// The file has a row per notice and a 取消 row per `withdrawn` notice (returned as its rows).
pub fn write(
    path: &Path,
    notices: &[Notice],
    withdrawn: &[Withdrawn],
    recipients: &[Recipient],
) -> io::Result<(String, usize)> {
    let keys: Vec<crate::engine::age::Recipient> = recipients.iter().map(|r| r.key().clone()).collect();
    let file = crate::ground::fsutil::create_private(path)?;
    let mut sink = crate::engine::age::encrypt(&keys, crate::ground::digest::Hashing::new(BufWriter::new(file)))?;
    write_csv(&mut sink, notices, withdrawn)?;
    let (inner, sha256) = sink.finish()?.finish();
    let file: File = inner.into_inner().map_err(|e| e.into_error())?;
    crate::ground::fsutil::staged(&file)?;
    Ok((sha256, withdrawn.len() + notices.len()))
}

/// The plaintext CSV, written line by line into `out` (the age encryptor). Each line is built
/// in a buffer sized for it up front (no reallocation leaves a copy behind) and wiped when
/// dropped.
fn write_csv(out: &mut impl Write, notices: &[Notice], withdrawn: &[Withdrawn]) -> io::Result<()> {
    out.write_all(record(&HEADER).as_bytes())?;
    for w in withdrawn {
        let request_id = crate::engine::report::csv_safe(&w.request_id);
        let line =
            record(&[&request_id, WITHDRAWN_KIND, &w.user_id, &w.office_no, &w.prefecture, "", "", &w.issue_date]);
        out.write_all(line.as_bytes())?;
    }
    for n in notices {
        let r = &n.request;
        let secret = |slot| formula_free(n.secret(slot).map(|s| s.expose()).unwrap_or(""));
        let prefecture = r.prefecture.map(|p| format!("{:02}", p.code())).unwrap_or_default();
        let date = n.issue_date.format("%Y-%m-%d").to_string();
        let request_id = crate::engine::report::csv_safe(r.request_id.as_str());
        let line = record(&[
            &request_id,
            r.kind.label(),
            r.user_id.as_str(),
            r.office_no.as_str(),
            &prefecture,
            secret(SecretSlot::TempPassword)?,
            secret(SecretSlot::CertPassword)?,
            &date,
        ]);
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// `password`, which the generator never lets start with a formula character; should one
/// ever do, the file is refused rather than written with a cell a spreadsheet would run.
fn formula_free(password: &str) -> io::Result<&str> {
    if password.starts_with(crate::engine::secrets::FORMULA_STARTS) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, crate::msg!("run.handoff_formula")));
    }
    Ok(password)
}

/// One CSV record and its CRLF (RFC 4180: a field with a comma, a quote or a line break is
/// quoted, its quotes doubled).
fn record(fields: &[&str]) -> Zeroizing<String> {
    let capacity = fields.iter().map(|f| 2 * f.len() + 3).sum::<usize>() + 2;
    let mut line = Zeroizing::new(String::with_capacity(capacity));
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let quoted = field.contains([',', '"', '\r', '\n']);
        if quoted {
            line.push('"');
        }
        for c in field.chars() {
            if c == '"' {
                line.push('"');
            }
            line.push(c);
        }
        if quoted {
            line.push('"');
        }
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted() {
        let line = record(&["a", "b,c", "d\"e", "f\ng"]);
        assert_eq!(line.as_str(), "a,\"b,c\",\"d\"\"e\",\"f\ng\"\r\n");
    }

    #[test]
    fn a_password_starting_a_formula_is_refused_never_patched() {
        for password in ["=1+2", "+81", "-x", "@SUM(A1)", "＝1"] {
            let err = formula_free(password).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert!(!err.to_string().contains(password), "{err}");
        }
        for password in ["Ab3#=+", "#$%&", ""] {
            assert_eq!(formula_free(password).unwrap(), password);
        }
    }

    #[test]
    fn no_cell_of_the_file_starts_a_formula() {
        let mut notice = crate::engine::notice::Notice::specimen(crate::ground::model::NoticeKind::Registration);
        notice.request.request_id = crate::ground::model::RequestId::parse("=HYPERLINK(1)").unwrap();
        let mut out = Vec::new();
        write_csv(&mut out, std::slice::from_ref(&notice), &[]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(row.starts_with("'=HYPERLINK(1),"), "{row}");
        for cell in row.split(',') {
            assert!(!cell.starts_with(crate::engine::secrets::FORMULA_STARTS), "{cell}");
        }
    }

    #[test]
    fn a_recipient_must_be_an_age_public_key() {
        let key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p".to_string();
        let parsed = Recipient::try_from(key.clone()).unwrap();
        assert_eq!(parsed.to_string(), key);
        let err = Recipient::try_from("ssh-ed25519 AAAA".to_string()).unwrap_err();
        assert!(err.contains("age1"), "{err}");
        assert!(Recipient::try_from(key.replace("age1", "age2")).is_err());
    }

    #[test]
    fn a_secret_key_pasted_as_a_recipient_is_named_but_never_echoed() {
        let secret = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
        for text in [secret.to_string(), format!("  {}", secret.to_lowercase())] {
            let err = Recipient::try_from(text).unwrap_err();
            assert!(err.contains("AGE-SECRET-KEY-…") && !err.contains("QQQQ") && !err.contains("qqqq"), "{err}");
        }
    }
}
