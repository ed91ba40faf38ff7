using System.Diagnostics;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

/// <summary>What the runner adds to the kernel: one thread per notebook, timeouts that stop cells, Ctrl-C, saving after each cell.</summary>
public class KernelRunnerTests
{
    private const string ThreadLine = "Console.WriteLine($\"{Environment.CurrentManagedThreadId} {System.Threading.Thread.CurrentThread.IsThreadPoolThread}\");";

    [Fact]
    public async Task Every_cell_of_a_notebook_runs_on_the_same_dedicated_thread_even_after_an_await()
    {
        var nb = new NotebookBuilder()
            .Code(ThreadLine)
            .Code("await Task.Delay(20);\n" + ThreadLine)
            .Code("await Task.Yield();\n" + ThreadLine)
            .Code(ThreadLine)
            .Build();
        var result = await RunAsync(nb);
        Assert.True(result.Succeeded, result.Error);
        var lines = nb.Cells.Select(c => c.Outputs.Single().Text().Trim()).ToList();
        Assert.Single(lines.Distinct());
        Assert.EndsWith("False", lines[0]);   // not a pool thread
    }

    [Fact]
    public async Task Grad_mode_left_off_by_a_cell_stays_in_that_notebook_and_does_not_reach_the_next_one()
    {
        var leaky = new NotebookBuilder()
            .Code(KitReferences())
            .Code("var scope = ResearchKit.Tensors.Torch.NoGrad();   // never disposed")
            .Code("ResearchKit.Tensors.GradMode.IsEnabled.ToString()")
            .Build();
        Assert.True((await RunAsync(leaky)).Succeeded);
        Assert.Equal("False", leaky.Cells[2].Outputs.Single().Text());

        var next = new NotebookBuilder().Code(KitReferences()).Code("ResearchKit.Tensors.GradMode.IsEnabled.ToString()").Build();
        Assert.True((await RunAsync(next)).Succeeded);
        Assert.Equal("True", next.Cells[1].Outputs.Single().Text());
    }

    [Fact]
    public async Task A_cell_timeout_stops_a_cell_that_loops_forever()
    {
        string key = "rk-loop-" + Guid.NewGuid().ToString("N");
        var nb = new NotebookBuilder()
            .Code($"long n = 0;\nwhile (true) {{ System.Threading.Thread.Sleep(5); AppDomain.CurrentDomain.SetData(\"{key}\", ++n); }}")
            .Code("1")
            .Build();
        // The timeout covers the cell's compilation too: 5 s, so that a loaded CI machine (2 cores shared with the other test
        // projects) still starts the loop before it fires (1 s once did not: the loop never ran, and its counter stayed unset).
        var result = await RunAsync(nb, options: new NotebookRunOptions { CellTimeout = TimeSpan.FromSeconds(5) });

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("cell 1 (id '" + nb.Cells[0].Id + "'): timed out after 5 s", result.Error);
        Assert.Equal("TimeoutException", ((ErrorOutput)nb.Cells[0].Outputs.Single()).EName);
        Assert.Empty(nb.Cells[1].Outputs);
        var ticks = AppDomain.CurrentDomain.GetData(key);
        Assert.NotNull(ticks);
        await Task.Delay(300);
        Assert.Equal(ticks, AppDomain.CurrentDomain.GetData(key));   // the loop no longer runs
    }

    [Fact]
    public async Task Cancellation_like_ctrl_c_writes_the_partially_executed_notebook()
    {
        using var tmp = NewTempDir();
        string outPath = Path.Combine(tmp.Path, "partial.ipynb");
        string key = "researchkit-test-ctrlc-" + Guid.NewGuid().ToString("N");
        var nb = new NotebookBuilder()
            .Code("Console.WriteLine(\"first done\");")
            .Code($"Console.WriteLine(\"second started\");\nAppDomain.CurrentDomain.SetData(\"{key}\", true);\nwhile (true) System.Threading.Thread.Sleep(10);")
            .Code("Console.WriteLine(\"never\");")
            .Build();
        // Ctrl-C once the second cell runs: a timer started here would also count the wait for other tests' runs
        // (runs in one process are serialized), and could fire before any cell started.
        using var ctrlC = new CancellationTokenSource();
        var run = new NotebookRunner(new NotebookRunOptions { OutputPath = outPath }).RunAsync(nb, tmp.Path, "partial.ipynb", ctrlC.Token);
        var started = Stopwatch.StartNew();
        while (AppDomain.CurrentDomain.GetData(key) is null && !run.IsCompleted && started.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(20);
        ctrlC.Cancel();
        var result = await run;

        Assert.True(result.Interrupted);
        Assert.Equal(NotebookRunResult.InterruptedExitCode, result.ExitCode);
        Assert.Equal(1, result.FailedCellIndex);
        var saved = Notebook.Load(outPath);
        Assert.Equal("first done\n", saved.Cells[0].Outputs.Single().Text());
        Assert.Equal(["stream", "error"], saved.Cells[1].Outputs.Select(o => o.OutputType));
        Assert.Equal("Interrupted", ((ErrorOutput)saved.Cells[1].Outputs[1]).EName);
        Assert.Equal("interrupted", (string?)saved.Cells[1].Metadata["researchkit"]!["status"]);
        Assert.Equal("not-executed", (string?)saved.Cells[2].Metadata["researchkit"]!["status"]);
        Assert.Null(NbformatValidator.Validate(outPath));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp"));
    }

    [Fact]
    public async Task The_executed_notebook_is_saved_after_each_cell()
    {
        using var tmp = NewTempDir();
        string outPath = Path.Combine(tmp.Path, "out.ipynb");
        string literal = Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(outPath, quote: true);
        var nb = new NotebookBuilder()
            .Code("Console.WriteLine(\"marker-of-cell-one\");")
            .Code($"System.IO.File.ReadAllText({literal}).Contains(\"marker-of-cell-one\").ToString()")
            .Build();
        var result = await new NotebookRunner(new NotebookRunOptions { OutputPath = outPath }).RunAsync(nb, tmp.Path);
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("True", nb.Cells[1].Outputs.Single().Text());
        Assert.Equal(nb.ToJson(), File.ReadAllText(outPath));
    }

    [Fact]
    public async Task Kernel_features_notebook_uses_a_magic_a_nuget_reference_and_a_registered_formatter()
    {
        string path = Path.Combine(RepoRoot(), "tests", "ResearchKit.Notebooks.Tests", "notebooks", "kernel-features.ipynb");
        var (nb, result) = await new NotebookRunner().RunFileAsync(path);
        Assert.True(result.Succeeded, result.Error);
        string Html(string id) => string.Concat(nb.FindCell(id)!.Outputs.OfType<DisplayDataOutput>().Select(o => o.Data.GetText("text/html") ?? o.Data.GetText("text/plain")));
        Assert.Contains("greeting", Html("magic"));                                // #!who lists the variables
        Assert.Contains("Installed Packages", Html("nuget"));
        Assert.Contains("24.0", nb.FindCell("nuget")!.Outputs.OfType<ExecuteResultOutput>().Single().Text());   // Γ(5)
        Assert.Equal("<b class=\"point\">(1, 2)</b>", nb.FindCell("formatter")!.Outputs.OfType<ExecuteResultOutput>().Single().Data.GetText("text/html"));
    }
}
