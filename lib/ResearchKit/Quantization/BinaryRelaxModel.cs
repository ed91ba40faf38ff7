using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization;

/// <summary>
/// A model converted for Binary-Relax training by <see cref="BinaryRelax.Apply"/>: the shared phase, the callback that
/// advances it, and the converted convolutions.
/// </summary>
public sealed class BinaryRelaxModel
{
    internal BinaryRelaxModel(Module model, IWeightProjection projection, BinaryRelaxState state, BinaryRelaxCallback callback, IReadOnlyList<string> sites)
    {
        Model = model; Projection = projection; State = state; Callback = callback; Sites = sites;
    }

    /// <summary>The converted model (the same instance that was passed in).</summary>
    public Module Model { get; }

    /// <summary>P, shared by every converted convolution.</summary>
    public IWeightProjection Projection { get; }

    /// <summary>η and the phase, read by every converted convolution.</summary>
    public BinaryRelaxState State { get; }

    /// <summary>Add to <c>Trainer.Callbacks</c>; call its <c>SetEpoch</c> before resuming.</summary>
    public BinaryRelaxCallback Callback { get; }

    /// <summary>Dotted paths of the converted convolutions, in module order.</summary>
    public IReadOnlyList<string> Sites { get; }

    /// <summary>P(w) of every converted convolution, in <see cref="Sites"/> order (no gradient): the weights the hard phase
    /// uses and the model is deployed with, e.g. to count zero weights or all-zero output channels.</summary>
    public IReadOnlyList<(string Path, Tensor Weight)> QuantizedWeights() =>
        Sites.Select(path => (path, Projection.Project(Model.GetSubmodule<SharedQuantConv2d>(path).Weight))).ToList();
}
