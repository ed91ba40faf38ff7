using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.Core;

/// <summary>
/// Int64 tensors compute in integers: 16_777_217 (2^24 + 1, the first integer float32 cannot hold) and values near 2^53
/// and 2^62 survive every op; overflow wraps like PyTorch's int64 kernels; mixing with Float32 promotes as torch does.
/// </summary>
public class Int64ExactnessTests
{
    private const long P24 = 16_777_217;              // 2^24 + 1
    private const long P53 = (1L << 53) + 1;           // beyond double's integers
    private const long P62 = (1L << 62) + 3;

    private static Tensor L(params long[] v) => Tensor.FromArray(v); // one value gives a 0-d tensor

    private static Tensor V(long v) => Tensor.FromArray([v], 1);

    [Fact]
    public void Add_Sub_Mul_BothInt64_AreExactAndStayInt64()
    {
        var a = L(P24, P53, P62);
        var b = L(0, 1, -3);
        var sum = a + b;
        Assert.Equal(DType.Int64, sum.DType);
        Assert.Equal(new[] { P24, P53 + 1, P62 - 3 }, sum.ToInt64Array());
        Assert.Equal(new[] { P24, P53 - 1, P62 + 3 }, (a - b).ToInt64Array());
        Assert.Equal(new[] { 0, P53, unchecked(-3 * P62) }, (a * b).ToInt64Array()); // -3·P62 wraps: two's complement, as torch
        Assert.Equal(new[] { P24 + 1, P53 + 1, P62 + 1 }, (a + 1).ToInt64Array()); // an int literal is a long scalar
        Assert.Equal(DType.Int64, (2L * a).DType);
    }

    [Fact]
    public void Add_Broadcasts_OnStridedInt64Views()
    {
        var m = Tensor.FromArray(new long[] { P24, 1, 2, P62, 3, 4 }, 2, 3).T;       // (3, 2), non-contiguous
        var row = L(10, 20);
        Assert.Equal(new[] { P24 + 10, P62 + 20, 11, 23, 12, 24 }, (m + row).ToInt64Array());
    }

    [Fact]
    public void Overflow_WrapsLikeTorch()
    {
        Assert.Equal(long.MinValue, (L(long.MaxValue) + 1).ItemInt64());
        Assert.Equal(long.MaxValue, (L(long.MinValue) - 1).ItemInt64());
        Assert.Equal(-2L, (L(long.MaxValue) * 2).ItemInt64());
        Assert.Equal(long.MinValue, L(long.MinValue).Neg().ItemInt64());
        Assert.Equal(long.MinValue, L(long.MinValue).Abs().ItemInt64());
        Assert.Equal(long.MinValue, L(long.MaxValue, 1).Sum().ItemInt64());
    }

    [Fact]
    public void Neg_Abs_AreExact()
    {
        Assert.Equal(new[] { -P24, P53, -P62 }, L(P24, -P53, P62).Neg().ToInt64Array());
        Assert.Equal(new[] { P24, P53, P62 }, L(-P24, -P53, P62).Abs().ToInt64Array());
        Assert.Equal(DType.Int64, (-L(1)).DType);
    }

    [Fact]
    public void Sum_IsExactInt64_WithDimsAndKeepDim()
    {
        var s = L(P24, 0).Sum();
        Assert.Equal(DType.Int64, s.DType);
        Assert.Equal(P24, s.ItemInt64());
        var m = Tensor.FromArray(new long[] { P62, 1, P53, P24, -P62, 5 }, 2, 3);
        Assert.Equal(new[] { P62 + 1 + P53, P24 - P62 + 5 }, m.Sum(1).ToInt64Array());
        Assert.Equal(new[] { P62 + P24, 1 - P62, P53 + 5 }, m.Sum(0).ToInt64Array());
        var k = m.Sum(-1, keepDim: true);
        Assert.Equal(new Shape(2, 1), k.Shape);
        Assert.Equal(P62 + 1 + P53 + P24 - P62 + 5, m.T.Sum().ItemInt64());
    }

    [Fact]
    public void Mean_OnInt64_ThrowsLikeTorch()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => L(1, 2).Mean());
        Assert.Contains("could not infer output dtype", ex.Message);
        Assert.Contains(".Float()", ex.Message);
        Assert.Equal(1.5f, L(1, 2).Float().Mean().Item());
        Assert.Throws<InvalidOperationException>(() => L(1, 2).Var());
    }

    [Fact]
    public void Max_Min_Argmax_Argmin_AreExact()
    {
        var v = L(P24 - 1, P24, P24 - 2);
        Assert.Equal(DType.Int64, v.Max().DType);
        Assert.Equal(P24, v.Max().ItemInt64());
        Assert.Equal(P24 - 2, v.Min().ItemInt64());
        Assert.Equal(1L, v.Argmax(0).ItemInt64());
        Assert.Equal(2L, v.Argmin(0).ItemInt64());
        var m = Tensor.FromArray(new long[] { P62, P62 + 1, P53, P53 - 1 }, 2, 2);
        var (vals, idx) = m.Max(1, keepDim: true);
        Assert.Equal(new Shape(2, 1), vals.Shape);
        Assert.Equal(new[] { P62 + 1, P53 }, vals.ToInt64Array());
        Assert.Equal(new[] { 1L, 0 }, idx.ToInt64Array());
        Assert.Equal(new[] { P53, P53 - 1 }, m.Min(0).Values.ToInt64Array());
        Assert.Equal(0L, L(7, 7).Argmax(0).ItemInt64()); // first index on ties
        Assert.Equal(0L, L(7, 7).Argmin(0).ItemInt64());
    }

    [Fact]
    public void Comparisons_AreExact_AndReturnFloatMasks()
    {
        var a = L(P24, P53, P62);
        var b = L(P24 - 1, P53, P62 + 1);
        Assert.Equal(DType.Float32, a.Eq(b).DType);
        Assert.Equal(new[] { 0f, 1, 0 }, a.Eq(b).ToArray());
        Assert.Equal(new[] { 1f, 0, 1 }, a.Ne(b).ToArray());
        Assert.Equal(new[] { 0f, 0, 1 }, a.Lt(b).ToArray());
        Assert.Equal(new[] { 0f, 1, 1 }, a.Le(b).ToArray());
        Assert.Equal(new[] { 1f, 0, 0 }, a.Gt(b).ToArray());
        Assert.Equal(new[] { 1f, 1, 0 }, a.Ge(b).ToArray());
        Assert.Equal(new[] { 1f, 0, 0 }, a.Eq(P24).ToArray());     // long scalar overload
        Assert.Equal(new[] { 0f, 0, 0 }, a.Eq(P24 - 1).ToArray());
    }

    [Fact]
    public void Maximum_Minimum_Where_StayExactInt64()
    {
        var a = L(P24, -P62, 3);
        var b = L(P24 - 1, P62, 4);
        Assert.Equal(new[] { P24, P62, 4 }, Tensor.Maximum(a, b).ToInt64Array());
        Assert.Equal(new[] { P24 - 1, -P62, 3 }, Tensor.Minimum(a, b).ToInt64Array());
        var w = Tensor.Where(Tensor.FromArray([1f, 0, 1]), a, b);
        Assert.Equal(DType.Int64, w.DType);
        Assert.Equal(new[] { P24, P62, 3 }, w.ToInt64Array());
        Assert.Equal(new[] { P24, P53, 3 }, a.MaskedFill(L(0, 1, 0), P53).ToInt64Array());
        Assert.Equal(DType.Float32, Tensor.FromArray([1f, 2]).MaskedFill(L(1, 0), 5L).DType);
    }

    [Fact]
    public void Pow_Int64_IsExact_AndRejectsNegativeExponents()
    {
        Assert.Equal(4052555153018976267L, L(3).Pow(L(39)).ItemInt64()); // 3^39 > 2^53
        Assert.Equal(new[] { 1L, -1 }, L(1, -1).Pow(L(-3)).ToInt64Array());
        var ex = Assert.Throws<ArgumentException>(() => L(2).Pow(L(-1)));
        Assert.Contains("negative integer powers", ex.Message);
    }

    // torch.floor_divide / torch.remainder (Python // and %): floor rounding, remainder takes the divisor's sign.
    public static TheoryData<long, long, long, long> FloorTable() => new()
    {
        { 7, 2, 3, 1 }, { -7, 2, -4, 1 }, { 7, -2, -4, -1 }, { -7, -2, 3, -1 },
        { 0, 3, 0, 0 }, { 6, -4, -2, -2 }, { -6, 4, -2, 2 }, { 6, 3, 2, 0 }, { -6, 3, -2, 0 },
        { P62, 5, P62 / 5, P62 % 5 }, { -P62, 5, -(P62 / 5) - 1, 5 - P62 % 5 },
        { long.MinValue, -1, long.MinValue, 0 },                  // wraps (.NET would trap), as torch's two's complement
    };

    [Theory]
    [MemberData(nameof(FloorTable))]
    public void FloorDivide_Remainder_Int64_FollowTorchSigns(long a, long b, long q, long r)
    {
        var x = L(a); var y = L(b);
        Assert.Equal(q, x.FloorDivide(y).ItemInt64());
        Assert.Equal(r, x.Remainder(y).ItemInt64());
        Assert.Equal(DType.Int64, x.FloorDivide(b).DType);
        Assert.Equal(a, unchecked(q * b + r));
    }

    [Theory]
    [InlineData(7f, 2f, 3f, 1f)]
    [InlineData(-7f, 2f, -4f, 1f)]
    [InlineData(7f, -2f, -4f, -1f)]
    [InlineData(-7f, -2f, 3f, -1f)]
    [InlineData(5.5f, 2f, 2f, 1.5f)]
    [InlineData(-5.5f, 2f, -3f, 0.5f)]
    [InlineData(5.5f, -2f, -3f, -0.5f)]
    public void FloorDivide_Remainder_Float_FollowTorchSigns(float a, float b, float q, float r)
    {
        var x = Tensor.FromArray([a]);
        Assert.Equal(q, x.FloorDivide(b).Item());
        Assert.Equal(r, x.Remainder(b).Item());
        Assert.Equal(DType.Float32, L((long)a).FloorDivide(b).DType); // a float divisor promotes
    }

    [Fact]
    public void FloorDivide_Remainder_EdgeCases()
    {
        Assert.Throws<DivideByZeroException>(() => L(1).FloorDivide(L(0)));
        Assert.Throws<DivideByZeroException>(() => L(1).Remainder(0L));
        Assert.Equal(float.PositiveInfinity, Tensor.FromArray([1f]).FloorDivide(0f).Item());
        Assert.True(float.IsNaN(Tensor.FromArray([1f]).Remainder(0f).Item()));
        Assert.Equal(new[] { 3L, -4, -4 }, L(7, -7, 7).FloorDivide(Tensor.FromArray(new long[] { 2, 2, -2 }, 3)).ToInt64Array());
        // Broadcast (2, 1) with (3,)
        var q = Tensor.FromArray(new long[] { 9, -9 }, 2, 1).FloorDivide(L(2, -2, 4));
        Assert.Equal(new[] { 4L, -5, 2, -5, 4, -3 }, q.ToInt64Array());
    }

    [Fact]
    public void Remainder_Float_IsDifferentiable()
    {
        var a = Tensor.FromArray([5.5f, -5.5f]).RequiresGrad_();
        var b = Tensor.FromArray([2f, 2f]).RequiresGrad_();
        a.Remainder(b).Sum().Backward();
        Assert.Equal(new[] { 1f, 1 }, a.Grad!.ToArray());
        Assert.Equal(new[] { -2f, 3 }, b.Grad!.ToArray());   // -floor(a / b)
    }

    [Fact]
    public void Promotion_MixedAndTrueDivision_GiveFloat32()
    {
        var i = L(7, -7);
        Assert.Equal(DType.Float32, (i + Tensor.FromArray([0.5f, 0.5f])).DType);
        Assert.Equal(new[] { 7.5f, -6.5f }, (i + Tensor.FromArray([0.5f, 0.5f])).ToArray());
        Assert.Equal(new[] { 9.5f, -4.5f }, (i + 2.5f).ToArray());
        Assert.Equal(DType.Float32, (i + 2.5f).DType);
        var div = i / L(2, 2);
        Assert.Equal(DType.Float32, div.DType);
        Assert.Equal(new[] { 3.5f, -3.5f }, div.ToArray());
        Assert.Equal(new[] { 3.5f, -3.5f }, (i / 2).ToArray());
        Assert.Equal(DType.Float32, i.Float().Eq(L(7, 7)).DType);
        // A float tensor with an int scalar stays float and keeps its gradient.
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var y = (x * 3 + 1).Sum();
        Assert.Equal(DType.Float32, y.DType);
        y.Backward();
        Assert.Equal(new[] { 3f, 3 }, x.Grad!.ToArray());
    }

    [Fact]
    public void Item_ItemInt64_Int64At_AreExactOrRefuse()
    {
        Assert.Equal(P24, L(P24).ItemInt64());
        Assert.Equal(P62, Tensor.FromArray(new long[] { 1, P62 }, 2, 1).Int64At(-1, 0));
        Assert.Equal(16_777_216f, L(16_777_216).Item());          // exactly representable: fine
        Assert.Equal(-9.223372036854775808E18f, L(long.MinValue).Item());
        var ex = Assert.Throws<InvalidOperationException>(() => L(P24).Item());
        Assert.Contains("16777217", ex.Message);
        Assert.Contains("ItemInt64", ex.Message);
        Assert.Throws<InvalidOperationException>(() => L(long.MaxValue).Item()); // rounds to 2^63, outside long
        Assert.Throws<InvalidOperationException>(() => L(1, P24)[1]);
        Assert.Equal(1f, L(1, P24)[0]);
        Assert.Throws<InvalidOperationException>(() => Tensor.FromArray([1f]).ItemInt64());
        Assert.Equal(P24, Tensor.Scalar(P24).ItemInt64());
        Assert.Equal(DType.Int64, Tensor.Scalar(3L).DType);
    }

    [Fact]
    public void MovementAndIndexing_PreserveExactValues()
    {
        var a = L(P24, P53, P62, -P62);
        long[] all = [P24, P53, P62, -P62];
        Assert.Equal(new[] { P24, P53, P62, -P62, P24 }, Tensor.Cat([a, V(P24)]).ToInt64Array());
        Assert.Equal(new[] { P24, P53, P62, -P62, P24, P53, P62, -P62 }, Tensor.Stack([a, a]).ToInt64Array());
        Assert.Equal(all, a.Reshape(2, 2).Clone().ToInt64Array());
        Assert.Equal(new[] { P24, P62, P53, -P62 }, a.Reshape(2, 2).T.Contiguous().ToInt64Array());
        Assert.Equal(new[] { P62, P24 }, a.Gather(0, L(2, 0)).ToInt64Array());
        Assert.Equal(new[] { -P62, P53 }, a.IndexSelect(0, L(3, 1)).ToInt64Array());
        Assert.Equal(new[] { P24, P62 }, a.Index(L(0, -2)).ToInt64Array());
        Assert.Equal(new[] { -P62, P24, P53, P62 }, a.Sort().Values.ToInt64Array());
        var (tv, ti) = a.Topk(2);
        Assert.Equal(new[] { P62, P53 }, tv.ToInt64Array());
        Assert.Equal(new[] { 2L, 1 }, ti.ToInt64Array());
        Assert.Equal(new[] { P24, P24 + P53, P24 + P53 + P62, P24 + P53 }, a.Cumsum(0).ToInt64Array());
        Assert.Equal(new[] { P53, P62 }, a.MaskedSelect(L(0, 1, 1, 0)).ToInt64Array());
        Assert.Equal(new[] { P24 + P62, P53, 0, -P62 }, a.ScatterAdd(0, V(0), V(P62)).Scatter(0, V(2), V(0)).ToInt64Array());
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Cat([L(P24), L(P24)]));   // was an IndexOutOfRangeException
        Assert.Contains("zero-dimensional", ex.Message);
        Assert.Equal("tensor([16777217, 9007199254740993], shape=(2,), dtype=int64)", a.Narrow(0, 0, 2).ToString());
    }
}
