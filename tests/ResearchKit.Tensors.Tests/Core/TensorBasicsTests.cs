using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.Core;

public class TensorBasicsTests
{
    [Fact]
    public void FromArray_KeepsShapeAndValues()
    {
        var t = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(new Shape(2, 3), t.Shape);
        Assert.Equal(6f, t[1, 2]);
        Assert.Equal(4f, t[-1, 0]);
        Assert.Equal("(2, 3)", t.Shape.ToString());
    }

    [Fact]
    public void FromArray_WrongCount_NamesShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2, 3], 2, 2));
        Assert.Contains("(2, 2)", ex.Message);
    }

    [Fact]
    public void Transpose_IsAView_ContiguousCopies()
    {
        var t = Tensor.Arange(6).Reshape(2, 3);
        var tt = t.T;
        Assert.False(tt.IsContiguous);
        Assert.Equal(new[] { 0f, 3, 1, 4, 2, 5 }, tt.Contiguous().ToArray());
        Assert.Equal(new[] { 3, 1 }, t.Strides);
        Assert.Equal(new[] { 1, 3 }, tt.Strides);
    }

    [Fact]
    public void View_OnNonContiguous_ThrowsWithHint()
    {
        var tt = Tensor.Arange(6).Reshape(2, 3).T;
        var ex = Assert.Throws<InvalidOperationException>(() => tt.View(6));
        Assert.Contains("Reshape", ex.Message);
        Assert.Equal(new[] { 0f, 3, 1, 4, 2, 5 }, tt.Reshape(6).ToArray());
    }

    [Fact]
    public void Reshape_InfersMinusOne()
    {
        var t = Tensor.Zeros(2, 3, 4).Reshape(-1, 4);
        Assert.Equal(new Shape(6, 4), t.Shape);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(-1, 4));
    }

    [Fact]
    public void Slice_WithStep_AndNegativeStart()
    {
        var t = Tensor.Arange(10);
        Assert.Equal(new[] { 1f, 4, 7 }, t.Slice(0, 1, 9, 3).ToArray());
        Assert.Equal(new[] { 8f, 9 }, t.Slice(0, -2).ToArray());
        var m = Tensor.Arange(12).Reshape(3, 4);
        Assert.Equal(new[] { 1f, 2, 5, 6, 9, 10 }, m.Narrow(1, 1, 2).ToArray());
        Assert.Equal(new[] { 4f, 5, 6, 7 }, m.Select(0, 1).ToArray());
    }

    [Fact]
    public void Expand_BroadcastsWithoutCopy_AndRejectsBadSize()
    {
        var t = Tensor.FromArray([1f, 2, 3], 3, 1).Expand(3, 2);
        Assert.Equal(new[] { 1f, 1, 2, 2, 3, 3 }, t.ToArray());
        Assert.Equal(0, t.Strides[1]);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, 2).Expand(3, 4));
        Assert.Contains("(3, 2)", ex.Message);
    }

    [Fact]
    public void Permute_Unsqueeze_Squeeze()
    {
        var t = Tensor.Arange(24).Reshape(2, 3, 4);
        var p = t.Permute(2, 0, 1);
        Assert.Equal(new Shape(4, 2, 3), p.Shape);
        Assert.Equal(t[1, 2, 3], p[3, 1, 2]);
        Assert.Equal(new Shape(2, 1, 3, 4), t.Unsqueeze(1).Shape);
        Assert.Equal(new Shape(2, 3, 4, 1), t.Unsqueeze(-1).Shape);
        Assert.Equal(new Shape(2, 3, 4), t.Unsqueeze(1).Squeeze().Shape);
        Assert.Throws<ArgumentException>(() => t.Permute(0, 0, 1));
    }

    [Fact]
    public void Broadcasting_Add_MatchesNaive()
    {
        var a = Tensor.Randn([2, 1, 4], new Generator(1));
        var b = Tensor.Randn([3, 1], new Generator(2));
        var c = a + b;
        Assert.Equal(new Shape(2, 3, 4), c.Shape);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    Assert.Equal(a[i, 0, k] + b[j, 0], c[i, j, k]);
    }

    [Fact]
    public void Broadcasting_Incompatible_NamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(4,)", ex.Message);
    }

    [Fact]
    public void Broadcasting_OnTransposedViews_MatchesContiguous()
    {
        var a = Tensor.Randn([3, 5], new Generator(3));
        var b = Tensor.Randn([5, 3], new Generator(4));
        var viaView = a * b.T;
        var viaCopy = a * b.T.Contiguous();
        Assert.Equal(viaCopy.ToArray(), viaView.ToArray());
    }

    [Fact]
    public void Sum_Mean_OverDims_MatchNaive()
    {
        var t = Tensor.Randn([2, 3, 4], new Generator(5));
        var s = t.Sum([0, 2]);
        Assert.Equal(new Shape(3), s.Shape);
        for (int j = 0; j < 3; j++)
        {
            double acc = 0;
            for (int i = 0; i < 2; i++) for (int k = 0; k < 4; k++) acc += t[i, j, k];
            Assert.Equal(acc, s[j], 4);
        }
        Assert.Equal(new Shape(1, 3, 1), t.Sum([0, 2], keepDim: true).Shape);
        Assert.Equal(t.ToArray().Average(), t.Mean().Item(), 4);
        Assert.Equal(new Shape(2, 3), t.Mean(-1).Shape);
    }

    [Fact]
    public void Var_Std_UnbiasedLikePyTorch()
    {
        var t = Tensor.FromArray([1f, 2, 3, 4]);
        Assert.Equal(1.6666666f, t.Var().Item(), 5);
        Assert.Equal(1.25f, t.Var(correction: 0).Item(), 5);
        Assert.Equal(MathF.Sqrt(1.6666666f), t.Std().Item(), 5);
    }

    [Fact]
    public void Max_WithIndices_FirstOnTies()
    {
        var t = Tensor.FromArray([1f, 5, 5, 2, 0, -1], 2, 3);
        var (v, i) = t.Max(1);
        Assert.Equal(new[] { 5f, 2 }, v.ToArray());
        Assert.Equal(new long[] { 1, 0 }, i.ToInt64Array());
        Assert.Equal(DType.Int64, i.DType);
        Assert.Equal(new long[] { 0, 2 }, t.Argmin(1).ToInt64Array());
        Assert.Equal(5f, t.Max().Item());
    }

    [Fact]
    public void Norms_P1_P2_Inf()
    {
        var t = Tensor.FromArray([3f, -4, 0, 1], 2, 2);
        Assert.Equal(8f, t.Norm(1).Item(), 5);
        Assert.Equal(MathF.Sqrt(26), t.Norm(2).Item(), 5);
        Assert.Equal(4f, t.Norm(float.PositiveInfinity).Item(), 5);
        Assert.Equal(new[] { 5f, 1 }, t.Norm(2, [1]).ToArray());
        Assert.Equal(new[] { 4f, 1 }, t.Norm(float.PositiveInfinity, [1]).ToArray());
    }

    [Fact]
    public void Matmul_MatchesNaive_IncludingBatchBroadcast()
    {
        var a = Tensor.Randn([2, 3, 4], new Generator(6));
        var b = Tensor.Randn([4, 5], new Generator(7));
        var c = a.Matmul(b);
        Assert.Equal(new Shape(2, 3, 5), c.Shape);
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 5; j++)
                {
                    double s = 0;
                    for (int k = 0; k < 4; k++) s += a[n, i, k] * b[k, j];
                    Assert.Equal(s, c[n, i, j], 4);
                }
        var v = Tensor.Randn([4], new Generator(8));
        Assert.Equal(new Shape(2, 3), a.Matmul(v).Shape);
        Assert.Equal(new Shape(5), v.Matmul(b).Shape);
    }

    [Fact]
    public void Matmul_TransposedOperands_UseViewsCorrectly()
    {
        var a = Tensor.Randn([4, 3], new Generator(9));
        var b = Tensor.Randn([5, 4], new Generator(10));
        AssertClose.Equal(a.T.Contiguous().Matmul(b.T.Contiguous()), a.T.Matmul(b.T));
    }

    [Fact]
    public void Matmul_InnerMismatch_NamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Matmul(Tensor.Zeros(4, 5)));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(4, 5)", ex.Message);
    }

    [Fact]
    public void Cat_Stack_Split_Chunk()
    {
        var a = Tensor.Arange(6).Reshape(2, 3);
        var b = Tensor.Arange(6, 10).Reshape(2, 2);
        var c = Tensor.Cat([a, b], 1);
        Assert.Equal(new[] { 0f, 1, 2, 6, 7, 3, 4, 5, 8, 9 }, c.ToArray());
        var s = Tensor.Stack([a, a], 0);
        Assert.Equal(new Shape(2, 2, 3), s.Shape);
        var parts = c.Split([3, 2], 1);
        Assert.Equal(a.ToArray(), parts[0].ToArray());
        Assert.Equal(3, Tensor.Arange(7).Chunk(3).Length);
    }

    [Fact]
    public void Cat_Mismatch_NamesShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)], 1));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(3, 3)", ex.Message);
    }

    [Fact]
    public void Where_Clamp_Comparisons()
    {
        var x = Tensor.FromArray([-2f, -0.5f, 0.5f, 2f]);
        Assert.Equal(new[] { -1f, -0.5f, 0.5f, 1f }, x.Clamp(-1, 1).ToArray());
        Assert.Equal(new[] { 0f, 0, 1, 1 }, x.Gt(0).ToArray());
        Assert.Equal(new[] { 0f, 0, 0.5f, 2 }, Tensor.Where(x.Gt(0), x, Tensor.Zeros(4)).ToArray());
        var inf = Tensor.FromArray([float.PositiveInfinity, 1f]);
        Assert.Equal(new[] { 0f, 1f }, Tensor.Where(Tensor.FromArray([0f, 1f]), inf, Tensor.Zeros(2)).ToArray());
    }

    [Fact]
    public void Int64Labels_CompareWithArgmax()
    {
        var logits = Tensor.FromArray([0.1f, 0.9f, 0.8f, 0.2f], 2, 2);
        var labels = Tensor.FromArray(new long[] { 1, 1 });
        Assert.Equal(0.5f, logits.Argmax(1).Eq(labels).Mean().Item());
    }

    [Fact]
    public void Round_IsHalfToEven_LikeTorch()
    {
        Assert.Equal(new[] { 0f, 2, 2, -2 }, Tensor.FromArray([0.5f, 1.5f, 2.5f, -2.5f]).Round().ToArray());
    }

    [Fact]
    public void CopyFrom_IntoStridedView()
    {
        var z = Tensor.Zeros(3, 3);
        z.Slice(1, 0, 3, 2).CopyFrom(Tensor.Ones(3, 2));
        Assert.Equal(new[] { 1f, 0, 1, 1, 0, 1, 1, 0, 1 }, z.ToArray());
    }

    [Fact]
    public void InPlace_OnTensorRequiringGrad_Throws()
    {
        var p = Tensor.Ones(2).RequiresGrad_();
        Assert.Throws<InvalidOperationException>(() => p.Mul_(2f));
        using (Torch.NoGrad()) p.Mul_(2f);
        Assert.Equal(new[] { 2f, 2 }, p.ToArray());
    }
}
