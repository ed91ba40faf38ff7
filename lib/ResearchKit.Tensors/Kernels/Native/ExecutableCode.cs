using System.Runtime.InteropServices;

namespace ResearchKit.Tensors.Kernels.Native;

/// <summary>
/// Machine code placed in executable memory once per process, for the few x86 instructions .NET does not expose
/// (<c>vpopcntq</c>, 512-bit <c>vpdpbusd</c>): the bytes are written to fresh read-write pages, which are then made
/// read-execute (never writable and executable at once) and kept for the process's lifetime.
/// </summary>
/// <remarks>Linux and Windows on x64 only; elsewhere, or where the system refuses executable pages (a hardened kernel, an
/// SELinux policy), <see cref="TryLoad"/> returns false with the reason and the kernels keep their managed paths. The
/// environment variable <c>RESEARCHKIT_NATIVE_KERNELS=0</c> turns the native kernels off.</remarks>
internal static partial class ExecutableCode
{
    /// <summary>Whether native kernels may load at all: an x64 Linux or Windows process without
    /// <c>RESEARCHKIT_NATIVE_KERNELS=0</c>.</summary>
    public static bool Allowed { get; } = RuntimeInformation.ProcessArchitecture == Architecture.X64
        && (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        && Environment.GetEnvironmentVariable("RESEARCHKIT_NATIVE_KERNELS") != "0";

    /// <summary>Loads a kernel that needs a CPU extension: its entry point, or zero and why it cannot run here.</summary>
    /// <param name="code">The kernel's bytes (System V prologue first, <see cref="SysVPrologue"/> bytes).</param>
    /// <param name="cpuHasExtension">Whether this CPU has the extension the kernel's instructions need.</param>
    /// <param name="extension">The extension's name, for the reason.</param>
    public static (nint Entry, string? Unavailable) Load(ReadOnlySpan<byte> code, bool cpuHasExtension, string extension)
    {
        if (!cpuHasExtension) return (0, $"the CPU lacks {extension}");
        return TryLoad(code, SysVPrologue, out var entry, out var reason) ? (entry, null) : (0, reason);
    }

    /// <summary>Length of <c>mov rcx, rdi</c>, the System V prologue every kernel starts with (Win64 passes the argument in rcx).</summary>
    public const int SysVPrologue = 3;

    /// <summary>
    /// Copies <paramref name="code"/> into new read-execute pages and returns their address; on Linux the System V code is
    /// used as it is, on Windows the first <paramref name="sysVPrologue"/> bytes are skipped (see the kernels' calling convention).
    /// </summary>
    /// <param name="code">The function's bytes, starting with its System V prologue.</param>
    /// <param name="sysVPrologue">Bytes at the start that only System V runs (moving the argument into the Win64 register).</param>
    /// <param name="entry">The entry point, or zero.</param>
    /// <param name="reason">Why the code could not be loaded, or null.</param>
    public static unsafe bool TryLoad(ReadOnlySpan<byte> code, int sysVPrologue, out nint entry, out string? reason)
    {
        entry = 0;
        if (!Allowed) { reason = "native kernels are off (not x64 Linux/Windows, or RESEARCHKIT_NATIVE_KERNELS=0)"; return false; }
        var body = OperatingSystem.IsWindows() ? code[sysVPrologue..] : code;
        nuint size = (nuint)((body.Length + 4095) & ~4095);
        if (OperatingSystem.IsWindows())
        {
            nint page = VirtualAlloc(0, size, MemCommit | MemReserve, PageReadWrite);
            if (page == 0) { reason = $"VirtualAlloc failed ({Marshal.GetLastPInvokeError()})"; return false; }
            body.CopyTo(new Span<byte>((void*)page, body.Length));
            if (!VirtualProtect(page, size, PageExecuteRead, out _)) { reason = $"VirtualProtect failed ({Marshal.GetLastPInvokeError()})"; return false; }
            FlushInstructionCache(GetCurrentProcess(), page, size);
            entry = page;
        }
        else
        {
            nint page = mmap(0, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (page == -1) { reason = $"mmap failed (errno {Marshal.GetLastPInvokeError()})"; return false; }
            body.CopyTo(new Span<byte>((void*)page, body.Length));
            if (mprotect(page, size, ProtRead | ProtExec) != 0)
            {
                reason = $"mprotect to read-execute failed (errno {Marshal.GetLastPInvokeError()})";
                return false;
            }
            entry = page;
        }
        reason = null;
        return true;
    }

    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;
    private const uint MemCommit = 0x1000, MemReserve = 0x2000, PageReadWrite = 0x04, PageExecuteRead = 0x20;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint addr, nuint length, int prot);

    [LibraryImport("kernel32", SetLastError = true)]
    private static partial nint VirtualAlloc(nint address, nuint size, uint allocationType, uint protect);

    [LibraryImport("kernel32", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool VirtualProtect(nint address, nuint size, uint newProtect, out uint oldProtect);

    [LibraryImport("kernel32")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool FlushInstructionCache(nint process, nint address, nuint size);

    [LibraryImport("kernel32")]
    private static partial nint GetCurrentProcess();
}
