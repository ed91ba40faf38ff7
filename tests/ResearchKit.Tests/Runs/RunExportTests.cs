using System.Globalization;
using System.Text.Json;
using ResearchKit.Runs;
using Xunit;

namespace ResearchKit.Tests.Runs;

public class RunExportTests
{
    /// <summary>Minimal RFC 4180 reader (quoted fields with doubled quotes, embedded commas/newlines).</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add(row); row = []; }
            else field.Append(c);
        }
        Assert.True(field.Length == 0 && row.Count == 0, "CSV must end with a newline");
        return rows;
    }

    private static (TempRunsDir, SqliteRunStore, long Done, long Running) Populate()
    {
        var dir = new TempRunsDir();
        var store = SqliteRunStore.Open(dir.Path);
        var a = SqliteRunStoreTests.Config(1, "export");
        var b = SqliteRunStoreTests.Config(2, "export");
        long done = store.StartOrResume(a.Hash, a.Json).Id;
        long running = store.StartOrResume(b.Hash, b.Json).Id;
        store.LogMetrics(done, [new(1, "train/loss", 2.302585092994046), new(1, "weird,\"name\"", 1e-300), new(2, "train/loss", double.NaN),
            new(3, "train/loss", double.NegativeInfinity), new(2, "test/acc", 0.1)]);
        store.Complete(done, new Dictionary<string, double> { ["test/acc"] = 0.987654321, ["test/loss"] = double.PositiveInfinity });
        store.AddArtifact(done, "weights", Path.Combine(store.RunDirectory(done), "final.safetensors"));
        store.Fail(running, "boom, \"quoted\"\nsecond line");
        return (dir, store, done, running);
    }

    [Fact]
    public void MetricHistory_IsIndexedByStepWithOneColumnPerMetric()
    {
        var (dir, store, id, running) = Populate();
        using (dir)
        using (store)
        {
            var h = store.MetricHistory(id);
            Assert.Equal([1L, 2, 3], h.RowKeys);
            Assert.Equal(["test/acc", "train/loss", "weird,\"name\""], h.ColumnKeys);   // ordinal order
            var loss = h.GetColumn<double>("train/loss");
            Assert.Equal(2.302585092994046, loss.Get(1));
            Assert.False(loss.TryGet(2).HasValue);                 // NaN reads as missing (Deedle)
            Assert.Equal(double.NegativeInfinity, loss.Get(3));
            Assert.Equal(0.1, h.GetColumn<double>("test/acc").Get(2));
            Assert.False(h.GetColumn<double>("test/acc").TryGet(1).HasValue);
            Assert.Equal(0, store.MetricHistory(running).RowCount);
            var ex = Assert.Throws<KeyNotFoundException>(() => store.MetricHistory(999));
            Assert.Contains("rk runs list", ex.Message);
        }
    }

    [Fact]
    public void ToCsv_WritesTheHistoryFrame()
    {
        var (dir, store, id, _) = Populate();
        using (dir)
        using (store)
        {
            var sw = new StringWriter();
            RunExport.ToCsv(store, id, sw);
            var rows = ParseCsv(sw.ToString().Replace("\r\n", "\n"));
            Assert.Equal(["step", "test/acc", "train/loss", "weird,\"name\""], rows[0]);
            Assert.Equal(["1", "", "2.302585092994046", "1E-300"], rows[1]);   // shortest round-trip doubles
            Assert.Equal(["2", "0.1", "", ""], rows[2]);
            Assert.Equal(["3", "", "-Infinity", ""], rows[3]);
            Assert.Equal(1e-300, double.Parse(rows[1][3], CultureInfo.InvariantCulture));
            Assert.Throws<KeyNotFoundException>(() => RunExport.ToCsv(store, 999, new StringWriter()));
        }
    }

    [Fact]
    public void ToFrame_HasOneRowPerRunWithConfigFieldsAndFinalMetrics()
    {
        var (dir, store, done, failed) = Populate();
        using (dir)
        using (store)
        {
            var f = store.List().ToFrame();
            Assert.Equal([failed, done], f.RowKeys);   // the given order: newest first
            Assert.Equal(["recipe", "seed", "code_version", "status", "config_hash", "started_utc", "ended_utc", "duration_s", "error", "test/acc", "test/loss"], f.ColumnKeys);
            Assert.Equal(2L, f.GetColumn<long>("seed").Get(failed));
            Assert.Equal("export", f.GetColumn<string>("recipe").Get(done));
            Assert.Equal("Failed", f.GetColumn<string>("status").Get(failed));
            Assert.Equal(DateTimeKind.Utc, f.GetColumn<DateTime>("started_utc").Get(done).Kind);
            Assert.Equal(0.987654321, f.GetColumn<double>("test/acc").Get(done));
            Assert.False(f.GetColumn<double>("test/acc").TryGet(failed).HasValue);
            Assert.Equal(double.PositiveInfinity, f.GetColumn<double>("test/loss").Get(done));
            Assert.True(f.GetColumn<double>("duration_s").Get(done) >= 0);
        }
    }

    [Fact]
    public void ToFrame_FlattensNestedConfigTypesColumnsAndPrefixesClashes()
    {
        RunRecord Run(long id, string config, Dictionary<string, double> final) =>
            new(id, "h" + id, config, RunStatus.Completed, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), null, final, null);
        var f = new[]
        {
            Run(7, """{"preset":"smoke","opt":{"lr":0.1,"name":"sgd"},"lr_steps":[1,2],"status":"x","accuracy":1,"flag":true}""", new() { ["accuracy"] = 0.9 }),
            Run(3, """{"seed":4,"opt":{"lr":1},"status":"y","flag":false}""", new()),
            Run(5, "not json", new() { ["loss"] = 0.5 }),
        }.ToFrame();
        Assert.Equal([7L, 3, 5], f.RowKeys);
        Assert.Equal(["preset", "seed", "opt.lr", "opt.name", "lr_steps", "config.status", "accuracy", "flag",
                      "status", "config_hash", "started_utc", "ended_utc", "duration_s", "error", "final/accuracy", "loss"], f.ColumnKeys);
        Assert.Equal(1.0, f.GetColumn<double>("opt.lr").Get(3));      // 0.1 and 1: a double column
        Assert.Equal(4L, f.GetColumn<long>("seed").Get(3));
        Assert.Equal("[1,2]", f.GetColumn<string>("lr_steps").Get(7));
        Assert.False(f.GetColumn<bool>("flag").Get(3));
        Assert.Equal(0.9, f.GetColumn<double>("final/accuracy").Get(7));
        Assert.Equal(0.5, f.GetColumn<double>("loss").Get(5));
        Assert.False(f.GetColumn<double>("opt.lr").TryGet(5).HasValue);
        Assert.Throws<ArgumentException>(() => new[] { Run(1, "{}", new()), Run(1, "{}", new()) }.ToFrame());
    }

    [Fact]
    public void ToJson_HasConfigStatusFinalMetricsAndSeries()
    {
        var (dir, store, id, _) = Populate();
        using (dir)
        using (store)
        {
            var sw = new StringWriter();
            RunExport.ToJson(store, id, sw);
            using var doc = JsonDocument.Parse(sw.ToString());
            var root = doc.RootElement;
            var run = store.Get(id)!;
            Assert.Equal(id, root.GetProperty("id").GetInt64());
            Assert.Equal(run.ConfigHash, root.GetProperty("config_hash").GetString());
            Assert.Equal("Completed", root.GetProperty("status").GetString());
            Assert.Equal(run.StartedUtc, root.GetProperty("started_utc").GetDateTime().ToUniversalTime());
            Assert.Equal(run.EndedUtc, root.GetProperty("ended_utc").GetDateTime().ToUniversalTime());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("error").ValueKind);
            // The embedded config re-canonicalizes to the stored JSON, so its hash can be checked from the export alone.
            Assert.Equal(run.ConfigJson, CanonicalJson.Serialize(root.GetProperty("config")));
            Assert.Equal(0.987654321, root.GetProperty("final_metrics").GetProperty("test/acc").GetDouble());
            Assert.Equal("Infinity", root.GetProperty("final_metrics").GetProperty("test/loss").GetString());
            Assert.EndsWith("final.safetensors", root.GetProperty("artifacts").GetProperty("weights").GetString());

            var loss = root.GetProperty("series").GetProperty("train/loss");
            Assert.Equal(new long[] { 1, 2, 3 }, loss.GetProperty("steps").EnumerateArray().Select(e => e.GetInt64()));
            var values = loss.GetProperty("values").EnumerateArray().ToArray();
            Assert.Equal(2.302585092994046, values[0].GetDouble());
            Assert.Equal("NaN", values[1].GetString());
            Assert.Equal("-Infinity", values[2].GetString());
            Assert.Equal(1e-300, root.GetProperty("series").GetProperty("weird,\"name\"").GetProperty("values")[0].GetDouble());
            Assert.Equal(3, root.GetProperty("series").EnumerateObject().Count());

            var compact = new StringWriter();
            RunExport.ToJson(store, id, compact, indented: false);
            Assert.Equal(1, compact.ToString().Count(c => c == '\n'));
        }
    }

    [Fact]
    public void RunsList_CsvAndJson()
    {
        var (dir, store, done, failed) = Populate();
        using (dir)
        using (store)
        {
            var sw = new StringWriter();
            RunExport.RunsToCsv(store, sw);
            var rows = ParseCsv(sw.ToString().Replace("\r\n", "\n"));
            Assert.Equal(["id", "recipe", "seed", "code_version", "status", "config_hash", "started_utc", "ended_utc", "duration_s", "error", "test/acc", "test/loss"], rows[0]);
            Assert.Equal(3, rows.Count);
            Assert.Equal([failed.ToString(), "export", "2"], rows[1].Take(3)); // newest first
            Assert.Equal("Failed", rows[1][4]);
            Assert.Equal("boom, \"quoted\"\nsecond line", rows[1][9]);
            Assert.Equal("", rows[1][10]);
            Assert.Equal([done.ToString(), "export", "1"], rows[2].Take(3));
            Assert.Equal(0.987654321, double.Parse(rows[2][10], CultureInfo.InvariantCulture));
            Assert.Equal("Infinity", rows[2][11]);
            Assert.True(double.Parse(rows[2][8], CultureInfo.InvariantCulture) >= 0);
            Assert.Equal(DateTimeKind.Utc, DateTime.Parse(rows[2][6], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).Kind);   // ISO 8601

            var js = new StringWriter();
            RunExport.RunsToJson(store, js);
            using var doc = JsonDocument.Parse(js.ToString());
            Assert.Equal(new[] { failed, done }, doc.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
            Assert.Equal("boom, \"quoted\"\nsecond line", doc.RootElement[0].GetProperty("error").GetString());
            Assert.Equal(1, doc.RootElement[1].GetProperty("config").GetProperty("seed").GetInt32());
            Assert.Equal("export", doc.RootElement[1].GetProperty("config").GetProperty("recipe").GetString());
            Assert.Equal(0.987654321, doc.RootElement[1].GetProperty("final_metrics").GetProperty("test/acc").GetDouble());
        }
    }
}
