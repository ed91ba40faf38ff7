using Deedle;
using ResearchKit.Tables;

namespace ResearchKit.Tests.Tables;

/// <summary>The thesis-style table used by the golden and rendering tests, and a frame builder for small cases.</summary>
internal static class SampleTables
{
    internal sealed record Run(string Config, string Sparsity, int Seed, double Accuracy);

    /// <summary>Accuracy (%) per configuration and sparsity, three seeds each, with known means and stds.</summary>
    internal static List<Run> SeedRuns() =>
    [
        new("Dense FP32", "50%", 0, 91.0), new("Dense FP32", "50%", 1, 92.0), new("Dense FP32", "50%", 2, 93.0),
        new("Dense FP32", "90%", 0, 88.0), new("Dense FP32", "90%", 1, 88.0), new("Dense FP32", "90%", 2, 88.0),
        new("INT8 & pruned_{v2}", "50%", 0, 93.0), new("INT8 & pruned_{v2}", "50%", 1, 92.0), new("INT8 & pruned_{v2}", "50%", 2, 91.0),
        new("INT8 & pruned_{v2}", "90%", 0, 85.5), new("INT8 & pruned_{v2}", "90%", 1, 86.5),
        new("Binary #4 ~50$", "50%", 0, 80.25),
    ];

    /// <summary>Pivot of <see cref="SeedRuns"/> with highlight, thesis column, caption and footnote.</summary>
    internal static ResultsTable Thesis()
    {
        var pivot = Frame.FromRecords(SeedRuns()).PivotSummary("Config", "Sparsity", "Accuracy");
        var t = ResultsTable.From(pivot, "table4-2", "Clean accuracy (%) vs. sparsity; 3 seeds", rowHeader: "Configuration");
        t.HighlightBest("50%").HighlightBest("90%");
        t.AddThesisReference("90%", new Dictionary<string, double> { ["Dense FP32"] = 88.5, ["INT8 & pruned_{v2}"] = 86.25 }, thesisHeader: "Thesis 90%");
        t.AddFootnote("Preset quick; the thesis used paper (100% of the data).");
        return t;
    }

    /// <summary>A frame with ordinal row keys and untyped columns (null = missing), for small rendering cases.</summary>
    internal static Frame<int, string> FrameOf(params (string Header, object?[] Values)[] columns)
    {
        int rows = columns.Length == 0 ? 0 : columns.Max(c => c.Values.Length);
        var frame = Deedle.Frame.FromRowKeys(Enumerable.Range(0, rows));
        foreach (var (header, values) in columns)
            frame.AddColumn(header, values.Select((v, i) => (v, i)).Where(x => x.v is not null)
                .Select(x => KeyValuePair.Create(x.i, x.v!)).ToSeries());
        return frame;
    }
}
