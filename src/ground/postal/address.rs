//! Where an address meets the table: does it name the code's 都道府県 and 市区町村, and where
//! does the code's 町域 end (the split into 住所A and 住所B of Japan Post's barcode manual).
//!
//! Both the address and the table's names are folded the same way before comparing, so a
//! difference of writing never decides: NFKC (full-/half-width), no spaces, ケ/ヶ/ヵ/が as one,
//! の/ノ as one, 大字/字 left out (KEN_ALL omits them), a few old character forms, and runs of
//! kanji numerals read as numbers (北六条東 = 北6条東, 西十一番町 = 西11番町). Every folded
//! character keeps the byte range it came from, so the split is a byte offset in the address
//! exactly as written.

use unicode_normalization::UnicodeNormalization;

use super::numerals::{is_kanji_numeral, kanji_number};
use super::{Entry, Kind};
use crate::ground::model::fields::PREFECTURES;

/// How well an address fits one entry of its code; the better of two is the one kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// The address has the entry's 都道府県 (or none), 市区町村 and 町域.
    Town(Located),
    /// The 町域 follows the 都道府県 (or starts the address) with no 市区町村 written: the
    /// split is clear, the address is not complete.
    TownWithoutCity(Located),
    /// The 市区町村 fits, the 町域 is not there.
    CityOnly,
    /// Another 都道府県, or not this 市区町村.
    OtherCity,
}

impl Fit {
    pub fn better_than(&self, other: &Fit) -> bool {
        let rank = |f: &Fit| match f {
            Fit::Town(l) => 3 + 2 * l.town_chars,
            Fit::TownWithoutCity(l) => 2 + 2 * l.town_chars,
            Fit::CityOnly => 1,
            Fit::OtherCity => 0,
        };
        rank(self) > rank(other)
    }
}

/// Where the 町域 ends in the address as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    /// Byte offset of 住所B (what follows the 町域).
    pub town_end: usize,
    /// Folded characters of the matched town (longer wins among a code's towns).
    pub town_chars: usize,
}

/// An address (or a name from the table) folded for comparison, twice: as written, and with
/// kanji numerals read as numbers. A town matches in either: 北6条東 needs the numbers, while
/// 高千 + 八丁目 must not become 高1008丁目.
#[derive(Debug, Clone)]
pub struct Folded {
    plain: Seq,
    numeric: Seq,
}

/// One folding of a text.
#[derive(Debug, Clone)]
struct Seq {
    chars: Vec<char>,
    /// For each folded character, the byte range of the original text it came from.
    spans: Vec<(usize, usize)>,
    /// Byte length of the original text.
    end: usize,
}

impl Folded {
    pub fn new(text: &str) -> Folded {
        let plain = Seq::new(text);
        let (chars, spans) = numerals(plain.chars.clone(), plain.spans.clone());
        let numeric = Seq { chars, spans, end: plain.end };
        Folded { plain, numeric }
    }

    /// How this address fits `entry`: the better of its two foldings.
    pub fn fit(&self, entry: &Entry) -> Fit {
        let names = Names::of(entry);
        let plain = self.plain.fit(entry, &names.0, false);
        let numeric = self.numeric.fit(entry, &names.1, true);
        if numeric.better_than(&plain) { numeric } else { plain }
    }
}

/// An entry's names folded one way: 都道府県, 市区町村, 市区町村 without its 郡, 町域.
struct Folding {
    prefecture: Seq,
    city: Seq,
    without_county: Option<Seq>,
    town: Seq,
}

struct Names(Folding, Folding);

impl Names {
    fn of(entry: &Entry) -> Names {
        let fold = |numeric: bool| {
            let seq = |t: &str| Folded::new(t).pick(numeric);
            Folding {
                prefecture: seq(&entry.prefecture),
                city: seq(&entry.city),
                // 「上川郡鷹栖町」 is often written 「鷹栖町」.
                without_county: entry.city.split_once('郡').map(|(_, m)| seq(m)).filter(|m| m.len() > 0),
                town: seq(&entry.town),
            }
        };
        Names(fold(false), fold(true))
    }
}

impl Folded {
    fn pick(self, numeric: bool) -> Seq {
        if numeric { self.numeric } else { self.plain }
    }
}

/// The 47 prefecture names, folded both ways.
fn prefectures(numeric: bool) -> &'static [Seq] {
    static FOLDED: std::sync::OnceLock<[Vec<Seq>; 2]> = std::sync::OnceLock::new();
    let both =
        FOLDED.get_or_init(|| [false, true].map(|n| PREFECTURES.iter().map(|p| Folded::new(p).pick(n)).collect()));
    &both[usize::from(numeric)]
}

impl Seq {
    fn new(text: &str) -> Seq {
        let mut chars = Vec::with_capacity(text.len() / 2);
        let mut spans = Vec::with_capacity(text.len() / 2);
        for (at, c) in text.char_indices() {
            let span = (at, at + c.len_utf8());
            for folded in std::iter::once(c).nfkc() {
                if folded.is_whitespace() {
                    continue;
                }
                chars.push(variant(folded));
                spans.push(span);
            }
        }
        let (chars, spans) = drop_aza(chars, spans);
        Seq { chars, spans, end: text.len() }
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether `needle` is at `pos`, ending where a folded character ends (not inside a
    /// numeral run that folded to several digits).
    fn has_at(&self, pos: usize, needle: &Seq) -> bool {
        let end = pos + needle.len();
        end <= self.len()
            && self.chars[pos..end] == needle.chars[..]
            && (end == self.len() || end == pos || self.spans[end].0 >= self.spans[end - 1].1)
    }

    /// Byte offset in the original text after `pos` folded characters.
    fn byte_end(&self, pos: usize) -> usize {
        self.spans.get(pos).map_or(self.end, |s| s.0)
    }

    fn fit(&self, entry: &Entry, names: &Folding, numeric: bool) -> Fit {
        let mut pos = 0;
        if self.has_at(0, &names.prefecture) {
            pos = names.prefecture.len();
        } else if prefectures(numeric).iter().any(|p| self.has_at(0, p)) {
            return Fit::OtherCity;
        }
        let town = &names.town;
        match [Some(&names.city), names.without_county.as_ref()].into_iter().flatten().find(|c| self.has_at(pos, c)) {
            Some(c) => pos += c.len(),
            None if town.len() > 0 && entry.kind != Kind::Representative && self.has_at(pos, town) => {
                let end = pos + town.len();
                return Fit::TownWithoutCity(Located { town_end: self.byte_end(end), town_chars: town.len() });
            }
            None => return Fit::OtherCity,
        }
        if entry.kind == Kind::Representative || town.len() == 0 {
            return Fit::Town(Located { town_end: self.byte_end(pos), town_chars: 0 });
        }
        if self.has_at(pos, town) {
            let end = pos + town.len();
            return Fit::Town(Located { town_end: self.byte_end(end), town_chars: town.len() });
        }
        Fit::CityOnly
    }
}

/// Spellings that name the same place.
fn variant(c: char) -> char {
    match c {
        'ヶ' | 'ヵ' | 'が' | 'ケ' => 'ケ',
        'ノ' | 'の' | '之' => 'の',
        '﨑' | '嵜' => '崎',
        '髙' => '高',
        '邊' | '邉' => '辺',
        '澤' => '沢',
        '濱' => '浜',
        '齋' | '齊' => '斎',
        '－' | '‐' | '−' | '—' | '―' => '-',
        other => other,
    }
}

/// KEN_ALL leaves out 大字 and 字; so does the comparison, on both sides.
fn drop_aza(chars: Vec<char>, spans: Vec<(usize, usize)>) -> (Vec<char>, Vec<(usize, usize)>) {
    let mut out = (Vec::with_capacity(chars.len()), Vec::with_capacity(chars.len()));
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '大' && chars.get(i + 1) == Some(&'字') {
            i += 2;
            continue;
        }
        if chars[i] != '字' {
            out.0.push(chars[i]);
            out.1.push(spans[i]);
        }
        i += 1;
    }
    out
}

/// Each run of kanji numerals becomes its number; all its digits carry the run's span, so no
/// match can end inside it.
fn numerals(chars: Vec<char>, spans: Vec<(usize, usize)>) -> (Vec<char>, Vec<(usize, usize)>) {
    let mut out = (Vec::with_capacity(chars.len()), Vec::with_capacity(chars.len()));
    let mut i = 0;
    while i < chars.len() {
        if !is_kanji_numeral(chars[i]) {
            out.0.push(chars[i]);
            out.1.push(spans[i]);
            i += 1;
            continue;
        }
        let end = i + chars[i..].iter().take_while(|&&c| is_kanji_numeral(c)).count();
        let span = (spans[i].0, spans[end - 1].1);
        match kanji_number(&chars[i..end]) {
            Some(digits) => {
                for d in digits.chars() {
                    out.0.push(d);
                    out.1.push(span);
                }
            }
            None => {
                out.0.extend_from_slice(&chars[i..end]);
                out.1.extend_from_slice(&spans[i..end]);
            }
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(prefecture: &str, city: &str, town: &str) -> Entry {
        Entry {
            code: 1,
            kind: Kind::Area,
            prefecture: prefecture.into(),
            city: city.into(),
            town: town.into(),
            note: String::new(),
            name: String::new(),
        }
    }

    fn after_town<'a>(address: &'a str, e: &Entry) -> Option<&'a str> {
        match Folded::new(address).fit(e) {
            Fit::Town(l) => Some(&address[l.town_end..]),
            _ => None,
        }
    }

    #[test]
    fn a_kanji_numeral_town_matches_digits_and_kanji() {
        let e = entry("青森県", "十和田市", "西十一番町");
        assert_eq!(after_town("青森県十和田市西十一番町5-3", &e), Some("5-3"));
        assert_eq!(after_town("十和田市西11番町5-3", &e), Some("5-3"));
        let e = entry("北海道", "札幌市東区", "北六条東");
        assert_eq!(after_town("北海道札幌市東区北6条東4丁目", &e), Some("4丁目"));
    }

    #[test]
    fn no_match_ends_inside_a_numeral_run() {
        let e = entry("北海道", "札幌市中央区", "南一条西");
        assert_eq!(after_town("札幌市中央区南一条西十一丁目", &e), Some("十一丁目"));
        let e = entry("東京都", "千代田区", "東三");
        assert_eq!(after_town("東京都千代田区東三十一番", &e), Some("十一番"));
        let e = entry("新潟県", "佐渡市", "高千");
        assert_eq!(after_town("佐渡市高千八丁目1", &e), Some("八丁目1"));
    }

    #[test]
    fn oaza_aza_width_spaces_and_ke_are_folded() {
        let e = entry("岩手県", "宮古市", "津軽石");
        assert_eq!(after_town("岩手県宮古市大字津軽石第二十一地割大淵川480", &e), Some("第二十一地割大淵川480"));
        let e = entry("千葉県", "鎌ケ谷市", "右京塚");
        assert_eq!(after_town("千葉県 鎌ヶ谷市　右京塚 東3丁目-20-5", &e), Some("東3丁目-20-5"));
        let e = entry("東京都", "千代田区", "霞が関");
        assert_eq!(after_town("東京都千代田区霞ヶ関１－３－２", &e), Some("１－３－２"));
    }

    #[test]
    fn prefecture_and_county_may_be_left_out() {
        let e = entry("北海道", "上川郡鷹栖町", "北野東");
        assert_eq!(after_town("鷹栖町北野東1線", &e), Some("1線"));
        assert_eq!(after_town("北海道上川郡鷹栖町北野東1線", &e), Some("1線"));
    }

    #[test]
    fn a_town_without_its_city_still_splits() {
        let e = entry("千葉県", "千葉市稲毛区", "緑町");
        assert_eq!(Folded::new("緑町3丁目30-8").fit(&e), Fit::TownWithoutCity(Located { town_end: 6, town_chars: 2 }));
        assert_eq!(
            Folded::new("千葉県緑町3丁目30-8").fit(&e),
            Fit::TownWithoutCity(Located { town_end: 15, town_chars: 2 })
        );
        assert_eq!(Folded::new("大阪府緑町3丁目30-8").fit(&e), Fit::OtherCity);
    }

    #[test]
    fn another_prefecture_or_city_does_not_fit() {
        let e = entry("大阪府", "大阪市北区", "梅田");
        assert_eq!(Folded::new("東京都千代田区梅田1-1").fit(&e), Fit::OtherCity);
        assert_eq!(Folded::new("大阪府大阪市中央区梅田1-1").fit(&e), Fit::OtherCity);
        assert_eq!(Folded::new("大阪府大阪市北区曽根崎1-1").fit(&e), Fit::CityOnly);
    }
}
