using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResearchKit.Training;

/// <summary>
/// Position and bookkeeping of a <see cref="Trainer"/>: everything besides the model, optimizer and scheduler that a
/// resumed run needs to continue bit-identically (loop position, early-stopping counters, the open logging window,
/// the last evaluation and the states of the registered generators). Round-trips exactly through <see cref="ToJson"/>.
/// </summary>
public sealed class TrainerState
{
    /// <summary>Optimizer steps completed.</summary>
    public long Step { get; set; }

    /// <summary>Current epoch (0-based): the epoch of the next batch.</summary>
    public int Epoch { get; set; }

    /// <summary>Index within <see cref="Epoch"/> of the next batch (what the loader's <c>startBatch</c> must be on resume).</summary>
    public int BatchInEpoch { get; set; }

    /// <summary>Best value of the early-stopping metric so far.</summary>
    public double? BestMetric { get; set; }

    /// <summary>Step at which <see cref="BestMetric"/> was reached (-1 when none).</summary>
    public long BestStep { get; set; } = -1;

    /// <summary>Consecutive evaluations without improvement of the early-stopping metric.</summary>
    public int EvalsWithoutImprovement { get; set; }

    /// <summary>True once early stopping triggered.</summary>
    public bool EarlyStopped { get; set; }

    /// <summary>Sum of batch losses in the open logging window.</summary>
    public double WindowLossSum { get; set; }

    /// <summary>The loss of the last step taken (NaN before the first). Kept in checkpoints, so a run resumed after its last
    /// step still reports it.</summary>
    public double LastLoss { get; set; } = double.NaN;

    /// <summary>Steps in the open logging window.</summary>
    public int WindowSteps { get; set; }

    /// <summary>Correct predictions in the open logging window.</summary>
    public long WindowCorrect { get; set; }

    /// <summary>Samples counted for accuracy in the open logging window.</summary>
    public long WindowSamples { get; set; }

    /// <summary>Step of the last evaluation (-1 when none).</summary>
    public long LastEvalStep { get; set; } = -1;

    /// <summary>Metrics of the last evaluation.</summary>
    public Dictionary<string, double> LastEvalMetrics { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Generator states (<c>Generator.GetState()</c>) by the names given in <see cref="TrainerOptions.Generators"/>.</summary>
    public Dictionary<string, ulong[]> RngStates { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A deep copy.</summary>
    public TrainerState Clone()
    {
        var c = (TrainerState)MemberwiseClone();
        c.LastEvalMetrics = new Dictionary<string, double>(LastEvalMetrics, StringComparer.Ordinal);
        c.RngStates = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
        foreach (var (k, v) in RngStates) c.RngStates[k] = (ulong[])v.Clone();
        return c;
    }

    /// <summary>JSON with doubles written as round-trip strings (exact, and NaN/∞ safe).</summary>
    /// <param name="includeRng">Include <see cref="RngStates"/> (checkpoints store them as separate metadata entries instead).</param>
    public string ToJson(bool includeRng = true)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("step", Step);
            w.WriteNumber("epoch", Epoch);
            w.WriteNumber("batch_in_epoch", BatchInEpoch);
            if (BestMetric is double b) w.WriteString("best_metric", D(b));
            w.WriteNumber("best_step", BestStep);
            w.WriteNumber("evals_without_improvement", EvalsWithoutImprovement);
            w.WriteBoolean("early_stopped", EarlyStopped);
            w.WriteString("window_loss_sum", D(WindowLossSum));
            w.WriteString("last_loss", D(LastLoss));
            w.WriteNumber("window_steps", WindowSteps);
            w.WriteNumber("window_correct", WindowCorrect);
            w.WriteNumber("window_samples", WindowSamples);
            w.WriteNumber("last_eval_step", LastEvalStep);
            w.WriteStartObject("last_eval_metrics");
            foreach (var (k, v) in LastEvalMetrics) w.WriteString(k, D(v));
            w.WriteEndObject();
            if (includeRng)
            {
                w.WriteStartObject("rng");
                foreach (var (k, v) in RngStates) w.WriteString(k, FormatRng(v));
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Parses <see cref="ToJson"/> output.</summary>
    /// <exception cref="ArgumentException">The JSON is malformed or lacks a key.</exception>
    public static TrainerState FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject o;
        try { o = JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("TrainerState.FromJson: expected a JSON object."); }
        catch (JsonException e) { throw new ArgumentException($"TrainerState.FromJson: invalid JSON ({e.Message}); pass the string written by TrainerState.ToJson.", e); }
        var s = new TrainerState
        {
            Step = Req(o, "step").GetValue<long>(),
            Epoch = Req(o, "epoch").GetValue<int>(),
            BatchInEpoch = Req(o, "batch_in_epoch").GetValue<int>(),
            BestMetric = o["best_metric"] is JsonNode bm ? P(bm.GetValue<string>()) : null,
            BestStep = Req(o, "best_step").GetValue<long>(),
            EvalsWithoutImprovement = Req(o, "evals_without_improvement").GetValue<int>(),
            EarlyStopped = Req(o, "early_stopped").GetValue<bool>(),
            WindowLossSum = P(Req(o, "window_loss_sum").GetValue<string>()),
            // Absent from checkpoints written before it was kept.
            LastLoss = o["last_loss"] is JsonNode ll ? P(ll.GetValue<string>()) : double.NaN,
            WindowSteps = Req(o, "window_steps").GetValue<int>(),
            WindowCorrect = Req(o, "window_correct").GetValue<long>(),
            WindowSamples = Req(o, "window_samples").GetValue<long>(),
            LastEvalStep = Req(o, "last_eval_step").GetValue<long>(),
        };
        if (Req(o, "last_eval_metrics") is JsonObject m)
            foreach (var (k, v) in m) s.LastEvalMetrics[k] = P(v!.GetValue<string>());
        if (o["rng"] is JsonObject r)
            foreach (var (k, v) in r) s.RngStates[k] = ParseRng(v!.GetValue<string>(), k);
        return s;
    }

    /// <summary>A generator state as text: six 16-digit hex words joined by '-'.</summary>
    public static string FormatRng(ulong[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var parts = new string[state.Length];
        for (int i = 0; i < parts.Length; i++) parts[i] = state[i].ToString("x16", CultureInfo.InvariantCulture);
        return string.Join('-', parts);
    }

    /// <summary>Parses <see cref="FormatRng"/> output.</summary>
    /// <exception cref="ArgumentException">Not six hex words.</exception>
    public static ulong[] ParseRng(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('-');
        var r = new ulong[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!ulong.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out r[i]))
                throw new ArgumentException($"TrainerState: generator state '{name}' is not hex words joined by '-': '{text}'.");
        if (r.Length != 6) throw new ArgumentException($"TrainerState: generator state '{name}' has {r.Length} words, a Generator state has 6.");
        return r;
    }

    private static JsonNode Req(JsonObject o, string key) =>
        o[key] ?? throw new ArgumentException($"TrainerState.FromJson: missing key '{key}'; the JSON was not written by TrainerState.ToJson.");

    private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static double P(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
