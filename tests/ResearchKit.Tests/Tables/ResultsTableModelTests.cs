using ResearchKit.Tables;
using Xunit;

namespace ResearchKit.Tests.Tables;

public class ResultsTableModelTests
{
    [Fact]
    public void MeanStd_matches_a_reference_computation()
    {
        var rng = new Random(42);
        for (int n = 1; n <= 7; n++)
        {
            var xs = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 10 - 5).ToArray();
            double mean = xs.Sum() / n;
            double std = n == 1 ? 0 : Math.Sqrt(xs.Select(x => (x - mean) * (x - mean)).Sum() / (n - 1));
            var ms = MeanStd.FromSamples(xs);
            Assert.Equal(mean, ms.Mean, 12);
            Assert.Equal(std, ms.Std, 12);
            Assert.Equal(n, ms.Count);
        }
        Assert.Equal(new MeanStd(2, 1, 3), MeanStd.FromSamples([1.0, 2, 3]));
        Assert.True(double.IsNaN(MeanStd.FromSamples([1.0, double.NaN]).Std));
        Assert.Throws<ArgumentException>(() => MeanStd.FromSamples(Array.Empty<double>()));
    }

    [Fact]
    public void Pivot_groups_replicates_in_first_appearance_order()
    {
        var t = ResultsTable.Pivot(SampleTables.Runs(), r => r.Config, r => r.Sparsity, r => r.Accuracy, rowHeader: "Configuration");
        Assert.Equal(["Configuration", "50%", "90%"], t.Columns.Select(c => c.Header));
        Assert.Equal(3, t.RowCount);
        Assert.Equal("INT8 & pruned_{v2}", t[1, "Configuration"]);
        Assert.Equal(new MeanStd(92, 1, 3), t[0, "50%"]);
        var int8 = (MeanStd)t[1, "90%"]!;
        Assert.Equal(86, int8.Mean, 12);
        Assert.Equal(Math.Sqrt(0.5), int8.Std, 12);
        Assert.Equal(2, int8.Count);
        Assert.Null(t[2, "90%"]);

        var means = ResultsTable.Pivot(SampleTables.Runs(), r => r.Config, r => r.Sparsity, r => r.Accuracy, valueKind: ColumnKind.Number);
        Assert.Equal(86.0, means[1, "90%"]);
        Assert.Equal(" ", means.Columns[0].Header);
        Assert.Throws<ArgumentException>(() => ResultsTable.Pivot(SampleTables.Runs(), r => r.Config, r => r.Sparsity, r => r.Accuracy, valueKind: ColumnKind.Integer));
        Assert.Throws<ArgumentException>(() => ResultsTable.Pivot(SampleTables.Runs(), r => r.Config, r => r.Sparsity, r => r.Accuracy, rowHeader: "50%"));
    }

    [Fact]
    public void HighlightBest_ties_on_displayed_values_and_skips_missing_and_nan()
    {
        var t = new ResultsTable().AddTextColumn("c").AddNumberColumn("acc", 2).AddNumberColumn("loss", 1)
            .AddRow("a", 0.9012, 0.31)
            .AddRow("b", 0.9049, 0.34)   // prints 0.90 like a: tie
            .AddRow("c", 0.8, double.NaN)
            .AddRow("d", null, 0.26)     // loss prints 0.3 like a and b
            .AddRow("e", double.NaN, 0.36);
        Assert.Empty(t.BestRows("acc"));                         // not highlighted yet
        t.HighlightBest("acc").HighlightBest("loss", higherIsBetter: false);
        Assert.Equal([0, 1], t.BestRows("acc"));
        Assert.Equal([0, 1, 3], t.BestRows("loss"));
        Assert.Equal(2 * 5 + 1, t.ToMarkdown().Split("**").Length);   // five bold cells

        var strict = new ResultsTable().AddNumberColumn("v", 3).AddRow(0.9012).AddRow(0.9049).HighlightBest("v");
        Assert.Equal([1], strict.BestRows("v"));
        var none = new ResultsTable().AddNumberColumn("v").AddRow(double.NaN).AddRow((object?)null).HighlightBest("v");
        Assert.Empty(none.BestRows("v"));
        var ints = new ResultsTable().AddIntegerColumn("k").AddRow(3).AddRow(5).AddRow(5).HighlightBest("k");
        Assert.Equal([1, 2], ints.BestRows("k"));
        var pct = new ResultsTable().AddPercentColumn("p", 1).AddRow(0.9231).AddRow(0.92349).HighlightBest("p");
        Assert.Equal([0, 1], pct.BestRows("p"));   // both print 92.3%
        Assert.Throws<ArgumentException>(() => new ResultsTable().AddTextColumn("t").HighlightBest("t"));
    }

    [Fact]
    public void Thesis_difference_is_ours_minus_thesis_with_same_precision()
    {
        var t = new ResultsTable().AddTextColumn("c").AddMeanStdColumn("acc", 1).AddPercentColumn("p", 2)
            .AddRow("a", new MeanStd(91.26, 0.5, 3), 0.9)
            .AddRow("b", new MeanStd(88.0, 0.1, 3), 0.5)
            .AddRow("c", null, 0.1);
        t.AddThesisReference("acc", [90.0, 88.04, 70.0]);
        t.AddThesisReference("p", new Dictionary<string, double> { ["a"] = 0.95, ["c"] = 0.1 }, thesisHeader: "p paper", deltaHeader: "Δp");
        Assert.Equal(["c", "acc", "acc (thesis)", "Δ acc", "p", "p paper", "Δp"], t.Columns.Select(c => c.Header));
        Assert.Equal(ColumnRole.Difference, t.Columns[3].Role);
        Assert.Equal("acc", t.Columns[3].ComparedWith);
        Assert.Equal(ColumnKind.Number, t.Columns[2].Kind);
        Assert.Equal(ColumnKind.Percent, t.Columns[6].Kind);
        Assert.Equal(91.26 - 90.0, (double)t[0, "Δ acc"]!, 12);
        Assert.Null(t[2, "Δ acc"]);                 // ours missing
        Assert.Null(t[1, "Δp"]);                    // thesis missing for b
        Assert.Equal(0.0, t[2, "Δp"]);
        string md = t.ToMarkdown();
        Assert.Contains("| a | 91.3 ± 0.5 | 90.0 | +1.3 | 90.00% | 95.00% | -5.00% |", md);
        Assert.Contains("| b | 88.0 ± 0.1 | 88.0 | 0.0 |", md);   // -0.04 prints as an unsigned 0.0
        Assert.Contains("| c | — | 70.0 | — | 10.00% | 10.00% | 0.00% |", md);

        // Difference columns are computed, so AddRow skips them and SetCell refuses them.
        t.AddRow("d", new MeanStd(1, 0, 2), 80.0, 0.2, 0.3);
        Assert.Equal(-79.0, t[3, "Δ acc"]);
        var ex = Assert.Throws<ArgumentException>(() => t.SetCell(0, "Δ acc", 1.0));
        Assert.Contains("computed", ex.Message);
        t.SetCell(0, "acc (thesis)", 91.0);
        Assert.Equal(0.26, (double)t[0, "Δ acc"]!, 12);
        Assert.Throws<ArgumentException>(() => t.AddThesisReference("acc", [1.0, 2.0]));      // wrong count
        Assert.Throws<ArgumentException>(() => t.AddThesisReference("c", [1.0, 2, 3, 4]));    // text column
        Assert.Throws<ArgumentException>(() => t.AddThesisReference("acc", [1.0, 2, 3, 4]));  // duplicate header
    }

    [Fact]
    public void AddRow_validates_count_and_types()
    {
        var t = new ResultsTable().AddTextColumn("t").AddIntegerColumn("i").AddNumberColumn("x").AddMeanStdColumn("m");
        t.AddRow(12.5, 3, 2.5f, new[] { 1.0, 3.0 });
        Assert.Equal("12.5", t[0, "t"]);
        Assert.Equal(3L, t[0, "i"]);
        Assert.Equal(2.5, t[0, "x"]);
        Assert.Equal(new MeanStd(2, Math.Sqrt(2), 2), t[0, "m"]);
        t.AddRow("s", 1, 1, new float[] { 1f, 1f, 1f });
        Assert.Equal(new MeanStd(1, 0, 3), t[1, "m"]);
        t.AddRow("s", 1, 1, (0.5, 0.1));
        Assert.Equal(new MeanStd(0.5, 0.1), t[2, "m"]);
        var count = Assert.Throws<ArgumentException>(() => t.AddRow("only one"));
        Assert.Contains("got 1 values for 4 columns (t, i, x, m)", count.Message);
        var type = Assert.Throws<ArgumentException>(() => t.AddRow("a", 1.5, 1.0, 1.0));
        Assert.Contains("column 'i' (Integer) needs an integer", type.Message);
        Assert.Throws<ArgumentException>(() => t.AddRow("a", 1, "x", 1.0));
        Assert.Throws<ArgumentException>(() => t.AddColumn("t", ColumnKind.Number));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.AddColumn("y", ColumnKind.Number, 16));
        Assert.Throws<ArgumentException>(() => t[0, "nope"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => t[9, "t"]);
    }

    [Theory]
    [InlineData("table4-2", true)]
    [InlineData("fig_1.a", true)]
    [InlineData("-x", false)]
    [InlineData("a b", false)]
    [InlineData("a/b", false)]
    [InlineData("tab{1}", false)]
    [InlineData("", false)]
    public void Name_must_be_file_and_label_safe(string name, bool ok)
    {
        if (ok) Assert.Equal(name, new ResultsTable(name).Name);
        else Assert.Throws<ArgumentException>(() => new ResultsTable(name));
    }
}
