using System.Text.RegularExpressions;
using Plotly.NET;
using ResearchKit.Display;
using ResearchKit.Figures;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Export;

/// <summary>The HTML forms of a chart draw in a real browser offline (no CDN reachable, none referenced).</summary>
[Collection(nameof(BrowserCollection))]
public sealed class HtmlFormTests
{
    private readonly BrowserFixture _browser;

    public HtmlFormTests(BrowserFixture browser) => _browser = browser;

    private static GenericChart TwoSeries() =>
        Charts.AccuracyVsSparsity([
                new Curve("Dense", [0.0, 50, 90], [99.0, 98.5, 97.0], [0.1, 0.2, 0.3]),
                new Curve("Pruned", [0.0, 50, 90], [99.0, 97.5, 90.0])],
                "Sparsity (%)", "Accuracy (%)")
            .WithFigureName("fig-html", "Two series.");

    private const string Drawn = "() => document.querySelector('.rk-plot .main-svg') !== null";

    private const string Texts = "() => Array.from(document.querySelectorAll('.rk-plot text')).map(t => t.textContent).join('|')";

    [Fact]
    public void Html_forms_reference_no_web_address()
    {
        foreach (var html in new[] { ChartDisplay.ToHtml(TwoSeries()), ChartDisplay.ToMimeBundle(TwoSeries())["text/html"] })
        {
            Assert.DoesNotMatch(new Regex("<script[^>]*\\bsrc\\s*=\\s*[\"']?https?:", RegexOptions.IgnoreCase), html);
            Assert.DoesNotContain("cdn.", html);
            Assert.DoesNotContain("https://", html);
        }
    }

    [Fact]
    public async Task Self_contained_html_draws_the_chart_with_its_legend_and_axis_titles()
    {
        var html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + ChartDisplay.ToHtml(TwoSeries(), includePlotlyJs: true) + "</body></html>";
        Assert.Contains("/* plotly.js", html);   // embedded, not fetched
        var texts = await _browser.Exporter.EvaluateHtmlAsync<string>(html, Drawn, Texts);
        Assert.Contains("Dense", texts);
        Assert.Contains("Pruned", texts);
        Assert.Contains("Sparsity (%)", texts);
        Assert.Contains("Accuracy (%)", texts);
    }

    [Fact]
    public async Task Notebook_html_uses_a_page_wide_Plotly_and_draws_every_chart_once()
    {
        var body = PlotlyJs.ScriptTag() + ChartDisplay.ToMimeBundle(TwoSeries())["text/html"] + ChartDisplay.ToMimeBundle(TwoSeries())["text/html"];
        var count = await _browser.Exporter.EvaluateHtmlAsync<int>("<html><body>" + body + "</body></html>",
            "() => document.querySelectorAll('.rk-plot .main-svg').length >= 4",
            "() => document.querySelectorAll('.rk-plot').length");
        Assert.Equal(2, count);
    }

    [Fact]
    public async Task Notebook_html_without_a_page_Plotly_loads_the_local_plotly_js_file()
    {
        // As a notebook front end would show it: an HTML file with two chart outputs and no plotly.js of its own.
        string dir = Path.Combine(Path.GetTempPath(), "rk-html-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string page = Path.Combine(dir, "outputs.html");
            File.WriteAllText(page, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"
                + ChartDisplay.ToMimeBundle(TwoSeries())["text/html"] + ChartDisplay.ToMimeBundle(TwoSeries())["text/html"] + "</body></html>");
            var (texts, blocked) = await OfflinePage.EvaluateAsync(new Uri(page).AbsoluteUri,
                "() => document.querySelectorAll('.rk-plot .main-svg').length >= 4", Texts);
            Assert.Contains("Dense", texts);
            Assert.Empty(blocked);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Plain_html_without_plotly_names_the_fix()
    {
        var html = "<html><body>" + ChartDisplay.ToHtml(TwoSeries()) + "</body></html>";
        var text = await _browser.Exporter.EvaluateHtmlAsync<string>(html,
            "() => document.querySelector('.rk-plot').textContent.length > 0",
            "() => document.querySelector('.rk-plot').textContent");
        Assert.Contains("PlotlyJs.ScriptTag()", text);
    }
}
