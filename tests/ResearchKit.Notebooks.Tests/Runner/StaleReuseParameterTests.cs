using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

/// <summary>
/// The notebook parameter <c>reuseStale</c> (as notebook 04 declares it) reaches the experiment runner through
/// <c>RecipeOptions.ReuseStale</c>: a stale result is retrained by default and reused, labelled with both code versions, on request.
/// </summary>
public class StaleReuseParameterTests
{
    private static Notebook StaleNotebook(string runsDir) => new NotebookBuilder()
        .Code(KitReferences())
        .Code("var reuseStale = false;", NotebookParameters.ParametersTag)
        .Code($$"""
            using ResearchKit.Runs;
            using ResearchKit.Training;
            using ResearchKit.Experiments;
            var store = SqliteRunStore.Open({{Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(runsDir, quote: true)}});
            RunConfig Cfg(string version) => RunConfig.From(new Dictionary<string, object?> { ["experiment"] = "nb-stale" }, version);
            var old = Cfg("v-old");
            long oldId = store.StartOrResume(old.Hash, old.Json).Id;
            store.Complete(oldId, new Dictionary<string, double> { ["accuracy"] = 0.9 });
            var options = new RecipeOptions { ReuseStale = reuseStale };
            var cfg = Cfg("v-new");
            int trained = 0;
            var run = ExperimentRunner.Run(store, cfg.Json, cfg.Hash, _ => { trained++; return new Dictionary<string, double> { ["accuracy"] = 0.5 }; }, options.RunOptions);
            Console.WriteLine($"trained {trained}; accuracy {run.FinalMetrics["accuracy"]}; {run.Source}");
            store.Dispose();
            """)
        .Build();

    private static async Task<string> RunAndReadOutput(bool? reuseStale)
    {
        using var tmp = NewTempDir();
        var nb = StaleNotebook(Path.Combine(tmp.Path, "runs"));
        var parameters = reuseStale is bool r ? new[] { new KeyValuePair<string, string>("reuseStale", r ? "true" : "false") } : [];
        var result = await RunAsync(nb, tmp.Path, new NotebookRunOptions { Parameters = parameters });
        Assert.True(result.Succeeded, result.Error);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return string.Concat(nb.Cells.SelectMany(c => c.Outputs).Select(o => o.Text()));
    }

    [Fact]
    public async Task By_default_a_stale_result_is_retrained_and_the_output_says_why()
    {
        string output = await RunAndReadOutput(reuseStale: null);
        Assert.Contains("was computed by code version v-old, this code is v-new; training again", output);
        Assert.Contains("trained 1; accuracy 0.5", output);
    }

    [Fact]
    public async Task Parameter_reuseStale_true_reuses_the_stale_result_naming_both_versions()
    {
        string output = await RunAndReadOutput(reuseStale: true);
        Assert.Contains("Stale result reused", output);
        Assert.Contains("trained 0; accuracy 0.9", output);
        Assert.Contains("stale result of code version v-old reused (this code is v-new)", output);
    }
}
