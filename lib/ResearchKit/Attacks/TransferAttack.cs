using ResearchKit.Tensors;

namespace ResearchKit.Attacks;

/// <summary>
/// A transfer (black-box) attack: adversarial examples crafted with any white-box attack on a surrogate model, meant to
/// be evaluated on a different target. Crafting is all this class does: scoring the target on the returned batch is the
/// caller's job (e.g. a robustness evaluation with the target model or its defense), and it costs the target no query
/// here — <see cref="Queries"/> counts the surrogate's.
/// </summary>
public sealed class TransferAttack : IAttack
{
    /// <summary>Wraps an attack built on the surrogate.</summary>
    /// <param name="surrogateAttack">E.g. <c>new Pgd(surrogate, ThreatModel.Thesis)</c>.</param>
    /// <param name="surrogateName">A name of the surrogate for <see cref="Config"/> (e.g. "resnet32-cel-seed1").</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public TransferAttack(IAttack surrogateAttack, string surrogateName)
    {
        Inner = surrogateAttack ?? throw new ArgumentNullException(nameof(surrogateAttack));
        SurrogateName = surrogateName ?? throw new ArgumentNullException(nameof(surrogateName));
    }

    /// <summary>The white-box attack on the surrogate.</summary>
    public IAttack Inner { get; }

    /// <summary>The surrogate's name.</summary>
    public string SurrogateName { get; }

    /// <inheritdoc/>
    public string Name => $"Transfer({Inner.Name})";

    /// <inheritdoc/>
    public ThreatModel Threat => Inner.Threat;

    /// <inheritdoc/>
    public long Queries => Inner.Queries;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config
    {
        get
        {
            var c = new Dictionary<string, object?> { ["attack"] = Name, ["surrogate"] = SurrogateName };
            foreach (var (k, v) in Inner.Config) c["inner." + k] = v;
            return c;
        }
    }

    /// <inheritdoc/>
    public Tensor Perturb(Tensor inputs, Tensor labels) => Inner.Perturb(inputs, labels);
}
