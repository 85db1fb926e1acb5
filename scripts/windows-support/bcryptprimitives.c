/* A stand-in for bcryptprimitives.dll's ProcessPrng, for running tsuchi.exe under Wine older
 * than 8.13 (Debian 12 ships 8.0), in tests only. Rust's standard library (since 1.78) takes
 * its OS randomness from ProcessPrng; real Windows 10 and 11 have it. This DLL never ships in
 * the package: scripts/windows builds it beside the .exe in a scratch folder for the Wine run.
 * It draws from RtlGenRandom (advapi32's SystemFunction036), the OS CSPRNG of older Windows. */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
