using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>Finite-difference checks of every differentiable functional op, including second-order (createGraph) paths.</summary>
public class FunctionalGradChecks
{
    /// <summary>Moves values within <paramref name="gap"/> of any kink away from it, so central differences stay smooth.</summary>
    private static Tensor AvoidKinks(Tensor leaf, float gap, params float[] kinks)
    {
        using (Torch.NoGrad())
        {
            var d = leaf.AsSpan();
            for (int i = 0; i < d.Length; i++)
                foreach (float k in kinks)
                    if (MathF.Abs(d[i] - k) < gap) d[i] = k + (d[i] >= k ? gap : -gap) * 1.5f;
        }
        return leaf;
    }

    private static Tensor Scaled(int seed, float scale, params int[] shape)
    {
        var t = Tensor.Uniform(shape, -scale, scale, new Generator(seed));
        return t.RequiresGrad_();
    }

    public static TheoryData<string> Activations => new()
    {
        "relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh", "softplus", "hardtanh", "relu6",
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation(string op)
    {
        var x = op == "relu6" ? Scaled(1, 8f, 4, 6) : Scaled(1, 2.5f, 4, 6);
        AvoidKinks(x, 0.05f, op switch { "hardtanh" => [-1f, 1f], "relu6" => [0f, 6f], _ => [0f] });
        GradCheck.Check(t => op switch
        {
            "relu" => F.Relu(t[0]), "leaky_relu" => F.LeakyRelu(t[0], 0.2f), "elu" => F.Elu(t[0], 0.7f),
            "gelu" => F.Gelu(t[0]), "gelu_tanh" => F.Gelu(t[0], "tanh"), "silu" => F.Silu(t[0]),
            "sigmoid" => F.Sigmoid(t[0]), "tanh" => F.Tanh(t[0]), "softplus" => F.Softplus(t[0], 2f),
            "hardtanh" => F.Hardtanh(t[0]), "relu6" => F.Relu6(t[0]),
            _ => throw new ArgumentException(op),
        }, [x]);
    }

    [Theory]
    [InlineData(new[] { 3, 5 }, 1)]
    [InlineData(new[] { 3, 5 }, -1)]
    [InlineData(new[] { 4, 3, 2 }, 0)]
    [InlineData(new[] { 2, 3, 4 }, 1)]
    [InlineData(new[] { 7 }, 0)]
    public void SoftmaxAndLogSoftmax(int[] shape, int dim)
    {
        var x = Scaled(2, 3f, shape);
        GradCheck.Check(t => F.Softmax(t[0], dim), [x]);
        GradCheck.Check(t => F.LogSoftmax(t[0], dim), [x]);
    }

    [Theory]
    [InlineData(new[] { 6, 4 })]
    [InlineData(new[] { 4, 3, 5 })]
    [InlineData(new[] { 3, 2, 4, 4 })]
    public void BatchNormTraining_XWeightBias(int[] shape)
    {
        int c = shape[1];
        var x = Scaled(3, 2f, shape);
        var w = GradCheck.PositiveLeaf(4, c);
        var b = GradCheck.Leaf(5, c);
        GradCheck.Check(t => F.BatchNorm(t[0], null, null, t[1], t[2], training: true), [x, w, b], eps: 3e-3f);
    }

    [Fact]
    public void BatchNormEval_XWeightBias()
    {
        var x = Scaled(6, 2f, 3, 2, 4, 4);
        var rm = Tensor.FromArray([0.3f, -0.2f]);
        var rv = Tensor.FromArray([1.5f, 0.7f]);
        var w = GradCheck.PositiveLeaf(7, 2);
        var b = GradCheck.Leaf(8, 2);
        GradCheck.Check(t => F.BatchNorm(t[0], rm, rv, t[1], t[2], training: false), [x, w, b]);
    }

    [Fact]
    public void LayerNorm_WithAndWithoutAffine()
    {
        var x = Scaled(9, 2f, 3, 4, 5);
        var w = GradCheck.PositiveLeaf(10, 4, 5);
        var b = GradCheck.Leaf(11, 4, 5);
        GradCheck.Check(t => F.LayerNorm(t[0], [4, 5], t[1], t[2]), [x, w, b], eps: 3e-3f);
        GradCheck.Check(t => F.LayerNorm(t[0], [5]), [x], eps: 3e-3f);
    }

    [Fact]
    public void Embedding_WithRespectToWeight()
    {
        var idx = Tensor.FromArray(new long[] { 0, 1, 4, 1, 0, 9, 4, 4 }, 2, 4);
        var w = GradCheck.Leaf(12, 10, 3);
        GradCheck.Check(t => F.Embedding(idx, t[0]), [w]);
        // padding_idx: the forward still reads row 4, but its gradient is exactly zero (PyTorch); other rows unchanged.
        var g = Tensor.Randn([2, 4, 3], new Generator(3));
        w.Grad = null;
        F.Embedding(idx, w).Backward(g);
        var full = w.Grad!.ToArray();
        w.Grad = null;
        F.Embedding(idx, w, paddingIdx: 4).Backward(g);
        var padded = w.Grad!.ToArray();
        for (int i = 0; i < full.Length; i++) Assert.Equal(i / 3 == 4 ? 0f : full[i], padded[i]);
        Assert.Contains(full[12..15], v => v != 0f);
    }

    [Fact]
    public void Linear_2D_3D_1D_NoBias()
    {
        var w = GradCheck.Leaf(13, 4, 3);
        var b = GradCheck.Leaf(14, 4);
        GradCheck.Check(t => F.Linear(t[0], t[1], t[2]), [GradCheck.Leaf(15, 5, 3), w, b]);
        GradCheck.Check(t => F.Linear(t[0], t[1], t[2]), [GradCheck.Leaf(16, 2, 3, 3), w, b]);
        GradCheck.Check(t => F.Linear(t[0], t[1]), [GradCheck.Leaf(17, 3), w]);
        // A transposed (non-contiguous) input.
        GradCheck.Check(t => F.Linear(t[0].T, t[1], t[2]), [GradCheck.Leaf(18, 3, 5), w, b]);
    }

    public static TheoryData<string> CrossEntropyCases => new()
    {
        "mean", "sum", "none", "weight", "ignore", "smooth", "weight_smooth_ignore", "spatial", "spatial_weight_smooth", "vector",
    };

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    public void CrossEntropy_WithRespectToLogits(string c)
    {
        var cw = Tensor.FromArray([0.5f, 2f, 1f, 0.25f, 1.5f]);
        var t1 = Tensor.FromArray(new long[] { 0, 3, 4, 1, 2, 3 }, 6);
        var tIgn = Tensor.FromArray(new long[] { 0, -100, 4, 1, -100, 3 }, 6);
        var tSp = Tensor.FromArray(new long[] { 0, 4, 2, 1, 3, 3, 0, 2 }, 2, 2, 2);
        Func<Tensor[], Tensor> f = c switch
        {
            "mean" => t => F.CrossEntropy(t[0], t1),
            "sum" => t => F.CrossEntropy(t[0], t1, reduction: "sum"),
            "none" => t => F.CrossEntropy(t[0], t1, reduction: "none"),
            "weight" => t => F.CrossEntropy(t[0], t1, cw),
            "ignore" => t => F.CrossEntropy(t[0], tIgn),
            "smooth" => t => F.CrossEntropy(t[0], t1, labelSmoothing: 0.2f),
            "weight_smooth_ignore" => t => F.CrossEntropy(t[0], tIgn, cw, labelSmoothing: 0.3f),
            "spatial" => t => F.CrossEntropy(t[0], tSp, reduction: "none"),
            "spatial_weight_smooth" => t => F.CrossEntropy(t[0], tSp, cw, labelSmoothing: 0.1f),
            "vector" => t => F.CrossEntropy(t[0], Tensor.FromArray(new long[] { 3 }, Array.Empty<int>()), labelSmoothing: 0.1f),
            _ => throw new ArgumentException(c),
        };
        int[] shape = c.StartsWith("spatial") ? [2, 5, 2, 2] : c == "vector" ? [5] : [6, 5];
        GradCheck.Check(f, [Scaled(19, 2f, shape)]);
    }

    [Fact]
    public void NllLoss_Reductions_WeightsAndIgnore()
    {
        var cw = Tensor.FromArray([0.5f, 2f, 1f, 0.25f, 1.5f]);
        var tgt = Tensor.FromArray(new long[] { 0, -100, 4, 1, 2, 3 }, 6);
        var x = Scaled(20, 2f, 6, 5);
        GradCheck.Check(t => F.NllLoss(t[0], tgt, cw), [x]);
        GradCheck.Check(t => F.NllLoss(t[0], tgt, reduction: "sum"), [x]);
        GradCheck.Check(t => F.NllLoss(t[0], tgt, reduction: "none"), [x]);
    }

    [Fact]
    public void RegressionLosses_InputAndTarget()
    {
        var x = Scaled(21, 2f, 3, 4);
        var y = Scaled(22, 2f, 3, 4);
        // |x − y| must avoid 0 (L1) and β = 0.5 (smooth L1).
        using (Torch.NoGrad())
        {
            var xd = x.AsSpan(); var yd = y.AsSpan();
            for (int i = 0; i < xd.Length; i++)
            {
                float d = MathF.Abs(xd[i] - yd[i]);
                if (d < 0.05f || MathF.Abs(d - 0.5f) < 0.05f) xd[i] += 0.2f;
            }
        }
        foreach (var r in new[] { "mean", "sum", "none" })
        {
            GradCheck.Check(t => F.MseLoss(t[0], t[1], r), [x, y]);
            GradCheck.Check(t => F.L1Loss(t[0], t[1], r), [x, y]);
            GradCheck.Check(t => F.SmoothL1Loss(t[0], t[1], r, beta: 0.5f), [x, y]);
        }
    }

    [Fact]
    public void BinaryLosses_LogitsAndTargets()
    {
        var x = Scaled(23, 3f, 3, 4);
        var t = Tensor.Uniform([3, 4], 0.05f, 0.95f, new Generator(24)).RequiresGrad_();
        var w = Tensor.Uniform([4], 0.5f, 2f, new Generator(25));
        var pw = Tensor.Uniform([4], 0.5f, 3f, new Generator(26));
        GradCheck.Check(a => F.BinaryCrossEntropyWithLogits(a[0], a[1]), [x, t]);
        GradCheck.Check(a => F.BinaryCrossEntropyWithLogits(a[0], a[1], w, pw, "sum"), [x, t]);
        GradCheck.Check(a => F.BinaryCrossEntropyWithLogits(a[0], a[1], posWeight: pw, reduction: "none"), [x, t]);
        var p = Tensor.Uniform([3, 4], 0.1f, 0.9f, new Generator(27)).RequiresGrad_();
        GradCheck.Check(a => F.BinaryCrossEntropy(a[0], a[1]), [p, t], eps: 1e-3f);
        GradCheck.Check(a => F.BinaryCrossEntropy(a[0], a[1], w, "none"), [p, t], eps: 1e-3f);
    }

    [Fact]
    public void KlDiv_InputAndTarget()
    {
        var logq = F.LogSoftmax(Tensor.Randn([3, 4], new Generator(28)), 1).Detach().RequiresGrad_();
        var p = Tensor.Uniform([3, 4], 0.1f, 0.9f, new Generator(29)).RequiresGrad_();
        foreach (var r in new[] { "mean", "batchmean", "sum", "none" })
        {
            GradCheck.Check(a => F.KlDiv(a[0], a[1], r), [logq, p]);
            GradCheck.Check(a => F.KlDiv(a[0], a[1], r, logTarget: true), [logq, p]);
        }
    }

    [Fact]
    public void CosineSimilarity_Normalize_PairwiseDistance()
    {
        var a = Scaled(30, 2f, 3, 5);
        var b = Scaled(31, 2f, 3, 5);
        GradCheck.Check(t => F.CosineSimilarity(t[0], t[1]), [a, b]);
        GradCheck.Check(t => F.CosineSimilarity(t[0], t[1], dim: 0), [a, b]);
        GradCheck.Check(t => F.Normalize(t[0]), [a]);
        GradCheck.Check(t => F.Normalize(t[0], p: 1f, dim: 0), [a]);
        GradCheck.Check(t => F.PairwiseDistance(t[0], t[1]), [a, b]);
    }

    [Fact]
    public void Dropout_WithFixedMask()
    {
        var x = Scaled(32, 2f, 4, 5);
        GradCheck.Check(t => F.Dropout(t[0], 0.4f, true, new Generator(7)), [x]);
    }

    /// <summary>
    /// Second order: finite differences of the createGraph gradient (a Hessian-vector check) for ops whose first-order
    /// backward is a fused kernel; it must switch to the differentiable formulas.
    /// </summary>
    public static TheoryData<string> SecondOrderOps => new()
    {
        "softmax", "log_softmax", "cross_entropy", "cross_entropy_smooth_weight", "batch_norm", "batch_norm_eval", "layer_norm", "linear", "gelu",
        "bce_logits", "embedding",
    };

    [Theory]
    [MemberData(nameof(SecondOrderOps))]
    public void SecondOrder_ViaCreateGraph(string op)
    {
        var tgt = Tensor.FromArray(new long[] { 1, 0, 3, 2 }, 4);
        var cw = Tensor.FromArray([0.5f, 2f, 1f, 1.5f]);
        var w = Tensor.Uniform([4, 4], 0.5f, 1.5f, new Generator(33));
        Func<Tensor, Tensor> loss = op switch
        {
            "softmax" => x => (F.Softmax(x, 1) * w).Square().Sum(),
            "log_softmax" => x => (F.LogSoftmax(x, 1) * w).Square().Sum(),
            "cross_entropy" => x => F.CrossEntropy(x * w, tgt),
            "cross_entropy_smooth_weight" => x => F.CrossEntropy(x * w, tgt, cw, labelSmoothing: 0.2f),
            "batch_norm" => x => (F.BatchNorm(x, null, null, cw, cw, training: true) * w).Square().Sum(),
            "batch_norm_eval" => x => (F.BatchNorm(x * x, cw, cw, cw, cw, training: false) * w).Sum(),
            "layer_norm" => x => (F.LayerNorm(x, [4], cw, cw) * w).Square().Sum(),
            "linear" => x => F.Linear(x, x * w, cw).Square().Sum(),
            "gelu" => x => (F.Gelu(x) * w).Sum(),
            "bce_logits" => x => F.BinaryCrossEntropyWithLogits(x, w - 0.5f, posWeight: cw),
            "embedding" => x => F.Embedding(tgt, x * x).Square().Sum(),
            _ => throw new ArgumentException(op),
        };
        var x0 = Scaled(34, 1.5f, 4, 4);
        GradCheck.Check(t =>
        {
            using (Torch.EnableGrad()) return Autograd.Grad(loss(t[0]), t[0], createGraph: true);
        }, [x0]);
    }
}
