using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Attacks;

/// <summary>
/// An <see cref="IScoreOracle"/> over a plain model: scores in eval mode under no-grad, in chunks of at most
/// <see cref="MaxBatch"/> inputs, counting one query per input. The model's previous modes are restored after each call.
/// </summary>
public sealed class ModelOracle : IScoreOracle
{
    /// <summary>Wraps <paramref name="model"/>.</summary>
    /// <param name="model">Model returning scores (N, C).</param>
    /// <param name="maxBatch">Most inputs per forward pass (≥ 1).</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatch"/> &lt; 1.</exception>
    public ModelOracle(Module<Tensor, Tensor> model, int maxBatch = 4096)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        MaxBatch = AttackChecks.AtLeast("ModelOracle", nameof(maxBatch), maxBatch, 1);
    }

    /// <summary>The wrapped model.</summary>
    public Module<Tensor, Tensor> Model { get; }

    /// <summary>Most inputs per forward pass.</summary>
    public int MaxBatch { get; }

    /// <inheritdoc/>
    public long Queries { get; private set; }

    /// <inheritdoc/>
    public Tensor Scores(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Dim < 1 || inputs.Size(0) < 1) throw new ArgumentException($"ModelOracle: inputs must be a batch (N, …) with N ≥ 1, got shape {inputs.Shape}.", nameof(inputs));
        int n = inputs.Size(0);
        using var scope = new AttackModeScope(Model, freezeParameters: false);
        using var noGrad = Torch.NoGrad();
        var parts = new List<Tensor>();
        for (int s = 0; s < n; s += MaxBatch) parts.Add(Model.Forward(inputs.Narrow(0, s, Math.Min(MaxBatch, n - s))));
        Queries += n;
        var scores = parts.Count == 1 ? parts[0] : Tensor.Cat(parts);
        if (scores.Dim != 2 || scores.Size(0) != n)
            throw new InvalidOperationException($"ModelOracle: the model must return scores (N, C) with N = {n}, got shape {scores.Shape}.");
        return scores;
    }
}
