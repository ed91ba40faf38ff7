using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Attacks.SideChannel;

/// <summary>
/// Turns a label-only device into a score-based one through a simulated side channel: for each queried input it reads the
/// device's true logits, acquires <see cref="LeakageModel.Traces"/> leaky traces of them (<see cref="LeakageModel"/>),
/// averages them and inverts the leakage with the attacker's gain and offset, so <see cref="Scores"/> returns the
/// attacker's estimate of the logits. SPSA and Square take it unchanged, as any <see cref="IScoreOracle"/>.
/// </summary>
/// <remarks>
/// <para>
/// Randomness: the noise of the k-th input ever queried (counting from 0 across calls) comes from its own stream derived
/// from (seed, k), so a result does not depend on how the same sequence of inputs is cut into calls; the calibration
/// (when <see cref="LeakageCalibration.Calibrated"/>) draws from its own stream at construction.
/// </para>
/// <para>
/// Cost: <see cref="Queries"/> counts inputs (as every oracle), <see cref="Traces"/> counts acquisitions on the target
/// (Queries × T), the attacker's real cost; the calibration's traces, taken on the attacker's own device, are counted
/// apart in <see cref="CalibrationTracesAcquired"/>.
/// </para>
/// </remarks>
public sealed class SideChannelOracle : IScoreOracle
{
    private readonly IScoreOracle _device;

    /// <summary>Wraps a device whose true logits are given by <paramref name="device"/> (the attacker never sees them directly).</summary>
    /// <param name="device">The device's true logits (N, C).</param>
    /// <param name="leakage">The side channel; validated here.</param>
    /// <param name="seed">Seed of the noise and of the calibration.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A leakage setting is out of range.</exception>
    /// <exception cref="InvalidOperationException">The calibration fits a gain of zero (the ADC saturates over the whole calibration range).</exception>
    public SideChannelOracle(IScoreOracle device, LeakageModel leakage, long seed = 0)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        Leakage = (leakage ?? throw new ArgumentNullException(nameof(leakage))).Validated();
        Seed = seed;
        (EstimatedGain, EstimatedOffset) = Leakage.Calibration == LeakageCalibration.Known ? (Leakage.Gain, Leakage.Offset) : Calibrate();
    }

    /// <summary>Wraps a model run on the device (through a <see cref="ModelOracle"/>).</summary>
    /// <param name="model">The device's model, returning logits (N, C).</param>
    /// <param name="leakage">The side channel.</param>
    /// <param name="seed">Seed of the noise and of the calibration.</param>
    public SideChannelOracle(Module<Tensor, Tensor> model, LeakageModel leakage, long seed = 0) : this(new ModelOracle(model), leakage, seed) { }

    /// <summary>The side channel.</summary>
    public LeakageModel Leakage { get; }

    /// <summary>Seed of every random draw.</summary>
    public long Seed { get; }

    /// <summary>The gain the attacker inverts with (the true one when <see cref="LeakageCalibration.Known"/>).</summary>
    public double EstimatedGain { get; }

    /// <summary>The offset the attacker inverts with (the true one when <see cref="LeakageCalibration.Known"/>).</summary>
    public double EstimatedOffset { get; }

    /// <inheritdoc/>
    public long Queries { get; private set; }

    /// <summary>Traces acquired on the target: <see cref="Queries"/> × T.</summary>
    public long Traces { get; private set; }

    /// <summary>Traces acquired on the attacker's own device to calibrate a and b (0 when they are known).</summary>
    public long CalibrationTracesAcquired { get; private set; }

    /// <summary>The extracted logits (N, C) for inputs (N, …): the inverted average of T leaky traces per input.</summary>
    /// <exception cref="ArgumentException">Inputs are not a batch.</exception>
    /// <exception cref="InvalidOperationException">The device does not return finite scores (N, C).</exception>
    public Tensor Scores(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Dim < 1 || inputs.Size(0) < 1) throw new ArgumentException($"SideChannelOracle: inputs must be a batch (N, …) with N ≥ 1, got shape {inputs.Shape}.", nameof(inputs));
        int n = inputs.Size(0);
        Tensor truth;
        using (Torch.NoGrad()) truth = _device.Scores(inputs);
        if (truth.Dim != 2 || truth.Size(0) != n)
            throw new InvalidOperationException($"SideChannelOracle: the device must return logits (N, C) with N = {n}, got shape {truth.Shape}.");
        int c = truth.Size(1);
        var logits = truth.Detach().ToArray();
        var estimate = new float[logits.Length];
        var mean = new double[c];
        for (int r = 0; r < n; r++)
        {
            var row = logits.AsSpan(r * c, c);
            foreach (float v in row)
                if (!float.IsFinite(v)) throw new InvalidOperationException($"SideChannelOracle: the device returned a non-finite logit ({v}) for input {r}.");
            Leakage.AverageTraces(row, Leakage.Traces, RandomStreams.For(Seed, Queries + r, 1), mean);
            for (int k = 0; k < c; k++) estimate[r * c + k] = (float)((mean[k] - EstimatedOffset) / EstimatedGain);
        }
        Queries += n;
        Traces += (long)n * Leakage.Traces;
        return Tensor.FromArray(estimate, n, c);
    }

    /// <summary>Least-squares fit of (a, b) on the averaged traces of known logit values, as a profiling attacker would; the
    /// known values form one row, so relative noise is measured against their RMS.</summary>
    private (double Gain, double Offset) Calibrate()
    {
        int k = Leakage.CalibrationPoints;
        var known = new float[k];
        for (int i = 0; i < k; i++) known[i] = (float)(Leakage.CalibrationMin + (Leakage.CalibrationMax - Leakage.CalibrationMin) * i / (k - 1));
        var mean = new double[k];
        Leakage.AverageTraces(known, Leakage.CalibrationTraces, RandomStreams.For(Seed, 0, 2), mean);
        CalibrationTracesAcquired = (long)k * Leakage.CalibrationTraces;
        double mx = 0, my = 0;
        for (int i = 0; i < k; i++) { mx += known[i]; my += mean[i]; }
        mx /= k; my /= k;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < k; i++) { sxy += (known[i] - mx) * (mean[i] - my); sxx += (known[i] - mx) * (known[i] - mx); }
        double gain = sxy / sxx;
        if (!double.IsFinite(gain) || gain == 0)
            throw new InvalidOperationException($"SideChannelOracle: calibration fitted a gain of {gain}: the traces do not vary with the logit. Widen the ADC range [{Leakage.AdcMin}, {Leakage.AdcMax}] to cover a·[{Leakage.CalibrationMin}, {Leakage.CalibrationMax}] + b.");
        return (gain, my - gain * mx);
    }
}
