namespace ResearchKit.Quantization;

/// <summary>
/// The phase of Binary-Relax training, shared by every <see cref="BinaryRelaxQuantizer"/> of a model and set once per epoch
/// (by <see cref="BinaryRelaxCallback"/>): the relaxed weights u = (η·P(w) + w)/(1 + η), or P(w) itself when <see cref="Hard"/>.
/// </summary>
/// <remarks>Mutable on purpose: one object read by all layers, so a model switches phase in one assignment. Starts relaxed
/// with η = 0 (u = w) until set.</remarks>
public sealed class BinaryRelaxState
{
    private double _eta;

    /// <summary>The relaxation weight η ≥ 0 (∞ allowed: u = P(w)).</summary>
    /// <exception cref="ArgumentException">Negative or NaN.</exception>
    public double Eta
    {
        get => _eta;
        set => _eta = value >= 0 ? value
            : throw new ArgumentException($"BinaryRelaxState: Eta = {value}; pass η ≥ 0.", nameof(Eta));
    }

    /// <summary>Whether the forward pass uses P(w) (hard phase) instead of the relaxed weights.</summary>
    public bool Hard { get; set; }

    /// <summary>Sets η and the phase for <paramref name="epoch"/> of <paramref name="schedule"/> (see <see cref="At"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="epoch"/> is negative.</exception>
    public void Set(int epoch, BinaryRelaxSchedule schedule) => (Eta, Hard) = At(epoch, schedule);

    /// <summary>
    /// η and the phase during 0-based <paramref name="epoch"/>: relaxed with η = η₀·growth^(epoch+1) while epoch &lt;
    /// RelaxedEpochs; hard afterwards, with η frozen at its last relaxed value η₀·growth^RelaxedEpochs (unused then).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="epoch"/> is negative.</exception>
    public static (double Eta, bool Hard) At(int epoch, BinaryRelaxSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (epoch < 0) throw new ArgumentException($"BinaryRelaxState.At: epoch = {epoch}; epochs are counted from 0.", nameof(epoch));
        bool hard = epoch >= schedule.RelaxedEpochs;
        int growths = hard ? schedule.RelaxedEpochs : epoch + 1;
        return (schedule.InitialEta * Math.Pow(schedule.Growth, growths), hard);
    }
}
