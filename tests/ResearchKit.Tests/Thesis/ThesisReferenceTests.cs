using ResearchKit.Thesis;
using Xunit;

namespace ResearchKit.Tests.Thesis;

/// <summary>
/// The chapter-4 numbers kept in the project are complete (every cell the notebook compares against is a number) and
/// consistent with each other the way the thesis is (the same dense score across tables, parameter counts that add up),
/// which catches transcription slips; lookups that miss say what exists.
/// </summary>
public class ThesisReferenceTests
{
    private static readonly ThesisReference Thesis = ThesisReference.Chapter4;

    [Fact]
    public void Chapter4_HasTables42To48_WithANumberInEveryResultCell()
    {
        Assert.Equal(["4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8"], Thesis.Tables.Select(t => t.Id));
        foreach (var t in Thesis.Tables)
        {
            // Every column except the row-label one holds a number in every row (Tables 4.3/4.6/4.8 label rows by sparsity).
            var numeric = t.Columns.Where(c => c is not ("Model" or "Layer") && (c != "Sparsity (%)" || t.Id == "4.4")).ToList();
            foreach (var row in t.Rows)
                foreach (var c in numeric)
                    Assert.True(row.Values.ContainsKey(c), $"{t.Citation}: row '{row.Label}' has no number in column '{c}'");
        }
        Assert.Equal(7, Thesis.Table("4.3").Rows.Count);
        Assert.Equal(["0", "30", "50", "70", "80", "90", "95"], Thesis.Table("4.8").Rows.Select(r => r.Label));
    }

    [Fact]
    public void DenseScores_AgreeAcrossTables()
    {
        double plain = Thesis.Value("4.5", "LSTM trained without sub-sampling", "Top-1 Accuracy");
        double sub = Thesis.Value("4.5", "LSTM trained with sub-sampling", "Top-1 Accuracy");
        foreach (var c in new[] { "Rand_init", "WT", "WT_1200", "WT_30k", "IMP" }) Assert.Equal(plain, Thesis.Value("4.3", "0", c));
        foreach (var c in new[] { "Rand_init", "WT", "WT_13.2k", "IMP" }) Assert.Equal(sub, Thesis.Value("4.6", "0", c));
        Assert.Equal(plain, Thesis.Value("4.2", "LSTM (Ours)", "Top-1 Accuracy"), 1);   // printed with one decimal there
        Assert.Equal(Thesis.Value("4.7", "LSTM (Ours)", "Perplexity Test"), Thesis.Value("4.8", "0", "WT Test"));
        Assert.Equal(Thesis.Claim("wikitext2.dense_test_ppl").Value, Thesis.Value("4.8", "0", "WT Test"));
        Assert.Equal(Thesis.Claim("table4.4.accuracy").Value, Thesis.Value("4.3", "80", "WT_30k"));
    }

    [Fact]
    public void ParameterCounts_AddUp()
    {
        var t44 = Thesis.Table("4.4");
        double total = t44.Rows.Sum(r => r.Values["Params"]);
        Assert.Equal(Thesis.Protocol("seqmnist.parameters").AsInt64(), (long)total);
        // Table 4.4's per-group sparsities weigh up to its stated 80 % total.
        double pruned = t44.Rows.Sum(r => r.Values["Params"] * r.Values["Sparsity (%)"] / 100);
        Assert.Equal(Thesis.Claim("table4.4.total_sparsity").Value, 100 * pruned / total, 0);
        // "Params (k)" of Tables 4.3 and 4.6 is the dense count times (1 − p), rounded as printed.
        foreach (var id in new[] { "4.3", "4.6" })
            foreach (var row in Thesis.Table(id).Rows)
            {
                double expected = total / 1000 * (1 - double.Parse(row.Label, System.Globalization.CultureInfo.InvariantCulture) / 100);
                Assert.InRange(row.Values["Params (k)"], expected - 0.6, expected + 0.6);
            }
    }

    [Fact]
    public void ProtocolValues_ParseAsTheirTypes_AndCiteASection()
    {
        Assert.Equal(120_000, Thesis.Protocol("seqmnist.tickets.iterations").AsInt64());
        Assert.Equal([0.3, 0.5, 0.7, 0.8, 0.9, 0.95], Thesis.Protocol("tickets.objectives").AsDoubles());
        Assert.Equal("rmsprop", Thesis.Protocol("seqmnist.optimizer").AsString());
        Assert.False(Thesis.Protocol("seqmnist.subsampled.tickets.subsample_retraining.IMP").AsBool());
        Assert.All(Thesis.ProtocolValues, p => Assert.Matches(@"§\d|Table \d|Eq\. \d|Algorithm \d", p.Section));
        var e = Assert.Throws<InvalidOperationException>(() => Thesis.Protocol("seqmnist.optimizer").AsDouble());
        Assert.Contains("not a number", e.Message);
    }

    [Fact]
    public void Misses_NameWhatExists()
    {
        Assert.Contains("4.3", Assert.Throws<KeyNotFoundException>(() => Thesis.Table("4.9")).Message);
        Assert.Contains("'80'", Assert.Throws<KeyNotFoundException>(() => Thesis.Value("4.3", "85", "WT")).Message);
        Assert.Contains("WT_30k", Assert.Throws<KeyNotFoundException>(() => Thesis.Value("4.3", "80", "WT_3k")).Message);
        Assert.Contains("seqmnist.tickets.t_save.WT_30k", Assert.Throws<KeyNotFoundException>(() => Thesis.Protocol("seqmnist.t_save")).Message);
    }

    [Fact]
    public void MalformedFile_IsAClearDataError()
    {
        var e = Assert.Throws<InvalidDataException>(() => ThesisReference.Parse("{\"source\": \"x\", \"tables\": [{}]}", "broken.json"));
        Assert.Contains("broken.json", e.Message);
    }
}
