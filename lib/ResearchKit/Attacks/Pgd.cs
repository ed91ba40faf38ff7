using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Attacks;

/// <summary>
/// Projected Gradient Descent (Madry et al. 2018; thesis Alg. 7, App. A): from x₀ = x (no random start, as the thesis)
/// or a random point of the ε-ball, repeat x ← Π(x + α·sign(∇x L)) (L∞) or x ← Π(x + α·∇x L/‖∇x L‖₂) (L2), where Π
/// projects onto the ε-ball around the clean input and then onto the clip range.
/// </summary>
/// <remarks>
/// App. A's setting is <c>new Pgd(model, ThreatModel.Thesis, steps: 10, stepSize: 2f / 255)</c>. The thesis prints the
/// ball as ‖x − x_adv‖∞ &lt; ε (strict); the projection here is onto the closed ball, as every implementation does.
/// Random start (off by default): L∞ uniform in [−ε, ε]; L2 a Gaussian direction scaled to radius ε·u, u ~ U(0, 1)
/// (torchattacks), then clipped; drawn from a <see cref="Generator"/> seeded with <see cref="Seed"/>.
/// </remarks>
public sealed class Pgd : GradientAttack, IIterativeAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="model">Model returning scores (N, C).</param>
    /// <param name="threat">ε-ball (L∞ or L2), clip range and goal.</param>
    /// <param name="steps">Number of steps (≥ 1).</param>
    /// <param name="stepSize">α &gt; 0 (for L∞ the thesis uses 2/255).</param>
    /// <param name="randomStart">Start from a random point of the ε-ball instead of x.</param>
    /// <param name="seed">Seed of the random start.</param>
    /// <param name="objective">Loss (inputs, labels); null for cross-entropy.</param>
    /// <exception cref="ArgumentOutOfRangeException">steps &lt; 1 or α not finite and positive.</exception>
    public Pgd(Module<Tensor, Tensor> model, ThreatModel threat, int steps = 10, float stepSize = 2f / 255, bool randomStart = false,
        long seed = 0, Func<Tensor, Tensor, Tensor>? objective = null) : base(model, threat, objective)
    {
        Iterations = AttackChecks.AtLeast("PGD", nameof(steps), steps, 1);
        StepSize = (float)AttackChecks.Positive("PGD", nameof(stepSize), stepSize);
        RandomStart = randomStart;
        Seed = seed;
    }

    /// <inheritdoc/>
    public override string Name => "PGD";

    /// <summary>Number of steps.</summary>
    public int Iterations { get; }

    /// <summary>Step size α.</summary>
    public float StepSize { get; }

    /// <summary>Whether x₀ is a random point of the ε-ball.</summary>
    public bool RandomStart { get; }

    /// <summary>Seed of the random start.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, object?>> Settings() =>
    [
        new("steps", Iterations), new("step_size", StepSize), new("random_start", RandomStart), new("seed", Seed),
    ];

    /// <inheritdoc/>
    protected override Tensor Run(Tensor inputs, Tensor labels) => Iterate(inputs, labels, [Iterations])[0];

    /// <summary>
    /// PGD from a given starting point instead of x or <see cref="RandomStart"/>'s draw (e.g. TRADES' x + 0.001·N(0, 1),
    /// or a start drawn by a caller's own generator); the start is first projected onto the ε-ball around
    /// <paramref name="inputs"/> and the clip range. Same side effects as <see cref="GradientAttack.Perturb"/>.
    /// </summary>
    /// <param name="inputs">Clean inputs x (N, …), the center of the ball.</param>
    /// <param name="labels">Labels (N).</param>
    /// <param name="start">Starting point, the inputs' shape.</param>
    /// <exception cref="ArgumentException">The start's shape differs from the inputs', or the batch is invalid.</exception>
    public Tensor PerturbFrom(Tensor inputs, Tensor labels, Tensor start)
    {
        AttackChecks.Batch(Name, Threat, inputs, labels);
        ArgumentNullException.ThrowIfNull(start);
        if (!start.Shape.Equals(inputs.Shape))
            throw new ArgumentException($"{Name}: the start must have the inputs' shape {inputs.Shape}, got {start.Shape}.", nameof(start));
        using var scope = new AttackModeScope(Model, freezeParameters: true);
        return Iterate(inputs.Detach(), labels, [Iterations], start.Detach())[0];
    }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> PerturbAt(Tensor inputs, Tensor labels, IReadOnlyList<int> iterations)
    {
        AttackChecks.Iterations(Name, iterations);
        AttackChecks.Batch(Name, Threat, inputs, labels);
        using var scope = new AttackModeScope(Model, freezeParameters: true);
        return Iterate(inputs.Detach(), labels, iterations);
    }

    private List<Tensor> Iterate(Tensor x0, Tensor labels, IReadOnlyList<int> snapshots, Tensor? start = null)
    {
        float eps = Threat.Epsilon;
        Tensor lower = x0 - eps, upper = x0 + eps;
        var x = start is not null ? Project(start, x0, lower, upper) : RandomStart ? Start(x0, lower, upper) : x0.Clone();
        var result = new List<Tensor>(snapshots.Count);
        for (int t = 1, next = 0; next < snapshots.Count; t++)
        {
            var g = AscentGradient(x, labels);
            var step = Threat.Norm == AttackNorm.LInf ? g.Sign() * StepSize : L2Normalize(g) * StepSize;
            x = Project(x + step, x0, lower, upper).Detach();
            if (t == snapshots[next]) { result.Add(x.Clone()); next++; }
        }
        return result;
    }

    private Tensor Start(Tensor x0, Tensor lower, Tensor upper)
    {
        var gen = new Generator(Seed);
        float eps = Threat.Epsilon;
        if (Threat.Norm == AttackNorm.LInf)
            return Project(x0 + Tensor.Uniform(x0.Shape.ToArray(), -eps, eps, gen, x0.Device), x0, lower, upper);
        var dir = Tensor.Randn(x0.Shape.ToArray(), gen, x0.Device);
        var radius = Tensor.Uniform(BroadcastShape(x0), 0f, 1f, gen, x0.Device) * eps;
        return Project(x0 + L2Normalize(dir) * radius, x0, lower, upper);
    }
}
