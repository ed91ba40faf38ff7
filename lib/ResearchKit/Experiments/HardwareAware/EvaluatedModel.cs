using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// A trained float model to evaluate under approximate arithmetic: a stable identity (part of the stored evaluation's key) and
/// a loader that returns a fresh float copy, since <see cref="Quantization.Approximate.ApproximateModel.Replace"/> changes a
/// model in place and each multiplier needs its own.
/// </summary>
/// <param name="Identity">Which trained model: for a recipe run, its run id and config hash (<see cref="FromRun"/>), which holds
/// its whole config and the code version that trained it. Stored in clear text: never a secret.</param>
/// <param name="Load">Returns a fresh float model with the trained weights (e.g. build the network and load the run's checkpoint).</param>
public sealed record EvaluatedModel(string Identity, Func<Module<Tensor, Tensor>> Load)
{
    /// <summary>The model trained by <paramref name="run"/>, identified by its run id and config hash, so a retrained model
    /// never reuses the evaluations of the previous one.</summary>
    /// <param name="run">The training run.</param>
    /// <param name="load">Fresh float copy of its model.</param>
    /// <param name="label">Optional prefix, e.g. "mnist-cnn".</param>
    public static EvaluatedModel FromRun(RunResult run, Func<Module<Tensor, Tensor>> load, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(load);
        return new((label is null ? "" : label + " ") + $"run {run.RunId} config {run.ConfigHash}", load);
    }

    /// <summary>Checks the identity and the loader.</summary>
    /// <exception cref="ArgumentException">An empty identity or a null loader.</exception>
    public EvaluatedModel Validated() =>
        string.IsNullOrWhiteSpace(Identity)
            ? throw new ArgumentException("EvaluatedModel: give the model an identity (a run's id and config hash, or a description of the trained model); it keys the stored evaluations.", nameof(Identity))
            : Load is null ? throw new ArgumentException("EvaluatedModel: give a loader that returns a fresh float copy of the trained model.", nameof(Load))
            : this;
}
