using ResearchKit.Attacks;
using ResearchKit.Attacks.SideChannel;
using ResearchKit.Tensors;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// A score-based attack together with the view of the device it queries (true logits, a side channel, or the label only): it
/// perturbs exactly as the wrapped attack, and its <see cref="Config"/> adds the view — for a side channel every
/// <see cref="LeakageModel"/> setting and the channel's seed — so an evaluation stored by <see cref="Robustness.RobustnessEvaluator"/>
/// is keyed by how the attacker saw the device, not only by the attack's own settings.
/// </summary>
public sealed class ViewedAttack : IAttack
{
    private readonly IAttack _attack;

    private ViewedAttack(IAttack attack, AttackerView view, IScoreOracle oracle, LeakageModel? leakage, long leakageSeed)
    {
        _attack = attack ?? throw new ArgumentNullException(nameof(attack));
        View = view; Oracle = oracle; Leakage = leakage; LeakageSeed = leakageSeed;
    }

    /// <summary>Builds <paramref name="attackOn"/>'s attack on the <paramref name="view"/> of <paramref name="device"/>.</summary>
    /// <param name="device">The device's true logits.</param>
    /// <param name="view">What the attacker sees.</param>
    /// <param name="attackOn">Builds the attack on the oracle it is given (e.g. <c>o =&gt; new Spsa(o, threat, 16, 20)</c>).</param>
    /// <param name="leakage">The side channel (required for <see cref="AttackerView.SideChannel"/>, ignored otherwise).</param>
    /// <param name="leakageSeed">Seed of the side channel's noise and calibration.</param>
    /// <exception cref="ArgumentException">A side-channel view without a leakage model, or an unknown view.</exception>
    public static ViewedAttack On(IScoreOracle device, AttackerView view, Func<IScoreOracle, IAttack> attackOn, LeakageModel? leakage = null, long leakageSeed = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(attackOn);
        IScoreOracle oracle = view switch
        {
            AttackerView.TrueLogits => device,
            AttackerView.LabelOnly => new LabelOnlyOracle(device),
            AttackerView.SideChannel => new SideChannelOracle(device, leakage
                ?? throw new ArgumentException("ViewedAttack: a side-channel view needs a LeakageModel (noise, traces T, …).", nameof(leakage)), leakageSeed),
            _ => throw new ArgumentException($"ViewedAttack: unknown view {view}; use an AttackerView member.", nameof(view)),
        };
        return new ViewedAttack(attackOn(oracle), view, oracle, view == AttackerView.SideChannel ? leakage : null, view == AttackerView.SideChannel ? leakageSeed : 0);
    }

    /// <summary>What the attacker sees.</summary>
    public AttackerView View { get; }

    /// <summary>The oracle the attack queries.</summary>
    public IScoreOracle Oracle { get; }

    /// <summary>The side channel (null for the other views).</summary>
    public LeakageModel? Leakage { get; }

    /// <summary>Seed of the side channel (0 for the other views).</summary>
    public long LeakageSeed { get; }

    /// <summary>Traces acquired on the device so far (queries × T); null for the views that are not a side channel.</summary>
    public long? TargetTraces => (Oracle as SideChannelOracle)?.Traces;

    /// <inheritdoc/>
    public string Name => _attack.Name;

    /// <inheritdoc/>
    public ThreatModel Threat => _attack.Threat;

    /// <inheritdoc/>
    public long Queries => _attack.Queries;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config => new Dictionary<string, object?>(_attack.Config)
    {
        ["attacker_view"] = ViewKey(View, Leakage, LeakageSeed),
    };

    /// <inheritdoc/>
    public Tensor Perturb(Tensor inputs, Tensor labels) => _attack.Perturb(inputs, labels);

    /// <summary>The view as recorded in the key: its name, and for a side channel every leakage setting and the seed.</summary>
    public static IReadOnlyDictionary<string, object?> ViewKey(AttackerView view, LeakageModel? leakage, long seed)
    {
        var key = new Dictionary<string, object?> { ["view"] = view.ToString() };
        if (view != AttackerView.SideChannel) return key;
        ArgumentNullException.ThrowIfNull(leakage);
        key["traces"] = leakage.Traces;
        key["noise_sigma"] = leakage.NoiseSigma;
        key["noise_scale"] = leakage.Scale.ToString();
        key["gain"] = leakage.Gain;
        key["offset"] = leakage.Offset;
        key["adc_bits"] = leakage.AdcBits;
        key["adc_min"] = leakage.AdcMin;
        key["adc_max"] = leakage.AdcMax;
        key["calibration"] = leakage.Calibration.ToString();
        if (leakage.Calibration == LeakageCalibration.Calibrated)
        {
            key["calibration_points"] = leakage.CalibrationPoints;
            key["calibration_traces"] = leakage.CalibrationTraces;
            key["calibration_min"] = leakage.CalibrationMin;
            key["calibration_max"] = leakage.CalibrationMax;
        }
        key["seed"] = seed;
        return key;
    }
}
