namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Parameter initializers, like <c>torch.nn.init</c>. Each fills a tensor in place under no-grad (so parameters can be
/// initialized directly) from an optional <see cref="Generator"/> (default <see cref="Generator.Default"/>) and returns it.
/// </summary>
/// <remarks>Fan computations follow <c>torch.nn.init._calculate_fan_in_and_fan_out</c>: for a weight of shape
/// (out, in, k1, k2, …) the receptive field is k1·k2·…, fan_in = in·receptive, fan_out = out·receptive.</remarks>
public static class Init
{
    private static readonly string[] Nonlinearities =
        ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"];

    /// <summary>
    /// Recommended gain for a nonlinearity (<c>calculate_gain</c>): 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu,
    /// √(2/(1+slope²)) for leaky_relu (slope = <paramref name="param"/>, default 0.01), 3/4 for selu.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown nonlinearity (the supported ones are listed).</exception>
    public static float CalculateGain(string nonlinearity, float? param = null) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" or "sigmoid" => 1f,
        "tanh" => 5f / 3f,
        "relu" => MathF.Sqrt(2f),
        "leaky_relu" => (float)Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01f, 2))),
        "selu" => 0.75f,
        _ => throw new ArgumentException($"Init.CalculateGain: unsupported nonlinearity '{nonlinearity}'; expected one of {string.Join(", ", Nonlinearities)}."),
    };

    /// <summary>(fan_in, fan_out) of a weight with at least 2 dims (<c>_calculate_fan_in_and_fan_out</c>).</summary>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions.</exception>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        if (tensor.Dim < 2)
            throw new ArgumentException($"Init: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape {tensor.Shape}); fan-based initializers need a weight such as (out, in) or (out, in, kh, kw).");
        int receptive = 1;
        for (int i = 2; i < tensor.Dim; i++) receptive *= tensor.Size(i);
        return (tensor.Size(1) * receptive, tensor.Size(0) * receptive);
    }

    private static int Fan(Tensor t, string mode)
    {
        if (mode != "fan_in" && mode != "fan_out")
            throw new ArgumentException($"Init: mode '{mode}' is not supported; use 'fan_in' or 'fan_out'.");
        var (fi, fo) = CalculateFanInAndFanOut(t);
        return mode == "fan_in" ? fi : fo;
    }

    /// <summary>Writes dense row-major <paramref name="values"/> into <paramref name="t"/> under no-grad.</summary>
    private static Tensor Write(Tensor t, float[] values)
    {
        ThrowHelper.RequireFloat("Init", t);
        using (Torch.NoGrad())
        {
            if (t.IsContiguous) values.AsSpan(0, t.Numel).CopyTo(t.WriteSpan());
            else t.CopyFrom(new Tensor(values, t.Shape.ToArray()));
        }
        return t;
    }

    /// <summary>Fills with samples from U(<paramref name="a"/>, <paramref name="b"/>) (<c>uniform_</c>).</summary>
    public static Tensor Uniform_(Tensor tensor, float a = 0f, float b = 1f, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var v = new float[tensor.Numel];
        for (int i = 0; i < v.Length; i++) v[i] = a + (b - a) * g.NextFloat();
        return Write(tensor, v);
    }

    /// <summary>Fills with samples from N(<paramref name="mean"/>, <paramref name="std"/>²) (<c>normal_</c>).</summary>
    public static Tensor Normal_(Tensor tensor, float mean = 0f, float std = 1f, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var v = new float[tensor.Numel];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(mean + std * g.NextNormal());
        return Write(tensor, v);
    }

    /// <summary>
    /// Fills with N(mean, std²) samples truncated to [<paramref name="a"/>, <paramref name="b"/>] (<c>trunc_normal_</c>).
    /// Rejection sampling when the interval keeps ≥ 5 % of the mass, else inverse-CDF sampling by bisection.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="a"/> ≥ <paramref name="b"/> or std ≤ 0.</exception>
    public static Tensor TruncNormal_(Tensor tensor, float mean = 0f, float std = 1f, float a = -2f, float b = 2f, Generator? generator = null)
    {
        if (!(a < b)) throw new ArgumentException($"Init.TruncNormal_: the lower bound a ({a}) must be below the upper bound b ({b}).");
        if (!(std > 0)) throw new ArgumentException($"Init.TruncNormal_: std must be positive, got {std}.");
        var g = generator ?? Generator.Default;
        double lo = (a - mean) / (double)std, hi = (b - mean) / (double)std;
        double clo = SpecialFunctions.NormalCdf(lo), chi = SpecialFunctions.NormalCdf(hi);
        var v = new float[tensor.Numel];
        for (int i = 0; i < v.Length; i++)
        {
            double z;
            if (chi - clo >= 0.05)
                do z = g.NextNormal(); while (z < lo || z > hi);
            else
            {
                double u = clo + (chi - clo) * g.NextDouble(), l = lo, h = hi;
                for (int it = 0; it < 60; it++) { double mid = 0.5 * (l + h); if (SpecialFunctions.NormalCdf(mid) < u) l = mid; else h = mid; }
                z = 0.5 * (l + h);
            }
            v[i] = Math.Clamp((float)(mean + std * z), a, b);
        }
        return Write(tensor, v);
    }

    /// <summary>Fills with a constant (<c>constant_</c>).</summary>
    public static Tensor Constant_(Tensor tensor, float value)
    {
        using (Torch.NoGrad()) return tensor.Fill_(value);
    }

    /// <summary>Fills with zeros (<c>zeros_</c>).</summary>
    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0f);

    /// <summary>Fills with ones (<c>ones_</c>).</summary>
    public static Tensor Ones_(Tensor tensor) => Constant_(tensor, 1f);

    /// <summary>Sets a 2-D tensor to the identity (ones on the main diagonal) (<c>eye_</c>).</summary>
    /// <exception cref="ArgumentException">The tensor is not 2-D.</exception>
    public static Tensor Eye_(Tensor tensor)
    {
        if (tensor.Dim != 2) throw new ArgumentException($"Init.Eye_: only 2-D tensors are supported, got shape {tensor.Shape}.");
        int r = tensor.Size(0), c = tensor.Size(1);
        var v = new float[r * c];
        for (int i = 0; i < Math.Min(r, c); i++) v[i * c + i] = 1f;
        return Write(tensor, v);
    }

    /// <summary>Glorot uniform: U(−a, a) with a = gain·√(6/(fan_in + fan_out)) (<c>xavier_uniform_</c>).</summary>
    public static Tensor XavierUniform_(Tensor tensor, float gain = 1f, Generator? generator = null)
    {
        var (fi, fo) = CalculateFanInAndFanOut(tensor);
        float a = (float)(gain * Math.Sqrt(2.0 / (fi + fo)) * Math.Sqrt(3.0));
        return Uniform_(tensor, -a, a, generator);
    }

    /// <summary>Glorot normal: N(0, std²) with std = gain·√(2/(fan_in + fan_out)) (<c>xavier_normal_</c>).</summary>
    public static Tensor XavierNormal_(Tensor tensor, float gain = 1f, Generator? generator = null)
    {
        var (fi, fo) = CalculateFanInAndFanOut(tensor);
        return Normal_(tensor, 0f, (float)(gain * Math.Sqrt(2.0 / (fi + fo))), generator);
    }

    /// <summary>
    /// He uniform: U(−bound, bound) with bound = gain·√(3/fan), gain = <see cref="CalculateGain"/>(nonlinearity, a)
    /// (<c>kaiming_uniform_</c>). PyTorch's Linear/Conv default is a = √5, giving bound = 1/√fan_in.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 dims, or an unknown mode or nonlinearity.</exception>
    public static Tensor KaimingUniform_(Tensor tensor, float a = 0f, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        if (tensor.Numel == 0) return tensor;
        int fan = Fan(tensor, mode);
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
        float bound = (float)(Math.Sqrt(3.0) * std);
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>He normal: N(0, std²) with std = gain/√fan (<c>kaiming_normal_</c>).</summary>
    /// <exception cref="ArgumentException">Fewer than 2 dims, or an unknown mode or nonlinearity.</exception>
    public static Tensor KaimingNormal_(Tensor tensor, float a = 0f, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        if (tensor.Numel == 0) return tensor;
        int fan = Fan(tensor, mode);
        return Normal_(tensor, 0f, (float)(CalculateGain(nonlinearity, a) / Math.Sqrt(fan)), generator);
    }

    /// <summary>
    /// (Semi-)orthogonal init (<c>orthogonal_</c>): the tensor viewed as (rows, numel/rows) gets orthonormal rows or columns,
    /// times <paramref name="gain"/>. Q comes from the QR decomposition of a standard normal matrix with diag(R) &gt; 0,
    /// which is what PyTorch's sign correction produces (computed in double by twice-iterated modified Gram–Schmidt).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions.</exception>
    public static Tensor Orthogonal_(Tensor tensor, float gain = 1f, Generator? generator = null)
    {
        if (tensor.Dim < 2) throw new ArgumentException($"Init.Orthogonal_: only tensors with 2 or more dimensions are supported, got shape {tensor.Shape}.");
        if (tensor.Numel == 0) return tensor;
        var g = generator ?? Generator.Default;
        int rows = tensor.Size(0), cols = tensor.Numel / rows;
        bool wide = rows < cols;
        int m = Math.Max(rows, cols), n = Math.Min(rows, cols);
        // Columns of the tall m×n matrix A; sample row-major (rows × cols) like PyTorch's flattened normal, then transpose if wide.
        var sample = new double[rows * cols];
        for (int i = 0; i < sample.Length; i++) sample[i] = g.NextNormal();
        var q = new double[n][];
        for (int j = 0; j < n; j++)
        {
            var col = new double[m];
            for (int i = 0; i < m; i++) col[i] = wide ? sample[j * cols + i] : sample[i * cols + j];
            for (int pass = 0; pass < 2; pass++)
                for (int k = 0; k < j; k++)
                {
                    double dot = 0;
                    for (int i = 0; i < m; i++) dot += q[k][i] * col[i];
                    for (int i = 0; i < m; i++) col[i] -= dot * q[k][i];
                }
            double norm = 0;
            for (int i = 0; i < m; i++) norm += col[i] * col[i];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < m; i++) col[i] /= norm;
            q[j] = col;
        }
        var v = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                v[r * cols + c] = (float)(gain * (wide ? q[r][c] : q[c][r]));
        return Write(tensor, v);
    }
}
