using System.Text.Json;
using ResearchKit.Thesis;
using Xunit;

namespace ResearchKit.Tests.Thesis;

/// <summary>
/// The chapter-6 numbers kept in the project (<c>data/thesis/chapter6.json</c>, with App. A's Table A.1) against the
/// reference extraction (a copy of its chapter-6 entries, <c>Thesis/reference_ch6.json</c> in the test project): every number
/// of every row, by table, row and column.
/// </summary>
public class ThesisReferenceChapter6Tests
{
    private static readonly ThesisReference Thesis = ThesisReference.Chapter6;

    [Fact]
    public void EveryNumber_MatchesTheReferenceExtraction()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Thesis", "reference_ch6.json")));
        var entries = doc.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "6.8", "A.1"], Thesis.Tables.Select(t => t.Id));
        int checkedCells = 0;
        foreach (var e in entries)
        {
            var table = Thesis.Table(e.GetProperty("id").GetString()!["table-".Length..]);
            Assert.Equal(e.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!), table.Columns);
            Assert.Equal("§" + e.GetProperty("section").GetString(), table.Section);
            Assert.Equal(e.GetProperty("page_in_thesis").GetInt32(), table.Page);
            var refRows = e.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(refRows.Count, table.Rows.Count);
            for (int i = 0; i < refRows.Count; i++)
            {
                var ours = table.Rows[i];
                foreach (var cell in refRows[i].GetProperty("values").EnumerateObject())
                {
                    if (cell.Value.ValueKind == JsonValueKind.Number)
                    {
                        Assert.True(ours.Values.TryGetValue(cell.Name, out double v), $"{table.Citation} row '{ours.Label}' lacks '{cell.Name}'");
                        Assert.True(v == cell.Value.GetDouble(), $"{table.Citation} row '{ours.Label}' {cell.Name}: ours {v}, reference {cell.Value.GetDouble()}");
                    }
                    else Assert.Equal(cell.Value.GetString(), table.Printed(ours.Label, cell.Name));
                    checkedCells++;
                }
                var bold = refRows[i].TryGetProperty("bold", out var b) ? b.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
                Assert.Equal(bold, ours.Bold);
            }
        }
        Assert.Equal(3 * 2 + 7 * 3 * 5 + 5 * 8, checkedCells);
    }

    [Fact]
    public void SpsaTables_AreGridsOfNByIterations_AndCaptionsAgreeWithTheProtocol()
    {
        var ns = Thesis.Protocol("spsa.batch_sizes").AsDoubles();
        var its = Thesis.Protocol("spsa.iterations").AsDoubles();
        foreach (var id in new[] { "6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "6.8" })
        {
            var t = Thesis.Table(id);
            Assert.Equal(ns, t.Rows.Select(r => r.Values["Approximation batch size"]));
            Assert.Equal(ns.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)), t.Rows.Select(r => r.Label));
            Assert.Equal(its.Select(i => $"iters={i}"), t.Columns.Skip(1));
        }
        // Text claims repeat table cells: the strongest SPSA (n = 1024, 100 iterations).
        Assert.Equal(Thesis.Claim("mmc.spsa.strongest").Value, Thesis.Value("6.5", "1024", "iters=100"));
        Assert.Equal(Thesis.Claim("ehd_losses.spsa.strongest").Value, Thesis.Value("6.6", "1024", "iters=100"));
        Assert.Equal(Thesis.Claim("ehd3_seeds.spsa.strongest").Value, Thesis.Value("6.3", "1024", "iters=100"));
        Assert.Equal(Thesis.Claim("cel.spsa.weakest").Value, Thesis.Value("6.2", "10", "iters=10"));
        Assert.Equal(Thesis.Protocol("members.cel.clean").AsDoubles(), Thesis.Table("6.1").Rows.Select(r => r.Values["Top-1 Accuracy"]));
        // Table A.1: binary weights are 1 bit with the printed word kept.
        Assert.Equal(1, Thesis.Value("A.1", "binary/2", "W [bits]"));
        Assert.Equal("binary", Thesis.Table("A.1").Printed("binary/2", "W [bits]"));
        Assert.Equal(Thesis.Protocol("appa.bit_settings").AsStrings(), Thesis.Table("A.1").Rows.Select(r => r.Label));
    }

    [Fact]
    public void ValuesTheThesisLeavesOpen_AreMarkedNotStated()
    {
        foreach (var k in new[] { "optimizer", "momentum", "weight_decay", "batch_size", "pgd.attack_loss", "members.k4_k5.extra_clean" })
            Assert.Equal("not stated", Thesis.Protocol(k).AsString());
        Assert.Contains(Thesis.Protocol("not_stated").AsStrings(), s => s.Contains("weight decay", StringComparison.Ordinal));
        Assert.Equal(8.0 / 255, Thesis.Protocol("threat.epsilon").AsDouble(), 15);
        Assert.Equal(2.0 / 255, Thesis.Protocol("pgd.step").AsDouble(), 15);
    }
}
