using System.Text.RegularExpressions;
using ResearchKit.Tables;
using Xunit;

namespace ResearchKit.Tests.Tables;

public class ResultsTableLatexTests
{
    private static string Golden(string file) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Tables", "golden", file)).Replace("\r\n", "\n");

    [Fact]
    public void Thesis_table_matches_the_golden_file()
    {
        string actual = SampleTables.Thesis().ToLatex();
        Assert.Equal(Golden("table4-2.tex"), actual);
    }

    [Fact]
    public void Environments_are_balanced_and_in_booktabs_order()
    {
        string tex = SampleTables.Thesis().ToLatex();
        var stack = new Stack<string>();
        foreach (Match m in Regex.Matches(tex, @"\\(begin|end)\{([^}]*)\}"))
        {
            if (m.Groups[1].Value == "begin") stack.Push(m.Groups[2].Value);
            else Assert.Equal(stack.Pop(), m.Groups[2].Value);
        }
        Assert.Empty(stack);
        string[] order = [@"\begin{table}", @"\centering", @"\begin{tabular}", @"\toprule", @"\midrule", @"\bottomrule",
                          @"\end{tabular}", @"\caption{", @"\label{tab:table4-2}", @"\end{table}"];
        int at = -1;
        foreach (var token in order)
        {
            int next = tex.IndexOf(token, at + 1, StringComparison.Ordinal);
            Assert.True(next > at, $"'{token}' missing or out of order");
            at = next;
        }
        // Braces balance once escaped braces are removed.
        string stripped = tex.Replace(@"\{", "").Replace(@"\}", "");
        Assert.Equal(stripped.Count(c => c == '{'), stripped.Count(c => c == '}'));
    }

    [Fact]
    public void Every_row_has_as_many_cells_as_the_tabular_spec_has_columns()
    {
        var t = SampleTables.Thesis();
        string tex = t.ToLatex();
        string spec = Regex.Match(tex, @"\\begin\{tabular\}\{([lrc]+)\}").Groups[1].Value;
        Assert.Equal("lrrrr", spec);
        var lines = tex.Split('\n').Where(l => l.TrimEnd().EndsWith(@"\\", StringComparison.Ordinal)).ToList();
        Assert.Equal(t.RowCount + 1, lines.Count);
        foreach (var line in lines)
        {
            // Unescaped '&' separate cells; escaped ones (\&) are text.
            int cells = Regex.Matches(line, @"(?<!\\)&").Count + 1;
            Assert.Equal(spec.Length, cells);
        }
    }

    [Theory]
    [InlineData("a & b", @"a \& b")]
    [InlineData("50%", @"50\%")]
    [InlineData("$5", @"\$5")]
    [InlineData("#1", @"\#1")]
    [InlineData("x_y", @"x\_y")]
    [InlineData("{z}", @"\{z\}")]
    [InlineData("~", @"\textasciitilde{}")]
    [InlineData("^", @"\textasciicircum{}")]
    [InlineData(@"C:\dir", @"C:\textbackslash{}dir")]
    [InlineData("Δ ±ε", @"$\Delta$ $\pm$$\varepsilon$")]
    [InlineData("two\nlines", "two lines")]
    public void Text_is_latex_escaped(string text, string expected)
    {
        var t = ResultsTable.From(SampleTables.FrameOf((text, [text])));
        string tex = t.ToLatex();
        Assert.Contains($"    {expected} \\\\\n    \\midrule", tex);   // header
        Assert.Contains($"    {expected} \\\\\n    \\bottomrule", tex); // body cell
    }

    [Fact]
    public void Numbers_use_math_minus_percent_pm_and_bold()
    {
        // Replicates with mean 0.5, std 0.25 and mean 0.25, std 0.5.
        var t = ResultsTable.From(SampleTables.FrameOf(
                ("m", ["a", "b"]), ("n", [-1.25, 2.0]), ("p", [0.5, 0.25]),
                ("s", [SampleSummary.Of([0.25, 0.5, 0.75]), SampleSummary.Of([-0.25, 0.25, 0.75])]), ("i", [-3L, 4L])))
            .Decimals("n", 1).Percent("p", 1)
            .HighlightBest("n").HighlightBest("s", higherIsBetter: false);
        string tex = t.ToLatex();
        Assert.Contains(@"a & $-$1.2 & 50.0\% & 0.50 $\pm$ 0.25 & $-$3 \\", tex);
        Assert.Contains(@"b & \textbf{2.0} & 25.0\% & \textbf{0.25 $\pm$ 0.50} & 4 \\", tex);
        Assert.DoesNotContain("±", tex);
    }

    [Fact]
    public void Without_name_or_caption_there_is_no_label_or_caption()
    {
        string tex = ResultsTable.From(SampleTables.FrameOf(("a", ["x"]))).ToLatex();
        Assert.DoesNotContain(@"\label", tex);
        Assert.DoesNotContain(@"\caption", tex);
        Assert.Contains(@"\begin{tabular}{l}", tex);
    }
}
