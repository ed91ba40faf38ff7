using ResearchKit.Quantization.Export;
using Xunit;

namespace ResearchKit.Tests.Quantization.Export;

public class PackedCodesTests
{
    public static TheoryData<int> Widths => new() { 1, 2, 3, 4, 5, 6, 7, 8, 16 };

    [Theory]
    [MemberData(nameof(Widths))]
    public void PackUnpack_RoundTrips_WithExactByteLength(int bits)
    {
        var rng = new Random(1000 + bits);
        var sizes = Enumerable.Range(0, 65).Concat(Enumerable.Range(0, 20).Select(_ => rng.Next(65, 5000)));
        foreach (int n in sizes)
        {
            var codes = new int[n];
            for (int i = 0; i < n; i++) codes[i] = rng.Next(0, 1 << bits);
            if (n > 0) codes[rng.Next(n)] = (1 << bits) - 1; // the largest code appears
            var packed = PackedCodes.Pack(codes, bits);
            long expected = ((long)n * bits + 7) / 8;
            Assert.Equal(expected, packed.ByteLength);
            Assert.Equal(expected, PackedCodes.ByteLengthFor(n, bits));
            Assert.Equal(n, packed.Count);
            Assert.Equal(codes, packed.Unpack());
            var again = PackedCodes.FromBytes(packed.Data.Span, bits, n);
            Assert.Equal(codes, again.Unpack());
        }
    }

    [Fact]
    public void Layout_IsLsbFirst()
    {
        // 1 bit: code i is bit i; 9 codes take 2 bytes.
        var one = PackedCodes.Pack([1, 0, 1, 1, 0, 0, 0, 0, 1], 1);
        Assert.Equal(new byte[] { 0b0000_1101, 0b0000_0001 }, one.Data.ToArray());
        // 2 bits: codes 3, 0, 1, 2 → 0b10_01_00_11.
        Assert.Equal(new byte[] { 0b1001_0011 }, PackedCodes.Pack([3, 0, 1, 2], 2).Data.ToArray());
        // 3 bits crossing a byte: codes 5 (bits 0-2), 6 (bits 3-5), 7 (bits 6-8) → 0b11_110_101, 0b0000000_1.
        Assert.Equal(new byte[] { 0b1111_0101, 0b0000_0001 }, PackedCodes.Pack([5, 6, 7], 3).Data.ToArray());
        // 16 bits: little-endian.
        Assert.Equal(new byte[] { 0x34, 0x12, 0xFF, 0xFF }, PackedCodes.Pack([0x1234, 0xFFFF], 16).Data.ToArray());
    }

    [Fact]
    public void Errors_AreClear()
    {
        var e = Assert.Throws<ArgumentException>(() => PackedCodes.Pack([0, 4], 2));
        Assert.Contains("code 1 is 4", e.Message);
        Assert.Throws<ArgumentException>(() => PackedCodes.Pack([-1], 3));
        Assert.Throws<ArgumentException>(() => PackedCodes.Pack([0], 17));
        Assert.Throws<ArgumentException>(() => PackedCodes.Pack([0], 0));
        Assert.Throws<ArgumentException>(() => PackedCodes.FromBytes(new byte[3], 2, 5)); // 5 two-bit codes take 2 bytes
        Assert.Throws<ArgumentException>(() => PackedCodes.FromBytes(new byte[] { 0b1000_0000 }, 1, 7)); // padding bit set
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 3)]
    [InlineData(256, 8)]
    [InlineData(65536, 16)]
    public void BitsForLevels(int levels, int bits) => Assert.Equal(bits, PackedCodes.BitsForLevels(levels));
}
