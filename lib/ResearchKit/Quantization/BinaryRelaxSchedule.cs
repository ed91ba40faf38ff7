namespace ResearchKit.Quantization;

/// <summary>
/// When Binary-Relax (Yin et al. 2018) relaxes and by how much, per epoch (0-based), with the BinaryRelax code's semantics:
/// during epoch e &lt; <see cref="RelaxedEpochs"/> the weights are relaxed with η = <see cref="InitialEta"/>·<see cref="Growth"/>^(e+1)
/// (the code multiplies η by its eta_rate at the start of every epoch), and from epoch <see cref="RelaxedEpochs"/> on the hard
/// phase uses P(w) itself.
/// </summary>
/// <remarks>Growth = 1 keeps η fixed, as the authors' BR script for EnResNet (Z. Li 2020). RelaxedEpochs = 0 is
/// BinaryConnect-style training (hard from the start).</remarks>
public sealed record BinaryRelaxSchedule
{
    private readonly int _relaxedEpochs;
    private readonly double _initialEta = 1, _growth = 1.05;

    /// <summary>Creates a schedule.</summary>
    /// <param name="relaxedEpochs">Epochs of the relaxed phase (≥ 0); the hard phase starts at this epoch.</param>
    /// <param name="initialEta">η before the first growth (≥ 0, finite).</param>
    /// <param name="growth">Factor applied to η at the start of every relaxed epoch (&gt; 0, finite; 1 keeps η fixed).</param>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public BinaryRelaxSchedule(int relaxedEpochs, double initialEta = 1, double growth = 1.05)
    {
        RelaxedEpochs = relaxedEpochs; InitialEta = initialEta; Growth = growth;
    }

    /// <summary>Epochs of the relaxed phase; the hard phase starts at this (0-based) epoch.</summary>
    /// <exception cref="ArgumentException">Negative.</exception>
    public int RelaxedEpochs
    {
        get => _relaxedEpochs;
        init => _relaxedEpochs = value >= 0 ? value
            : throw new ArgumentException($"BinaryRelaxSchedule: RelaxedEpochs = {value}; pass the number of relaxed epochs, ≥ 0 (0 = hard from the start).", nameof(RelaxedEpochs));
    }

    /// <summary>η before the first growth (the BinaryRelax code: 1).</summary>
    /// <exception cref="ArgumentException">Negative, NaN or infinite.</exception>
    public double InitialEta
    {
        get => _initialEta;
        init => _initialEta = value >= 0 && double.IsFinite(value) ? value
            : throw new ArgumentException($"BinaryRelaxSchedule: InitialEta = {value}; pass a finite η ≥ 0 (the BinaryRelax code uses 1).", nameof(InitialEta));
    }

    /// <summary>η's factor per relaxed epoch (the BinaryRelax code's eta_rate: 1.05).</summary>
    /// <exception cref="ArgumentException">Not a positive finite number.</exception>
    public double Growth
    {
        get => _growth;
        init => _growth = value > 0 && double.IsFinite(value) ? value
            : throw new ArgumentException($"BinaryRelaxSchedule: Growth = {value}; pass a finite factor > 0 (1.05 in the BinaryRelax code, 1 to keep η fixed).", nameof(Growth));
    }

    /// <summary>
    /// The BinaryRelax code (Yin et al. 2018, util/train_net.py): η = 1, multiplied by 1.05 each epoch while epoch &lt;
    /// <paramref name="relaxedEpochs"/> (its m_epochs, 80 by default), then the hard phase.
    /// </summary>
    /// <param name="relaxedEpochs">The code's m_epochs.</param>
    public static BinaryRelaxSchedule BinaryRelaxCode(int relaxedEpochs = 80) => new(relaxedEpochs, 1, 1.05);

    /// <summary>
    /// The authors' BR script for EnResNet (Z. Li 2020): η fixed at 1, hard phase from epoch 120 of 200 (SGD lr 0.1,
    /// MultiStepLR at 80/120/160, set up by the caller).
    /// </summary>
    public static BinaryRelaxSchedule EnResNetScript { get; } = new(120, 1, 1);
}
