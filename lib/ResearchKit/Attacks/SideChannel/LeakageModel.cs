namespace ResearchKit.Attacks.SideChannel;

/// <summary>
/// A simulated side channel through which an attacker observes a device's logits: each trace of an input leaks every logit
/// linearly, y = a·logit + b + σ·ε with ε ~ N(0, 1) independent per trace and per logit, then (optionally) through an ADC
/// of <see cref="AdcBits"/> bits over [<see cref="AdcMin"/>, <see cref="AdcMax"/>] (saturating, round to the nearest level).
/// The attacker averages <see cref="Traces"/> traces per query and inverts the leakage with its (known or calibrated) a, b.
/// </summary>
/// <remarks>
/// A generic model, not a replica of a measured device: Coqueret et al. (arXiv:2311.14005) extract logits from EM traces,
/// but the number of traces, the noise and the recovery method they use were not found (FACTS-sca.md), so every value
/// here is a setting and none of the defaults claims to be theirs. Averaging T traces divides the noise's standard
/// deviation by √T; the ADC adds a rounding error of at most half a step (Δ/2, Δ = (max − min)/(2^bits − 1)) per trace,
/// which averages out only when the noise is large enough to dither it (σ ≳ Δ/2).
/// </remarks>
public sealed record LeakageModel
{
    /// <summary>σ ≥ 0, the noise of one trace (leakage units, or a fraction of the signal: see <see cref="Scale"/>).</summary>
    public double NoiseSigma { get; init; } = 1.0;

    /// <summary>What <see cref="NoiseSigma"/> is measured against.</summary>
    public NoiseScale Scale { get; init; } = NoiseScale.Absolute;

    /// <summary>a ≠ 0, the leakage's gain (leakage units per logit unit).</summary>
    public double Gain { get; init; } = 1.0;

    /// <summary>b, the leakage's offset (leakage units).</summary>
    public double Offset { get; init; }

    /// <summary>ADC resolution in bits (1 to 24), or 0 for no ADC (traces are real numbers).</summary>
    public int AdcBits { get; init; }

    /// <summary>Lowest ADC input (leakage units); lower leakage saturates to it.</summary>
    public double AdcMin { get; init; } = -16.0;

    /// <summary>Highest ADC input (leakage units); higher leakage saturates to it.</summary>
    public double AdcMax { get; init; } = 16.0;

    /// <summary>T ≥ 1, traces averaged per query: the attacker's cost per input is T acquisitions.</summary>
    public int Traces { get; init; } = 1;

    /// <summary>Whether the attacker knows a, b or has to calibrate them.</summary>
    public LeakageCalibration Calibration { get; init; } = LeakageCalibration.Known;

    /// <summary>Known logit values profiled when calibrating (≥ 2), spread evenly over [<see cref="CalibrationMin"/>, <see cref="CalibrationMax"/>].</summary>
    public int CalibrationPoints { get; init; } = 16;

    /// <summary>Traces averaged per calibration point (≥ 1).</summary>
    public int CalibrationTraces { get; init; } = 256;

    /// <summary>Smallest known logit value profiled when calibrating.</summary>
    public double CalibrationMin { get; init; } = -10.0;

    /// <summary>Largest known logit value profiled when calibrating.</summary>
    public double CalibrationMax { get; init; } = 10.0;

    /// <summary>The ADC step Δ = (max − min)/(2^bits − 1), or 0 without an ADC.</summary>
    public double AdcStep => AdcBits == 0 ? 0.0 : (AdcMax - AdcMin) / ((1L << AdcBits) - 1);

    /// <summary>Checks every setting and throws a clear error for a bad one.</summary>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (the message names it and a valid value).</exception>
    public LeakageModel Validated()
    {
        if (!double.IsFinite(NoiseSigma) || NoiseSigma < 0)
            throw new ArgumentOutOfRangeException(nameof(NoiseSigma), NoiseSigma, $"LeakageModel: NoiseSigma must be finite and ≥ 0, got {NoiseSigma}; use 0 for a noiseless channel.");
        if (!Enum.IsDefined(Scale))
            throw new ArgumentOutOfRangeException(nameof(Scale), Scale, "LeakageModel: Scale must be NoiseScale.Absolute or NoiseScale.RelativeToLogits.");
        if (!double.IsFinite(Gain) || Gain == 0)
            throw new ArgumentOutOfRangeException(nameof(Gain), Gain, $"LeakageModel: Gain must be finite and non-zero (a zero gain leaks nothing), got {Gain}.");
        if (!double.IsFinite(Offset))
            throw new ArgumentOutOfRangeException(nameof(Offset), Offset, $"LeakageModel: Offset must be finite, got {Offset}.");
        if (AdcBits is < 0 or > 24)
            throw new ArgumentOutOfRangeException(nameof(AdcBits), AdcBits, $"LeakageModel: AdcBits must be 0 (no ADC) or 1 to 24, got {AdcBits}; oscilloscopes have 8 to 12.");
        if (!double.IsFinite(AdcMin) || !double.IsFinite(AdcMax) || !(AdcMin < AdcMax))
            throw new ArgumentOutOfRangeException(nameof(AdcMin), AdcMin, $"LeakageModel: the ADC range [{AdcMin}, {AdcMax}] must be finite and non-empty, e.g. [-16, 16].");
        if (Traces < 1)
            throw new ArgumentOutOfRangeException(nameof(Traces), Traces, $"LeakageModel: Traces must be ≥ 1 (traces averaged per query), got {Traces}.");
        if (!Enum.IsDefined(Calibration))
            throw new ArgumentOutOfRangeException(nameof(Calibration), Calibration, "LeakageModel: Calibration must be LeakageCalibration.Known or LeakageCalibration.Calibrated.");
        if (CalibrationPoints < 2)
            throw new ArgumentOutOfRangeException(nameof(CalibrationPoints), CalibrationPoints, $"LeakageModel: CalibrationPoints must be ≥ 2 to fit a gain and an offset, got {CalibrationPoints}.");
        if (CalibrationTraces < 1)
            throw new ArgumentOutOfRangeException(nameof(CalibrationTraces), CalibrationTraces, $"LeakageModel: CalibrationTraces must be ≥ 1, got {CalibrationTraces}.");
        if (!double.IsFinite(CalibrationMin) || !double.IsFinite(CalibrationMax) || !(CalibrationMin < CalibrationMax))
            throw new ArgumentOutOfRangeException(nameof(CalibrationMin), CalibrationMin, $"LeakageModel: the calibration range [{CalibrationMin}, {CalibrationMax}] must be finite and non-empty, e.g. [-10, 10].");
        return this;
    }

    /// <summary>
    /// Acquires <paramref name="traces"/> leaky traces of one row of logits and returns their average, in leakage units
    /// (the ADC's output when there is one). Draws σ·ε from <paramref name="g"/>, trace by trace, logit by logit.
    /// </summary>
    internal void AverageTraces(ReadOnlySpan<float> logits, int traces, ResearchKit.Tensors.Generator g, Span<double> mean)
    {
        double sigma = NoiseSigma;
        if (Scale == NoiseScale.RelativeToLogits)
        {
            double ss = 0;
            foreach (float v in logits) ss += (double)v * v;
            sigma *= Math.Abs(Gain) * Math.Sqrt(ss / logits.Length);
        }
        double step = AdcStep;
        mean.Clear();
        for (int t = 0; t < traces; t++)
            for (int c = 0; c < logits.Length; c++)
            {
                double y = Gain * logits[c] + Offset + (sigma > 0 ? sigma * g.NextNormal() : 0.0);
                if (step > 0) y = AdcMin + Math.Round((Math.Clamp(y, AdcMin, AdcMax) - AdcMin) / step, MidpointRounding.AwayFromZero) * step;
                mean[c] += y;
            }
        for (int c = 0; c < logits.Length; c++) mean[c] /= traces;
    }
}
