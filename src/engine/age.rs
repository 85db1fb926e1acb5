//! The age v1 file format (age-encryption.org/v1, as specified by C2SP), encryption to X25519
//! recipients only: what the hand-off file needs and nothing more (no passphrases, SSH keys,
//! plugins or armor, no decryption). Built on RustCrypto's primitives — X25519, HKDF and
//! HMAC over SHA-256, ChaCha20-Poly1305 — and checked against Debian's `age` (an independent
//! implementation) in `tests/handoff.rs`.
//!
//! A file is a header — one stanza per recipient wrapping a random 16-byte file key, sealed by
//! an HMAC — then a 16-byte nonce and the payload in ChaCha20-Poly1305 chunks of 64 KiB (the
//! STREAM construction: a counter and a last-chunk flag in each nonce).

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::rand_core::TryRng as _;
use sha2::Sha256;
use zeroize::Zeroizing;

/// A recipient's X25519 public key, written `age1…` (Bech32).
#[derive(Clone, PartialEq, Eq)]
pub struct Recipient {
    key: [u8; 32],
}

/// Why a text is not a recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotARecipient;

impl FromStr for Recipient {
    type Err = NotARecipient;

    fn from_str(text: &str) -> Result<Recipient, NotARecipient> {
        let data = bech32::decode("age", text).ok_or(NotARecipient)?;
        let key: [u8; 32] = data.try_into().map_err(|_| NotARecipient)?;
        // A small-order point (twist points included) gives an all-zero shared secret under any
        // clamped scalar: refused when the config is read, not in the middle of a batch.
        if x25519_dalek::x25519([1; 32], key) == [0; 32] {
            return Err(NotARecipient);
        }
        Ok(Recipient { key })
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bech32::encode("age", &self.key))
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Payload chunk size (plaintext bytes per chunk).
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

fn random<const N: usize>() -> io::Result<Zeroizing<[u8; N]>> {
    let mut bytes = Zeroizing::new([0u8; N]);
    rand::rngs::SysRng.try_fill_bytes(bytes.as_mut()).map_err(io::Error::other)?;
    Ok(bytes)
}

/// HKDF-SHA-256 (RFC 5869) with 32 bytes of output: extract, then one block of expand.
fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut extract = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(salt).expect("HMAC takes any key");
    extract.update(ikm);
    let prk: Zeroizing<[u8; 32]> = Zeroizing::new(extract.finalize().into_bytes().into());
    let mut expand = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(prk.as_ref()).expect("HMAC takes any key");
    expand.update(info);
    expand.update(&[1]);
    Zeroizing::new(expand.finalize().into_bytes().into())
}

/// A stanza's body: the file key sealed with ChaCha20-Poly1305 under `wrap_key` (zero nonce),
/// then the tag. Sealed in place in a fixed array wiped when dropped: a growing buffer would
/// leave the plain key behind in the memory it moved out of.
fn wrap(file_key: &[u8; 16], wrap_key: &[u8; 32]) -> io::Result<Zeroizing<[u8; 16 + TAG]>> {
    let mut body = Zeroizing::new([0u8; 16 + TAG]);
    let (sealed, tag) = body.split_at_mut(16);
    sealed.copy_from_slice(file_key);
    let computed = ChaCha20Poly1305::new(Key::from_slice(wrap_key))
        .encrypt_in_place_detached(&Nonce::default(), b"", sealed)
        .map_err(|_| io::Error::other("age: wrapping the file key failed"))?;
    tag.copy_from_slice(&computed);
    Ok(body)
}

/// Encrypts to `recipients` (at least one): writes the header to `out` and returns the writer
/// of the payload, whose [`Writer::finish`] must be called.
pub fn encrypt<W: Write>(recipients: &[Recipient], mut out: W) -> io::Result<Writer<W>> {
    if recipients.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "age: no recipient"));
    }
    let file_key = random::<16>()?;
    let mut header = String::from("age-encryption.org/v1\n");
    for recipient in recipients {
        let ephemeral = random::<32>()?;
        let share = x25519_dalek::x25519(*ephemeral, x25519_dalek::X25519_BASEPOINT_BYTES);
        let shared = Zeroizing::new(x25519_dalek::x25519(*ephemeral, recipient.key));
        if shared.iter().all(|&b| b == 0) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "age: a recipient's key is of low order"));
        }
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(&share);
        salt[32..].copy_from_slice(&recipient.key);
        let wrap_key = hkdf(&salt, shared.as_ref(), b"age-encryption.org/v1/X25519");
        let body = wrap(&file_key, &wrap_key)?;
        header.push_str("-> X25519 ");
        header.push_str(&base64(&share));
        header.push('\n');
        // The body in lines of 64 columns; the last is shorter (empty when the body fills it).
        let body = base64(body.as_ref());
        let mut lines = body.as_bytes().chunks(64).peekable();
        while let Some(line) = lines.next() {
            header.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            header.push('\n');
            if lines.peek().is_none() && line.len() == 64 {
                header.push('\n');
            }
        }
        if body.is_empty() {
            header.push('\n');
        }
    }
    header.push_str("---");
    let mac_key = hkdf(b"", file_key.as_ref(), b"header");
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(mac_key.as_ref()).expect("HMAC takes any key");
    mac.update(header.as_bytes());
    header.push(' ');
    header.push_str(&base64(&mac.finalize().into_bytes()));
    header.push('\n');
    let nonce = random::<16>()?;
    out.write_all(header.as_bytes())?;
    out.write_all(nonce.as_ref())?;
    let payload_key = hkdf(nonce.as_ref(), file_key.as_ref(), b"payload");
    Ok(Writer {
        out,
        cipher: ChaCha20Poly1305::new(Key::from_slice(payload_key.as_ref())),
        chunk: Zeroizing::new(Vec::with_capacity(CHUNK + TAG)),
        counter: 0,
        failed: false,
    })
}

/// Writes the payload: plaintext in, ciphertext to the inner writer, one chunk at a time.
pub struct Writer<W: Write> {
    out: W,
    cipher: ChaCha20Poly1305,
    /// Plaintext not yet encrypted (wiped when dropped).
    chunk: Zeroizing<Vec<u8>>,
    counter: u64,
    /// A chunk failed half-way (its buffer holds ciphertext): nothing more may be written.
    failed: bool,
}

impl<W: Write> Writer<W> {
    /// Encrypts and writes the buffered chunk; `last` marks the end of the payload.
    fn seal(&mut self, last: bool) -> io::Result<()> {
        self.usable()?;
        self.failed = true;
        let mut nonce = [0u8; 12];
        nonce[3..11].copy_from_slice(&self.counter.to_be_bytes());
        nonce[11] = last as u8;
        let tag = self
            .cipher
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), b"", &mut self.chunk)
            .map_err(|_| io::Error::other("age: encrypting a chunk failed"))?;
        // Within the capacity reserved for it: the buffer never moves, so no plaintext is left
        // in memory it gave back.
        debug_assert!(self.chunk.len() + TAG <= self.chunk.capacity());
        self.chunk.extend_from_slice(&tag);
        self.out.write_all(&self.chunk)?;
        self.chunk.clear();
        self.counter = self.counter.checked_add(1).ok_or_else(|| io::Error::other("age: payload too long"))?;
        self.failed = false;
        Ok(())
    }

    fn usable(&self) -> io::Result<()> {
        if self.failed { Err(io::Error::other("age: an earlier write failed")) } else { Ok(()) }
    }

    /// Writes the last chunk (empty only for an empty payload) and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.usable()?;
        // A full chunk is sealed only once more data comes: the last chunk must be marked so.
        if self.chunk.len() == CHUNK && !buf.is_empty() {
            self.seal(false)?;
        }
        let n = buf.len().min(CHUNK - self.chunk.len());
        self.chunk.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Standard base64 without padding, as age writes it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=group.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Bech32 (BIP 173, not Bech32m), as age writes its keys: lower case only.
mod bech32 {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

    fn polymod(values: impl IntoIterator<Item = u8>) -> u32 {
        const GEN: [u32; 5] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];
        values.into_iter().fold(1, |chk, v| {
            let top = chk >> 25;
            let mut chk = (chk & 0x1ff_ffff) << 5 ^ v as u32;
            for (i, g) in GEN.iter().enumerate() {
                if top >> i & 1 == 1 {
                    chk ^= g;
                }
            }
            chk
        })
    }

    fn expand(hrp: &str) -> impl Iterator<Item = u8> + '_ {
        hrp.bytes().map(|b| b >> 5).chain([0]).chain(hrp.bytes().map(|b| b & 31))
    }

    /// Regroups bits (8 → 5 or 5 → 8); `None` for leftover bits that are not zero padding.
    fn regroup(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Vec<u8>> {
        let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
        for &v in data {
            acc = acc << from | v as u32;
            bits += from;
            while bits >= to {
                bits -= to;
                out.push((acc >> bits & ((1 << to) - 1)) as u8);
            }
        }
        if pad && bits > 0 {
            out.push((acc << (to - bits) & ((1 << to) - 1)) as u8);
        } else if !pad && (bits >= from || acc & ((1 << bits) - 1) != 0) {
            return None;
        }
        Some(out)
    }

    pub fn encode(hrp: &str, data: &[u8]) -> String {
        let values = regroup(data, 8, 5, true).expect("padding allowed");
        let check = polymod(expand(hrp).chain(values.iter().copied()).chain([0; 6])) ^ 1;
        let mut out = format!("{hrp}1");
        out.extend(values.iter().map(|&v| CHARSET[v as usize] as char));
        out.extend((0..6).map(|i| CHARSET[(check >> (5 * (5 - i)) & 31) as usize] as char));
        out
    }

    /// The data of `text` if it is valid Bech32 with this human-readable part.
    pub fn decode(hrp: &str, text: &str) -> Option<Vec<u8>> {
        let (found, data) = text.rsplit_once('1')?;
        if found != hrp || data.len() < 6 {
            return None;
        }
        let values: Vec<u8> =
            data.bytes().map(|b| CHARSET.iter().position(|&c| c == b).map(|v| v as u8)).collect::<Option<_>>()?;
        if polymod(expand(hrp).chain(values.iter().copied())) != 1 {
            return None;
        }
        regroup(&values[..values.len() - 6], 5, 8, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_unpadded_standard_base64() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg");
        assert_eq!(base64(b"fo"), "Zm8");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8");
    }

    #[test]
    fn hkdf_matches_rfc_5869_test_case_3_prefix() {
        // RFC 5869 A.3: SHA-256, IKM 22 × 0x0b, no salt, no info; OKM's first 32 bytes.
        let okm = hkdf(b"", &[0x0b; 22], b"");
        assert_eq!(
            crate::ground::digest::hex(okm.as_ref()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
        );
    }

    #[test]
    fn a_small_order_point_is_not_a_recipient() {
        // u = 0 and u = 1 are of small order; their shared secret is all zero for every scalar.
        for point in [[0u8; 32], {
            let mut p = [0u8; 32];
            p[0] = 1;
            p
        }] {
            let text = bech32::encode("age", &point);
            assert!(text.parse::<Recipient>().is_err(), "{text}");
        }
    }

    /// Fails every write after the first `ok` bytes have gone through.
    struct Breaks {
        ok: usize,
    }

    impl Write for Breaks {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.ok < buf.len() {
                return Err(io::Error::other("disk full"));
            }
            self.ok -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn after_a_failed_write_the_writer_refuses_everything() {
        let recipient: Recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p".parse().unwrap();
        // The header and nonce pass; the first sealed chunk does not.
        let mut writer = encrypt(std::slice::from_ref(&recipient), Breaks { ok: 4096 }).unwrap();
        let data = vec![7u8; CHUNK + 10];
        assert!(writer.write_all(&data).is_err());
        assert!(writer.write(b"more").is_err());
        assert!(writer.finish().is_err());
    }

    #[test]
    fn the_plaintext_buffer_never_moves_nor_grows() {
        // A buffer that grew would leave plaintext in the memory it moved out of.
        let recipient: Recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p".parse().unwrap();
        let mut writer = encrypt(std::slice::from_ref(&recipient), Vec::new()).unwrap();
        let (at, capacity) = (writer.chunk.as_ptr(), writer.chunk.capacity());
        assert_eq!(capacity, CHUNK + TAG);
        for _ in 0..3 {
            writer.write_all(&vec![7u8; CHUNK]).unwrap();
            writer.write_all(b"x").unwrap();
            assert_eq!((writer.chunk.as_ptr(), writer.chunk.capacity()), (at, capacity));
        }
        writer.seal(false).unwrap();
        assert_eq!((writer.chunk.as_ptr(), writer.chunk.capacity()), (at, capacity));
    }

    #[test]
    fn the_wrapped_file_key_opens_with_the_wrap_key() {
        use chacha20poly1305::aead::Aead;
        let (wrap_key, file_key) = ([3u8; 32], [9u8; 16]);
        let body = wrap(&file_key, &wrap_key).unwrap();
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&wrap_key));
        // The same bytes as the combined seal, and they open to the key.
        assert_eq!(cipher.encrypt(&Nonce::default(), &file_key[..]).unwrap(), body.as_ref());
        assert_eq!(cipher.decrypt(&Nonce::default(), body.as_ref()).unwrap(), file_key);
        assert_ne!(&body[..16], &file_key[..]);
    }

    #[test]
    fn a_recipient_reads_and_prints_as_bech32() {
        // A public key from age-keygen.
        let text = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
        let recipient: Recipient = text.parse().unwrap();
        assert_eq!(recipient.to_string(), text);
        // One character changed: the checksum fails. Upper case and other prefixes are not keys.
        assert!("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8q".parse::<Recipient>().is_err());
        assert!(text.to_uppercase().parse::<Recipient>().is_err());
        assert!(text.replacen("age", "agf", 1).parse::<Recipient>().is_err());
    }

    #[test]
    fn the_payload_is_chunked_with_a_last_chunk_flag() {
        let recipient: Recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p".parse().unwrap();
        for (len, chunks) in [(0, 1), (1, 1), (CHUNK, 1), (CHUNK + 1, 2), (3 * CHUNK + 5, 4)] {
            let mut writer = encrypt(std::slice::from_ref(&recipient), Vec::new()).unwrap();
            writer.write_all(&vec![7u8; len]).unwrap();
            let out = writer.finish().unwrap();
            let header_end = out.windows(4).position(|w| w == b"\n---").unwrap();
            let body = out[header_end + 1..].splitn(2, |&b| b == b'\n').nth(1).unwrap();
            assert_eq!(body.len(), 16 + len + chunks * TAG, "{len} bytes");
        }
    }
}
