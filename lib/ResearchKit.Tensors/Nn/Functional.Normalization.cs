namespace ResearchKit.Tensors.Nn;

public static partial class Functional
{
    // ───────────────────────────── batch norm ─────────────────────────────

    /// <summary>
    /// Batch normalization (<c>F.batch_norm</c>) over inputs <c>(N, C)</c>, <c>(N, C, L)</c>, <c>(N, C, H, W)</c> (any
    /// <c>(N, C, *)</c>): y = (x − μ_c)/√(σ²_c + ε)·γ_c + β_c.
    /// </summary>
    /// <remarks>
    /// Training: μ, σ² are the batch statistics over every dim but C, with the <b>biased</b> variance; when running
    /// stats are given they are updated in place (no autograd) as r ← (1−m)·r + m·stat with the <b>unbiased</b>
    /// variance for <paramref name="runningVar"/>. Evaluation: the running stats are used and left unchanged.
    /// Forward and backward are fused per-channel kernels (standard closed-form backward).
    /// </remarks>
    /// <param name="input">(N, C, *) Float32.</param>
    /// <param name="runningMean">Per-channel running mean (C), or null.</param>
    /// <param name="runningVar">Per-channel running variance (C), or null.</param>
    /// <param name="weight">γ (C), or null for 1.</param>
    /// <param name="bias">β (C), or null for 0.</param>
    /// <param name="training">Use batch statistics (and update the running ones).</param>
    /// <param name="momentum">Running-average factor m.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <exception cref="ArgumentException">Bad rank, per-channel tensors of the wrong size, one value per channel in
    /// training, or missing running stats in evaluation.</exception>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, float momentum = 0.1f, float eps = 1e-5f)
    {
        const string op = "BatchNorm";
        ThrowHelper.RequireFloat(op, input);
        if (input.Dim < 2) throw ThrowHelper.Rank(op, input, "an input of shape (N, C) or (N, C, *)");
        var shape = input._shape;
        var (n, c, s) = CheckedLayout(op, input, runningMean, runningVar, weight, bias);
        long m = (long)n * s;
        if (training && m <= 1)
            throw new ArgumentException($"{op}: expected more than 1 value per channel when training, got input of shape {input.Shape}; use a batch larger than 1 or eval mode.");
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException($"{op}: running_mean and running_var must be given in evaluation mode (training: false).");

        if (input._dev is not null || runningMean?._dev is not null || runningVar?._dev is not null || weight?._dev is not null || bias?._dev is not null)
            return BatchNormOnDevice(input, runningMean, runningVar, weight, bias, training, momentum, eps);
        // The closure keeps xd (the tensor), never its bare array: see Dense.
        var xd = Dense(input);
        var mean = new float[c]; var var = new float[c];
        if (training) BatchNormKernels.Stats(xd.F, xd._offset, n, c, s, mean, var);
        else { mean = runningMean!.ToArray(); var = runningVar!.ToArray(); }
        var (invstd, scale, shift) = NormConstants(mean, var, weight, bias, eps, c);
        var y = Tensor.Empty((int[])shape.Clone());
        BatchNormKernels.Affine(xd.F, xd._offset, y.F, n, c, s, scale, shift);

        if (training && (runningMean is not null || runningVar is not null))
            using (Torch.NoGrad())
            {
                double mom = momentum, unbias = (double)m / (m - 1);
                if (runningMean is not null)
                {
                    var r = runningMean.ToArray();
                    for (int ch = 0; ch < c; ch++) r[ch] = (float)((1 - mom) * r[ch] + mom * mean[ch]);
                    runningMean.CopyFrom(new Tensor(r, [c]));
                }
                if (runningVar is not null)
                {
                    var r = runningVar.ToArray();
                    for (int ch = 0; ch < c; ch++) r[ch] = (float)((1 - mom) * r[ch] + mom * var[ch] * unbias);
                    runningVar.CopyFrom(new Tensor(r, [c]));
                }
            }

        var inputs = new List<Tensor>(3) { input };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        return Tensor.Record(y, "batch_norm", inputs.ToArray(), g =>
        {
            bool nx = Tensor.Needs(input), nw = weight is not null && Tensor.Needs(weight), nb = bias is not null && Tensor.Needs(bias);
            Tensor? gx, gw = null, gb = null;
            if (GradMode.IsEnabled)
                (gx, gw, gb) = BatchNormGraphBackward(g, input, weight, training, mean, invstd, eps, c);
            else
            {
                var gd = Dense(g);
                var (ga, go, xa, xo) = (gd.F, gd._offset, xd.F, xd._offset);
                var sumG = new double[c]; var sumGX = new double[c];
                // In eval mode the sums serve only the affine parameters' gradients: an attack asking for the input's skips them.
                if (training || nw || nb) BatchNormKernels.GradSums(ga, go, xa, xo, n, c, s, mean, sumG, sumGX);
                if (nw) { var d = new float[c]; for (int ch = 0; ch < c; ch++) d[ch] = (float)(sumGX[ch] * invstd[ch]); gw = new Tensor(d, [c]); }
                if (nb) { var d = new float[c]; for (int ch = 0; ch < c; ch++) d[ch] = (float)sumG[ch]; gb = new Tensor(d, [c]); }
                gx = null;
                if (nx)
                {
                    var gxt = Tensor.Empty((int[])shape.Clone());
                    if (training)
                    {
                        var cm = new float[c]; var dm = new float[c];
                        for (int ch = 0; ch < c; ch++)
                        {
                            cm[ch] = (float)(sumG[ch] / m);
                            dm[ch] = (float)(sumGX[ch] / m * invstd[ch] * invstd[ch]);
                        }
                        BatchNormKernels.GradInput(ga, go, xa, xo, gxt.F, n, c, s, scale, cm, mean, dm);
                    }
                    else BatchNormKernels.Affine(ga, go, gxt.F, n, c, s, scale, new float[c]);
                    gx = gxt;
                }
            }
            var r = new Tensor?[inputs.Count];
            int k = 0;
            r[k++] = nx ? gx : null;
            if (weight is not null) r[k++] = nw ? gw : null;
            if (bias is not null) r[k] = nb ? gb : null;
            return r;
        });
    }

    // 1/√(σ² + ε), and the normalization folded into y = x·scale + shift, per channel (the one computation both batch-norm
    // forwards use, so their outputs agree bit for bit).
    private static (float[] Invstd, float[] Scale, float[] Shift) NormConstants(float[] mean, float[] var, Tensor? weight, Tensor? bias, float eps, int c)
    {
        var w = weight?.ToArray(); var b = bias?.ToArray();
        var invstd = new float[c]; var scale = new float[c]; var shift = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            invstd[ch] = (float)(1.0 / Math.Sqrt(var[ch] + (double)eps));
            scale[ch] = (w?[ch] ?? 1f) * invstd[ch];
            shift[ch] = (b?[ch] ?? 0f) - mean[ch] * scale[ch];
        }
        return (invstd, scale, shift);
    }

    /// <summary>
    /// <c>relu(batch_norm(input))</c> in evaluation mode (running statistics), in one pass over the data each way: the
    /// affine normalization and the ReLU per plane while it is in cache, and in backward the ReLU's mask and the
    /// normalization's scale together. The same float operations as <see cref="BatchNorm"/> then <see cref="Relu"/>, so the
    /// same bits, forward and backward (γ's and β's gradients too, which take ReLU's masked gradient as a tensor first). On a
    /// device it is those two ops.
    /// </summary>
    /// <param name="input">(N, C, *) Float32.</param>
    /// <param name="runningMean">Per-channel running mean (C).</param>
    /// <param name="runningVar">Per-channel running variance (C).</param>
    /// <param name="weight">γ (C), or null for 1.</param>
    /// <param name="bias">β (C), or null for 0.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <exception cref="ArgumentException">As <see cref="BatchNorm"/> in evaluation mode.</exception>
    public static Tensor BatchNormRelu(Tensor input, Tensor runningMean, Tensor runningVar, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        const string op = "BatchNormRelu";
        ArgumentNullException.ThrowIfNull(input);
        bool onDevice = input._dev is not null || runningMean?._dev is not null || runningVar?._dev is not null || weight?._dev is not null || bias?._dev is not null;
        if (onDevice || runningMean is null || runningVar is null || input.DType != DType.Float32 || input.Dim < 2)
            return BatchNorm(input, runningMean, runningVar, weight, bias, training: false, eps: eps).Relu();
        var shape = input._shape;
        var (n, c, s) = CheckedLayout(op, input, runningMean, runningVar, weight, bias);
        float[] mean = runningMean.ToArray(), var = runningVar.ToArray();
        var (invstd, scale, shift) = NormConstants(mean, var, weight, bias, eps, c);
        var xd = Dense(input);
        var y = Tensor.Empty((int[])shape.Clone());
        float[] xf = xd.F, yf = y.F;
        int xo = xd._offset;
        // Per (image, channel) plane: BatchNormKernels.Affine's multiply-add, then the ReLU op's maximum, while the plane is in cache.
        if (s == 1)
            for (int i = 0; i < n; i++)
            {
                var row = yf.AsSpan(i * c, c);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(xf.AsSpan(xo + i * c, c), scale, shift, row);
                System.Numerics.Tensors.TensorPrimitives.Max(row, 0f, row);
            }
        else
            Kernels.Parallelism.ForRanges(n * c, Math.Max(1, Tensor.ParallelGrain / s), (first, planes) =>
            {
                for (int p = first; p < first + planes; p++)
                {
                    var plane = yf.AsSpan(p * s, s);
                    SpanMath.ScaleShift(xf.AsSpan(xo + p * s, s), scale[p % c], shift[p % c], plane);
                    System.Numerics.Tensors.TensorPrimitives.Max(plane, 0f, plane);
                }
            });
        var inputs = new List<Tensor>(3) { input };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        // The backward keeps the tensors xd and y, never their bare arrays (see Dense): a pooled storage lives while its tensor does.
        return Tensor.Record(y, "batch_norm_relu", inputs.ToArray(), g =>
        {
            bool nx = Tensor.Needs(input), nw = weight is not null && Tensor.Needs(weight), nb = bias is not null && Tensor.Needs(bias);
            Tensor? gx = null, gw = null, gb = null;
            // A recorded backward (double backward): the separate ops' own rules, ReLU's mask then batch norm's graph form.
            if (GradMode.IsEnabled) (gx, gw, gb) = BatchNormGraphBackward(g * y.Gt(0f), input, weight, training: false, mean, invstd, eps, c);
            else if (nw || nb)
            {
                // γ or β: ReLU's backward (Tensor.MaskedGrad), then batch norm's eval backward as BatchNorm computes it.
                var gm = Dense(Tensor.MaskedGrad(g, y, 0f));
                var sumG = new double[c]; var sumGX = new double[c];
                BatchNormKernels.GradSums(gm.F, gm._offset, xd.F, xd._offset, n, c, s, mean, sumG, sumGX);
                if (nw) { var d = new float[c]; for (int ch = 0; ch < c; ch++) d[ch] = (float)(sumGX[ch] * invstd[ch]); gw = new Tensor(d, [c]); }
                if (nb) { var d = new float[c]; for (int ch = 0; ch < c; ch++) d[ch] = (float)sumG[ch]; gb = new Tensor(d, [c]); }
                if (nx)
                {
                    var gxt = Tensor.Empty((int[])shape.Clone());
                    BatchNormKernels.Affine(gm.F, gm._offset, gxt.F, n, c, s, scale, new float[c]);
                    gx = gxt;
                }
            }
            else if (nx) gx = MaskScale(g);
            var r = new Tensor?[inputs.Count];
            int k = 0;
            r[k++] = gx;
            if (weight is not null) r[k++] = gw;
            if (bias is not null) r[k] = gb;
            return r;
        }, [y]);

        // ReLU's backward (Tensor.MaskedGrad) then batch norm's eval backward (Affine with a zero shift), per plane in cache.
        Tensor MaskScale(Tensor g)
        {
            var gd = g.Contiguous();
            float[] gf = gd.F;
            int go = gd._offset;
            var gx = Tensor.Empty((int[])shape.Clone());
            float[] df = gx.F, mask = y.F;
            if (s == 1)
            {
                var zeros = new float[c];
                for (int i = 0; i < n; i++)
                {
                    var row = df.AsSpan(i * c, c);
                    Kernels.SimdKernels.SelectGreater(mask.AsSpan(i * c, c), 0f, gf.AsSpan(go + i * c, c), row);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(row, scale, zeros, row);
                }
            }
            else
                Kernels.Parallelism.ForRanges(n * c, Math.Max(1, Tensor.ParallelGrain / s), (first, planes) =>
                {
                    for (int p = first; p < first + planes; p++)
                    {
                        var plane = df.AsSpan(p * s, s);
                        Kernels.SimdKernels.SelectGreater(mask.AsSpan(p * s, s), 0f, gf.AsSpan(go + p * s, s), plane);
                        SpanMath.ScaleShift(plane, scale[p % c], 0f, plane);
                    }
                });
            return gx;
        }
    }

    // (N, C, spatial size) of a batch-norm input, once every per-channel tensor is checked against its C channels.
    private static (int N, int C, int S) CheckedLayout(string op, Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias)
    {
        var shape = input._shape;
        int n = shape[0], c = shape[1], s = 1;
        for (int i = 2; i < shape.Length; i++) s *= shape[i];
        CheckPerChannel(op, "running_mean", runningMean, c, input);
        CheckPerChannel(op, "running_var", runningVar, c, input);
        CheckPerChannel(op, "weight", weight, c, input);
        CheckPerChannel(op, "bias", bias, c, input);
        return (n, c, s);
    }

    private static void CheckPerChannel(string op, string name, Tensor? t, int c, Tensor input)
    {
        if (t is null) return;
        ThrowHelper.RequireFloat(op, t);
        if (t.Numel != c || t.Dim != 1)
            throw new ArgumentException($"{op}: {name} has shape {t.Shape} but the input of shape {input.Shape} has {c} channels (dim 1); {name} needs shape ({c},).");
    }

    /// <summary>Batch-norm backward as differentiable tensor ops (used when the backward pass is recorded).</summary>
    private static (Tensor? Gx, Tensor? Gw, Tensor? Gb) BatchNormGraphBackward(Tensor g, Tensor x, Tensor? weight, bool training,
        float[] mean, float[] invstd, float eps, int c)
    {
        var dims = new int[x.Dim - 1];
        dims[0] = 0;
        for (int i = 2; i < x.Dim; i++) dims[i - 1] = i;
        var bshape = new int[x.Dim];
        Array.Fill(bshape, 1);
        bshape[1] = c;
        int m = x.Numel / c;
        Tensor inv, xhat;
        if (training)
        {
            var xc = x - x.Mean(dims, keepDim: true);
            inv = (xc.Square().Mean(dims, keepDim: true) + eps).Rsqrt();
            xhat = xc * inv;
        }
        else
        {
            inv = new Tensor((float[])invstd.Clone(), bshape);
            xhat = (x - new Tensor((float[])mean.Clone(), (int[])bshape.Clone())) * inv;
        }
        var gb = g.Sum(dims);
        var gw = (g * xhat).Sum(dims);
        var k = weight is null ? inv : weight.Reshape(bshape) * inv;
        var gx = training
            ? k * (g - gb.Reshape(bshape) * (1f / m) - xhat * gw.Reshape(bshape) * (1f / m))
            : g * k;
        return (Tensor.Needs(x) ? gx : null, weight is not null && Tensor.Needs(weight) ? gw : null, gb);
    }

    // ───────────────────────────── layer norm ─────────────────────────────

    /// <summary>
    /// Layer normalization (<c>F.layer_norm</c>) over the trailing dims <paramref name="normalizedShape"/>:
    /// y = (x − μ)/√(σ² + ε)·γ + β with per-sample biased statistics. Shape: x <c>(*, normalizedShape)</c>,
    /// γ and β <c>normalizedShape</c>. Fused forward and backward kernels.
    /// </summary>
    /// <exception cref="ArgumentException">The input's trailing dims differ from <paramref name="normalizedShape"/>, or γ/β have another shape.</exception>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        const string op = "LayerNorm";
        ThrowHelper.RequireFloat(op, x);
        int k = normalizedShape.Length;
        bool ok = k >= 1 && x.Dim >= k;
        for (int i = 0; ok && i < k; i++) ok = x._shape[x.Dim - k + i] == normalizedShape[i];
        if (!ok)
            throw new ArgumentException($"{op}: normalized_shape {ShapeUtil.Format(normalizedShape)} requires an input of shape (*, {string.Join(", ", normalizedShape)}), but got {x.Shape}.");
        foreach (var (name, t) in new[] { ("weight", weight), ("bias", bias) })
            if (t is not null && !ShapeUtil.SameShape(t._shape, normalizedShape))
                throw new ArgumentException($"{op}: {name} has shape {t.Shape} but normalized_shape is {ShapeUtil.Format(normalizedShape)}; they must be equal.");
        int m = ShapeUtil.Numel(normalizedShape);
        int rows = m == 0 ? 0 : x.Numel / m;
        var xd = Dense(x);   // kept by the closure as a tensor, never as a bare array
        var w = weight?.ToArray(); var b = bias?.ToArray();
        var mean = new float[rows]; var invstd = new float[rows];
        var y = Tensor.Empty((int[])x._shape.Clone());
        LayerNormKernels.Forward(xd.F, xd._offset, y.F, rows, m, w, b, eps, mean, invstd);
        var nshape = (int[])normalizedShape.Clone();
        var inputs = new List<Tensor>(3) { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        return Tensor.Record(y, "layer_norm", inputs.ToArray(), g =>
        {
            bool nx = Tensor.Needs(x), nw = weight is not null && Tensor.Needs(weight), nb = bias is not null && Tensor.Needs(bias);
            Tensor? gx = null, gw = null, gb = null;
            if (GradMode.IsEnabled)
            {
                var x2 = x.Reshape(rows, m); var g2 = g.Reshape(rows, m);
                var xc = x2 - x2.Mean(1, keepDim: true);
                var inv = (xc.Square().Mean(1, keepDim: true) + eps).Rsqrt();
                var xhat = xc * inv;
                var gh = weight is null ? g2 : g2 * weight.Reshape(1, m);
                if (nx) gx = (inv * (gh - gh.Mean(1, keepDim: true) - xhat * (gh * xhat).Mean(1, keepDim: true))).Reshape(x._shape);
                if (nw) gw = (g2 * xhat).Sum(0).Reshape(nshape);
                if (nb) gb = g2.Sum(0).Reshape(nshape);
            }
            else
            {
                var gd = Dense(g);
                var (ga, go, xa, xo) = (gd.F, gd._offset, xd.F, xd._offset);
                var gxt = nx ? Tensor.Empty((int[])x._shape.Clone()) : null;
                var gwa = nw ? new float[m] : null; var gba = nb ? new float[m] : null;
                LayerNormKernels.Backward(ga, go, xa, xo, rows, m, w, mean, invstd, gxt?.F, gwa, gba);
                gx = gxt;
                if (gwa is not null) gw = new Tensor(gwa, (int[])nshape.Clone());
                if (gba is not null) gb = new Tensor(gba, (int[])nshape.Clone());
            }
            var r = new Tensor?[inputs.Count];
            int j = 0;
            r[j++] = gx;
            if (weight is not null) r[j++] = gw;
            if (bias is not null) r[j] = gb;
            return r;
        });
    }
}
