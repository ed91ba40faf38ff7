using ResearchKit.Tensors;

namespace ResearchKit.Attacks.SideChannel;

/// <summary>
/// How well a side channel recovers the logits at one trace count T: the RMSE of the extracted logits against the true
/// ones over every (input, class), the largest absolute error, and the share of inputs whose extracted top-1 is the true top-1.
/// </summary>
/// <param name="Traces">T, traces averaged per query.</param>
/// <param name="Rmse">√(mean over inputs and classes of (estimate − truth)²), in logit units.</param>
/// <param name="MaxAbsError">Largest |estimate − truth|.</param>
/// <param name="TopOneAgreement">Share of inputs whose extracted arg-max equals the true arg-max, in [0, 1].</param>
/// <param name="Inputs">Inputs measured.</param>
public sealed record ExtractionError(int Traces, double Rmse, double MaxAbsError, double TopOneAgreement, int Inputs)
{
    /// <summary>
    /// Measures the extraction error for each trace count: the device is queried once for the true logits, then a fresh
    /// <see cref="SideChannelOracle"/> (same seed, <paramref name="leakage"/> with Traces = T) extracts them.
    /// </summary>
    /// <param name="device">The device's true logits.</param>
    /// <param name="leakage">The side channel; its Traces is replaced by each T.</param>
    /// <param name="inputs">Inputs (N, …).</param>
    /// <param name="traces">Trace counts T ≥ 1 to measure.</param>
    /// <param name="seed">Seed of the side channel.</param>
    /// <returns>One row per trace count, in the given order.</returns>
    /// <exception cref="ArgumentException">No trace count, or inputs are not a batch.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A trace count or a leakage setting is out of range.</exception>
    public static IReadOnlyList<ExtractionError> Measure(IScoreOracle device, LeakageModel leakage, Tensor inputs, IReadOnlyList<int> traces, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(leakage);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(traces);
        if (traces.Count == 0) throw new ArgumentException("ExtractionError: give at least one trace count, e.g. [1, 4, 16, 64].", nameof(traces));
        if (inputs.Dim < 1 || inputs.Size(0) < 1) throw new ArgumentException($"ExtractionError: inputs must be a batch (N, …) with N ≥ 1, got shape {inputs.Shape}.", nameof(inputs));
        Tensor truth;
        using (Torch.NoGrad()) truth = device.Scores(inputs).Detach();
        var fixedTruth = new FixedScores(truth);
        var rows = new List<ExtractionError>(traces.Count);
        foreach (int t in traces)
        {
            var oracle = new SideChannelOracle(fixedTruth, leakage with { Traces = t }, seed);
            rows.Add(Compare(t, truth, oracle.Scores(inputs)));
        }
        return rows;
    }

    /// <summary>The error of <paramref name="estimate"/> against <paramref name="truth"/>, both (N, C).</summary>
    /// <param name="traces">T, recorded in the row.</param>
    /// <param name="truth">True logits (N, C).</param>
    /// <param name="estimate">Extracted logits (N, C).</param>
    /// <exception cref="ArgumentException">The shapes are not the same (N, C).</exception>
    public static ExtractionError Compare(int traces, Tensor truth, Tensor estimate)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(estimate);
        if (truth.Dim != 2 || !truth.Shape.SequenceEqual(estimate.Shape))
            throw new ArgumentException($"ExtractionError: truth and estimate must both be (N, C), got {truth.Shape} and {estimate.Shape}.", nameof(estimate));
        int n = truth.Size(0), c = truth.Size(1);
        var a = truth.Detach().ToArray();
        var b = estimate.Detach().ToArray();
        double ss = 0, max = 0;
        int agree = 0;
        for (int r = 0; r < n; r++)
        {
            int ta = 0, tb = 0;
            for (int k = 0; k < c; k++)
            {
                double d = (double)b[r * c + k] - a[r * c + k];
                ss += d * d;
                max = Math.Max(max, Math.Abs(d));
                if (a[r * c + k] > a[r * c + ta]) ta = k;
                if (b[r * c + k] > b[r * c + tb]) tb = k;
            }
            if (ta == tb) agree++;
        }
        return new ExtractionError(traces, Math.Sqrt(ss / a.Length), max, agree / (double)n, n);
    }

    /// <summary>Replays logits already read from the device, so each T of a sweep sees the same truth without re-querying it.</summary>
    private sealed class FixedScores(Tensor truth) : IScoreOracle
    {
        public long Queries { get; private set; }

        public Tensor Scores(Tensor inputs)
        {
            if (inputs.Size(0) != truth.Size(0)) throw new InvalidOperationException("ExtractionError: internal replay got a batch of another size.");
            Queries += inputs.Size(0);
            return truth;
        }
    }
}
