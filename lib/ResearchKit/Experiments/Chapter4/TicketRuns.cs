using ResearchKit.Pruning;
using ResearchKit.Runs;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;

namespace ResearchKit.Experiments.Chapter4;

/// <summary>What the ticket recipes share: where round checkpoints go, how a search is recorded as a run, how t_save scales.</summary>
internal static class TicketRuns
{
    /// <summary>
    /// Round checkpoints of one experiment's searches: under the store's directory, keyed by the experiment config
    /// (everything except the column), so the columns share the dense round 0. Null for stores without a directory
    /// (each column then trains its own round 0).
    /// </summary>
    internal static string? CheckpointDirectory(IRunStore store, IReadOnlyDictionary<string, object?> experimentConfig) =>
        store is SqliteRunStore s ? Path.Combine(s.RunsDirectory, "tickets", RunConfig.From(experimentConfig).Hash) : null;

    /// <summary>
    /// Runs one column's search as a run of the store, or returns its stored result: the column's config, the round
    /// checkpoints shared by the experiment's columns, and the per-round record. <paramref name="build"/> loads the data
    /// and makes the probe model (parameter names and categories) and the search, only when training is needed.
    /// </summary>
    internal static RunResult RunColumn(IRunStore store, IReadOnlyDictionary<string, object?> experimentConfig, TicketColumn column,
        long iterations, Func<(Module Probe, TicketSearch Search)> build, ExperimentRunOptions runOptions)
    {
        var cfg = RunConfig.From(ColumnConfig(experimentConfig, column, iterations));
        string? dir = CheckpointDirectory(store, experimentConfig);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var (probe, search) = build();
            search.CheckpointDirectory = dir;
            return Record(ctx, search.Run(), probe);
        }, runOptions);
    }

    /// <summary>Returns <paramref name="column"/> when it is one of <paramref name="columns"/>; otherwise the error names the recipe and the valid columns.</summary>
    internal static TicketColumn Check(string recipe, IReadOnlyList<TicketColumn> columns, TicketColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (!columns.Contains(column))
            throw new ArgumentException($"{recipe}: '{column.Name}' ({column}) is not a column of this experiment at this preset; pick one of Columns(preset): {string.Join(", ", columns.Select(c => c.Name))}.", nameof(column));
        return column;
    }

    /// <summary>The experiment config with the column added: the config of one column's run.</summary>
    internal static Dictionary<string, object?> ColumnConfig(IReadOnlyDictionary<string, object?> experimentConfig, TicketColumn column, long iterations) =>
        new(experimentConfig) { ["column"] = column.ToConfig(iterations) };

    /// <summary>
    /// t_save of the thesis scaled to a shorter run (the ratio t_save/T is kept), at least 1 so a WT-with-save column
    /// never collapses onto WT; 0 stays 0.
    /// </summary>
    internal static long ScaleSaveStep(long thesisSaveStep, long thesisIterations, long iterations) =>
        thesisSaveStep == 0 ? 0 : Math.Max(1, (long)Math.Round((double)thesisSaveStep * iterations / thesisIterations));

    /// <summary>
    /// Logs a search's rounds at step = round: "objective", "sparsity", "sparsity/&lt;group&gt;", every metric of the
    /// round's result, and the per-category counts "layer/&lt;category&gt;/total" and "…/pruned" of
    /// <see cref="SparsityReport"/> (needs <see cref="TicketConfig.KeepRoundMasks"/>); returns the final metrics.
    /// </summary>
    internal static IReadOnlyDictionary<string, double> Record(ExperimentContext ctx, TicketSearchResult result, Module probe)
    {
        foreach (var r in result.Rounds)
        {
            ctx.LogMetric(r.Round, "objective", r.Objective ?? 0);
            ctx.LogMetric(r.Round, "sparsity", r.Sparsity);
            if (r.Pruning is not null)
                foreach (var g in r.Pruning.Groups) ctx.LogMetric(r.Round, "sparsity/" + g.Name, g.Sparsity);
            foreach (var (name, value) in r.Result.Metrics) ctx.LogMetric(r.Round, name, value);
            var report = r.Masks is null ? SparsityReport.Of(probe, new PruningMasks()) : SparsityReport.Of(probe, r.Masks);
            foreach (var c in report.Categories.Append(report.Total))
            {
                ctx.LogMetric(r.Round, $"layer/{c.Name}/total", c.Total);
                ctx.LogMetric(r.Round, $"layer/{c.Name}/pruned", c.Pruned);
            }
        }
        var last = result.Rounds[^1];
        var final = new Dictionary<string, double> { ["rounds"] = result.Rounds.Count, ["sparsity"] = last.Sparsity };
        foreach (var (name, value) in last.Result.Metrics) final[name] = value;
        return final;
    }

    /// <summary>
    /// The run of a whole experiment: runs (or reads from the store) every column, then records a summary run whose
    /// series "&lt;column&gt;/&lt;metric&gt;" repeat each column's per-round metrics and whose final metrics are each column's last round.
    /// </summary>
    internal static RunResult RunAll(IRunStore store, IReadOnlyDictionary<string, object?> experimentConfig, IReadOnlyList<TicketColumn> columns,
        Func<TicketColumn, RunResult> runColumn, IReadOnlyList<string> metrics, ExperimentRunOptions runOptions)
    {
        var runs = columns.Select(c => (Column: c, Run: runColumn(c))).ToList();
        var cfg = RunConfig.From(new Dictionary<string, object?>(experimentConfig) { ["columns"] = columns.Select(c => c.Name).ToArray() });
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var final = new Dictionary<string, double>();
            foreach (var (column, run) in runs)
            {
                foreach (var name in metrics.Prepend("sparsity"))
                    foreach (var p in run.Series(name)) ctx.LogMetric(p.Step, $"{column.Name}/{name}", p.Value);
                foreach (var (name, value) in run.FinalMetrics) final[$"{column.Name}/{name}"] = value;
            }
            return final;
        }, runOptions);
    }
}
