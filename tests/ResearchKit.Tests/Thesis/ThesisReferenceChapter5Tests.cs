using System.Globalization;
using ResearchKit.Thesis;
using Xunit;

namespace ResearchKit.Tests.Thesis;

/// <summary>
/// The chapter-5 numbers kept in the project (<c>data/thesis/chapter5.json</c>): every table of the chapter with its
/// printed row count, no empty cell, cells spot-checked against the thesis text, and the cross-table identities the thesis
/// has (ΔP = float − quant, the chosen margins' rows repeated in Table 5.3), which catch transcription slips.
/// </summary>
public class ThesisReferenceChapter5Tests
{
    private static readonly ThesisReference Thesis = ThesisReference.Chapter5;

    [Fact]
    public void Chapter5_HasTables51To54_WithTheirRowCounts_AndNoEmptyCell()
    {
        Assert.Equal(["5.1", "5.2", "5.3", "5.4"], Thesis.Tables.Select(t => t.Id));
        Assert.Equal([6, 5, 12, 27], Thesis.Tables.Select(t => t.Rows.Count));
        foreach (var t in Thesis.Tables)
            foreach (var row in t.Rows)
            {
                // Every printed column holds a number or the text printed there ("CIFAR-10", "binary", "4/32*", "–").
                foreach (var c in t.Columns)
                    Assert.True(row.Values.ContainsKey(c) || row.Text.ContainsKey(c), $"{t.Citation}: row '{row.Label}' has nothing in column '{c}'");
                Assert.All(row.Values, kv => Assert.True(double.IsFinite(kv.Value), $"{t.Citation} '{row.Label}' {kv.Key}"));
                Assert.All(row.Text, kv => Assert.False(string.IsNullOrWhiteSpace(kv.Value), $"{t.Citation} '{row.Label}' {kv.Key}"));
                Assert.All(row.Values.Keys.Concat(row.Text.Keys).Concat(row.Bold), c => Assert.Contains(c, t.Columns));
                Assert.Equal(row.Bold.Count, row.Bold.Distinct().Count());
            }
        Assert.Equal(["0", "0.1", "0.3", "0.5", "0.7", "1.0"], Thesis.Table("5.1").Rows.Select(r => r.Label));
        Assert.Equal(["0", "0.1", "0.2", "0.35", "0.5"], Thesis.Table("5.2").Rows.Select(r => r.Label));
    }

    [Fact]
    public void Table53_CifarRows_AreAsPrinted()
    {
        var t = Thesis.Table("5.3");
        Assert.Equal(["CIFAR-10 32/32", "CIFAR-10 2/2", "CIFAR-10 binary/2"], t.Rows.Take(3).Select(r => r.Label));
        double[][] cifar10 = [[89.4, 91.7, 93.0], [76.5, 89.1, 91.3], [72.4, 88.3, 91.2]];
        double[][] dp10 = [[12.9, 2.6, 1.7], [17.0, 3.4, 1.8]];
        string[] rows = ["CIFAR-10 32/32", "CIFAR-10 2/2", "CIFAR-10 binary/2"];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(cifar10[i], new[] { "Acc_CEL", "Acc_AMS", "Acc_GML" }.Select(c => t.Value(rows[i], c)));
            Assert.Equal("CIFAR-10", t.Printed(rows[i], "Dataset"));
            Assert.Contains("Acc_GML", t.Row(rows[i]).Bold);
            if (i > 0) Assert.Equal(dp10[i - 1], new[] { "ΔP_CEL", "ΔP_AMS", "ΔP_GML" }.Select(c => t.Value(rows[i], c)));
        }
        // ΔP at 32/32 is printed as a dash, not a number; binary weights are 1 bit with the printed word kept.
        Assert.False(t.TryValue("CIFAR-10 32/32", "ΔP_CEL", out _));
        Assert.Equal("–", t.Printed("CIFAR-10 32/32", "ΔP_GML"));
        Assert.Equal(1, t.Value("CIFAR-10 binary/2", "W [bits]"));
        Assert.Equal("binary", t.Printed("CIFAR-10 binary/2", "W [bits]"));
        Assert.Equal("2", t.Printed("CIFAR-10 binary/2", "A [bits]"));
        // CIFAR-100 spot checks, including the rows whose bold ΔP is AMS rather than GML.
        Assert.Equal(59.0, t.Value("CIFAR-100 binary/2", "Acc_CEL"));
        Assert.Equal(71.3, t.Value("CIFAR-100 binary/2", "Acc_GML"));
        Assert.Equal(0.3, t.Value("CIFAR-100 3/3", "ΔP_GML"));
        Assert.Equal(["Acc_GML", "ΔP_AMS"], t.Row("CIFAR-100 8/8").Bold);
        Assert.Equal(["Acc_GML", "ΔP_AMS"], t.Row("CIFAR-100 binary/8").Bold);
    }

    [Fact]
    public void Tables51And52_MarginSweeps_AreAsPrinted()
    {
        var gml = Thesis.Table("5.1");
        Assert.Equal([70.5, 71.3, 72.0, 72.8, 73.6, 72.9], gml.Rows.Select(r => r.Values["Acc_GML float32"]));
        Assert.Equal([68.6, 69.5, 70.7, 70.8, 71.9, 71.3], gml.Rows.Select(r => r.Values["Acc_GML 2bits"]));
        Assert.Equal([0, 0.1, 0.3, 0.5, 0.7, 1.0], gml.Rows.Select(r => r.Values["Margin α"]));
        Assert.Equal(["Acc_GML float32", "Acc_GML 2bits"], gml.Row("0.7").Bold);
        var ams = Thesis.Table("5.2");
        Assert.Equal([65.2, 67.2, 68.1, 68.7, 68.6], ams.Rows.Select(r => r.Values["Acc_AMS float32"]));
        Assert.Equal([62.2, 65.1, 65.8, 66.1, 66.4], ams.Rows.Select(r => r.Values["Acc_AMS 2bits"]));
        Assert.Equal(["Acc_AMS float32"], ams.Row("0.35").Bold);
        Assert.Equal(["Acc_AMS 2bits"], ams.Row("0.5").Bold);
        foreach (var r in gml.Rows.Concat(ams.Rows))
            Assert.Equal(double.Parse(r.Label, CultureInfo.InvariantCulture), r.Values.TryGetValue("Margin α", out var a) ? a : r.Values["Margin m"]);
    }

    [Fact]
    public void Table54_ImageNetRows_AreAsPrinted()
    {
        var t = Thesis.Table("5.4");
        Assert.Equal(70.2, t.Value("Baseline 32/32", "Top-1 Accuracy"));
        Assert.Equal(70.1, t.Value("DL-QAT GML (ours) 4/4", "Top-1 Accuracy"));
        Assert.Equal(67.9, t.Value("DL-QAT GML (ours) 2/8", "Top-1 Accuracy"));
        Assert.Equal(64.0, t.Value("DL-QAT GML (ours) binary/2", "Top-1 Accuracy"));
        Assert.Equal(63.1, t.Value("SAT[48] binary/2", "Top-1 Accuracy"));
        Assert.Equal(66.5, t.Value("IR-Net [85] binary/32", "Top-1 Accuracy"));
        Assert.Equal(4, t.Value("LSQ [23] 4/4/32*", "Activations [bits]"));
        Assert.Equal("4/32*", t.Printed("LSQ [23] 4/4/32*", "Activations [bits]"));
        Assert.Equal("2/32*", t.Printed("PACT [19] binary/2/32*", "Activations [bits]"));
        Assert.Equal("DL-QAT GML (ours)", t.Printed("DL-QAT GML (ours) binary/4", "Method"));
        Assert.Equal(9, t.Rows.Count(r => r.Bold.Count > 0));
        Assert.Empty(t.Row("SAT[48] binary/4").Bold);
        Assert.Equal(15, t.Rows.Count(r => r.Values["Weights [bits]"] == 1));
        Assert.All(t.Rows.Where(r => r.Values["Weights [bits]"] == 1), r => Assert.Equal("binary", r.Text["Weights [bits]"]));
    }

    [Fact]
    public void Table53_DeltaP_IsFloatMinusQuant_AndTheChosenMarginsRepeatTables51And52()
    {
        var t = Thesis.Table("5.3");
        foreach (var row in t.Rows.Where(r => r.Values["W [bits]"] != 32))
        {
            string fp = row.Text["Dataset"] + " 32/32";
            foreach (var loss in new[] { "CEL", "AMS", "GML" })
                Assert.Equal(t.Value(fp, $"Acc_{loss}") - row.Values[$"Acc_{loss}"], row.Values[$"ΔP_{loss}"], 6);
        }
        Assert.Equal(Thesis.Value("5.1", "0.7", "Acc_GML float32"), t.Value("CIFAR-100 32/32", "Acc_GML"));
        Assert.Equal(Thesis.Value("5.1", "0.7", "Acc_GML 2bits"), t.Value("CIFAR-100 2/2", "Acc_GML"));
        Assert.Equal(Thesis.Value("5.2", "0.35", "Acc_AMS float32"), t.Value("CIFAR-100 32/32", "Acc_AMS"));
        Assert.Equal(Thesis.Value("5.2", "0.35", "Acc_AMS 2bits"), t.Value("CIFAR-100 2/2", "Acc_AMS"));
        // The protocol's margins are the sweeps' bold float32 rows.
        Assert.Contains("Acc_GML float32", Thesis.Table("5.1").Row(Label(Thesis.Protocol("cifar.gml.alpha").AsDouble())).Bold);
        Assert.Contains("Acc_AMS float32", Thesis.Table("5.2").Row(Label(Thesis.Protocol("ams.m").AsDouble())).Bold);
    }

    private static string Label(double margin) => margin.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Claims_AgreeWithTheTables()
    {
        var t53 = Thesis.Table("5.3");
        var t54 = Thesis.Table("5.4");
        Assert.Equal(Thesis.Claim("cifar100.binary_w2a.gml_accuracy").Value, t53.Value("CIFAR-100 binary/2", "Acc_GML"));
        Assert.Equal(Thesis.Claim("cifar100.fp32.cel_accuracy").Value, t53.Value("CIFAR-100 32/32", "Acc_CEL"));
        Assert.True(Thesis.Claim("cifar100.binary_w2a.gml_accuracy").Value > Thesis.Claim("cifar100.fp32.cel_accuracy").Value);
        Assert.Equal(Thesis.Claim("cifar100.binary_w2a.dp_cel").Value, t53.Value("CIFAR-100 binary/2", "ΔP_CEL"));
        Assert.Equal(Thesis.Claim("cifar100.binary_w2a.dp_gml").Value, t53.Value("CIFAR-100 binary/2", "ΔP_GML"));
        Assert.Equal(Thesis.Claim("imagenet.binary_w2a.dlqat_gml_accuracy").Value, t54.Value("DL-QAT GML (ours) binary/2", "Top-1 Accuracy"));
        Assert.Equal(Thesis.Claim("imagenet.binary_w2a.sat_cel_accuracy").Value, t54.Value("SAT[48] binary/2", "Top-1 Accuracy"));
        Assert.Equal(Thesis.Claim("imagenet.binary_w2a.gain_over_cel").Value,
            Thesis.Claim("imagenet.binary_w2a.dlqat_gml_accuracy").Value - Thesis.Claim("imagenet.binary_w2a.sat_cel_accuracy").Value, 6);
        Assert.Equal(Thesis.Claim("imagenet.binary_w4a.dlqat_gml_accuracy").Value, t54.Value("DL-QAT GML (ours) binary/4", "Top-1 Accuracy"));
        // Binary/4 beats every literature method (not SAT, not DL-QAT) with binary weights and float32 or 8-bit activations.
        double bestOther = t54.Rows.Where(r => r.Values["Weights [bits]"] == 1 && r.Values["Activations [bits]"] is 32.0 or 8.0
            && !r.Text["Method"].StartsWith("SAT", StringComparison.Ordinal) && !r.Text["Method"].StartsWith("DL-QAT", StringComparison.Ordinal))
            .Max(r => r.Values["Top-1 Accuracy"]);
        Assert.True(Thesis.Claim("imagenet.binary_w4a.dlqat_gml_accuracy").Value > bestOther);

        // At 2-bit and binary weights, DL-QAT (AMS and GML) loses fewer points than SAT with CEL, in every row ...
        double maxW = Thesis.Claim("dlqat.dp_below_cel.max_weight_bits").Value;
        var low = t53.Rows.Where(r => r.Values["W [bits]"] <= maxW).ToList();
        Assert.Equal(7, low.Count);
        Assert.All(low, r => Assert.True(r.Values["ΔP_AMS"] < r.Values["ΔP_CEL"] && r.Values["ΔP_GML"] < r.Values["ΔP_CEL"], r.Label));
        // ... but not "for all settings" as the text says: GML loses more than CEL at 8/8 and 4/4.
        Assert.True(t53.Value("CIFAR-100 8/8", "ΔP_GML") > t53.Value("CIFAR-100 8/8", "ΔP_CEL"));
        Assert.True(t53.Value("CIFAR-100 4/4", "ΔP_GML") > t53.Value("CIFAR-100 4/4", "ΔP_CEL"));
        // Acc_CEL < Acc_AMS < Acc_GML in every row.
        Assert.Equal((int)Thesis.Claim("table5.3.accuracy_order_rows").Value,
            t53.Rows.Count(r => r.Values["Acc_CEL"] < r.Values["Acc_AMS"] && r.Values["Acc_AMS"] < r.Values["Acc_GML"]));
        Assert.Equal(2, Thesis.Claim("cifar.binary.memory_mb_below").Value);
    }

    [Fact]
    public void ProtocolValues_ParseAsTheirTypes_CiteASection_AndMatchTheTables()
    {
        Assert.All(Thesis.ProtocolValues, p => Assert.Matches(@"§\d|Table \d|Eqs?\. \d|Algorithm \d|Figs?\. \d", p.Section));
        Assert.All(Thesis.ProtocolValues, p => Assert.NotEqual(System.Text.Json.JsonValueKind.Null, p.Value.ValueKind));
        Assert.Equal(30, Thesis.Protocol("ams.s").AsInt64());
        Assert.Equal(0.35, Thesis.Protocol("ams.m").AsDouble());
        Assert.Equal(0.7, Thesis.Protocol("cifar.gml.alpha").AsDouble());
        Assert.Equal(0, Thesis.Protocol("imagenet.gml.alpha").AsDouble());
        Assert.Equal(768, Thesis.Protocol("cifar.batch_size").AsInt64());
        Assert.Equal(1024, Thesis.Protocol("imagenet.batch_size").AsInt64());
        Assert.Equal(0.01, Thesis.Protocol("cifar.lr.CrossEntropy").AsDouble());
        Assert.Equal(0.01, Thesis.Protocol("cifar.lr.Ams").AsDouble());
        Assert.Equal(0.2, Thesis.Protocol("cifar.lr.Gml").AsDouble());
        Assert.Equal(0.02, Thesis.Protocol("imagenet.lr.Gml").AsDouble());
        Assert.Equal(150, Thesis.Protocol("epochs").AsInt64());
        Assert.Equal("sgd", Thesis.Protocol("optimizer").AsString());
        Assert.Equal(8, Thesis.Protocol("first_conv.weight_bits").AsInt64());
        Assert.Equal(8, Thesis.Protocol("last_layer.weight_bits").AsInt64());
        Assert.Equal(8, Thesis.Protocol("last_layer.input_activation_bits").AsInt64());
        Assert.False(Thesis.Protocol("batchnorm.quantized").AsBool());
        Assert.False(Thesis.Protocol("linear_bias.quantized").AsBool());
        Assert.False(Thesis.Protocol("preprocessing.standardization").AsBool());
        Assert.Equal(1000, Thesis.Protocol("tsne.iterations").AsInt64());
        Assert.Equal(30, Thesis.Protocol("tsne.perplexity").AsInt64());
        Assert.Equal(50, Thesis.Protocol("tsne.images_per_class").AsInt64());
        Assert.Equal([0, 0.1, 0.3, 0.5, 0.7, 1.0], Thesis.Protocol("gml.alpha.sweep").AsDoubles());
        Assert.Equal([0, 0.1, 0.2, 0.35, 0.5], Thesis.Protocol("ams.m.sweep").AsDoubles());

        // The bit settings are exactly the rows of Tables 5.3 (per dataset) and 5.4 (the author's DL-QAT runs).
        var t53 = Thesis.Table("5.3");
        Assert.Equal(Thesis.Protocol("cifar10.bit_settings").AsStrings(), t53.Rows.Where(r => r.Text["Dataset"] == "CIFAR-10").Select(Bits));
        Assert.Equal(Thesis.Protocol("cifar100.bit_settings").AsStrings(), t53.Rows.Where(r => r.Text["Dataset"] == "CIFAR-100").Select(Bits));
        var t54 = Thesis.Table("5.4");
        var ours = t54.Rows.Where(r => r.Text["Method"] == "DL-QAT GML (ours)").ToList();
        Assert.Equal(Thesis.Protocol("imagenet.bit_settings").AsStrings(), ours.Select(r =>
            $"{t54.Printed(r.Label, "Weights [bits]")}/{t54.Printed(r.Label, "Activations [bits]")}"));
        Assert.Equal(Thesis.Protocol("imagenet.fp32_baseline").AsDouble(), t54.Value("Baseline 32/32", "Top-1 Accuracy"));
        Assert.Equal(Thesis.Protocol("binary.weight_bits").AsInt64(), (long)t53.Value("CIFAR-100 binary/8", "W [bits]"));

        string Bits(ThesisRow r) => $"{t53.Printed(r.Label, "W [bits]")}/{t53.Printed(r.Label, "A [bits]")}";
    }

    [Fact]
    public void OneLoader_ServesBothChapters_AndMissesNameWhatExists()
    {
        Assert.Same(ThesisReference.Chapter5, ThesisReference.Chapter(5));
        Assert.Same(ThesisReference.Chapter4, ThesisReference.Chapter(4));
        Assert.Same(ThesisReference.Chapter6, ThesisReference.Chapter(6));
        Assert.Contains("4, 5, 6", Assert.Throws<ArgumentOutOfRangeException>(() => ThesisReference.Chapter(7)).Message);
        Assert.Contains("5.3", Assert.Throws<KeyNotFoundException>(() => Thesis.Table("4.3")).Message);
        Assert.Contains("'CIFAR-10 2/2'", Assert.Throws<KeyNotFoundException>(() => Thesis.Value("5.3", "CIFAR-10 1/2", "Acc_GML")).Message);
        Assert.Contains("cifar.lr.Gml", Assert.Throws<KeyNotFoundException>(() => Thesis.Protocol("cifar.lr")).Message);
        Assert.Contains("Dataset", Assert.Throws<KeyNotFoundException>(() => Thesis.Table("5.3").Printed("CIFAR-10 2/2", "Method")).Message);
    }

    [Fact]
    public void ATextCellThatIsNull_IsAClearDataError()
    {
        const string json = """
            {"source": "x", "protocol": [], "claims": [], "tables": [{"id": "1", "section": "§1", "page": 1, "units": "%", "columns": ["A"],
              "rows": [{"row": "r", "values": {}, "text": {"A": null}}]}]}
            """;
        Assert.Contains("t.json", Assert.Throws<InvalidDataException>(() => ThesisReference.Parse(json, "t.json")).Message);
    }
}
