//! What differs on the clerk's Windows PC, in one place: folders open to the current user only
//! (an ACL), and the one warning when that cannot be done. Console output needs nothing here:
//! Rust's standard output writes through the wide console API when it is a console (Japanese
//! reads correctly in cmd.exe and PowerShell) and UTF-8 bytes when redirected.

use std::path::Path;

/// The warning for a batch folder that could not be made private to its owner.
pub fn not_private_warning(dir: &Path, error: &std::io::Error) -> String {
    crate::msg!("run.not_private", path = dir.display(), error)
}

/// A protected DACL on `dir` with one entry: the current user, full control, inherited by
/// files and folders inside.
#[cfg(windows)]
pub fn restrict_to_owner(dir: &Path) -> std::io::Result<()> {
    use std::io;
    use std::os::windows::ffi::OsStrExt;
    use std::ptr::{null, null_mut};

    use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, HANDLE};
    use windows_sys::Win32::Security::Authorization::{SE_FILE_OBJECT, SetNamedSecurityInfoW};
    use windows_sys::Win32::Security::{
        ACL, ACL_REVISION, AddAccessAllowedAceEx, CONTAINER_INHERIT_ACE, DACL_SECURITY_INFORMATION, GetLengthSid,
        GetTokenInformation, InitializeAcl, OBJECT_INHERIT_ACE, PROTECTED_DACL_SECURITY_INFORMATION, TOKEN_QUERY,
        TOKEN_USER, TokenUser,
    };
    use windows_sys::Win32::Storage::FileSystem::FILE_ALL_ACCESS;
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    // SAFETY: every pointer passed below points into a live, large-enough, aligned buffer
    // owned by this function; the token handle is closed on every path after use.
    unsafe {
        let mut token: HANDLE = null_mut();
        if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut len = 0u32;
        GetTokenInformation(token, TokenUser, null_mut(), 0, &mut len);
        let mut user = vec![0u64; (len as usize).div_ceil(8).max(1)];
        let ok = GetTokenInformation(token, TokenUser, user.as_mut_ptr().cast(), len, &mut len);
        let error = io::Error::last_os_error();
        CloseHandle(token);
        if ok == 0 {
            return Err(error);
        }
        let sid = (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid;
        // ACL header (8) + ACCESS_ALLOWED_ACE without its SidStart (8) + the SID, with room.
        let acl_len = 16 + GetLengthSid(sid) + 16;
        let mut acl = vec![0u32; (acl_len as usize).div_ceil(4)];
        let acl: *mut ACL = acl.as_mut_ptr().cast();
        if InitializeAcl(acl, acl_len, ACL_REVISION) == 0
            || AddAccessAllowedAceEx(
                acl,
                ACL_REVISION,
                OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE,
                FILE_ALL_ACCESS,
                sid,
            ) == 0
        {
            return Err(io::Error::last_os_error());
        }
        let wide: Vec<u16> = dir.as_os_str().encode_wide().chain(std::iter::once(0)).collect();
        let rc = SetNamedSecurityInfoW(
            wide.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            null_mut(),
            null_mut(),
            acl,
            null(),
        );
        if rc != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(rc as i32));
        }
    }
    Ok(())
}

/// Hands memory the program has freed back to the system. glibc keeps freed memory in the
/// arena of the thread that allocated it, and threads allocate from their own arenas: what
/// the workers freed (a batch's notices) cannot serve the next phase's allocations elsewhere
/// and would stay resident beside them. Called where a batch drops most of what it held.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim only returns free pages of glibc's own arenas to the system.
        unsafe {
            malloc_trim(0);
        }
    }
}
