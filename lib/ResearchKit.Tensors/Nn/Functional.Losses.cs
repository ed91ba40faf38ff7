using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Nn;

public static partial class Functional
{
    // ───────────────────────────── class-index losses ─────────────────────────────

    /// <summary>
    /// Cross-entropy of logits against class indices (<c>F.cross_entropy</c>, PyTorch 1.13 semantics): log-softmax over
    /// the class dim, then the (weighted, smoothed) negative log-likelihood.
    /// </summary>
    /// <remarks>
    /// Shapes: logits <c>(N, C)</c> with targets <c>(N)</c>; <c>(N, C, d1, …)</c> with <c>(N, d1, …)</c>; or <c>(C)</c> with a
    /// 0-d target. Per sample, with ε = <paramref name="labelSmoothing"/> and class weights w (1 when null):
    /// <c>ℓᵢ = (1−ε)·w_{tᵢ}·(−log p_{i,tᵢ}) + (ε/C)·Σ_c w_c·(−log p_{i,c})</c>; samples whose target is
    /// <paramref name="ignoreIndex"/> contribute 0. "mean" divides Σ ℓᵢ by Σ w_{tᵢ} over non-ignored samples (their
    /// count without weights; NaN when all are ignored, as PyTorch); "sum" adds; "none" returns ℓ shaped like the
    /// targets. One fused kernel computes log-softmax and loss; the backward is <c>s·(p·A − B)</c> in one pass.
    /// </remarks>
    /// <exception cref="ArgumentException">Targets are not Int64 (probabilities are not supported), have the wrong shape
    /// (both shapes are named), hold a class outside [0, C), or the weight/reduction/label smoothing is invalid.</exception>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, int ignoreIndex = -100,
        string reduction = "mean", float labelSmoothing = 0f)
    {
        const string op = "CrossEntropy";
        CheckReduction(op, reduction);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentException($"{op}: labelSmoothing must be between 0.0 and 1.0, got {labelSmoothing}.");
        if (input._dev is not null || target._dev is not null || weight?._dev is not null)
            return CrossEntropyOnDevice(input, target, weight, ignoreIndex, reduction, labelSmoothing);
        var ct = ClassTargets(op, input, target, weight, ignoreIndex);
        int n = ct.N, c = ct.C, s = ct.S;
        var xd = Dense(input);
        var logp = Tensor.Empty((int[])input._shape.Clone());
        var lpf = logp.F;
        SoftmaxKernels.Forward(xd.F, xd._offset, lpf, n, c, s, log: true);
        var w = ct.Weight;
        double wAll = 0;
        if (w is null) wAll = c; else foreach (float v in w) wAll += v;
        float eps = labelSmoothing, eOverC = eps / c;
        var loss = new float[n * s];
        var wt = new float[n * s];
        double denom = 0, total = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++)
            {
                int p = i * s + j;
                long t = ct.Targets[p];
                if (t == ignoreIndex) continue;
                float wti = w?[t] ?? 1f;
                double l = (1.0 - eps) * wti * -lpf[(i * c + (int)t) * s + j];
                if (eps > 0)
                {
                    double sm = 0;
                    if (s == 1) sm = w is null ? -TensorPrimitives.Sum(lpf.AsSpan(i * c, c)) : -TensorPrimitives.Dot(w, lpf.AsSpan(i * c, c));
                    else for (int k = 0; k < c; k++) sm -= (w?[k] ?? 1f) * (double)lpf[(i * c + k) * s + j];
                    l += eOverC * sm;
                }
                loss[p] = (float)l; wt[p] = wti;
                denom += wti; total += l;
            }
        Tensor y = reduction switch
        {
            "mean" => Tensor.Scalar((float)(total / denom)),
            "sum" => Tensor.Scalar((float)total),
            _ => new Tensor(loss, (int[])target._shape.Clone()),
        };
        float rscale = reduction == "mean" ? (float)(1.0 / denom) : 1f;
        return Tensor.Record(y, "cross_entropy", input, g =>
        {
            if (GradMode.IsEnabled)
            {
                // Differentiable form of the same rule: gx = (softmax(x)·A − B)·g, A and B constants.
                var (a, bt) = CrossEntropyCoefficients(ct, wt, eps, (float)wAll, rscale, input._shape, ignoreIndex);
                var gexp = reduction == "none" ? g.Unsqueeze(ct.ClassDim) : g;
                return (Softmax(input, ct.ClassDim) * a - bt) * gexp;
            }
            var gv = reduction == "none" ? g.Contiguous().ToArray() : null;
            float gs = reduction == "none" ? 0f : g.Item() * rscale;
            var gx = Tensor.Empty((int[])input._shape.Clone());
            var d = gx.F;
            var lp = logp.F;   // through the tensor the closure keeps: a bare array's storage could be lent again
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++)
                {
                    int p = i * s + j;
                    long t = ct.Targets[p];
                    float r = gv is null ? gs : gv[p];
                    if (t == ignoreIndex)
                    {
                        for (int k = 0; k < c; k++) d[(i * c + k) * s + j] = 0f;
                        continue;
                    }
                    float wti = wt[p];
                    float a = r * ((1f - eps) * wti + eOverC * (float)wAll);
                    if (s == 1)
                    {
                        var row = d.AsSpan(i * c, c);
                        TensorPrimitives.Exp(lp.AsSpan(i * c, c), row);
                        TensorPrimitives.Multiply(row, a, row);
                        if (eps > 0)
                        {
                            if (w is null) TensorPrimitives.Subtract(row, r * eOverC, row);
                            else TensorPrimitives.MultiplyAdd(w, -r * eOverC, row, row);
                        }
                        row[(int)t] -= r * (1f - eps) * wti;
                    }
                    else
                    {
                        for (int k = 0; k < c; k++)
                        {
                            int q = (i * c + k) * s + j;
                            d[q] = MathF.Exp(lp[q]) * a - (eps > 0 ? r * eOverC * (w?[k] ?? 1f) : 0f);
                        }
                        d[((i * c) + (int)t) * s + j] -= r * (1f - eps) * wti;
                    }
                }
            return gx;
        });
    }

    /// <summary>Constants A (class dim 1) and B (input-shaped) of the cross-entropy gradient (p·A − B)·scale.</summary>
    private static (Tensor A, Tensor B) CrossEntropyCoefficients(ClassTargetInfo ct, float[] wt, float eps, float wAll, float rscale,
        int[] inputShape, int ignoreIndex)
    {
        int n = ct.N, c = ct.C, s = ct.S;
        var a = new float[n * s];
        var b = new float[n * c * s];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++)
            {
                int p = i * s + j;
                long t = ct.Targets[p];
                if (t == ignoreIndex) continue;
                a[p] = rscale * ((1f - eps) * wt[p] + eps / c * wAll);
                for (int k = 0; k < c; k++) b[(i * c + k) * s + j] = rscale * eps / c * (ct.Weight?[k] ?? 1f);
                b[(i * c + (int)t) * s + j] += rscale * (1f - eps) * wt[p];
            }
        var ashape = (int[])inputShape.Clone();
        ashape[ct.ClassDim] = 1;
        return (new Tensor(a, ashape), new Tensor(b, (int[])inputShape.Clone()));
    }

    /// <summary>
    /// Negative log-likelihood of log-probabilities against class indices (<c>F.nll_loss</c>):
    /// <c>ℓᵢ = −w_{tᵢ}·x_{i,tᵢ}</c>; shapes, ignore_index and reductions as <see cref="CrossEntropy"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Same checks as <see cref="CrossEntropy"/>.</exception>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, int ignoreIndex = -100, string reduction = "mean")
    {
        const string op = "NllLoss";
        CheckReduction(op, reduction);
        var ct = ClassTargets(op, input, target, weight, ignoreIndex);
        int n = ct.N, c = ct.C, s = ct.S;
        var x = input.Contiguous().ReadSpan();
        var loss = new float[n * s];
        var coefT = Tensor.ZerosOwned((int[])input._shape.Clone());
        var coef = coefT.F;     // ∂ℓ/∂x before the reduction scale: −w_t at the target entry
        double denom = 0, total = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++)
            {
                int p = i * s + j;
                long t = ct.Targets[p];
                if (t == ignoreIndex) continue;
                float wti = ct.Weight?[t] ?? 1f;
                int q = (i * c + (int)t) * s + j;
                loss[p] = -wti * x[q];
                coef[q] = -wti;
                denom += wti; total += loss[p];
            }
        Tensor y = reduction switch
        {
            "mean" => Tensor.Scalar((float)(total / denom)),
            "sum" => Tensor.Scalar((float)total),
            _ => new Tensor(loss, (int[])target._shape.Clone()),
        };
        if (reduction == "mean") TensorPrimitives.Multiply(coef, (float)(1.0 / denom), coef);
        return Tensor.Record(y, "nll_loss", input, g => coefT * (reduction == "none" ? g.Unsqueeze(ct.ClassDim) : g));
    }

    /// <summary>Validated class-index targets viewed as (N, C, S).</summary>
    private sealed record ClassTargetInfo(int N, int C, int S, int ClassDim, long[] Targets, float[]? Weight);

    private static ClassTargetInfo ClassTargets(string op, Tensor input, Tensor target, Tensor? weight, int ignoreIndex)
    {
        ThrowHelper.RequireFloat(op, input);
        if (input.Dim == 0) throw ThrowHelper.Rank(op, input, "logits of shape (N, C), (N, C, d1, ...) or (C)");
        int classDim = input.Dim == 1 ? 0 : 1;
        int[] expected = input.Dim == 1 ? [] : [input._shape[0], .. input._shape[2..]];
        if (target.DType != DType.Int64)
            throw new ArgumentException(input.Shape == target.Shape
                ? $"{op}: got Float32 targets of shape {target.Shape}, the logits' shape: class-probability targets are not supported. Pass Int64 class indices of shape {ShapeUtil.Format(expected)} (e.g. probs.Argmax(1)), or compute -(probs * F.LogSoftmax(logits, 1)).Sum(1).Mean()."
                : $"{op}: targets must be Int64 class indices, got Float32 of shape {target.Shape}; call target.Long().");
        if (!ShapeUtil.SameShape(target._shape, expected))
            throw new ArgumentException($"{op}: logits of shape {input.Shape} need targets of shape {ShapeUtil.Format(expected)}, got targets of shape {target.Shape}." +
                (target.Dim == expected.Length + 1 && target._shape[^1] == 1 ? " Remove the trailing size-1 dimension with Squeeze(-1)." : ""));
        int n = input.Dim == 1 ? 1 : input._shape[0], c = input._shape[classDim], s = 1;
        for (int i = 2; i < input.Dim; i++) s *= input._shape[i];
        float[]? w = null;
        if (weight is not null)
        {
            ThrowHelper.RequireFloat(op, weight);
            if (weight.Dim != 1 || weight.Numel != c)
                throw new ArgumentException($"{op}: the class weight has shape {weight.Shape} but the logits of shape {input.Shape} have {c} classes; pass a weight of shape ({c},).");
            w = weight.ToArray();
        }
        var t = target.ToInt64Array();
        for (int i = 0; i < t.Length; i++)
            if (t[i] != ignoreIndex && (ulong)t[i] >= (ulong)c)
                throw new ArgumentException($"{op}: target value {t[i]} (element {i} of the targets) is out of range for {c} classes; valid targets are 0..{c - 1} or ignore_index={ignoreIndex}.");
        return new ClassTargetInfo(n, c, s, classDim, t, w);
    }

    // ───────────────────────────── regression losses ─────────────────────────────

    /// <summary>Mean squared error (<c>F.mse_loss</c>): (x − t)², reduced. Input and target shapes must match.</summary>
    /// <exception cref="ArgumentException">Shapes differ (both are named), dtype, or an unknown reduction.</exception>
    public static Tensor MseLoss(Tensor input, Tensor target, string reduction = "mean")
    {
        CheckReduction("MseLoss", reduction);
        CheckSameShape("MseLoss", input, target);
        return Reduce((input - target).Square(), reduction);
    }

    /// <summary>Mean absolute error (<c>F.l1_loss</c>): |x − t|, reduced (gradient 0 where x = t).</summary>
    /// <exception cref="ArgumentException">Shapes differ, dtype, or an unknown reduction.</exception>
    public static Tensor L1Loss(Tensor input, Tensor target, string reduction = "mean")
    {
        CheckReduction("L1Loss", reduction);
        CheckSameShape("L1Loss", input, target);
        return Reduce((input - target).Abs(), reduction);
    }

    /// <summary>
    /// Smooth L1 (<c>F.smooth_l1_loss</c>): 0.5·d²/β where |d| &lt; β, else |d| − 0.5·β (d = x − t); β = 0 is L1.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, β &lt; 0, or an unknown reduction.</exception>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, string reduction = "mean", float beta = 1f)
    {
        CheckReduction("SmoothL1Loss", reduction);
        CheckSameShape("SmoothL1Loss", input, target);
        if (!(beta >= 0f)) throw new ArgumentException($"SmoothL1Loss: beta must be non-negative, got {beta}.");
        var d = input - target;
        if (beta == 0f) return Reduce(d.Abs(), reduction);
        var ad = d.Abs();
        return Reduce(Tensor.Where(ad.Lt(beta), d.Square() * (0.5f / beta), ad - 0.5f * beta), reduction);
    }

    // ───────────────────────────── binary losses ─────────────────────────────

    /// <summary>
    /// Binary cross-entropy on logits (<c>F.binary_cross_entropy_with_logits</c>), in the stable form
    /// <c>ℓ = w·[(1−t)·x + (1 + (pw−1)·t)·(max(−x, 0) + log(1 + e^{−|x|}))]</c>, which without pos_weight is
    /// max(x, 0) − x·t + log(1 + e^{−|x|}). Gradients flow to the logits and the targets (weights are constants).
    /// </summary>
    /// <param name="input">Logits, any shape.</param>
    /// <param name="target">Targets in [0, 1], same shape.</param>
    /// <param name="weight">Per-element weight broadcast to the input, or null.</param>
    /// <param name="posWeight">Weight of positive examples broadcast along the last (class) dim, or null.</param>
    /// <param name="reduction">"mean", "sum" or "none".</param>
    /// <exception cref="ArgumentException">Shapes differ or weights do not broadcast, or an unknown reduction.</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Tensor? posWeight = null, string reduction = "mean")
    {
        const string op = "BinaryCrossEntropyWithLogits";
        CheckReduction(op, reduction);
        CheckSameShape(op, input, target);
        var shape = input._shape;
        var x = input.ReadSpan().ToArray();
        var t = target.ReadSpan().ToArray();
        var w = Broadcasted(op, "weight", weight, shape);
        var pw = Broadcasted(op, "pos_weight", posWeight, shape);
        var l = Tensor.Empty((int[])shape.Clone());
        var d = l.F;
        for (int i = 0; i < d.Length; i++)
        {
            double xi = x[i], ti = t[i];
            double sp = Math.Max(-xi, 0) + Math.Log(1 + Math.Exp(-Math.Abs(xi)));   // softplus(−x) = −log σ(x)
            double lw = pw is null ? 1 : 1 + (pw[i] - 1) * ti;
            d[i] = (float)(((1 - ti) * xi + lw * sp) * (w?[i] ?? 1f));
        }
        var loss = Tensor.Record(l, "binary_cross_entropy_with_logits", input, target, g =>
        {
            Tensor? gx = null, gt = null;
            if (GradMode.IsEnabled)
            {
                var wT = w is null ? null : new Tensor(w, (int[])shape.Clone());
                var pwT = pw is null ? null : new Tensor(pw, (int[])shape.Clone());
                var sig = input.Sigmoid();
                if (Tensor.Needs(input))
                {
                    var dx = pwT is null ? sig - target : (1f + (pwT - 1f) * target) * sig - pwT * target;
                    gx = g * (wT is null ? dx : dx * wT);
                }
                if (Tensor.Needs(target))
                {
                    var dt = pwT is null ? -input : (pwT - 1f) * (-input).Softplus() - input;
                    gt = g * (wT is null ? dt : dt * wT);
                }
                return (gx, gt);
            }
            var gs = g.Contiguous().ReadSpan();
            if (Tensor.Needs(input))
            {
                var r = Tensor.Empty((int[])shape.Clone()); var rd = r.F;
                for (int i = 0; i < rd.Length; i++)
                {
                    double sg = 1 / (1 + Math.Exp(-x[i]));
                    double dx = pw is null ? sg - t[i] : (1 + (pw[i] - 1) * t[i]) * sg - pw[i] * t[i];
                    rd[i] = (float)(gs[i] * dx * (w?[i] ?? 1f));
                }
                gx = r;
            }
            if (Tensor.Needs(target))
            {
                var r = Tensor.Empty((int[])shape.Clone()); var rd = r.F;
                for (int i = 0; i < rd.Length; i++)
                {
                    double dt = -x[i];
                    if (pw is not null) dt += (pw[i] - 1) * (Math.Max(-x[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(x[i]))));
                    rd[i] = (float)(gs[i] * dt * (w?[i] ?? 1f));
                }
                gt = r;
            }
            return (gx, gt);
        });
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Binary cross-entropy on probabilities (<c>F.binary_cross_entropy</c>):
    /// <c>ℓ = −w·(t·log p + (1−t)·log(1−p))</c> with each log clamped at −100, as PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, a probability is outside [0, 1], or an unknown reduction.</exception>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, string reduction = "mean")
    {
        const string op = "BinaryCrossEntropy";
        CheckReduction(op, reduction);
        CheckSameShape(op, input, target);
        var shape = input._shape;
        var p = input.ReadSpan().ToArray();
        var t = target.ReadSpan().ToArray();
        var w = Broadcasted(op, "weight", weight, shape);
        for (int i = 0; i < p.Length; i++)
            if (!(p[i] >= 0f && p[i] <= 1f))
                throw new ArgumentException($"{op}: all input elements must be probabilities in [0, 1], but element {i} is {p[i]}; apply Sigmoid first or use BinaryCrossEntropyWithLogits.");
        var l = Tensor.Empty((int[])shape.Clone());
        var d = l.F;
        for (int i = 0; i < d.Length; i++)
        {
            double lp = Math.Max(Math.Log(p[i]), -100), l1p = Math.Max(Math.Log(1 - (double)p[i]), -100);
            d[i] = (float)(-(w?[i] ?? 1f) * (t[i] * lp + (1 - t[i]) * l1p));
        }
        var loss = Tensor.Record(l, "binary_cross_entropy", input, target, g =>
        {
            Tensor? gx = null, gt = null;
            if (GradMode.IsEnabled)
            {
                var wT = w is null ? null : new Tensor(w, (int[])shape.Clone());
                if (Tensor.Needs(input))
                {
                    var dx = (input - target) / ((1f - input) * input).Clamp(min: 1e-12f);
                    gx = g * (wT is null ? dx : dx * wT);
                }
                if (Tensor.Needs(target))
                {
                    var dt = (1f - input).Log().Clamp(min: -100f) - input.Log().Clamp(min: -100f);
                    gt = g * (wT is null ? dt : dt * wT);
                }
                return (gx, gt);
            }
            var gs = g.Contiguous().ReadSpan();
            if (Tensor.Needs(input))
            {
                var r = Tensor.Empty((int[])shape.Clone()); var rd = r.F;
                for (int i = 0; i < rd.Length; i++)
                    rd[i] = (float)(gs[i] * (w?[i] ?? 1f) * (p[i] - (double)t[i]) / Math.Max((1 - (double)p[i]) * p[i], 1e-12));
                gx = r;
            }
            if (Tensor.Needs(target))
            {
                var r = Tensor.Empty((int[])shape.Clone()); var rd = r.F;
                for (int i = 0; i < rd.Length; i++)
                    rd[i] = (float)(gs[i] * (w?[i] ?? 1f) * (Math.Max(Math.Log(1 - (double)p[i]), -100) - Math.Max(Math.Log(p[i]), -100)));
                gt = r;
            }
            return (gx, gt);
        });
        return Reduce(loss, reduction);
    }

    /// <summary>A dense copy of an optional weight broadcast to <paramref name="shape"/>.</summary>
    private static float[]? Broadcasted(string op, string name, Tensor? t, int[] shape)
    {
        if (t is null) return null;
        ThrowHelper.RequireFloat(op, t);
        var b = ShapeUtil.Broadcast(shape, t._shape, op);
        if (!ShapeUtil.SameShape(b, shape))
            throw new ArgumentException($"{op}: {name} of shape {t.Shape} does not broadcast to the input shape {ShapeUtil.Format(shape)}.");
        using (Torch.NoGrad()) return t.Expand(shape).Contiguous().ReadSpan().ToArray();
    }

    // ───────────────────────────── distribution losses ─────────────────────────────

    private static readonly string[] KlReductions = ["mean", "batchmean", "sum", "none"];

    /// <summary>
    /// Kullback–Leibler divergence (<c>F.kl_div</c>) with <paramref name="input"/> = log q and <paramref name="target"/> = p:
    /// pointwise p·(log p − log q) (0 where p = 0), or e^t·(t − input) with <paramref name="logTarget"/>.
    /// "batchmean" divides the sum by the batch size (the mathematically correct KL); "mean" divides by the element count.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, or an unknown reduction (mean, batchmean, sum, none).</exception>
    public static Tensor KlDiv(Tensor input, Tensor target, string reduction = "mean", bool logTarget = false)
    {
        CheckReduction("KlDiv", reduction, KlReductions);
        CheckSameShape("KlDiv", input, target);
        Tensor l;
        if (logTarget) l = target.Exp() * (target - input);
        else
        {
            Tensor safe;
            using (Torch.NoGrad()) safe = Tensor.Where(target.Gt(0f), target, Tensor.OnesLike(target));
            // xlogy(p, p) with 0·log 0 = 0: log of a detached "safe" copy keeps the zero entries finite.
            var xlogy = target.RequiresGrad ? target * Tensor.Where(target.Gt(0f), target, Tensor.OnesLike(target)).Log() : target * safe.Log();
            l = xlogy - target * input;
        }
        return reduction switch
        {
            "batchmean" => l.Sum() * (1f / (input.Dim == 0 ? 1 : input.Size(0))),
            _ => Reduce(l, reduction),
        };
    }
}
