using System.Runtime.InteropServices;

namespace ResearchKit.Tensors.Kernels.Native;

/// <summary>
/// <c>BinaryPopcount8.s</c> and <c>BinaryPopcount16.s</c>: BinaryDirectConv's count of eight or sixteen pixels for blocks of
/// eight output channels with AVX512_VPOPCNTDQ's <c>vpopcntq</c> (one instruction per 512 bits; the managed path counts
/// with a nibble table in seven).
/// </summary>
internal static unsafe class BinaryPopcountKernel
{
    /// <summary>Output channels per block (one 512-bit accumulator each).</summary>
    public const int Block = 8;

    /// <summary>The kernel's arguments, in the order the assembly reads them (8 bytes each).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Args
    {
        /// <summary>The tile's vectors, plane-major: <c>planes × perPlane</c> Vector512 of eight pixels' words, or for sixteen
        /// pixels two per step (pixels 0–7, then 8–15).</summary>
        public void* Xs;
        /// <summary>Block-interleaved weights (<see cref="Interleave"/>).</summary>
        public ulong* Weights;
        /// <summary>The first block's first output channel's eight int32 outputs.</summary>
        public int* Out;
        /// <summary>Bytes from one output channel's outputs to the next's.</summary>
        public long OutStride;
        /// <summary>Blocks of <see cref="Block"/> output channels (at least 1).</summary>
        public long Blocks;
        /// <summary><c>perPlane·64</c>: the bytes of one block's weights, and of one plane's vectors of eight pixels (half a
        /// plane's of sixteen).</summary>
        public long SegmentBytes;
        /// <summary>Bit-planes (at least 1).</summary>
        public long Planes;
        /// <summary>The last plane's first vector (the kernel runs Horner's scheme from it down to plane 0).</summary>
        public void* LastPlane;
    }

    private static readonly (nint Entry, string? Unavailable) s_code =
        ExecutableCode.Load(NativeCode.BinaryPopcount8, X86Features.Avx512Vpopcntdq, "AVX512_VPOPCNTDQ");

    private static readonly nint s_wide = s_code.Entry == 0 ? 0
        : ExecutableCode.Load(NativeCode.BinaryPopcount16, cpuHasExtension: true, "AVX512_VPOPCNTDQ").Entry;

    /// <summary>Whether the kernel runs here: AVX512_VPOPCNTDQ, and executable memory granted.</summary>
    public static bool Available => s_code.Entry != 0 && s_wide != 0;

    /// <summary>Why <see cref="Available"/> is false, or null.</summary>
    public static string? Unavailable => s_code.Unavailable;

    /// <summary>
    /// Reorders <see cref="BinaryDirectConv.PackWeights"/>'s <c>[o][i]</c> words (i below <paramref name="perPlane"/>) of the
    /// first <c>blocks·8</c> output channels as <c>[block][i][o mod 8]</c>, so that one step of the kernel reads its eight
    /// broadcast weights from one 64-byte line.
    /// </summary>
    public static void Interleave(ReadOnlySpan<ulong> weights, int blocks, int perPlane, Span<ulong> interleaved)
    {
        for (int b = 0; b < blocks; b++)
            for (int i = 0; i < perPlane; i++)
                for (int j = 0; j < Block; j++)
                    interleaved[(b * perPlane + i) * Block + j] = weights[(b * Block + j) * perPlane + i];
    }

    /// <summary>Runs the eight-pixel kernel (a fraction of a microsecond per block, so without a GC transition).</summary>
    public static void Run(Args* args)
    {
        if (!Available) throw new PlatformNotSupportedException($"BinaryPopcountKernel: {Unavailable}.");
        ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)s_code.Entry)(args);
    }

    /// <summary>Runs the sixteen-pixel kernel.</summary>
    public static void Run16(Args* args)
    {
        if (!Available) throw new PlatformNotSupportedException($"BinaryPopcountKernel: {Unavailable}.");
        ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)s_wide)(args);
    }
}
