//! Crash points for the crash-consistency tests: when `TSUCHI_CRASH_AT` names a point (e.g.
//! `file:17`, `commit:before`), the process kills itself there as `kill -9` would — no
//! destructors, no cleanup. Inert unless that variable is set.

use std::sync::atomic::{AtomicUsize, Ordering};

static FILES: AtomicUsize = AtomicUsize::new(0);

fn target() -> Option<String> {
    std::env::var("TSUCHI_CRASH_AT").ok()
}

/// A named point was reached.
pub fn hit(point: &str) {
    if target().as_deref() == Some(point) {
        die();
    }
}

/// One more output file was written; `file:<k>` dies after the k-th.
pub fn file_written() {
    if let Some(k) = target().and_then(|t| t.strip_prefix("file:").and_then(|k| k.parse::<usize>().ok()))
        && FILES.fetch_add(1, Ordering::SeqCst) + 1 >= k
    {
        die();
    }
}

fn die() -> ! {
    #[cfg(unix)]
    {
        let _ = rustix_kill();
    }
    std::process::abort()
}

#[cfg(unix)]
fn rustix_kill() -> std::io::Result<()> {
    // SIGKILL to ourselves, exactly what `kill -9` does.
    std::process::Command::new("kill").arg("-9").arg(std::process::id().to_string()).status().map(|_| ())
}
