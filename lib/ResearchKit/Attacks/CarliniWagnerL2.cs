using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Attacks;

/// <summary>
/// Carlini–Wagner L2 (2017): minimizes ‖x' − x‖₂² + c·f(x') over w with x' = (tanh(w) + 1)/2·(max − min) + min (so x'
/// stays in the clip range), f = max(Z_y − max_{j≠y} Z_j + κ, 0) untargeted or max(max_{j≠t} Z_j − Z_t + κ, 0)
/// targeted, on the model's logits Z; Adam on w; a binary search over c per input; returns, per input, the successful
/// iterate with the smallest L2 distance (the clean input where none succeeded).
/// </summary>
/// <remarks>
/// Success (with confidence κ) is Z_y + κ &lt; max_{j≠y} Z_j untargeted, Z_t − κ &gt; max_{j≠t} Z_j targeted, as the
/// authors' code. The binary search follows it: after each search step, c is halved towards the largest failing c
/// where the input succeeded, multiplied by 10 where it never did yet. w restarts from the clean input at every
/// search step. C&amp;W is unbounded: the threat model's ε is not enforced (only its clip range and goal are used), and
/// the objective is always its own (no custom objective).
/// With <see cref="GradientAttack.EotSamples"/> = n &gt; 1 (randomized models) each step's loss is the mean over n
/// forward passes (so its gradient is the EOT mean), and success is judged on the mean margin over those passes.
/// </remarks>
public sealed class CarliniWagnerL2 : GradientAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="model">Model returning logits (N, C).</param>
    /// <param name="threat">Clip range and goal (its norm and ε are not used).</param>
    /// <param name="steps">Adam steps per binary-search step (≥ 1).</param>
    /// <param name="binarySearchSteps">Binary-search steps over c (≥ 1).</param>
    /// <param name="initialConst">Initial c &gt; 0.</param>
    /// <param name="confidence">κ ≥ 0.</param>
    /// <param name="learningRate">Adam's learning rate (0.01, as the authors).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public CarliniWagnerL2(Module<Tensor, Tensor> model, ThreatModel threat, int steps = 100, int binarySearchSteps = 9,
        float initialConst = 1e-3f, float confidence = 0f, double learningRate = 0.01) : base(model, threat)
    {
        Steps = AttackChecks.AtLeast(Name, nameof(steps), steps, 1);
        BinarySearchSteps = AttackChecks.AtLeast(Name, nameof(binarySearchSteps), binarySearchSteps, 1);
        InitialConst = (float)AttackChecks.Positive(Name, nameof(initialConst), initialConst);
        Confidence = (float)AttackChecks.Positive(Name, nameof(confidence), confidence, allowZero: true);
        LearningRate = AttackChecks.Positive(Name, nameof(learningRate), learningRate);
    }

    /// <inheritdoc/>
    public override string Name => "CW-L2";

    /// <summary>Adam steps per binary-search step.</summary>
    public int Steps { get; }

    /// <summary>Binary-search steps over c.</summary>
    public int BinarySearchSteps { get; }

    /// <summary>Initial trade-off constant c.</summary>
    public float InitialConst { get; }

    /// <summary>Confidence κ.</summary>
    public float Confidence { get; }

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; }

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, object?>> Settings() =>
    [
        new("steps", Steps), new("binary_search_steps", BinarySearchSteps), new("initial_const", InitialConst),
        new("confidence", Confidence), new("learning_rate", LearningRate),
    ];

    /// <inheritdoc/>
    protected override Tensor Run(Tensor inputs, Tensor labels)
    {
        var (n, d, shape) = AttackChecks.Dims(inputs);
        var y = labels.ToInt64Array();
        float lo = Threat.ClipMin, range = Threat.ClipMax - Threat.ClipMin;
        var x0 = inputs.ToArray();
        var w0 = new float[x0.Length];
        for (int i = 0; i < x0.Length; i++)
        {
            // atanh of the input mapped to (−1, 1); the margin keeps it finite at the bounds.
            double z = Math.Clamp((x0[i] - lo) / range * 2.0 - 1.0, -1 + 1e-6, 1 - 1e-6);
            w0[i] = (float)Math.Atanh(z);
        }
        var best = (float[])x0.Clone();
        var bestL2 = new double[n];
        Array.Fill(bestL2, double.PositiveInfinity);
        var c = new double[n];
        var lower = new double[n];
        var upper = new double[n];
        Array.Fill(c, InitialConst);
        Array.Fill(upper, 1e10);
        var clean = Tensor.FromArray(x0, shape);

        for (int search = 0; search < BinarySearchSteps; search++)
        {
            var w = (float[])w0.Clone();
            var adam = new ElementwiseAdam(w.Length, LearningRate, 0.9, 0.999, 1e-8);
            var succeeded = new bool[n];
            var cs = Tensor.FromArray(Array.ConvertAll(c, v => (float)v), n);
            for (int step = 0; step < Steps; step++)
            {
                var wt = Tensor.FromArray(w, shape).RequiresGrad_();
                Tensor loss, xAdv, l2, margin;
                using (Torch.EnableGrad())
                {
                    xAdv = (wt.Tanh() + 1f) * (range / 2) + lo;
                    margin = Margin(Scores(xAdv, y), y);
                    for (int s = 1; s < EotSamples; s++) margin = margin + Margin(Scores(xAdv, y), y);
                    if (EotSamples > 1) margin = margin * (1f / EotSamples);
                    l2 = (xAdv - clean).Square().Reshape(n, -1).Sum(1);
                    loss = (l2 + cs * (margin + Confidence).Clamp(min: 0f)).Sum();
                }
                var g = Autograd.Grad(loss, wt);
                // Book-keeping on this iterate (before the step), as the authors' code.
                var m = margin.Detach().ToArray();
                var dist = l2.Detach().ToArray();
                var xs = xAdv.Detach().ToArray();
                for (int i = 0; i < n; i++)
                {
                    if (!(m[i] + Confidence < 0)) continue;
                    succeeded[i] = true;
                    if (dist[i] < bestL2[i]) { bestL2[i] = dist[i]; Array.Copy(xs, i * d, best, i * d, d); }
                }
                adam.Step(w, g.ToArray());
            }
            for (int i = 0; i < n; i++)
            {
                if (succeeded[i]) { upper[i] = Math.Min(upper[i], c[i]); c[i] = (lower[i] + upper[i]) / 2; }
                else { lower[i] = Math.Max(lower[i], c[i]); c[i] = upper[i] < 1e9 ? (lower[i] + upper[i]) / 2 : c[i] * 10; }
            }
        }
        return Tensor.FromArray(best, shape).Clamp(Threat.ClipMin, Threat.ClipMax);
    }

    /// <summary>Z_y − max_{j≠y} Z_j (untargeted) or max_{j≠t} Z_j − Z_t (targeted), per input, differentiable.</summary>
    private Tensor Margin(Tensor logits, long[] y)
    {
        int n = logits.Size(0), classes = logits.Size(1);
        var onehot = new float[n * classes];
        for (int i = 0; i < n; i++) onehot[i * classes + y[i]] = 1f;
        var mask = Tensor.FromArray(onehot, n, classes);
        var real = (logits * mask).Sum(1);
        var other = (logits - mask * 1e9f).Max(1).Values;
        return Threat.Targeted ? other - real : real - other;
    }
}
