//! The server's random tokens (the opening token, the session id, the anti-CSRF token, private
//! folder names): 256 bits from the operating system's CSPRNG, as the secrets are drawn, and
//! compared in constant time.

/// 256 random bits from the OS, as 64 hexadecimal digits.
pub fn random_hex() -> std::io::Result<String> {
    use rand::rand_core::TryRng as _;
    let mut bytes = [0u8; 32];
    rand::rngs::SysRng.try_fill_bytes(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
