using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Report;
using ResearchKit.Notebooks.Runner;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Report;

public class HtmlReportTests
{
    private static Notebook WithOutputs()
    {
        var nb = new NotebookBuilder().Markdown("# My *report*\ntext").CodeWithId("plot()", "c1").Build();
        var cell = nb.Cells[1];
        cell.ExecutionCount = 1;
        cell.Outputs.Add(new StreamOutput("stdout", "hello <world>\n"));
        cell.Outputs.Add(new StreamOutput("stderr", "\u001b[31mwarn\u001b[0m"));
        for (int i = 0; i < 2; i++)
        {
            var fig = new MimeBundle();
            fig.Set(RichFormatter.PlotlyMime, """{"data":[{"y":[1,2],"name":"</script><b>x"}],"layout":{"title":{"text":"T"}}}""");
            fig.Set("text/plain", "Figure");
            cell.Outputs.Add(new DisplayDataOutput(fig, new JsonObject()));
        }
        var table = new MimeBundle();
        table.Set("text/html", "<table><tr><td>1</td></tr></table>");
        cell.Outputs.Add(new DisplayDataOutput(table, new JsonObject()));
        cell.Outputs.Add(new ErrorOutput("System.Exception", "boom", ["\u001b[1mtrace\u001b[0m"]));
        return nb;
    }

    [Fact]
    public void Report_inlines_plotly_once_and_renders_every_output()
    {
        const string fakePlotly = "window.Plotly={newPlot:function(){}}; /* </script> */";
        string html = HtmlReport.Render(WithOutputs(), "My report", fakePlotly);

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Equal(1, Count(html, "window.Plotly="));
        Assert.Equal(2, Count(html, "Plotly.newPlot('rk-figure-"));
        Assert.DoesNotContain("/* </script> */", html);
        // Exactly one closing tag per script element: plotly.js + 2 figures.
        Assert.Equal(3, Count(html, "</script>"));
        Assert.Contains("<h1>My <em>report</em></h1>", html);
        Assert.Contains("hello &lt;world&gt;", html);
        Assert.Contains("<pre class=\"out stderr\">warn</pre>", html);
        Assert.Contains("<table><tr><td>1</td></tr></table>", html);
        Assert.Contains("<b>System.Exception: boom</b>\ntrace", html);
        Assert.DoesNotContain("class=\"banner\"", html);
        Assert.DoesNotContain("src=\"http", html);
    }

    [Fact]
    public void Without_plotly_js_the_report_has_a_banner_and_text_figures()
    {
        string html = HtmlReport.Render(WithOutputs(), "r", null);
        Assert.Contains("class=\"banner\"", html);
        Assert.Contains("environment/install-browser.sh", html);
        Assert.DoesNotContain("Plotly.newPlot", html);
        Assert.Contains("<pre>Figure</pre>", html);
    }

    [Fact]
    public void Report_without_figures_needs_no_plotly_and_shows_no_banner()
    {
        var nb = new NotebookBuilder().Code("1").Build();
        string html = HtmlReport.Render(nb, "r", null);
        Assert.DoesNotContain("class=\"banner\"", html);
        Assert.DoesNotContain("<script>", html);
    }

    [Fact]
    public void Write_takes_the_title_from_the_first_heading_and_finds_plotly_via_the_repo_layout()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rk-html-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string plotly = Path.Combine(dir, ResearchKit.Figures.PlotlyJs.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(plotly)!);
            File.WriteAllText(plotly, "window.Plotly={};");
            string nbDir = Path.Combine(dir, "notebooks", "sub");
            Directory.CreateDirectory(nbDir);
            Assert.Equal(plotly, ResearchKit.Figures.PlotlyJs.TryLocate(nbDir));

            string outPath = Path.Combine(dir, "out", "r.html");
            Assert.True(HtmlReport.Write(WithOutputs(), outPath, nbDir));
            string html = File.ReadAllText(outPath);
            Assert.Contains("<title>My *report*</title>", html);
            Assert.Contains("window.Plotly={};", html);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Markdown_goes_through_Markdig_with_math_tables_and_raw_html_as_text()
    {
        Assert.Equal("<p>math <span class=\"math\">\\(a_i * b_i\\)</span> stays</p>\n", ReportMarkdown.ToHtml("math $a_i * b_i$ stays"));
        Assert.Equal("<div class=\"math\">\n\\[\nE = mc^2\n\\]</div>\n", ReportMarkdown.ToHtml("$$\nE = mc^2\n$$"));
        Assert.Equal("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n", ReportMarkdown.ToHtml("<script>alert(1)</script>"));
        Assert.Contains("<table>", ReportMarkdown.ToHtml("| model | acc |\n|:--|--:|\n| CNN | **99** % |\n"));
        Assert.Equal("<p>snake_case_name stays</p>\n", ReportMarkdown.ToHtml("snake_case_name stays"));
    }

    [Fact]
    public void Math_is_drawn_by_inlined_katex_or_explained_by_a_banner()
    {
        var nb = new NotebookBuilder().Markdown("Loss $y = x^2$.").Build();
        string with = HtmlReport.Render(nb, "r", null, new Katex("window.katex={render:function(){}};", ".katex{}"));
        Assert.Contains("window.katex=", with);
        Assert.Contains("katex.render(tex, el", with);
        Assert.DoesNotContain("class=\"banner\"", with);

        string without = HtmlReport.Render(nb, "r", null);
        Assert.Contains("Math needs KaTeX", without);
        Assert.Contains("<span class=\"math\">\\(y = x^2\\)</span>", without);
    }

    [Fact]
    public void Figure_captions_are_kept_with_or_without_plotly()
    {
        var nb = new NotebookBuilder().CodeWithId("fig", "c").Build();
        var fig = new MimeBundle();
        fig.Set(RichFormatter.PlotlyMime, """{"data":[],"layout":{"meta":{"researchkit":{"name":"fig-1","caption":"A <caption>."}}}}""");
        fig.Set("text/plain", "Figure");
        nb.Cells[0].Outputs.Add(new ExecuteResultOutput(fig, new JsonObject(), 1));
        foreach (var plotly in new[] { "window.Plotly={};", null })
            Assert.Contains("<p class=\"caption\"><b>fig-1</b>: A &lt;caption&gt;.</p>", HtmlReport.Render(nb, "r", plotly));
    }

    [Fact]
    public void Katex_fonts_are_inlined_as_woff2_data_uris()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rk-katex-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "fonts"));
            File.WriteAllBytes(Path.Combine(dir, "fonts", "KaTeX_Main-Regular.woff2"), [1, 2, 3]);
            string css = "@font-face{font-family:KaTeX_Main;src:url(fonts/KaTeX_Main-Regular.woff2) format(\"woff2\"),url(fonts/KaTeX_Main-Regular.woff) format(\"woff\"),url(fonts/KaTeX_Main-Regular.ttf) format(\"truetype\")}";
            Assert.Equal("@font-face{font-family:KaTeX_Main;src:url(data:font/woff2;base64,AQID) format(\"woff2\")}", Katex.InlineFonts(css, dir));
        }
        finally { Directory.Delete(dir, true); }
    }

    private static int Count(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
