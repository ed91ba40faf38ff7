using ResearchKit.Tensors.Serialization;
using Xunit;
using static ResearchKit.Tensors.Tests.Serialization.SafeTensorsTestHelpers;

namespace ResearchKit.Tensors.Tests.Serialization;

public sealed class SafeTensorEntryTests
{
    // ---------------------------------------------------------------- independent reference decoders / encoders

    /// <summary>binary16 value from its fields: (-1)^s · 2^(e-15) · (1 + m/1024), subnormal 2^-14 · m/1024.</summary>
    private static double HalfRef(ushort h)
    {
        int s = h >> 15, e = (h >> 10) & 0x1F, m = h & 0x3FF;
        double sign = s == 1 ? -1 : 1;
        if (e == 31) return m == 0 ? sign * double.PositiveInfinity : double.NaN;
        return e == 0 ? sign * Math.ScaleB(m, -24) : sign * Math.ScaleB(1024 + m, e - 25);
    }

    /// <summary>bfloat16 value from its fields: 8 exponent bits like float, 7 mantissa bits.</summary>
    private static double BFloat16Ref(ushort b)
    {
        int s = b >> 15, e = (b >> 7) & 0xFF, m = b & 0x7F;
        double sign = s == 1 ? -1 : 1;
        if (e == 255) return m == 0 ? sign * double.PositiveInfinity : double.NaN;
        return e == 0 ? sign * Math.ScaleB(m, -133) : sign * Math.ScaleB(128 + m, e - 134);
    }

    /// <summary>
    /// Round-to-nearest-even onto a 16-bit format whose positive finite values are the increasing bit patterns
    /// 0..maxFinite: binary search for the neighbours, pick the nearer, ties to the even pattern.
    /// </summary>
    private static ushort RoundRef(float f, Func<ushort, double> decode, ushort maxFinite, ushort inf)
    {
        double x = Math.Abs((double)f);
        ushort sign = (ushort)(float.IsNegative(f) ? 0x8000 : 0);
        double max = decode(maxFinite), halfUlp = (max - decode((ushort)(maxFinite - 1))) / 2;
        if (x >= max + halfUlp) return (ushort)(sign | inf); // the tie rounds to the even pattern, i.e. infinity
        int lo = 0, hi = maxFinite;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (decode((ushort)mid) <= x) lo = mid; else hi = mid - 1;
        }
        if (lo == maxFinite) return (ushort)(sign | lo);
        double below = x - decode((ushort)lo), above = decode((ushort)(lo + 1)) - x;
        int pick = below < above ? lo : above < below ? lo + 1 : (lo % 2 == 0 ? lo : lo + 1);
        return (ushort)(sign | pick);
    }

    private static float[] RandomFloats(int n, int seed)
    {
        var rng = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (i % 4) switch
            {
                0 => BitConverter.Int32BitsToSingle(rng.Next() | (rng.Next(2) << 31)), // any bit pattern
                1 => (float)(rng.NextDouble() * 2 - 1) * 70000f,                       // around the F16 range
                2 => (float)Math.ScaleB(rng.NextDouble(), -rng.Next(10, 30)),           // F16 subnormals
                _ => (float)(rng.NextDouble() * 8 - 4),
            };
        }
        return values;
    }

    // ---------------------------------------------------------------- F16

    [Fact]
    public void ToFloat32_F16_KnownValues()
    {
        ushort[] bits = [0x3C00, 0xC100, 0x7BFF, 0xFBFF, 0x0001, 0x03FF, 0x0400, 0x7C00, 0xFC00, 0x0000, 0x8000, 0x7E00];
        float[] expected = [1f, -2.5f, 65504f, -65504f, 5.9604645e-8f, 6.0975552e-5f, 6.1035156e-5f, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.NaN];
        float[] actual = new SafeTensorEntry("h", SafeTensorDType.F16, [bits.Length], U16Bytes(bits)).ToFloat32();
        Assert.Equal(expected, actual);
        Assert.True(float.IsNegative(actual[10]));
        Assert.Equal(Math.ScaleB(1, -24), actual[4]);
        Assert.Equal(Math.ScaleB(1023, -24), actual[5]);
    }

    [Fact]
    public void ToFloat32_F16_AllBitPatternsWidenExactly()
    {
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        float[] actual = new SafeTensorEntry("h", SafeTensorDType.F16, [256, 256], U16Bytes(bits)).ToFloat32();
        for (int i = 0; i < bits.Length; i++)
        {
            double expected = HalfRef(bits[i]);
            if (double.IsNaN(expected))
            {
                // Like PyTorch (and F16C hardware): NaNs are quieted, sign and payload kept.
                uint want = ((uint)(i & 0x8000) << 16) | 0x7FC0_0000u | ((uint)(i & 0x3FF) << 13);
                Assert.Equal(want, BitConverter.SingleToUInt32Bits(actual[i]));
            }
            else
            {
                Assert.Equal(expected, actual[i]);
                Assert.Equal(double.IsNegative(expected), float.IsNegative(actual[i]));
            }
        }
    }

    [Fact]
    public void FromFloat32_F16_RoundsToNearestEvenLikePyTorch()
    {
        // Expected bit patterns checked against torch 1.13: torch.tensor([...]).half().view(torch.int16).
        float[] values = [1f, -2.5f, 65504f, 65519f, 65520f, -65520f, MathF.ScaleB(1, -25), 3 * MathF.ScaleB(1, -26), 1 + MathF.ScaleB(1, -8), float.PositiveInfinity, -0f, 1e-10f];
        ushort[] expected = [0x3C00, 0xC100, 0x7BFF, 0x7BFF, 0x7C00, 0xFC00, 0x0000, 0x0001, 0x3C04, 0x7C00, 0x8000, 0x0000];
        Assert.Equal(U16Bytes(expected), SafeTensorEntry.FromFloat32("h", values, [values.Length], SafeTensorDType.F16).Data.ToArray());

        float[] nans = [float.NaN, -float.NaN, BitConverter.Int32BitsToSingle(0x7F80_0001)];
        foreach (float back in SafeTensorEntry.FromFloat32("n", nans, [3], SafeTensorDType.F16).ToFloat32()) Assert.True(float.IsNaN(back));
    }

    [Fact]
    public void FromFloat32_F16_RandomMatchesReferenceRounding()
    {
        float[] values = RandomFloats(4099, seed: 11);
        byte[] bytes = SafeTensorEntry.FromFloat32("h", values, [values.Length], SafeTensorDType.F16).Data.ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            ushort actual = BitConverter.ToUInt16(bytes, 2 * i);
            if (float.IsNaN(values[i])) { Assert.True(double.IsNaN(HalfRef(actual))); continue; }
            Assert.Equal(RoundRef(values[i], HalfRef, 0x7BFF, 0x7C00), actual);
        }
    }

    // ---------------------------------------------------------------- BF16

    [Fact]
    public void ToFloat32_BF16_KnownValuesAndAllBitPatterns()
    {
        ushort[] known = [0x3F80, 0xC020, 0x477F, 0x4780, 0x0001, 0x7F80, 0xFF80, 0x7F7F];
        float[] expected = [1f, -2.5f, 65280f, 65536f, MathF.ScaleB(1, -133), float.PositiveInfinity, float.NegativeInfinity, 3.3895314e38f];
        Assert.Equal(expected, new SafeTensorEntry("b", SafeTensorDType.BF16, [known.Length], U16Bytes(known)).ToFloat32());

        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        float[] all = new SafeTensorEntry("b", SafeTensorDType.BF16, [bits.Length], U16Bytes(bits)).ToFloat32();
        for (int i = 0; i < bits.Length; i++)
        {
            // Exact, NaN payload included: the bf16 bits are the upper half of the float.
            Assert.Equal((uint)i << 16, BitConverter.SingleToUInt32Bits(all[i]));
            double reference = BFloat16Ref((ushort)i);
            if (!double.IsNaN(reference)) Assert.Equal(reference, all[i]);
        }
    }

    [Fact]
    public void FromFloat32_BF16_RoundsToNearestEvenLikePyTorch()
    {
        // Expected patterns checked against torch 1.13 .bfloat16(); NaN follows c10::BFloat16 (0x7FC0).
        float[] values = [1f, -2.5f, 65504f, 65519f, MathF.ScaleB(1, -25), 1 + MathF.ScaleB(1, -8), 1 + 3 * MathF.ScaleB(1, -8), 3.4e38f, float.MaxValue, -float.MaxValue, float.NaN, -float.NaN, -0f];
        ushort[] expected = [0x3F80, 0xC020, 0x4780, 0x4780, 0x3300, 0x3F80, 0x3F82, 0x7F80, 0x7F80, 0xFF80, 0x7FC0, 0x7FC0, 0x8000];
        Assert.Equal(U16Bytes(expected), SafeTensorEntry.FromFloat32("b", values, [values.Length], SafeTensorDType.BF16).Data.ToArray());
    }

    [Fact]
    public void FromFloat32_BF16_RandomMatchesReferenceRoundingInVectorAndTail()
    {
        foreach (int n in new[] { 1, 15, 31, 33, 64, 1000 }) // vector blocks plus scalar tails
        {
            float[] values = RandomFloats(n, seed: n);
            byte[] bytes = SafeTensorEntry.FromFloat32("b", values, [n], SafeTensorDType.BF16).Data.ToArray();
            for (int i = 0; i < n; i++)
            {
                ushort actual = BitConverter.ToUInt16(bytes, 2 * i);
                ushort want = float.IsNaN(values[i]) ? (ushort)0x7FC0 : RoundRef(values[i], BFloat16Ref, 0x7F7F, 0x7F80);
                Assert.Equal(want, actual);
            }
        }
    }

    // ---------------------------------------------------------------- F64 / F32

    [Fact]
    public void ToFloat32_F64_RoundsToNearestEven()
    {
        double[] values = [0.1, 1e40, -1e40, 1e-46, 1 + Math.ScaleB(1, -24), 1 + 3 * Math.ScaleB(1, -24), double.NaN, -0.0, double.Epsilon, 3.40282356e38, 3.4028235677973366e38];
        float[] expected = [0.1f, float.PositiveInfinity, float.NegativeInfinity, 0f, 1f, 1 + MathF.ScaleB(1, -22), float.NaN, -0f, 0f, float.MaxValue, float.PositiveInfinity /* exact midpoint: ties to even */];
        float[] actual = F64Entry(values).ToFloat32();
        Assert.Equal(expected, actual);
        Assert.True(float.IsNegative(actual[7]));

        var rng = new Random(5);
        var random = new double[1003];
        for (int i = 0; i < random.Length; i++) random[i] = BitConverter.Int64BitsToDouble(rng.NextInt64()) is var d && double.IsFinite(d) && Math.Abs(d) < 1e39 ? d : rng.NextDouble() * 1e6;
        float[] converted = F64Entry(random).ToFloat32();
        for (int i = 0; i < random.Length; i++) Assert.Equal((float)random[i], converted[i]); // the C cast PyTorch uses
    }

    [Fact]
    public void FromFloat32_F64AndF32_AreExact()
    {
        float[] values = RandomFloats(257, seed: 3);
        SafeTensorEntry f64 = SafeTensorEntry.FromFloat32("d", values, [257], SafeTensorDType.F64);
        double[] widened = new double[257];
        Buffer.BlockCopy(f64.Data.ToArray(), 0, widened, 0, 257 * 8);
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i])) Assert.True(double.IsNaN(widened[i]));
            else Assert.Equal((double)values[i], widened[i]);
        }
        SafeTensorEntry f32 = SafeTensorEntry.FromFloat32("f", values, [257]);
        Assert.Equal(F32Bytes(values), f32.Data.ToArray());
        Assert.Equal(values, f32.ToFloat32());
    }

    private static SafeTensorEntry F64Entry(double[] values)
    {
        var bytes = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new SafeTensorEntry("d", SafeTensorDType.F64, [values.Length], bytes);
    }

    // ---------------------------------------------------------------- integers

    [Fact]
    public void Int64_RoundTripsEveryIntegerDTypeAtItsLimits()
    {
        (SafeTensorDType dtype, long[] values)[] cases =
        [
            (SafeTensorDType.I64, [long.MinValue, -1, 0, 1, long.MaxValue]),
            (SafeTensorDType.I32, [int.MinValue, -1, 0, 1, int.MaxValue]),
            (SafeTensorDType.I16, [short.MinValue, -1, 0, 1, short.MaxValue]),
            (SafeTensorDType.I8, [sbyte.MinValue, -1, 0, 1, sbyte.MaxValue]),
            (SafeTensorDType.U8, [0, 1, 127, 128, 255]),
            (SafeTensorDType.Bool, [0, 1, 1, 0, 1]),
        ];
        foreach ((SafeTensorDType dtype, long[] values) in cases)
        {
            SafeTensorEntry entry = SafeTensorEntry.FromInt64("i", values, [5], dtype);
            Assert.Equal(5 * dtype.ElementSize(), entry.Data.Length);
            Assert.Equal(values, entry.ToInt64());
        }
        // Raw little-endian layout, built by hand.
        Assert.Equal([0xFE, 0xFF, 0xFF, 0xFF], SafeTensorEntry.FromInt64("i", [-2], [1], SafeTensorDType.I32).Data.ToArray());
        // A BOOL byte other than 0/1 reads as true.
        Assert.Equal([0L, 1, 1], new SafeTensorEntry("b", SafeTensorDType.Bool, [3], new byte[] { 0, 1, 2 }).ToInt64());
    }

    [Fact]
    public void FromInt64_OutOfRange_ThrowsInsteadOfWrapping()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensorEntry.FromInt64("q", [0, 127, 128], [3], SafeTensorDType.I8));
        Assert.Contains("element 2 = 128 does not fit I8 (range -128..127)", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensorEntry.FromInt64("q", [-1], [1], SafeTensorDType.U8));
        Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensorEntry.FromInt64("q", [2], [1], SafeTensorDType.Bool));
        Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensorEntry.FromInt64("q", [int.MaxValue + 1L], [1], SafeTensorDType.I32));
        Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensorEntry.FromInt64("q", [short.MinValue - 1L], [1], SafeTensorDType.I16));
    }

    // ---------------------------------------------------------------- entry validation

    [Fact]
    public void Constructor_And_Factories_ValidateArguments()
    {
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => new SafeTensorEntry("__metadata__", SafeTensorDType.U8, [1], new byte[1])).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => new SafeTensorEntry("a", SafeTensorDType.U8, [-1], new byte[0])).Message);
        var size = Assert.Throws<ArgumentException>(() => new SafeTensorEntry("a", SafeTensorDType.F32, [2, 3], new byte[10]));
        Assert.Contains("dtype F32 with shape [2, 3] needs 6 elements × 4 bytes = 24 bytes, but the data has 10 bytes", size.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SafeTensorEntry("a", (SafeTensorDType)99, [1], new byte[1]));
        Assert.Throws<ArgumentException>(() => new SafeTensorEntry("a", SafeTensorDType.U8, [long.MaxValue, 2], new byte[0]));
        Assert.Contains("has 6 elements but the data has 5", Assert.Throws<ArgumentException>(() => SafeTensorEntry.FromFloat32("a", new float[5], [2, 3])).Message);
        Assert.Throws<ArgumentException>(() => SafeTensorEntry.FromFloat32("a", new float[1], [1], SafeTensorDType.I32));
        Assert.Throws<ArgumentException>(() => SafeTensorEntry.FromInt64("a", new long[1], [1], SafeTensorDType.F16));

        SafeTensorEntry ints = SafeTensorEntry.FromInt64("i", [1, 2], [2]);
        Assert.Contains("use ToInt64", Assert.Throws<InvalidOperationException>(() => ints.ToFloat32()).Message);
        SafeTensorEntry floats = SafeTensorEntry.FromFloat32("f", [1, 2], [2]);
        Assert.Contains("use ToFloat32", Assert.Throws<InvalidOperationException>(() => floats.ToInt64()).Message);
        Assert.Throws<ArgumentException>(() => floats.CopyToFloat32(new float[3]));
        Assert.Throws<ArgumentException>(() => ints.CopyToInt64(new long[1]));

        // Scalars and zero-size tensors.
        SafeTensorEntry scalar = SafeTensorEntry.FromFloat32("s", [3.5f], []);
        Assert.Equal(1, scalar.ElementCount);
        Assert.Equal("s: F32[]", scalar.ToString());
        SafeTensorEntry empty = SafeTensorEntry.FromFloat32("e", [], [4, 0, long.MaxValue]);
        Assert.Equal(0, empty.ElementCount);
        Assert.Empty(empty.ToFloat32());
    }

    [Fact]
    public void DTypes_HeaderStringsAndSizes()
    {
        string[] names = ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"];
        int[] sizes = [8, 4, 2, 2, 8, 4, 2, 1, 1, 1];
        Assert.Equal(names.Length, SafeTensorDTypes.All.Count);
        for (int i = 0; i < names.Length; i++)
        {
            SafeTensorDType dtype = SafeTensorDTypes.All[i];
            Assert.Equal(names[i], dtype.ToHeaderString());
            Assert.Equal(sizes[i], dtype.ElementSize());
            Assert.True(SafeTensorDTypes.TryParse(names[i], out SafeTensorDType parsed));
            Assert.Equal(dtype, parsed);
        }
        Assert.False(SafeTensorDTypes.TryParse("f32", out _));
        Assert.False(SafeTensorDTypes.TryParse("U16", out _));
        Assert.False(SafeTensorDTypes.TryParse(null, out _));
    }
}
