using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization;

/// <summary>
/// Converts a float model for quantization-aware training in place, by module surgery (Training I → II, §5.4.1 Alg. 5), with
/// the precision exceptions of §5.4.1 / protocols §2.7.
/// </summary>
/// <remarks>
/// Rules: every <see cref="Conv2d"/> and <see cref="Linear"/> becomes a <see cref="SharedQuantConv2d"/> / <see cref="SharedQuantLinear"/>
/// sharing the float tensors (no copy); the first convolution and the last layer — every linear layer after the last
/// ReLU in module order, so both dense layers of a two-layer head — get <see cref="QuantSpec.FirstLastBits"/>-bit weights, the others W bits; biases and batch norms are untouched (float).
/// Every <see cref="ReLU"/> becomes a <see cref="QuantReLU"/> at A bits, except the last one (module order), which feeds the
/// classifier through the average pool and gets <see cref="QuantSpec.FirstLastBits"/> bits.
/// <para>Residual additions (ResNet blocks <see cref="BasicBlock"/> and <see cref="ResNet18Block"/>, post-activation): the sum
/// leaves a block only through its <c>relu2</c>, so with <see cref="QuantSpec.QuantizeResidualAdds"/> the residual stream is at
/// A bits by quantizing <c>relu2</c>. Without it ("*" rows), every block's <c>relu2</c> stays a float ReLU and the A-bit
/// quantizer moves to the input of the convolutions that read the block input (<c>conv1</c> and <c>downsample.0</c> of every
/// block but the first, whose input is the quantized stem ReLU); the shortcut then carries float values, and the classifier
/// gets an 8-bit input quantizer instead of its float last ReLU.</para>
/// <para>Not stated by the thesis (protocols §2.7, NS), choices made here: the first convolution's <em>output</em> activation
/// (the stem ReLU) is at A bits like every other activation; the network input is not quantized (CIFAR images are 8-bit
/// already, and normalization keeps them on a 256-level grid); the 8-bit activation feeding the last layer is quantized before
/// the average pool (the mean of 8-bit values is on a finer grid, so the classifier's input itself is not exactly 8-bit).</para>
/// A bit width of 32 (<see cref="QuantSpec.Float"/>) leaves that tensor in float, so W32/A32 gives the float model's outputs.
/// </remarks>
public static class ModelQuantizer
{
    /// <summary>Converts <paramref name="model"/> in place (§5.4.1) and reports every site, in module order.</summary>
    /// <param name="model">A float model whose convs, linears and ReLUs are registered modules (e.g. <see cref="ResNet18Cifar"/>, <see cref="ResNetCifar"/>).</param>
    /// <param name="spec">Bit widths and quantizer factories.</param>
    /// <returns>One <see cref="QuantSite"/> per converted conv, linear and ReLU.</returns>
    /// <exception cref="ArgumentException">A bit width is neither in [1, 16] nor 32.</exception>
    /// <exception cref="InvalidOperationException">The model is already quantized, or has no convolution or linear layer, or a
    /// parent declared a child as a concrete layer type (see <see cref="Module.Replace(string, Module)"/>); the model is then unchanged.</exception>
    public static IReadOnlyList<QuantSite> Quantize(Module model, QuantSpec spec)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        CheckBits(spec.WeightBits, nameof(spec.WeightBits));
        CheckBits(spec.ActivationBits, nameof(spec.ActivationBits));
        CheckBits(spec.FirstLastBits, nameof(spec.FirstLastBits));

        var named = model.NamedModules().Where(nm => nm.Name.Length > 0).ToList();
        foreach (var (name, m) in named)
            if (m is QuantAct or SharedQuantConv2d or SharedQuantLinear or QuantConv2d or QuantLinear)
                throw new InvalidOperationException(
                    $"ModelQuantizer.Quantize: '{name}' is already quantized ({m.GetType().Name}); convert the float model once (rebuild it, load the float weights, then convert).");

        var convs = named.Where(nm => nm.Module is Conv2d).ToList();
        var linears = named.Where(nm => nm.Module is Linear).ToList();
        var relus = named.Where(nm => nm.Module is ReLU).ToList();
        if (convs.Count == 0 && linears.Count == 0)
            throw new InvalidOperationException("ModelQuantizer.Quantize: the model has no Conv2d or Linear module to quantize; build it with the standard layers (LayerFactory.Default).");
        string? firstConv = convs.Count > 0 ? convs[0].Name : null;
        string? lastLinear = linears.Count > 0 ? linears[^1].Name : null;
        string? lastRelu = relus.Count > 0 ? relus[^1].Name : null;
        var headLinears = HeadLinears(named, linears, lastRelu);

        // Residual streams: the post-add relu2 of each block; block-input convs of every block but the first.
        var blocks = named.Where(nm => nm.Module is BasicBlock or ResNet18Block).Select(nm => nm.Name).ToList();
        var residualRelus = new HashSet<string>(blocks.Select(b => b + ".relu2"), StringComparer.Ordinal);
        var blockInputConvs = new HashSet<string>(blocks.Skip(1).SelectMany(b => new[] { b + ".conv1", b + ".downsample.0" }), StringComparer.Ordinal);
        bool floatResiduals = !spec.QuantizeResidualAdds;

        var plan = new Dictionary<Module, Module>(ReferenceEqualityComparer.Instance);
        var sites = new List<QuantSite>();
        foreach (var (path, m) in named)
        {
            switch (m)
            {
                case Conv2d conv:
                {
                    int wb = path == firstConv ? spec.FirstLastBits : spec.WeightBits;
                    int? ab = floatResiduals && blockInputConvs.Contains(path) ? spec.ActivationBits : null;
                    plan[m] = new SharedQuantConv2d(conv, WeightQ(spec, wb, conv.Weight), ab is int a ? ActQ(spec, a) : null);
                    sites.Add(new QuantSite(path, QuantSiteKind.Conv, wb, ab));
                    break;
                }
                case Linear lin:
                {
                    int wb = headLinears.Contains(path) ? spec.FirstLastBits : spec.WeightBits;
                    int? ab = path == lastLinear && floatResiduals && lastRelu is not null && residualRelus.Contains(lastRelu) ? spec.FirstLastBits : null;
                    plan[m] = new SharedQuantLinear(lin, WeightQ(spec, wb, lin.Weight), ab is int a ? ActQ(spec, a) : null);
                    sites.Add(new QuantSite(path, QuantSiteKind.Linear, wb, ab));
                    break;
                }
                case ReLU:
                {
                    int ab = floatResiduals && residualRelus.Contains(path) ? QuantSpec.Float
                        : path == lastRelu ? spec.FirstLastBits : spec.ActivationBits;
                    if (ab != QuantSpec.Float) plan[m] = new QuantReLU(ActQ(spec, ab)!);
                    sites.Add(new QuantSite(path, QuantSiteKind.Activation, null, ab));
                    break;
                }
            }
        }
        // Replace<Module> checks every replacement before making any, so a refused one leaves the model unchanged.
        model.Replace<Module>(m => plan[m], (_, m) => plan.ContainsKey(m));
        return sites;
    }

    /// <summary>
    /// "The last layer" of §5.4.1: every linear layer after the last ReLU in module order (the classifier of ResNetCifar and
    /// ResNet-18; both dense layers of Pang et al.'s ResNetV2Cifar head, features then classifier, whichever a loss head
    /// uses), and at least the last linear layer.
    /// </summary>
    internal static HashSet<string> HeadLinears(List<(string Name, Module Module)> named, List<(string Name, Module Module)> linears, string? lastRelu)
    {
        int lastReluIndex = lastRelu is null ? -1 : named.FindIndex(nm => nm.Name == lastRelu);
        var head = new HashSet<string>(linears.Where(nm => named.FindIndex(x => x.Name == nm.Name) > lastReluIndex).Select(nm => nm.Name), StringComparer.Ordinal);
        if (linears.Count > 0) head.Add(linears[^1].Name);
        return head;
    }

    private static void CheckBits(int bits, string what)
    {
        if (bits != QuantSpec.Float && (bits < 1 || bits > 16))
            throw new ArgumentException($"ModelQuantizer.Quantize: {what} = {bits}; use a bit width in [1, 16], or {QuantSpec.Float} to keep float.", what);
    }

    private static IQuantizer? WeightQ(QuantSpec spec, int bits, Tensor weight) =>
        bits == QuantSpec.Float ? null : spec.WeightQuantizer(bits, weight) ?? throw new InvalidOperationException(
            $"ModelQuantizer.Quantize: the WeightQuantizer factory returned null for {bits} bits; return a quantizer (use bits = {QuantSpec.Float} for float).");

    private static IQuantizer? ActQ(QuantSpec spec, int bits) =>
        bits == QuantSpec.Float ? null : spec.ActivationQuantizer(bits) ?? throw new InvalidOperationException(
            $"ModelQuantizer.Quantize: the ActivationQuantizer factory returned null for {bits} bits; return a quantizer (use bits = {QuantSpec.Float} for float).");
}
