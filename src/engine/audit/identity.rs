//! Who ran a batch and on which machine, as the ledger and the print bundle's cover record
//! them. Asked of the operating system (the account of the process, the machine's name), so
//! a service account, `sudo` or a scrubbed environment still names the real account;
//! environment variables (USER, HOSTNAME, …) only when the OS cannot say.
//!
//! The only `unsafe` in tsuchi is here: two calls each into libc and the Win32 API, each
//! with a buffer this module owns.

/// The account running tsuchi: `getpwuid_r` of the real user ID on Unix, `GetUserNameW` on
/// Windows; USER, USERNAME, LOGNAME if that fails.
pub fn operator() -> String {
    os::account_name()
        .or_else(|| from_env(&["USER", "USERNAME", "LOGNAME"]))
        .map(|v| printable(&v))
        .unwrap_or_else(|| "（不明）".into())
}

/// The machine's name: `gethostname` on Unix, `GetComputerNameW` on Windows; HOSTNAME,
/// COMPUTERNAME if that fails.
pub fn host() -> String {
    os::host_name()
        .or_else(|| from_env(&["HOSTNAME", "COMPUTERNAME"]))
        .map(|v| printable(&v))
        .unwrap_or_else(|| "（不明）".into())
}

fn from_env(keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

/// A name as the cover sheet can print it: at most 64 characters, and `?` for a character
/// the bundled font cannot draw or a control character.
fn printable(value: &str) -> String {
    value.chars().take(64).map(|c| if c.is_control() || !crate::ground::font::covers(c) { '?' } else { c }).collect()
}

/// A name the OS gave, if it is one.
fn non_empty(name: String) -> Option<String> {
    let name = name.trim().to_string();
    (!name.is_empty()).then_some(name)
}

#[cfg(unix)]
mod os {
    use std::ffi::CStr;

    /// The login name of the real user ID from the password database (files, LDAP, … as
    /// nsswitch says).
    pub fn account_name() -> Option<String> {
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let mut buf: Vec<libc::c_char> = vec![0; 1024];
        loop {
            // SAFETY: passwd is plain old data; all-zero is a valid value to be overwritten.
            let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
            let mut found: *mut libc::passwd = std::ptr::null_mut();
            // SAFETY: every pointer is to a live local, and buf.len() is the length of buf.
            let rc = unsafe { libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf.len(), &mut found) };
            if rc == libc::ERANGE && buf.len() < 1 << 20 {
                buf.resize(buf.len() * 2, 0);
                continue;
            }
            if rc != 0 || found.is_null() || entry.pw_name.is_null() {
                return None;
            }
            // SAFETY: on success pw_name points to a NUL-terminated string inside buf, which
            // outlives this borrow.
            let name = unsafe { CStr::from_ptr(entry.pw_name) };
            return super::non_empty(name.to_string_lossy().into_owned());
        }
    }

    pub fn host_name() -> Option<String> {
        // 255 is the longest host name POSIX systems allow (HOST_NAME_MAX), plus the NUL.
        let mut buf = [0u8; 256];
        // SAFETY: buf is writable for buf.len() bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return None;
        }
        // A truncated name may lack its NUL.
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        super::non_empty(String::from_utf8_lossy(&buf[..end]).into_owned())
    }
}

#[cfg(windows)]
mod os {
    use windows_sys::Win32::System::WindowsProgramming::{GetComputerNameW, GetUserNameW};

    /// The account of the calling thread (the user name, without the domain).
    pub fn account_name() -> Option<String> {
        // UNLEN (256) characters and the NUL.
        let mut buf = [0u16; 257];
        let mut len = buf.len() as u32;
        // SAFETY: buf is writable for len UTF-16 units; len is read and written.
        let ok = unsafe { GetUserNameW(buf.as_mut_ptr(), &mut len) };
        // On success len counts the terminating NUL.
        if ok == 0 || len == 0 {
            return None;
        }
        let end = (len as usize - 1).min(buf.len());
        super::non_empty(String::from_utf16_lossy(&buf[..end]))
    }

    /// The NetBIOS name of the computer.
    pub fn host_name() -> Option<String> {
        // MAX_COMPUTERNAME_LENGTH is 15; leave room for larger names on newer systems.
        let mut buf = [0u16; 256];
        let mut len = buf.len() as u32;
        // SAFETY: buf is writable for len UTF-16 units; len is read and written.
        let ok = unsafe { GetComputerNameW(buf.as_mut_ptr(), &mut len) };
        // On success len does not count the terminating NUL.
        if ok == 0 {
            return None;
        }
        let end = (len as usize).min(buf.len());
        super::non_empty(String::from_utf16_lossy(&buf[..end]))
    }
}

#[cfg(not(any(unix, windows)))]
mod os {
    pub fn account_name() -> Option<String> {
        None
    }

    pub fn host_name() -> Option<String> {
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn command(program: &str, args: &[&str]) -> String {
        let out = std::process::Command::new(program).args(args).output().expect("run a system command");
        assert!(out.status.success(), "{program} {args:?}");
        String::from_utf8(out.stdout).expect("UTF-8").trim().to_string()
    }

    #[test]
    fn the_operator_is_the_account_of_the_real_user_id() {
        assert_eq!(os::account_name().as_deref(), Some(command("id", &["-run"]).as_str()));
        assert_eq!(operator(), printable(&command("id", &["-run"])));
    }

    #[test]
    fn the_host_is_the_kernels_host_name() {
        assert_eq!(os::host_name().as_deref(), Some(command("uname", &["-n"]).as_str()));
    }

    #[test]
    fn names_are_cut_to_64_printable_characters() {
        assert_eq!(printable(&"a".repeat(100)).chars().count(), 64);
        assert_eq!(printable("clerk\u{1b}[2J"), "clerk?[2J");
    }
}
