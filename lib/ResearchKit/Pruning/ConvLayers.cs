using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Pruning;

/// <summary>One 2-D convolution of a model as the forward pass sees it.</summary>
/// <param name="Path">Dotted module path (e.g. <c>layer1.0.conv1</c>).</param>
/// <param name="Module">The module itself (a <see cref="Conv2d"/>, <see cref="QuantConv2d"/> or <see cref="SharedQuantConv2d"/>).</param>
/// <param name="Geometry">The convolution holding stride, padding, dilation and groups (the module, or the source of a shared layer).</param>
/// <param name="Weight">The effective weight: the quantizer's output for a quantized convolution, else the raw weight (detached).</param>
/// <param name="Bias">The float bias, or null.</param>
internal sealed record ConvLayer(string Path, Module Module, Conv2d Geometry, Tensor Weight, Tensor? Bias);

/// <summary>Finds the 2-D convolutions of a model and their effective weights.</summary>
internal static class ConvLayers
{
    /// <summary>
    /// Every <see cref="Conv2d"/>, <see cref="QuantConv2d"/> and <see cref="SharedQuantConv2d"/> in module order, with the
    /// weight its forward pass uses: <c>WeightQuant.Quantize(weight)</c> for quantized ones, computed under no-grad.
    /// </summary>
    public static List<ConvLayer> Of(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var list = new List<ConvLayer>();
        using var _ = Torch.NoGrad();
        foreach (var (path, m) in model.NamedModules())
        {
            ConvLayer? layer = m switch
            {
                QuantConv2d q => new ConvLayer(path, q, q, q.WeightQuant.Quantize(q.Weight).Detach(), q.Bias),
                Conv2d c => new ConvLayer(path, c, c, c.Weight.Detach(), c.Bias),
                SharedQuantConv2d s => new ConvLayer(path, s, s.Source, (s.WeightQuant?.Quantize(s.Weight) ?? s.Weight).Detach(), s.Bias),
                _ => null,
            };
            if (layer is not null) list.Add(layer);
        }
        return list;
    }

    /// <summary>Output channels (filters) of a 4-D weight whose entries are all exactly zero, in order.</summary>
    public static List<int> ZeroFilters(Tensor weight)
    {
        var (o, rest) = (weight.Size(0), weight.Numel / Math.Max(1, weight.Size(0)));
        var w = weight.ToArray();
        var zero = new List<int>();
        for (int f = 0; f < o; f++)
        {
            bool all = true;
            for (int j = f * rest, e = j + rest; j < e && all; j++) all = w[j] == 0f;
            if (all) zero.Add(f);
        }
        return zero;
    }

    /// <summary>Columns j of dimension 1 whose entries are zero in every filter (input channels no filter reads).</summary>
    public static List<int> ZeroInputs(Tensor weight)
    {
        int o = weight.Size(0), c = weight.Size(1), k = weight.Numel / Math.Max(1, o * c);
        var w = weight.ToArray();
        var zero = new List<int>();
        for (int j = 0; j < c; j++)
        {
            bool all = true;
            for (int f = 0; f < o && all; f++)
                for (int t = (f * c + j) * k, e = t + k; t < e && all; t++) all = w[t] == 0f;
            if (all) zero.Add(j);
        }
        return zero;
    }
}
