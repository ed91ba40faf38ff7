using System.Globalization;
using Deedle;
using ResearchKit.Tables;
using Xunit;

namespace ResearchKit.Tests.Tables;

public class ResultsTableFrameTests
{
    [Fact]
    public void PivotSummary_groups_seeds_in_first_appearance_order()
    {
        var pivot = Deedle.Frame.FromRecords(SampleTables.SeedRuns()).PivotSummary("Config", "Sparsity", "Accuracy");
        Assert.Equal(["Dense FP32", "INT8 & pruned_{v2}", "Binary #4 ~50$"], pivot.RowKeys);
        Assert.Equal(["50%", "90%"], pivot.ColumnKeys);
        var dense = pivot.GetColumn<SampleSummary>("50%").Get("Dense FP32");
        Assert.Equal((92.0, 1.0, 3), (dense.Mean, dense.StandardDeviation, dense.Count));
        var int8 = pivot.GetColumn<SampleSummary>("90%").Get("INT8 & pruned_{v2}");
        Assert.Equal(86, int8.Mean, 12);
        Assert.Equal(Math.Sqrt(0.5), int8.StandardDeviation, 12);
        Assert.False(pivot.GetColumn<SampleSummary>("90%").TryGet("Binary #4 ~50$").HasValue);

        var t = ResultsTable.From(pivot, rowHeader: "Configuration");
        Assert.Equal(["Configuration", "50%", "90%"], t.Columns.Select(c => c.Header));
        Assert.Equal([ColumnKind.Text, ColumnKind.MeanStd, ColumnKind.MeanStd], t.Columns.Select(c => c.Kind));
        Assert.Equal("INT8 & pruned_{v2}", t[1, "Configuration"]);
        Assert.Null(t[2, "90%"]);
    }

    [Fact]
    public void PivotSummary_and_SummarizeBy_name_missing_columns()
    {
        var runs = Deedle.Frame.FromRecords(SampleTables.SeedRuns());
        var ex = Assert.Throws<ArgumentException>(() => runs.PivotSummary("Config", "Sparsity", "accuracy"));
        Assert.Contains("no column 'accuracy'", ex.Message);
        Assert.Contains("Config, Sparsity, Seed, Accuracy", ex.Message);
        Assert.Throws<ArgumentException>(() => runs.SummarizeBy("Config"));
        var text = Assert.Throws<ArgumentException>(() => runs.SummarizeBy("Sparsity", "Config"));
        Assert.Contains("column 'Config' holds String values", text.Message);
    }

    [Fact]
    public void SummarizeBy_summarizes_each_value_column_per_group()
    {
        var runs = Deedle.Frame.FromRecords(SampleTables.SeedRuns());
        var byConfig = runs.SummarizeBy("Config", "Accuracy", "Seed");
        Assert.Equal(["Dense FP32", "INT8 & pruned_{v2}", "Binary #4 ~50$"], byConfig.RowKeys);
        var acc = byConfig.GetColumn<SampleSummary>("Accuracy");
        Assert.Equal(6, acc.Get("Dense FP32").Count);
        Assert.Equal(90.0, acc.Get("Dense FP32").Mean, 12);
        Assert.Equal(1, acc.Get("Binary #4 ~50$").Count);
        Assert.Equal(1.0, byConfig.GetColumn<SampleSummary>("Seed").Get("Dense FP32").Mean, 12);
    }

    [Fact]
    public void Cell_kinds_follow_the_frame_column_types()
    {
        var records = new[] { new { Name = "a", Epochs = 3, Loss = 0.25, Ok = true }, new { Name = "b", Epochs = 5, Loss = double.NaN, Ok = false } };
        var t = ResultsTable.From(Deedle.Frame.FromRecords(records));
        Assert.Equal([ColumnKind.Text, ColumnKind.Integer, ColumnKind.Number, ColumnKind.Text], t.Columns.Select(c => c.Kind));
        Assert.Equal(3L, t[0, "Epochs"]);
        Assert.Null(t[1, "Loss"]);          // Deedle reads NaN in a double column as missing
        Assert.Equal("false", t[1, "Ok"]);
        Assert.Contains("| b | 5 | — | false |", t.ToMarkdown());

        // Untyped columns take the kind their values share; ints in a double column become doubles.
        var mixed = ResultsTable.From(SampleTables.FrameOf(("x", [1, 2.5]), ("thesis", [null, null]), ("t", ["s", 1])));
        Assert.Equal([ColumnKind.Number, ColumnKind.Number, ColumnKind.Text], mixed.Columns.Select(c => c.Kind));
        Assert.Equal(1.0, mixed[0, "x"]);
        Assert.Equal("1", mixed[1, "t"]);
    }

    [Fact]
    public void Row_keys_show_only_with_a_row_header()
    {
        var frame = SampleTables.FrameOf(("v", [1.0, 2.0])).IndexRowsWith(new[] { "first", "second" });
        Assert.Equal(["v"], ResultsTable.From(frame).Columns.Select(c => c.Header));
        var shown = ResultsTable.From(frame, rowHeader: "Run");
        Assert.Equal("second", shown[1, "Run"]);
        var clash = Assert.Throws<ArgumentException>(() => ResultsTable.From(frame, rowHeader: "v"));
        Assert.Contains("also a column", clash.Message);
    }

    [Fact]
    public void Decimals_and_Percent_set_the_display_format()
    {
        var t = ResultsTable.From(SampleTables.FrameOf(("n", [1L]), ("x", [0.12345]), ("p", [0.9234])))
            .Decimals("x", 3).Percent("p", 1);
        Assert.Contains("| 1 | 0.123 | 92.3% |", t.ToMarkdown());
        Assert.Contains("n,x,p", t.ToCsv());
        Assert.Contains("1,0.12345,0.9234", t.ToCsv());    // CSV keeps full precision and the fraction
        Assert.Throws<ArgumentException>(() => t.Decimals("n", 2));
        Assert.Throws<ArgumentException>(() => t.Percent("n"));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Decimals("x", 16));
        var unknown = Assert.Throws<ArgumentException>(() => t.Decimals("nope", 1));
        Assert.Contains("the columns are: n, x, p", unknown.Message);
    }

    [Fact]
    public void HighlightBest_ties_on_displayed_values_and_skips_missing_and_nan()
    {
        var t = ResultsTable.From(SampleTables.FrameOf(
                ("c", ["a", "b", "c", "d", "e"]),
                ("acc", [0.9012, 0.9049, 0.8, null, double.NaN]),   // b prints 0.90 like a: tie
                ("loss", [0.31, 0.34, double.NaN, 0.26, 0.36])))    // d prints 0.3 like a and b
            .Decimals("loss", 1);
        Assert.Empty(t.BestRows("acc"));                         // not highlighted yet
        t.HighlightBest("acc").HighlightBest("loss", higherIsBetter: false);
        Assert.Equal([0, 1], t.BestRows("acc"));
        Assert.Equal([0, 1, 3], t.BestRows("loss"));
        Assert.Equal(2 * 5 + 1, t.ToMarkdown().Split("**").Length);   // five bold cells

        var ints = ResultsTable.From(SampleTables.FrameOf(("k", [3, 5, 5]))).HighlightBest("k");
        Assert.Equal([1, 2], ints.BestRows("k"));
        var pct = ResultsTable.From(SampleTables.FrameOf(("p", [0.9231, 0.92349]))).Percent("p", 1).HighlightBest("p");
        Assert.Equal([0, 1], pct.BestRows("p"));   // both print 92.3%
        Assert.Throws<ArgumentException>(() => ResultsTable.From(SampleTables.FrameOf(("t", ["x"]))).HighlightBest("t"));
    }

    [Fact]
    public void Thesis_from_a_column_the_row_lookup_or_labels_with_signed_difference()
    {
        var frame = SampleTables.FrameOf(
            ("c", ["a", "b", "c"]),
            ("acc", [SampleSummary.Of([91.0, 91.5, 91.28]), SampleSummary.Of([88.0, 88.1]), null]),
            ("paper", [90.0, 88.04, 70.0]),
            ("p", [0.9, 0.5, 0.1]));
        var t = ResultsTable.From(frame).Decimals("acc", 1).Percent("p", 2);
        t.AddThesisReference("acc", "paper");
        t.AddThesisReference("p", row => row.GetAs<string>("c") switch { "a" => 0.95, "c" => 0.1, _ => null }, thesisHeader: "p paper", deltaHeader: "Δp");
        Assert.Equal(["c", "acc", "paper", "Δ acc", "p", "p paper", "Δp"], t.Columns.Select(c => c.Header));
        Assert.Equal(ColumnRole.ThesisReference, t.Columns[2].Role);
        Assert.Equal(ColumnRole.Difference, t.Columns[3].Role);
        Assert.Equal("acc", t.Columns[3].ComparedWith);
        Assert.Equal(ColumnKind.Number, t.Columns[2].Kind);
        Assert.Equal(ColumnKind.Percent, t.Columns[6].Kind);
        Assert.Equal(91.26 - 90.0, (double)t[0, "Δ acc"]!, 12);
        Assert.Null(t[2, "Δ acc"]);                 // ours missing
        Assert.Null(t[1, "Δp"]);                    // thesis missing for b
        Assert.Equal(0.0, t[2, "Δp"]);
        string md = t.ToMarkdown();
        Assert.Contains("| a | 91.3 ± 0.3 | 90.0 | +1.3 | 90.00% | 95.00% | -5.00% |", md);
        Assert.Contains("| b | 88.0 ± 0.1 | 88.0 | 0.0 |", md);   // 88.05 − 88.04 prints as an unsigned 0.0
        Assert.Contains("| c | — | 70.0 | — | 10.00% | 10.00% | 0.00% |", md);

        var byLabel = ResultsTable.From(frame).AddThesisReference("p", new Dictionary<string, double> { ["b"] = 0.4 });
        Assert.Equal(0.1, (double)byLabel[1, "Δ p"]!, 12);
        Assert.Null(byLabel[0, "p (thesis)"]);

        Assert.Throws<ArgumentException>(() => t.AddThesisReference("c", "paper"));                 // text column
        Assert.Throws<ArgumentException>(() => ResultsTable.From(frame).AddThesisReference("acc", "c"));   // text thesis
        var dup = Assert.Throws<ArgumentException>(() => t.AddThesisReference("p", _ => 1.0, thesisHeader: "paper"));
        Assert.Contains("already exists", dup.Message);
        var noLabels = Assert.Throws<ArgumentException>(() =>
            ResultsTable.From(SampleTables.FrameOf(("x", [1.0]))).AddThesisReference("x", new Dictionary<string, double>()));
        Assert.Contains("no text column", noLabels.Message);
    }

    [Fact]
    public void Welch_test_compares_two_rows_over_seeds_in_a_footnote()
    {
        var t = ResultsTable.From(Deedle.Frame.FromRecords(SampleTables.SeedRuns()).PivotSummary("Config", "Sparsity", "Accuracy"), rowHeader: "Configuration");
        var w = t.AddWelchTest("90%", "Dense FP32", "INT8 & pruned_{v2}");
        // Dense 90% has no variance, INT8 has s² = 0.5 over 2 seeds: t = 2 / √0.25 = 4, df = 1.
        Assert.Equal(4.0, w.T, 12);
        Assert.Equal(1.0, w.DegreesOfFreedom, 12);
        Assert.Equal(0.15595826075, w.PValue, 9);   // 2·(1 − F₁(4)) = 1 − 2·atan(4)/π
        Assert.Contains("90%, Dense FP32 vs INT8 & pruned_{v2}: Welch's t-test (two-sided), t = 4.000, df = 1.0, p = 0.156; 3 and 2 seeds", t.Footnotes[^1]);
        Assert.Contains("n − 1", t.Footnotes[^1]);

        Assert.Contains("no row labelled 'nope'", Assert.Throws<ArgumentException>(() => t.AddWelchTest("50%", "nope", "Dense FP32")).Message);
        Assert.Contains("at least two replicates", Assert.Throws<ArgumentException>(() => t.AddWelchTest("50%", "Dense FP32", "Binary #4 ~50$")).Message);
        Assert.Contains("has no value", Assert.Throws<ArgumentException>(() => t.AddWelchTest("90%", "Dense FP32", "Binary #4 ~50$")).Message);
        Assert.Contains("Configuration", Assert.Throws<ArgumentException>(() => t.AddWelchTest("Configuration", "a", "b")).Message);
    }

    [Fact]
    public void Csv_is_written_by_deedle_and_reads_back_with_ReadCsv()
    {
        var t = SampleTables.Thesis();
        string csv = t.ToCsv();
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("Configuration,50%_mean,50%_std,90%_mean,90%_std,\"Thesis 90%\",\"Δ 90%\"", lines[0]);   // Deedle quotes headers with spaces
        Assert.Equal("\"Dense FP32\",92,1,88,0,88.5,-0.5", lines[1]);
        Assert.Equal("\"INT8 & pruned_{v2}\",92,1,86,0.7071067811865476,86.25,-0.25", lines[2]);
        Assert.Equal("\"Binary #4 ~50$\",80.25,,,,,", lines[3]);   // one seed: no std; missing cells are empty

        var back = Deedle.Frame.ReadCsv(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)), culture: "");
        Assert.Equal(0.7071067811865476, back.GetColumn<double>("90%_std").Get(1), 15);
        Assert.Equal(-0.5, back.GetColumn<double>("Δ 90%").Get(0), 15);
        Assert.Equal(t.RowCount, back.RowCount);
        Assert.Equal("INT8 & pruned_{v2}", back.GetColumn<string>("Configuration").Get(1));
    }

    [Fact]
    public void Csv_quotes_text_that_needs_it()
    {
        var t = ResultsTable.From(SampleTables.FrameOf(("name, with comma", ["plain", "comma, \"quoted\""]), ("x", [1.0 / 3, -0.0])));
        string csv = t.ToCsv();
        Assert.StartsWith("\"name, with comma\",x", csv);
        Assert.Contains("\"comma, \"\"quoted\"\"\"", csv);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"plain,{1.0 / 3:R}"), csv);
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
        var frame = SampleTables.FrameOf(("a", ["x"]));
        if (ok) Assert.Equal(name, ResultsTable.From(frame, name).Name);
        else Assert.Throws<ArgumentException>(() => ResultsTable.From(frame, name));
    }
}
