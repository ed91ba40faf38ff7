using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization;

/// <summary>What a parameter tensor is, for the bit width <see cref="MemoryFootprint"/> gives it (§5.4.2).</summary>
public enum ParameterRole
{
    /// <summary>The weight of a convolution or linear layer, at its site's weight bits (W, or 8 for the first and last layer).</summary>
    Weight,
    /// <summary>The bias of a convolution or linear layer, at <see cref="MemoryFootprintOptions.BiasBits"/>.</summary>
    Bias,
    /// <summary>A batch norm's γ or β, at <see cref="MemoryFootprintOptions.BatchNormBits"/>.</summary>
    BatchNorm,
    /// <summary>The bias a folded batch norm adds to a bias-free convolution, at <see cref="MemoryFootprintOptions.BiasBits"/>.</summary>
    FoldedBias,
    /// <summary>Any other parameter (quantizer steps and clipping values), at <see cref="MemoryFootprintOptions.OtherParameterBits"/>.</summary>
    Other,
}

/// <summary>The storage of one parameter tensor: N_params(l)·b(l)/8 bytes (§5.4.2).</summary>
/// <param name="Name">Dotted parameter name (e.g. <c>layer1.0.conv1.weight</c>; a folded bias is <c>conv.bias (folded bn)</c>).</param>
/// <param name="Role">Weight, bias, batch norm, folded bias or other.</param>
/// <param name="Count">Number of values.</param>
/// <param name="Bits">Bits per value.</param>
/// <param name="Bytes">Count·Bits/8, exact (no per-tensor padding or alignment).</param>
public sealed record ParameterStorage(string Name, ParameterRole Role, long Count, int Bits, double Bytes);

/// <summary>The single biggest activation tensor of one forward pass (§5.4.2), in bytes at its bit width.</summary>
/// <param name="ModulePath">Dotted path of the leaf module that produced it (the first one, in execution order, among equals),
/// or <c>(input)</c> for the input image.</param>
/// <param name="Shape">Its shape, batch dimension included.</param>
/// <param name="Bits">Bits per value.</param>
/// <param name="Bytes">Numel·Bits/8.</param>
public sealed record ActivationStorage(string ModulePath, Shape Shape, int Bits, double Bytes);

/// <summary>A memory footprint (§5.4.2, Figs. 5.3 and 5.4) with its breakdown.</summary>
/// <param name="Parameters">Every counted parameter tensor, in the model's parameter order (folded biases after their convolution's weight).</param>
/// <param name="BiggestActivation">The biggest activation tensor.</param>
/// <param name="ParameterBytes">Σ <see cref="ParameterStorage.Bytes"/>.</param>
/// <param name="TotalBytes">ParameterBytes + BiggestActivation.Bytes.</param>
/// <param name="Unit">The megabyte used.</param>
/// <param name="BytesPerMegabyte">10⁶ or 2²⁰.</param>
/// <param name="Options">The choices the figure was computed with.</param>
public sealed record MemoryFootprintResult(
    IReadOnlyList<ParameterStorage> Parameters,
    ActivationStorage BiggestActivation,
    double ParameterBytes,
    double TotalBytes,
    MegabyteUnit Unit,
    long BytesPerMegabyte,
    MemoryFootprintOptions Options)
{
    /// <summary>TotalBytes / BytesPerMegabyte.</summary>
    public double TotalMegabytes => TotalBytes / BytesPerMegabyte;

    /// <summary>Total number of counted parameter values.</summary>
    public long ParameterCount => Parameters.Sum(p => p.Count);

    /// <summary>One line: total, parameters, biggest activation and the unit.</summary>
    public override string ToString() =>
        $"{TotalMegabytes:F4} MB ({(Unit == MegabyteUnit.Decimal ? "10^6" : "2^20")} bytes) = {ParameterBytes:F1} B of parameters ({ParameterCount} values) + " +
        $"{BiggestActivation.Bytes:F1} B of activation ({BiggestActivation.ModulePath}, {BiggestActivation.Shape}, {BiggestActivation.Bits} bits)";
}

/// <summary>
/// The memory footprint of a (quantized) network, §5.4.2 (Figs. 5.3, 5.4; protocols §2.10):
/// Memory = Σ_layers N_params(l)·b(l)/8 bytes + the storage of the single biggest activation tensor.
/// </summary>
/// <remarks>
/// b(l) is the weight bit width of each convolution and linear layer, from a <see cref="QuantSite"/> report of
/// <see cref="ModelQuantizer.Quantize"/> or from a <see cref="QuantSpec"/> (W, with the first convolution and the last linear
/// layer at <see cref="QuantSpec.FirstLastBits"/> = 8, "for every method", Fig. 5.4). Everything the thesis leaves open is an
/// argument of <see cref="MemoryFootprintOptions"/> (batch-norm and bias bits, folding, activation bits, batch size, input,
/// MB unit, 32-bit residuals). Activation sizes come from one forward pass, in evaluation mode and without gradients, of a
/// zero input of the given per-sample shape, with a forward hook on every leaf <c>Module&lt;Tensor, Tensor&gt;</c>; the
/// model's training flags are restored afterwards and no running statistic changes. Tensors made outside modules (the
/// residual sum before <c>relu2</c>, the average pool of <see cref="ResNet18.Features"/>) are not seen, which changes
/// nothing for the ResNets here: each is the same size as a hooked neighbour (relu2's output) or smaller.
/// Fig. 5.4's literature points (empty marks) are not reproduced: their x values (MB) are not printed in the thesis
/// (reference entry fig-5.4: "x-values (MB) not printed"), and none are invented here.
/// </remarks>
public static class MemoryFootprint
{
    /// <summary>The footprint of <paramref name="model"/> quantized as <paramref name="spec"/> says (§5.4.2).</summary>
    /// <param name="model">A float model, or the same model after <see cref="ModelQuantizer.Quantize"/>.</param>
    /// <param name="spec">W, A and the first/last bits; the sites are found with <see cref="ModelQuantizer"/>'s rules (see <see cref="SitesFor"/>).</param>
    /// <param name="inputShape">Shape of one input sample, without the batch dimension (e.g. [3, 32, 32]).</param>
    /// <param name="options">The unstated choices (default <see cref="MemoryFootprintOptions.Default"/>).</param>
    /// <exception cref="ArgumentException">A bit width, the batch size or the input shape is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model has no convolution or linear layer.</exception>
    public static MemoryFootprintResult Compute(Module<Tensor, Tensor> model, QuantSpec spec, int[] inputShape, MemoryFootprintOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        return Compute(model, SitesFor(model, spec), spec.ActivationBits, inputShape, options);
    }

    /// <summary>The footprint of <paramref name="model"/> with the bit widths of a site report (§5.4.2).</summary>
    /// <param name="model">The model the report describes (float, or converted by <see cref="ModelQuantizer.Quantize"/>).</param>
    /// <param name="sites">The report of <see cref="ModelQuantizer.Quantize"/> (or one built by <see cref="SitesFor"/>).</param>
    /// <param name="activationBits">A, the activation bit width the activations are counted at unless
    /// <see cref="MemoryFootprintOptions.ActivationBits"/> is set (a report does not say which of its widths is A).</param>
    /// <param name="inputShape">Shape of one input sample, without the batch dimension.</param>
    /// <param name="options">The unstated choices (default <see cref="MemoryFootprintOptions.Default"/>).</param>
    /// <exception cref="ArgumentException">A bit width, the batch size or the input shape is invalid, or a convolution or linear
    /// layer of the model has no site in the report.</exception>
    public static MemoryFootprintResult Compute(Module<Tensor, Tensor> model, IReadOnlyList<QuantSite> sites, int activationBits, int[] inputShape,
        MemoryFootprintOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(inputShape);
        options ??= MemoryFootprintOptions.Default;
        CheckBits(activationBits, nameof(activationBits));
        CheckBits(options.BatchNormBits, nameof(options.BatchNormBits));
        CheckBits(options.BiasBits, nameof(options.BiasBits));
        CheckBits(options.InputBits, nameof(options.InputBits));
        CheckBits(options.OtherParameterBits, nameof(options.OtherParameterBits));
        if (options.ActivationBits is int ab) CheckBits(ab, nameof(options.ActivationBits));
        if (options.BatchSize < 1)
            throw new ArgumentException($"MemoryFootprint: BatchSize = {options.BatchSize}; use a positive batch size (1 for one image at inference).", nameof(options));
        if (inputShape.Length == 0 || inputShape.Any(d => d < 1))
            throw new ArgumentException($"MemoryFootprint: input shape [{string.Join(", ", inputShape)}] is empty or has a non-positive size; pass one sample's shape without the batch dimension, e.g. [3, 32, 32].", nameof(inputShape));

        var siteByPath = new Dictionary<string, QuantSite>(StringComparer.Ordinal);
        foreach (var s in sites) siteByPath[s.Path] = s;

        // ── One forward pass with a hook on every leaf: the activations, and which batch norms read a convolution's output.
        var records = new List<(string Path, Module Module, Tensor Input, Tensor Output)>();
        var handles = new List<RemovableHandle>();
        var modes = model.NamedModules().Select(nm => (nm.Module, nm.Module.Training)).ToList();
        Tensor input = Tensor.Zeros([options.BatchSize, .. inputShape]);
        try
        {
            foreach (var (path, m) in model.NamedModules())
                if (path.Length > 0 && !m.Children().Any() && m is Module<Tensor, Tensor> leaf)
                {
                    string p = path;
                    handles.Add(leaf.RegisterForwardHook((mod, x, y) => records.Add((p, mod, x, y))));
                }
            model.Eval();
            using (Torch.NoGrad()) model.Forward(input);
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            foreach (var (m, training) in modes) m.Train(training);
        }

        // ── Parameters.
        var modulesByPath = model.NamedModules().ToDictionary(nm => nm.Name, nm => nm.Module, StringComparer.Ordinal);
        var foldedInto = new Dictionary<string, string>(StringComparer.Ordinal); // bn path → conv path
        if (options.FoldBatchNorm)
        {
            var convOutputs = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
            foreach (var r in records) if (IsConv(r.Module)) convOutputs[r.Output] = r.Path;
            foreach (var r in records)
                if (r.Module is BatchNormBase && convOutputs.TryGetValue(r.Input, out var conv)) foldedInto[r.Path] = conv;
        }
        var foldedBiasFor = foldedInto.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key, StringComparer.Ordinal);

        var parameters = new List<ParameterStorage>();
        foreach (var (name, p) in model.NamedParameters())
        {
            int dot = name.LastIndexOf('.');
            string owner = dot < 0 ? "" : name[..dot], leafName = dot < 0 ? name : name[(dot + 1)..];
            var module = modulesByPath[owner];
            if (IsConv(module) || IsLinear(module))
            {
                if (leafName == "weight")
                {
                    if (!siteByPath.TryGetValue(owner, out var site) || site.WeightBits is not int wb)
                        throw new ArgumentException($"MemoryFootprint: the {module.GetType().Name} '{owner}' has no weight site in the report; pass the report ModelQuantizer.Quantize returned for this model, or use the QuantSpec overload.", nameof(sites));
                    parameters.Add(Storage(name, ParameterRole.Weight, p.Numel, wb));
                    if (foldedBiasFor.TryGetValue(owner, out var bn) && !HasBias(module))
                        parameters.Add(Storage($"{owner}.bias (folded {bn})", ParameterRole.FoldedBias, OutChannels(module), options.BiasBits));
                    continue;
                }
                if (leafName == "bias") { parameters.Add(Storage(name, ParameterRole.Bias, p.Numel, options.BiasBits)); continue; }
            }
            if (module is BatchNormBase)
            {
                if (!foldedInto.ContainsKey(owner)) parameters.Add(Storage(name, ParameterRole.BatchNorm, p.Numel, options.BatchNormBits));
                continue;
            }
            parameters.Add(Storage(name, ParameterRole.Other, p.Numel, options.OtherParameterBits));
        }

        // ── The biggest activation.
        int uniformBits = options.ActivationBits ?? activationBits;
        ActivationStorage? biggest = options.CountInput
            ? new ActivationStorage("(input)", input.Shape, options.InputBits, (double)input.Numel * options.InputBits / 8)
            : null;
        foreach (var r in records)
        {
            bool floatResidual = options.Residuals == ResidualCounting.Float32 && siteByPath.TryGetValue(r.Path, out var s)
                && s.Kind == QuantSiteKind.Activation && s.ActivationBits == QuantSpec.Float;
            int bits = floatResidual ? QuantSpec.Float : uniformBits;
            double bytes = (double)r.Output.Numel * bits / 8;
            if (biggest is null || bytes > biggest.Bytes) biggest = new ActivationStorage(r.Path, r.Output.Shape, bits, bytes);
        }
        if (biggest is null)
            throw new InvalidOperationException("MemoryFootprint: the forward pass ran no leaf module, so no activation was seen; build the model from registered modules.");

        double paramBytes = parameters.Sum(p => p.Bytes);
        long perMb = options.Unit == MegabyteUnit.Decimal ? 1_000_000L : 1L << 20;
        return new MemoryFootprintResult(parameters, biggest, paramBytes, paramBytes + biggest.Bytes, options.Unit, perMb, options);
    }

    /// <summary>
    /// The sites <see cref="ModelQuantizer.Quantize"/> would report for <paramref name="model"/> and <paramref name="spec"/>,
    /// without converting anything (same rules, §5.4.1 / protocols §2.7): the first convolution and the last layer (every linear after the last ReLU) at
    /// <see cref="QuantSpec.FirstLastBits"/>, the other convolutions and linears at W; every ReLU at A, the last one at
    /// FirstLastBits, and the blocks' <c>relu2</c> at 32 bits when <see cref="QuantSpec.QuantizeResidualAdds"/> is false.
    /// The input-quantizer bits of the "*" rows are left null (they do not change the footprint). Works on a float model and
    /// on one already converted (its quantized layers and <see cref="QuantReLU"/>s count as convs, linears and ReLUs).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="spec">The bit widths.</param>
    /// <exception cref="InvalidOperationException">The model has no convolution or linear layer.</exception>
    public static IReadOnlyList<QuantSite> SitesFor(Module model, QuantSpec spec)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        var named = model.NamedModules().Where(nm => nm.Name.Length > 0).ToList();
        var convs = named.Where(nm => IsConv(nm.Module)).ToList();
        var linears = named.Where(nm => IsLinear(nm.Module)).ToList();
        var relus = named.Where(nm => nm.Module is ReLU or QuantReLU).ToList();
        if (convs.Count == 0 && linears.Count == 0)
            throw new InvalidOperationException("MemoryFootprint.SitesFor: the model has no convolution or linear layer; the footprint counts their weights (§5.4.2).");
        string? firstConv = convs.Count > 0 ? convs[0].Name : null;
        string? lastRelu = relus.Count > 0 ? relus[^1].Name : null;
        var headLinears = ModelQuantizer.HeadLinears(named, linears, lastRelu);
        var residualRelus = new HashSet<string>(named.Where(nm => nm.Module is BasicBlock or ResNet18Block).Select(nm => nm.Name + ".relu2"), StringComparer.Ordinal);
        var sites = new List<QuantSite>();
        foreach (var (path, m) in named)
        {
            if (IsConv(m)) sites.Add(new QuantSite(path, QuantSiteKind.Conv, path == firstConv ? spec.FirstLastBits : spec.WeightBits, null));
            else if (IsLinear(m)) sites.Add(new QuantSite(path, QuantSiteKind.Linear, headLinears.Contains(path) ? spec.FirstLastBits : spec.WeightBits, null));
            else if (m is ReLU or QuantReLU)
                sites.Add(new QuantSite(path, QuantSiteKind.Activation, null,
                    !spec.QuantizeResidualAdds && residualRelus.Contains(path) ? QuantSpec.Float
                    : path == lastRelu ? spec.FirstLastBits : spec.ActivationBits));
        }
        return sites;
    }

    private static bool IsConv(Module m) => m is Conv2d or SharedQuantConv2d;
    private static bool IsLinear(Module m) => m is Linear or SharedQuantLinear;
    private static bool HasBias(Module m) => m switch
    {
        Conv2d c => c.Bias is not null,
        SharedQuantConv2d s => s.Bias is not null,
        _ => true,
    };
    private static long OutChannels(Module m) => m switch
    {
        Conv2d c => c.Weight.Size(0),
        SharedQuantConv2d s => s.Weight.Size(0),
        _ => 0,
    };

    private static ParameterStorage Storage(string name, ParameterRole role, long count, int bits) =>
        new(name, role, count, bits, (double)count * bits / 8);

    private static void CheckBits(int bits, string what)
    {
        if (bits < 1 || bits > 64)
            throw new ArgumentException($"MemoryFootprint: {what} = {bits}; use a bit width in [1, 64] (32 for float).", what);
    }
}
