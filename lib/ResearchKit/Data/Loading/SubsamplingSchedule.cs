using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// The thesis' sub-sampling schedule (Algorithm 4): train on dilated (sub-sampled) sequences first and on the full
/// sequence later. With rates R and step targets S, a step s uses rate R[i] for the first i with s &lt; S[i], and rate
/// 1 (the full sequence) once s ≥ S[last]; so a step equal to a target already uses the next rate.
/// </summary>
/// <remarks>
/// At rate r a sequence of length L keeps elements 0, r, 2r, … — ⌊L/r⌋ of them, so when r does not divide L the
/// remainder is dropped (784 at r = 6 keeps 0…774, 130 elements, not 131). With the defaults, 784-long inputs
/// have lengths 98, 130, 196, 392 and 784 at steps 0, 3000, 6000, 9000 and 12000.
/// </remarks>
public sealed class SubsamplingSchedule
{
    private readonly int[] _rates;
    private readonly long[] _targets;

    /// <summary>A schedule using <paramref name="rates"/>[i] until step <paramref name="stepTargets"/>[i] (exclusive).</summary>
    /// <exception cref="ArgumentException">Lengths differ, a rate is below 1, or the targets are not strictly increasing and ≥ 0.</exception>
    public SubsamplingSchedule(int[] rates, long[] stepTargets)
    {
        ArgumentNullException.ThrowIfNull(rates);
        ArgumentNullException.ThrowIfNull(stepTargets);
        if (rates.Length != stepTargets.Length)
            throw new ArgumentException($"SubsamplingSchedule: {rates.Length} rates but {stepTargets.Length} step targets; give one target per rate.");
        for (int i = 0; i < rates.Length; i++)
        {
            if (rates[i] < 1) throw new ArgumentException($"SubsamplingSchedule: rate[{i}] = {rates[i]} must be at least 1.");
            if (stepTargets[i] < 0) throw new ArgumentException($"SubsamplingSchedule: stepTargets[{i}] = {stepTargets[i]} must be ≥ 0.");
            if (i > 0 && stepTargets[i] <= stepTargets[i - 1])
                throw new ArgumentException($"SubsamplingSchedule: step targets must increase, but stepTargets[{i - 1}] = {stepTargets[i - 1]} ≥ stepTargets[{i}] = {stepTargets[i]}.");
        }
        _rates = (int[])rates.Clone();
        _targets = (long[])stepTargets.Clone();
    }

    /// <summary>The thesis values: R = (8, 6, 4, 2), S = (3000, 6000, 9000, 12000).</summary>
    public static SubsamplingSchedule Default() => new([8, 6, 4, 2], [3000, 6000, 9000, 12000]);

    /// <summary>The dilation rates R.</summary>
    public IReadOnlyList<int> Rates => _rates;
    /// <summary>The step targets S.</summary>
    public IReadOnlyList<long> StepTargets => _targets;

    /// <summary>The dilation rate at <paramref name="step"/> (1 after the last target).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative step.</exception>
    public int RateAt(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "SubsamplingSchedule.RateAt: step must be ≥ 0.");
        for (int i = 0; i < _targets.Length; i++)
            if (step < _targets[i]) return _rates[i];
        return 1;
    }

    /// <summary>The sub-sampled length ⌊<paramref name="fullLength"/>/r⌋ at <paramref name="step"/>.</summary>
    public int LengthAt(long step, int fullLength) => fullLength / RateAt(step);

    /// <summary>
    /// Sub-samples (N, L, F) sequences along L at the rate of <paramref name="step"/>: a contiguous (N, ⌊L/r⌋, F) tensor
    /// (the input itself at rate 1). Differentiable (a strided slice).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not 3-D, or the sequence is shorter than the rate.</exception>
    public Tensor Apply(Tensor seqs, long step)
    {
        ArgumentNullException.ThrowIfNull(seqs);
        if (seqs.Dim != 3)
            throw new ArgumentException($"SubsamplingSchedule.Apply: expected batch-first (N, L, F) sequences, got shape {seqs.Shape}; SequentialMnist.ToSequences makes them from images.");
        int r = RateAt(step);
        if (r == 1) return seqs;
        int len = seqs.Shape[1] / r;
        if (len == 0)
            throw new ArgumentException($"SubsamplingSchedule.Apply: sequences of length {seqs.Shape[1]} are shorter than the rate {r} at step {step}.");
        return seqs.Slice(1, 0, len * r, r).Contiguous();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"SubsamplingSchedule(rates=[{string.Join(", ", _rates)}], step_targets=[{string.Join(", ", _targets)}])";
}
