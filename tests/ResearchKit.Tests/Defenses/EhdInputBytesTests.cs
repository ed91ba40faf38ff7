using ResearchKit.Defenses;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Defenses.EhdTestUtil;

namespace ResearchKit.Tests.Defenses;

/// <summary>The documented byte serializations: uint8 re-quantization (clamp, ×255, round half to even) and raw float32 bits.</summary>
public class EhdInputBytesTests
{
    [Fact]
    public void Uint8_ClampsScalesAndRoundsHalfToEven()
    {
        for (int k = 0; k <= 255; k++) Assert.Equal((byte)k, EhdInputBytes.Quantize(k / 255f));   // every grey level round-trips
        Assert.Equal(0, EhdInputBytes.Quantize(-0.3f));
        Assert.Equal(255, EhdInputBytes.Quantize(1.7f));
        Assert.Equal(0, EhdInputBytes.Quantize(float.NegativeInfinity));
        Assert.Equal(255, EhdInputBytes.Quantize(float.PositiveInfinity));
        Assert.Equal(128, EhdInputBytes.Quantize(0.5f));          // 127.5 → 128 (even)
        // Exact ties in float32: x·255 = m + ½ exactly; half to even picks the even neighbour.
        foreach (int m in new[] { 0, 1, 2, 3, 100, 101, 254 })
        {
            float x = (m + 0.5f) / 255f;
            Assert.Equal(m + 0.5f, x * 255f);   // an exact tie after the float32 product
            Assert.Equal((byte)(m % 2 == 0 ? m : m + 1), EhdInputBytes.Quantize(x));
        }
        Assert.Throws<ArgumentException>(() => EhdInputBytes.Quantize(float.NaN));
    }

    [Fact]
    public void Float32_IsTheRawLittleEndianBits_InRowMajorOrder()
    {
        float[] v = [1f, -0f, 0.1f];
        var b = EhdInputBytes.Serialize(v, EhdInputEncoding.Float32);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x80, 0xCD, 0xCC, 0xCC, 0x3D }, b);   // IEEE-754 encodings of 1, −0, 0.1f
        Assert.Equal(12, EhdInputBytes.ByteCount(3, EhdInputEncoding.Float32));
        Assert.Equal(3, EhdInputBytes.ByteCount(3, EhdInputEncoding.Uint8));
        Assert.Equal(new byte[] { 255, 0, 26 }, EhdInputBytes.Serialize(v, EhdInputEncoding.Uint8));   // 0.1f·255 is exactly 25.5 in float32: a tie, → 26 (even)
    }

    [Fact]
    public void InputsThatRoundToTheSameBytes_RouteIdenticallyUnderUint8_AndAreToldApartUnderFloat32()
    {
        const int n = 500, k = 5;
        var (x, bytes) = QuantizedInputs(n, seed: 1);
        var g = new Generator(2);
        // Move every value by 0.05..0.4 grey levels, either way: still the same byte after rounding.
        var y = x.ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            float d = (0.05f + 0.35f * g.NextFloat()) / 255f * (g.NextFloat() < 0.5f ? -1f : 1f);
            y[i] += d;
        }
        var yt = Tensor.FromArray(y, n, 3, 8, 8);
        var xs = x.ToArray();
        for (int i = 0; i < n; i++)
        {
            var xa = xs.AsSpan(i * 192, 192); var ya = y.AsSpan(i * 192, 192);
            Assert.Equal(EhdInputBytes.Serialize(xa, EhdInputEncoding.Uint8), EhdInputBytes.Serialize(ya, EhdInputEncoding.Uint8));
            Assert.Equal(bytes.AsSpan(i * 192, 192).ToArray(), EhdInputBytes.Serialize(ya, EhdInputEncoding.Uint8));
            Assert.NotEqual(EhdInputBytes.Serialize(xa, EhdInputEncoding.Float32), EhdInputBytes.Serialize(ya, EhdInputEncoding.Float32));
        }

        var key = DefenseKey.ForTesting(3);
        Assert.Equal(RoutingOnly(k, key).Route(x), RoutingOnly(k, key).Route(yt));
        var f32 = RoutingOnly(k, key, EhdInputEncoding.Float32);
        int apart = f32.Route(x).Zip(f32.Route(yt)).Count(t => t.First != t.Second);
        AssertBinomialFits(apart, n, 1 - 1.0 / k, "float32 routes of inputs that share their uint8 bytes");
    }

    [Fact]
    public void Write_RejectsAWrongDestinationLength()
    {
        var e = Assert.Throws<ArgumentException>(() => EhdInputBytes.Write(new float[4], EhdInputEncoding.Float32, new byte[4]));
        Assert.Contains("16 bytes", e.Message);
    }
}
