//! Turns a 郵便番号 and an already-extracted 住所表示番号 into the 67 bars of the Japan Post
//! customer barcode (DOMAIN §6): symbol table, letter splitting, CC4 padding, check digit.

use std::fmt;

/// One bar of the customer barcode, named by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bar {
    /// Full height (3.6 mm at 10 pt).
    Long,
    /// Timing bar plus the upper half (ascender).
    Upper,
    /// Timing bar plus the lower half (descender).
    Lower,
    /// The short middle part only (1.2 mm at 10 pt).
    Timing,
}

impl Bar {
    /// The digit Japan Post's manual uses for this bar: '1' long, '2' upper, '3' lower,
    /// '4' timing.
    pub fn digit(self) -> char {
        match self {
            Bar::Long => '1',
            Bar::Upper => '2',
            Bar::Lower => '3',
            Bar::Timing => '4',
        }
    }

    fn from_digit(digit: u8) -> Bar {
        match digit {
            1 => Bar::Long,
            2 => Bar::Upper,
            3 => Bar::Lower,
            _ => Bar::Timing,
        }
    }
}

/// The bars of the start and stop codes.
const START: [u8; 2] = [1, 3];
const STOP: [u8; 2] = [3, 1];

/// Bars of each symbol, indexed by its check-digit value: 0–9, '-' (10), CC1–CC8 (11–18).
const SYMBOL_BARS: [[u8; 3]; 19] = [
    [1, 4, 4], // 0
    [1, 1, 4], // 1
    [1, 3, 2], // 2
    [3, 1, 2], // 3
    [1, 2, 3], // 4
    [1, 4, 1], // 5
    [3, 2, 1], // 6
    [2, 1, 3], // 7
    [2, 3, 1], // 8
    [4, 1, 1], // 9
    [4, 1, 4], // -
    [3, 2, 4], // CC1
    [3, 4, 2], // CC2
    [2, 3, 4], // CC3
    [4, 3, 2], // CC4
    [2, 4, 3], // CC5
    [4, 2, 3], // CC6
    [4, 4, 1], // CC7
    [1, 1, 1], // CC8
];

const SYMBOL_LABELS: [&str; 19] =
    ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "-", "CC1", "CC2", "CC3", "CC4", "CC5", "CC6", "CC7", "CC8"];

/// Symbols between START and STOP, check digit excluded: 7 for the 郵便番号, 13 for the
/// 住所表示番号.
pub const DATA_SYMBOLS: usize = 20;
/// Bars in every customer barcode: 2 (START) + 21 × 3 + 2 (STOP).
pub const BAR_COUNT: usize = 67;
const ADDRESS_SYMBOLS: usize = 13;

/// One symbol of the barcode. Its value is the one the check digit sums: 0–9 for digits,
/// 10 for '-', 11–18 for CC1–CC8, so one number serves as table index, sum term and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Symbol(u8);

impl Symbol {
    pub const HYPHEN: Symbol = Symbol(10);
    /// Padding after the 住所表示番号.
    pub const CC4: Symbol = Symbol(14);

    /// The symbol with this check-digit value, if it is 0–18.
    pub fn from_value(value: u8) -> Option<Symbol> {
        (usize::from(value) < SYMBOL_BARS.len()).then_some(Symbol(value))
    }

    pub fn digit(digit: u8) -> Option<Symbol> {
        (digit <= 9).then_some(Symbol(digit))
    }

    /// Control code CC1–CC8.
    pub fn control(n: u8) -> Option<Symbol> {
        (1..=8).contains(&n).then(|| Symbol(10 + n))
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn bars(self) -> [Bar; 3] {
        SYMBOL_BARS[usize::from(self.0)].map(Bar::from_digit)
    }

    /// "0"–"9", "-" or "CC1"–"CC8".
    pub fn as_str(self) -> &'static str {
        SYMBOL_LABELS[usize::from(self.0)]
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why `encode` refused its input. Both mean a caller bug or unchecked input, since
/// `extract::address_data` only yields valid data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    #[error("{}", crate::msg!("barcode.encode.invalid_postal", postal = .0))]
    InvalidPostal(String),
    #[error("{}", crate::msg!("barcode.encode.invalid_char", character = .0))]
    InvalidDataChar(char),
}

/// A fully encoded customer barcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barcode {
    postal: String,
    data: String,
    symbols: [Symbol; DATA_SYMBOLS],
    check: Symbol,
}

impl Barcode {
    /// The 郵便番号 as 7 digits, without hyphen.
    pub fn postal(&self) -> &str {
        &self.postal
    }

    /// The 住所表示番号 as given to `encode`, even where the symbols truncated it.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The 20 symbols between START and the check digit.
    pub fn symbols(&self) -> &[Symbol; DATA_SYMBOLS] {
        &self.symbols
    }

    pub fn check_digit(&self) -> Symbol {
        self.check
    }

    /// Always `BAR_COUNT` bars: START, 20 symbols, check digit, STOP.
    pub fn bars(&self) -> Vec<Bar> {
        let mut bars = Vec::with_capacity(BAR_COUNT);
        bars.extend(START.map(Bar::from_digit));
        for symbol in self.symbols.iter().chain(std::iter::once(&self.check)) {
            bars.extend(symbol.bars());
        }
        bars.extend(STOP.map(Bar::from_digit));
        bars
    }

    /// The bars as Japan Post writes them, '1'–'4', 67 characters.
    pub fn bar_string(&self) -> String {
        self.bars().into_iter().map(Bar::digit).collect()
    }
}

/// Encodes `postal7` (7 ASCII digits, or `ddd-dddd`) and `address_data`, the 住所表示番号
/// already extracted (ASCII digits, '-', upper-case letters; may be empty).
pub fn encode(postal7: &str, address_data: &str) -> Result<Barcode, BarcodeError> {
    let postal = parse_postal(postal7).ok_or_else(|| BarcodeError::InvalidPostal(postal7.to_owned()))?;
    let address = address_symbols(address_data)?;

    let mut symbols = [Symbol::CC4; DATA_SYMBOLS];
    for (slot, digit) in symbols.iter_mut().zip(postal.bytes()) {
        *slot = Symbol(digit - b'0');
    }
    symbols[7..].copy_from_slice(&address);

    Ok(Barcode { postal, data: address_data.to_owned(), check: check_digit(&symbols), symbols })
}

fn parse_postal(postal: &str) -> Option<String> {
    let digits: String = match postal.as_bytes() {
        [a, b, c, b'-', rest @ ..] => [*a, *b, *c].iter().chain(rest).map(|&byte| char::from(byte)).collect(),
        _ => postal.to_owned(),
    };
    (digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The 13 address symbols: letters become a control code plus a digit; whatever does not
/// fit is cut, which keeps only the control code of a letter starting at the last slot
/// (DOMAIN §6); the rest is CC4.
fn address_symbols(data: &str) -> Result<[Symbol; ADDRESS_SYMBOLS], BarcodeError> {
    let mut symbols = Vec::with_capacity(ADDRESS_SYMBOLS + 1);
    for c in data.chars() {
        match c {
            '0'..='9' => symbols.push(Symbol(c as u8 - b'0')),
            '-' => symbols.push(Symbol::HYPHEN),
            'A'..='Z' => {
                let index = c as u8 - b'A';
                // A–J = CC1+0…9, K–T = CC2+0…9, U–Z = CC3+0…5.
                symbols.push(Symbol(11 + index / 10));
                symbols.push(Symbol(index % 10));
            }
            _ => return Err(BarcodeError::InvalidDataChar(c)),
        }
    }
    symbols.resize(symbols.len().max(ADDRESS_SYMBOLS), Symbol::CC4);
    let mut out = [Symbol::CC4; ADDRESS_SYMBOLS];
    out.copy_from_slice(&symbols[..ADDRESS_SYMBOLS]);
    Ok(out)
}

fn check_digit(symbols: &[Symbol]) -> Symbol {
    let sum: u32 = symbols.iter().map(|s| u32::from(s.0)).sum();
    // The remainder is below 19, so the cast cannot truncate.
    Symbol(((19 - sum % 19) % 19) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bars_of(symbol: Symbol) -> String {
        symbol.bars().iter().map(|b| b.digit()).collect()
    }

    fn labels(barcode: &Barcode) -> Vec<&'static str> {
        barcode.symbols().iter().map(|s| s.as_str()).collect()
    }

    #[test]
    fn bar_digits_are_one_long_two_upper_three_lower_four_timing() {
        assert_eq!(Bar::Long.digit(), '1');
        assert_eq!(Bar::Upper.digit(), '2');
        assert_eq!(Bar::Lower.digit(), '3');
        assert_eq!(Bar::Timing.digit(), '4');
    }

    #[test]
    fn symbol_table_matches_domain() {
        let expected = [
            ("0", "144"),
            ("1", "114"),
            ("2", "132"),
            ("3", "312"),
            ("4", "123"),
            ("5", "141"),
            ("6", "321"),
            ("7", "213"),
            ("8", "231"),
            ("9", "411"),
            ("-", "414"),
            ("CC1", "324"),
            ("CC2", "342"),
            ("CC3", "234"),
            ("CC4", "432"),
            ("CC5", "243"),
            ("CC6", "423"),
            ("CC7", "441"),
            ("CC8", "111"),
        ];
        for (value, (label, bars)) in expected.iter().enumerate() {
            let symbol = Symbol::from_value(value as u8).unwrap();
            assert_eq!(symbol.as_str(), *label);
            assert_eq!(bars_of(symbol), *bars, "{label}");
        }
        assert_eq!(Symbol::from_value(19), None);
        assert_eq!(Symbol::control(1).unwrap().as_str(), "CC1");
        assert_eq!(Symbol::control(8).unwrap().as_str(), "CC8");
        assert_eq!(Symbol::control(9), None);
    }

    #[test]
    fn barcode_starts_with_start_13_and_ends_with_stop_31() {
        let bars = encode("1000013", "").unwrap().bar_string();
        assert!(bars.starts_with("13"));
        assert!(bars.ends_with("31"));
    }

    #[test]
    fn worked_example_263_0023() {
        let barcode = encode("2630023", "3-30-8-403").unwrap();
        assert_eq!(barcode.check_digit().as_str(), "5");
    }

    #[test]
    fn worked_example_110_0016() {
        let barcode = encode("1100016", "5-6-3-10").unwrap();
        assert_eq!(barcode.check_digit().as_str(), "9");
    }

    #[test]
    fn worked_example_407_0033_check_digit_is_hyphen() {
        let barcode = encode("4070033", "400").unwrap();
        assert_eq!(barcode.check_digit().as_str(), "-");
    }

    #[test]
    fn worked_example_100_0013_full_bar_string() {
        let barcode = encode("100-0013", "1-3-2-503").unwrap();
        assert_eq!(barcode.postal(), "1000013");
        assert_eq!(barcode.data(), "1-3-2-503");
        assert_eq!(barcode.check_digit().to_string(), "9");
        assert_eq!(barcode.bar_string(), "1311414414414414411431211441431241413241414114431243243243243241131");
    }

    #[test]
    fn address_is_padded_with_cc4_to_13_symbols() {
        let barcode = encode("1000013", "1").unwrap();
        let labels = labels(&barcode);
        assert_eq!(labels[7], "1");
        assert!(labels[8..].iter().all(|l| *l == "CC4"));
    }

    #[test]
    fn letters_take_a_control_code_and_a_digit() {
        let barcode = encode("1000013", "A1").unwrap();
        assert_eq!(&labels(&barcode)[7..10], ["CC1", "0", "1"]);
        let barcode = encode("1000013", "JKTUZ").unwrap();
        assert_eq!(&labels(&barcode)[7..17], ["CC1", "9", "CC2", "0", "CC2", "9", "CC3", "0", "CC3", "5"]);
    }

    #[test]
    fn letter_starting_at_symbol_20_keeps_only_its_control_code() {
        // 12 digits fill symbols 8–19; the letter's CC2 is symbol 20, its digit is cut.
        let barcode = encode("1000013", "123456789012K").unwrap();
        let labels = labels(&barcode);
        assert_eq!(labels[18], "2");
        assert_eq!(labels[19], "CC2");
        assert_eq!(barcode.data(), "123456789012K");
        assert_eq!(barcode.bars().len(), BAR_COUNT);
    }

    #[test]
    fn data_longer_than_13_symbols_is_cut_at_symbol_20() {
        let barcode = encode("1000013", "1-2-3-4-5-6-7-8").unwrap();
        assert_eq!(labels(&barcode)[19], "7");
    }

    #[test]
    fn invalid_postal_or_data_is_refused() {
        assert!(matches!(encode("100001", "1"), Err(BarcodeError::InvalidPostal(_))));
        assert!(matches!(encode("100-00a3", "1"), Err(BarcodeError::InvalidPostal(_))));
        assert_eq!(encode("1000013", "1a"), Err(BarcodeError::InvalidDataChar('a')));
    }

    proptest! {
        #[test]
        fn any_valid_input_gives_67_bars_framed_and_summing_to_zero_mod_19(
            postal in "[0-9]{7}",
            data in "[0-9A-Z-]{0,20}",
        ) {
            let barcode = encode(&postal, &data).unwrap();
            let bars = barcode.bar_string();
            prop_assert_eq!(barcode.bars().len(), BAR_COUNT);
            prop_assert_eq!(bars.chars().count(), BAR_COUNT);
            prop_assert!(bars.starts_with("13"));
            prop_assert!(bars.ends_with("31"));
            let sum: u32 = barcode
                .symbols()
                .iter()
                .chain(std::iter::once(&barcode.check_digit()))
                .map(|s| u32::from(s.value()))
                .sum();
            prop_assert_eq!(sum % 19, 0);
        }
    }
}
