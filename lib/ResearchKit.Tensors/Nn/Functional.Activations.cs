using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Nn;

public static partial class Functional
{
    // ───────────────────────────── pointwise activations ─────────────────────────────

    /// <summary>max(x, 0) (<c>F.relu</c>); the derivative at 0 is 0, as in PyTorch.</summary>
    public static Tensor Relu(Tensor x) => x.Relu();

    /// <summary>x if x &gt; 0 else slope·x (<c>F.leaky_relu</c>).</summary>
    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f) => x.LeakyRelu(negativeSlope);

    /// <summary>x if x &gt; 0 else α(eˣ − 1) (<c>F.elu</c>).</summary>
    public static Tensor Elu(Tensor x, float alpha = 1f) => x.Elu(alpha);

    /// <summary>x·σ(x) (<c>F.silu</c>).</summary>
    public static Tensor Silu(Tensor x) => x.Silu();

    /// <summary>1/(1 + e⁻ˣ) (<c>torch.sigmoid</c>).</summary>
    public static Tensor Sigmoid(Tensor x) => x.Sigmoid();

    /// <summary>Hyperbolic tangent (<c>torch.tanh</c>).</summary>
    public static Tensor Tanh(Tensor x) => x.Tanh();

    /// <summary>log(1 + e^{βx})/β, linear where βx &gt; threshold (<c>F.softplus</c>).</summary>
    public static Tensor Softplus(Tensor x, float beta = 1f, float threshold = 20f) => x.Softplus(beta, threshold);

    /// <summary>
    /// GELU (<c>F.gelu</c>). <paramref name="approximate"/> "none": x·Φ(x) with an accurate erf (error &lt; 1e-12 before
    /// rounding to float); "tanh": 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither "none" nor "tanh".</exception>
    public static Tensor Gelu(Tensor x, string approximate = "none")
    {
        ThrowHelper.RequireFloat("Gelu", x);
        if (approximate == "tanh") return x.GeluTanh();
        if (approximate != "none") throw new ArgumentException($"Gelu: approximate must be 'none' or 'tanh', got '{approximate}'.");
        var src = x.ReadSpan();
        var y = Tensor.Empty((int[])x._shape.Clone());
        var d = y.F;
        for (int i = 0; i < d.Length; i++) { double v = src[i]; d[i] = (float)(v * SpecialFunctions.NormalCdf(v)); }
        return Tensor.Record(y, "gelu", x, g => g * GeluDerivative(x));
    }

    /// <summary>d gelu/dx = Φ(x) + x·φ(x), itself differentiable (second derivative φ(x)(2 − x²)) for createGraph.</summary>
    private static Tensor GeluDerivative(Tensor x)
    {
        var src = x.ReadSpan();
        var r = Tensor.Empty((int[])x._shape.Clone());
        var d = r.F;
        for (int i = 0; i < d.Length; i++) { double v = src[i]; d[i] = (float)(SpecialFunctions.NormalCdf(v) + v * SpecialFunctions.NormalPdf(v)); }
        return Tensor.Record(r, "gelu_backward", x, g => g * ((x.Square() * -0.5f).Exp() * 0.3989422804f * (2f - x.Square())));
    }

    /// <summary>
    /// Clamps into [min, max] (<c>F.hardtanh</c>); the gradient is zero at and beyond the bounds, as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="min"/> &gt; <paramref name="max"/>.</exception>
    public static Tensor Hardtanh(Tensor x, float min = -1f, float max = 1f)
    {
        ThrowHelper.RequireFloat("Hardtanh", x);
        if (min > max) throw new ArgumentException($"Hardtanh: min ({min}) must not exceed max ({max}).");
        var src = x.ReadSpan();
        var y = Tensor.Empty((int[])x._shape.Clone());
        var d = y.F.AsSpan(0, y.Numel);
        TensorPrimitives.Max(src, min, d);
        TensorPrimitives.Min(d, max, d);
        return Tensor.Record(y, "hardtanh", x, g =>
        {
            var xs = x.ReadSpan();
            var maskT = Tensor.Empty((int[])x._shape.Clone());
            var mask = maskT.F;
            for (int i = 0; i < mask.Length; i++) mask[i] = xs[i] > min && xs[i] < max ? 1f : 0f;
            return g * maskT;
        });
    }

    /// <summary>min(max(x, 0), 6) (<c>F.relu6</c>, PyTorch's hardtanh(x, 0, 6)).</summary>
    public static Tensor Relu6(Tensor x) => Hardtanh(x, 0f, 6f);

    // ───────────────────────────── softmax family ─────────────────────────────

    /// <summary>
    /// Softmax along <paramref name="dim"/> (<c>F.softmax</c>), max-shifted for stability.
    /// Fused backward: gx = y ⊙ (g − Σ g ⊙ y).
    /// </summary>
    public static Tensor Softmax(Tensor x, int dim) => SoftmaxCore(x, dim, log: false);

    /// <summary>
    /// log(softmax(x)) along <paramref name="dim"/> (<c>F.log_softmax</c>) computed as x − max − log Σ e^{x−max}.
    /// Fused backward: gx = g − softmax(x)·Σ g.
    /// </summary>
    public static Tensor LogSoftmax(Tensor x, int dim) => SoftmaxCore(x, dim, log: true);

    /// <summary>(outer, n, inner) view of a shape around dimension <paramref name="d"/>.</summary>
    internal static (int Outer, int N, int Inner) Around(int[] shape, int d)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape.Length == 0 ? 1 : shape[d], inner);
    }

    private static Tensor SoftmaxCore(Tensor x, int dim, bool log)
    {
        string op = log ? "LogSoftmax" : "Softmax";
        ThrowHelper.RequireFloat(op, x);
        int d = ShapeUtil.NormDim(dim, x.Dim, op);
        var shape = x._shape;
        if (x._dev is not null) return SoftmaxOnDevice(x, d, log);
        var (outer, n, inner) = Around(shape, d);
        var xd = Dense(x);
        var y = Tensor.Empty((int[])shape.Clone());
        SoftmaxKernels.Forward(xd.F, xd._offset, y.F, outer, n, inner, log);
        int rd = x.Dim == 0 ? 0 : d;
        return Tensor.Record(y, log ? "log_softmax" : "softmax", x, g =>
        {
            if (GradMode.IsEnabled)
                return x.Dim == 0 ? g * 0f : log ? g - y.Exp() * g.Sum(rd, keepDim: true) : y * (g - (g * y).Sum(rd, keepDim: true));
            var gd = Dense(g);
            var gx = Tensor.Empty((int[])shape.Clone());
            SoftmaxKernels.Backward(gd.F, gd._offset, y.F, 0, gx.F, outer, n, inner, log);
            return gx;
        });
    }
}
