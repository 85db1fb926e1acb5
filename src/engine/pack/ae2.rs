//! A one-entry ZIP archive encrypted with WinZip AES-256, written as AE-2 (the format of
//! <https://www.winzip.com/en/support/aes-encryption/>): the entry is stored (a notice PDF is
//! already compressed), no CRC-32 of the plaintext is kept, and the AES authentication code
//! checks the content instead.
//!
//! The container is written here, a few headers around one stored entry; the key derivation
//! (PBKDF2-HMAC-SHA1, 1,000 iterations, fixed by the format) is RustCrypto's `pbkdf2`, so no
//! cryptographic primitive of this module is hand-written.

use aes::Aes256;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use hmac::Mac;
use sha1::Sha1;
use zeroize::{Zeroize, Zeroizing};

/// PBKDF2 iterations of the format.
const ITERATIONS: u32 = 1000;
/// Bytes derived for AES-256: the AES key, the HMAC-SHA1 key, then the password verifier.
const DERIVED: usize = 32 + 32 + 2;
const SALT: usize = 16;
const AUTH_CODE: usize = 10;

/// What the entry records besides its bytes.
pub struct Entry<'a> {
    /// The name inside the archive, UTF-8 (general-purpose flag bit 11 is set).
    pub name: &'a str,
    /// MS-DOS time and date, as the ZIP headers hold them.
    pub dos_time: u16,
    pub dos_date: u16,
}

/// The archive holding `content` as its one entry, encrypted with `password` and `salt` (which
/// must be fresh random bytes for every archive).
pub fn archive(entry: &Entry, content: &[u8], password: &[u8], salt: &[u8; SALT]) -> Vec<u8> {
    let keys = derive(password, salt);
    let (aes_key, rest) = keys.split_at(32);
    let (mac_key, verifier) = rest.split_at(32);

    let data_len = SALT + 2 + content.len() + AUTH_CODE;
    let name = entry.name.as_bytes();
    let mut out = Vec::with_capacity(data_len + 2 * name.len() + 150);
    local_header(&mut out, entry, data_len, content.len());
    out.extend_from_slice(salt);
    out.extend_from_slice(verifier);
    let start = out.len();
    out.extend_from_slice(content);
    encrypt(aes_key, &mut out[start..]);
    let mut mac = hmac::Hmac::<Sha1>::new_from_slice(mac_key).expect("HMAC takes a key of any length");
    mac.update(&out[start..]);
    out.extend_from_slice(&mac.finalize().into_bytes()[..AUTH_CODE]);
    let central = out.len();
    central_header(&mut out, entry, data_len, content.len());
    let size = out.len() - central;
    end_of_central_directory(&mut out, size, central);
    out
}

/// Flags: bit 0 encrypted, bit 11 the name is UTF-8.
const FLAGS: u16 = 1 | 1 << 11;
/// Version 5.1 (AES); made on Unix, like the archives of the `zip` crate before it.
const VERSION_NEEDED: u16 = 51;
const VERSION_MADE_BY: u16 = 3 << 8 | 51;
/// Compression method 99: WinZip AES, the real method being in the extra field.
const METHOD_AES: u16 = 99;

/// The AES extra field: vendor version 2 (AE-2), vendor "AE", strength 3 (AES-256), method 0
/// (stored).
const AES_EXTRA: [u8; 11] = [0x01, 0x99, 7, 0, 2, 0, b'A', b'E', 3, 0, 0];

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Sizes as ZIP headers hold them; a notice is far below the 4 GiB that would need ZIP64.
fn size32(n: usize) -> u32 {
    u32::try_from(n).expect("a notice is far smaller than 4 GiB")
}

/// Fields shared by the local and the central header, from "version needed" to the extra
/// field's length.
fn common_fields(out: &mut Vec<u8>, entry: &Entry, data_len: usize, plain_len: usize) {
    for v in [VERSION_NEEDED, FLAGS, METHOD_AES, entry.dos_time, entry.dos_date] {
        put16(out, v);
    }
    put32(out, 0); // CRC-32: none in AE-2
    put32(out, size32(data_len));
    put32(out, size32(plain_len));
    put16(out, u16::try_from(entry.name.len()).expect("entry names are short"));
    put16(out, AES_EXTRA.len() as u16);
}

fn local_header(out: &mut Vec<u8>, entry: &Entry, data_len: usize, plain_len: usize) {
    put32(out, 0x0403_4b50);
    common_fields(out, entry, data_len, plain_len);
    out.extend_from_slice(entry.name.as_bytes());
    out.extend_from_slice(&AES_EXTRA);
}

fn central_header(out: &mut Vec<u8>, entry: &Entry, data_len: usize, plain_len: usize) {
    put32(out, 0x0201_4b50);
    put16(out, VERSION_MADE_BY);
    common_fields(out, entry, data_len, plain_len);
    put16(out, 0); // comment length
    put16(out, 0); // disk number
    put16(out, 0); // internal attributes
    put32(out, 0o100644 << 16); // external attributes: a regular file, rw-r--r--
    put32(out, 0); // offset of the local header
    out.extend_from_slice(entry.name.as_bytes());
    out.extend_from_slice(&AES_EXTRA);
}

fn end_of_central_directory(out: &mut Vec<u8>, size: usize, offset: usize) {
    put32(out, 0x0605_4b50);
    put32(out, 0); // this disk, and the disk where the directory starts
    put16(out, 1);
    put16(out, 1);
    put32(out, size32(size));
    put32(out, size32(offset));
    put16(out, 0); // comment length
}

/// AES-256 in counter mode as WinZip AES uses it: the counter is a little-endian number that
/// starts at 1.
fn encrypt(key: &[u8], data: &mut [u8]) {
    let cipher = Aes256::new_from_slice(key).expect("a 32-byte key");
    // Eight blocks at a time: AES-NI pipelines them.
    let mut blocks = [aes::Block::default(); 8];
    let mut counter: u128 = 1;
    for chunk in data.chunks_mut(16 * blocks.len()) {
        let n = chunk.len().div_ceil(16);
        for block in &mut blocks[..n] {
            block.copy_from_slice(&counter.to_le_bytes());
            counter += 1;
        }
        cipher.encrypt_blocks(&mut blocks[..n]);
        for (byte, key) in chunk.iter_mut().zip(blocks.iter().flatten()) {
            *byte ^= key;
        }
    }
    blocks.iter_mut().for_each(|b| b.as_mut_slice().zeroize());
}

/// PBKDF2-HMAC-SHA1 (RFC 8018) of `password` and `salt`, 1,000 iterations, 66 bytes, by
/// RustCrypto's `pbkdf2`; the keys are written straight into a buffer wiped when dropped.
fn derive(password: &[u8], salt: &[u8; SALT]) -> Zeroizing<[u8; DERIVED]> {
    let mut out = Zeroizing::new([0u8; DERIVED]);
    pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, ITERATIONS, out.as_mut_slice());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The `pbkdf2` reference the `zip` crate used, computed the straightforward way: HMAC
    /// after HMAC through the `hmac` crate.
    fn reference(password: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 1..=len.div_ceil(20) as u32 {
            let mac = |m: &[u8]| {
                let mut h = hmac::Hmac::<Sha1>::new_from_slice(password).unwrap();
                h.update(m);
                h.finalize().into_bytes().to_vec()
            };
            let mut u = mac(&[salt, &i.to_be_bytes()].concat());
            let mut t = u.clone();
            for _ in 1..ITERATIONS {
                u = mac(&u);
                t.iter_mut().zip(&u).for_each(|(t, u)| *t ^= u);
            }
            out.extend(t);
        }
        out.truncate(len);
        out
    }

    #[test]
    fn key_derivation_matches_the_rfc_6070_vector() {
        // RFC 6070: P = "password", S = "salt", c = 1000, dkLen = 20; it proves the reference
        // below, which checks the derivation at the 66 bytes and 16-byte salts of AE-2.
        assert_eq!(hex(&reference(b"password", b"salt", 20)), "6e88be8bad7eae9d9e10aa061224034fed48d03f");
        let mut direct = [0u8; 20];
        pbkdf2::pbkdf2_hmac::<Sha1>(b"password", b"salt", ITERATIONS, &mut direct);
        assert_eq!(hex(&direct), "6e88be8bad7eae9d9e10aa061224034fed48d03f");
    }

    #[test]
    fn key_derivation_matches_hmac_after_hmac() {
        for (password, salt) in [
            (&b"Ab3dEf7hJk9mNp2q"[..], [7u8; SALT]),
            (&b"x"[..], [0u8; SALT]),
            (&b"#$%&()+-/;<=>?@^_{}~Ab3dEf7hJk9m"[..], [0xa5; SALT]),
            (&[b'p'; 64][..], *b"0123456789abcdef"),
            (&[b'q'; 100][..], *b"fedcba9876543210"),
        ] {
            assert_eq!(hex(&*derive(password, &salt)), hex(&reference(password, &salt, DERIVED)));
        }
    }

    #[test]
    fn counter_mode_starts_at_one_little_endian() {
        let key = [9u8; 32];
        let mut data = vec![0u8; 16 * 9 + 5];
        encrypt(&key, &mut data);
        let cipher = Aes256::new_from_slice(&key).unwrap();
        for (i, chunk) in data.chunks(16).enumerate() {
            let mut block = aes::Block::default();
            block.copy_from_slice(&(i as u128 + 1).to_le_bytes());
            cipher.encrypt_block(&mut block);
            assert_eq!(chunk, &block[..chunk.len()], "block {i}");
        }
    }
}
