//! Kanji numerals (一〇三, 二十一, 千二百) read as numbers: the address comparison reads town
//! names with them (北六条東 = 北6条東), and the barcode rules convert them before 丁目・番・号.

/// Whether `c` is a kanji digit or one of 十・百・千.
pub fn is_kanji_numeral(c: char) -> bool {
    kanji_digit(c).is_some() || kanji_unit(c).is_some()
}

fn kanji_digit(c: char) -> Option<u8> {
    Some(match c {
        '〇' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn kanji_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' => 10,
        '百' => 100,
        '千' => 1000,
        _ => return None,
    })
}

/// The digits of a kanji numeral run: positional (一〇三 → 103) when it has no 十/百/千,
/// otherwise additive (二十一 → 21, 千二百 → 1200). `None` on overflow.
pub fn kanji_number(run: &[char]) -> Option<String> {
    if run.iter().all(|&c| kanji_digit(c).is_some()) {
        return Some(run.iter().filter_map(|&c| kanji_digit(c)).map(|d| char::from(b'0' + d)).collect());
    }
    let (mut total, mut current) = (0u64, 0u64);
    for &c in run {
        if let Some(d) = kanji_digit(c) {
            current = current.checked_mul(10)?.checked_add(u64::from(d))?;
        } else if let Some(unit) = kanji_unit(c) {
            // A bare unit counts once: 十二 is 12, not 02.
            let factor = if current == 0 { 1 } else { current };
            total = total.checked_add(factor.checked_mul(unit)?)?;
            current = 0;
        }
    }
    Some(total.checked_add(current)?.to_string())
}
