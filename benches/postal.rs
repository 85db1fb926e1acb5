//! What the embedded postal table costs a run: its size, reading the header, the first lookup
//! in a chunk (decompress and parse ~1/100 of the table), every chunk, and checking addresses.
//! Prints figures; asserts nothing about time (`cargo bench --bench postal`).

use std::time::{Duration, Instant};

use tsuchi::ground::postal::{EMBEDDED, PostalTable};

fn main() {
    println!("embedded table: {} bytes ({:.2} MB)", EMBEDDED.len(), EMBEDDED.len() as f64 / 1_000_000.0);

    let (table, header) = timed(|| PostalTable::embedded().expect("embedded table"));
    println!("header (PostalTable::embedded): {}", ms(header));
    println!("data date: {}", table.date());

    // The first lookup of each chunk, on a fresh table each time: a run's cost per region.
    let mut firsts: Vec<(Duration, usize)> = (0..100u32)
        .map(|chunk| {
            let fresh = PostalTable::embedded().expect("embedded table");
            let (n, took) = timed(|| fresh.lookup(chunk * 100_000 + 13).len());
            (took, n)
        })
        .collect();
    firsts.sort();
    println!("first lookup in a chunk: median {}, max {} (slowest chunk of 100)", ms(firsts[50].0), ms(firsts[99].0));

    let fresh = PostalTable::embedded().expect("embedded table");
    let (entries, all) = timed(|| fresh.all().len());
    println!("every chunk (whole table, {entries} rows): {}", ms(all));

    let addresses = [
        (1_000_013, "東京都千代田区霞が関1丁目3番2号 郵便プラザ503室"),
        (5_300_001, "東京都千代田区霞が関1-3-2"),
        (600_906, "北海道札幌市東区北六条東4丁目 郵便センター6号館"),
        (340_091, "青森県十和田市西十一番町5-3"),
    ];
    let rounds = 10_000;
    let (_, checks) = timed(|| {
        for i in 0..rounds {
            let (code, address) = addresses[i % addresses.len()];
            std::hint::black_box(fresh.verdict(code, address));
        }
    });
    println!("address check (verdict): {:.1} µs a row", checks.as_secs_f64() * 1e6 / rounds as f64);
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}
