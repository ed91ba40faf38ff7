using System.Globalization;
using ResearchKit.Attacks;
using ResearchKit.Losses;

namespace ResearchKit.Defenses;

/// <summary>
/// Settings of <see cref="AdversarialTraining"/>. The defaults are the Madry adversarial training of the EnResNet code
/// (Wang, Shi and Osher 2019, BaoWangMath/EnResNet <c>main_pgd_enresnet5_20.py</c>, also used by Li, Wang and Xin 2020):
/// L∞ PGD with ε = 0.031, 10 steps of 0.007, a uniform random start in [−ε, ε], inputs in [0, 1], training on x_adv only.
/// TRADES' own code uses the same ε, steps and step size with β = 6.
/// </summary>
public sealed record AdversarialTrainingOptions
{
    /// <summary>The training loss (default <see cref="AdversarialObjective.Madry"/>, the EnResNet code's).</summary>
    public AdversarialObjective Objective { get; init; } = AdversarialObjective.Madry;

    /// <summary>L∞ radius ε of the crafted examples (default 0.031, EnResNet and TRADES code).</summary>
    public float Epsilon { get; init; } = 0.031f;

    /// <summary>PGD steps per batch (default 10, EnResNet and TRADES code).</summary>
    public int Steps { get; init; } = 10;

    /// <summary>PGD step size (default 0.007, EnResNet and TRADES code).</summary>
    public float StepSize { get; init; } = 0.007f;

    /// <summary>
    /// Whether PGD starts from a random point (default true): uniform in [−ε, ε] for <see cref="AdversarialObjective.Madry"/>
    /// and <see cref="AdversarialObjective.TradeOff"/> (EnResNet code), x + 0.001·N(0, 1) for
    /// <see cref="AdversarialObjective.Trades"/> (TRADES code); false starts from x.
    /// </summary>
    public bool RandomStart { get; init; } = true;

    /// <summary>The natural weight a ∈ [0, 1] of <see cref="AdversarialObjective.TradeOff"/> (default 0.5, Goodfellow et al. 2015's α).</summary>
    public double NaturalWeight { get; init; } = 0.5;

    /// <summary>β ≥ 0 of <see cref="AdversarialObjective.Trades"/> (default 6, TRADES on CIFAR-10).</summary>
    public double Beta { get; init; } = TradesLoss.DefaultBeta;

    /// <summary>Lower bound of valid inputs (default 0: the EnResNet code feeds unnormalized [0, 1] images).</summary>
    public float ClipMin { get; init; }

    /// <summary>Upper bound of valid inputs (default 1).</summary>
    public float ClipMax { get; init; } = 1f;

    /// <summary>Gradient passes averaged per PGD step (EOT, for models with noise at inference; default 1 as the EnResNet code).</summary>
    public int EotSamples { get; init; } = 1;

    /// <summary>Seed of the random starts (same seed and same batches → the same crafted examples).</summary>
    public long Seed { get; init; }

    /// <summary>The crafting threat model: L∞, <see cref="Epsilon"/>, [<see cref="ClipMin"/>, <see cref="ClipMax"/>], untargeted.</summary>
    public ThreatModel Threat => new(AttackNorm.LInf, Epsilon, ClipMin, ClipMax, Targeted: false);

    /// <summary>These options, checked; every message names the setting and its valid range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentException">The clip range is empty.</exception>
    public AdversarialTrainingOptions Validated()
    {
        const string op = nameof(AdversarialTrainingOptions);
        if (!Enum.IsDefined(Objective)) throw new ArgumentOutOfRangeException(nameof(Objective), Objective, $"{op}: unknown objective {Objective}; use Madry, TradeOff or Trades.");
        if (!(Epsilon >= 0) || !float.IsFinite(Epsilon)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, $"{op}: Epsilon must be finite and ≥ 0 (EnResNet code: 0.031), got {Epsilon}.");
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"{op}: Steps must be ≥ 1 (EnResNet code: 10), got {Steps}.");
        if (!(StepSize > 0) || !float.IsFinite(StepSize)) throw new ArgumentOutOfRangeException(nameof(StepSize), StepSize, $"{op}: StepSize must be finite and > 0 (EnResNet code: 0.007), got {StepSize}.");
        if (!(NaturalWeight >= 0 && NaturalWeight <= 1)) throw new ArgumentOutOfRangeException(nameof(NaturalWeight), NaturalWeight, $"{op}: NaturalWeight a must be in [0, 1] (1 = natural training, 0 = Madry's), got {NaturalWeight}.");
        if (!(Beta >= 0) || double.IsInfinity(Beta)) throw new ArgumentOutOfRangeException(nameof(Beta), Beta, $"{op}: Beta must be finite and ≥ 0 (TRADES: 6), got {Beta}.");
        if (EotSamples < 1) throw new ArgumentOutOfRangeException(nameof(EotSamples), EotSamples, $"{op}: EotSamples must be ≥ 1 (1 = no EOT), got {EotSamples}.");
        Threat.Validated();
        return this;
    }

    /// <summary>The settings for a run config (keys snake_case; a weight only for the objective that uses it, EOT only when &gt; 1).</summary>
    public IReadOnlyDictionary<string, object?> Config
    {
        get
        {
            var c = new Dictionary<string, object?>
            {
                ["objective"] = Objective.ToString(),
                ["attack"] = "PGD",
                ["norm"] = nameof(AttackNorm.LInf),
                ["epsilon"] = (double)Epsilon,
                ["steps"] = Steps,
                ["step_size"] = (double)StepSize,
                ["random_start"] = RandomStart ? (Objective == AdversarialObjective.Trades ? "x + 0.001·N(0, 1) (TRADES)" : "uniform [−ε, ε]") : "none",
                ["attack_loss"] = Objective == AdversarialObjective.Trades ? "KL(p(x) || p(x_adv))" : "cross_entropy",
                ["craft_mode"] = "eval, frozen parameters",
                ["clip_min"] = (double)ClipMin,
                ["clip_max"] = (double)ClipMax,
                ["seed"] = Seed,
            };
            if (Objective == AdversarialObjective.TradeOff) c["natural_weight"] = NaturalWeight;
            if (Objective == AdversarialObjective.Trades) c["beta"] = Beta;
            if (EotSamples > 1) c["eot_samples"] = EotSamples;
            return c;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Objective switch
    {
        AdversarialObjective.TradeOff => $"trade-off a={NaturalWeight.ToString(CultureInfo.InvariantCulture)}",
        AdversarialObjective.Trades => $"TRADES β={Beta.ToString(CultureInfo.InvariantCulture)}",
        _ => "Madry",
    } + $", PGD-{Steps} ε={Epsilon.ToString(CultureInfo.InvariantCulture)} α={StepSize.ToString(CultureInfo.InvariantCulture)}";
}
