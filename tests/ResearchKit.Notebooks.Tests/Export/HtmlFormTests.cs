using ResearchKit.Figures;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Export;

/// <summary>The HTML forms of a figure draw in a real browser (offline: no CDN reachable).</summary>
[Collection(nameof(BrowserCollection))]
public sealed class HtmlFormTests
{
    private readonly BrowserFixture _browser;

    public HtmlFormTests(BrowserFixture browser) => _browser = browser;

    private static Figure TwoSeries() =>
        Figure.Line(null, "Sparsity (%)", "Accuracy (%)", name: "fig-html")
            .AddSeries("Dense", new[] { 0.0, 50, 90 }, new[] { 99.0, 98.5, 97.0 }, std: new[] { 0.1, 0.2, 0.3 })
            .AddSeries("Pruned", new[] { 0.0, 50, 90 }, new[] { 99.0, 97.5, 90.0 });

    private const string Drawn = "() => document.querySelector('.rk-plot .main-svg') !== null";

    private const string Texts = "() => Array.from(document.querySelectorAll('.rk-plot text')).map(t => t.textContent).join('|')";

    [Fact]
    public async Task Self_contained_html_draws_the_figure_with_its_legend_and_axis_titles()
    {
        var html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + TwoSeries().ToHtml(includePlotlyJs: true) + "</body></html>";
        var texts = await _browser.Exporter.EvaluateHtmlAsync<string>(html, Drawn, Texts);
        Assert.Contains("Dense", texts);
        Assert.Contains("Pruned", texts);
        Assert.Contains("Sparsity (%)", texts);
        Assert.Contains("Accuracy (%)", texts);
    }

    [Fact]
    public async Task Notebook_html_uses_a_page_wide_Plotly_and_draws_every_figure_once()
    {
        var body = PlotlyJs.ScriptTag() + TwoSeries().ToMimeBundle()["text/html"] + TwoSeries().ToMimeBundle()["text/html"];
        var count = await _browser.Exporter.EvaluateHtmlAsync<int>("<html><body>" + body + "</body></html>",
            "() => document.querySelectorAll('.rk-plot .main-svg').length >= 4",
            "() => document.querySelectorAll('.rk-plot').length");
        Assert.Equal(2, count);
    }

    [Fact]
    public async Task Notebook_html_without_plotly_and_without_network_says_why_nothing_is_drawn()
    {
        var html = "<html><body>" + TwoSeries().ToMimeBundle()["text/html"] + "</body></html>";
        var text = await _browser.Exporter.EvaluateHtmlAsync<string>(html,
            "() => document.querySelector('.rk-plot').textContent.length > 0",
            "() => document.querySelector('.rk-plot').textContent");
        Assert.Contains("could not be loaded", text);
        Assert.Contains("application/vnd.plotly.v1+json", text);
    }

    [Fact]
    public async Task Plain_html_without_plotly_names_the_fix()
    {
        var html = "<html><body>" + TwoSeries().ToHtml() + "</body></html>";
        var text = await _browser.Exporter.EvaluateHtmlAsync<string>(html,
            "() => document.querySelector('.rk-plot').textContent.length > 0",
            "() => document.querySelector('.rk-plot').textContent");
        Assert.Contains("PlotlyJs.ScriptTag()", text);
    }
}
