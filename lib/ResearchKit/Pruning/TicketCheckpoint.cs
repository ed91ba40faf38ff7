using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Optim;

namespace ResearchKit.Pruning;

/// <summary>
/// The round files of a resumable <see cref="TicketSearch"/> (<see cref="TicketSearch.CheckpointDirectory"/>), one
/// safetensors file per completed round, written atomically:
/// <list type="bullet">
/// <item><c>dense.safetensors</c>: round 0, which Algorithm 2 runs identically in all four configurations, so they share
/// it: trained weights (<c>model.*</c>), θ⁰ (<c>theta0.*</c>), θ at each captured t_save (<c>theta_save@&lt;step&gt;.*</c>;
/// files of older versions hold one snapshot as <c>theta_save.*</c>, read as the metadata's <c>save_step</c>).</item>
/// <item><c>&lt;configuration&gt;/round-NN.safetensors</c>: pruned round NN: trained weights and masks (<c>mask.*</c>);
/// WT with save uses <c>WinningTicketWithSave@&lt;t_save&gt;</c> as its folder.</item>
/// </list>
/// Every file's metadata holds the round's objective, start, pruning thresholds, metrics and the search's generator
/// states at the end of the round, so a resumed search continues with exactly the random numbers of an uninterrupted one.
/// </summary>
internal static class TicketCheckpoint
{
    private const string ModelPrefix = "model.";
    private const string Theta0Prefix = "theta0.";
    private const string ThetaSavePrefix = "theta_save.";
    private const string ThetaAtPrefix = "theta_save@";
    private const string OptimizerPrefix = "optim.";

    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // metrics and thresholds may be NaN or ∞
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>A round read back from its file.</summary>
    internal sealed record Saved(
        string Path,
        Dictionary<string, Tensor> Model,
        PruningMasks Masks,
        Dictionary<string, Tensor>? Theta0,
        IReadOnlyDictionary<long, Dictionary<string, Tensor>> Snapshots,
        double? Objective,
        RoundStart Start,
        IReadOnlyList<GroupPruneResult>? Pruning,
        RoundResult Result,
        Dictionary<string, ulong[]> Generators,
        long? SaveStep,
        OptimizerStateDict? Optimizer);

    /// <summary>
    /// Path of round <paramref name="round"/>: the shared dense file for round 0, else the configuration's own file; WT
    /// with save keys its folder by t_save (<c>WinningTicketWithSave@1200</c>), so searches rewinding to different
    /// iterates of one dense training keep apart.
    /// </summary>
    internal static string PathOf(string directory, TicketConfiguration configuration, int round, long? saveStep = null) => round == 0
        ? System.IO.Path.Combine(directory, "dense.safetensors")
        : System.IO.Path.Combine(directory, configuration == TicketConfiguration.WinningTicketWithSave
            ? $"{configuration}@{(saveStep ?? 0).ToString(CultureInfo.InvariantCulture)}" : configuration.ToString(), $"round-{round:D2}.safetensors");

    /// <summary>Writes one completed round atomically.</summary>
    internal static void Write(string path, TicketRoundResult round, Dictionary<string, Tensor> model, PruningMasks masks,
        Dictionary<string, Tensor>? theta0, IReadOnlyDictionary<long, Dictionary<string, Tensor>>? snapshots, long? saveStep, IReadOnlyDictionary<string, Generator>? generators,
        OptimizerStateDict? optimizer = null)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Add(tensors, ModelPrefix, model);
        foreach (var (k, v) in masks.ToStateDict()) tensors[k] = v;
        if (theta0 is not null) Add(tensors, Theta0Prefix, theta0);
        if (snapshots is not null)
            foreach (var (step, state) in snapshots) Add(tensors, ThetaAtPrefix + step.ToString(CultureInfo.InvariantCulture) + ".", state);
        if (optimizer is not null) Add(tensors, OptimizerPrefix, optimizer.State);

        var gens = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
        if (generators is not null) foreach (var (name, g) in generators) gens[name] = g.GetState();
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "researchkit.ticket-round/1",
            ["round"] = round.Round.ToString(CultureInfo.InvariantCulture),
            ["configuration"] = round.Configuration.ToString(),
            ["objective"] = round.Objective?.ToString("R", CultureInfo.InvariantCulture) ?? "",
            ["start"] = round.StartedFrom.ToString(),
            ["save_step"] = saveStep?.ToString(CultureInfo.InvariantCulture) ?? "",
            ["pruning"] = JsonSerializer.Serialize(round.Pruning?.Groups, Json),
            ["result"] = JsonSerializer.Serialize(ResultDto.From(round.Result), Json),
            ["generators"] = JsonSerializer.Serialize(gens, Json),
        };
        if (optimizer is not null) meta["optimizer_groups"] = optimizer.ParamGroups;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        CheckpointFile.Write(path, tensors, meta);
    }

    /// <summary>
    /// Reads a round file, or null when it does not exist or is corrupt (checksum mismatch, truncated, garbage header):
    /// a corrupt file is moved aside to <c>*.corrupt</c> with a warning, so the search falls back to the previous round
    /// and retrains this one (deterministically, so with the same result). A file without a checksum (older
    /// ResearchKit) is read with a note.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a ticket-round file or its metadata is damaged.</exception>
    internal static Saved? TryRead(string path, Action<string>? warning = null)
    {
        warning ??= static m => Console.Error.WriteLine($"warning: {m}");
        if (!File.Exists(path)) return null;
        CheckpointFileContents file;
        try { file = CheckpointFile.Read(path); }
        catch (CheckpointCorruptException e)
        {
            string? aside = CheckpointFile.MoveAside(path);
            warning($"TicketSearch: round checkpoint '{path}' is corrupt ({e.Reason}); " +
                    (aside is null ? "it could not be moved aside (delete it)" : $"kept aside as '{System.IO.Path.GetFileName(aside)}'") +
                    "; falling back to the previous round and retraining this one.");
            if (aside is null) throw;
            return null;
        }
        if (!file.Verified) warning($"TicketSearch: note: round checkpoint '{path}' has no checksum (written by an older ResearchKit); loaded unverified.");
        var (tensors, meta) = (file.Tensors, file.Metadata);
        try
        {
            if (!meta.TryGetValue("format", out var format) || format != "researchkit.ticket-round/1")
                throw new InvalidDataException("not a ticket-round file (metadata 'format' is missing or unknown)");
            string objective = meta["objective"], saveStep = meta["save_step"];
            var groups = JsonSerializer.Deserialize<List<GroupPruneResult>>(meta["pruning"], Json);
            var result = (JsonSerializer.Deserialize<ResultDto>(meta["result"], Json) ?? throw new InvalidDataException("metadata 'result' is null")).ToResult();
            var gens = JsonSerializer.Deserialize<Dictionary<string, ulong[]>>(meta["generators"], Json) ?? new();
            var theta0 = Strip(tensors, Theta0Prefix);
            long? save = saveStep.Length == 0 ? null : long.Parse(saveStep, CultureInfo.InvariantCulture);
            var snapshots = Snapshots(tensors);
            if (save is long s && s > 0 && Strip(tensors, ThetaSavePrefix) is { } legacy) snapshots[s] = legacy;
            return new Saved(path, Strip(tensors, ModelPrefix)!, PruningMasks.FromStateDict(tensors), theta0, snapshots,
                objective.Length == 0 ? null : double.Parse(objective, CultureInfo.InvariantCulture),
                Enum.Parse<RoundStart>(meta["start"]), groups, result, gens, save,
                meta.TryGetValue("optimizer_groups", out var optGroups) ? new OptimizerStateDict(Strip(tensors, OptimizerPrefix) ?? new(StringComparer.Ordinal), optGroups) : null);
        }
        catch (Exception e) when (e is KeyNotFoundException or JsonException or FormatException or ArgumentException or InvalidDataException)
        {
            throw new InvalidDataException($"TicketSearch: the round checkpoint '{path}' is damaged ({e.Message}); delete it and the search retrains that round.", e);
        }
    }

    private static void Add(Dictionary<string, Tensor> into, string prefix, Dictionary<string, Tensor> state)
    {
        foreach (var (k, v) in state) into[prefix + k] = v;
    }

    /// <summary>The <c>theta_save@&lt;step&gt;.*</c> snapshots by step.</summary>
    private static Dictionary<long, Dictionary<string, Tensor>> Snapshots(Dictionary<string, Tensor> tensors)
    {
        var d = new Dictionary<long, Dictionary<string, Tensor>>();
        foreach (var (k, v) in tensors)
        {
            if (!k.StartsWith(ThetaAtPrefix, StringComparison.Ordinal)) continue;
            int dot = k.IndexOf('.', ThetaAtPrefix.Length);
            if (dot < 0) throw new InvalidDataException($"tensor '{k}' has no parameter name after its step");
            long step = long.Parse(k.AsSpan(ThetaAtPrefix.Length, dot - ThetaAtPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture);
            if (!d.TryGetValue(step, out var state)) d[step] = state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            state[k[(dot + 1)..]] = v;
        }
        return d;
    }

    private static Dictionary<string, Tensor>? Strip(Dictionary<string, Tensor> tensors, string prefix)
    {
        Dictionary<string, Tensor>? d = null;
        foreach (var (k, v) in tensors)
            if (k.StartsWith(prefix, StringComparison.Ordinal))
                (d ??= new Dictionary<string, Tensor>(StringComparer.Ordinal))[k[prefix.Length..]] = v;
        return d;
    }

    /// <summary>JSON shape of a <see cref="RoundResult"/> (its loss curve is a list of tuples, which JSON does not name).</summary>
    private sealed record ResultDto(Dictionary<string, double> Metrics, long[]? CurveSteps, double[]? CurveLosses, string? RunId)
    {
        public static ResultDto From(RoundResult r) => new(
            new Dictionary<string, double>(r.Metrics, StringComparer.Ordinal),
            r.LossCurve?.Select(p => p.Step).ToArray(), r.LossCurve?.Select(p => p.Loss).ToArray(), r.RunId);

        public RoundResult ToResult()
        {
            (long, double)[]? curve = CurveSteps is null || CurveLosses is null ? null : CurveSteps.Zip(CurveLosses).ToArray();
            return new RoundResult(Metrics, curve, RunId);
        }
    }
}
