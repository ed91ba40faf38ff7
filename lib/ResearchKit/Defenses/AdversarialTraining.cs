using ResearchKit.Attacks;
using ResearchKit.Losses;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Defenses;

/// <summary>
/// Adversarial training as a <see cref="ForwardLoss"/> for <see cref="Trainer"/>: for every batch, craft x_adv with the
/// kit's <see cref="Pgd"/> (L∞), then return the loss of <see cref="AdversarialTrainingOptions.Objective"/> and the
/// logits of x_adv (so the trainer's accuracy is the accuracy on the crafted batch).
/// </summary>
/// <remarks>
/// <para><b>Objectives.</b> Madry: CE(f(x_adv), y), x_adv = PGD on the cross-entropy from a uniform start (EnResNet code,
/// Wang et al. 2019). TradeOff: <see cref="TradeOffLoss"/> with a = <see cref="AdversarialTrainingOptions.NaturalWeight"/>,
/// x_adv as Madry's. Trades: <see cref="TradesLoss"/> with β, x_adv = PGD on <see cref="TradesLoss.AttackObjective"/>
/// from x + 0.001·N(0, 1), p(x) computed once per batch in eval mode (TRADES code, Zhang et al. 2019).</para>
/// <para><b>Crafting mode.</b> x_adv is crafted with the model in eval mode and its parameters frozen (what
/// <see cref="GradientAttack"/> does, as TRADES and the robustness libraries): the crafting forward passes neither update
/// the batch-norm running statistics nor touch any parameter's <c>.Grad</c>. The EnResNet code crafts in train mode
/// instead (batch statistics in the attack, and its 10 attack passes also move the running statistics); that is not
/// offered here, because the attacks' mode scope is what guarantees the two properties above. x_adv is detached: the
/// parameter gradients are those of the loss at a constant x_adv.</para>
/// <para><b>Batch norm.</b> Only the training forward passes (train mode, set by the trainer) update the running
/// statistics: one per step for Madry (f(x_adv)), two for TradeOff and Trades (f(x), then f(x_adv), TRADES' order).</para>
/// <para><b>Randomness.</b> The random starts come from <see cref="Generator"/>, seeded with
/// <see cref="AdversarialTrainingOptions.Seed"/>: the same seed and the same batches give the same numbers. Register it in
/// <see cref="TrainerOptions.Generators"/> under <see cref="GeneratorName"/> so a resumed run continues the same stream.</para>
/// </remarks>
public sealed class AdversarialTraining
{
    /// <summary>The name to register <see cref="Generator"/> under in <see cref="TrainerOptions.Generators"/>.</summary>
    public const string GeneratorName = "adversarial_training";

    /// <summary>Sets up adversarial training of <paramref name="model"/>.</summary>
    /// <param name="model">The trained model, returning logits (N, C).</param>
    /// <param name="options">Settings (default: the EnResNet code's Madry training); validated here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public AdversarialTraining(Module<Tensor, Tensor> model, AdversarialTrainingOptions? options = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Options = (options ?? new AdversarialTrainingOptions()).Validated();
        Generator = new Generator(Options.Seed);
    }

    /// <summary>The trained model.</summary>
    public Module<Tensor, Tensor> Model { get; }

    /// <summary>The (validated) settings.</summary>
    public AdversarialTrainingOptions Options { get; }

    /// <summary>Source of the random starts; its state advances with every crafted batch.</summary>
    public Generator Generator { get; }

    /// <summary>The settings for a run config (<see cref="AdversarialTrainingOptions.Config"/>).</summary>
    public IReadOnlyDictionary<string, object?> Config => Options.Config;

    /// <summary>This training as the trainer's forward pass.</summary>
    public ForwardLoss ForwardLoss => Forward;

    /// <summary>
    /// Crafts x_adv for a batch (detached, inside the ε-ball around <paramref name="x"/> and the clip range), drawing its
    /// random start from <see cref="Generator"/>. The model's modes and parameter flags are restored afterwards.
    /// </summary>
    /// <param name="x">Inputs (N, …) in the clip range.</param>
    /// <param name="y">Labels Int64 (N).</param>
    /// <exception cref="ArgumentException">The batch is invalid (see <see cref="GradientAttack.Perturb"/>).</exception>
    public Tensor Craft(Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var o = Options;
        var shape = x.Shape.ToArray();
        var x0 = x.Detach();
        Func<Tensor, Tensor, Tensor>? objective = null;
        Tensor start;
        if (o.Objective == AdversarialObjective.Trades)
        {
            Tensor clean;
            using (new AttackModeScope(Model, freezeParameters: false))
            using (Torch.NoGrad()) clean = Model.Forward(x0);
            objective = (xa, _) => TradesLoss.AttackObjective(clean, Model.Forward(xa));
            start = o.RandomStart ? x0 + 0.001f * Tensor.Randn(shape, Generator, x0.Device) : x0;
        }
        else start = o.RandomStart ? x0 + Tensor.Uniform(shape, -o.Epsilon, o.Epsilon, Generator, x0.Device) : x0;
        var pgd = new Pgd(Model, o.Threat, o.Steps, o.StepSize, randomStart: false, objective: objective) { EotSamples = o.EotSamples };
        return pgd.PerturbFrom(x0, y, start);
    }

    /// <summary>
    /// The training step's forward: crafts x_adv (<see cref="Craft"/>), then computes the objective's loss with the model
    /// in its current (train) mode. Returns the loss and f(x_adv).
    /// </summary>
    /// <param name="x">Inputs (N, …) in the clip range.</param>
    /// <param name="y">Labels Int64 (N).</param>
    /// <exception cref="ArgumentException">The batch is invalid.</exception>
    public (Tensor Loss, Tensor? Logits) Forward(Tensor x, Tensor y)
    {
        var xAdv = Craft(x, y);
        switch (Options.Objective)
        {
            case AdversarialObjective.Madry:
            {
                var adv = Model.Forward(xAdv);
                return (F.CrossEntropy(adv, y), adv);
            }
            case AdversarialObjective.TradeOff:
            {
                var clean = Model.Forward(x);
                var adv = Model.Forward(xAdv);
                return (TradeOffLoss.Compute(clean, adv, y, Options.NaturalWeight), adv);
            }
            default:
            {
                var clean = Model.Forward(x);
                var adv = Model.Forward(xAdv);
                return (TradesLoss.Compute(clean, adv, y, Options.Beta), adv);
            }
        }
    }
}
