using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;
using ResearchKit.TestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

/// <summary>Every notebook in the repository's notebooks/ folder runs at preset smoke without any error output.</summary>
public class RepoNotebooksTests
{
    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(RepoRoot(), "notebooks"), "*.ipynb").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Fact]
    public void The_notebooks_folder_has_the_getting_started_notebook()
    {
        Assert.True(File.Exists(Path.Combine(RepoRoot(), "notebooks", "00-getting-started.ipynb")));
        Assert.NotEmpty(Notebooks());
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_runs_at_smoke_without_errors_and_stays_valid_nbformat(string name)
    {
        string path = Path.Combine(RepoRoot(), "notebooks", name);
        string committed = File.ReadAllText(path);
        var original = Notebook.Parse(committed);
        // Committed notebooks are stored as Jupyter writes them, so a run diff shows only outputs.
        Assert.Equal(committed, original.ToJson());
        var log = new StringWriter();
        // The notebooks' run store falls back to the repository's runs/ without RESEARCHKIT_RUNS: tests must not touch it.
        string repoRuns = Path.Combine(RepoRoot(), "runs"), repoDb = Path.Combine(repoRuns, "runs.db");
        bool runsExisted = Directory.Exists(repoRuns);
        DateTime? dbTime = File.Exists(repoDb) ? File.GetLastWriteTimeUtc(repoDb) : null;

        var (executed, result, runLog) = await SmokeRuns.RunAsync(path);
        log.Write(runLog);

        var errors = executed.Cells.SelectMany(c => c.Outputs.OfType<ErrorOutput>().Select(e => $"cell '{c.Id}': {e.EName}: {e.EValue}")).ToList();
        Assert.True(result.Succeeded && errors.Count == 0, $"{name}: {result.Error}\n{string.Join("\n", errors)}\n{log}");
        Assert.True(executed.Cells.Where(CellCode.IsCSharp).All(c => c.ExecutionCount is not null));
        Assert.Equal(runsExisted, Directory.Exists(repoRuns));
        Assert.Equal(dbTime, File.Exists(repoDb) ? File.GetLastWriteTimeUtc(repoDb) : null);
        // Original ids, order and tags are kept; the injected parameters cell follows the parameters cell (a committed
        // executed notebook carries the injected cell of its own run, which the smoke run replaces).
        var kept = executed.Cells.Where(c => !c.HasTag(NotebookParameters.InjectedTag)).ToList();
        var authored = original.Cells.Where(c => !c.HasTag(NotebookParameters.InjectedTag));
        Assert.Equal(authored.Select(c => (c.Id, string.Join(",", c.Tags))), kept.Select(c => (c.Id, string.Join(",", c.Tags))));
        Assert.Single(executed.Cells, c => c.HasTag(NotebookParameters.InjectedTag));
        int injected = executed.Cells.FindIndex(c => c.HasTag(NotebookParameters.InjectedTag));
        Assert.True(injected > 0 && executed.Cells[injected - 1].HasTag(NotebookParameters.ParametersTag), "injected cell must follow the parameters cell");

        using var tmp = NewTempDir();
        string outPath = Path.Combine(tmp.Path, name);
        executed.Save(outPath);
        Assert.Null(NbformatValidator.Validate(outPath));
    }

    [Fact]
    public void Tests_use_a_temporary_run_store_outside_the_repository()
    {
        string? env = Environment.GetEnvironmentVariable("RESEARCHKIT_RUNS");
        Assert.Equal(TestRunsIsolation.RunsDir, env);
        Assert.False(Path.GetFullPath(env!).StartsWith(RepoRoot() + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }

    [Fact]
    public void Validator_rejects_an_invalid_notebook()
    {
        using var tmp = NewTempDir();
        string path = Path.Combine(tmp.Path, "bad.ipynb");
        File.WriteAllText(path, """{"cells":[{"cell_type":"code","id":"x","metadata":{},"source":"","outputs":[{"output_type":"stream","name":"stdout","text":"a","bogus":1}],"execution_count":null}],"metadata":{},"nbformat":4,"nbformat_minor":5}""");
        Assert.NotNull(NbformatValidator.Validate(path));
    }
}
