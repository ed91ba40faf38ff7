using System.Text.Json;
using System.Text.RegularExpressions;
using ResearchKit.Display;
using ResearchKit.Figures;
using Xunit;

namespace ResearchKit.Tests.Figures;

/// <summary>The figure builder's JSON against plotly's schema conventions, its HTML and MIME forms, and its errors.</summary>
public sealed class FigureTests
{
    private static readonly double[] Sparsity = [0, 50, 80, 90, 95];
    private static readonly double[] Acc = [99.1, 99.0, 98.7, 97.9, 96.2];
    private static readonly double[] Std = [0.1, 0.1, 0.2, 0.3, 0.5];

    private static JsonElement Parse(Figure fig) => JsonDocument.Parse(fig.ToJson()).RootElement;

    private static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    [Fact]
    public void Line_series_with_std_is_a_closed_band_polygon_plus_the_line_in_the_same_colour_and_legend_group()
    {
        var fig = Figure.Line("Pruning", "Sparsity (%)", "Accuracy (%)", name: "fig4-4")
            .AddSeries("Magnitude", Sparsity, Acc, std: Std)
            .AddSeries("Random", Sparsity, Acc, markers: true, dash: LineDash.DashDot);
        var root = Parse(fig);
        var data = root.GetProperty("data");
        Assert.Equal(3, data.GetArrayLength());

        var band = data[0];
        Assert.Equal("scatter", band.GetProperty("type").GetString());
        Assert.Equal("toself", band.GetProperty("fill").GetString());
        Assert.False(band.GetProperty("showlegend").GetBoolean());
        Assert.Equal("skip", band.GetProperty("hoverinfo").GetString());
        Assert.Equal(0, band.GetProperty("line").GetProperty("width").GetDouble());
        // x forward then backward, y = acc + std forward then acc − std backward.
        Assert.Equal([.. Sparsity, .. Sparsity.Reverse()], Numbers(band.GetProperty("x")));
        var expectedY = Acc.Select((a, i) => a + Std[i]).Concat(Acc.Select((a, i) => a - Std[i]).Reverse()).ToArray();
        var bandY = Numbers(band.GetProperty("y"));
        for (int i = 0; i < expectedY.Length; i++) Assert.Equal(expectedY[i], bandY[i], 12);

        var line = data[1];
        Assert.Equal("Magnitude", line.GetProperty("name").GetString());
        Assert.Equal("lines", line.GetProperty("mode").GetString());
        Assert.Equal(Acc, Numbers(line.GetProperty("y")));
        Assert.Equal(band.GetProperty("legendgroup").GetString(), line.GetProperty("legendgroup").GetString());
        string color = line.GetProperty("line").GetProperty("color").GetString()!;
        Assert.Equal(Theme.Paper.Colorway[0], color);
        Assert.Equal(Colors.WithAlpha(color, 0.2), band.GetProperty("fillcolor").GetString());

        var second = data[2];
        Assert.Equal("lines+markers", second.GetProperty("mode").GetString());
        Assert.Equal("dashdot", second.GetProperty("line").GetProperty("dash").GetString());
        Assert.Equal(Theme.Paper.Colorway[1], second.GetProperty("line").GetProperty("color").GetString());
        Assert.NotEqual(line.GetProperty("legendgroup").GetString(), second.GetProperty("legendgroup").GetString());
        Assert.False(second.TryGetProperty("error_y", out _));

        var layout = root.GetProperty("layout");
        Assert.Equal("Pruning", layout.GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("Sparsity (%)", layout.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("Accuracy (%)", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Non_finite_values_become_null_everywhere()
    {
        var fig = Figure.Line(null, "x", "y")
            .AddSeries("s", new[] { 1.0, 2, 3 }, new[] { 1.0, double.NaN, double.PositiveInfinity }, std: new[] { 0.1, 0.1, 0.1 });
        fig.AddTrace(new HeatmapTrace { Z = [[1, double.NegativeInfinity], [double.NaN, 4]] });
        var data = Parse(fig).GetProperty("data");
        var y = data[1].GetProperty("y");
        Assert.Equal(JsonValueKind.Number, y[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, y[1].ValueKind);
        Assert.Equal(JsonValueKind.Null, y[2].ValueKind);
        Assert.Equal(JsonValueKind.Null, data[0].GetProperty("y")[1].ValueKind); // band of a NaN point
        var z = data[2].GetProperty("z");
        Assert.Equal(JsonValueKind.Null, z[0][1].ValueKind);
        Assert.Equal(JsonValueKind.Null, z[1][0].ValueKind);
        Assert.Equal(4, z[1][1].GetDouble());
        Assert.DoesNotContain("NaN", fig.ToJson());
        Assert.DoesNotContain("Infinity", fig.ToJson());
    }

    [Fact]
    public void Log_axes_and_log_ranges_use_plotlys_log10_units()
    {
        var fig = Figure.Line(null, "Step", "Loss", logX: true, logY: true).AddSeries("loss", new[] { 1, 10, 100 }, new[] { 2.3, 0.5, 0.1 });
        fig.Layout.GetYAxis().SetLogRange(0.01, 10);
        var layout = Parse(fig).GetProperty("layout");
        Assert.Equal("log", layout.GetProperty("xaxis").GetProperty("type").GetString());
        Assert.Equal("log", layout.GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Equal([-2.0, 1.0], Numbers(layout.GetProperty("yaxis").GetProperty("range")));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Axis().SetLogRange(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Axis().SetLogRange(10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Axis().SetLogRange(1, double.PositiveInfinity));
        Assert.Equal("linear", Parse(Figure.Line(null, "a", "b").SetAxisTitles(null, null)).GetProperty("layout").GetProperty("xaxis")
            .TryGetProperty("type", out var t) ? t.GetString() : "linear");
    }

    [Fact]
    public void Reference_lines_and_annotations_become_shapes_and_annotations()
    {
        var fig = Figure.Line(null, "x", "y").AddSeries("s", Sparsity, Acc)
            .AddHorizontalLine(98.9, "thesis")
            .AddVerticalLine(80, null, LineDash.Dot, "#ff0000")
            .AddAnnotation("knee", 90, 97.9, arrow: true);
        var layout = Parse(fig).GetProperty("layout");
        var shapes = layout.GetProperty("shapes");
        Assert.Equal(2, shapes.GetArrayLength());
        var h = shapes[0];
        Assert.Equal("line", h.GetProperty("type").GetString());
        Assert.Equal("x domain", h.GetProperty("xref").GetString());
        Assert.Equal("y", h.GetProperty("yref").GetString());
        Assert.Equal(0, h.GetProperty("x0").GetDouble());
        Assert.Equal(1, h.GetProperty("x1").GetDouble());
        Assert.Equal(98.9, h.GetProperty("y0").GetDouble());
        Assert.Equal(98.9, h.GetProperty("y1").GetDouble());
        Assert.Equal("dash", h.GetProperty("line").GetProperty("dash").GetString());
        var v = shapes[1];
        Assert.Equal("y domain", v.GetProperty("yref").GetString());
        Assert.Equal(80, v.GetProperty("x0").GetDouble());
        Assert.Equal("dot", v.GetProperty("line").GetProperty("dash").GetString());
        Assert.Equal("#ff0000", v.GetProperty("line").GetProperty("color").GetString());

        var notes = layout.GetProperty("annotations");
        Assert.Equal(2, notes.GetArrayLength()); // the vertical line has no label
        Assert.Equal("thesis", notes[0].GetProperty("text").GetString());
        Assert.False(notes[0].GetProperty("showarrow").GetBoolean());
        Assert.Equal("right", notes[0].GetProperty("xanchor").GetString());
        Assert.Equal("knee", notes[1].GetProperty("text").GetString());
        Assert.True(notes[1].GetProperty("showarrow").GetBoolean());
        Assert.Equal(90, notes[1].GetProperty("x").GetDouble());
        Assert.Throws<ArgumentOutOfRangeException>(() => fig.AddHorizontalLine(double.NaN));
    }

    [Fact]
    public void Themes_are_written_as_a_template_and_explicit_layout_settings_stay()
    {
        var paper = Figure.Line(null, "x", "y");
        var template = Parse(paper).GetProperty("layout").GetProperty("template").GetProperty("layout");
        Assert.Contains("serif", template.GetProperty("font").GetProperty("family").GetString());
        Assert.Equal("#ffffff", template.GetProperty("paper_bgcolor").GetString());
        Assert.Equal("#ffffff", template.GetProperty("plot_bgcolor").GetString());
        foreach (var axis in new[] { "xaxis", "yaxis" })
        {
            var a = template.GetProperty(axis);
            Assert.True(a.GetProperty("showline").GetBoolean());
            Assert.Equal("#000000", a.GetProperty("linecolor").GetString());
            Assert.Equal("outside", a.GetProperty("ticks").GetString());
            Assert.True(a.GetProperty("mirror").GetBoolean());
        }
        Assert.Equal(Theme.Paper.Colorway.Count, template.GetProperty("colorway").GetArrayLength());
        Assert.Equal(20, template.GetProperty("margin").GetProperty("t").GetDouble());
        Assert.False(Parse(paper).GetProperty("layout").TryGetProperty("margin", out _)); // untitled: template's tight top

        var nb = Figure.Line("Titled", "x", "y").WithTheme(Theme.Notebook);
        nb.Layout.Font = new Font { Size = 20 };
        var nbLayout = Parse(nb).GetProperty("layout");
        Assert.Contains("sans-serif", nbLayout.GetProperty("template").GetProperty("layout").GetProperty("font").GetProperty("family").GetString());
        Assert.False(nbLayout.GetProperty("template").GetProperty("layout").GetProperty("xaxis").GetProperty("mirror").GetBoolean());
        Assert.Equal(20, nbLayout.GetProperty("font").GetProperty("size").GetDouble());
        Assert.Equal(Theme.Notebook.TitledTopMargin, nbLayout.GetProperty("margin").GetProperty("t").GetDouble());

        var custom = Theme.Paper with { FontSize = 9, Ticks = Ticks.None, Colorway = ["#123456"] };
        var cl = Parse(Figure.Line(null, "x", "y").WithTheme(custom).AddSeries("a", new[] { 1, 2 }, new[] { 1, 2 }))
            .GetProperty("layout").GetProperty("template").GetProperty("layout");
        Assert.Equal(9, cl.GetProperty("font").GetProperty("size").GetDouble());
        Assert.Equal("", cl.GetProperty("xaxis").GetProperty("ticks").GetString());
        Assert.Equal("#123456", custom.SeriesColor(5));

        Assert.False(Parse(Figure.Line(null, "x", "y").WithTheme(null)).GetProperty("layout").TryGetProperty("template", out _));
    }

    [Fact]
    public void Subplots_use_a_grid_and_traces_point_at_their_cells_axes()
    {
        var fig = Figure.Subplots(2, 2, name: "fig-grid");
        var cell = fig.Subplot(2, 1);
        Assert.Equal(3, cell.Index);
        Assert.Equal(("x3", "y3"), (cell.XAxis, cell.YAxis));
        Assert.Equal(("x", "y"), (fig.Subplot(1, 1).XAxis, fig.Subplot(1, 1).YAxis));
        fig.AddSeries("loss", new[] { 1, 2 }, new[] { 0.5, 0.2 }, std: new[] { 0.1, 0.1 }, subplot: cell)
            .SetAxisTitles("Epoch", "Loss", cell).LogY(cell)
            .AddBars("acc", new[] { "a", "b" }, new[] { 1.0, 2 }, subplot: fig.Subplot(1, 2))
            .AddHorizontalLine(0.3, "target", subplot: cell);
        var root = Parse(fig);
        var grid = root.GetProperty("layout").GetProperty("grid");
        Assert.Equal(2, grid.GetProperty("rows").GetInt32());
        Assert.Equal(2, grid.GetProperty("columns").GetInt32());
        Assert.Equal("independent", grid.GetProperty("pattern").GetString());
        var data = root.GetProperty("data");
        Assert.Equal("x3", data[0].GetProperty("xaxis").GetString()); // band
        Assert.Equal("y3", data[1].GetProperty("yaxis").GetString()); // line
        Assert.Equal("x2", data[2].GetProperty("xaxis").GetString()); // bars
        var layout = root.GetProperty("layout");
        Assert.Equal("Epoch", layout.GetProperty("xaxis3").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("log", layout.GetProperty("yaxis3").GetProperty("type").GetString());
        Assert.Equal("category", layout.GetProperty("xaxis2").GetProperty("type").GetString());
        Assert.Equal("x3 domain", layout.GetProperty("shapes")[0].GetProperty("xref").GetString());
        Assert.Equal("y3", layout.GetProperty("shapes")[0].GetProperty("yref").GetString());
        Assert.Equal(["xaxis2", "xaxis3", "yaxis3"], fig.Layout.Axes().Select(a => a.Name).Where(n => n != "xaxis" && n != "yaxis").Order().ToArray());

        Assert.Throws<ArgumentOutOfRangeException>(() => fig.Subplot(3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => fig.Subplot(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Figure.Subplots(0, 2));
        var noGrid = Assert.Throws<InvalidOperationException>(() => new Figure().Subplot(1, 1));
        Assert.Contains("Figure.Subplots", noGrid.Message);
    }

    [Fact]
    public void Explicit_domains_place_subplots_without_a_grid()
    {
        var fig = new Figure();
        fig.Layout.GetXAxis(1).Domain = [0, 0.45];
        fig.Layout.GetXAxis(2).Domain = [0.55, 1];
        fig.Layout.GetYAxis(2).Anchor = "x2";
        fig.Layout.GetXAxis(2).Anchor = "y2";
        fig.AddTrace(new ScatterTrace { X = new[] { 1, 2 }, Y = new[] { 3, 4 }, XAxis = "x2", YAxis = "y2" });
        var layout = Parse(fig).GetProperty("layout");
        Assert.Equal([0.55, 1.0], Numbers(layout.GetProperty("xaxis2").GetProperty("domain")));
        Assert.Equal("y2", layout.GetProperty("xaxis2").GetProperty("anchor").GetString());
        Assert.Equal("x2", layout.GetProperty("yaxis2").GetProperty("anchor").GetString());
        Assert.Same(fig.Layout.GetXAxis(2), fig.Layout.GetXAxis(2));

        Assert.Throws<ArgumentException>(() => new ScatterTrace { XAxis = "x1" });
        Assert.Throws<ArgumentException>(() => new ScatterTrace { YAxis = "x2" });
        Assert.Throws<ArgumentException>(() => new ScatterTrace { XAxis = "x02" });
        Assert.Equal("y12", new ScatterTrace { YAxis = "y12" }.YAxis);
        Assert.Throws<ArgumentOutOfRangeException>(() => fig.Layout.GetXAxis(0));
        fig.Layout.Set("xaxis5", "not an axis");
        Assert.Throws<InvalidOperationException>(() => fig.Layout.GetXAxis(5));
    }

    [Fact]
    public void Bars_group_or_stack_with_error_bars_and_category_axes()
    {
        var fig = Figure.Bars(null, "Model", "Accuracy (%)")
            .AddBars("fp32", new[] { "LeNet", "ResNet" }, new[] { 99.0, 92.0 }, std: new[] { 0.1, 0.4 })
            .AddBars("int8", new[] { "LeNet", "ResNet" }, new[] { 98.8, 91.5 });
        var root = Parse(fig);
        Assert.Equal("group", root.GetProperty("layout").GetProperty("barmode").GetString());
        Assert.Equal("category", root.GetProperty("layout").GetProperty("xaxis").GetProperty("type").GetString());
        var bar = root.GetProperty("data")[0];
        Assert.Equal("bar", bar.GetProperty("type").GetString());
        Assert.Equal(["LeNet", "ResNet"], bar.GetProperty("x").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var err = bar.GetProperty("error_y");
        Assert.Equal("data", err.GetProperty("type").GetString());
        Assert.Equal([0.1, 0.4], Numbers(err.GetProperty("array")));
        Assert.True(err.GetProperty("symmetric").GetBoolean());
        Assert.True(err.GetProperty("visible").GetBoolean());
        Assert.False(root.GetProperty("data")[1].TryGetProperty("error_y", out _));

        var stacked = Figure.Bars(null, "x", "y", BarMode.Stack).AddBars("a", new[] { 1, 2 }, new[] { 3, 4 });
        var sl = Parse(stacked).GetProperty("layout");
        Assert.Equal("stack", sl.GetProperty("barmode").GetString());
        Assert.False(sl.GetProperty("xaxis").TryGetProperty("type", out _)); // numeric positions stay numeric

        var asym = new ErrorBars(new[] { 1.0 }) { ArrayMinus = new[] { 0.5 } };
        var bt = new BarTrace { Y = new[] { 1.0 }, ErrorY = asym, Orientation = Orientation.Horizontal };
        var json = Parse(new Figure().AddTrace(bt)).GetProperty("data")[0];
        Assert.False(json.GetProperty("error_y").GetProperty("symmetric").GetBoolean());
        Assert.Equal([0.5], Numbers(json.GetProperty("error_y").GetProperty("arrayminus")));
        Assert.Equal("h", json.GetProperty("orientation").GetString());

        Assert.Throws<ArgumentException>(() => fig.AddBars("bad", new[] { "a" }, new[] { 1.0, 2 }));
        Assert.Throws<ArgumentException>(() => fig.AddBars("bad", new[] { "a" }, new[] { 1.0 }, std: new[] { 1.0, 2 }));
    }

    [Fact]
    public void Histogram_heatmap_and_box_traces_carry_their_attributes()
    {
        var fig = Figure.Histogram(null, "Weight", "Density")
            .AddHistogram("w", new[] { 0.1f, 0.2f, 0.3f }, bins: 30, norm: HistNorm.ProbabilityDensity)
            .AddHistogram("counts", new[] { 1, 2, 3 })
            .AddBox("seeds", new[] { 97.0, 98.0 }, BoxPoints.None)
            .AddBox("all", new[] { 97.0, 98.0 }, BoxPoints.SuspectedOutliers);
        var root = Parse(fig);
        Assert.Equal("overlay", root.GetProperty("layout").GetProperty("barmode").GetString());
        var data = root.GetProperty("data");
        Assert.Equal("histogram", data[0].GetProperty("type").GetString());
        Assert.Equal(30, data[0].GetProperty("nbinsx").GetInt32());
        Assert.Equal("probability density", data[0].GetProperty("histnorm").GetString());
        Assert.Equal(0.1f, (float)data[0].GetProperty("x")[0].GetDouble());
        Assert.False(data[1].TryGetProperty("histnorm", out _)); // counts: plotly's default
        Assert.Equal("box", data[2].GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.False, data[2].GetProperty("boxpoints").ValueKind);
        Assert.False(data[2].TryGetProperty("marker", out _));
        Assert.Equal("suspectedoutliers", data[3].GetProperty("boxpoints").GetString());
        Assert.True(data[3].GetProperty("boxmean").GetBoolean());
        Assert.Throws<ArgumentOutOfRangeException>(() => fig.AddHistogram("x", new[] { 1.0 }, bins: 0));

        var heat = Figure.Heatmap("Acc", [[0.9, 0.8], [0.7, 0.6]], new[] { "4 bit", "8 bit" }, new[] { "50%", "90%" }, "Bits", "Sparsity",
            colorScale: "Blues", zMin: 0, zMax: 1, cellText: ".2f");
        var h = Parse(heat).GetProperty("data")[0];
        Assert.Equal("heatmap", h.GetProperty("type").GetString());
        Assert.Equal(2, h.GetProperty("z").GetArrayLength());
        Assert.Equal([0.7, 0.6], Numbers(h.GetProperty("z")[1]));
        Assert.Equal("Blues", h.GetProperty("colorscale").GetString());
        Assert.Equal(0, h.GetProperty("zmin").GetDouble());
        Assert.Equal(1, h.GetProperty("zmax").GetDouble());
        Assert.Equal("%{z:.2f}", h.GetProperty("texttemplate").GetString());
        var hl = Parse(heat).GetProperty("layout");
        Assert.Equal("category", hl.GetProperty("yaxis").GetProperty("type").GetString()); // "50%" must not become 50
        Assert.False(hl.GetProperty("xaxis").GetProperty("showgrid").GetBoolean());

        Assert.Throws<ArgumentException>(() => Figure.Heatmap(null, [[1, 2], [3]]));
        Assert.Throws<ArgumentException>(() => Figure.Heatmap(null, [[1, 2]], x: new[] { "a" }));
        Assert.Throws<ArgumentException>(() => Figure.Heatmap(null, [[1, 2]], y: new[] { "a", "b" }));
    }

    [Fact]
    public void Config_uses_plotlys_camel_case_names_and_the_export_name()
    {
        var fig = new Figure(name: "fig4-4");
        var config = Parse(fig).GetProperty("config");
        Assert.True(config.GetProperty("responsive").GetBoolean());
        Assert.False(config.GetProperty("displaylogo").GetBoolean());
        Assert.Equal("fig4-4", config.GetProperty("toImageButtonOptions").GetProperty("filename").GetString());
        fig.Config.StaticPlot = true;
        fig.Config.DisplayModeBar = false;
        fig.Config.ToImageButtonOptions = new ImageExportOptions { Format = "svg", Scale = 3 };
        config = Parse(fig).GetProperty("config");
        Assert.True(config.GetProperty("staticPlot").GetBoolean());
        Assert.False(config.GetProperty("displayModeBar").GetBoolean());
        Assert.Equal("svg", config.GetProperty("toImageButtonOptions").GetProperty("format").GetString());
        Assert.False(Parse(new Figure()).GetProperty("config").TryGetProperty("toImageButtonOptions", out _));
    }

    [Fact]
    public void Legend_size_margins_and_extra_attributes_are_written()
    {
        var fig = Figure.Line(null, "x", "y").WithLegend(LegendPosition.Below).WithSize(640, 400);
        fig.Layout.Margin = new Margin { L = 10, R = 11, T = 12, B = 13, Pad = 1 };
        fig.Layout.Set("hoverlabel", new Dictionary<string, object> { ["namelength"] = -1 });
        fig.AddSeries("s", new[] { 1, 2 }, new[] { 1, 2 }).Data[0].Set("connectgaps", true);
        var root = Parse(fig);
        var layout = root.GetProperty("layout");
        var legend = layout.GetProperty("legend");
        Assert.Equal("h", legend.GetProperty("orientation").GetString());
        Assert.Equal("center", legend.GetProperty("xanchor").GetString());
        Assert.Equal("top", legend.GetProperty("yanchor").GetString());
        Assert.Equal(640, layout.GetProperty("width").GetInt32());
        Assert.Equal(400, layout.GetProperty("height").GetInt32());
        Assert.Equal(12, layout.GetProperty("margin").GetProperty("t").GetDouble());
        Assert.Equal(-1, layout.GetProperty("hoverlabel").GetProperty("namelength").GetInt32());
        Assert.True(root.GetProperty("data")[0].GetProperty("connectgaps").GetBoolean());
        foreach (LegendPosition p in Enum.GetValues<LegendPosition>()) Assert.NotNull(Legend.At(p).X);
        Assert.Throws<ArgumentOutOfRangeException>(() => fig.WithSize(5, 400));
    }

    [Fact]
    public void Html_has_the_div_the_json_and_a_newPlot_call_and_inlines_plotly_only_when_asked()
    {
        var fig = Figure.Line(null, "Sparsity (%)", "Accuracy (%)", name: "fig4-4", caption: "Accuracy <vs> sparsity")
            .AddSeries("a </script><script>alert(1)</script>", Sparsity, Acc);
        var html = fig.ToHtml();
        var div = Regex.Match(html, "<div id=\"(rk-fig-fig4-4-\\d+)\" class=\"rk-plot\"");
        Assert.True(div.Success, html[..Math.Min(400, html.Length)]);
        Assert.Contains($"document.getElementById(\"{div.Groups[1].Value}\")", html);
        Assert.Contains("Plotly.newPlot(el, fig.data, fig.layout", html);
        Assert.Contains("<figcaption class=\"rk-caption\"><b>fig4-4</b>: Accuracy &lt;vs&gt; sparsity</figcaption>", html);
        // The embedded JSON is the figure's JSON, with '<' escaped so a name cannot close the script.
        var json = Regex.Match(html, @"var fig = (.*);\n").Groups[1].Value;
        Assert.DoesNotContain("<", json);
        Assert.Equal(fig.ToJson(), json.Replace("\\u003c", "<"));
        using (var doc = JsonDocument.Parse(json))
            Assert.Equal("a </script><script>alert(1)</script>", doc.RootElement.GetProperty("data")[0].GetProperty("name").GetString());
        Assert.Single(Regex.Matches(html, "<script"));
        Assert.DoesNotContain("cdn.plot.ly", html);
        Assert.NotEqual(div.Groups[1].Value, Regex.Match(fig.ToHtml(), "id=\"([^\"]+)\"").Groups[1].Value); // unique per render

        var fake = Path.GetTempFileName();
        try
        {
            File.WriteAllText(fake, "window.Plotly = {fake: '</script>'};");
            var standalone = fig.ToHtml(includePlotlyJs: true, plotlyJsPath: fake);
            int lib = standalone.IndexOf("window.Plotly = {fake: '<\\/script>'}", StringComparison.Ordinal);
            Assert.True(lib >= 0);
            Assert.True(lib < standalone.IndexOf("<div id=", StringComparison.Ordinal));
            Assert.StartsWith("<script", PlotlyJs.ScriptTag(fake));
        }
        finally
        {
            File.Delete(fake);
        }
        Assert.Throws<FileNotFoundException>(() => fig.ToHtml(includePlotlyJs: true, plotlyJsPath: "/nonexistent/plotly.min.js"));
    }

    [Fact]
    public void Mime_bundle_has_plain_text_html_with_a_loader_and_the_plotly_json()
    {
        IRichDisplay display = Figure.Line("Title", "Sparsity (%)", "Accuracy (%)", name: "fig4-4")
            .AddSeries("Magnitude", Sparsity, Acc, std: Std);
        var bundle = display.ToMimeBundle();
        Assert.Equal(["application/vnd.plotly.v1+json", "text/html", "text/plain"], bundle.Keys.Order().ToArray());

        var plain = bundle["text/plain"];
        Assert.Contains("fig4-4", plain);
        Assert.Contains("\"Title\"", plain);
        Assert.Contains("scatter Magnitude [5]", plain);
        Assert.Contains("x: Sparsity (%)", plain);

        using var plotly = JsonDocument.Parse(bundle[Figure.PlotlyMimeType]);
        Assert.Equal(["data", "layout"], plotly.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(2, plotly.RootElement.GetProperty("data").GetArrayLength());

        var html = bundle["text/html"];
        Assert.Contains("if (window.Plotly) { draw(); return; }", html);
        Assert.Contains(PlotlyJs.CdnUrl, html);
        Assert.Contains("window.__rkPlotlyLoading", html);
        Assert.Contains("Accuracy (%)", html);
    }

    [Fact]
    public void Names_data_arrays_colours_and_argument_errors()
    {
        Assert.Equal("fig4-4.b_c", new Figure(name: "fig4-4.b_c").Name);
        Assert.Throws<ArgumentException>(() => new Figure(name: "fig 4"));
        Assert.Throws<ArgumentException>(() => new Figure(name: "../x"));
        Assert.Throws<ArgumentException>(() => new Figure(name: ""));

        DataArray longs = new long[] { 1, 2 };
        Assert.Equal([1.0, 2.0], longs.Numbers);
        DataArray list = new List<string> { "a" };
        Assert.True(list.IsCategorical);
        Assert.Throws<InvalidOperationException>(() => list.Numbers);
        Assert.Throws<InvalidOperationException>(() => longs.Labels);
        Assert.Throws<ArgumentException>(() => DataArray.From(new string[] { "a", null! }));
        var source = new[] { 1.0, 2.0 };
        DataArray copy = source;
        source[0] = 99;
        Assert.Equal(1.0, copy.Numbers[0]); // the figure keeps the values it was given

        Assert.Equal("rgba(0,114,178,0.2)", Colors.WithAlpha("#0072B2", 0.2));
        Assert.Equal("rgba(255,0,170,0.5)", Colors.WithAlpha("#f0a", 0.5));
        Assert.Equal("rgba(1, 2, 3,1)", Colors.WithAlpha("rgb(1, 2, 3)", 1));
        Assert.Null(Colors.WithAlpha("red", 0.2));
        Assert.Null(Colors.WithAlpha("#12345", 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Colors.WithAlpha("#000", 1.5));

        // A named colour cannot be made translucent by string: the band falls back to trace opacity.
        var named = Parse(Figure.Line(null, "x", "y").AddSeries("s", new[] { 1, 2 }, new[] { 1, 2 }, std: new[] { 1, 1 }, color: "red"))
            .GetProperty("data")[0];
        Assert.Equal("red", named.GetProperty("fillcolor").GetString());
        Assert.Equal(0.2, named.GetProperty("opacity").GetDouble());

        var fig = Figure.Line(null, "x", "y");
        var len = Assert.Throws<ArgumentException>(() => fig.AddSeries("s", new[] { 1, 2 }, new[] { 1.0 }));
        Assert.Contains("xs has 2 values but ys has 1", len.Message);
        Assert.Throws<ArgumentException>(() => fig.AddSeries("s", new[] { 1, 2 }, new[] { 1, 2 }, std: new[] { 1.0 }));
        Assert.Throws<ArgumentException>(() => fig.AddPoints("p", new[] { 1, 2 }, new[] { 1.0 }));
        Assert.Empty(fig.Data); // failed calls add nothing
        Assert.Equal("Figure: 0 traces; x: x; y: y", fig.ToString());
    }
}
