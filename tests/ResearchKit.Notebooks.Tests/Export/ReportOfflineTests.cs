using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Report;
using ResearchKit.Notebooks.Runner;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Export;

/// <summary>
/// The HTML report as a reader sees it: opened in headless Chromium with every non-file request aborted, it draws
/// its figures, shows every figure and table caption, and renders the Markdown math with KaTeX (no raw <c>$…$</c>).
/// </summary>
public sealed class ReportOfflineTests
{
    private static Notebook Report()
    {
        var nb = new NotebookBuilder()
            .Markdown("# Offline report\n\nThe loss is $y = \\sum_i x_i^2$, so $\\partial y / \\partial x = 2x$.\n\n$$\nE = mc^2\n$$\n", "md")
            .CodeWithId("fig", "c1")
            .Build();
        var cell = nb.Cells[1];
        cell.ExecutionCount = 1;
        var fig = new MimeBundle();
        fig.Set(RichFormatter.PlotlyMime, """{"data":[{"y":[3,2,1],"type":"scatter"}],"layout":{"meta":{"researchkit":{"name":"loss-curve","caption":"Training loss of the small CNN."}}}}""");
        fig.Set("text/plain", "Figure");
        cell.Outputs.Add(new ExecuteResultOutput(fig, new JsonObject(), 1));
        var table = new MimeBundle();
        table.Set("text/html", "<table class=\"rk-table\"><caption>Accuracy of the small CNN.</caption><tr><td>99.0%</td></tr></table>");
        cell.Outputs.Add(new DisplayDataOutput(table, new JsonObject()));
        return nb;
    }

    [Fact]
    public async Task Report_shows_captions_and_katex_math_with_the_network_blocked()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rk-report-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string path = Path.Combine(dir, "report.html");
            // Found through the repository layout above the test binaries, as `rk nb run --html` finds them.
            Assert.True(HtmlReport.Write(Report(), path, AppContext.BaseDirectory));
            string html = File.ReadAllText(path);
            Assert.Contains("url(data:font/woff2;base64,", html);   // KaTeX's fonts inlined
            Assert.DoesNotContain("url(fonts/", html);

            var (result, blocked) = await OfflinePage.EvaluateAsync(new Uri(path).AbsoluteUri,
                "() => document.querySelector('.figure .main-svg') !== null && document.querySelectorAll('.katex').length >= 3",
                """
                async () => {
                  await document.fonts.ready;
                  const katexFonts = Array.from(document.fonts).filter(f => f.family.startsWith('KaTeX') && f.status === 'loaded').length;
                  return [document.querySelectorAll('.katex').length, document.querySelectorAll('.katex-display').length,
                          document.querySelectorAll('.katex-error').length, katexFonts, document.body.innerText].join('\u0001');
                }
                """);
            var parts = result.Split('\u0001');
            Assert.Empty(blocked);
            Assert.Equal("3", parts[0]);        // two inline formulas and one display
            Assert.Equal("1", parts[1]);
            Assert.Equal("0", parts[2]);
            Assert.True(int.Parse(parts[3]) > 0, "no KaTeX font loaded from the inlined data URIs");
            string text = parts[4];
            Assert.Contains("loss-curve: Training loss of the small CNN.", text);
            Assert.Contains("Accuracy of the small CNN.", text);
            Assert.DoesNotContain("$", text);
            Assert.DoesNotContain("\\sum", text);
            Assert.DoesNotContain("\\(", text);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
