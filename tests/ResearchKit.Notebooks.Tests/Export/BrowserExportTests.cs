using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Plotly.NET;
using ResearchKit.Figures;
using ResearchKit.Notebooks.Export;
using Xunit;
using Xunit.Abstractions;

namespace ResearchKit.Notebooks.Tests.Export;

/// <summary>Real-browser tests: figures rendered by plotly.js in headless Chromium and exported to files.</summary>
[Collection(nameof(BrowserCollection))]
public sealed class BrowserExportTests : IDisposable
{
    private readonly BrowserFixture _browser;
    private readonly ITestOutputHelper _output;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rk-export-" + Guid.NewGuid().ToString("N"));

    public BrowserExportTests(BrowserFixture browser, ITestOutputHelper output)
    {
        _browser = browser;
        _output = output;
        Directory.CreateDirectory(_dir);
        _output.WriteLine($"browser start {_browser.StartTime.TotalMilliseconds:F0} ms (launch {_browser.Exporter.BrowserLaunchTime.TotalMilliseconds:F0} ms, plotly page {_browser.Exporter.PageLoadTime.TotalMilliseconds:F0} ms), Chromium {_browser.Exporter.BrowserVersion}");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static GenericChart SparsityFigure() =>
        Charts.AccuracyVsSparsity([
                new Curve("Magnitude pruning", [0.0, 50, 80, 90, 95], [99.1, 99.0, 98.7, 97.9, 96.2], [0.1, 0.1, 0.2, 0.3, 0.5]),
                new Curve("Random pruning", [0.0, 50, 80, 90, 95], [99.1, 98.2, 95.0, 90.3, 81.7])],
                "Sparsity (%)", "Accuracy (%)")
            .WithReferenceLine(98.9, "thesis")
            .WithFigureName("fig-test", "Accuracy vs sparsity.");

    private async Task<TimeSpan> Timed(Func<Task> action, string what)
    {
        var clock = Stopwatch.StartNew();
        await action();
        _output.WriteLine($"{what}: {clock.Elapsed.TotalMilliseconds:F0} ms");
        return clock.Elapsed;
    }

    [Fact]
    public async Task Svg_contains_both_trace_names_in_the_legend_and_both_axis_titles()
    {
        var path = Path.Combine(_dir, "fig.svg");
        await Timed(() => _browser.Exporter.ExportAsync(SparsityFigure(), path, 700, 450), "svg export");

        var svg = XDocument.Load(path);
        XNamespace ns = "http://www.w3.org/2000/svg";
        string TextOf(string cssClass) => string.Join("|", svg.Descendants(ns + "text")
            .Where(e => ((string?)e.Attribute("class") ?? "").Split(' ').Contains(cssClass)).Select(e => e.Value));

        var legend = TextOf("legendtext");
        Assert.Contains("Magnitude pruning", legend);
        Assert.Contains("Random pruning", legend);
        Assert.DoesNotContain("upper", legend); // the ±std band has no legend entry of its own
        Assert.DoesNotContain("lower", legend);
        Assert.Equal("Sparsity (%)", TextOf("xtitle"));
        Assert.Equal("Accuracy (%)", TextOf("ytitle"));
        Assert.Contains("thesis", TextOf("annotation-text"));
        // Four scatter traces drawn: the band's lower and (filled) upper edge, two lines.
        int traces = svg.Descendants(ns + "g").Count(g => ((string?)g.Attribute("class") ?? "").Split(' ').Contains("scatter")
            && ((string?)g.Attribute("class") ?? "").Split(' ').Contains("trace"));
        Assert.Equal(4, traces);
        // The paper theme reached the renderer: serif text, and the export size is the SVG size.
        Assert.Contains("Liberation Serif", svg.ToString());
        Assert.Equal("700", (string?)svg.Root!.Attribute("width"));
        Assert.Equal("450", (string?)svg.Root!.Attribute("height"));
    }

    [Fact]
    public async Task Png_has_width_and_height_times_scale_pixels()
    {
        var path = Path.Combine(_dir, "fig.png");
        await Timed(() => _browser.Exporter.ExportAsync(SparsityFigure(), path, width: 600, height: 400, scale: 2), "png export 600x400@2");

        var bytes = await File.ReadAllBytesAsync(path);
        var (w, h) = PngSize(bytes);
        Assert.Equal(1200, w);
        Assert.Equal(800, h);

        // Scale 1 and another size: the IHDR follows the request, not a fixed canvas.
        var bytes1 = await _browser.Exporter.RenderAsync(SparsityFigure().ToPlotlyJson(), ExportFormat.Png, 333, 222, scale: 1);
        Assert.Equal((333, 222), PngSize(bytes1));
    }

    [Fact]
    public async Task Pdf_is_one_vector_page_of_the_figure_size()
    {
        var path = Path.Combine(_dir, "fig.pdf");
        await Timed(() => _browser.Exporter.ExportAsync(SparsityFigure(), path, width: 600, height: 400), "pdf export");

        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal("%PDF", Encoding.ASCII.GetString(bytes, 0, 4));
        var text = Encoding.Latin1.GetString(bytes);
        // 600 × 400 CSS px = 450 × 300 pt; exactly one page.
        var boxes = Regex.Matches(text, @"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]");
        Assert.Single(boxes);
        Assert.Equal(450, double.Parse(boxes[0].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 0.5);
        Assert.Equal(300, double.Parse(boxes[0].Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), 0.5);
        // Vector: text is set with embedded fonts, not drawn as one bitmap.
        Assert.Contains("/FontFile", text);
        Assert.DoesNotContain("/Subtype /Image", text);
    }

    [Fact]
    public async Task Every_kit_shape_passes_plotlys_own_schema_validation()
    {
        var charts = new[]
        {
            SparsityFigure().WithVerticalLine(50, "S1"),
            Charts.OverSteps([new Curve("loss", [1.0, 2, 3], [2.3, double.NaN, 0.9])], "cross-entropy", logY: true, title: "Loss")
                .WithTheme(Theme.Notebook),
            Charts.AccuracyVsBitWidth([Curve.OverSeeds("int", [2.0, 4, 8, 32], [[90.0, 97, 99, 99.1], [91.0, 96, 99, 99.2]])]),
            Charts.Heatmap([[0.9, 0.8], [0.7, double.NaN]], ["4 bit", "8 bit"], ["50%", "90%"], "Bits", "Sparsity",
                colorScale: "Blues", zMin: 0, zMax: 1, cellText: ".2f").WithFigureName("heat"),
            Charts.Embedding([0.0, 1, 2, 3], [1.0, 1, 2, 2], [1, 0, 1, 0], ["zero", "one"]),
            Plotly.NET.CSharp.GenericChartExtensions.WithSize(Charts.ErrorBand([1.0, 2], [0.0, 1], [1.0, 2], "#ff0000"), 400, 300),
        };
        foreach (var chart in charts)
        {
            var errors = await _browser.Exporter.ValidateAsync(chart.ToPlotlyJson());
            Assert.True(errors.Count == 0, $"plotly.validate reported:\n{string.Join("\n", errors)}\n{chart.ToPlotlyJson()}");
        }

        // ...and they render.
        var svg = Encoding.UTF8.GetString(await _browser.Exporter.RenderAsync(charts[0].ToPlotlyJson(), ExportFormat.Svg));
        Assert.Contains("S1", svg);
    }

    [Fact]
    public async Task Validation_catches_a_misspelt_attribute()
    {
        const string json = """{"data":[{"type":"scatter","x":[1,2],"y":[1,2],"linewdith":3}],"layout":{}}""";
        var errors = await _browser.Exporter.ValidateAsync(json);
        Assert.Contains(errors, e => e.Contains("linewdith"));
    }

    [Fact]
    public async Task ExportAll_writes_svg_png_and_pdf_under_the_figure_name_at_the_layout_size()
    {
        var fig = Plotly.NET.CSharp.GenericChartExtensions.WithSize(SparsityFigure(), 500, 300);
        var clock = Stopwatch.StartNew();
        var paths = await _browser.Exporter.ExportAllAsync(fig, _dir, scale: 1);
        _output.WriteLine($"svg+png+pdf of one figure: {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(new[] { "fig-test.svg", "fig-test.png", "fig-test.pdf" }, paths.Select(Path.GetFileName));
        Assert.Equal((500, 300), PngSize(await File.ReadAllBytesAsync(paths[1])));

        // Repeated exports reuse the browser: time a few to report the steady-state cost.
        for (int i = 0; i < 3; i++)
        {
            await Timed(() => _browser.Exporter.ExportAsync(fig, Path.Combine(_dir, $"r{i}.png")), $"png export (warm) #{i}");
            await Timed(() => _browser.Exporter.ExportAsync(fig, Path.Combine(_dir, $"r{i}.svg")), $"svg export (warm) #{i}");
            await Timed(() => _browser.Exporter.ExportAsync(fig, Path.Combine(_dir, $"r{i}.pdf")), $"pdf export (warm) #{i}");
        }
    }

    [Fact]
    public async Task Raw_plotly_json_from_a_notebook_output_exports_with_its_layout_size()
    {
        const string json = """{"data":[{"type":"bar","x":["a","b"],"y":[1,2],"name":"raw"}],"layout":{"width":320,"height":240}}""";
        var png = await _browser.Exporter.RenderAsync(json, ExportFormat.Png, scale: 1);
        Assert.Equal((320, 240), PngSize(png));
    }

    [Fact]
    public async Task Bad_requests_fail_with_clear_messages()
    {
        var fig = SparsityFigure();
        var ext = await Assert.ThrowsAsync<ArgumentException>(() => _browser.Exporter.ExportAsync(fig, Path.Combine(_dir, "fig.jpg")));
        Assert.Contains(".png, .svg or .pdf", ext.Message);
        var noData = await Assert.ThrowsAsync<ArgumentException>(() => _browser.Exporter.RenderAsync("{\"layout\":{}}", ExportFormat.Svg));
        Assert.Contains("\"data\" array", noData.Message);
        var notJson = await Assert.ThrowsAsync<ArgumentException>(() => _browser.Exporter.RenderAsync("{data:", ExportFormat.Svg));
        Assert.Contains("not valid JSON", notJson.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _browser.Exporter.RenderAsync(fig.ToPlotlyJson(), ExportFormat.Png, 5, 100));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _browser.Exporter.RenderAsync(fig.ToPlotlyJson(), ExportFormat.Png, 100, 100, scale: 0));
        var unnamed = await Assert.ThrowsAsync<ArgumentException>(() => _browser.Exporter.ExportAllAsync(Charts.ErrorBand([1.0], [0.0], [1.0], "#000000"), _dir));
        Assert.Contains("no figure name", unnamed.Message);
        // The exporter is still usable afterwards.
        Assert.Equal((100, 50), PngSize(await _browser.Exporter.RenderAsync(fig.ToPlotlyJson(), ExportFormat.Png, 100, 50, 1)));
    }

    /// <summary>Width and height from a PNG's IHDR chunk (bytes 16–23, big-endian), after checking the signature.</summary>
    private static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.True(png.Length > 24, "PNG too short");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", Encoding.ASCII.GetString(png, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}
