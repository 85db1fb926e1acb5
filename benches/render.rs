//! Renders 1,000 notices (the 20 sample requests with varied office names, all three kinds)
//! and prints notices per second and bytes per notice, then the same for their archive copies.
//! `cargo bench --bench render`.

use std::time::Instant;

use rayon::prelude::*;
use tsuchi::batch::now_in_tokyo;
use tsuchi::config::Config;
use tsuchi::intake::{self, ReadOptions};
use tsuchi::notice::{Notice, Secrets};
use tsuchi::render::Renderer;
use tsuchi::secrets::Generator;

const NOTICES: usize = 1_000;

fn main() {
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/requests.xlsx");
    let intake = intake::read(samples.as_ref(), &ReadOptions::default()).expect("samples read");
    let config = Config::default();
    let started = Instant::now();
    let renderer = Renderer::new(&config).expect("templates load");
    println!("start-up (fonts, templates, specimens): {:.1} ms", started.elapsed().as_secs_f64() * 1e3);

    let suffixes = ["", " 第二事業所", " 北営業所", " サテライト", " 本店"];
    let requests: Vec<_> = (0..NOTICES)
        .map(|i| {
            let mut r = intake.requests[i % intake.requests.len()].clone();
            r.office_name = format!("{}{}{}", r.office_name, suffixes[i % suffixes.len()], i);
            r
        })
        .collect();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    let started = Instant::now();
    let glyphs: std::collections::BTreeSet<char> = requests
        .iter()
        .flat_map(|r| {
            let notice = Notice::issue(r.clone(), date, &config.passwords, Secrets::Specimen);
            let (_, frame) = renderer.frame(&notice).expect("lays out");
            tsuchi::render::gothic_glyphs(&frame).collect::<Vec<_>>()
        })
        .collect();
    let fonts = renderer.fonts_for(&glyphs).expect("fonts subset");
    println!("batch fonts (subset once per batch): {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    let created = now_in_tokyo();

    for threads in [1, rayon::current_num_threads()] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let started = Instant::now();
        let bytes: usize = pool.install(|| {
            requests
                .par_iter()
                .map_init(Generator::os, |generator, r| {
                    let notice = Notice::issue(r.clone(), date, &config.passwords, Secrets::Drawn(generator));
                    renderer.render(&notice, &fonts, created).expect("renders").len()
                })
                .sum()
        });
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{threads} thread(s): {NOTICES} notices in {:.2} s = {:.0} notices/s, {:.1} KB/notice",
            secs,
            NOTICES as f64 / secs,
            bytes as f64 / NOTICES as f64 / 1024.0
        );
        // The archive copy of each notice (passwords masked, PDF/A-2b), which a batch writes too.
        let started = Instant::now();
        let bytes: usize = pool.install(|| {
            requests
                .par_iter()
                .map_init(Generator::os, |generator, r| {
                    let notice = Notice::issue(r.clone(), date, &config.passwords, Secrets::Drawn(generator));
                    renderer.render_archive(&notice, &fonts, created).expect("renders").len()
                })
                .sum()
        });
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{threads} thread(s): {NOTICES} archive copies in {:.2} s = {:.0} copies/s, {:.1} KB/copy",
            secs,
            NOTICES as f64 / secs,
            bytes as f64 / NOTICES as f64 / 1024.0
        );
    }
}
