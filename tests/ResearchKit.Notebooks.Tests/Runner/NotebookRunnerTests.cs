using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

public class NotebookRunnerTests
{
    [Fact]
    public async Task Variables_persist_across_cells_and_trailing_expression_becomes_execute_result()
    {
        var nb = new NotebookBuilder()
            .Code("var x = 20;")
            .Markdown("between")
            .Code("int Twice(int v) => 2 * v;\nvar y = Twice(x);")
            .Code("y + 2")
            .Build();
        var result = await RunAsync(nb);
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, result.ExecutedCells);
        Assert.Equal(new int?[] { 1, null, 2, 3 }, nb.Cells.Select(c => c.ExecutionCount).ToArray());
        Assert.Empty(nb.Cells[0].Outputs);
        Assert.Empty(nb.Cells[2].Outputs);
        var res = Assert.IsType<ExecuteResultOutput>(Assert.Single(nb.Cells[3].Outputs));
        Assert.Equal("42", res.Text());
        Assert.Equal(3, res.ExecutionCount);
    }
}

public class NotebookRunnerOutputTests
{
    // The kernel formats a type through the formatter source its [TypeFormatterSource] names, matching the attribute
    // by name and its members by convention, as the kit's internal attribute does.
    private const string RichType = """
        class TypeFormatterSourceAttribute(Type source) : Attribute
        {
            public Type FormatterSourceType { get; } = source;
            public string[]? PreferredMimeTypes { get; set; }
        }
        [TypeFormatterSource(typeof(ResearchKit.Display.RichDisplayFormatterSource), PreferredMimeTypes = new[] { "application/vnd.plotly.v1+json", "text/html", "text/plain" })]
        class Chart : ResearchKit.Display.IRichDisplay
        {
            public string? Name { get; set; }
            public IReadOnlyDictionary<string, string> ToMimeBundle() => new Dictionary<string, string>
            {
                ["text/plain"] = "Chart " + Name,
                ["text/html"] = "<b>chart</b>",
                ["application/vnd.plotly.v1+json"] = "{\"data\":[{\"y\":[1,2]}],\"layout\":{}}",
            };
        }
        [TypeFormatterSource(typeof(ResearchKit.Display.RichDisplayFormatterSource), PreferredMimeTypes = new[] { "text/html", "text/plain" })]
        class Table : ResearchKit.Display.IRichDisplay
        {
            public string Name => "table4-2";
            public IReadOnlyDictionary<string, string> ToMimeBundle() => new Dictionary<string, string>
            {
                ["text/plain"] = "a b", ["text/html"] = "<table></table>", ["text/csv"] = "a,b\n1,2\n", ["text/latex"] = "\\begin{tabular}{ll}\\end{tabular}",
            };
        }
        """;

    [Fact]
    public async Task Display_of_IRichDisplay_writes_display_data_with_the_mime_bundle_and_export_metadata()
    {
        var nb = new NotebookBuilder()
            .Code(KitReferences() + "\n" + RichType)
            .Code("display(new Chart { Name = \"fig4-4\" });\ndisplay(new Table());\ndisplay(1.5);")
            .Build();
        var result = await RunAsync(nb);
        Assert.True(result.Succeeded, result.Error);
        var outs = nb.Cells[1].Outputs;
        Assert.Equal(3, outs.Count);
        var fig = Assert.IsType<DisplayDataOutput>(outs[0]);
        Assert.Equal("display_data", fig.OutputType);
        Assert.Equal("Chart fig4-4", fig.Data.GetText("text/plain"));
        Assert.Equal("<b>chart</b>", fig.Data.GetText("text/html"));
        // Plotly JSON is stored as JSON (renderers read it as an object), not as a string.
        var plotly = Assert.IsType<JsonObject>(fig.Data.GetJson(RichFormatter.PlotlyMime));
        Assert.Equal(2, plotly["data"]![0]!["y"]!.AsArray().Count);
        Assert.Equal("fig4-4", (string?)fig.Metadata["researchkit"]!["name"]);
        Assert.Equal("figure", (string?)fig.Metadata["researchkit"]!["kind"]);

        var table = Assert.IsType<DisplayDataOutput>(outs[1]);
        Assert.False(table.Data.Contains("text/csv"));
        Assert.False(table.Data.Contains("text/latex"));
        Assert.Equal("table", (string?)table.Metadata["researchkit"]!["kind"]);
        Assert.Equal("a,b\n1,2\n", (string?)table.Metadata["researchkit"]!["exports"]!["csv"]);
        Assert.StartsWith("\\begin{tabular}", (string?)table.Metadata["researchkit"]!["exports"]!["tex"]);

        // Other values: the kernel's formatting as under Jupyter (HTML by default).
        var plain = Assert.IsType<DisplayDataOutput>(outs[2]);
        Assert.Equal("1.5", plain.Text());
        Assert.Empty(plain.Metadata);
    }

    [Fact]
    public async Task Display_returns_a_handle_whose_update_is_no_extra_output()
    {
        // The kernel (1.0.0-beta.26120.1) publishes a string display's update under another id than the display, so
        // Jupyter (nbclient) keeps "step 1" too; the runner follows the kernel's ids exactly as nbclient does.
        var nb = new NotebookBuilder().Code("var h = display(\"step 1\");\nh.Update(\"step 2\");").Build();
        var result = await RunAsync(nb);
        Assert.True(result.Succeeded, result.Error);
        var output = Assert.Single(nb.Cells[0].Outputs);
        Assert.Equal("display_data", output.OutputType);
    }

    [Fact]
    public async Task Trailing_rich_value_is_an_execute_result_with_its_bundle()
    {
        var nb = new NotebookBuilder().Code(KitReferences() + "\n" + RichType).Code("new Chart { Name = \"f\" }").Build();
        var result = await RunAsync(nb);
        Assert.True(result.Succeeded, result.Error);
        var res = Assert.IsType<ExecuteResultOutput>(Assert.Single(nb.Cells[1].Outputs));
        Assert.True(res.Data.Contains(RichFormatter.PlotlyMime));
        Assert.Equal(2, res.ExecutionCount);
    }

    [Fact]
    public async Task Console_output_becomes_stream_outputs_in_order_with_displays()
    {
        var nb = new NotebookBuilder()
            .Code("Console.WriteLine(\"a\");\nConsole.Write(\"b\");\nConsole.Error.WriteLine(\"oops\");\ndisplay(7);\nConsole.WriteLine(\"c\");\nConsole.WriteLine(\"d\")")
            .Build();
        var result = await RunAsync(nb);
        Assert.True(result.Succeeded, result.Error);
        var outs = nb.Cells[0].Outputs;
        Assert.Equal(["stream", "stream", "display_data", "stream"], outs.Select(o => o.OutputType));
        Assert.Equal(("stdout", "a\nb"), (((StreamOutput)outs[0]).Name, outs[0].Text()));
        Assert.Equal(("stderr", "oops\n"), (((StreamOutput)outs[1]).Name, outs[1].Text()));
        Assert.Equal("7", outs[2].Text());
        // A void call without semicolon is a trailing expression syntactically but has no value.
        Assert.Equal("c\nd\n", outs[3].Text());
    }

    [Fact]
    public async Task Exception_gives_an_error_output_naming_it_and_stops_the_run()
    {
        var nb = new NotebookBuilder()
            .Code("var a = 1;", "first")
            .CodeWithId("Console.WriteLine(\"before\");\nthrow new InvalidOperationException(\"bad thing\");", "boom")
            .Markdown("after")
            .Code("Console.WriteLine(\"never\");")
            .Build();
        nb.Cells[3].Outputs.Add(new StreamOutput("stdout", "stale output of an earlier run"));
        nb.Cells[3].ExecutionCount = 9;
        var log = new StringWriter();
        var result = await RunAsync(nb, options: new NotebookRunOptions { Log = log });

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(1, result.FailedCellIndex);
        Assert.Equal("boom", result.FailedCellId);
        Assert.Contains("InvalidOperationException", result.Error);
        var outs = nb.Cells[1].Outputs;
        Assert.Equal("before\n", outs[0].Text());
        var err = Assert.IsType<ErrorOutput>(outs[1]);
        Assert.Equal("System.InvalidOperationException", err.EName);
        Assert.Equal("bad thing", err.EValue);
        Assert.Contains(err.Traceback, l => l.Contains("cell 2 (id 'boom')"));
        Assert.Contains("FAILED cell 2 (id 'boom')", log.ToString());
        Assert.Equal("failed", (string?)nb.Cells[1].Metadata["researchkit"]!["status"]);
        // Later code cells: not executed, stale outputs gone, marked.
        Assert.Empty(nb.Cells[3].Outputs);
        Assert.Null(nb.Cells[3].ExecutionCount);
        Assert.Equal("not-executed", (string?)nb.Cells[3].Metadata["researchkit"]!["status"]);
        Assert.True(nb.Cells[0].HasTag("first"));

        // Re-running a fixed notebook clears the status marks.
        nb.Cells[1].Source = "var b = a + 1;";
        Assert.True((await RunAsync(nb)).Succeeded);
        Assert.All(nb.Cells, c => Assert.Null(c.Metadata["researchkit"]));
        Assert.Equal("never\n", nb.Cells[3].Outputs.Single().Text());
    }

    [Fact]
    public async Task Exception_traceback_names_the_cell_and_the_user_function()
    {
        var nb = new NotebookBuilder().Code("int Fail(int v) =>\n    v > 0 ? throw new ArgumentException(\"v\") : v;\nvar z = 1;\nFail(z);").Build();
        var result = await RunAsync(nb);
        var err = nb.Cells[0].Outputs.OfType<ErrorOutput>().Single();
        Assert.Equal("System.ArgumentException", err.EName);
        Assert.Contains(err.Traceback, l => l.Contains("test.ipynb cell 1"));
        Assert.Contains(err.Traceback, l => l.Contains("Fail("));
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task Compile_error_reports_the_line_number_within_the_cell()
    {
        var nb = new NotebookBuilder()
            .Code("var a = 1;\nvar b = 2;\nvar c = 3;\nvar d = 4;")
            .Code("#!csharp\nvar ok = 1;\nvar bad = missingName + 1;")
            .Build();
        var result = await RunAsync(nb);
        Assert.False(result.Succeeded);
        Assert.Equal(1, result.FailedCellIndex);
        // Like the Jupyter kernel: the diagnostics on stderr, then the error.
        Assert.Equal(["stream", "error"], nb.Cells[1].Outputs.Select(o => o.OutputType));
        var err = nb.Cells[1].Outputs.OfType<ErrorOutput>().Single();
        Assert.Equal("CompilationError", err.EName);
        // The kernel's (line,column) are within the code after the #!csharp selector.
        Assert.Contains("(2,11): error CS0103", err.EValue);
        Assert.Contains("missingName", err.EValue);
        Assert.Contains(err.Traceback, l => l.Contains("cell 2 (id '"));
    }

    [Fact]
    public async Task Non_csharp_cells_are_skipped()
    {
        var fsharp = new NotebookCell(CellType.Code, "let x = 1 |> printfn \"%d\"");
        fsharp.Metadata["polyglot_notebook"] = new JsonObject { ["kernelName"] = "fsharp" };
        var nb = new NotebookBuilder()
            .Add(fsharp)
            .Code("#!pwsh\nGet-ChildItem")
            .Raw("not code")
            .Code("#!c#\n1 + 1")
            .Build();
        var result = await RunAsync(nb);
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(1, result.ExecutedCells);
        Assert.Null(nb.Cells[0].ExecutionCount);
        Assert.Null(nb.Cells[1].ExecutionCount);
        Assert.Equal("2", nb.Cells[3].Outputs.Single().Text());
    }

    [Fact]
    public async Task Unsupported_magic_fails_with_a_clear_message()
    {
        var nb = new NotebookBuilder().Code("var x = 1;\n#!nosuchmagic").Build();
        var result = await RunAsync(nb);
        Assert.False(result.Succeeded);
        var err = nb.Cells[0].Outputs.OfType<ErrorOutput>().Single();
        Assert.Contains("Unknown magic command '#!nosuchmagic'", err.EValue);
    }

    [Fact]
    public async Task Cell_timeout_fails_the_run()
    {
        var nb = new NotebookBuilder().Code("System.Threading.Thread.Sleep(30000);").Code("1").Build();
        var result = await RunAsync(nb, options: new NotebookRunOptions { CellTimeout = TimeSpan.FromMilliseconds(200) });
        Assert.False(result.Succeeded);
        Assert.Contains("timed out", result.Error);
        Assert.Equal("TimeoutException", ((ErrorOutput)nb.Cells[0].Outputs.Single()).EName);
        Assert.Empty(nb.Cells[1].Outputs);
    }

    [Fact]
    public async Task Default_usings_are_the_kernels()
    {
        var nb = new NotebookBuilder().Code("var sb = new StringBuilder(\"x\");\nvar l = new List<int> { 3, 1 }.OrderBy(v => v).ToList();\nArrayList al = new();\nawait Task.Delay(1);\n$\"{sb}{l[0]}{al.Count}\"").Build();
        var result = await RunAsync(nb);
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("x10", nb.Cells[0].Outputs.Single().Text());
    }
}
