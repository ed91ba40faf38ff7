using System.Runtime.InteropServices;

namespace ResearchKit.Tensors.Kernels.Native;

/// <summary>
/// <c>Int8Vnni12.s</c> and <c>Int8Vnni8.s</c>: Int8DirectConv's tiles of 12 or 8 pixels × 16 output channels with AVX512_VNNI's
/// 512-bit <c>vpdpbusd</c> (.NET 10 exposes only the 256-bit AVX-VNNI form, which takes twice the instructions for the same sums).
/// </summary>
internal static unsafe class Int8VnniKernel
{
    /// <summary>Pixels per tile, at a constant stride along one output row.</summary>
    public const int Pixels = Int8DirectConv.MaxRowTilePixels;

    /// <summary>Pixels per tile of the narrow kernel (rows of 8 to 11 pixels).</summary>
    public const int NarrowPixels = 8;

    /// <summary>The kernel's arguments, in the order the assembly reads them (8 bytes each).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Args
    {
        /// <summary>Pixel 0's first code (NHWC, padded channels); tap offsets are added to it.</summary>
        public byte* Pixel0;
        /// <summary>Bytes from one pixel of the tile to the next (stride × padded channels).</summary>
        public long PixelStride;
        /// <summary>Byte offset of each tap from the pixel (<see cref="Taps"/> int32).</summary>
        public int* TapOffsets;
        /// <summary>Taps (at least 1).</summary>
        public long Taps;
        /// <summary>Quads of channels per tap (at least 1).</summary>
        public long Quads;
        /// <summary>The block's packed weights: [tap][quad][16] int32 of four s8 each.</summary>
        public int* Weights;
        /// <summary>The 12 × 16 (or 8 × 16) int32 sums, pixel-major.</summary>
        public int* Tile;
    }

    private static readonly (nint Entry, string? Unavailable) s_code =
        ExecutableCode.Load(NativeCode.Int8Vnni12, X86Features.Avx512Vnni, "AVX512_VNNI");

    private static readonly nint s_narrow = s_code.Entry == 0 ? 0
        : ExecutableCode.Load(NativeCode.Int8Vnni8, cpuHasExtension: true, "AVX512_VNNI").Entry;

    /// <summary>Whether the kernels run here: AVX512_VNNI, and executable memory granted.</summary>
    public static bool Available => s_code.Entry != 0 && s_narrow != 0;

    /// <summary>Why <see cref="Available"/> is false, or null.</summary>
    public static string? Unavailable => s_code.Unavailable;

    /// <summary>Runs one tile (about a microsecond for a 64-channel 3×3 layer, so without a GC transition).</summary>
    public static void Run(Args* args)
    {
        if (!Available) throw new PlatformNotSupportedException($"Int8VnniKernel: {Unavailable}.");
        ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)s_code.Entry)(args);
    }

    /// <summary>Runs one tile of <see cref="NarrowPixels"/> pixels.</summary>
    public static void Run8(Args* args)
    {
        if (!Available) throw new PlatformNotSupportedException($"Int8VnniKernel: {Unavailable}.");
        ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)s_narrow)(args);
    }

    /// <summary>The tile width for a row of <paramref name="ow"/> pixels: 12, 8 for rows of 8 to 11, 0 below.</summary>
    public static int TileWidth(int ow) => ow >= Pixels ? Pixels : ow >= NarrowPixels ? NarrowPixels : 0;

    /// <summary>Runs a tile of <paramref name="width"/> (<see cref="TileWidth"/>) pixels.</summary>
    public static void Run(Args* args, int width)
    {
        if (width == Pixels) Run(args);
        else Run8(args);
    }
}
