//! Japan Post customer barcode (カスタマバーコード, DOMAIN §6): derives the barcode data
//! from a postcode and an address, and encodes it as 67 bars; and, in `control`, the Code 128
//! symbol of a control number for the mail room's scanner. No I/O; addresses are still
//! printed exactly as entered, this only decides what the bars say, or why there are none.

pub mod control;
pub mod encode;
pub mod extract;
pub mod split;

pub use encode::{BAR_COUNT, Bar, Barcode, BarcodeError, Symbol, encode};
pub use extract::address_data;
pub use split::{Split, split};

use unicode_normalization::UnicodeNormalization;

use crate::ground::postal::{self, PostalTable};

/// Why an address gets no barcode. Each is a choice not to guess: a missing barcode only
/// slows sorting, a wrong one misroutes the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoBarcode {
    #[error("{}", crate::msg!("barcode.none.invalid_postal"))]
    InvalidPostal,
    #[error("{}", crate::msg!("barcode.none.unknown_postal"))]
    UnknownPostal,
    /// Japan Post prints no barcode for a 代表 postcode (「以下に掲載がない場合」).
    #[error("{}", crate::msg!("barcode.none.representative_postal"))]
    RepresentativePostal,
    #[error("{}", crate::msg!("barcode.none.other_city"))]
    OtherCity,
    #[error("{}", crate::msg!("barcode.none.town_not_found"))]
    TownNotFound,
    /// A floor of a high-rise with its own code: the manual's rules for these are not
    /// implemented, so no bars rather than possibly wrong ones.
    #[error("{}", crate::msg!("barcode.none.building"))]
    Building,
    /// The address is blank.
    #[error("{}", crate::msg!("barcode.none.no_address_number"))]
    NotFound,
}

impl NoBarcode {
    /// The reason as the clerk reads it, in the console's language (the 発送リスト asks for
    /// it in Japanese with `i18n::with_lang`).
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

/// The barcode of one addressee, from the postal table in use.
///
/// `address2` (a 番地 or 住所2 column; blank counts as absent) continues `whole_address`:
/// the two are read as one address, split after the 町域 the table gives for `postal`
/// (住所A), and the 住所表示番号 is taken from the rest (住所B) by Japan Post's rules.
pub fn for_address(postal: &str, whole_address: &str, address2: Option<&str>) -> Result<Barcode, NoBarcode> {
    for_address_in(postal::table(), postal, whole_address, address2)
}

/// [`for_address`] with a given table.
pub fn for_address_in(
    table: &PostalTable,
    postal: &str,
    whole_address: &str,
    address2: Option<&str>,
) -> Result<Barcode, NoBarcode> {
    let postal = normalise_postal(postal).ok_or(NoBarcode::InvalidPostal)?;
    let address = joined(whole_address, address2);
    let found = split(table, &postal, &address)?;
    let data = address_data(found.address_b);
    // `address_data` yields only valid characters and the postcode is checked, so this
    // cannot fail; mapping keeps a future change from panicking.
    encode(&postal, &data).map_err(|_| NoBarcode::InvalidPostal)
}

/// 住所1 and 住所2 as one address.
pub fn joined(address: &str, address2: Option<&str>) -> String {
    match address2.filter(|a| !a.trim().is_empty()) {
        Some(second) => format!("{address} {second}"),
        None => address.to_string(),
    }
}

/// 7 ASCII digits from 「〒100-0013」, 「１００－００１３」 or 「1000013」.
fn normalise_postal(postal: &str) -> Option<String> {
    let digits: String = postal
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != '〒')
        .filter(|c| !matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ー'))
        .collect();
    (digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(postal: &str, address: &str, address2: Option<&str>) -> Result<String, NoBarcode> {
        for_address(postal, address, address2).map(|b| b.data().to_owned())
    }

    #[test]
    fn worked_examples_through_the_whole_address() {
        let cases = [
            ("263-0023", "千葉県千葉市稲毛区緑町3丁目30-8 郵便ビル403号", "3-30-8-403", "5"),
            ("110-0016", "東京都台東区台東5-6-3 ABCビル10F", "5-6-3-10", "9"),
            ("407-0033", "山梨県韮崎市龍岡町下條南割 韮崎400", "400", "-"),
            ("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室", "1-3-2-503", "9"),
        ];
        for (postal, address, expected, check) in cases {
            let barcode = for_address(postal, address, None).unwrap();
            assert_eq!(barcode.data(), expected, "{address}");
            assert_eq!(barcode.check_digit().as_str(), check, "{address}");
        }
        assert_eq!(
            for_address("100-0013", "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室", None).unwrap().bar_string(),
            "1311414414414414411431211441431241413241414114431243243243243241131"
        );
    }

    #[test]
    fn postcode_must_be_seven_digits() {
        for postal in ["100-001", "10000133", "abc-defg", ""] {
            assert_eq!(data(postal, "東京都千代田区霞が関1-3-2", None), Err(NoBarcode::InvalidPostal), "{postal}");
        }
        assert_eq!(data("〒１００－００１３", "東京都千代田区霞が関1-3-2", None).unwrap(), "1-3-2");
    }

    #[test]
    fn representative_codes_come_from_the_table_not_from_00() {
        assert_eq!(data("105-0000", "東京都港区虎ノ門1-1", None), Err(NoBarcode::RepresentativePostal));
        // 大島町's 「以下に掲載がない場合」, though 100- is 千代田区's range.
        assert_eq!(data("100-0100", "東京都大島町元町1-1", None), Err(NoBarcode::RepresentativePostal));
        assert_eq!(data("100-0001", "東京都千代田区千代田", Some("1-1")).unwrap(), "1-1");
    }

    #[test]
    fn address_without_number_encodes_the_postcode_alone() {
        let barcode = for_address("606-8501", "京都府京都市左京区吉田本町", None).unwrap();
        assert_eq!(barcode.data(), "");
        assert!(barcode.symbols()[7..].iter().all(|s| *s == Symbol::CC4));
    }

    #[test]
    fn a_numeral_in_the_town_name_is_read_from_the_table() {
        assert_eq!(data("980-0811", "宮城県仙台市青葉区一番町4丁目7-17", None).unwrap(), "4-7-17");
        assert_eq!(data("060-0001", "北海道札幌市中央区北一条西", Some("2丁目1番地")).unwrap(), "2-1");
        assert_eq!(data("034-0091", "青森県十和田市西十一番町5-3", None).unwrap(), "5-3");
    }

    #[test]
    fn address2_continues_the_whole_address() {
        assert_eq!(data("100-0013", "東京都千代田区霞が関1-3-2", Some("郵便ビル503")).unwrap(), "1-3-2-503");
        assert_eq!(data("100-0013", "東京都千代田区霞が関", Some("1-3-2 郵便ビル503")).unwrap(), "1-3-2-503");
    }

    #[test]
    fn no_barcode_where_the_code_does_not_fit_the_address() {
        assert_eq!(data("530-0001", "東京都千代田区霞が関1-3-2", None), Err(NoBarcode::OtherCity));
        assert_eq!(data("812-0011", "福岡県福岡市博多区天神1-1-1", None), Err(NoBarcode::TownNotFound));
    }

    #[test]
    fn blank_address2_counts_as_absent() {
        assert_eq!(data("100-0013", "東京都千代田区霞が関1-3-2", Some(" 　")).unwrap(), "1-3-2");
        assert_eq!(data("100-0013", "", None), Err(NoBarcode::NotFound));
    }

    #[test]
    fn every_refusal_has_a_japanese_reason() {
        for refusal in [
            NoBarcode::InvalidPostal,
            NoBarcode::UnknownPostal,
            NoBarcode::RepresentativePostal,
            NoBarcode::OtherCity,
            NoBarcode::TownNotFound,
            NoBarcode::Building,
            NoBarcode::NotFound,
        ] {
            let reason = refusal.reason();
            assert!(!reason.is_empty());
            assert!(!reason.is_ascii(), "{reason}");
        }
    }
}
