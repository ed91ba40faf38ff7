using System.Collections.Concurrent;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;

namespace ResearchKit.Notebooks.Tests.Runner;

/// <summary>
/// One <c>rk nb run --preset smoke</c> of each notebook per test process, shared by the tests that check it and
/// those that compare it with Jupyter (notebook 04 takes minutes on 2 cores; running it twice would double that).
/// </summary>
internal static class SmokeRuns
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<(Notebook, NotebookRunResult, string)>>> s_runs = new();

    public static Task<(Notebook Notebook, NotebookRunResult Result, string Log)> RunAsync(string path, string? preset = "smoke") =>
        s_runs.GetOrAdd(path + "|" + preset, _ => new(async () =>
        {
            var log = new StringWriter();
            var (nb, result) = await new NotebookRunner(new NotebookRunOptions { Preset = preset, Log = log, CellTimeout = TimeSpan.FromMinutes(3) }).RunFileAsync(path);
            return (nb, result, log.ToString());
        })).Value;
}
