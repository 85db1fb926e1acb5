//! One customer barcode (カスタマバーコード) from a postal code and an address, with the
//! address split the way Japan Post's rules split it.

use serde::Serialize;

use crate::engine::barcode;

/// The barcode of one address, or why it has none.
#[derive(Debug, Clone, Serialize)]
pub struct Barcode {
    /// 住所A / 住所B as split, when the address splits.
    pub address_a: Option<String>,
    pub address_b: Option<String>,
    /// The barcode, or (`None`) why there is none in `reason`.
    pub code: Option<Code>,
    pub reason: Option<String>,
    /// The date of the postal data used.
    pub postal_data: String,
}

/// A barcode's parts.
#[derive(Debug, Clone, Serialize)]
pub struct Code {
    pub postal: String,
    pub data: String,
    pub symbols: Vec<String>,
    pub check_digit: String,
    pub bars: String,
}

/// The barcode for `postal` and `address` (and its second line `address2`).
pub fn barcode(postal: &str, address: &str, address2: Option<&str>) -> Barcode {
    let postal: String = crate::engine::intake::text::normalize_code(postal).chars().filter(|c| *c != '-').collect();
    let table = crate::ground::postal::table();
    let whole = barcode::joined(address, address2);
    let split = barcode::split(table, &postal, &whole).ok();
    let (code, reason) = match barcode::for_address_in(table, &postal, address, address2) {
        Ok(code) => (
            Some(Code {
                postal: code.postal().to_string(),
                data: code.data().to_string(),
                symbols: code.symbols().iter().map(|s| s.as_str().to_string()).collect(),
                check_digit: code.check_digit().to_string(),
                bars: code.bar_string(),
            }),
            None,
        ),
        Err(reason) => (None, Some(reason.reason().to_string())),
    };
    Barcode {
        address_a: split.as_ref().map(|s| s.address_a.trim().to_string()),
        address_b: split.as_ref().map(|s| s.address_b.trim().to_string()),
        code,
        reason,
        postal_data: table.date().to_string(),
    }
}
