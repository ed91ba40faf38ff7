using System.Globalization;
using ResearchKit.Data;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// EnResNet (Wang, Shi, Osher, NeurIPS 2019, "ResNets Ensemble via the Feynman-Kac Formalism"): an ensemble of
/// <see cref="PreActResNetCifar"/> members with Feynman-Kac noise, whose logits are averaged
/// (<c>Σ_i member_i(x) / members</c>, as the EnResNet code, Wang et al. 2019). The training script's default is
/// "EnResNet5_20": 5 members of depth 20, noise coefficient 0.1.
/// </summary>
/// <remarks>
/// <para>Members are the children <c>ensemble.0</c> … <c>ensemble.{k−1}</c> (a <see cref="ModuleList{T}"/>), so parameter
/// names are the reference's (<c>ensemble.0.layer1.0.conv1.weight</c>, …) and its state dicts load.</para>
/// <para>Randomness: the members are initialized one after the other from <c>generator</c>; then one draw from it seeds
/// the noise, and member i gets its own noise stream <c>SeedMix.Mix(seed, NoiseStream, i, 0)</c>, so members draw
/// independent noise and the same generator seed gives the same weights and the same noise sequence.</para>
/// Shape: input (N, inChannels, H, W); output (N, numClasses) averaged logits.
/// </remarks>
public sealed class EnResNet : Module<Tensor, Tensor>
{
    /// <summary>SeedMix stream tag of the members' noise streams.</summary>
    public const long NoiseStream = 15;

    /// <summary>The members (<c>ensemble</c>).</summary>
    public ModuleList<PreActResNetCifar> Members => Child<ModuleList<PreActResNetCifar>>("ensemble");

    /// <summary>Number of members.</summary>
    public int Count => Members.Count;

    /// <summary>The members' noise generators (member i draws from entry i): register them in
    /// <c>TrainerOptions.Generators</c> so that a resumed run draws the same noise as an uninterrupted one.</summary>
    public IReadOnlyList<Generator> NoiseGenerators => _noise;

    private readonly Generator[] _noise;

    /// <summary>Builds the ensemble.</summary>
    /// <param name="members">Number of members (EnResNet5: 5).</param>
    /// <param name="depth">Depth 6n + 2 of every member (20 by default).</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="inChannels">Input channels (3 for CIFAR, 1 for Fashion-MNIST).</param>
    /// <param name="noiseCoef">Feynman-Kac noise coefficient of every block (EnResNet: 0.1).</param>
    /// <param name="generator">Random source of the initialization and of the noise seeds (default <see cref="Generator.Default"/>).</param>
    /// <param name="layers">Creates the layers of every member (default <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="members"/> &lt; 1, or a member argument is invalid (see <see cref="PreActResNetCifar"/>).</exception>
    public EnResNet(int members = 5, int depth = 20, int numClasses = 10, int inChannels = 3, float noiseCoef = 0.1f,
        Generator? generator = null, LayerFactory? layers = null)
    {
        if (members < 1) throw new ArgumentException($"EnResNet: members must be at least 1, got {members}.", nameof(members));
        var gen = generator ?? Generator.Default;
        var noise = new Generator[members];
        var list = new ModuleList<PreActResNetCifar>();
        for (int i = 0; i < members; i++)
        {
            noise[i] = new Generator(0); // reseeded below, once every member is initialized
            list.Add(new PreActResNetCifar(depth, numClasses, inChannels, noiseCoef, gen, noise[i], layers));
        }
        RegisterModule("ensemble", list);
        _noise = noise;
        long seed = (long)gen.NextUInt64();
        for (int i = 0; i < members; i++) noise[i].ManualSeed((long)SeedMix.Mix(seed, NoiseStream, i, 0));
    }

    /// <summary>Sets <see cref="FeynmanKacNoise.AtInference"/> on every block of every member.</summary>
    /// <param name="atInference">Whether noise is added in evaluation mode.</param>
    public void SetNoiseAtInference(bool atInference)
    {
        foreach (var m in Members) m.SetNoiseAtInference(atInference);
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        var members = Members;
        Tensor? sum = null;
        foreach (var m in members)
        {
            var y = m.Forward(input);
            sum = sum is null ? y : sum + y;
        }
        return sum! / members.Count;
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"members={Count.ToString(CultureInfo.InvariantCulture)}";
}
