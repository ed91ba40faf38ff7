using System.Diagnostics;
using System.Reflection;
using System.Runtime.Intrinsics.X86;
using ResearchKit.Tensors.Kernels.Native;
using Xunit;

namespace ResearchKit.Tensors.Tests.Kernels;

/// <summary>
/// The hand-written x86 kernels: the committed bytes are what their sources assemble to, the CPU features are decoded as the
/// kernel reports them, and a kernel loads exactly where its extension is present. What each kernel computes is tested with
/// the kernel that calls it (<see cref="LowBitGemmTests"/>), against naive sums on every path.
/// </summary>
public class NativeCodeTests
{
    private static string NativeDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ResearchKit.sln")))
                return Path.Combine(dir.FullName, "lib", "ResearchKit.Tensors", "Kernels", "Native");
        throw new InvalidOperationException("ResearchKit.sln not found above the test's directory.");
    }

    private static byte[] Assemble(string source, string work)
    {
        string obj = Path.Combine(work, "k.o"), bin = Path.Combine(work, "k.bin");
        Run("as", $"--64 -I \"{Path.GetDirectoryName(source)}\" \"{source}\" -o \"{obj}\"");   // -I: the kernels' .inc files
        Run("objcopy", $"-O binary -j .text \"{obj}\" \"{bin}\"");
        return File.ReadAllBytes(bin);
    }

    private static void Run(string tool, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException($"could not start {tool}");
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {args} failed: {err}");
    }

    [Fact]
    public void CommittedBytes_AreWhatTheSourcesAssembleTo()
    {
        // GNU binutils: environment/setup.sh installs it; environment/assemble-kernels.sh regenerates NativeCode.g.cs.
        var sources = Directory.GetFiles(NativeDir(), "*.s");
        Assert.NotEmpty(sources);
        var work = Directory.CreateTempSubdirectory("rk-asm-").FullName;
        try
        {
            foreach (var s in sources)
            {
                string name = Path.GetFileNameWithoutExtension(s);
                var prop = typeof(NativeCode).GetProperty(name, BindingFlags.Public | BindingFlags.Static);
                Assert.True(prop is not null, $"NativeCode has no {name}: run environment/assemble-kernels.sh");
                var getter = prop!.GetGetMethod()!.CreateDelegate<Func<ReadOnlySpan<byte>>>();
                var committed = getter().ToArray();
                var assembled = Assemble(s, work);
                Assert.True(assembled.AsSpan().SequenceEqual(committed),
                    $"{name}: NativeCode.g.cs ({committed.Length} B) is not what {name}.s assembles to ({assembled.Length} B); run environment/assemble-kernels.sh");
                Assert.Equal(new byte[] { 0x48, 0x89, 0xF9 }, committed[..ExecutableCode.SysVPrologue]);   // mov rcx, rdi
            }
        }
        finally { Directory.Delete(work, true); }
    }

    [Fact]
    public void CpuFeatures_AgreeWithTheKernelsFlagsInProcCpuinfo()
    {
        if (!OperatingSystem.IsLinux() || !Avx512F.IsSupported)
        {
            Assert.False(X86Features.Avx512Vpopcntdq || X86Features.Avx512Vnni);   // no AVX-512: neither extension is usable
            return;
        }
        var flags = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        Assert.Equal(flags.Contains("avx512_vpopcntdq"), X86Features.Avx512Vpopcntdq);
        Assert.Equal(flags.Contains("avx512_vnni"), X86Features.Avx512Vnni);
    }

    [Fact]
    public void AKernel_LoadsExactlyWhereItsExtensionIs()
    {
        Assert.Equal(X86Features.Avx512Vpopcntdq && ExecutableCode.Allowed, BinaryPopcountKernel.Available);
        Assert.Equal(BinaryPopcountKernel.Available, BinaryPopcountKernel.Unavailable is null);
        Assert.Equal(X86Features.Avx512Vnni && ExecutableCode.Allowed, Int8VnniKernel.Available);
        Assert.Equal(Int8VnniKernel.Available, Int8VnniKernel.Unavailable is null);
        var (entry, why) = ExecutableCode.Load(NativeCode.BinaryPopcount8, cpuHasExtension: false, "AVX512_VPOPCNTDQ");
        Assert.Equal(0, entry);
        Assert.Equal("the CPU lacks AVX512_VPOPCNTDQ", why);
    }
}
