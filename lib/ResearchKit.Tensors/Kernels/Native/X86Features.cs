using System.Runtime.Intrinsics.X86;

namespace ResearchKit.Tensors.Kernels.Native;

/// <summary>AVX-512 extensions that .NET 10 has no intrinsics class for, read from CPUID leaf 7 (sub-leaf 0).</summary>
/// <remarks><see cref="Avx512F"/>.IsSupported already says that the CPU has AVX-512 and that the OS saves the 512-bit
/// registers, so each flag here is that and the extension's own bit.</remarks>
internal static class X86Features
{
    private static readonly int Leaf7Ecx = X86Base.IsSupported && X86Base.CpuId(0, 0).Eax >= 7 ? X86Base.CpuId(7, 0).Ecx : 0;

    /// <summary>AVX512_VNNI (ECX bit 11): 512-bit <c>vpdpbusd</c>.</summary>
    public static bool Avx512Vnni { get; } = Avx512F.IsSupported && (Leaf7Ecx & (1 << 11)) != 0;

    /// <summary>AVX512_VPOPCNTDQ (ECX bit 14): <c>vpopcntq</c> on 64-bit lanes.</summary>
    public static bool Avx512Vpopcntdq { get; } = Avx512F.IsSupported && (Leaf7Ecx & (1 << 14)) != 0;
}
