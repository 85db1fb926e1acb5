//! Writes dates in the Japanese era calendar (和暦), as the notices print them, and gives
//! today's date in Japan whatever the machine's time zone.

use chrono::{Datelike, FixedOffset, NaiveDate, Utc};

/// How an era date is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DateStyle {
    /// 「令和08年01月10日」: year, month and day zero-padded to two digits, as on the seed
    /// notices.
    #[default]
    Padded,
    /// 「令和8年1月10日」.
    Plain,
    /// Like `Plain`, but the first year of an era is 「元年」: 「令和元年5月1日」.
    Gannen,
}

struct Era {
    name: &'static str,
    start: NaiveDate,
}

const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid era start date"),
    }
}

/// Newest first, so the first era that started on or before a date is its era. Each era ends
/// the day before the next one starts.
const ERAS: [Era; 3] = [
    Era { name: "令和", start: ymd(2019, 5, 1) },
    Era { name: "平成", start: ymd(1989, 1, 8) },
    Era { name: "昭和", start: ymd(1926, 12, 25) },
];

/// Writes `date` in the era calendar. Dates before 昭和 (1926-12-25) are an error with a
/// reason in the language of the messages: no notice needs them, so they indicate bad input.
pub fn format(date: NaiveDate, style: DateStyle) -> Result<String, String> {
    let Some(era) = ERAS.iter().find(|era| era.start <= date) else {
        return Err(crate::msg!(
            "field.wareki.before_showa",
            year = date.year(),
            month = date.month(),
            day = date.day()
        ));
    };
    let year = date.year() - era.start.year() + 1;
    let (month, day) = (date.month(), date.day());
    Ok(match style {
        DateStyle::Padded => format!("{}{year:02}年{month:02}月{day:02}日", era.name),
        DateStyle::Gannen if year == 1 => format!("{}元年{month}月{day}日", era.name),
        DateStyle::Plain | DateStyle::Gannen => format!("{}{year}年{month}月{day}日", era.name),
    })
}

/// Today's date in Japan (UTC+9; Japan has no daylight saving time), so that a machine set to
/// another zone still dates the notices correctly.
pub fn today_in_tokyo() -> NaiveDate {
    now_in_tokyo().date_naive()
}

/// The current time in Japan (UTC+9, no daylight saving).
pub fn now_in_tokyo() -> chrono::DateTime<FixedOffset> {
    let jst = FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset");
    Utc::now().with_timezone(&jst)
}

/// A recorded time (RFC 3339) as the clerk reads it: `YYYY-MM-DD HH:MM`, in the offset it was
/// recorded in; a time that does not read is shown as recorded.
pub fn to_the_minute(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at).map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or(at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn padded(year: i32, month: u32, day: u32) -> String {
        format(date(year, month, day), DateStyle::Padded).unwrap()
    }

    #[test]
    fn heisei_ends_on_2019_04_30() {
        assert_eq!(padded(2019, 4, 30), "平成31年04月30日");
    }

    #[test]
    fn reiwa_starts_on_2019_05_01_in_every_style() {
        let first = date(2019, 5, 1);
        assert_eq!(format(first, DateStyle::Padded).unwrap(), "令和01年05月01日");
        assert_eq!(format(first, DateStyle::Plain).unwrap(), "令和1年5月1日");
        assert_eq!(format(first, DateStyle::Gannen).unwrap(), "令和元年5月1日");
    }

    #[test]
    fn showa_ends_on_1989_01_07() {
        assert_eq!(padded(1989, 1, 7), "昭和64年01月07日");
    }

    #[test]
    fn heisei_starts_on_1989_01_08() {
        assert_eq!(padded(1989, 1, 8), "平成01年01月08日");
        assert_eq!(format(date(1989, 1, 8), DateStyle::Gannen).unwrap(), "平成元年1月8日");
    }

    #[test]
    fn showa_starts_on_1926_12_25() {
        assert_eq!(padded(1926, 12, 25), "昭和01年12月25日");
        assert_eq!(format(date(1926, 12, 25), DateStyle::Gannen).unwrap(), "昭和元年12月25日");
    }

    #[test]
    fn dates_before_showa_are_rejected() {
        for style in [DateStyle::Padded, DateStyle::Plain, DateStyle::Gannen] {
            let reason = format(date(1926, 12, 24), style).unwrap_err();
            assert!(reason.contains("1926年12月24日"), "{reason}");
            assert!(reason.contains("和暦"), "{reason}");
        }
        assert!(format(date(1900, 1, 1), DateStyle::Plain).is_err());
    }

    #[test]
    fn padded_style_zero_pads_year_month_and_day() {
        assert_eq!(padded(2026, 1, 10), "令和08年01月10日");
        assert_eq!(padded(2014, 9, 22), "平成26年09月22日");
    }

    #[test]
    fn plain_and_gannen_styles_do_not_pad() {
        assert_eq!(format(date(2026, 1, 10), DateStyle::Plain).unwrap(), "令和8年1月10日");
        assert_eq!(format(date(2014, 9, 22), DateStyle::Plain).unwrap(), "平成26年9月22日");
    }

    #[test]
    fn gannen_style_spells_only_the_first_year_as_gannen() {
        assert_eq!(format(date(2019, 12, 31), DateStyle::Gannen).unwrap(), "令和元年12月31日");
        assert_eq!(format(date(2020, 1, 1), DateStyle::Gannen).unwrap(), "令和2年1月1日");
    }

    #[test]
    fn padded_is_the_default_style_and_styles_are_snake_case_in_config() {
        #[derive(serde::Deserialize)]
        struct Config {
            style: DateStyle,
        }
        assert_eq!(DateStyle::default(), DateStyle::Padded);
        for (text, style) in [("padded", DateStyle::Padded), ("plain", DateStyle::Plain), ("gannen", DateStyle::Gannen)]
        {
            let config: Config = toml::from_str(&format!("style = \"{text}\"")).unwrap();
            assert_eq!(config.style, style);
        }
    }

    #[test]
    fn today_in_tokyo_is_utc_date_or_the_day_after() {
        let before = Utc::now().date_naive();
        let today = today_in_tokyo();
        let after = Utc::now().date_naive();
        // UTC+9 is never behind UTC and at most one calendar day ahead.
        assert!(today >= before && today <= after.succ_opt().unwrap(), "{today}");
    }
}
