using System.Buffers.Binary;
using System.Text;
using System.Xml.Linq;
using ResearchKit.Figures;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Report;
using ResearchKit.Notebooks.Runner;
using ResearchKit.Notebooks.Tests.Runner;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Export;

/// <summary>
/// A Plotly.NET chart from a notebook cell, end to end: the named output, <c>rk nb export</c>'s files, and the HTML
/// report drawn in Chromium with the network blocked.
/// </summary>
public sealed class ChartNotebookTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rk-chartnb-" + Guid.NewGuid().ToString("N"));

    public ChartNotebookTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private const string ChartCell = """
        using Plotly.NET;
        using ResearchKit.Figures;
        Charts.AccuracyVsSparsity([new Curve("LeNet-5", [0.0, 50, 90], [99.1, 98.9, 97.5], [0.1, 0.2, 0.4]),
                                   new Curve("random", [0.0, 50, 90], [99.1, 97.0, 90.0])])
            .WithReferenceLine(98.9, "thesis")
            .WithFigureName("fig4-4", "Accuracy vs sparsity (mean ± std over seeds).")
        """;

    private async Task<Notebook> RunChartNotebookAsync()
    {
        var nb = new NotebookBuilder().Markdown("# Charts").Code(RunnerTestSupport.KitReferences() + "\n" + ChartCell).Build();
        var result = await new NotebookRunner().RunAsync(nb, _dir, "charts.ipynb");
        Assert.True(result.Succeeded, result.Error);
        return nb;
    }

    [Fact]
    public async Task A_named_chart_exports_as_json_svg_png_and_pdf_under_its_name()
    {
        var nb = await RunChartNotebookAsync();
        var output = Assert.IsAssignableFrom<DisplayDataOutput>(Assert.Single(nb.Cells[1].Outputs));
        Assert.Equal("fig4-4", (string?)output.Metadata["researchkit"]!["name"]);
        Assert.Equal("figure", (string?)output.Metadata["researchkit"]!["kind"]);
        Assert.True(output.Data.Contains(RichFormatter.PlotlyMime));

        var files = await NotebookArtifacts.ExportAsync(nb, _dir, null, TextWriter.Null);
        Assert.Equal(["fig4-4.json", "fig4-4.svg", "fig4-4.png", "fig4-4.pdf"], files.Select(Path.GetFileName));
        var svg = XDocument.Load(Path.Combine(_dir, "fig4-4.svg"));
        // No layout size: rk nb export's default 800 × 500.
        Assert.Equal("800", (string?)svg.Root!.Attribute("width"));
        Assert.Equal("500", (string?)svg.Root!.Attribute("height"));
        Assert.Contains("LeNet-5", svg.ToString());
        var png = await File.ReadAllBytesAsync(Path.Combine(_dir, "fig4-4.png"));
        Assert.Equal((1600, 1000), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));
        Assert.Equal("%PDF", Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(_dir, "fig4-4.pdf")), 0, 4));
    }

    [Fact]
    public void A_chart_output_without_kit_metadata_is_named_from_its_layout_meta()
    {
        // As the .NET Interactive kernel's formatter writes it: the bundle only, no metadata.researchkit.
        var chart = ResearchKit.Figures.Charts.OverSteps([new ResearchKit.Figures.Curve("a", [1.0, 2], [1.0, 2])], "loss");
        var bundle = new MimeBundle();
        bundle.Set(RichFormatter.PlotlyMime, chart.WithFigureName("fig4-8").ToPlotlyJson());
        var nb = new NotebookBuilder().CodeWithId("", "c").Build();
        nb.Cells[0].Outputs.Add(new DisplayDataOutput(bundle, new System.Text.Json.Nodes.JsonObject()));
        var unnamed = new MimeBundle();
        unnamed.Set(RichFormatter.PlotlyMime, chart.ToPlotlyJson());
        nb.Cells[0].Outputs.Add(new DisplayDataOutput(unnamed, new System.Text.Json.Nodes.JsonObject()));
        Assert.Equal(["fig4-8", "c-2"], NotebookArtifacts.Find(nb).Select(a => a.Name));
    }

    [Fact]
    public async Task Html_report_draws_the_chart_offline_in_headless_chromium()
    {
        var nb = await RunChartNotebookAsync();
        string report = Path.Combine(_dir, "report.html");
        Assert.True(HtmlReport.Write(nb, report, _dir), "plotly.js not found: run environment/install-browser.sh");
        string screenshot = Path.Combine(_dir, "report.png");
        var (result, blocked) = await OfflinePage.EvaluateAsync(new Uri(report).AbsoluteUri,
            "() => document.querySelector('.figure .main-svg') !== null",
            """
            () => [document.querySelectorAll('.figure g.trace.scatter').length,
                   Array.from(document.querySelectorAll('.figure .legendtext')).map(t => t.textContent).join('|'),
                   document.querySelector('.caption').textContent].join('#')
            """, screenshot);
        Assert.Empty(blocked);
        var parts = result.Split('#');
        Assert.Equal("4", parts[0]);   // band lower + upper, two lines
        Assert.Equal("LeNet-5|random", parts[1]);
        Assert.Equal("fig4-4: Accuracy vs sparsity (mean ± std over seeds).", parts[2]);
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot should show a drawn figure");
    }
}
