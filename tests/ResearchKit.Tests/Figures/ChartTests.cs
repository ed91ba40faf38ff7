using System.Text.Json.Nodes;
using Plotly.NET;
using ResearchKit.Display;
using ResearchKit.Figures;
using Xunit;

namespace ResearchKit.Tests.Figures;

/// <summary>The thesis' figure shapes as Plotly.NET charts: traces, bands, reference lines, templates, names.</summary>
public class ChartTests
{
    private static readonly double[] Sparsity = [0, 50, 80, 90];
    private static readonly double[] Mean = [99.1, 99.0, 98.7, 97.9];
    private static readonly double[] Std = [0.1, 0.1, 0.2, 0.3];

    private static JsonNode Json(GenericChart chart) => JsonNode.Parse(chart.ToPlotlyJson())!;

    private static double[] Numbers(JsonNode? array) => array!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

    private static string Text(JsonNode? node) => node!.GetValue<string>();

    [Fact]
    public void Series_with_std_is_a_band_filled_between_lower_and_upper_under_the_line()
    {
        var fig = Json(Charts.AccuracyVsSparsity([new Curve("magnitude", Sparsity, Mean, Std)]));
        var data = fig["data"]!.AsArray();
        Assert.Equal(3, data.Count);
        var (lower, upper, line) = (data[0]!, data[1]!, data[2]!);

        var (lo, hi) = (Numbers(lower["y"]), Numbers(upper["y"]));
        for (int i = 0; i < Mean.Length; i++)
        {
            Assert.Equal(Mean[i] - Std[i], lo[i], 9);
            Assert.Equal(Mean[i] + Std[i], hi[i], 9);
        }
        Assert.Equal(Sparsity, Numbers(upper["x"]));
        Assert.Equal("tonexty", Text(upper["fill"]));
        Assert.Null(lower["fill"]);
        Assert.False(lower["showlegend"]!.GetValue<bool>());
        Assert.False(upper["showlegend"]!.GetValue<bool>());

        Assert.Equal("magnitude", Text(line["name"]));
        Assert.Equal(Sparsity, Numbers(line["x"]));
        Assert.Equal(Mean, Numbers(line["y"]));
        Assert.Equal("lines+markers", Text(line["mode"]));
        // Band and line: same colour (band translucent), same legend group, so they toggle together.
        Assert.Equal(Theme.Paper.Colorway[0], Text(line["line"]!["color"]));
        Assert.Equal("rgba(0,114,178,0.2)", Text(upper["fillcolor"]));
        Assert.Equal(Text(line["legendgroup"]), Text(upper["legendgroup"]));
        Assert.Equal("sparsity (%)", Text(fig["layout"]!["xaxis"]!["title"]!["text"]));
        Assert.Equal("accuracy (%)", Text(fig["layout"]!["yaxis"]!["title"]!["text"]));
    }

    [Fact]
    public void Lines_take_successive_theme_colours_and_nan_becomes_a_gap()
    {
        var fig = Json(Charts.OverSteps([new Curve("a", [1, 2, 3], [1, double.NaN, 3]), new Curve("b", [1, 2], [2, 2])], "loss"));
        var data = fig["data"]!.AsArray();
        Assert.Equal(["a", "b"], data.Select(t => Text(t!["name"])));
        Assert.Equal(Theme.Paper.Colorway[1], Text(data[1]!["line"]!["color"]));
        Assert.Null(data[0]!["y"]![1]);
        Assert.Equal("lines", Text(data[0]!["mode"]));
        Assert.Equal("step", Text(fig["layout"]!["xaxis"]!["title"]!["text"]));
    }

    [Fact]
    public void Series_over_seeds_is_mean_and_sample_std()
    {
        var s = Curve.OverSeeds("m", [1, 2], [[1, 10], [3, 14]]);
        Assert.Equal([2.0, 12.0], s.Y);
        Assert.Equal(Math.Sqrt(2), s.Std![0], 12);
        Assert.Equal(Math.Sqrt(8), s.Std![1], 12);
        Assert.Throws<ArgumentException>(() => Curve.OverSeeds("m", [1, 2], [[1]]));
    }

    [Fact]
    public void Mismatched_lengths_fail_with_the_series_name()
    {
        var ex = Assert.Throws<ArgumentException>(() => Charts.Lines([new Curve("bad", [1, 2], [1])], "x", "y"));
        Assert.Contains("\"bad\"", ex.Message);
        Assert.Throws<ArgumentException>(() => Charts.Lines([new Curve("bad", [1, 2], [1, 2], [0.1])], "x", "y"));
    }

    [Fact]
    public void Reference_line_is_a_dashed_full_width_shape_with_its_label_and_keeps_earlier_ones()
    {
        var chart = Charts.AccuracyVsSparsity([new Curve("m", Sparsity, Mean)])
            .WithReferenceLine(98.9, "thesis")
            .WithVerticalLine(50, "S1");
        var layout = Json(chart)["layout"]!;
        var shapes = layout["shapes"]!.AsArray();
        Assert.Equal(2, shapes.Count);
        // Plotly.NET decides the order of appended shapes; find each by its reference axes.
        var h = shapes.Single(sh => Text(sh!["yref"]) == "y")!;
        Assert.Equal("line", Text(h["type"]));
        Assert.Equal("x domain", Text(h["xref"]));
        Assert.Equal((0.0, 1.0), (h["x0"]!.GetValue<double>(), h["x1"]!.GetValue<double>()));
        Assert.Equal((98.9, 98.9), (h["y0"]!.GetValue<double>(), h["y1"]!.GetValue<double>()));
        Assert.Equal("dash", Text(h["line"]!["dash"]));
        Assert.Equal("x", Text(shapes.Single(sh => Text(sh!["yref"]) == "y domain")!["xref"]));
        Assert.Equal(["S1", "thesis"], layout["annotations"]!.AsArray().Select(a => Text(a!["text"])).Order());
        Assert.Throws<ArgumentOutOfRangeException>(() => chart.WithReferenceLine(double.NaN));
    }

    [Fact]
    public void Paper_template_is_applied_and_another_theme_replaces_it()
    {
        var chart = Charts.OverSteps([new Curve("a", [1, 2], [1, 2])], "loss");
        var template = Json(chart)["layout"]!["template"]!;
        Assert.Contains("Liberation Serif", Text(template["layout"]!["font"]!["family"]));
        Assert.Equal(Theme.Paper.Colorway, template["layout"]!["colorway"]!.AsArray().Select(c => Text(c)));
        Assert.True(template["layout"]!["xaxis"]!["mirror"]!.GetValue<bool>());
        Assert.Equal(Theme.Paper.LineWidth, template["data"]!["scatter"]![0]!["line"]!["width"]!.GetValue<double>());

        var notebook = Json(chart.WithTheme(Theme.Notebook with { FontSize = 9 }))["layout"]!["template"]!["layout"]!;
        Assert.Contains("Arial", Text(notebook["font"]!["family"]));
        Assert.Equal(9, notebook["font"]!["size"]!.GetValue<double>());
    }

    [Fact]
    public void Plotly_NET_styling_composes_with_the_kit_shapes()
    {
        var chart = Plotly.NET.CSharp.GenericChartExtensions.WithSize(
            Charts.OverSteps([new Curve("a", [1, 2], [1, 2])], "loss").WithFigureName("fig-a", "A caption."), 500, 300);
        var layout = Json(chart)["layout"]!;
        Assert.Equal(500, layout["width"]!.GetValue<int>());
        Assert.Equal("loss", Text(layout["yaxis"]!["title"]!["text"]));
        Assert.Equal("fig-a", chart.FigureName());
        Assert.Equal("A caption.", chart.FigureCaption());
    }

    [Fact]
    public void Figure_name_and_caption_live_in_layout_meta_and_bad_names_are_refused()
    {
        var chart = Charts.OverSteps([new Curve("a", [1, 2], [1, 2])], "loss").WithFigureName("fig4-4", "Loss.");
        var fig = Json(chart);
        Assert.Equal("fig4-4", Text(fig["layout"]!["meta"]![ChartExtensions.MetaKey]!["name"]));
        Assert.Equal("Loss.", Text(fig["layout"]!["meta"]![ChartExtensions.MetaKey]!["caption"]));
        Assert.Equal("fig4-4", Text(fig["config"]!["toImageButtonOptions"]!["filename"]));
        Assert.Null(Charts.OverSteps([new Curve("a", [1], [1])], "loss").FigureName());
        Assert.Throws<ArgumentException>(() => chart.WithFigureName("../fig"));
        Assert.Throws<ArgumentException>(() => chart.WithFigureName(".hidden"));
    }

    [Fact]
    public void Kit_extensions_return_a_new_chart_and_leave_the_input_unchanged()
    {
        // Plotly.NET combines layouts in place; the kit copies first so a base chart can be reused.
        var chart = Charts.OverSteps([new Curve("a", [1, 2], [1, 2])], "loss");
        string before = chart.ToPlotlyJson();
        var a = chart.WithFigureName("fig-a").WithReferenceLine(1.5, "ref").WithTheme(Theme.Notebook);
        var b = chart.WithFigureName("fig-b");
        Assert.Equal(before, chart.ToPlotlyJson());
        Assert.Equal(("fig-a", "fig-b"), (a.FigureName(), b.FigureName()));
        Assert.Null(Json(b)["layout"]!["shapes"]);
    }

    [Fact]
    public void Heatmap_keeps_labels_as_categories_and_refuses_ragged_rows()
    {
        var fig = Json(Charts.Heatmap([[0.9, 0.8], [0.7, double.NaN]], ["4", "8"], ["50%", "90%"], "bits", "sparsity", cellText: ".2f"));
        var trace = fig["data"]![0]!;
        Assert.Equal("heatmap", Text(trace["type"]));
        Assert.Equal(["4", "8"], trace["x"]!.AsArray().Select(v => Text(v)));
        Assert.Null(trace["z"]![1]![1]);
        Assert.Equal("%{z:.2f}", Text(trace["texttemplate"]));
        Assert.Equal("category", Text(fig["layout"]!["xaxis"]!["type"]));
        Assert.Throws<ArgumentException>(() => Charts.Heatmap([[1, 2], [3]]));
        Assert.Throws<ArgumentException>(() => Charts.Heatmap([[1, 2]], x: ["a"]));
    }

    [Fact]
    public void Embedding_has_one_marker_trace_per_class_named_after_it()
    {
        var fig = Json(Charts.Embedding([0, 1, 2, 3], [1, 1, 2, 2], [1, 0, 1, 0], ["zero", "one"]));
        var data = fig["data"]!.AsArray();
        Assert.Equal(["zero", "one"], data.Select(t => Text(t!["name"])));
        Assert.Equal([1.0, 3.0], Numbers(data[0]!["x"]));
        Assert.All(data, t => Assert.Equal("markers", Text(t!["mode"])));
        Assert.Throws<ArgumentException>(() => Charts.Embedding([0], [0], [5], ["zero"]));
    }

    [Fact]
    public void Bit_width_axis_is_log_and_ticked_at_the_measured_widths()
    {
        var fig = Json(Charts.AccuracyVsBitWidth([new Curve("q", [2, 4, 8, 32], [90, 97, 99, 99.1])]));
        var x = fig["layout"]!["xaxis"]!;
        Assert.Equal("log", Text(x["type"]));
        Assert.Equal([2.0, 4, 8, 32], Numbers(x["tickvals"]));
        Assert.Equal("bit width", Text(x["title"]!["text"]));
    }

    [Fact]
    public void Notebook_bundle_has_plotly_json_and_an_offline_html_fallback()
    {
        var chart = Charts.OverSteps([new Curve("a", [1, 2], [1, 2])], "loss").WithFigureName("fig-x", "Cap </script>");
        var bundle = ChartDisplay.ToMimeBundle(chart);
        Assert.Equal(chart.ToPlotlyJson(), bundle[ChartDisplay.PlotlyMimeType]);
        Assert.StartsWith("Chart fig-x: 1 trace (scatter a [2])", bundle["text/plain"]);
        var html = bundle["text/html"];
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.Contains("<figcaption class=\"rk-caption\"><b>fig-x</b>: Cap &lt;/script&gt;</figcaption>", html);
        Assert.DoesNotContain("</script>\"", html);   // the caption in the JSON cannot close the script
        if (PlotlyJs.TryLocate() is { } local) Assert.Contains(new Uri(local).AbsoluteUri, html);   // loads the local copy
        Assert.Equal(bundle.Keys.Order(), ResearchKit.Display.Display.MimeBundleOf(chart).Keys.Order());
    }
}
