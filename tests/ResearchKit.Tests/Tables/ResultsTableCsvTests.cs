using ResearchKit.Tables;
using Xunit;

namespace ResearchKit.Tests.Tables;

public class ResultsTableCsvTests
{
    private static ResultsTable Tricky() => new ResultsTable("csv-test")
        .AddTextColumn("name, with comma").AddIntegerColumn("n").AddNumberColumn("x", 3)
        .AddMeanStdColumn("acc").AddPercentColumn("p")
        .AddRow("plain", 1L, 0.1, new MeanStd(0.9, 0.01, 3), 0.5)
        .AddRow("comma, \"quoted\"\r\nnew line", -7L, double.NaN, new MeanStd(-0.0, double.NaN), -0.0)
        .AddRow("", long.MinValue, -0.0, null, double.PositiveInfinity)
        .AddRow(null, null, null, new MeanStd(1e-300, 1e300), double.NegativeInfinity)
        .AddRow("123", long.MaxValue, 1.0, new MeanStd(2, 0), 1.0 / 3)
        .AddRow(" padded ", 0L, 5e-324, new MeanStd(0.1 + 0.2, 0.3), double.Epsilon);

    [Fact]
    public void Csv_uses_rfc4180_quoting_crlf_and_raw_numbers()
    {
        string csv = Tricky().ToCsv();
        var lines = csv.Split("\r\n");
        Assert.Equal("\"name, with comma\",n,x,acc_mean,acc_std,p", lines[0]);
        Assert.Equal("plain,1,0.1,0.9,0.01,0.5", lines[1]);
        Assert.Contains("\r\n\"comma, \"\"quoted\"\"\r\nnew line\",-7,NaN,-0.0,NaN,-0.0\r\n", csv);
        Assert.Contains("\r\n\"\",-9223372036854775808,-0.0,,,Infinity\r\n", csv);
        Assert.Contains("\r\n,,,1E-300,1E+300,-Infinity\r\n", csv);
        Assert.Contains("\r\n\"123\",9223372036854775807,1.0,2.0,0.0,0.3333333333333333\r\n", csv);
        Assert.Contains("\r\n\" padded \",0,5E-324,0.30000000000000004,0.3,5E-324\r\n", csv);
        Assert.EndsWith("\r\n", csv);
    }

    [Fact]
    public void Csv_round_trips_values_exactly()
    {
        var original = Tricky();
        var back = ResultsTable.FromCsv(original.ToCsv());
        Assert.Equal(original.ToCsv(), back.ToCsv());
        // Without a schema a percent column reads back as its raw fraction (a number).
        Assert.Equal(original.Columns.Select(c => (c.Header, c.Kind == ColumnKind.Percent ? ColumnKind.Number : c.Kind)), back.Columns.Select(c => (c.Header, c.Kind)));
        Assert.Equal(original.RowCount, back.RowCount);
        for (int r = 0; r < original.RowCount; r++)
            foreach (var col in original.Columns)
            {
                object? a = original[r, col.Header], b = back[r, col.Header];
                if (a is MeanStd ma) a = (ma.Mean, ma.Std);
                if (b is MeanStd mb) b = (mb.Mean, mb.Std);
                Assert.Equal(a, b);   // object.Equals: NaN equals NaN, -0.0 checked below
            }
        Assert.True(double.IsNegative((double)back[1, "p"]!));
        Assert.True(double.IsNegative(((MeanStd)back[1, "acc"]!).Mean));
        Assert.True(double.IsNegative((double)back[2, "x"]!));
        Assert.Equal("", back[2, "name, with comma"]);   // quoted empty text stays text
        Assert.Null(back[3, "name, with comma"]);          // empty field is missing
        Assert.Equal("123", back[4, "name, with comma"]);  // quoted digits stay text
    }

    [Fact]
    public void Schema_restores_formats_and_highlighting()
    {
        var t = SampleTables.Thesis();
        var back = ResultsTable.FromCsv(t.ToCsv(), schema: t);
        Assert.Equal("table4-2", back.Name);
        Assert.Equal(t.Caption, back.Caption);
        Assert.Equal(t.Footnotes, back.Footnotes);
        Assert.Equal(ColumnKind.MeanStd, back.Columns[1].Kind);
        Assert.True(back.Columns[1].HigherIsBetter);
        Assert.Equal(t.ToCsv(), back.ToCsv());
        // Δ comes back as a stored number column: same CSV, but no longer computed.
        Assert.Equal(ColumnRole.Value, back.Columns[^1].Role);
        Assert.Equal(-0.5, back.GetNumber(0, "Δ 90%"));
    }

    [Fact]
    public void Parser_accepts_lf_and_missing_final_newline()
    {
        var t = ResultsTable.FromCsv("a,b\n1,x\n2,\"y\"\"z\"");
        Assert.Equal(ColumnKind.Integer, t.Columns[0].Kind);
        Assert.Equal(ColumnKind.Text, t.Columns[1].Kind);
        Assert.Equal(2L, t[1, "a"]);
        Assert.Equal("y\"z", t[1, "b"]);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a,b\r\n1\r\n", "record 2 has 1 fields")]
    [InlineData("a\r\n\"open\r\n", "never closed")]
    [InlineData("a\r\n\"x\"y\r\n", "after a closing quote")]
    [InlineData("a\r\nx\"y\r\n", "inside an unquoted field")]
    public void Malformed_csv_is_rejected_with_a_clear_message(string csv, string fragment)
    {
        var ex = Assert.Throws<FormatException>(() => ResultsTable.FromCsv(csv));
        Assert.Contains(fragment, ex.Message);
    }

    [Fact]
    public void Schema_type_mismatch_is_rejected()
    {
        var schema = new ResultsTable().AddIntegerColumn("n");
        var ex = Assert.Throws<FormatException>(() => ResultsTable.FromCsv("n\r\n1.5\r\n", schema));
        Assert.Contains("'1.5' is not an integer", ex.Message);
    }
}
