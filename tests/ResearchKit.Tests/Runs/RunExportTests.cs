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
    public void ToCsv_RoundTripsEveryPoint()
    {
        var (dir, store, id, _) = Populate();
        using (dir)
        using (store)
        {
            var sw = new StringWriter();
            RunExport.ToCsv(store, id, sw);
            var rows = ParseCsv(sw.ToString());
            Assert.Equal(["step", "name", "value"], rows[0]);
            var parsed = rows.Skip(1).Select(r => new MetricPoint(long.Parse(r[0], CultureInfo.InvariantCulture), r[1],
                double.Parse(r[2], CultureInfo.InvariantCulture))).ToList();
            Assert.Equal(store.Metrics(id), parsed); // bit-exact doubles, NaN/-Infinity, the quoted name
            Assert.Contains("\"weird,\"\"name\"\"\"", sw.ToString());
            Assert.Throws<KeyNotFoundException>(() => RunExport.ToCsv(store, 999, new StringWriter()));
        }
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
            var rows = ParseCsv(sw.ToString());
            Assert.Equal(["id", "status", "config_hash", "started_utc", "ended_utc", "duration_s", "error", "test/acc", "test/loss"], rows[0]);
            Assert.Equal(3, rows.Count);
            Assert.Equal([failed.ToString(), "Failed"], rows[1].Take(2)); // newest first
            Assert.Equal("boom, \"quoted\"\nsecond line", rows[1][6]);
            Assert.Equal("", rows[1][7]);
            Assert.Equal([done.ToString(), "Completed"], rows[2].Take(2));
            Assert.Equal(0.987654321, double.Parse(rows[2][7], CultureInfo.InvariantCulture));
            Assert.Equal("Infinity", rows[2][8]);
            Assert.True(double.Parse(rows[2][5], CultureInfo.InvariantCulture) >= 0);

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
