using ResearchKit.Tensors;

namespace ResearchKit.Attacks.SideChannel;

/// <summary>
/// What a true black box shows: the top-1 label only, as one-hot scores (1 for the predicted class, 0 elsewhere). A
/// score-based attack plugged into it sees a margin that is constant while the label holds (SPSA's loss is 1 or 0, Square's
/// ±1), so its finite differences and accept/reject steps carry no signal until a query happens to flip the label; this is
/// the gap that <see cref="SideChannelOracle"/> closes.
/// </summary>
public sealed class LabelOnlyOracle : IScoreOracle
{
    private readonly IScoreOracle _device;

    /// <summary>Wraps a device whose true scores are given by <paramref name="device"/>.</summary>
    /// <param name="device">The device's true scores (N, C); only their arg-max is shown.</param>
    /// <exception cref="ArgumentNullException"><paramref name="device"/> is null.</exception>
    public LabelOnlyOracle(IScoreOracle device) => _device = device ?? throw new ArgumentNullException(nameof(device));

    /// <inheritdoc/>
    public long Queries { get; private set; }

    /// <summary>One-hot scores (N, C) of the device's top-1 label (the first class on ties).</summary>
    /// <exception cref="ArgumentException">Inputs are not a batch.</exception>
    /// <exception cref="InvalidOperationException">The device does not return scores (N, C).</exception>
    public Tensor Scores(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Dim < 1 || inputs.Size(0) < 1) throw new ArgumentException($"LabelOnlyOracle: inputs must be a batch (N, …) with N ≥ 1, got shape {inputs.Shape}.", nameof(inputs));
        int n = inputs.Size(0);
        Tensor scores;
        using (Torch.NoGrad()) scores = _device.Scores(inputs);
        if (scores.Dim != 2 || scores.Size(0) != n)
            throw new InvalidOperationException($"LabelOnlyOracle: the device must return scores (N, C) with N = {n}, got shape {scores.Shape}.");
        int c = scores.Size(1);
        var s = scores.Detach().ToArray();
        var oneHot = new float[s.Length];
        for (int r = 0; r < n; r++)
        {
            int best = 0;
            for (int k = 1; k < c; k++) if (s[r * c + k] > s[r * c + best]) best = k;
            oneHot[r * c + best] = 1f;
        }
        Queries += n;
        return Tensor.FromArray(oneHot, n, c);
    }
}
