using ResearchKit.Tables;
using Xunit;

namespace ResearchKit.Tests.Tables;

public class ResultsTableRenderTests
{
    private static ResultsTable Nasty() => ResultsTable.From(SampleTables.FrameOf(
            ("name|<x>", ["a|b *c* _d_ `e` [f](g) <script>alert('x')</script> $1$", "line1\nline2"]),
            ("v*", [1.0, 2.0])), caption: "<b>cap</b> & \"q\"")
        .AddFootnote("note <i>&</i> | *");

    [Fact]
    public void Markdown_escapes_pipes_emphasis_html_and_math()
    {
        string md = Nasty().ToMarkdown();
        Assert.Contains(@"| name\|\<x\> | v\* |", md);
        Assert.Contains(@"| :--- | ---: |", md);
        Assert.Contains(@"a\|b \*c\* \_d\_ \`e\` \[f\](g) \<script\>alert('x')\</script\> \$1\$", md);
        Assert.Contains("| line1<br>line2 | 2.00 |", md);
        Assert.Contains(@"note \<i\>&\</i\> \| \*", md);
        // Each table line has exactly columns + 1 unescaped pipes.
        foreach (var line in md.Split('\n').Where(l => l.StartsWith('|')))
            Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(line, @"(?<!\\)\|").Count);
    }

    [Fact]
    public void Html_escapes_text_and_is_self_contained()
    {
        string html = Nasty().ToHtml();
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html);
        Assert.Contains("<caption>&lt;b&gt;cap&lt;/b&gt; &amp; &quot;q&quot;</caption>", html);
        Assert.Contains("<th class=\"rk-text\">name|&lt;x&gt;</th>", html);
        Assert.Contains("line1<br>line2", html);
        Assert.Contains("<style>", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("<script", html);
        Assert.Equal(3, CountOf(html, "<tr>"));
        Assert.Equal(4, CountOf(html, "<td"));
    }

    [Fact]
    public void Html_marks_best_thesis_and_signed_differences()
    {
        string html = SampleTables.Thesis().ToHtml();
        Assert.Equal(3, CountOf(html, "<strong>"));
        Assert.Contains("<td class=\"rk-num rk-best\"><strong>88.00 ± 0.00</strong></td>", html);
        Assert.Contains("<td class=\"rk-num rk-thesis\">88.50</td><td class=\"rk-num rk-neg\">-0.50</td>", html);
        Assert.Contains("id=\"table4-2\"", html);
    }

    [Fact]
    public void Plain_text_is_aligned()
    {
        string text = SampleTables.Thesis().ToText();
        var lines = text.Split('\n');
        Assert.Equal("table4-2: Clean accuracy (%) vs. sparsity; 3 seeds", lines[0]);
        // Header, rule and rows: numeric columns end at the same position.
        int end = lines[1].Length;
        Assert.Equal(end, lines[2].Length);
        Assert.Equal(end, lines[3].Length);
        Assert.Equal(end, lines[4].Length);
        Assert.EndsWith("-0.50", lines[3]);
        Assert.StartsWith("Configuration ", lines[1]);
        Assert.Contains("Preset quick", text);
    }

    [Fact]
    public void Mime_bundle_has_plain_html_markdown_and_export_formats()
    {
        var t = SampleTables.Thesis();
        var bundle = t.ToMimeBundle();
        Assert.Equal(t.ToText(), bundle["text/plain"]);
        Assert.Equal(t.ToHtml(), bundle["text/html"]);
        Assert.Equal(t.ToMarkdown(), bundle["text/markdown"]);
        Assert.Equal(t.ToLatex(), bundle["text/latex"]);
        Assert.Equal(t.ToCsv(), bundle["text/csv"]);
        Assert.Equal(t.ToText(), t.ToString());
    }

    [Theory]
    [InlineData(0.005, 2, false, "0.01")]     // exact binary value 0.005000000000000000104 rounds up
    [InlineData(-0.001, 2, false, "0.00")]    // no "-0.00"
    [InlineData(-0.001, 2, true, "0.00")]     // a zero difference is unsigned
    [InlineData(0.25, 1, true, "+0.2")]       // round half to even at the exact binary value
    [InlineData(-1.5, 0, true, "-2")]
    [InlineData(double.NaN, 2, false, "NaN")]
    [InlineData(double.PositiveInfinity, 2, true, "+Inf")]
    [InlineData(double.NegativeInfinity, 2, false, "-Inf")]
    public void Numbers_format_with_fixed_precision(double v, int precision, bool signed, string expected)
    {
        Assert.Equal(expected, ResultsTable.FormatNumber(v, precision, signed, ResultsTable.Flavor.Plain));
    }

    private static int CountOf(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
