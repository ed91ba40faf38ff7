using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Learned Step size Quantization (Esser et al. 2020, LSQ, ref. [23] of the thesis, compared in Table 5.4):
/// v̂ = round(clamp(v/s, −Q_N, Q_P))·s with a learned step s.
/// Signed (weights): Q_N = 2^(b−1), Q_P = 2^(b−1) − 1. Unsigned (activations): Q_N = 0, Q_P = 2^b − 1.
/// </summary>
/// <remarks>
/// <para>Gradients (LSQ's Eqs. 3 and 5, with STE through round), for r = v/s:</para>
/// <list type="bullet">
/// <item>∂v̂/∂v = 1 for −Q_N &lt; r &lt; Q_P, 0 otherwise;</item>
/// <item>∂v̂/∂s = round(r) − r for −Q_N &lt; r &lt; Q_P, −Q_N for r ≤ −Q_N, Q_P for r ≥ Q_P;</item>
/// <item>the step gradient is multiplied by g = 1/sqrt(N·Q_P), N = the number of weights sharing s (weights) or the
/// number of features of one sample, i.e. numel / batch (activations).</item>
/// </list>
/// <para>
/// The thesis only reports LSQ's published numbers (Table 5.4, with 32-bit residuals); it does not run or describe it.
/// LSQ initializes s = 2·mean|v|/sqrt(Q_P) from the weights or the first batch: call <see cref="InitializeStep"/> on the
/// weights; an activation quantizer built without an initial step does it on the first batch it sees.
/// </para>
/// </remarks>
public sealed class LsqQuantizer : ILearnedQuantizer
{
    private readonly bool _activation;
    private bool _initFromFirstBatch;
    private readonly int _stepVersionAtCreation;

    private LsqQuantizer(int bitWidth, bool signed, bool activation, QuantGranularity granularity, int channels, float initialStep)
    {
        QuantArgs.BitWidth(nameof(LsqQuantizer), bitWidth, min: signed ? 2 : 1);
        QuantArgs.Positive(nameof(LsqQuantizer), nameof(initialStep), initialStep);
        if (channels < 1) throw new ArgumentException($"LsqQuantizer: channels must be ≥ 1, got {channels}; pass the weight's output-channel count.", nameof(channels));
        BitWidth = bitWidth; Signed = signed; _activation = activation; Granularity = granularity;
        Qn = signed ? 1 << (bitWidth - 1) : 0;
        Qp = signed ? (1 << (bitWidth - 1)) - 1 : (1 << bitWidth) - 1;
        Step = Tensor.Full([channels], initialStep).RequiresGrad_();
        _stepVersionAtCreation = Step.Version;
    }

    /// <summary>A signed LSQ quantizer for weights (one step, or one per output channel).</summary>
    /// <param name="bitWidth">b, in [2, 16] (LSQ does not define a signed 1-bit grid: Q_P would be 0).</param>
    /// <param name="granularity">One step for the tensor (default, as LSQ) or one per output channel.</param>
    /// <param name="channels">Output channels when per channel (dimension 0 of the weight); ignored per tensor.</param>
    /// <param name="initialStep">Initial s (default 1); prefer <see cref="InitializeStep"/> on the weights.</param>
    /// <exception cref="ArgumentException">Bit width out of range, <paramref name="initialStep"/> ≤ 0 or <paramref name="channels"/> &lt; 1.</exception>
    public static LsqQuantizer ForWeights(int bitWidth, QuantGranularity granularity = QuantGranularity.PerTensor, int channels = 1, float initialStep = 1f) =>
        new(bitWidth, signed: true, activation: false, granularity, granularity == QuantGranularity.PerChannel ? channels : 1, initialStep);

    /// <summary>An unsigned per-tensor LSQ quantizer for (post-ReLU) activations.</summary>
    /// <param name="bitWidth">b, in [1, 16].</param>
    /// <param name="initialStep">Initial s; null (default): s = 2·mean|v|/sqrt(Q_P) from the first batch quantized, as LSQ
    /// does — unless <see cref="Step"/> was written before (a loaded checkpoint, <see cref="InitializeStep"/>).</param>
    /// <exception cref="ArgumentException">Bit width out of range or <paramref name="initialStep"/> ≤ 0.</exception>
    public static LsqQuantizer ForActivations(int bitWidth, float? initialStep = null) =>
        new(bitWidth, signed: false, activation: true, QuantGranularity.PerTensor, 1, initialStep ?? 1f) { _initFromFirstBatch = initialStep is null };

    /// <summary>Whether the step still waits for the first batch to be initialized from (activations built without an initial step).</summary>
    public bool InitializesOnFirstBatch => _initFromFirstBatch && Step.Version == _stepVersionAtCreation;

    /// <summary>[("step", <see cref="Step"/>)].</summary>
    public IReadOnlyList<(string Name, Tensor Parameter)> LearnedParameters => [("step", Step)];

    /// <inheritdoc/>
    public int BitWidth { get; }

    /// <inheritdoc/>
    public QuantGranularity Granularity { get; }

    /// <summary>Signed grid (weights) or unsigned (activations).</summary>
    public bool Signed { get; }

    /// <summary>Q_N: the grid goes down to −Q_N·s.</summary>
    public int Qn { get; }

    /// <summary>Q_P: the grid goes up to Q_P·s.</summary>
    public int Qp { get; }

    /// <summary>The learned step s: shape (1) per tensor or (channels) per channel, a leaf with RequiresGrad to register as a parameter.</summary>
    public Tensor Step { get; }

    /// <summary>Sets s = 2·mean|v|/sqrt(Q_P) (LSQ's initialization), per channel when per channel.</summary>
    /// <exception cref="ArgumentException">The tensor does not match the step's channel count, or is all zeros.</exception>
    public void InitializeStep(Tensor v)
    {
        int groups = CheckGroups(v);
        using (GradMode.Set(false))
        {
            var m = QuantArgs.Grouped(v, groups).Abs().Mean(1).ToArray();
            var steps = new float[Step.Numel];
            for (int c = 0; c < steps.Length; c++)
            {
                float s = 2f * m[groups == 1 ? 0 : c] / MathF.Sqrt(Qp);
                QuantArgs.Positive(nameof(LsqQuantizer), "initial step (2·mean|v|/sqrt(Q_P))", s);
                steps[c] = s;
            }
            if (Step.Device.IsCpu) steps.CopyTo(Step.AsSpan());
            else Step.CopyFrom(Tensor.FromArray(steps, Step.Shape.ToArray()));   // the step lives with the model, on its device
        }
    }

    /// <summary>v̂ = round(clamp(v/s, −Q_N, Q_P))·s, differentiable in v and <see cref="Step"/> by LSQ's rule.</summary>
    /// <exception cref="ArgumentException">The tensor does not match the step's channel count, or a step has become ≤ 0.</exception>
    public Tensor Quantize(Tensor v)
    {
        int groups = CheckGroups(v);
        if (InitializesOnFirstBatch) InitializeStep(v.Detach());
        _initFromFirstBatch = false;
        int n = _activation ? v.Numel / Math.Max(1, v.Dim == 0 ? 1 : v.Size(0)) : v.Numel / groups;
        float gradScale = 1f / MathF.Sqrt(Math.Max(1, n) * (float)Qp);
        return new LsqFunction(Qn, Qp, groups, gradScale).Apply(v, Step);
    }

    /// <summary>Levels {k·s, k = −Q_N..Q_P}, one list per channel when per channel.</summary>
    public QuantGrid Grid(Tensor? v = null)
    {
        var s = Step.ToArray();
        var levels = new float[s.Length][];
        for (int c = 0; c < s.Length; c++) levels[c] = QuantGrid.UniformLevels(-Qn * s[c], s[c], Qn + Qp + 1);
        return new QuantGrid(levels, s);
    }

    private int CheckGroups(Tensor v)
    {
        int groups = QuantArgs.Groups(nameof(LsqQuantizer), v, Granularity);
        if (groups != Step.Numel)
            throw new ArgumentException($"LsqQuantizer: the tensor has {groups} output channels (shape {v.Shape}) but the quantizer has {Step.Numel} steps; create it with channels: {groups}.", nameof(v));
        return groups;
    }

    private sealed class LsqFunction(int qn, int qp, int groups, float gradScale) : Function
    {
        public override string Name => "LsqBackward";

        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var v = inputs[0].Contiguous();
            var s = inputs[1].ToArray();
            foreach (var si in s) QuantArgs.Positive(nameof(LsqQuantizer), "step", si);
            ctx.SaveForBackward(v);
            ctx.Items["s"] = s;
            if (!v.Device.IsCpu)
            {
                // The host loop's arithmetic from device ops: clamp v/s to [−Q_N, Q_P], round half to even, scale back.
                ctx.Items["step"] = inputs[1];
                var (grouped, step) = OnGroups(v, inputs[1]);
                return ((grouped / step).Clamp((float)-qn, (float)qp).Round() * step).Reshape(v.Shape.ToArray());
            }
            var src = v.AsReadOnlySpan();
            int per = groups == 0 ? 0 : src.Length / groups;
            var y = new float[src.Length];
            for (int i = 0; i < y.Length; i++)
            {
                float si = s[groups == 1 ? 0 : i / per];
                y[i] = MathF.Round(Math.Clamp(src[i] / si, -qn, qp), MidpointRounding.ToEven) * si;
            }
            return Tensor.FromArray(y, v.Shape.ToArray());
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            var vt = ctx.SavedTensors[0];
            if (!vt.Device.IsCpu) return BackwardOnDevice(ctx, vt, gradOutput);
            var v = vt.AsReadOnlySpan();
            var s = (float[])ctx.Items["s"];
            var g = gradOutput.Contiguous().AsReadOnlySpan();
            int per = v.Length / groups;
            var gv = new float[v.Length];
            var gs = new double[s.Length];
            for (int i = 0; i < v.Length; i++)
            {
                int c = groups == 1 ? 0 : i / per;
                float r = v[i] / s[c];
                float ds;
                if (r <= -qn) ds = -qn;
                else if (r >= qp) ds = qp;
                else { ds = MathF.Round(r, MidpointRounding.ToEven) - r; gv[i] = g[i]; }
                gs[c] += g[i] * ds;
            }
            var gsF = new float[s.Length];
            for (int c = 0; c < s.Length; c++) gsF[c] = (float)(gs[c] * gradScale);
            return [ctx.NeedsInputGrad(0) ? Tensor.FromArray(gv, vt.Shape.ToArray()) : null,
                    ctx.NeedsInputGrad(1) ? Tensor.FromArray(gsF, s.Length) : null];
        }

        // v as (groups, per) and the steps as a (groups, 1) column on v's device.
        private (Tensor Grouped, Tensor Step) OnGroups(Tensor v, Tensor step) =>
            (QuantArgs.Grouped(v, groups), step.To(v.Device).Reshape(groups == 1 ? 1 : groups, 1));

        // The same rule as the host loop, from device ops: straight through inside the range; the step's gradient is
        // Σ g·(round(r) − r) inside, Σ g·(−Q_N) or Σ g·Q_P where clipped, scaled by gradScale (float sums where the host adds in double).
        private Tensor?[] BackwardOnDevice(FunctionContext ctx, Tensor v, Tensor gradOutput)
        {
            var stepTensor = (Tensor)ctx.Items["step"];
            var (grouped, step) = OnGroups(v, stepTensor);
            var g = QuantArgs.Grouped(gradOutput.Contiguous(), groups);
            var r = grouped / step;
            float lo = -qn, hi = qp;
            var low = r.Le(lo);
            var high = r.Ge(hi);
            var inside = 1f - low - high;
            var ds = low * lo + high * hi + inside * (r.Round() - r);
            var gs = (g * ds).Sum(1) * gradScale;
            return [ctx.NeedsInputGrad(0) ? (g * inside).Reshape(v.Shape.ToArray()) : null,
                    ctx.NeedsInputGrad(1) ? gs.Reshape(stepTensor.Shape.ToArray()) : null];
        }
    }
}
