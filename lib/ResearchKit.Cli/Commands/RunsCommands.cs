using System.CommandLine;
using System.Globalization;
using ResearchKit.Cli.Errors;
using ResearchKit.Runs;

namespace ResearchKit.Cli.Commands;

/// <summary><c>rk runs list|show|export|delete</c>.</summary>
internal static class RunsCommands
{
    public static Command Create()
    {
        var runsDir = new Option<string>("--runs-dir") { Description = "Run store directory (default: RESEARCHKIT_RUNS or ./runs)", DefaultValueFactory = _ => CliPaths.DefaultRunsDir };
        var runs = new Command("runs", "Inspect, export and delete recorded runs");

        var list = new Command("list", "All runs, newest first; runs recorded by another code version are marked stale") { runsDir };
        list.SetAction(pr =>
        {
            using var store = SqliteRunStore.Open(pr.GetValue(runsDir)!);
            var runs = store.List();
            foreach (var r in runs)
                Console.WriteLine($"{r.Id,5}  {r.Status,-9}  {(r.IsStale ? "stale" : ""),-5}  {r.StartedUtc:yyyy-MM-dd HH:mm}  {r.ConfigHash[..12]}  {Summary(r)}");
            if (runs.Any(r => r.IsStale))
                Console.WriteLine($"stale: recorded by another code version than this one ({RunConfig.DefaultCodeVersion}); `rk train` trains them again unless --reuse-stale.");
            return 0;
        });

        var id = new Argument<long>("run") { Description = "Run id (see `rk runs list`)" };
        var show = new Command("show", "Config, status and final metrics of a run") { id, runsDir };
        show.SetAction(pr =>
        {
            using var store = SqliteRunStore.Open(pr.GetValue(runsDir)!);
            var r = store.Get(pr.GetValue(id));
            if (r is null) throw new CliException(ExitCodes.RunStore, $"no run {pr.GetValue(id)} in {store.RunsDirectory}; see `dotnet rk runs list` (another store: --runs-dir).");
            Console.WriteLine($"run {r.Id}: {r.Status}, started {r.StartedUtc:u}{(r.EndedUtc is { } e ? $", ended {e:u}" : "")}");
            Console.WriteLine(r.IsStale
                ? $"code version {r.CodeVersion ?? "(none recorded)"}: STALE, this code is {RunConfig.DefaultCodeVersion} (`rk train` trains it again unless --reuse-stale)"
                : $"code version {r.CodeVersion}: this code");
            Console.WriteLine($"config {r.ConfigHash}: {r.ConfigJson}");
            foreach (var (k, v) in r.FinalMetrics) Console.WriteLine($"  {k} = {v.ToString("G6", CultureInfo.InvariantCulture)}");
            if (r.Error is not null) Console.WriteLine($"error: {r.Error}");
            return 0;
        });

        var id2 = new Argument<long>("run") { Description = "Run id" };
        var format = new Option<string>("--format") { Description = "csv or json", DefaultValueFactory = _ => "csv" };
        var output = new Option<string?>("--out") { Description = "Output file (default: standard output)" };
        var export = new Command("export", "Metric history of a run: CSV (one row per step, one column per metric; NaN and missing as empty fields) or JSON (every point, NaN kept)") { id2, format, output, runsDir };
        export.SetAction(pr =>
        {
            using var store = SqliteRunStore.Open(pr.GetValue(runsDir)!);
            if (store.Get(pr.GetValue(id2)) is null) throw new CliException(ExitCodes.RunStore, $"no run {pr.GetValue(id2)} in {store.RunsDirectory}; see `dotnet rk runs list` (another store: --runs-dir).");
            var path = pr.GetValue(output);
            using var w = path is null ? Console.Out : new StreamWriter(path);
            switch (pr.GetValue(format)!.ToLowerInvariant())
            {
                case "csv": RunExport.ToCsv(store, pr.GetValue(id2), w); break;
                case "json": RunExport.ToJson(store, pr.GetValue(id2), w); break;
                default: throw new CliException(ExitCodes.Usage, "--format must be csv or json.");
            }
            return 0;
        });

        // No confirmation prompt and no --yes: the explicit id is the confirmation, the command must work in scripts,
        // and the one destructive mistake that matters (deleting a run a live process is training) is refused.
        var id3 = new Argument<long>("run") { Description = "Run id (see `dotnet rk runs list`)" };
        var delete = new Command("delete", "Delete a run: its record, metrics and checkpoint files (no prompt); a run that a live process is training is refused") { id3, runsDir };
        delete.SetAction(pr =>
        {
            using var store = SqliteRunStore.Open(pr.GetValue(runsDir)!);
            long runId = pr.GetValue(id3);
            var r = store.Get(runId);
            if (r is null) throw new CliException(ExitCodes.RunStore, $"no run {runId} in {store.RunsDirectory}; see `dotnet rk runs list` (another store: --runs-dir).");
            int points = store.Metrics(runId).Count, checkpoints = store.CheckpointSteps(runId).Count;
            store.Delete(runId); // RunLeasedException (with the owner and how to proceed) while a live process trains it
            Console.WriteLine($"deleted run {runId} ({r.Status}, {points} metric points, {checkpoints} checkpoints) and its files from {store.RunsDirectory}");
            return ExitCodes.Ok;
        });

        runs.Subcommands.Add(list);
        runs.Subcommands.Add(show);
        runs.Subcommands.Add(export);
        runs.Subcommands.Add(delete);
        return runs;
    }

    private static string Summary(RunRecord r)
    {
        var m = string.Join(", ", r.FinalMetrics.Select(kv => $"{kv.Key}={kv.Value.ToString("G4", CultureInfo.InvariantCulture)}"));
        string recipe = System.Text.Json.JsonDocument.Parse(r.ConfigJson).RootElement is var root && root.TryGetProperty("recipe", out var rc) ? rc.ToString() : "?";
        string preset = root.TryGetProperty("preset", out var p) ? p.ToString() : "?";
        return $"{recipe} [{preset}] {m}";
    }
}
