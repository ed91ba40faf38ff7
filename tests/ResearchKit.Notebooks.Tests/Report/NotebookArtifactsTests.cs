using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Report;
using ResearchKit.Notebooks.Runner;
using ResearchKit.Notebooks.Tests.Runner;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Report;

public class NotebookArtifactsTests
{
    [Fact]
    public async Task Executed_notebook_exports_named_figures_and_tables()
    {
        // Kit objects, formatted by the kernel's formatters as in Jupyter: a named chart, an unnamed one, a named table.
        var nb = new NotebookBuilder()
            .CodeWithId(RunnerTestSupport.KitReferences() + """

                using ResearchKit.Figures;
                using ResearchKit.Tables;
                display(Charts.OverSteps([new Curve("a", [1.0, 2], [3.0, 4])], "loss").WithFigureName("fig4-4"));
                display(Charts.OverSteps([new Curve("b", [1.0, 2], [5.0, 6])], "loss"));
                display(ResultsTable.From(Deedle.Frame.FromRecords(new[] { new { a = 1.0 } }), "table4-2"));
                display("not an artifact");
                """, "cellA")
            .Build();
        Assert.True((await new NotebookRunner().RunAsync(nb, Path.GetTempPath())).Succeeded);

        var found = NotebookArtifacts.Find(nb);
        Assert.Equal([("fig4-4", "figure"), ("cellA-2", "figure"), ("table4-2", "table")], found.Select(a => (a.Name, a.Kind)));

        string dir = Path.Combine(Path.GetTempPath(), "rk-export-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var log = new StringWriter();
            var files = await NotebookArtifacts.ExportAsync(nb, Path.Combine(dir, "fig"), Path.Combine(dir, "tab"), log);
            Assert.Equal(2 * 4 + 2, files.Count); // each figure: JSON + SVG + PNG + PDF through headless Chromium
            var figJson = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "fig", "fig4-4.json")))!;
            Assert.Equal(3.0, (double)figJson["data"]![0]!["y"]![0]!);
            Assert.True(File.Exists(Path.Combine(dir, "fig", "cellA-2.json")));
            Assert.Contains("1", File.ReadAllText(Path.Combine(dir, "tab", "table4-2.csv")));
            Assert.Contains("\\toprule", File.ReadAllText(Path.Combine(dir, "tab", "table4-2.tex")));
            foreach (var ext in new[] { ".svg", ".png", ".pdf" })
                Assert.True(new FileInfo(Path.Combine(dir, "fig", "fig4-4" + ext)).Length > 100, ext);
            Assert.StartsWith("%PDF", File.ReadAllText(Path.Combine(dir, "fig", "fig4-4.pdf"))[..4]);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void Unsafe_names_are_made_file_safe()
    {
        var nb = new NotebookBuilder().CodeWithId("", "c").Build();
        var bundle = new MimeBundle();
        bundle.Set(RichFormatter.PlotlyMime, "{}");
        nb.Cells[0].Outputs.Add(new DisplayDataOutput(bundle, new JsonObject { ["researchkit"] = new JsonObject { ["name"] = "../evil name" } }));
        Assert.Equal(".._evil_name", NotebookArtifacts.Find(nb).Single().Name);
    }
}
