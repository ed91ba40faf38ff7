using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResearchKit.Quantization.AdaQat;

/// <summary>
/// AdaQAT's training state outside the model's state dict, as one JSON string for a checkpoint's metadata: every learned width's
/// relaxed value N, frozen flag and rise counters (the freeze rule), and the callback's extra-forward count. Restoring it into a
/// freshly converted model of the same settings resumes the widths exactly.
/// </summary>
/// <remarks>A JSON string rather than buffers on the model: the widths are plain numbers shared by several quantizers (one per
/// network), the counters are a map, and values are written with round-trip precision ("R"), so the restore is bit-exact.</remarks>
public static class AdaQatState
{
    /// <summary>The state of <paramref name="callback"/>'s widths and counters.</summary>
    /// <param name="callback">The AdaQAT driver of the run.</param>
    public static string Capture(AdaQatCallback callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var widths = new JsonArray();
        foreach (var w in callback.Model.BitWidths)
        {
            var rises = new JsonObject();
            foreach (var (bits, count) in w.Increases.OrderBy(e => e.Key)) rises[bits.ToString(CultureInfo.InvariantCulture)] = count;
            widths.Add(new JsonObject
            {
                ["name"] = w.Name,
                ["value"] = w.Value.ToString("R", CultureInfo.InvariantCulture),
                ["frozen"] = w.Frozen,
                ["increases"] = rises,
            });
        }
        return new JsonObject { ["extra_forward_passes"] = callback.ExtraForwardPasses, ["widths"] = widths }.ToJsonString();
    }

    /// <summary>Puts a state from <see cref="Capture"/> back into <paramref name="callback"/>'s widths and counter.</summary>
    /// <param name="callback">The driver of a model converted with the same options as the captured one.</param>
    /// <param name="json">The captured state.</param>
    /// <exception cref="ArgumentException">The JSON is malformed, or its widths (count or names) are not the model's.</exception>
    public static void Restore(AdaQatCallback callback, string json)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentException.ThrowIfNullOrEmpty(json);
        JsonObject root;
        try { root = JsonNode.Parse(json)?.AsObject() ?? throw new ArgumentException("AdaQatState.Restore: the state is JSON null."); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ArgumentException($"AdaQatState.Restore: the state is not the JSON object AdaQatState.Capture writes ({e.Message}).", nameof(json), e);
        }
        var widths = root["widths"]?.AsArray() ?? throw new ArgumentException("AdaQatState.Restore: the state has no 'widths' array.", nameof(json));
        var model = callback.Model;
        if (widths.Count != model.BitWidths.Count)
            throw new ArgumentException($"AdaQatState.Restore: the state holds {widths.Count} widths but the model learns {model.BitWidths.Count}; convert the model with the options of the saved run (granularity, network).", nameof(json));
        for (int i = 0; i < widths.Count; i++)
        {
            var entry = widths[i]!.AsObject();
            var w = model.BitWidths[i];
            string name = (string?)entry["name"] ?? "";
            if (name != w.Name)
                throw new ArgumentException($"AdaQatState.Restore: width {i} is '{name}' in the state but '{w.Name}' in the model; convert the model with the options of the saved run.", nameof(json));
            double value = double.Parse((string?)entry["value"] ?? "NaN", NumberStyles.Float, CultureInfo.InvariantCulture);
            var rises = (entry["increases"]?.AsObject() ?? []).ToDictionary(e => int.Parse(e.Key, CultureInfo.InvariantCulture), e => (int)e.Value!);
            w.RestoreState(value, (bool?)entry["frozen"] ?? false, rises);
        }
        callback.ExtraForwardPasses = (long?)root["extra_forward_passes"] ?? 0;
    }
}
