//! Renders 1,000 notices (the 20 sample requests with varied office names, all three kinds)
//! and prints notices per second, CPU time per notice (ms·core: user + system time of the
//! process, which other jobs on a shared machine disturb less than the wall clock) and bytes per
//! notice; then the same for their archive copies, for both made together as a batch does, and
//! for a notice's encrypted ZIP.
//! `cargo bench --bench render`.

use std::time::Instant;

use rayon::prelude::*;
use tsuchi::engine::config::Config;
use tsuchi::engine::intake::{self, ReadOptions};
use tsuchi::engine::notice::{Notice, Secrets};
use tsuchi::engine::render::Renderer;
use tsuchi::engine::secrets::Generator;
use tsuchi::ground::wareki::now_in_tokyo;

const NOTICES: usize = 1_000;

/// CPU time (user + system) of this process so far, in seconds (Linux; NaN elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: state is the 1st, utime the 12th, stime the 13th, in ticks
    // of 1/100 s (USER_HZ).
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    match (fields.get(11).and_then(|u| u.parse::<f64>().ok()), fields.get(12).and_then(|s| s.parse::<f64>().ok())) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}

/// Runs `work` on every request with `threads` threads and prints its rate, CPU time and size.
fn measure(threads: usize, what: &str, work: impl Fn() -> usize + Send) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let bytes = pool.install(work);
    let (secs, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    println!(
        "{threads} thread(s): {NOTICES} {what} in {secs:.2} s = {:.0}/s, {:.2} ms·core each, {:.1} KB each",
        NOTICES as f64 / secs,
        cpu * 1e3 / NOTICES as f64,
        bytes as f64 / NOTICES as f64 / 1024.0
    );
}

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
    let glyphs: std::collections::BTreeSet<tsuchi::ground::font::Cluster> = requests
        .iter()
        .flat_map(|r| {
            let notice = Notice::issue(r.clone(), date, &config.passwords, Secrets::Specimen);
            let (_, frame) = renderer.frame(&notice).expect("lays out");
            tsuchi::engine::render::gothic_glyphs(&frame).collect::<Vec<_>>()
        })
        .collect();
    let fonts = renderer.fonts_for(&glyphs).expect("fonts subset");
    println!("batch fonts (subset once per batch): {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    let created = now_in_tokyo();

    let issue = |generator: &mut Generator, r: &tsuchi::ground::model::Request| {
        Notice::issue(r.clone(), date, &config.passwords, Secrets::Drawn(generator))
    };
    for threads in [1, rayon::current_num_threads()] {
        measure(threads, "notices", || {
            requests
                .par_iter()
                .map_init(Generator::os, |g, r| renderer.render(&issue(g, r), &fonts, created).expect("renders").len())
                .sum()
        });
        // The archive copy of each notice (passwords masked, PDF/A-2b), which a batch writes too.
        measure(threads, "archive copies", || {
            requests
                .par_iter()
                .map_init(Generator::os, |g, r| {
                    renderer.render_archive(&issue(g, r), &fonts, created).expect("renders").len()
                })
                .sum()
        });
        // Both, as a batch makes them (sizes are of the pair).
        measure(threads, "notices with their archive copies", || {
            requests
                .par_iter()
                .map_init(Generator::os, |g, r| {
                    let (notice, archive) =
                        renderer.render_with_archive(&issue(g, r), &fonts, created).expect("renders");
                    notice.len() + archive.len()
                })
                .sum()
        });
    }
    // A notice's ZIP (AES-256, AE-2): the key derivation is most of it.
    let notice = renderer.render(&issue(&mut Generator::os(), &requests[0]), &fonts, created).expect("renders");
    let password = Generator::os().generate(&tsuchi::engine::secrets::PasswordPolicy::temp_password(), "KJ0000000000");
    let when = created.naive_local();
    measure(1, "ZIPs of one notice", || {
        (0..NOTICES)
            .map(|_| {
                tsuchi::engine::pack::zip_one(
                    "a.pdf",
                    &notice,
                    &password,
                    tsuchi::engine::pack::ZipEncryption::Aes256,
                    when,
                )
                .expect("zips")
                .len()
            })
            .sum()
    });
}
