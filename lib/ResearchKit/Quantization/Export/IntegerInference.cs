using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// Turns a model into its integer-inference form by module surgery: every layer of an <see cref="ExportedModel"/> is
/// replaced by an <see cref="IntegerConv2d"/> / <see cref="IntegerLinear"/> holding the packed codes, and every other tensor
/// is loaded from <see cref="ExportedModel.FloatTensors"/>.
/// </summary>
/// <remarks>
/// The architecture comes from the caller (build the model as for training and convert it with the same
/// <see cref="ModelQuantizer.Quantize"/> spec, so the activation quantizers are in place); every number comes from the
/// export, so a freshly initialized model gives the exported model's outputs. The parents must register the layers as
/// <c>Module&lt;Tensor, Tensor&gt;</c> (as <see cref="Models.ResNetCifar"/> and <see cref="Models.ResNet18Cifar"/> do).
/// </remarks>
public static class IntegerInference
{
    /// <summary>Replaces the exported layers of <paramref name="model"/> in place, loads the float tensors, and puts it in eval mode.</summary>
    /// <param name="model">A model with the exported model's architecture (module paths and float tensors).</param>
    /// <param name="export">The export, from <see cref="IntegerExport.Export"/> or <see cref="ExportedModel.Load"/>.</param>
    /// <returns>The replaced module paths, in the export's order.</returns>
    /// <exception cref="ArgumentException">A layer path names no submodule or the root; a replaced module's weight shape differs
    /// from the export's; or the model's remaining state-dict keys or shapes differ from the export's float tensors (all listed).
    /// The model is unchanged.</exception>
    /// <exception cref="InvalidOperationException">A parent registered a layer as a concrete type (see <see cref="Module.Replace(string, Module)"/>); the model is unchanged.</exception>
    public static IReadOnlyList<string> Apply(Module model, ExportedModel export)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(export);
        var plan = new Dictionary<Module, Module>(ReferenceEqualityComparer.Instance);
        foreach (var l in export.Layers)
        {
            if (l.Name.Length == 0)
                throw new ArgumentException("IntegerInference.Apply: the exported layer is the model itself; use new IntegerConv2d(layer) or new IntegerLinear(layer) directly.", nameof(export));
            var m = model.GetSubmodule(l.Name);
            if (WeightOf(m) is { } w && !w.Shape.ToArray().SequenceEqual(l.WeightShape))
                throw new ArgumentException($"IntegerInference.Apply: '{l.Name}' has weight {w.Shape}, the export [{string.Join(", ", l.WeightShape)}]; build the model with the exported architecture.", nameof(model));
            plan[m] = l.Kind == ExportedLayerKind.Conv2d ? new IntegerConv2d(l) : new IntegerLinear(l);
        }

        // Check the float tensors against what the model keeps before changing anything.
        var prefixes = export.Layers.Select(l => l.Name + ".").ToList();
        var kept = model.StateDict().Where(kv => !prefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var errors = new List<string>();
        var missing = kept.Keys.Where(k => !export.FloatTensors.ContainsKey(k)).ToList();
        var unexpected = export.FloatTensors.Keys.Where(k => !kept.ContainsKey(k)).ToList();
        if (missing.Count > 0) errors.Add($"missing from the export: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) errors.Add($"not in the model: {string.Join(", ", unexpected)}");
        foreach (var (k, t) in kept)
            if (export.FloatTensors.TryGetValue(k, out var src) && !src.Shape.Equals(t.Shape))
                errors.Add($"'{k}' has shape {t.Shape} in the model, {src.Shape} in the export");
        if (errors.Count > 0)
            throw new ArgumentException("IntegerInference.Apply: the model does not match the export's float tensors (" + string.Join("; ", errors) +
                "); build and convert the model as the exported one was.", nameof(model));

        model.Replace<Module>(m => plan[m], (_, m) => plan.ContainsKey(m));
        model.LoadStateDict(export.FloatTensors, strict: true);
        model.Eval();
        return export.Layers.Select(l => l.Name).ToList();
    }

    private static Tensor? WeightOf(Module m) => m switch
    {
        ConvNdBase c => c.Weight,
        Linear l => l.Weight,
        SharedQuantConv2d s => s.Weight,
        SharedQuantLinear s => s.Weight,
        _ => null,
    };
}
