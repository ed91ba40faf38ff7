using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
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

    private static Figure SparsityFigure() =>
        Figure.Line(null, "Sparsity (%)", "Accuracy (%)", name: "fig-test")
            .AddSeries("Magnitude pruning", new[] { 0.0, 50, 80, 90, 95 }, new[] { 99.1, 99.0, 98.7, 97.9, 96.2 },
                std: new[] { 0.1, 0.1, 0.2, 0.3, 0.5 })
            .AddSeries("Random pruning", new[] { 0.0, 50, 80, 90, 95 }, new[] { 99.1, 98.2, 95.0, 90.3, 81.7 }, markers: true)
            .AddHorizontalLine(98.9, "thesis");

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
        Assert.DoesNotContain("trace", legend); // the ±std band has no legend entry of its own
        Assert.Equal("Sparsity (%)", TextOf("xtitle"));
        Assert.Equal("Accuracy (%)", TextOf("ytitle"));
        Assert.Contains("thesis", TextOf("annotation-text"));
        // Three scatter traces drawn: band polygon, two lines.
        int traces = svg.Descendants(ns + "g").Count(g => ((string?)g.Attribute("class") ?? "").Split(' ').Contains("scatter")
            && ((string?)g.Attribute("class") ?? "").Split(' ').Contains("trace"));
        Assert.Equal(3, traces);
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
        var bytes1 = await _browser.Exporter.RenderAsync(SparsityFigure().ToJson(), ExportFormat.Png, 333, 222, scale: 1);
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
    public async Task Every_builder_feature_passes_plotlys_own_schema_validation()
    {
        var fig = Figure.Subplots(2, 2, "All features", name: "kitchen-sink");
        var a = fig.Subplot(1, 1);
        var b = fig.Subplot(1, 2);
        var c = fig.Subplot(2, 1);
        var d = fig.Subplot(2, 2);
        fig.AddSeries("mean", new[] { 1.0, 10, 100 }, new[] { 0.5, double.NaN, 0.9 }, std: new[] { 0.1, 0.1, 0.1 }, markers: true, dash: LineDash.DashDot, subplot: a)
            .LogX(a).SetAxisTitles("Steps", "Loss", a)
            .AddBars("int8", new[] { "LeNet", "ResNet" }, new[] { 98.0, 91.0 }, std: new[] { 0.2, 0.4 }, subplot: b)
            .AddHistogram("weights", new[] { -1.0, -0.5, 0, 0.1, 0.2, 0.9 }, bins: 4, norm: HistNorm.ProbabilityDensity, subplot: c)
            .AddBox("seeds", new[] { 97.0, 97.5, 98.1, 96.9 }, BoxPoints.None, subplot: d)
            .AddPoints("runs", new[] { 1.0, 2 }, new[] { 3.0, 4 }, symbol: "diamond-open", subplot: d)
            .AddHorizontalLine(0.8, "thesis", subplot: a)
            .AddVerticalLine(10, "warm-up", subplot: a)
            .AddAnnotation("best", "ResNet", 91.0, arrow: true, subplot: b)
            .WithLegend(LegendPosition.Below)
            .WithSize(800, 600);
        fig.Layout.GetYAxis(b.Index).SetLogRange(1, 1000);
        fig.Layout.BarMode = BarMode.Stack;
        fig.Layout.Margin = new Margin { L = 50, R = 10, T = 40, B = 40, Pad = 2 };
        fig.Layout.Font = new Font { Family = "serif", Size = 11, Color = "#111" };
        fig.Layout.Grid!.XGap = 0.2;
        fig.Layout.Shapes!.Add(new Shape { Type = ShapeType.Rect, XRef = "x2", YRef = "y2 domain", X0 = "LeNet", X1 = "ResNet", Y0 = 0.0, Y1 = 1.0, FillColor = "#eee", Layer = "below", Opacity = 0.5 });
        fig.Config.ToImageButtonOptions = new ImageExportOptions { Format = "svg", Width = 800, Height = 600, Scale = 1 };
        fig.Config.StaticPlot = false;
        var heat = Figure.Heatmap("Accuracy", [[0.9, 0.8], [0.7, double.NaN]], new[] { "4 bit", "8 bit" }, new[] { "50%", "90%" },
            "Bits", "Sparsity", colorScale: "Blues", zMin: 0, zMax: 1, cellText: ".2f");
        ((HeatmapTrace)heat.Data[0]).ColorBar = new ColorBar { Title = new Title("acc"), TickFormat = ".0%" };
        ((HeatmapTrace)heat.Data[0]).Text = [["a", "b"], ["c", "d"]];
        var notebook = Figure.Bars("t", "x", "y", BarMode.Group, logY: true).WithTheme(Theme.Notebook)
            .AddBars("b", new[] { 1, 2 }, new[] { 3, 4 });
        ((BarTrace)notebook.Data[0]).Orientation = Orientation.Vertical;
        ((BarTrace)notebook.Data[0]).ErrorY = new ErrorBars(new[] { 0.1, 0.2 }) { ArrayMinus = new[] { 0.05, 0.1 } };

        foreach (var f in new[] { fig, heat, notebook })
        {
            var errors = await _browser.Exporter.ValidateAsync(f.ToJson());
            Assert.True(errors.Count == 0, $"{f}: plotly.validate reported:\n{string.Join("\n", errors)}\n{f.ToJson(indented: true)}");
        }

        // ...and they render: one SVG with all four subplots' axes.
        var svg = Encoding.UTF8.GetString(await _browser.Exporter.RenderAsync(fig.ToJson(), ExportFormat.Svg));
        foreach (var axis in new[] { "xtick", "x2tick", "x3tick", "x4tick" }) Assert.Contains(axis, svg);
        Assert.Contains("warm-up", svg);
    }

    [Fact]
    public async Task Validation_catches_a_misspelt_attribute()
    {
        var fig = Figure.Line(null, "x", "y").AddSeries("s", new[] { 1.0, 2 }, new[] { 1.0, 2 });
        fig.Data[0].Set("linewdith", 3);
        var errors = await _browser.Exporter.ValidateAsync(fig.ToJson());
        Assert.Contains(errors, e => e.Contains("linewdith"));
    }

    [Fact]
    public async Task ExportAll_writes_svg_png_and_pdf_under_the_figure_name_at_the_layout_size()
    {
        var fig = SparsityFigure().WithSize(500, 300);
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
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _browser.Exporter.RenderAsync(fig.ToJson(), ExportFormat.Png, 5, 100));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _browser.Exporter.RenderAsync(fig.ToJson(), ExportFormat.Png, 100, 100, scale: 0));
        var unnamed = await Assert.ThrowsAsync<ArgumentException>(() => _browser.Exporter.ExportAllAsync(new Figure(), _dir));
        Assert.Contains("no Name", unnamed.Message);
        // The exporter is still usable afterwards.
        Assert.Equal((100, 50), PngSize(await _browser.Exporter.RenderAsync(fig.ToJson(), ExportFormat.Png, 100, 50, 1)));
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
