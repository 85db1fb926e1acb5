//! Japan Post customer barcode (カスタマバーコード, DOMAIN §6): derives the barcode data
//! from a postcode and an address, and encodes it as 67 bars. No I/O; addresses are still
//! printed exactly as entered, this only decides what the bars say, or why there are none.

pub mod encode;
pub mod extract;
pub mod split;

pub use encode::{BAR_COUNT, Bar, Barcode, BarcodeError, Symbol, encode};
pub use extract::address_data;
pub use split::split_after_town;

use split::Location;
use unicode_normalization::UnicodeNormalization;

/// Why an address gets no barcode. Each is a choice not to guess: a missing barcode only
/// slows sorting, a wrong one misroutes the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoBarcode {
    #[error("郵便番号が7桁の数字ではないため、バーコードを付けません")]
    InvalidPostal,
    /// Japan Post prints no barcode for a 代表 postcode. Without the postcode table every
    /// postcode ending in 00 is taken to be one.
    #[error("代表郵便番号（末尾00）のためバーコードを付けません")]
    RepresentativePostal,
    #[error("町域名に数字を含むため、住所表示番号を確実に取り出せません（番地を別の列に入れてください）")]
    AmbiguousTown,
    /// The address is blank.
    #[error("住所表示番号（番地）が見つかりません")]
    NotFound,
}

impl NoBarcode {
    /// The reason as the clerk reads it.
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

/// The barcode of one addressee.
///
/// Without `address2`, the 住所表示番号 comes from `whole_address` after the 町域 (see
/// `split_after_town`). With `address2` (a 番地 or 住所2 column; blank counts as absent):
/// - if `whole_address` has no number part, the data comes from `address2` alone — the
///   remedy the `AmbiguousTown` reason suggests, so 「仙台市青葉区一番町」 + 「4丁目7-17」
///   works;
/// - if `whole_address` has a clear number part, `address2` is read as its continuation
///   (住所1 「霞が関1-3-2」 + 住所2 「郵便ビル503」 → `1-3-2-503`), since taking the
///   building alone would give wrong data;
/// - if `whole_address` has a number part after a numbered town name, or ends in what
///   reads as a number (本町三番), it is refused: the 番地 may be in either column.
pub fn for_address(postal: &str, whole_address: &str, address2: Option<&str>) -> Result<Barcode, NoBarcode> {
    let postal = normalise_postal(postal).ok_or(NoBarcode::InvalidPostal)?;
    if postal.ends_with("00") {
        return Err(NoBarcode::RepresentativePostal);
    }
    let address2 = address2.filter(|a| !a.trim().is_empty());
    let data = match (split::locate(whole_address), address2) {
        (_, None) => address_data(split_after_town(whole_address)?),
        (Location::Blank | Location::NoNumber, Some(second)) => address_data(second),
        (Location::Number(start), Some(second)) => address_data(&format!("{} {second}", &whole_address[start..])),
        (Location::Ambiguous { number: false }, Some(second)) if !split::ends_in_number(whole_address) => {
            address_data(second)
        }
        (Location::Ambiguous { .. }, Some(_)) => return Err(NoBarcode::AmbiguousTown),
    };
    // `address_data` yields only valid characters and the postcode is checked, so this
    // cannot fail; mapping keeps a future change from panicking.
    encode(&postal, &data).map_err(|_| NoBarcode::InvalidPostal)
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
    fn representative_postcode_ending_00_gets_no_barcode() {
        assert_eq!(data("100-0000", "東京都千代田区霞が関1-3-2", None), Err(NoBarcode::RepresentativePostal));
        assert_eq!(data("100-0100", "東京都千代田区霞が関1-3-2", None), Err(NoBarcode::RepresentativePostal));
        assert!(data("100-0001", "東京都千代田区千代田", Some("1-1")).is_ok());
    }

    #[test]
    fn address_without_number_encodes_the_postcode_alone() {
        let barcode = for_address("606-8501", "京都府京都市左京区吉田本町", None).unwrap();
        assert_eq!(barcode.data(), "");
        assert!(barcode.symbols()[7..].iter().all(|s| *s == Symbol::CC4));
    }

    #[test]
    fn ambiguous_town_is_refused_without_address2() {
        assert_eq!(data("980-0811", "宮城県仙台市青葉区一番町4丁目7-17", None), Err(NoBarcode::AmbiguousTown));
    }

    #[test]
    fn address2_resolves_an_ambiguous_town() {
        assert_eq!(data("980-0811", "宮城県仙台市青葉区一番町", Some("4丁目7-17")).unwrap(), "4-7-17");
        assert_eq!(data("060-0001", "北海道札幌市中央区北一条西", Some("2丁目1番地")).unwrap(), "2-1");
    }

    #[test]
    fn address2_continues_a_whole_address_that_has_the_number() {
        assert_eq!(data("100-0013", "東京都千代田区霞が関1-3-2", Some("郵便ビル503")).unwrap(), "1-3-2-503");
        assert_eq!(data("100-0013", "東京都千代田区霞が関", Some("1-3-2 郵便ビル503")).unwrap(), "1-3-2-503");
    }

    #[test]
    fn address2_cannot_rescue_a_number_already_in_an_ambiguous_whole_address() {
        assert_eq!(
            data("980-0811", "宮城県仙台市青葉区一番町4丁目7-17", Some("郵便ビル503")),
            Err(NoBarcode::AmbiguousTown)
        );
        assert_eq!(data("100-0013", "東京都千代田区本町三番", Some("郵便ビル503")), Err(NoBarcode::AmbiguousTown));
    }

    #[test]
    fn blank_address2_counts_as_absent() {
        assert_eq!(data("100-0013", "東京都千代田区霞が関1-3-2", Some(" 　")).unwrap(), "1-3-2");
        assert_eq!(data("100-0013", "", None), Err(NoBarcode::NotFound));
    }

    #[test]
    fn every_refusal_has_a_japanese_reason() {
        for refusal in
            [NoBarcode::InvalidPostal, NoBarcode::RepresentativePostal, NoBarcode::AmbiguousTown, NoBarcode::NotFound]
        {
            let reason = refusal.reason();
            assert!(!reason.is_empty());
            assert!(!reason.is_ascii(), "{reason}");
        }
        assert_eq!(NoBarcode::RepresentativePostal.reason(), "代表郵便番号（末尾00）のためバーコードを付けません");
    }
}
