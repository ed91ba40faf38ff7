using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;

namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// Runs AdaQAT inside the kit's <see cref="Trainer"/>: pass <see cref="Forward"/> as the trainer's <see cref="ForwardLoss"/> and
/// add this object to <see cref="Trainer.Callbacks"/>. Each training step then (1) evaluates the batch's loss once per learned
/// width with that width one bit lower (no grad), (2) runs the ordinary forward at the current widths (the loss the weights
/// train on), and (3) after the optimizer step updates every width by N ← N − lr·(ΔL + ∂λC/∂N) and records the trajectory.
/// </summary>
/// <remarks>
/// <para>The probes run in the network's current (train) mode, so batch norm normalizes with the batch's statistics as in the
/// ordinary forward; the running statistics they would move are restored afterwards, so evaluation sees only the ordinary
/// forwards. (The authors' code probes in train mode without restoring; restoring is a choice.)</para>
/// <para>The task loss the weights train on is the plain loss at the current widths: the cost term only moves the widths.</para>
/// <para>Nothing here is random, so a seeded run repeats exactly. The widths' values and freeze counters are not in the model's
/// state dict: store <see cref="AdaQatState.Capture"/> with each checkpoint and <see cref="AdaQatState.Restore"/> it on resume.</para>
/// </remarks>
public sealed class AdaQatCallback : ITrainerCallback
{
    private readonly Module<Tensor, Tensor> _network;
    private readonly Func<Tensor, Tensor, Tensor> _loss;
    private IReadOnlyList<BitWidthGradient>? _pending;

    /// <summary>Creates the driver.</summary>
    /// <param name="model">The widths of <paramref name="network"/>, from <see cref="AdaQatModel.Convert"/>.</param>
    /// <param name="network">The converted network.</param>
    /// <param name="loss">Task loss of (outputs, targets), e.g. cross-entropy.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public AdaQatCallback(AdaQatModel model, Module<Tensor, Tensor> network, Func<Tensor, Tensor, Tensor> loss)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Forward = ForwardWithProbes;
    }

    /// <summary>The learned widths.</summary>
    public AdaQatModel Model { get; }

    /// <summary>The trainer's forward pass (see the class summary).</summary>
    public ForwardLoss Forward { get; }

    /// <summary>Widths step by step.</summary>
    public BitWidthTrajectory Trajectory { get; } = new();

    /// <summary>Extra forward passes spent on bit-width gradients so far (the method's cost over plain QAT).</summary>
    public long ExtraForwardPasses { get; internal set; }

    /// <summary>The gradients of the last step, or empty before the first.</summary>
    public IReadOnlyList<BitWidthGradient> LastGradients { get; private set; } = [];

    private (Tensor Loss, Tensor? Logits) ForwardWithProbes(Tensor x, Tensor y)
    {
        double[]? below = null;
        bool probe = _network.Training && BitWidthGradientEstimator.ExtraForwards(Model) > 0;
        List<double> probeLosses = [];
        if (probe)
        {
            var saved = _network.NamedBuffers().Select(b => (b.Buffer, Copy: b.Buffer.Clone())).ToList();
            using (Torch.NoGrad())
            {
                // Probe first, then restore, so the ordinary forward below starts from the same running statistics.
                BitWidthGradientEstimator.Estimate(Model, 0.0, () => { double l = _loss(_network.Forward(x), y).Item(); probeLosses.Add(l); return l; });
                foreach (var (buffer, copy) in saved) buffer.CopyFrom(copy);
            }
            below = probeLosses.ToArray();
            ExtraForwardPasses += below.Length;
        }
        var logits = _network.Forward(x);
        var loss = _loss(logits, y);
        if (below is not null)
        {
            int k = 0;
            // The probe losses come in Estimate's order; replay them against the real loss at the current widths.
            _pending = BitWidthGradientEstimator.Estimate(Model, loss.Item(), () => below[k++]);
        }
        return (loss, logits);
    }

    /// <summary>Applies the step's bit-width updates and records every width.</summary>
    public void OnStepEnd(Trainer trainer, in StepInfo info)
    {
        var grads = _pending ?? [];
        _pending = null;
        double lr = Model.Options.BitLearningRate;
        foreach (var g in grads) g.BitWidth.Update(g.Total, lr);
        LastGradients = grads;
        foreach (var w in Model.BitWidths)
        {
            double? used = grads.FirstOrDefault(g => ReferenceEquals(g.BitWidth, w))?.Total;
            Trajectory.Add(new BitWidthRecord(info.Step, info.Epoch, w.Name, w.Value, w.Bits, used, w.Frozen));
        }
    }
}
