//! Finds, conservatively, where the 町域 of a whole address ends and its 住所表示番号 part
//! begins. Without Japan Post's postcode table this is a guess, so any numeral in the town
//! name refuses the address instead of risking wrong barcode data.

use super::NoBarcode;
use super::extract::{NUMERAL_MARKERS, is_kanji_numeral, starts_with_numeral_marker};
use crate::model::fields::PREFECTURES;

/// 政令指定都市: the only cities whose name is followed by a 区.
const DESIGNATED_CITIES: [&str; 20] = [
    "札幌市",
    "仙台市",
    "さいたま市",
    "千葉市",
    "横浜市",
    "川崎市",
    "相模原市",
    "新潟市",
    "静岡市",
    "浜松市",
    "名古屋市",
    "京都市",
    "大阪市",
    "堺市",
    "神戸市",
    "岡山市",
    "広島市",
    "北九州市",
    "福岡市",
    "熊本市",
];

/// Ward names are at most four characters (保土ケ谷区); a 区 further away belongs to
/// something else.
const MAX_WARD_CHARS: usize = 6;

/// Kanji numeral words that mark the start of the number part even when written in kanji
/// (霞が関一丁目). The shorter markers 丁/番/の/ノ/号/線 also begin town names (八丁堀,
/// 一番町, 一ノ宮), so a kanji numeral before them is never taken as the start.
const KANJI_START_MARKERS: [&str; 3] = ["丁目", "番地", "地割"];

const HYPHEN_LIKE: [char; 11] = ['-', '－', '‐', '‑', '‒', '–', '—', '―', '−', 'ー', 'ｰ'];

/// What a whole address says about its number part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    /// Nothing but blanks (after a leading postcode).
    Blank,
    /// The number part starts at this byte offset and the town name has no numeral.
    Number(usize),
    /// No numeral at all after the municipality: an address without 住所表示番号.
    NoNumber,
    /// The town name has a numeral; `number` says whether a number part follows it.
    Ambiguous { number: bool },
}

/// The part of `address` after the 町域, where the 住所表示番号 is. Refuses an address
/// whose town name has a numeral (一番町, 北一条西, 六本木, 南1条西 …) because the 町域
/// could end before or after it. An address with no numeral after the municipality
/// (京都市左京区吉田本町) has no 住所表示番号 and gives `Ok("")`: its barcode is the
/// postcode padded with CC4, as Japan Post's rules give for such an address.
pub fn split_after_town(address: &str) -> Result<&str, NoBarcode> {
    match locate(address) {
        Location::Blank => Err(NoBarcode::NotFound),
        Location::Number(start) => Ok(&address[start..]),
        Location::NoNumber => Ok(&address[address.len()..]),
        Location::Ambiguous { .. } => Err(NoBarcode::AmbiguousTown),
    }
}

pub(crate) fn locate(address: &str) -> Location {
    let body = skip_postcode(address);
    if address[body..].trim().is_empty() {
        return Location::Blank;
    }
    let town = body + municipality_end(&address[body..]);
    let text = &address[town..];

    let mut numeral_seen = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let offset = text.len() - rest.len();
        if is_digit(c) {
            let after = rest.trim_start_matches(is_digit);
            let ends_number = after.is_empty()
                || after.starts_with(char::is_whitespace)
                || after.starts_with(HYPHEN_LIKE)
                || starts_with_numeral_marker(after);
            if ends_number {
                return found(town + offset, numeral_seen);
            }
            numeral_seen = true;
            rest = after;
        } else if is_kanji_numeral(c) {
            let after = rest.trim_start_matches(is_kanji_numeral);
            if KANJI_START_MARKERS.iter().any(|m| after.starts_with(m)) {
                return found(town + offset, numeral_seen);
            }
            numeral_seen = true;
            rest = after;
        } else {
            rest = &rest[c.len_utf8()..];
        }
    }
    if numeral_seen { Location::Ambiguous { number: false } } else { Location::NoNumber }
}

fn found(start: usize, numeral_seen: bool) -> Location {
    if numeral_seen { Location::Ambiguous { number: true } } else { Location::Number(start) }
}

/// Whether the address ends in what reads as a number (本町三番, 東三線, 本町三): such a
/// 住所1 may already hold the 番地 even though no number part was recognised.
pub(crate) fn ends_in_number(address: &str) -> bool {
    let text = address.trim_end();
    let mut rest = text;
    loop {
        if rest.ends_with(|c: char| is_digit(c) || is_kanji_numeral(c)) {
            return true;
        }
        // Strip one marker word and look again: 三番地の → 三番地 → 三.
        match NUMERAL_MARKERS.iter().find(|m| rest.ends_with(*m)) {
            Some(marker) => rest = &rest[..rest.len() - marker.len()],
            None => return false,
        }
    }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Skips a leading 〒 and postcode (「〒100-0013 東京都…」), whose digits are not the
/// 住所表示番号.
fn skip_postcode(address: &str) -> usize {
    let text = address.trim_start();
    let text = text.strip_prefix('〒').unwrap_or(text).trim_start();
    let after_three = strip_digits(text, 3);
    let after_hyphen = after_three
        .and_then(|t| t.strip_prefix(HYPHEN_LIKE).or(Some(t)))
        .and_then(|t| strip_digits(t, 4))
        .filter(|t| !t.starts_with(is_digit));
    let text = after_hyphen.unwrap_or(text);
    address.len() - text.len()
}

fn strip_digits(text: &str, count: usize) -> Option<&str> {
    let mut rest = text;
    for _ in 0..count {
        let c = rest.chars().next().filter(|&c| is_digit(c))?;
        rest = &rest[c.len_utf8()..];
    }
    Some(rest)
}

/// Byte offset where the municipality (prefecture, 市/区/郡+町村, and a designated city's
/// 区) ends. It stops at the earliest plausible end: stopping too early only leaves more
/// text to check for numerals (a refusal), while stopping too late could hide a numeral of
/// the town name. Kanji numerals inside municipality names (千代田区, 八王子市, 九戸郡) are
/// skipped this way.
fn municipality_end(text: &str) -> usize {
    let trimmed = text.trim_start();
    let mut start = text.len() - trimmed.len();
    if let Some(pref) = PREFECTURES.iter().find(|p| trimmed.starts_with(*p)) {
        start += pref.len();
    }
    let rest = text[start..].trim_start();
    start = text.len() - rest.len();
    // A municipality never contains an arabic digit: look no further than the first one.
    let limit = rest.find(is_digit).unwrap_or(rest.len());
    let head = &rest[..limit];

    let found = head.char_indices().skip(1).find(|&(_, c)| matches!(c, '市' | '区' | '郡'));
    let Some((at, kind)) = found else {
        return start;
    };
    let mut end = at + kind.len_utf8();
    match kind {
        '市' => {
            // 四日市市, 廿日市市, 野々市市.
            if head[end..].starts_with('市') {
                end += '市'.len_utf8();
            }
            if DESIGNATED_CITIES.contains(&head[..end].trim()) {
                let ward = head[end..].char_indices().take(MAX_WARD_CHARS).find(|&(_, c)| c == '区');
                if let Some((offset, c)) = ward {
                    end += offset + c.len_utf8();
                }
            }
        }
        '郡' => {
            // The town or village of the county, or a city whose name has 郡 (大和郡山市,
            // 小郡市).
            if let Some((offset, c)) = head[end..].char_indices().find(|&(_, c)| matches!(c, '町' | '村' | '市')) {
                end += offset + c.len_utf8();
            }
        }
        _ => {}
    }
    start + end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barcode::extract::address_data;
    use proptest::prelude::*;

    fn data_of(address: &str) -> Result<String, NoBarcode> {
        split_after_town(address).map(address_data)
    }

    #[test]
    fn kasumigaseki_splits_after_the_town() {
        assert_eq!(split_after_town("東京都千代田区霞が関1丁目3番2号"), Ok("1丁目3番2号"));
        assert_eq!(data_of("東京都千代田区霞が関1丁目3番2号").unwrap(), "1-3-2");
    }

    #[test]
    fn kanji_numeral_in_ward_name_is_not_the_town() {
        // 千 of 千代田区 is part of the municipality, skipped before the numeral check.
        assert_eq!(data_of("東京都千代田区霞が関１－３－２").unwrap(), "1-3-2");
        assert_eq!(data_of("東京都八王子市元本郷町3-24-1").unwrap(), "3-24-1");
    }

    #[test]
    fn town_with_kanji_numeral_is_ambiguous() {
        for address in [
            "宮城県仙台市青葉区一番町4丁目7-17",
            "北海道札幌市中央区北一条西2丁目1番地",
            "東京都港区六本木6丁目10-1",
            "東京都中央区八丁堀3丁目1-1",
            "東京都千代田区九段北1-2-3",
            // 千 of the town 千代田 (not the ward 千代田区) counts too.
            "東京都千代田区千代田1-1",
            "京都府京都市中京区三条通河原町東入ル中島町87",
        ] {
            assert_eq!(split_after_town(address), Err(NoBarcode::AmbiguousTown), "{address}");
        }
    }

    #[test]
    fn town_with_arabic_numeral_before_the_number_is_ambiguous() {
        assert_eq!(split_after_town("北海道札幌市中央区南1条西5丁目"), Err(NoBarcode::AmbiguousTown));
    }

    #[test]
    fn umeda_building_name_numbers_are_kept_by_the_rules() {
        assert_eq!(data_of("大阪府大阪市北区梅田1-1-3 大阪駅前第3ビル12階").unwrap(), "1-1-3-3-12");
    }

    #[test]
    fn number_at_the_end_after_kyoto_directions() {
        assert_eq!(data_of("京都府京都市中京区寺町通御池上る上本町488").unwrap(), "488");
    }

    #[test]
    fn address_without_number_gives_empty_data() {
        assert_eq!(split_after_town("京都府京都市左京区吉田本町"), Ok(""));
    }

    #[test]
    fn blank_address_is_not_found() {
        assert_eq!(split_after_town("  　"), Err(NoBarcode::NotFound));
        assert_eq!(split_after_town("〒100-0013 "), Err(NoBarcode::NotFound));
    }

    #[test]
    fn leading_postcode_is_not_the_number() {
        assert_eq!(data_of("〒100-0013 東京都千代田区霞が関1-3-2").unwrap(), "1-3-2");
        assert_eq!(data_of("１００００１３　東京都千代田区霞が関1-3-2").unwrap(), "1-3-2");
    }

    #[test]
    fn number_written_in_kanji_with_chome_starts_the_number_part() {
        assert_eq!(data_of("東京都千代田区霞が関一丁目三番二号").unwrap(), "1-3-2");
        assert_eq!(data_of("長野県長野市大字鶴賀十二番地の3").unwrap(), "12-3");
    }

    #[test]
    fn chiwari_with_kanji_numeral_in_county_name() {
        // 九 of 九戸郡 belongs to the municipality.
        assert_eq!(data_of("岩手県九戸郡軽米町大字軽米第10地割85").unwrap(), "10-85");
    }

    #[test]
    fn city_names_containing_shi_or_gun() {
        assert_eq!(data_of("三重県四日市市諏訪町1-5").unwrap(), "1-5");
        assert_eq!(data_of("奈良県大和郡山市北郡山町248-4").unwrap(), "248-4");
        assert_eq!(data_of("福岡県北九州市小倉北区城内1-1").unwrap(), "1-1");
        assert_eq!(data_of("千葉県市川市八幡1-1-1"), Err(NoBarcode::AmbiguousTown));
    }

    #[test]
    fn sen_in_hokkaido_starts_the_number_part() {
        assert_eq!(data_of("北海道上川郡東神楽町東3線10号").unwrap(), "3-10");
    }

    #[test]
    fn ends_in_number_reads_trailing_numerals_and_markers() {
        assert!(ends_in_number("本町三番"));
        assert!(ends_in_number("本町三"));
        assert!(ends_in_number("東三線 "));
        assert!(ends_in_number("霞が関1丁目"));
        assert!(ends_in_number("鶴賀十二番地の"));
        assert!(!ends_in_number("一番町"));
        assert!(!ends_in_number("北一条西"));
        assert!(!ends_in_number("八丁堀"));
    }

    proptest! {
        #[test]
        fn splitting_never_panics_and_returns_a_suffix(
            address in "[〒0-9０-９一二三四五六七八九十百千〇市区郡町村丁目番地号割線のノ東京都千代田大阪府\\-－ー 　a-zビル]{0,30}",
        ) {
            if let Ok(after) = split_after_town(&address) {
                prop_assert!(address.ends_with(after));
            }
            let _ = ends_in_number(&address);
        }

        #[test]
        fn splitting_arbitrary_text_never_panics(address in "\\PC{0,30}") {
            let _ = split_after_town(&address);
        }
    }
}
