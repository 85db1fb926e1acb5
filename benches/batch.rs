//! A whole batch of 10,000 requests end to end — intake, secrets, notices, ZIPs, the print
//! bundle, the mailing list, the second-channel list and the manifest — and prints notices/s,
//! CPU time per notice (ms·core, user + system), peak memory (in all and per phase) and output
//! bytes. `cargo bench --bench batch [-- ROWS]`; `-- 100000` is the large mode, which shows
//! that memory stays flat.

use std::io::Write;
use std::time::Instant;

use tsuchi::engine::batch::{self, RunOptions, Silent};
use tsuchi::engine::config::Config;
use tsuchi::engine::intake::fields::office_check_digit;
use tsuchi::engine::render::Renderer;

/// Peak resident memory of this process (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resident memory of this process now (Linux), in MB.
fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Bytes the allocator holds for the program now (glibc: in use in every arena, and mapped
/// blocks), in MB: beside the resident size, it tells live memory from memory the allocator
/// keeps after it was freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap_mb() -> f64 {
    #[repr(C)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    unsafe extern "C" {
        fn mallinfo2() -> MallInfo2;
    }
    // SAFETY: mallinfo2 (glibc 2.33+) only reads the allocator's statistics.
    let info = unsafe { mallinfo2() };
    (info.uordblks + info.hblkhd) as f64 / 1e6
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn heap_mb() -> f64 {
    f64::NAN
}

/// CPU time (user + system) of this process so far, in seconds (Linux; NaN elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: utime is the 12th, stime the 13th, in 1/100 s (USER_HZ).
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    match (fields.get(11).and_then(|u| u.parse::<f64>().ok()), fields.get(12).and_then(|s| s.parse::<f64>().ok())) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() { dir_bytes(&e.path()) } else { e.metadata().unwrap().len() }
        })
        .sum()
}

fn main() {
    let rows: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("requests.csv");
    let mut csv = std::fs::File::create(&input).unwrap();
    writeln!(csv, "申請番号,通知種別,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID,宛名").unwrap();
    let kinds = ["登録結果", "再発行", "証明書PW再発行"];
    // Real codes of real towns: intake checks each 郵便番号 against its address.
    let towns = [
        ("100-0013", "千代田区霞が関"),
        ("160-0023", "新宿区西新宿"),
        ("154-0024", "世田谷区三軒茶屋"),
        ("192-0051", "八王子市元本郷町"),
        ("194-0022", "町田市森野"),
    ];
    for i in 0..rows {
        let payload = format!("137{:06}", i);
        let office = format!("{payload}{}", office_check_digit(&payload).unwrap());
        let (postal, town) = towns[i % towns.len()];
        writeln!(
            csv,
            "B{i:06},{},{office},社会福祉法人ベンチ福祉会 第{i}ケアセンター,{postal},東京都{town}{}丁目{}番{}号,03-1234-{:04},03-1234-{:04},KJ13{office},{}",
            kinds[i % 3],
            i % 9 + 1,
            i % 30 + 1,
            i % 20 + 1,
            i % 10_000,
            (i + 1) % 10_000,
            if i % 4 == 0 { "管理者 山田 花子" } else { "" },
        )
        .unwrap();
    }
    drop(csv);

    // An installation run would accept: a real issuer and an operator's key (the batch is
    // measured with its hand-off file encrypted, as a real one is).
    let settings = r#"
[issuer]
name = "試験県国民健康保険団体連合会"
helpdesk = "介護保険課 電子請求担当　電話 011-222-3333"

[handoff]
recipients = ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]
"#;
    let config = Config::parse(settings, std::path::Path::new("bench.toml")).unwrap();
    let renderer = Renderer::new(&config).unwrap();
    let options = RunOptions {
        input,
        sheet: None,
        include_hidden: false,
        out_root: work.path().join("out"),
        config_path: None,
        issue_date: None,
        allow_date: false,
        dry_run: false,
        reissue: Vec::new(),
        reissue_reason: None,
        new_ledger: false,
        registry: None,
    };
    // Resident memory sampled every 20 ms, to tell which phase holds the peak.
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let sampler = {
        let sampling = sampling.clone();
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                // mallinfo2 walks every free chunk with the arenas locked: often enough to
                // see each phase, rarely enough not to slow the batch it measures.
                let heap = if samples.len() % 25 == 0 { Some(heap_mb()) } else { None };
                samples.push((started.elapsed().as_secs_f64(), rss_mb().unwrap_or(f64::NAN), cpu_seconds(), heap));
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            samples
        })
    };
    let report = batch::run(&options, &config, &renderer, &Silent).expect("batch runs");
    let (secs, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let samples = sampler.join().unwrap();
    let peak_between = |from: f64, to: f64| {
        samples.iter().filter(|(t, ..)| (from..to).contains(t)).map(|(_, mb, ..)| *mb).fold(0.0, f64::max)
    };
    // The allocator's figure, when a heap sample fell in the phase (short phases may have none).
    let heap_between = |from: f64, to: f64| {
        let heaps = samples.iter().filter(|(t, ..)| (from..to).contains(t)).filter_map(|(.., heap)| *heap);
        heaps.reduce(f64::max).map(|mb| format!(" (heap {mb:.0} MB)")).unwrap_or_default()
    };
    // Cores busy in a phase: CPU time over wall time, between the samples nearest its ends.
    let cores_between = |from: f64, to: f64| {
        let at = |t: f64| samples.iter().min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs())).copied();
        match (at(from), at(to)) {
            (Some((t0, _, c0, _)), Some((t1, _, c1, _))) if t1 > t0 => (c1 - c0) / (t1 - t0),
            _ => f64::NAN,
        }
    };
    assert_eq!(report.issued.len(), rows, "{:?}", report.rejections().first());
    let bytes = dir_bytes(&report.dir);
    println!("rows: {rows}, threads: {}", rayon::current_num_threads());
    println!(
        "whole batch: {secs:.2} s = {:.0} notices/s end to end, {:.2} ms·core per notice",
        rows as f64 / secs,
        cpu * 1e3 / rows as f64
    );
    // The phases run back to back and end with the batch; what comes before them is the
    // ledger check and reading the list.
    let phases: f64 = report.timings.iter().map(|(_, t)| t.as_secs_f64()).sum();
    let mut from = secs - phases;
    println!(
        "  ledger check+intake: {from:.2} s, {:.1} cores busy, peak {:.0} MB{}",
        cores_between(0.0, from),
        peak_between(0.0, from),
        heap_between(0.0, from)
    );
    for (phase, time) in &report.timings {
        let to = from + time.as_secs_f64();
        let (busy, peak, heap) = (cores_between(from, to), peak_between(from, to), heap_between(from, to));
        println!("  {phase}: {:.2} s, {busy:.1} cores busy, peak {peak:.0} MB{heap}", time.as_secs_f64());
        from = to;
    }
    println!("peak memory: {:.0} MB", peak_rss_mb().unwrap_or(f64::NAN));
    println!(
        "output: {:.1} MB ({:.1} KB per notice; print bundle {} pages)",
        bytes as f64 / 1e6,
        bytes as f64 / rows as f64 / 1024.0,
        report.bundle_pages
    );
}
