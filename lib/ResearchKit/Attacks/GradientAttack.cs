using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Attacks;

/// <summary>
/// Base of the white-box attacks (FGSM, PGD, C&amp;W): a model returning scores (N, C), a threat model and the attack
/// objective, whose input gradient drives the attack.
/// </summary>
/// <remarks>
/// <para>
/// <b>Objective.</b> Cross-entropy on the model's output (mean over the batch, as torchattacks) by default, or any
/// <c>(inputs, labels) → loss</c>, e.g. a DL-QAT network's own GML/MMC training loss (<c>QatNetwork.Loss</c>; the thesis
/// leaves open which loss App. A's PGD used, PROTOCOLS §4). A non-scalar loss is summed. Untargeted attacks ascend the
/// objective, targeted ones descend it (labels are then the targets).
/// </para>
/// <para>
/// <b>Side effects.</b> During an attack every module of <see cref="Model"/> is in eval mode and every parameter has
/// <c>RequiresGrad = false</c>; both are restored afterwards, module by module. Only the input gradient is computed
/// (<c>Autograd.Grad(loss, xAdv)</c>): parameter <c>.Grad</c>s are never touched. Outputs carry no autograd history.
/// The model should own everything the objective uses (pass the <c>QatNetwork</c> itself with its <c>Loss</c>).
/// </para>
/// <para>
/// <b>Quantized models (BPDA / straight-through).</b> The kit's quantizers have no useful true gradient (piecewise
/// constant), so the attack differentiates through their backward rules, i.e. BPDA with the training-time estimators:
/// <see cref="Quantization.RoundSte"/> and <see cref="Quantization.FloorSte"/> pass the gradient unchanged (∂y/∂x := 1);
/// <see cref="Quantization.SignSte"/> (binary weights) passes it where |x| ≤ 1 and blocks it elsewhere;
/// <see cref="Quantization.PactActivationQuantizer"/> passes it where 0 ≤ x &lt; α and blocks it outside (clipped
/// activations give no input gradient); <see cref="Quantization.LsqQuantizer"/> passes it where −Q_N &lt; x/s &lt; Q_P;
/// <see cref="Quantization.FixedPointQuantizer"/> and <see cref="Quantization.DoReFaWeightQuantizer"/> are RoundSte/FloorSte
/// after differentiable clamps/tanh, so the gradient is that of the clamp (zero outside the range). Weight quantizers only
/// matter to the input gradient through the quantized weights' values; activation quantizers (PACT, LSQ) are on the path
/// from the input, so their masks shape it.
/// </para>
/// <para><b>Queries</b> count forward passes × inputs (one per input per gradient or evaluation), whatever the objective does inside.</para>
/// <para>
/// <b>Randomized models (EOT).</b> With <see cref="EotSamples"/> = n &gt; 1 every gradient is the mean of n forward/backward
/// passes, each drawing the model's fresh randomness (e.g. EnResNet's noise, which is on at inference): expectation over
/// transformation (Athalye, Carlini and Wagner 2018; torchattacks' EOTPGD). Each pass counts N queries. C&amp;W averages its
/// loss over the n passes instead (see <see cref="CarliniWagnerL2"/>).
/// </para>
/// </remarks>
public abstract class GradientAttack : IAttack
{
    /// <summary>Sets the model, threat model and objective.</summary>
    /// <param name="model">Model returning scores or logits (N, C).</param>
    /// <param name="threat">Constraints (validated here).</param>
    /// <param name="objective">Loss (inputs, labels) → scalar or (N); null for cross-entropy on the model's output.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="threat"/> is null.</exception>
    protected GradientAttack(Module<Tensor, Tensor> model, ThreatModel threat, Func<Tensor, Tensor, Tensor>? objective = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Threat = (threat ?? throw new ArgumentNullException(nameof(threat))).Validated();
        CustomObjective = objective;
    }

    /// <summary>The attacked model.</summary>
    public Module<Tensor, Tensor> Model { get; }

    /// <summary>The user's objective, or null for cross-entropy on the model's output.</summary>
    public Func<Tensor, Tensor, Tensor>? CustomObjective { get; }

    /// <summary>A name for <see cref="CustomObjective"/> in <see cref="Config"/> (e.g. "own loss: Mmc"): a function cannot be
    /// hashed, so without a name two different objectives would share cached results (the robustness evaluator refuses an
    /// unnamed one).</summary>
    public string? ObjectiveName { get; init; }

    /// <summary>
    /// Forward/backward passes averaged per gradient (expectation over transformation, for models with randomness at
    /// inference); 1 (default) is the plain gradient. In <see cref="Config"/> only when &gt; 1, so configs of
    /// deterministic attacks (and the results cached under them) are unchanged.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    public int EotSamples
    {
        get => _eotSamples;
        init => _eotSamples = value >= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(EotSamples), value, $"{GetType().Name}: EotSamples must be ≥ 1 (1 = no EOT; e.g. 10 for a model with noise at inference), got {value}.");
    }

    private readonly int _eotSamples = 1;

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public ThreatModel Threat { get; }

    /// <inheritdoc/>
    public long Queries { get; protected set; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config
    {
        get
        {
            var c = new Dictionary<string, object?>
            {
                ["attack"] = Name, ["norm"] = Threat.Norm.ToString(), ["epsilon"] = Threat.Epsilon, ["clip_min"] = Threat.ClipMin,
                ["clip_max"] = Threat.ClipMax, ["targeted"] = Threat.Targeted, ["objective"] = CustomObjective is null ? "cross_entropy" : ObjectiveName ?? UnnamedObjective,
            };
            foreach (var (k, v) in Settings()) c[k] = v;
            if (EotSamples > 1) c["eot_samples"] = EotSamples;
            return c;
        }
    }

    /// <summary>The <see cref="Config"/> value of a custom objective without a <see cref="ObjectiveName"/>.</summary>
    public const string UnnamedObjective = "custom";

    /// <summary>The attack's own settings for <see cref="Config"/>.</summary>
    protected abstract IEnumerable<KeyValuePair<string, object?>> Settings();

    /// <inheritdoc/>
    public Tensor Perturb(Tensor inputs, Tensor labels)
    {
        AttackChecks.Batch(Name, Threat, inputs, labels);
        using var scope = new AttackModeScope(Model, freezeParameters: true);
        return Run(inputs.Detach(), labels).Detach();
    }

    /// <summary>The attack proper, called in eval mode with frozen parameters on checked inputs.</summary>
    protected abstract Tensor Run(Tensor inputs, Tensor labels);

    /// <summary>
    /// The direction that increases the attacker's goal: ∇x of the objective at <paramref name="xAdv"/> (untargeted), or its
    /// negative (targeted), averaged over <see cref="EotSamples"/> passes. Counts N queries per pass.
    /// </summary>
    protected Tensor AscentGradient(Tensor xAdv, Tensor labels)
    {
        Tensor? sum = null;
        for (int s = 0; s < EotSamples; s++)
        {
            var x = xAdv.Detach().RequiresGrad_();
            Tensor loss;
            using (Torch.EnableGrad()) loss = Objective(x, labels);
            if (loss.Dim != 0) loss = loss.Sum();
            var g = Autograd.Grad(loss, x);
            Queries += xAdv.Size(0);
            sum = sum is null ? g : sum + g;
        }
        var mean = EotSamples == 1 ? sum! : sum! * (1f / EotSamples); // n = 1 stays bit-identical to the plain gradient
        return Threat.Targeted ? mean.Neg() : mean;
    }

    /// <summary>The model's output on <paramref name="inputs"/> (with autograd if enabled), after checking its shape and the labels' range. Counts N queries.</summary>
    protected Tensor Scores(Tensor inputs, long[] labels) => Scores(inputs, labels, count: true);

    private Tensor Scores(Tensor inputs, long[] labels, bool count)
    {
        var scores = Model.Forward(inputs);
        if (scores.Dim != 2 || scores.Size(0) != inputs.Size(0))
            throw new InvalidOperationException($"{Name}: the model must return scores (N, C) with N = {inputs.Size(0)}, got shape {scores.Shape}.");
        AttackChecks.LabelsBelow(Name, labels, scores.Size(1));
        if (count) Queries += inputs.Size(0);
        return scores;
    }

    private Tensor Objective(Tensor x, Tensor labels)
    {
        if (CustomObjective is not null) return CustomObjective(x, labels);
        var logits = Scores(x, labels.ToInt64Array(), count: false); // counted once, by AscentGradient
        return F.CrossEntropy(logits, labels);
    }

    /// <summary>Clamps each element to [x0 − ε, x0 + ε] (L∞) or rescales each input's δ to ‖δ‖₂ ≤ ε (L2), then to the clip range.</summary>
    protected Tensor Project(Tensor xAdv, Tensor x0, Tensor lower, Tensor upper)
    {
        if (Threat.Norm == AttackNorm.LInf) return Tensor.Minimum(Tensor.Maximum(xAdv, lower), upper).Clamp(Threat.ClipMin, Threat.ClipMax);
        return (x0 + L2Ball(xAdv - x0, Threat.Epsilon)).Clamp(Threat.ClipMin, Threat.ClipMax);
    }

    /// <summary>δ·min(1, ε/‖δ‖₂) per input (torchattacks' L2 projection; δ = 0 stays 0).</summary>
    internal static Tensor L2Ball(Tensor delta, float epsilon)
    {
        int n = delta.Size(0);
        var norms = delta.Reshape(n, -1).Norm(2f, [1]).ToArray();
        var factor = new float[n];
        for (int i = 0; i < n; i++) factor[i] = norms[i] > epsilon ? epsilon / norms[i] : 1f;
        return delta * Tensor.FromArray(factor, BroadcastShape(delta), delta.Device);
    }

    /// <summary>g / (‖g‖₂ + 1e-10) per input (torchattacks' L2 step direction).</summary>
    internal static Tensor L2Normalize(Tensor g)
    {
        int n = g.Size(0);
        var norms = g.Reshape(n, -1).Norm(2f, [1]) + 1e-10f;
        return g / norms.Reshape(BroadcastShape(g));
    }

    /// <summary>(N, 1, 1, …) for a per-input factor.</summary>
    internal static int[] BroadcastShape(Tensor t)
    {
        var s = new int[t.Dim];
        Array.Fill(s, 1);
        s[0] = t.Size(0);
        return s;
    }
}
