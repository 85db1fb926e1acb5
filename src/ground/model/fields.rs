//! Typed request fields. Each code is a newtype validated in its constructor, so that a postal
//! code can never be passed where an office number goes. Constructors take the raw cell text,
//! normalise it (code fields only) and return the value, or the reason in the language of the
//! messages (`templates/messages/field.toml`).

use std::fmt;

use super::normalize_code;

/// A value accepted with a remark the clerk should see (e.g. a repaired leading zero).
pub type WithWarning<T> = (T, Option<String>);

/// 事業所番号: 都道府県番号(2) + 区分(1) + 郡市区番号(2) + 番号(4) + 検査数字(1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OfficeNo(String);

/// Value of one payload character for the check digit: digits as themselves, letters
/// A=10 … Z=32 skipping I, O and Q (DOMAIN §1).
fn office_char_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='Z' if !matches!(c, 'I' | 'O' | 'Q') => {
            let skipped = ['I', 'O', 'Q'].iter().filter(|&&s| s < c).count() as u32;
            Some(10 + (c as u32 - 'A' as u32) - skipped)
        }
        _ => None,
    }
}

/// Modulus-10 check digit with weights 2,1,2,1… from the rightmost payload character, the
/// digits of each product added separately (the Luhn check for all-digit numbers).
pub fn office_check_digit(payload: &str) -> Option<u32> {
    let mut sum = 0;
    for (i, c) in payload.chars().rev().enumerate() {
        let weight = if i % 2 == 0 { 2 } else { 1 };
        let mut product = office_char_value(c)? * weight;
        while product > 0 {
            sum += product % 10;
            product /= 10;
        }
    }
    Some((10 - sum % 10) % 10)
}

impl OfficeNo {
    /// Parses a 事業所番号. A 9-digit number is taken as one whose leading zero Excel dropped,
    /// and accepted only if the check digit holds once the zero is back.
    pub fn parse(raw: &str) -> Result<WithWarning<OfficeNo>, String> {
        let code = normalize_code(raw).to_ascii_uppercase();
        if code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit()) {
            let padded = format!("0{code}");
            return match Self::validate(&padded) {
                Ok((no, _)) => Ok((no, Some(crate::msg!("field.office_no.zero_restored", code, padded)))),
                Err(_) => Err(crate::msg!("field.office_no.nine_digits", padded)),
            };
        }
        Self::validate(&code)
    }

    fn validate(code: &str) -> Result<WithWarning<OfficeNo>, String> {
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 10 {
            return Err(crate::msg!("field.office_no.length", digits = chars.len()));
        }
        let shape_ok = chars
            .iter()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == 2 && c.is_ascii_uppercase() && !matches!(c, 'I' | 'O' | 'Q')));
        if !shape_ok {
            return Err(crate::msg!("field.office_no.shape"));
        }
        let pref: u32 = code[..2].parse().unwrap_or(0);
        if !(1..=47).contains(&pref) {
            return Err(crate::msg!("field.office_no.prefecture", code = &code[..2]));
        }
        let expected = office_check_digit(&code[..9]);
        let actual = chars[9].to_digit(10);
        let holds = expected.is_some() && expected == actual;
        let no = OfficeNo(code.to_string());
        if holds {
            Ok((no, None))
        } else if chars[2].is_ascii_uppercase() {
            // How letter products are split is not confirmed (DOMAIN §1): warn, don't reject.
            Ok((no, Some(crate::msg!("field.office_no.letter_unchecked"))))
        } else {
            Err(crate::msg!("field.office_no.check_digit"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// JIS X 0401 code of the prefecture that designated the office.
    pub fn prefecture_code(&self) -> u8 {
        self.0[..2].parse().expect("validated in the constructor")
    }
}

impl fmt::Display for OfficeNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// ユーザID: `KJ` + 12 letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    pub fn parse(raw: &str) -> Result<UserId, String> {
        let code = normalize_code(raw);
        let ok = code.len() == 14 && code.starts_with("KJ") && code[2..].bytes().all(|b| b.is_ascii_alphanumeric());
        if ok { Ok(UserId(code)) } else { Err(crate::msg!("field.user_id.shape")) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last ten characters, which on the seed notices repeat the 事業所番号.
    pub fn office_part(&self) -> &str {
        &self.0[4..]
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 郵便番号, seven digits; shown as NNN-NNNN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(raw: &str) -> Result<PostalCode, String> {
        let code = normalize_code(raw);
        let code = code.trim_start_matches('〒').trim();
        let digits: String = code.chars().filter(|c| *c != '-').collect();
        let shape_ok = match code.len() {
            7 => true,
            8 => code.as_bytes()[3] == b'-',
            _ => false,
        };
        if shape_ok && digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PostalCode(digits))
        } else if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Err(crate::msg!("field.postal_code.six_digits"))
        } else {
            Err(crate::msg!("field.postal_code.shape"))
        }
    }

    /// The seven digits without hyphen.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..3], &self.0[3..])
    }
}

/// 電話番号 / FAX番号: starts with 0, 10 or 11 digits, hyphens and brackets as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNo(String);

/// Words a clerk writes in the FAX cell of an office that has no FAX (after NFKC, the hyphen
/// look-alikes mapped to `-`, spaces removed, ASCII lower case).
const NO_FAX: &[&str] = &[
    "なし",
    "無し",
    "無",
    "ナシ",
    "ない",
    "無い",
    "該当なし",
    "未設定",
    "不要",
    "なし。",
    "×",
    "・",
    "n/a",
    "na",
    "none",
    "nil",
    "no",
];

impl PhoneNo {
    /// A 電話番号.
    pub fn parse(raw: &str) -> Result<PhoneNo, String> {
        PhoneNo::parse_shape(raw).map_err(|leading_zero| match leading_zero {
            true => crate::msg!("field.phone.leading_zero"),
            false => crate::msg!("field.phone.shape"),
        })
    }

    /// A FAX番号 (refused in the FAX's own words, not the phone's).
    pub fn parse_fax(raw: &str) -> Result<PhoneNo, String> {
        PhoneNo::parse_shape(raw).map_err(|leading_zero| match leading_zero {
            true => crate::msg!("field.fax.leading_zero"),
            false => crate::msg!("field.fax.shape"),
        })
    }

    /// The number, or whether it failed for a lost leading zero (`true`) or its shape.
    fn parse_shape(raw: &str) -> Result<PhoneNo, bool> {
        let code = normalize_code(raw);
        let allowed = code.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')'));
        let digits: String = code.chars().filter(char::is_ascii_digit).collect();
        if allowed && digits.starts_with('0') && (10..=11).contains(&digits.len()) {
            Ok(PhoneNo(code))
        } else {
            Err(allowed && !digits.starts_with('0') && (9..=10).contains(&digits.len()))
        }
    }

    /// Whether a FAX cell says "no FAX" in words (「なし」「無し」「-」「ー」…) rather than a number.
    pub fn means_none(raw: &str) -> bool {
        let folded: String =
            normalize_code(raw).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
        !folded.is_empty() && (folded.chars().all(|c| c == '-') || NO_FAX.contains(&folded.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 書留番号: the お問い合わせ番号 (引受番号) Japan Post gives a 書留, 簡易書留, 特定記録 or
/// ゆうパック, as the mail room types it into the 発送リスト. Kept as its digits alone.
///
/// Accepted: 11 to 13 digits, with or without hyphens or spaces between them, full-width
/// digits and hyphens normalised (NFKC). The 書留 label is 11 digits printed 3-2-5-1
/// (`131-12-38385-2`); ゆうパック and the newer labels are 12 digits printed 4-4-4
/// (`4011-2233-4456`); 13 leaves room for the longer forms Japan Post has announced.
/// Refused: anything with a character other than a digit, hyphen or space (未発送, 保留, ×),
/// no digits at all (`-`, なし), another number of digits, and placeholders (one digit
/// repeated, or 1234567890… counted up).
///
/// The last digit is widely reported to be a check digit (the preceding digits mod 7), but
/// Japan Post does not publish it and we have seen it confirmed only for the 11-digit 書留
/// label, so it is not enforced: a real number wrongly refused would keep a batch from ever
/// being purged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegisteredNo(String);

impl RegisteredNo {
    pub fn parse(raw: &str) -> Result<RegisteredNo, String> {
        let code = normalize_code(raw);
        let digits: String = code.chars().filter(char::is_ascii_digit).collect();
        let allowed = code.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ' '));
        if digits.is_empty() {
            return Err(crate::msg!("field.registered_no.no_digits"));
        }
        if !allowed {
            return Err(crate::msg!("field.registered_no.shape"));
        }
        if !(11..=13).contains(&digits.len()) {
            return Err(crate::msg!("field.registered_no.length", digits = digits.len()));
        }
        let bytes = digits.as_bytes();
        let repeated = bytes.iter().all(|&b| b == bytes[0]);
        let counted_up = bytes.windows(2).all(|w| w[1] == b'0' + (w[0] - b'0' + 1) % 10);
        if repeated || counted_up {
            return Err(crate::msg!("field.registered_no.placeholder"));
        }
        Ok(RegisteredNo(digits))
    }

    /// The digits, without separators: what the ledger records and what duplicates are found by.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegisteredNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 申請番号: the clerk's own reference; with 通知種別 the key that keeps a notice from being
/// issued twice. Normalised like the other codes and ASCII upper-cased, so that a number
/// retyped in full width, in lower case or with an invisible character is the same request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(String);

impl RequestId {
    pub fn parse(raw: &str) -> Result<RequestId, String> {
        let code = normalize_code(raw).to_ascii_uppercase();
        if code.is_empty() {
            Err(crate::msg!("field.request_id.blank"))
        } else if code.chars().count() > 64 {
            Err(crate::msg!("field.request_id.too_long"))
        } else if code.chars().any(char::is_control) {
            Err(crate::msg!("field.request_id.control"))
        } else {
            Ok(RequestId(code))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 通知種別: which of the three notices a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 電子請求登録結果に関するお知らせ.
    Registration,
    /// 電子請求ログイン情報再発行通知書.
    LoginReissue,
    /// 証明書発行用パスワード通知書.
    CertPasswordReissue,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 3] =
        [NoticeKind::Registration, NoticeKind::LoginReissue, NoticeKind::CertPasswordReissue];

    pub fn parse(raw: &str) -> Result<NoticeKind, String> {
        let key: String = normalize_code(raw).to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
        match key.as_str() {
            "登録結果" | "登録" | "registration" => Ok(NoticeKind::Registration),
            "再発行" | "ログイン情報再発行" | "login_reissue" => Ok(NoticeKind::LoginReissue),
            "証明書pw再発行" | "証明書パスワード再発行" | "証明書発行用パスワード再発行" | "cert_password_reissue" => {
                Ok(NoticeKind::CertPasswordReissue)
            }
            _ => Err(crate::msg!("field.kind.invalid")),
        }
    }

    /// Whether the notice goes out on paper in a window envelope (the 証明書発行用パスワード
    /// 通知書 is delivered electronically, as a ZIP).
    pub fn is_mailed(self) -> bool {
        matches!(self, NoticeKind::Registration | NoticeKind::LoginReissue)
    }

    /// The label used in the request list, file names and the documents (always Japanese;
    /// the console says [`NoticeKind::console_label`]).
    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::Registration => "登録結果",
            NoticeKind::LoginReissue => "再発行",
            NoticeKind::CertPasswordReissue => "証明書PW再発行",
        }
    }

    /// The kind as the console names it, in the language of the messages.
    pub fn console_label(self) -> String {
        match self {
            NoticeKind::Registration => crate::msg!("field.kind.registration"),
            NoticeKind::LoginReissue => crate::msg!("field.kind.login_reissue"),
            NoticeKind::CertPasswordReissue => crate::msg!("field.kind.cert_password_reissue"),
        }
    }

    /// The kind whose English alias is `alias`.
    pub fn from_alias(alias: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.alias() == alias)
    }

    /// The English alias (`--lang en`, JSON output).
    pub fn alias(self) -> &'static str {
        match self {
            NoticeKind::Registration => "registration",
            NoticeKind::LoginReissue => "login_reissue",
            NoticeKind::CertPasswordReissue => "cert_password_reissue",
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// 審査結果: only approved requests are issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewStatus {
    Approved,
    /// Anything else (却下, 保留, blank …), kept as written for the skipped list.
    NotApproved(String),
}

impl ReviewStatus {
    pub fn parse(raw: &str) -> ReviewStatus {
        let key = normalize_code(raw).to_lowercase();
        match key.as_str() {
            "承認" | "承認済" | "承認済み" | "approved" => ReviewStatus::Approved,
            _ => ReviewStatus::NotApproved(raw.trim().to_string()),
        }
    }
}

/// 請求先都道府県, as its JIS X 0401 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefecture(u8);

pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

impl Prefecture {
    /// Accepts a name (東京都 or 東京) or a code (13, 01, 1).
    pub fn parse(raw: &str) -> Result<Prefecture, String> {
        let key = normalize_code(raw);
        if let Ok(code) = key.parse::<u8>()
            && (1..=47).contains(&code)
        {
            return Ok(Prefecture(code));
        }
        let found = PREFECTURES.iter().position(|name| {
            *name == key || (name.chars().count() > 2 && name.strip_suffix(['都', '府', '県']) == Some(key.as_str()))
        });
        match found {
            Some(i) => Ok(Prefecture(i as u8 + 1)),
            None => Err(crate::msg!("field.prefecture.invalid")),
        }
    }

    pub fn code(self) -> u8 {
        self.0
    }

    pub fn name(self) -> &'static str {
        PREFECTURES[self.0 as usize - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_office_numbers_from_the_domain_notes() {
        for no in ["1311111114", "0112345673", "0175701069", "0113513220"] {
            assert_eq!(OfficeNo::parse(no).unwrap().0.as_str(), no);
        }
    }

    #[test]
    fn rejects_office_no_with_bad_check_digit() {
        let err = OfficeNo::parse("1311111111").unwrap_err();
        assert!(err.contains("検査数字"), "{err}");
    }

    #[test]
    fn nine_digit_office_no_from_excel_gets_its_zero_back() {
        let (no, warning) = OfficeNo::parse("175701069").unwrap();
        assert_eq!(no.as_str(), "0175701069");
        assert!(warning.unwrap().contains("0175701069"));
    }

    #[test]
    fn nine_digit_office_no_is_not_repaired_when_the_check_digit_fails() {
        let err = OfficeNo::parse("175701068").unwrap_err();
        assert!(err.contains("9桁"), "{err}");
    }

    #[test]
    fn office_no_is_normalised_from_full_width() {
        assert_eq!(OfficeNo::parse("１３１１１１１１１４").unwrap().0.as_str(), "1311111114");
    }

    #[test]
    fn office_no_with_a_letter_that_fails_the_check_is_a_warning() {
        let payload = "13A111111";
        let cd = office_check_digit(payload).unwrap();
        assert_eq!(OfficeNo::parse(&format!("{payload}{cd}")).unwrap().1, None);
        let wrong = (cd + 1) % 10;
        let (no, warning) = OfficeNo::parse(&format!("{payload}{wrong}")).unwrap();
        assert_eq!(no.prefecture_code(), 13);
        assert!(warning.is_some());
    }

    #[test]
    fn office_no_letters_skip_i_o_and_q() {
        assert_eq!(office_char_value('A'), Some(10));
        assert_eq!(office_char_value('H'), Some(17));
        assert_eq!(office_char_value('J'), Some(18));
        assert_eq!(office_char_value('R'), Some(24));
        assert_eq!(office_char_value('Z'), Some(32));
        assert_eq!(office_char_value('I'), None);
        assert!(OfficeNo::parse("13I1111111").is_err());
    }

    #[test]
    fn rejects_office_no_with_unknown_prefecture() {
        let payload = "481111111";
        let cd = office_check_digit(payload).unwrap();
        assert!(OfficeNo::parse(&format!("{payload}{cd}")).unwrap_err().contains("都道府県"));
    }

    #[test]
    fn postal_code_accepts_hyphen_and_seven_digits() {
        assert_eq!(PostalCode::parse("100-0013").unwrap().to_string(), "100-0013");
        assert_eq!(PostalCode::parse("1000013").unwrap().to_string(), "100-0013");
        assert_eq!(PostalCode::parse("〒１００－００１３").unwrap().digits(), "1000013");
    }

    #[test]
    fn rejects_bad_postal_code() {
        for bad in ["100-00135", "10-00013", "abc-defg", "100 0013", "600001"] {
            assert!(PostalCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_id_is_kj_and_twelve_alphanumerics() {
        let id = UserId::parse("ＫＪ１３１３１１１１１１１４").unwrap();
        assert_eq!(id.as_str(), "KJ131311111114");
        assert_eq!(id.office_part(), "1311111114");
        for bad in ["KJ13131111111", "kj131311111114", "KJ1313111111145", "KJ13131111111-"] {
            assert!(UserId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_need_a_leading_zero_and_ten_or_eleven_digits() {
        assert_eq!(PhoneNo::parse("03-1234-5678").unwrap().as_str(), "03-1234-5678");
        assert!(PhoneNo::parse("090ー1234ー5678").is_ok());
        assert!(PhoneNo::parse("312345678").unwrap_err().contains("先頭の0"));
        assert!(PhoneNo::parse("03-1234").is_err());
    }

    #[test]
    fn request_id_is_one_whatever_the_case_width_or_invisible_characters() {
        let id = RequestId::parse("R08-0001").unwrap();
        for variant in [
            "r08-0001",
            "R08-0001\u{200B}",
            "\u{FEFF}R08-0001",
            "Ｒ０８－０００１",
            " R08\u{00AD}-0001 ",
            "R08-0001\u{2060}",
            // Invisible, but not Cf: default-ignorable code points.
            "R08-0001\u{034F}",
            "R08-0001\u{FE0F}",
            "R08-0001\u{3164}",
            "R08-0001\u{FFA0}",
            "R08\u{115F}-0001",
            "R08-0001\u{E0100}",
        ] {
            assert_eq!(RequestId::parse(variant).unwrap(), id, "{variant:?}");
        }
        assert!(RequestId::parse("\u{200B}\u{200C}").is_err());
    }

    #[test]
    fn invisible_format_characters_leave_every_code_field() {
        assert_eq!(OfficeNo::parse("1311111114\u{200B}").unwrap().0.as_str(), "1311111114");
        assert_eq!(UserId::parse("KJ\u{200D}131311111114").unwrap().as_str(), "KJ131311111114");
        assert_eq!(PostalCode::parse("100-0013\u{FEFF}").unwrap().digits(), "1000013");
    }

    #[test]
    fn notice_kinds_map_from_japanese_and_aliases() {
        assert_eq!(NoticeKind::parse("登録結果"), Ok(NoticeKind::Registration));
        assert_eq!(NoticeKind::parse("registration"), Ok(NoticeKind::Registration));
        assert_eq!(NoticeKind::parse("再発行"), Ok(NoticeKind::LoginReissue));
        assert_eq!(NoticeKind::parse("Login_Reissue"), Ok(NoticeKind::LoginReissue));
        assert_eq!(NoticeKind::parse("証明書ＰＷ再発行"), Ok(NoticeKind::CertPasswordReissue));
        assert_eq!(NoticeKind::parse("cert_password_reissue"), Ok(NoticeKind::CertPasswordReissue));
        assert!(NoticeKind::parse("変更").is_err());
    }

    #[test]
    fn review_status_only_approves_approved() {
        assert_eq!(ReviewStatus::parse("承認"), ReviewStatus::Approved);
        assert_eq!(ReviewStatus::parse("approved"), ReviewStatus::Approved);
        assert_eq!(ReviewStatus::parse("却下"), ReviewStatus::NotApproved("却下".into()));
    }

    #[test]
    fn prefecture_by_name_or_code() {
        assert_eq!(Prefecture::parse("東京都").unwrap().code(), 13);
        assert_eq!(Prefecture::parse("東京").unwrap().code(), 13);
        assert_eq!(Prefecture::parse("北海道").unwrap().code(), 1);
        assert_eq!(Prefecture::parse("01").unwrap().name(), "北海道");
        assert_eq!(Prefecture::parse("47").unwrap().name(), "沖縄県");
        assert!(Prefecture::parse("48").is_err());
        assert!(Prefecture::parse("東京府").is_err());
    }

    #[test]
    fn registered_no_takes_japan_posts_forms_and_nothing_else() {
        let digits = |raw: &str| RegisteredNo::parse(raw).map(|r| r.digits().to_string());
        assert_eq!(digits("131-12-38385-2").as_deref(), Ok("13112383852"));
        assert_eq!(digits("１３１－１２－３８３８５－２").as_deref(), Ok("13112383852"));
        assert_eq!(digits("4011-2233-4456").as_deref(), Ok("401122334456"));
        assert_eq!(digits("4011 2233 4456").as_deref(), Ok("401122334456"));
        assert_eq!(digits(" 4011　2233　4456 ").as_deref(), Ok("401122334456"));
        assert_eq!(digits("5512345678906").as_deref(), Ok("5512345678906"));
        assert_eq!(digits("2345678901234").as_deref().map_err(|e| e.contains("仮の番号")), Err(true));
        for refused in [
            "#N/A",
            "未発送",
            "保留",
            "-",
            "なし",
            "×",
            "",
            "1234567890",
            "12345678901234",
            "123-45-67890-1 済",
            "00000000000",
            "1111-1111-1111",
            "123-45-67890-1",
            "1234-5678-9012",
            "2026/04/02",
            "1.2345E+11",
        ] {
            assert!(RegisteredNo::parse(refused).is_err(), "{refused}");
        }
    }
}
