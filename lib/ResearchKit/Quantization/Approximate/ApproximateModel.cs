using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// Module surgery for approximate inference: every <see cref="Conv2d"/> and <see cref="Linear"/> of a trained float model
/// becomes an <see cref="ApproximateConv2d"/> / <see cref="ApproximateLinear"/> over the same tensors, all sharing one
/// <see cref="ProductTable"/>, so a notebook can measure accuracy against the multiplier.
/// </summary>
/// <remarks>State-dict keys and output shapes are unchanged (the replacements register the float <c>weight</c>/<c>bias</c>
/// under their names); batch norms, activations and pools stay float. Replace a freshly loaded float model; to compare
/// multipliers, rebuild or reload it for each (replaced layers are not replaced again).</remarks>
public static class ApproximateModel
{
    /// <summary>Replaces the model's convolutions and linear layers in place.</summary>
    /// <param name="model">A float model whose layers are registered modules (e.g. <see cref="Models.ResNetCifar"/>).</param>
    /// <param name="multiplier">The multiplier every product goes through; its Bits (≤ 8) is the quantization width.</param>
    /// <param name="inputMode">Input quantization of every replaced layer (default <see cref="ApproximateInputMode.Auto"/>).</param>
    /// <param name="where">Optional filter on (path, layer), e.g. to keep the first convolution exact.</param>
    /// <returns>The replaced module paths, in module order.</returns>
    /// <exception cref="ArgumentException">The multiplier is wider than 8 bits (see <see cref="ProductTable"/>).</exception>
    /// <exception cref="InvalidOperationException">The model already holds approximate layers, has no layer to replace, or a
    /// parent declared a child as a concrete layer type (see <see cref="Module.Replace(string, Module)"/>); the model is then unchanged.</exception>
    public static IReadOnlyList<string> Replace(Module model, IApproximateMultiplier multiplier,
        ApproximateInputMode inputMode = ApproximateInputMode.Auto, Func<string, Module, bool>? where = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(multiplier);
        var named = model.NamedModules().Where(nm => nm.Name.Length > 0).ToList();
        foreach (var (name, m) in named)
            if (m is ApproximateConv2d or ApproximateLinear)
                throw new InvalidOperationException(
                    $"ApproximateModel.Replace: '{name}' is already approximate; rebuild or reload the float model before trying another multiplier.");
        bool Selected(string path, Module m) => m is Conv2d or Linear && (where?.Invoke(path, m) ?? true);
        if (!named.Any(nm => Selected(nm.Name, nm.Module)))
            throw new InvalidOperationException("ApproximateModel.Replace: no Conv2d or Linear module to replace (check the filter, or build the model with the standard layers).");
        var table = new ProductTable(multiplier);
        return model.Replace<Module>(m => m switch
        {
            Conv2d c => new ApproximateConv2d(c, table, inputMode),
            Linear l => new ApproximateLinear(l, table, inputMode),
            _ => m,
        }, Selected);
    }
}
