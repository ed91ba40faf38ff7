using ResearchKit.Quantization;
using ResearchKit.Quantization.AdaQat;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// The integer widths of an AdaQAT model's learned sites (the fixed 8-bit first/last sites excluded): plain means over sites and
/// size-weighted means, the bits per stored weight (parameter-weighted) and per activation value (element-weighted), which set
/// the weight and activation memory.
/// </summary>
/// <param name="Sites">Every learned site.</param>
public sealed record AdaQatBitSummary(IReadOnlyList<AdaQatSiteBits> Sites)
{
    /// <summary>Mean integer weight width over the learned weight sites.</summary>
    public double WeightBits => Mean(true, weighted: false);
    /// <summary>Mean integer activation width over the learned activation sites.</summary>
    public double ActivationBits => Mean(false, weighted: false);
    /// <summary>Integer weight width weighted by each layer's number of weights (bits per learned-site weight).</summary>
    public double WeightBitsParameterWeighted => Mean(true, weighted: true);
    /// <summary>Integer activation width weighted by each site's activation values per image.</summary>
    public double ActivationBitsElementWeighted => Mean(false, weighted: true);

    private double Mean(bool weights, bool weighted)
    {
        var s = Sites.Where(x => x.IsWeight == weights).ToList();
        if (s.Count == 0) return double.NaN;
        return weighted ? (double)s.Sum(x => x.Bits * x.Size) / s.Sum(x => x.Size) : s.Average(x => x.Bits);
    }

    /// <summary>Measures <paramref name="model"/>'s sites on <paramref name="network"/> (the module <see cref="AdaQatModel.Convert"/>
    /// converted): weight counts from the layers, activation sizes from one no-grad eval-mode forward of <paramref name="sample"/>.</summary>
    /// <param name="model">The learned widths.</param>
    /// <param name="network">The converted module (paths are relative to it).</param>
    /// <param name="sample">A batch of inputs (N ≥ 1) of the network's input shape.</param>
    /// <exception cref="InvalidOperationException">A site's path is not a module of <paramref name="network"/>.</exception>
    public static AdaQatBitSummary Of(AdaQatModel model, Module<Tensor, Tensor> network, Tensor sample)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(sample);
        var modules = network.NamedModules().ToDictionary(m => m.Name, m => m.Module, StringComparer.Ordinal);
        Module<Tensor, Tensor> At(string path) => modules.TryGetValue(path, out var m) && m is Module<Tensor, Tensor> t ? t
            : throw new InvalidOperationException($"AdaQatBitSummary: the site '{path}' is not a tensor module of the network; pass the module AdaQatModel.Convert converted.");
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        var handles = new List<IDisposable>();
        long n = sample.Shape[0];
        foreach (var site in model.Sites.Where(s => !s.IsWeight))
        {
            var m = At(site.Path);
            string path = site.Path;
            // A ReLU site quantizes its output; a conv/linear site (32-bit residual mode) quantizes its input.
            handles.Add(m is SharedQuantConv2d or SharedQuantLinear
                ? m.RegisterForwardPreHook((_, x) => { sizes[path] = x.Numel / n; })
                : m.RegisterForwardHook((_, _, y) => { sizes[path] = y.Numel / n; return y; }));
        }
        bool was = network.Training;
        try
        {
            network.Eval();
            using (Torch.NoGrad()) network.Forward(sample);
        }
        finally
        {
            network.Train(was);
            foreach (var h in handles) h.Dispose();
        }
        var result = model.Sites.Select(s => new AdaQatSiteBits(s.Path, s.IsWeight, s.BitWidth.Bits, s.IsWeight
            ? At(s.Path) switch
            {
                SharedQuantConv2d c => c.Weight.Numel,
                SharedQuantLinear l => l.Weight.Numel,
                var other => throw new InvalidOperationException($"AdaQatBitSummary: the weight site '{s.Path}' is a {other.GetType().Name}, not a quantized conv or linear layer."),
            }
            : sizes.TryGetValue(s.Path, out var size) ? size
            : throw new InvalidOperationException($"AdaQatBitSummary: the activation site '{s.Path}' did not run in the forward pass."))).ToList();
        return new AdaQatBitSummary(result);
    }
}
