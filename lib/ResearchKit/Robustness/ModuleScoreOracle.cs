using ResearchKit.Attacks;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Robustness;

/// <summary>
/// A white-box model seen as an <see cref="IScoreOracle"/>: its forward pass in eval mode under no-grad. The robustness
/// evaluation scores every target (plain model, quantized network, Ensemble Hash Defense) through this one interface.
/// </summary>
public sealed class ModuleScoreOracle : IScoreOracle
{
    private readonly Module<Tensor, Tensor> _model;
    private long _queries;

    /// <summary>Wraps <paramref name="model"/> (its scores are its outputs, e.g. logits or a loss head's margin-free scores).</summary>
    public ModuleScoreOracle(Module<Tensor, Tensor> model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc/>
    public long Queries => Interlocked.Read(ref _queries);

    /// <inheritdoc/>
    /// <remarks>Runs in eval mode (batch norm on running statistics) and restores the model's previous mode.</remarks>
    public Tensor Scores(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        bool was = _model.Training;
        _model.Eval();
        try
        {
            using (Torch.NoGrad())
            {
                var s = _model.Forward(inputs);
                Interlocked.Add(ref _queries, inputs.Shape[0]);
                return s;
            }
        }
        finally { _model.Train(was); }
    }
}
