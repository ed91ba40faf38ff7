namespace ResearchKit.Quantization.Export;

/// <summary>
/// Unsigned integer codes of <see cref="Bits"/> bits each (1..16), packed LSB-first into bytes: code i occupies bits
/// [i·b, (i+1)·b) of the little-endian bit stream, bit j of the stream being bit (j mod 8) of byte ⌊j/8⌋. The storage is
/// exactly ⌈n·b/8⌉ bytes; the unused high bits of the last byte are zero.
/// </summary>
/// <remarks>The real storage of low-bit weights (§5.4.2): a binary weight takes one bit, a 2-bit weight a quarter byte.</remarks>
public sealed class PackedCodes
{
    private readonly byte[] _data;

    private PackedCodes(byte[] data, int bits, int count)
    {
        _data = data; Bits = bits; Count = count;
    }

    /// <summary>Bits per code, in [1, 16].</summary>
    public int Bits { get; }

    /// <summary>Number of codes.</summary>
    public int Count { get; }

    /// <summary>The packed bytes (⌈<see cref="Count"/>·<see cref="Bits"/>/8⌉ of them).</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>Storage in bytes: ⌈<see cref="Count"/>·<see cref="Bits"/>/8⌉.</summary>
    public int ByteLength => _data.Length;

    /// <summary>⌈<paramref name="count"/>·<paramref name="bits"/>/8⌉, the exact byte length of <paramref name="count"/> packed codes.</summary>
    /// <exception cref="ArgumentException"><paramref name="bits"/> is outside [1, 16] or <paramref name="count"/> is negative.</exception>
    public static long ByteLengthFor(long count, int bits)
    {
        CheckBits(bits);
        if (count < 0) throw new ArgumentException($"PackedCodes: count must be non-negative, got {count}.", nameof(count));
        return (count * bits + 7) / 8;
    }

    /// <summary>Packs <paramref name="codes"/>, each in [0, 2^<paramref name="bits"/>), LSB-first.</summary>
    /// <exception cref="ArgumentException"><paramref name="bits"/> is outside [1, 16], or a code does not fit in <paramref name="bits"/> bits (its index and value are named).</exception>
    public static PackedCodes Pack(ReadOnlySpan<int> codes, int bits)
    {
        CheckBits(bits);
        var data = new byte[ByteLengthFor(codes.Length, bits)];
        int limit = 1 << bits;
        long bit = 0;
        for (int i = 0; i < codes.Length; i++, bit += bits)
        {
            int c = codes[i];
            if ((uint)c >= (uint)limit)
                throw new ArgumentException($"PackedCodes.Pack: code {i} is {c}, outside [0, {limit - 1}] for {bits} bits; pass codes that fit the bit width.", nameof(codes));
            // A code of ≤ 16 bits starting at any bit offset spans at most 3 bytes.
            int byteIndex = (int)(bit >> 3), shift = (int)(bit & 7);
            uint v = (uint)c << shift;
            data[byteIndex] |= (byte)v;
            if ((v >> 8) != 0) data[byteIndex + 1] |= (byte)(v >> 8);
            if ((v >> 16) != 0) data[byteIndex + 2] |= (byte)(v >> 16);
        }
        return new PackedCodes(data, bits, codes.Length);
    }

    /// <summary>Wraps already-packed bytes (e.g. read from a file); the array is copied.</summary>
    /// <param name="data">⌈<paramref name="count"/>·<paramref name="bits"/>/8⌉ bytes.</param>
    /// <param name="bits">Bits per code, in [1, 16].</param>
    /// <param name="count">Number of codes.</param>
    /// <exception cref="ArgumentException">The byte length is not exactly ⌈count·bits/8⌉, or the padding bits of the last byte are not zero.</exception>
    public static PackedCodes FromBytes(ReadOnlySpan<byte> data, int bits, int count)
    {
        long expected = ByteLengthFor(count, bits);
        if (data.Length != expected)
            throw new ArgumentException($"PackedCodes.FromBytes: {count} codes of {bits} bits take {expected} bytes, got {data.Length}; the data does not belong to this shape or bit width.", nameof(data));
        int usedInLast = (int)((long)count * bits % 8);
        if (usedInLast != 0 && (data[^1] >> usedInLast) != 0)
            throw new ArgumentException($"PackedCodes.FromBytes: the {8 - usedInLast} padding bits of the last byte are not zero; the data is corrupt or packed differently.", nameof(data));
        return new PackedCodes(data.ToArray(), bits, count);
    }

    /// <summary>The codes, in order.</summary>
    public int[] Unpack()
    {
        var codes = new int[Count];
        uint mask = (1u << Bits) - 1;
        long bit = 0;
        for (int i = 0; i < codes.Length; i++, bit += Bits)
        {
            int byteIndex = (int)(bit >> 3), shift = (int)(bit & 7);
            uint v = _data[byteIndex];
            if (byteIndex + 1 < _data.Length) v |= (uint)_data[byteIndex + 1] << 8;
            if (byteIndex + 2 < _data.Length) v |= (uint)_data[byteIndex + 2] << 16;
            codes[i] = (int)((v >> shift) & mask);
        }
        return codes;
    }

    /// <summary>The number of bits needed for codes 0..<paramref name="levels"/>−1: 1 for one or two levels, ⌈log2 levels⌉ otherwise.</summary>
    /// <exception cref="ArgumentException"><paramref name="levels"/> is below 1 or above 2^16.</exception>
    public static int BitsForLevels(int levels)
    {
        if (levels < 1 || levels > 1 << 16)
            throw new ArgumentException($"PackedCodes: {levels} levels cannot be coded on 1..16 bits.", nameof(levels));
        int bits = 1;
        while ((1 << bits) < levels) bits++;
        return bits;
    }

    private static void CheckBits(int bits)
    {
        if (bits < 1 || bits > 16)
            throw new ArgumentException($"PackedCodes: bit width {bits} is out of range; use 1..16 bits per code.", nameof(bits));
    }
}
