//! Splits a whole address into 住所A (up to and including the 町域 that Japan Post's table
//! gives for its 郵便番号) and 住所B (the rest), as the barcode manual (p17–p25) does. Only
//! 住所B goes through the extraction rules, so a numeral of the town name (西十一番町,
//! 北六条東, 稲田町南) never reaches the bars. No 町域 of the code in the address: no split,
//! and no barcode.

use super::NoBarcode;
use crate::ground::postal::{Entry, Kind, PostalTable, Verdict};

/// An address cut after its 町域.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    pub address_a: &'a str,
    pub address_b: &'a str,
    /// The table row whose 町域 ended 住所A.
    pub entry: Entry,
}

/// The split of `address` for `postal` (seven ASCII digits).
pub fn split<'a>(table: &PostalTable, postal: &str, address: &'a str) -> Result<Split<'a>, NoBarcode> {
    let code = crate::ground::postal::parse_code(postal).ok_or(NoBarcode::InvalidPostal)?;
    if address.trim().is_empty() {
        return Err(NoBarcode::NotFound);
    }
    match table.verdict(code, address) {
        (Verdict::Unknown, _) => Err(NoBarcode::UnknownPostal),
        (Verdict::OtherCity(_), _) => Err(NoBarcode::OtherCity),
        (Verdict::OtherTown(_), _) | (Verdict::Matches(_), None) => Err(NoBarcode::TownNotFound),
        (Verdict::NoCity(entries), Some(located)) => Ok(Split {
            address_a: &address[..located.town_end],
            address_b: &address[located.town_end..],
            entry: entries.into_iter().next().ok_or(NoBarcode::TownNotFound)?,
        }),
        (Verdict::NoCity(_), None) => Err(NoBarcode::TownNotFound),
        (Verdict::Matches(entry), Some(located)) => match entry.kind {
            Kind::Representative => Err(NoBarcode::RepresentativePostal),
            Kind::Building => Err(NoBarcode::Building),
            Kind::Area | Kind::Office => {
                Ok(Split { address_a: &address[..located.town_end], address_b: &address[located.town_end..], entry })
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::barcode::extract::address_data;
    use crate::ground::postal::table;
    use proptest::prelude::*;

    fn b(postal: &str, address: &str) -> Result<String, NoBarcode> {
        split(table(), postal, address).map(|s| s.address_b.to_string())
    }

    #[test]
    fn the_town_of_the_code_ends_address_a() {
        let s = split(table(), "1000013", "東京都千代田区霞が関1丁目3番2号").unwrap();
        assert_eq!((s.address_a, s.address_b), ("東京都千代田区霞が関", "1丁目3番2号"));
        assert_eq!(s.entry.town, "霞が関");
    }

    #[test]
    fn numerals_of_the_town_name_stay_in_address_a() {
        assert_eq!(b("0340091", "青森県十和田市西十一番町5-3").unwrap(), "5-3");
        assert_eq!(b("0800831", "北海道帯広市稲田町南七線 西28").unwrap(), "七線 西28");
        assert_eq!(b("9800811", "宮城県仙台市青葉区一番町4丁目7-17").unwrap(), "4丁目7-17");
    }

    #[test]
    fn the_split_is_refused_where_the_code_and_address_disagree() {
        assert_eq!(b("5300001", "東京都千代田区霞が関1-3-2"), Err(NoBarcode::OtherCity));
        assert_eq!(b("8120011", "福岡県福岡市博多区天神1-1"), Err(NoBarcode::TownNotFound));
        assert_eq!(b("1050000", "東京都港区虎ノ門1-1"), Err(NoBarcode::RepresentativePostal));
        assert_eq!(b("1234567", "東京都千代田区霞が関1-3-2"), Err(NoBarcode::UnknownPostal));
        assert_eq!(b("1000013", " 　"), Err(NoBarcode::NotFound));
    }

    #[test]
    fn the_part_after_the_town_alone_is_enough_to_split() {
        assert_eq!(b("2630023", "緑町3丁目30-8 郵便ビル403号").unwrap(), "3丁目30-8 郵便ビル403号");
    }

    #[test]
    fn a_town_followed_by_nothing_has_empty_data() {
        assert_eq!(b("6068501", "京都府京都市左京区吉田本町").map(|b| address_data(&b)).unwrap(), "");
    }

    /// Addresses built from random rows of the table and a random 番地 part: 住所B never holds
    /// the 町域 (it starts with the 番地 part as written), and the barcode data is that of the
    /// 番地 part alone.
    fn area_rows() -> &'static [Entry] {
        static ROWS: std::sync::OnceLock<Vec<Entry>> = std::sync::OnceLock::new();
        ROWS.get_or_init(|| {
            table()
                .all()
                .into_iter()
                .filter(|e| e.kind == Kind::Area && !e.town.is_empty())
                // A code whose other town is a longer form of this one (本町 / 本町通) would
                // rightly split after the longer town when the 番地 part starts with its rest.
                .filter(|e| table().lookup(e.code).len() == 1)
                .cloned()
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn address_b_never_contains_the_town(
            pick in any::<prop::sample::Index>(),
            with_prefecture in any::<bool>(),
            space in prop::sample::select(vec!["", " ", "　"]),
            banchi in "([1-9][0-9]{0,2}|[一二三四五六七八九十]{1,3})(丁目|番地|番|-|－)[1-9][0-9]{0,2}(-[1-9][0-9]?)?( [A-Zア-ン]{0,4}ビル[1-9]{0,2}[0-9]{2}号?)?",
        ) {
            let rows = area_rows();
            let e = &rows[pick.index(rows.len())];
            let prefecture = if with_prefecture { e.prefecture.as_str() } else { "" };
            let address = format!("{prefecture}{}{}{space}{banchi}", e.city, e.town);
            let s = split(table(), &format!("{:07}", e.code), &address);
            prop_assert!(s.is_ok(), "{} {address}: {s:?}", e.code);
            let s = s.unwrap();
            prop_assert_eq!(s.address_b.trim_start(), banchi.as_str());
            prop_assert!(!s.address_b.contains(e.town.as_str()) || banchi.contains(e.town.as_str()));
            prop_assert_eq!(address_data(s.address_b), address_data(&banchi));
        }

        #[test]
        fn splitting_arbitrary_text_never_panics(address in "\\PC{0,30}", code in "[0-9]{7}") {
            let _ = split(table(), &code, &address);
        }
    }
}
