//! The pre-sort for Japan Post (区分郵便物): which bundle each envelope goes into, the bundle list
//! 区分.xlsx with the slips' figures, and whether the batch meets Japan Post's conditions with
//! the discount it would earn. The conditions and their sources are in docs/japanpost-presort.md.

use std::collections::HashMap;

use serde::Serialize;

use crate::engine::config::{MailroomSettings, Registered};
use crate::engine::notice::Notice;
use crate::ground::model::PostalCode;

/// Japan Post's minimum counts posted at once (docs/japanpost-presort.md, with sources):
/// 区分郵便物 (pre-sorted by 郵便区番号, 3 % and up) …
pub const PRESORT_MIN: usize = 2_000;
/// … バーコード付郵便物 (3 %; not with 書留 or any other option service) …
pub const BARCODE_MIN: usize = 1_000;
/// … and 書留's 単割300 (11 円 off each).
pub const REGISTERED_BULK_MIN: usize = 300;
/// 単割300's discount on each registered piece, in yen.
pub const REGISTERED_BULK_YEN: u64 = 11;

/// The pre-sort district of a 郵便番号: its upper five digits, `NNN-NN`.
pub fn district(postal: &PostalCode) -> String {
    let digits: String = postal.to_string().chars().filter(char::is_ascii_digit).collect();
    format!("{}-{}", &digits[..3.min(digits.len())], digits.get(3..5).unwrap_or_default())
}

/// A pre-sort bundle, as its slip names it (docs/japanpost-presort.md: a bundle per upper five
/// digits; a district of fewer than the minimum goes into a bundle of the upper two digits; what
/// is still fewer goes into one 雑 bundle).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "level", content = "digits", rename_all = "lowercase")]
pub enum Sack {
    /// `NNN-NN`, the upper five digits of the 郵便番号. Five digits never mix two 郵便区 (a
    /// 郵便区番号 is the upper three or five digits), so the bundle goes to one delivery office.
    District(String),
    /// `NN`, the upper two digits: this region's districts too small for a bundle of their own.
    Region(String),
    /// 雑: every envelope left, of regions too small for a bundle.
    Mixed,
}

impl Sack {
    /// The bundle order: by region, a region's districts before its own bundle, 雑 last.
    pub(crate) fn rank(&self) -> (bool, &str, bool, &str) {
        match self {
            Sack::District(d) => (false, &d[..2], false, d),
            Sack::Region(r) => (false, r, true, ""),
            Sack::Mixed => (true, "", true, ""),
        }
    }

    /// What the slip and the bundle list say: `100-01`, `10`, `雑`.
    pub fn label(&self) -> String {
        match self {
            Sack::District(d) | Sack::Region(d) => d.clone(),
            Sack::Mixed => "雑".into(),
        }
    }

    /// `district`, `region` or `mixed`, for the slip's template.
    pub fn level(&self) -> &'static str {
        match self {
            Sack::District(_) => "district",
            Sack::Region(_) => "region",
            Sack::Mixed => "mixed",
        }
    }

    /// What kind of bundle it is, for the bundle list: 「郵便区（上5桁）」, 「上2桁でまとめた束（10通未満の郵便区）」, 「雑」.
    pub fn describe(&self, bundle_min: usize) -> String {
        match self {
            Sack::District(_) => crate::msg!("presort.level.district"),
            Sack::Region(_) => crate::msg!("presort.level.region", min = bundle_min),
            Sack::Mixed => crate::msg!("presort.level.mixed", min = bundle_min),
        }
    }
}
/// The bundle of each of `codes` (the batch's mailed envelopes, in any order): a district of at
/// least `bundle_min` envelopes is a bundle; the smaller districts of a region (upper two
/// digits) are one bundle when they reach `bundle_min` together; the rest are 雑. Which bundle an
/// envelope goes to depends only on the whole set, so every caller agrees.
pub fn sacks<'a>(codes: impl Iterator<Item = &'a PostalCode>, bundle_min: usize) -> Vec<Sack> {
    let districts: Vec<String> = codes.map(district).collect();
    let mut per_district: HashMap<&str, usize> = HashMap::new();
    for d in &districts {
        *per_district.entry(d.as_str()).or_default() += 1;
    }
    let mut small_per_region: HashMap<&str, usize> = HashMap::new();
    for d in &districts {
        if per_district[d.as_str()] < bundle_min {
            *small_per_region.entry(&d[..2]).or_default() += 1;
        }
    }
    districts
        .iter()
        .map(|d| {
            if per_district[d.as_str()] >= bundle_min {
                Sack::District(d.clone())
            } else if small_per_region[&d[..2]] >= bundle_min {
                Sack::Region(d[..2].to_string())
            } else {
                Sack::Mixed
            }
        })
        .collect()
}

/// How many pre-sort bundles the batch's mailed `notices` make (rows of 区分.xlsx).
pub fn bundle_count(notices: &[Notice], bundle_min: usize) -> usize {
    let paper = notices.iter().filter(|n| n.kind().is_mailed()).map(|n| &n.request.postal_code);
    sacks(paper, bundle_min).into_iter().collect::<std::collections::HashSet<_>>().len()
}

/// Consecutive runs of the same bundle in `sacks` (in the mail room's order): (index of the
/// first, bundle, count).
pub fn runs(sacks: Vec<Sack>) -> Vec<(usize, Sack, usize)> {
    let mut runs: Vec<(usize, Sack, usize)> = Vec::new();
    for (i, sack) in sacks.into_iter().enumerate() {
        match runs.last_mut() {
            Some((_, last, count)) if *last == sack => *count += 1,
            _ => runs.push((i, sack, 1)),
        }
    }
    runs
}

/// Whether a discount applies to the batch as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applies {
    /// The count is reached and nothing configured rules it out.
    Yes,
    /// The count is reached, but no source confirms the discount for the configured 書留.
    Unconfirmed,
    /// The count is not reached.
    Short,
    /// Ruled out by the settings (書留 for the barcode discount; no 書留 for 単割300; no
    /// barcode printed).
    No,
}

/// Japan Post's discounts a batch may earn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountName {
    /// 区分郵便物.
    Presort,
    /// バーコード付郵便物.
    Barcode,
    /// 書留の単割300.
    RegisteredBulk,
}

/// What in the settings rules a discount out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Excluded {
    /// 書留 excludes the barcode discount.
    Registered,
    /// No customer barcode is printed.
    NoBarcode,
    /// 単割300 is for 書留.
    NotRegistered,
}

/// One discount of Japan Post's the batch may earn.
#[derive(Debug, Clone, Serialize)]
pub struct Discount {
    pub name: DiscountName,
    /// Envelopes that count towards it, and the fewest Japan Post asks for.
    pub pieces: usize,
    pub minimum: usize,
    pub applies: Applies,
    /// Percent of the postage (without the 書留 fee), or yen off each piece.
    pub percent: Option<u32>,
    pub yen_each: Option<u64>,
    /// What it would save, in yen, when it applies or is unconfirmed; 0 otherwise.
    pub yen: u64,
    /// Why the settings rule it out (`applies` = `no`).
    pub excluded: Option<Excluded>,
}

/// The batch's mailed envelopes against Japan Post's conditions: bundles, discounts, postage.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub envelopes: usize,
    /// Pre-sort bundles: rows of 区分.xlsx, and slip pages when the bundle has them.
    pub bundles: usize,
    /// Envelopes that carry the customer barcode.
    pub barcoded: usize,
    /// `[mailroom] postage_yen` and `registered`.
    pub postage_yen: u32,
    pub registered: Registered,
    pub discounts: Vec<Discount>,
    /// The discounts that apply, and those that would if the post office confirms them.
    pub yen: u64,
    pub yen_unconfirmed: u64,
}

/// 区分郵便物's basic rate, sorted by the addressees' 郵便区番号 (docs/japanpost-presort.md #1).
fn presort_percent(pieces: usize) -> u32 {
    match pieces {
        100_000.. => 6,
        50_000.. => 5,
        10_000.. => 4,
        _ => 3,
    }
}

impl Estimate {
    /// The estimate for the batch's `notices` (all of them; the mailed ones count).
    pub fn of(notices: &[Notice], settings: &MailroomSettings) -> Estimate {
        let paper: Vec<&Notice> = notices.iter().filter(|n| n.kind().is_mailed()).collect();
        let bundles = bundle_count(notices, settings.bundle_min);
        let barcoded = if settings.customer_barcode { paper.iter().filter(|n| n.barcode().is_ok()).count() } else { 0 };
        Estimate::new(paper.len(), bundles, barcoded, settings)
    }

    pub fn new(envelopes: usize, bundles: usize, barcoded: usize, settings: &MailroomSettings) -> Estimate {
        let postage = u64::from(settings.postage_yen);
        let registered = settings.registered != Registered::None;
        let percent_of = |pieces: usize, percent: u32| postage * pieces as u64 * u64::from(percent) / 100;
        let reached = |pieces: usize, minimum: usize, applies: Applies| {
            if pieces < minimum && applies != Applies::No { Applies::Short } else { applies }
        };
        let mut discounts = Vec::new();
        let applies = reached(envelopes, PRESORT_MIN, if registered { Applies::Unconfirmed } else { Applies::Yes });
        let percent = presort_percent(envelopes);
        discounts.push(Discount {
            name: DiscountName::Presort,
            pieces: envelopes,
            minimum: PRESORT_MIN,
            applies,
            percent: Some(percent),
            yen_each: None,
            yen: if applies == Applies::Short { 0 } else { percent_of(envelopes, percent) },
            excluded: None,
        });
        let applies = reached(
            barcoded,
            BARCODE_MIN,
            if registered || !settings.customer_barcode { Applies::No } else { Applies::Yes },
        );
        discounts.push(Discount {
            name: DiscountName::Barcode,
            pieces: barcoded,
            minimum: BARCODE_MIN,
            applies,
            percent: Some(3),
            yen_each: None,
            yen: if applies == Applies::Yes { percent_of(barcoded, 3) } else { 0 },
            excluded: match applies {
                Applies::No if !settings.customer_barcode => Some(Excluded::NoBarcode),
                Applies::No => Some(Excluded::Registered),
                _ => None,
            },
        });
        let applies = reached(
            envelopes,
            REGISTERED_BULK_MIN,
            match settings.registered {
                Registered::General => Applies::Yes,
                Registered::Simple => Applies::Unconfirmed,
                Registered::None => Applies::No,
            },
        );
        discounts.push(Discount {
            name: DiscountName::RegisteredBulk,
            pieces: envelopes,
            minimum: REGISTERED_BULK_MIN,
            applies,
            percent: None,
            yen_each: Some(REGISTERED_BULK_YEN),
            yen: if matches!(applies, Applies::Yes | Applies::Unconfirmed) {
                REGISTERED_BULK_YEN * envelopes as u64
            } else {
                0
            },
            excluded: (applies == Applies::No).then_some(Excluded::NotRegistered),
        });
        let sum = |which: Applies| discounts.iter().filter(|d| d.applies == which).map(|d| d.yen).sum();
        Estimate {
            envelopes,
            bundles,
            barcoded,
            postage_yen: settings.postage_yen,
            registered: settings.registered,
            yen: sum(Applies::Yes),
            yen_unconfirmed: sum(Applies::Unconfirmed),
            discounts,
        }
    }

    /// Whether the batch reaches 区分郵便物's count.
    pub fn reaches_presort(&self) -> bool {
        self.envelopes >= PRESORT_MIN
    }

    /// One line per discount in the current language: its name, and what it comes to.
    pub fn lines(&self) -> Vec<(String, String)> {
        self.discounts.iter().map(|d| (d.title(), d.verdict())).collect()
    }

    /// The 条件 sheet's rows in the current language: the counts, each discount, the settings
    /// it was worked out with, and where the conditions come from.
    pub fn terms(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            (crate::msg!("presort.envelopes"), count(self.envelopes)),
            (crate::msg!("presort.bundles"), count(self.bundles)),
            (crate::msg!("presort.basis"), self.basis()),
        ];
        rows.extend(self.lines());
        rows.push((crate::msg!("presort.total"), self.total()));
        rows.push((crate::msg!("presort.caution"), crate::msg!("presort.caution_text")));
        rows.push((crate::msg!("presort.source"), "docs/japanpost-presort.md".into()));
        rows
    }

    /// 「1通 110円（書留料を除く）・簡易書留」.
    pub fn basis(&self) -> String {
        crate::msg!("presort.basis_text", postage = self.postage_yen, registered = self.registered.label())
    }

    /// What the discounts come to: 「8,250円（ほかに確認が要るもの 27,500円）」.
    pub fn total(&self) -> String {
        if self.yen_unconfirmed > 0 {
            crate::msg!("presort.total_unconfirmed", yen = yen(self.yen), unconfirmed = yen(self.yen_unconfirmed))
        } else {
            crate::msg!("presort.total_text", yen = yen(self.yen))
        }
    }
}

impl Discount {
    /// 「区分郵便物（同時に2,000通以上・郵便区番号ごとに区分）」.
    pub fn title(&self) -> String {
        match self.name {
            DiscountName::Presort => crate::msg!("presort.discount.presort"),
            DiscountName::Barcode => crate::msg!("presort.discount.barcode"),
            DiscountName::RegisteredBulk => crate::msg!("presort.discount.registered_bulk"),
        }
    }

    /// 「3%：8,250円」, 「2,000通に 1,500通足りません」, 「対象外：書留とは併用できません」.
    pub fn verdict(&self) -> String {
        let rate = match (self.percent, self.yen_each) {
            (Some(percent), _) => crate::msg!("presort.rate_percent", percent),
            (None, Some(each)) => crate::msg!("presort.rate_each", each, pieces = count(self.pieces)),
            (None, None) => String::new(),
        };
        match self.applies {
            Applies::Yes => crate::msg!("presort.applies", rate, yen = yen(self.yen)),
            Applies::Unconfirmed if self.name == DiscountName::Presort => {
                crate::msg!("presort.unconfirmed.presort", rate, yen = yen(self.yen))
            }
            Applies::Unconfirmed => crate::msg!("presort.unconfirmed.registered_bulk", rate, yen = yen(self.yen)),
            Applies::Short => {
                crate::msg!("presort.short", minimum = count(self.minimum), short = count(self.minimum - self.pieces))
            }
            Applies::No => match self.excluded {
                Some(Excluded::NoBarcode) => crate::msg!("presort.excluded.no_barcode"),
                Some(Excluded::Registered) => crate::msg!("presort.excluded.barcode"),
                Some(Excluded::NotRegistered) | None => crate::msg!("presort.excluded.registered_bulk"),
            },
        }
    }
}

/// 「8,250」: yen with thousands separators.
fn yen(n: u64) -> String {
    count(n as usize)
}

/// 「2,500」: a count with thousands separators, as the mail room's papers write it.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(spec: &[(&str, usize)]) -> Vec<PostalCode> {
        spec.iter().flat_map(|(code, n)| std::iter::repeat_n(PostalCode::parse(code).unwrap(), *n)).collect()
    }

    #[test]
    fn small_districts_join_their_region_and_small_regions_join_the_mixed_bundle() {
        // Region 10: one district of 12 (its own bundle), two of 4 and 6 (together 10: a region
        // bundle). Region 16: two districts of 3 (6: 雑). Region 19: one of 1 (雑).
        let codes = codes(&[
            ("100-0013", 12),
            ("101-0021", 4),
            ("102-0083", 6),
            ("160-0023", 3),
            ("161-0033", 3),
            ("192-0051", 1),
        ]);
        let sacks = sacks(codes.iter(), 10);
        let district = |d: &str| Sack::District(d.into());
        assert_eq!(sacks[0], district("100-00"));
        assert!(sacks[12..22].iter().all(|s| *s == Sack::Region("10".into())), "{sacks:?}");
        assert!(sacks[22..].iter().all(|s| *s == Sack::Mixed), "{sacks:?}");
        // With 1 every district is its own bundle; with 13 the district of 12 joins its region.
        assert_eq!(sacks.len(), 29);
        let apart = super::sacks(codes.iter(), 1);
        assert_eq!(apart.iter().collect::<std::collections::HashSet<_>>().len(), 6);
        let stricter = super::sacks(codes.iter(), 13);
        assert!(stricter[..22].iter().all(|s| *s == Sack::Region("10".into())), "{stricter:?}");
        // The bundle order: a region's districts, then its region bundle, 雑 last.
        let mut ranked = vec![Sack::Mixed, Sack::Region("10".into()), district("160-00"), district("100-01")];
        ranked.sort_by(|a, b| a.rank().cmp(&b.rank()));
        assert_eq!(ranked, [district("100-01"), Sack::Region("10".into()), district("160-00"), Sack::Mixed]);
    }

    fn settings(registered: Registered, customer_barcode: bool) -> MailroomSettings {
        MailroomSettings { registered, customer_barcode, ..MailroomSettings::default() }
    }

    fn find(e: &Estimate, name: DiscountName) -> &Discount {
        e.discounts.iter().find(|d| d.name == name).unwrap()
    }

    #[test]
    fn the_discounts_follow_the_counts_and_how_the_notices_are_sent() {
        // 2,500 envelopes at 110 yen, 2,400 with a barcode.
        let plain = Estimate::new(2_500, 40, 2_400, &settings(Registered::None, true));
        assert_eq!(
            (find(&plain, DiscountName::Presort).applies, find(&plain, DiscountName::Presort).yen),
            (Applies::Yes, 8_250)
        );
        assert_eq!(
            (find(&plain, DiscountName::Barcode).applies, find(&plain, DiscountName::Barcode).yen),
            (Applies::Yes, 7_920)
        );
        assert_eq!(find(&plain, DiscountName::RegisteredBulk).applies, Applies::No);
        assert_eq!((plain.yen, plain.yen_unconfirmed), (16_170, 0));

        let general = Estimate::new(2_500, 40, 2_400, &settings(Registered::General, true));
        assert_eq!(find(&general, DiscountName::Barcode).applies, Applies::No);
        assert_eq!(find(&general, DiscountName::Presort).applies, Applies::Unconfirmed);
        assert_eq!(
            (find(&general, DiscountName::RegisteredBulk).applies, find(&general, DiscountName::RegisteredBulk).yen),
            (Applies::Yes, 27_500)
        );
        assert_eq!((general.yen, general.yen_unconfirmed), (27_500, 8_250));

        let simple = Estimate::new(2_500, 40, 2_400, &settings(Registered::Simple, true));
        assert_eq!(find(&simple, DiscountName::RegisteredBulk).applies, Applies::Unconfirmed);
        assert_eq!((simple.yen, simple.yen_unconfirmed), (0, 35_750));

        // Below every minimum: nothing; no barcode printed: the barcode discount is ruled out.
        let few = Estimate::new(299, 3, 0, &settings(Registered::General, false));
        assert!(
            few.discounts.iter().all(|d| d.applies == Applies::Short || d.name == DiscountName::Barcode),
            "{few:?}"
        );
        assert_eq!((few.yen, few.yen_unconfirmed), (0, 0));
        let unbarcoded = Estimate::new(1_500, 3, 0, &settings(Registered::None, false));
        assert_eq!(find(&unbarcoded, DiscountName::Barcode).applies, Applies::No);
        assert_eq!(find(&unbarcoded, DiscountName::Barcode).excluded, Some(Excluded::NoBarcode));
        assert_eq!(find(&general, DiscountName::Barcode).excluded, Some(Excluded::Registered));
        assert_eq!(find(&plain, DiscountName::RegisteredBulk).excluded, Some(Excluded::NotRegistered));
        assert_eq!(find(&unbarcoded, DiscountName::Presort).applies, Applies::Short);
        // 10,000 and more: 4 %.
        let big = Estimate::new(10_000, 900, 10_000, &settings(Registered::None, true));
        assert_eq!(
            (find(&big, DiscountName::Presort).percent, find(&big, DiscountName::Presort).yen),
            (Some(4), 44_000)
        );
        crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || {
            assert_eq!(find(&plain, DiscountName::Presort).verdict(), "料金の3%：8,250円");
            assert_eq!(find(&few, DiscountName::Presort).verdict(), "2,000通に1,701通足りません（対象外）");
            assert_eq!(general.total(), "27,500円（ほかに、差出郵便局の確認で加わりうるもの 8,250円）");
        });
    }
}
