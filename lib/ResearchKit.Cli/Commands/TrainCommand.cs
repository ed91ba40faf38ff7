using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ResearchKit.Experiments;
using ResearchKit.Runs;
using ResearchKit.Training;

namespace ResearchKit.Cli.Commands;

/// <summary><c>rk train &lt;recipe&gt; --preset smoke|quick|paper</c>.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var recipe = new Argument<string>("recipe") { Description = $"Recipe: {string.Join(", ", Recipes.All.Select(r => r.Name))}" };
        var preset = new Option<string>("--preset") { Description = "smoke (seconds), quick (minutes), paper (thesis protocol)", DefaultValueFactory = _ => "smoke" };
        var seed = new Option<long>("--seed") { Description = "Master seed", DefaultValueFactory = _ => 0 };
        var runsDir = new Option<string>("--runs-dir") { Description = "Run store directory (default: RESEARCHKIT_RUNS or ./runs)", DefaultValueFactory = _ => CliPaths.DefaultRunsDir };
        var device = new Option<string>("--device")
        {
            Description = "Where to train: cpu (default), cuda, cuda:<index> (an NVIDIA GPU through ILGPU; only the driver is needed) or cpu-accelerator (the GPU kernels on the CPU, slow: for checking)",
            DefaultValueFactory = _ => "cpu",
        };
        var ckpt = new Option<int>("--checkpoint-every") { Description = "Checkpoint every N steps (0: recipe default)", DefaultValueFactory = _ => 0 };
        var reuseStale = new Option<bool>("--reuse-stale")
        {
            Description = "Show the stored result of a run recorded by another code version (stale) instead of training again",
        };
        var restart = new Option<bool>("--restart")
        {
            Description = "Discard the stored run of exactly this config (its metrics and checkpoints) and train from step 0; " +
                          "refused while a live process trains it",
        };
        var train = new Command("train", "Train a recipe, or show its stored result if an identical run completed; an interrupted run resumes; " +
                                         "a result of another code version is stale and trains again unless --reuse-stale")
        {
            recipe, preset, seed, runsDir, device, ckpt, reuseStale, restart,
        };
        train.SetAction(pr =>
        {
                var r = Recipes.Get(pr.GetValue(recipe)!);
                var p = Presets.Parse(pr.GetValue(preset)!);
                var dev = ComputeDevice.Use(pr.GetValue(device)!);
                var options = new RecipeOptions { Seed = pr.GetValue(seed), CheckpointEvery = pr.GetValue(ckpt), ReuseStale = pr.GetValue(reuseStale), Device = dev };
                r.RequireDevicePath(options);
                if (pr.GetValue(restart) && options.ReuseStale)
                    throw new ArgumentException("--restart trains from step 0 and --reuse-stale shows a stored result instead of training; pass only one of them.");
                var sw = Stopwatch.StartNew();
                using var store = SqliteRunStore.Open(pr.GetValue(runsDir)!);
                if (pr.GetValue(restart))
                {
                    // The recipe hashes the same config, so this deletes exactly the run it would otherwise resume or return.
                    var deleted = store.DeleteConfig(RunConfig.From(r.Config(p, options)).Hash); // RunLeasedException while a live process trains it
                    Console.WriteLine(deleted.Count == 0
                        ? "--restart: no stored run of this config; training from step 0"
                        : $"--restart: deleted run {string.Join(", ", deleted)} of this config (metrics and checkpoints); training from step 0");
                }
                var result = r.Run(store, p, options);
                string how = result.StaleCodeVersion is { } old
                    ? $"STALE stored result reused (--reuse-stale): computed by code version {old}, this code is {result.CodeVersion}"
                    : result.FromCache ? "stored result (identical config already completed)" : result.Resumed ? "resumed and completed" : "completed";
                Console.WriteLine($"{r.Name} [{p.Name()}] run {result.RunId}: {how} in {sw.Elapsed.TotalSeconds:F1} s");
                foreach (var (k, v) in result.FinalMetrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    Console.WriteLine($"  {k} = {v.ToString("G6", CultureInfo.InvariantCulture)}");
                return 0;
        });
        return train;
    }
}
