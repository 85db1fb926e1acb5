//! Derives the 住所表示番号 (digits, '-', single letters) from the part of an address after
//! the 町域, by Japan Post's extraction rules (DOMAIN §6). The address itself is never
//! changed; this only computes barcode data.

use unicode_normalization::UnicodeNormalization;

pub(crate) use crate::ground::postal::numerals::{is_kanji_numeral, kanji_number};

/// Words before which a kanji numeral is a number (三丁目 → 3). Longer words first only
/// for readability: a prefix match on 丁/番 already covers 丁目/番地.
pub(crate) const NUMERAL_MARKERS: [&str; 9] = ["丁目", "丁", "番地", "番", "号", "地割", "線", "の", "ノ"];

/// Hyphen look-alikes NFKC leaves alone (DOMAIN §4) or that people type between numbers.
/// The 長音符 ー is among them: inside a katakana word it only splits a run that becomes
/// '-' anyway, so folding it cannot change the result there.
const HYPHENS: [char; 8] =
    ['\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}', '\u{30FC}'];

/// Characters the rules delete outright, as if they were not there.
const DELETED: [char; 4] = ['&', '/', '・', '.'];

/// Whether `rest` begins with a word that makes a preceding kanji numeral a number.
pub(crate) fn starts_with_numeral_marker(rest: &str) -> bool {
    NUMERAL_MARKERS.iter().any(|m| rest.starts_with(m))
}

/// The 住所表示番号 of `after_town`, the address text after the 町域. Only ASCII digits,
/// '-' and upper-case letters; never a leading, trailing or doubled '-'. Empty when
/// nothing qualifies.
pub fn address_data(after_town: &str) -> String {
    let chars = normalise(after_town);
    let chars = convert_kanji_numerals(&chars);
    let kept = keep_or_hyphenate(&chars);
    tidy_hyphens(&kept)
}

/// Full-width to half-width (NFKC), hyphen look-alikes to '-', letters upper-cased, and the
/// deleted punctuation removed.
fn normalise(text: &str) -> Vec<char> {
    text.nfkc()
        .map(|c| if HYPHENS.contains(&c) { '-' } else { c })
        .map(|c| c.to_ascii_uppercase())
        .filter(|c| !DELETED.contains(c))
        .collect()
}

/// Replaces each run of kanji numerals that stands before a marker word by its digits.
/// Runs elsewhere (四条, 八幡) stay text, as the rules only convert before the markers.
fn convert_kanji_numerals(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_kanji_numeral(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let end = i + chars[i..].iter().take_while(|&&c| is_kanji_numeral(c)).count();
        let rest: String = chars[end..].iter().take(2).collect();
        match kanji_number(&chars[i..end]).filter(|_| starts_with_numeral_marker(&rest)) {
            Some(digits) => out.extend(digits.chars()),
            None => out.extend_from_slice(&chars[i..end]),
        }
        i = end;
    }
    out
}

/// Keeps digits, '-' and single letters; a run of anything else before a kept character
/// becomes one '-', a run at the end disappears. A single F after a digit (10F, a floor)
/// counts as anything else.
fn keep_or_hyphenate(chars: &[char]) -> Vec<char> {
    let is_letter = |i: usize| chars.get(i).is_some_and(|c| c.is_ascii_uppercase());
    let mut out = Vec::with_capacity(chars.len());
    let mut pending_other = false;
    for (i, &c) in chars.iter().enumerate() {
        let single_letter = is_letter(i) && !is_letter(i.wrapping_sub(1)) && !is_letter(i + 1);
        let floor_f = single_letter && c == 'F' && i > 0 && chars[i - 1].is_ascii_digit();
        let kept = c.is_ascii_digit() || c == '-' || (single_letter && !floor_f);
        if !kept {
            pending_other = true;
            continue;
        }
        if pending_other {
            out.push('-');
            pending_other = false;
        }
        out.push(c);
    }
    out
}

/// Collapses repeated '-', drops it at either end and next to a letter.
fn tidy_hyphens(chars: &[char]) -> String {
    let mut collapsed: Vec<char> = Vec::with_capacity(chars.len());
    for &c in chars {
        if !(c == '-' && collapsed.last() == Some(&'-')) {
            collapsed.push(c);
        }
    }
    let is_letter = |i: Option<usize>| i.and_then(|i| collapsed.get(i)).is_some_and(|c| c.is_ascii_uppercase());
    let mut out = String::with_capacity(collapsed.len());
    for (i, &c) in collapsed.iter().enumerate() {
        if c == '-' {
            let at_end = i == 0 || i + 1 == collapsed.len();
            if at_end || is_letter(i.checked_sub(1)) || is_letter(Some(i + 1)) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worked_example_chome_then_building_room() {
        assert_eq!(address_data("3丁目30-8 郵便ビル403号"), "3-30-8-403");
    }

    #[test]
    fn worked_example_letter_run_is_text_and_floor_f_is_dropped() {
        assert_eq!(address_data("5-6-3 ABCビル10F"), "5-6-3-10");
    }

    #[test]
    fn worked_example_leading_text_is_dropped() {
        assert_eq!(address_data("韮崎400"), "400");
    }

    #[test]
    fn worked_example_banchi_go_and_room() {
        assert_eq!(address_data("1丁目3番2号 郵便プラザ503室"), "1-3-2-503");
    }

    #[test]
    fn kanji_numerals_before_markers_become_digits() {
        assert_eq!(address_data("三丁目"), "3");
        assert_eq!(address_data("十二番"), "12");
        assert_eq!(address_data("二十一号"), "21");
        assert_eq!(address_data("三丁目十二番二十一号"), "3-12-21");
        assert_eq!(address_data("千二百番地"), "1200");
        assert_eq!(address_data("百五番地"), "105");
        assert_eq!(address_data("一〇三号"), "103");
        assert_eq!(address_data("十番地ノ二"), "10");
        assert_eq!(address_data("二の三番"), "2-3");
        assert_eq!(address_data("第五地割"), "5");
    }

    #[test]
    fn kanji_numerals_not_before_a_marker_stay_text() {
        assert_eq!(address_data("四条通5"), "5");
        assert_eq!(address_data("八幡12"), "12");
        // A trailing kanji numeral has no marker after it, so it is not a number.
        assert_eq!(address_data("十二番地の三"), "12");
    }

    #[test]
    fn banchi_no_becomes_a_hyphen() {
        assert_eq!(address_data("12番地の3"), "12-3");
        assert_eq!(address_data("12番地ノ3"), "12-3");
    }

    #[test]
    fn chiwari_of_iwate() {
        assert_eq!(address_data("第5地割12"), "5-12");
        assert_eq!(address_data("第5地割字上野12番地"), "5-12");
    }

    #[test]
    fn sen_of_hokkaido() {
        assert_eq!(address_data("東3線"), "3");
        assert_eq!(address_data("東三線2番地"), "3-2");
        assert_eq!(address_data("東3線南10号"), "3-10");
    }

    #[test]
    fn single_letter_is_kept_and_hyphen_next_to_it_removed() {
        assert_eq!(address_data("A棟201"), "A201");
        assert_eq!(address_data("1-2-3 B棟"), "1-2-3B");
        assert_eq!(address_data("1-2-3-A-5"), "1-2-3A5");
        assert_eq!(address_data("1-2-3 b号室"), "1-2-3B");
    }

    #[test]
    fn single_f_after_digit_is_dropped() {
        assert_eq!(address_data("1-2-3 2F"), "1-2-3-2");
        assert_eq!(address_data("1-2-3 2f"), "1-2-3-2");
        assert_eq!(address_data("1-2-3 2F-201"), "1-2-3-2-201");
        // Not after a digit: an ordinary single letter.
        assert_eq!(address_data("1-2-3 F棟"), "1-2-3F");
    }

    #[test]
    fn full_width_digits_letters_and_hyphens_are_folded() {
        assert_eq!(address_data("１丁目３－２"), "1-3-2");
        assert_eq!(address_data("１−３‐２ーＡ"), "1-3-2A");
        assert_eq!(address_data("３丁目 Ｂ棟"), "3B");
    }

    #[test]
    fn ampersand_slash_nakaguro_and_dot_are_deleted() {
        assert_eq!(address_data("1.2"), "12");
        assert_eq!(address_data("3/4"), "34");
        assert_eq!(address_data("5・6"), "56");
        assert_eq!(address_data("A&B"), "");
        assert_eq!(address_data("7 S&Tビル8"), "7-8");
    }

    #[test]
    fn hyphens_are_collapsed_and_trimmed() {
        assert_eq!(address_data("--1--2--"), "1-2");
        assert_eq!(address_data("ビル"), "");
        assert_eq!(address_data(""), "");
    }

    #[test]
    fn other_text_between_numbers_becomes_one_hyphen() {
        assert_eq!(address_data("1-1-3 大阪駅前第3ビル12階"), "1-1-3-3-12");
    }

    proptest! {
        #[test]
        fn extraction_never_panics_and_yields_tidy_data(text in "\\PC{0,40}") {
            check_tidy(&address_data(&text))?;
        }

        #[test]
        fn extraction_of_address_like_text_yields_tidy_data(
            text in "[0-9０-９a-zA-Zａ-ｚ一二三四五六七八九十百千〇丁目番地号割線のノ\\-－ー&/・. 　F棟ビル]{0,40}",
        ) {
            check_tidy(&address_data(&text))?;
        }
    }

    fn check_tidy(data: &str) -> Result<(), TestCaseError> {
        prop_assert!(data.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == '-'), "{data:?}");
        prop_assert!(!data.starts_with('-'), "{data:?}");
        prop_assert!(!data.ends_with('-'), "{data:?}");
        prop_assert!(!data.contains("--"), "{data:?}");
        Ok(())
    }
}
