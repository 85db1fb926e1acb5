//! Crash points for the crash-consistency tests: when `TSUCHI_CRASH_AT` names a point (e.g.
//! `file:17`, `commit:before`), the process kills itself there as `kill -9` would — no
//! destructors, no cleanup.
//!
//! They exist only in builds with the `crash-points` feature, which `cargo test` turns on
//! (tsuchi's dev-dependency on itself); the binary a clerk runs is built without it, and there
//! [`hit`] and [`file_written`] are empty and the variable means nothing.

/// A named point was reached.
#[inline(always)]
pub fn hit(point: &str) {
    #[cfg(feature = "crash-points")]
    armed::hit(point);
    #[cfg(not(feature = "crash-points"))]
    let _ = point;
}

/// One more output file was written; `file:<k>` dies after the k-th.
#[inline(always)]
pub fn file_written() {
    #[cfg(feature = "crash-points")]
    armed::file_written();
}

#[cfg(feature = "crash-points")]
mod armed {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static FILES: AtomicUsize = AtomicUsize::new(0);

    fn target() -> Option<String> {
        std::env::var("TSUCHI_CRASH_AT").ok()
    }

    pub fn hit(point: &str) {
        if target().as_deref() == Some(point) {
            die();
        }
    }

    pub fn file_written() {
        if let Some(k) = target().and_then(|t| t.strip_prefix("file:").and_then(|k| k.parse::<usize>().ok()))
            && FILES.fetch_add(1, Ordering::SeqCst) + 1 >= k
        {
            die();
        }
    }

    fn die() -> ! {
        // SIGKILL to ourselves, exactly what `kill -9` does.
        #[cfg(unix)]
        let _ = std::process::Command::new("kill").arg("-9").arg(std::process::id().to_string()).status();
        std::process::abort()
    }
}
