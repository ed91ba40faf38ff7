using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.AutogradEngine;

/// <summary>Finite-difference checks for every differentiable core op (elementwise, views, reductions, products).</summary>
public class CoreOpGradChecks
{
    public static TheoryData<string> UnaryOps => new()
    {
        "neg", "exp", "log", "sqrt", "rsqrt", "reciprocal", "square", "pow2.5", "abs", "sin", "cos", "tanh", "sigmoid",
        "relu", "leaky_relu", "elu", "silu", "gelu_tanh", "softplus", "clamp", "clone",
    };

    private static Tensor ApplyUnary(string op, Tensor x) => op switch
    {
        "neg" => -x, "exp" => x.Exp(), "log" => x.Log(), "sqrt" => x.Sqrt(), "rsqrt" => x.Rsqrt(),
        "reciprocal" => x.Reciprocal(), "square" => x.Square(), "pow2.5" => x.Pow(2.5f), "abs" => x.Abs(),
        "sin" => x.Sin(), "cos" => x.Cos(), "tanh" => x.Tanh(), "sigmoid" => x.Sigmoid(), "relu" => x.Relu(),
        "leaky_relu" => x.LeakyRelu(0.1f), "elu" => x.Elu(), "silu" => x.Silu(), "gelu_tanh" => x.GeluTanh(),
        "softplus" => x.Softplus(), "clamp" => x.Clamp(-0.5f, 0.5f), "clone" => x.Clone(),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Unary(string op)
    {
        bool positive = op is "log" or "sqrt" or "rsqrt" or "reciprocal" or "pow2.5";
        var x = positive ? GradCheck.PositiveLeaf(1, 3, 4) : GradCheck.Leaf(1, 3, 4);
        // Keep kinks (0 for relu/abs, ±0.5 for clamp) out of the finite-difference window.
        if (!positive)
            using (Torch.NoGrad())
            {
                var d = x.AsSpan();
                for (int i = 0; i < d.Length; i++)
                    if (MathF.Abs(d[i]) < 0.05f || MathF.Abs(MathF.Abs(d[i]) - 0.5f) < 0.05f) d[i] += 0.15f;
            }
        GradCheck.Check(t => ApplyUnary(op, t[0]), [x]);
    }

    [Theory]
    [InlineData("add")] [InlineData("sub")] [InlineData("mul")] [InlineData("div")] [InlineData("pow")]
    [InlineData("maximum")] [InlineData("minimum")] [InlineData("where")]
    public void Binary_WithBroadcasting(string op)
    {
        var a = GradCheck.PositiveLeaf(2, 2, 3, 4);
        var b = GradCheck.PositiveLeaf(3, 3, 1);
        var cond = Tensor.Bernoulli([2, 3, 4], 0.5f, new Generator(9));
        // maximum/minimum have a kink where a == b: keep every pair further apart than the finite-difference step.
        using (Torch.NoGrad())
        {
            var ad = a.AsSpan(); var bd = b.AsSpan();
            for (int i = 0; i < ad.Length; i++)
                if (MathF.Abs(ad[i] - bd[(i / 4) % 3]) < 0.05f) ad[i] += 0.1f;
        }
        GradCheck.Check(t => op switch
        {
            "add" => t[0] + t[1], "sub" => t[0] - t[1], "mul" => t[0] * t[1], "div" => t[0] / t[1],
            "pow" => t[0].Pow(t[1]), "maximum" => Tensor.Maximum(t[0], t[1]), "minimum" => Tensor.Minimum(t[0], t[1]),
            "where" => Tensor.Where(cond, t[0], t[1]),
            _ => throw new ArgumentException(op),
        }, [a, b]);
    }

    [Fact]
    public void Movement_PermuteSliceExpandSelectCat()
    {
        var a = GradCheck.Leaf(4, 2, 3, 4);
        var b = GradCheck.Leaf(5, 2, 1, 4);
        GradCheck.Check(t =>
        {
            var p = t[0].Permute(2, 0, 1).Slice(0, 1, 4, 2);          // (2, 2, 3)
            var e = t[1].Expand(2, 3, 4).Transpose(1, 2).Select(1, 0); // (2, 3)
            var c = Tensor.Cat([p.Reshape(2, 6), e, t[0].Narrow(2, 1, 2).Flatten(1)], 1);
            return Tensor.Stack([c, c * 2f], 1).Unsqueeze(0).Squeeze(0);
        }, [a, b]);
    }

    [Fact]
    public void Reductions_SumMeanVarStdMaxNormLogSumExp()
    {
        var a = GradCheck.Leaf(6, 3, 4, 5);
        GradCheck.Check(t => t[0].Sum([0, 2]), [a]);
        GradCheck.Check(t => t[0].Mean(1, keepDim: true), [a]);
        GradCheck.Check(t => t[0].Var([2]), [a]);
        GradCheck.Check(t => t[0].Std([0, 1], correction: 0), [a]);
        // max/min have kinks at ties: use a permutation of well-separated values (gaps 1/30 ≫ eps).
        var s = (Tensor.Randperm(60, new Generator(6)).Float() / 30f - 1f).Reshape(3, 4, 5).RequiresGrad_();
        GradCheck.Check(t => t[0].Max(1).Values, [s], eps: 1e-3f);
        GradCheck.Check(t => t[0].Min(-1, keepDim: true).Values, [s], eps: 1e-3f);
        GradCheck.Check(t => t[0].Max().Reshape(1), [s], eps: 1e-3f);
        GradCheck.Check(t => t[0].Norm(2, [1]), [a]);
        GradCheck.Check(t => t[0].Norm(3, [2]), [a]);
        var sp = (Tensor.Randperm(60, new Generator(7)).Float() / 30f + 0.1f).Reshape(3, 4, 5).RequiresGrad_(); // |x| without ties or 0
        GradCheck.Check(t => t[0].Norm(float.PositiveInfinity, [2]), [sp], eps: 1e-3f);
        GradCheck.Check(t => (t[0] - 1.01f).Norm(1, [0]), [sp], eps: 1e-3f);
        GradCheck.Check(t => t[0].LogSumExp(2), [a]);
    }

    [Fact]
    public void Norm_AtZero_HasZeroGradient()
    {
        var z = Tensor.Zeros(2, 3).RequiresGrad_();
        z.Norm(2, [1]).Sum().Backward();
        Assert.Equal(new float[6], z.Grad!.ToArray());
    }

    [Fact]
    public void Products_MatmulBmmWithBatchBroadcastAndTransposes()
    {
        var a = GradCheck.Leaf(7, 2, 3, 4);
        var b = GradCheck.Leaf(8, 4, 5);
        var m = GradCheck.Leaf(9, 5, 4);
        GradCheck.Check(t => t[0].Matmul(t[1]), [a, b]);
        GradCheck.Check(t => t[0].Matmul(t[1].T), [a, m]);
        var c = GradCheck.Leaf(10, 2, 4, 2);
        GradCheck.Check(t => t[0].Bmm(t[1]), [a, c]);
        var v = GradCheck.Leaf(11, 4);
        GradCheck.Check(t => t[0].Matmul(t[1]), [b.Detach().T.Contiguous().RequiresGrad_(), v]);
    }
}
