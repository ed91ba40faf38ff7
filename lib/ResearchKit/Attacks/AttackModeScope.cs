using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Attacks;

/// <summary>
/// Puts a model in eval mode (and, for white-box attacks, stops its parameters from requiring gradients) for the
/// duration of an attack, then restores every module's mode and every parameter's flag exactly as they were.
/// </summary>
/// <remarks>Freezing the parameters keeps their <c>.Grad</c> untouched and spares the backward pass the weight gradients.</remarks>
internal sealed class AttackModeScope : IDisposable
{
    private readonly List<(Module Module, bool Training)> _modes = [];
    private readonly List<(Tensor Parameter, bool RequiresGrad)> _flags = [];

    public AttackModeScope(Module model, bool freezeParameters)
    {
        foreach (var m in model.Modules()) _modes.Add((m, m.Training));
        if (freezeParameters)
            foreach (var p in model.Parameters()) _flags.Add((p, p.RequiresGrad));
        model.Eval();
        foreach (var (p, _) in _flags) p.RequiresGrad = false;
    }

    public void Dispose()
    {
        // Modules() is pre-order and Train(mode) recurses, so each module is set after its parent and keeps its own mode.
        foreach (var (m, training) in _modes) m.Train(training);
        foreach (var (p, flag) in _flags) p.RequiresGrad = flag;
    }
}
