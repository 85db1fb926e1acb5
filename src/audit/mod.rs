//! Audit: what an auditor checks later — the typed events of a batch, the ledger that chains
//! them, the batch manifest (every output file with its SHA-256), the audit log and `verify`;
//! never a plaintext secret.
//!
//! The arrows point one way: `event` knows only the domain model; `ledger` records events and
//! batches; `log`, `manifest` and `verify` read what the ledger holds. Nothing here imports a
//! stage that runs before it (intake, render, batch).

pub mod event;
mod identity;
pub mod integrity;
pub mod ledger;
pub mod log;
pub mod manifest;
pub mod verify;

use sha2::{Digest, Sha256};

pub use identity::{host, operator};

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A digest as lower-case hex.
pub fn hex(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(2 * digest.len());
    for &b in digest {
        hex.push(HEX[usize::from(b >> 4)] as char);
        hex.push(HEX[usize::from(b & 15)] as char);
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_test_vector() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
