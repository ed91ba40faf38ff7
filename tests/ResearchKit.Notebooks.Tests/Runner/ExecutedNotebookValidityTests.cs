using ResearchKit.Notebooks.Format;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

public class ExecutedNotebookValidityTests
{
    [Fact]
    public async Task Every_output_kind_the_runner_writes_validates_against_nbformat_4_5()
    {
        var nb = new NotebookBuilder()
            .Markdown("# t")
            .Code(KitReferences())
            .Code("var n = 1;", "parameters")
            .Code("""
                class Fig : ResearchKit.Display.IRichDisplay
                {
                    public string Name => "f1";
                    public IReadOnlyDictionary<string, string> ToMimeBundle() => new Dictionary<string, string>
                    { ["text/plain"] = "fig", ["text/html"] = "<div/>", ["application/vnd.plotly.v1+json"] = "{\"data\":[],\"layout\":{}}", ["text/csv"] = "x\n" };
                }
                Console.WriteLine("out");
                Console.Error.WriteLine("err");
                display(new Fig());
                n + 1
                """)
            .Code("throw new Exception(\"\\u001b[31mred\\u001b[0m\");")
            .Code("n")
            .Build();
        var result = await RunAsync(nb, options: new() { Parameters = [new("n", "5")] });
        Assert.False(result.Succeeded);
        Assert.Equal(["stream", "stream", "display_data", "execute_result"], nb.Cells[4].Outputs.Select(o => o.OutputType));
        Assert.Equal("error", nb.Cells[5].Outputs.Single().OutputType);

        using var tmp = NewTempDir();
        string path = Path.Combine(tmp.Path, "executed.ipynb");
        nb.Save(path);
        Assert.Null(NbformatValidator.Validate(path));
        // And what we wrote reads back identically.
        Assert.Equal(File.ReadAllText(path), Notebook.Load(path).ToJson());
    }
}
