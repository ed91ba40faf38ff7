using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Deedle;

namespace ResearchKit.Runs;

/// <summary>
/// Exports runs as Deedle frames (analysis in notebooks: grouping, pivots, <see cref="Tables.ResultFrames"/>), as CSV
/// (the frames, for spreadsheets and pandas) or as JSON (for <c>rk runs export</c>). Numbers use the invariant culture
/// and the shortest round-trip form.
/// </summary>
/// <remarks>
/// Deedle treats NaN in a numeric column as missing, so in frames and their CSV a NaN metric (a diverged loss) reads
/// as missing, an empty field. The JSON export keeps it: non-finite values are written as the strings <c>NaN</c>,
/// <c>Infinity</c>, <c>-Infinity</c> (JSON has no literal for them).
/// </remarks>
public static class RunExport
{
    /// <summary>Run fields after the config fields, before the final metrics.</summary>
    private static readonly string[] RunFields = ["status", "config_hash", "started_utc", "ended_utc", "duration_s", "error"];

    /// <summary>Config fields placed first when present (the names notebooks group and filter by).</summary>
    private static readonly string[] LeadingConfigFields = ["recipe", "experiment", "preset", "seed"];

    /// <summary>
    /// One row per run, keyed by run id, in the given order. Columns: the config fields (<c>recipe</c>,
    /// <c>experiment</c>, <c>preset</c>, <c>seed</c> first when present, then the others in order of first appearance;
    /// nested objects flattened as <c>outer.inner</c>, arrays as JSON text; a name that clashes with a run field gets a
    /// <c>config.</c> prefix), then <c>status</c>, <c>config_hash</c>, <c>started_utc</c>, <c>ended_utc</c> (UTC
    /// <see cref="DateTime"/>), <c>duration_s</c>, <c>error</c>, then one column per final metric (sorted ordinally; a
    /// name that clashes with an earlier column gets a <c>final/</c> prefix). A config field is a <see cref="long"/>
    /// column when every run has an integer there, <see cref="double"/> when all are numbers, <see cref="bool"/> when all
    /// are booleans, otherwise text. Absent values are missing.
    /// </summary>
    /// <param name="runs">The runs, e.g. <c>store.List()</c>.</param>
    public static Frame<long, string> ToFrame(this IEnumerable<RunRecord> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var list = runs.ToList();
        var ids = list.Select(r => r.Id).ToArray();
        if (ids.Distinct().Count() != ids.Length)
            throw new ArgumentException("RunExport.ToFrame: a run id appears twice; pass each run once (the id is the row key).", nameof(runs));

        // Config fields: name -> value per run (JsonElement), in order of first appearance.
        var config = new List<(string Name, Dictionary<long, JsonElement> Values)>();
        var configIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in list)
        {
            JsonElement root;
            try { root = JsonSerializer.Deserialize<JsonElement>(r.ConfigJson); }
            catch (JsonException) { continue; } // not JSON (foreign writer): the run still gets its row, without config fields
            if (root.ValueKind != JsonValueKind.Object) continue;
            foreach (var (name, value) in Flatten(root, ""))
            {
                if (!configIndex.TryGetValue(name, out int i)) { configIndex[name] = i = config.Count; config.Add((name, new())); }
                config[i].Values[r.Id] = value;
            }
        }
        config = [.. config.OrderBy(c => Array.IndexOf(LeadingConfigFields, c.Name) is var k and >= 0 ? k : LeadingConfigFields.Length)];

        // Rows first, then columns joined onto them: the rows stay in the given order, one per run.
        var frame = Frame.FromRowKeys(ids);
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Add(string name, ISeries<long> series) { names.Add(name); frame.AddColumn(name, series); }
        foreach (var (name, values) in config)
            Add(RunFields.Contains(name) ? "config." + name : name, ConfigColumn(ids, values));
        Add("status", Column(list, r => r.Status.ToString()));
        Add("config_hash", Column(list, r => r.ConfigHash));
        Add("started_utc", RequiredColumn(list, r => r.StartedUtc.ToUniversalTime()));
        Add("ended_utc", ValueColumn(list, r => r.EndedUtc?.ToUniversalTime()));
        Add("duration_s", ValueColumn(list, r => r.EndedUtc is { } e ? (e - r.StartedUtc).TotalSeconds : (double?)null));
        Add("error", Column(list, r => r.Error));
        foreach (var metric in list.SelectMany(r => r.FinalMetrics.Keys).Distinct().Order(StringComparer.Ordinal))
            Add(names.Contains(metric) ? "final/" + metric : metric, ValueColumn(list, r => r.FinalMetrics.TryGetValue(metric, out var v) ? v : (double?)null));
        return frame;
    }

    /// <summary>
    /// The metric history of a run: rows keyed by step (ascending), one <see cref="double"/> column per metric name
    /// (sorted ordinally), missing where a metric was not logged at a step. A point logged twice at one step (a
    /// resumed run) keeps the later value.
    /// </summary>
    /// <param name="store">The run store.</param>
    /// <param name="runId">A run id (see <c>rk runs list</c>).</param>
    /// <exception cref="KeyNotFoundException">No run with this id.</exception>
    public static Frame<long, string> MetricHistory(this IRunStore store, long runId)
    {
        ArgumentNullException.ThrowIfNull(store);
        _ = GetRun(store, runId, nameof(MetricHistory));
        var last = new Dictionary<(long, string), MetricPoint>();
        foreach (var p in store.Metrics(runId)) last[(p.Step, p.Name)] = p;
        // Frame.FromValues takes the column selector before the row selector.
        return Frame.FromValues(last.Values, p => p.Name, p => p.Step, p => p.Value).SortRowsByKey().SortColumnsByKey();
    }

    /// <summary>
    /// Writes a run's <see cref="MetricHistory"/> as CSV: header <c>step,</c> then the metric names, one row per step;
    /// missing values (and NaN) are empty fields.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No run with this id.</exception>
    public static void ToCsv(IRunStore store, long runId, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        WriteCsv(store.MetricHistory(runId), "step", writer);
    }

    /// <summary>
    /// Writes one run as a JSON object: <c>id</c>, <c>config_hash</c>, <c>status</c>, <c>started_utc</c>, <c>ended_utc</c>,
    /// <c>error</c>, <c>config</c> (the config object), <c>final_metrics</c> (name → value), <c>artifacts</c>
    /// (name → path) and <c>series</c> (name → <c>{"steps": [...], "values": [...]}</c>, ordered by step).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No run with this id.</exception>
    public static void ToJson(IRunStore store, long runId, TextWriter writer, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(writer);
        var run = GetRun(store, runId, nameof(ToJson));
        WriteJson(writer, indented, w =>
        {
            w.WriteStartObject();
            WriteRunFields(w, run);
            w.WriteStartObject("artifacts");
            foreach (var (name, path) in store.Artifacts(runId).OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(name, path);
            w.WriteEndObject();
            // One series per name, names sorted ordinally, points kept in the store's step order.
            var series = new SortedDictionary<string, (List<long> Steps, List<double> Values)>(StringComparer.Ordinal);
            foreach (var p in store.Metrics(runId))
            {
                if (!series.TryGetValue(p.Name, out var s)) series[p.Name] = s = (new List<long>(), new List<double>());
                s.Steps.Add(p.Step);
                s.Values.Add(p.Value);
            }
            w.WriteStartObject("series");
            foreach (var (name, s) in series)
            {
                w.WriteStartObject(name);
                w.WriteStartArray("steps");
                foreach (long step in s.Steps) w.WriteNumberValue(step);
                w.WriteEndArray();
                w.WriteStartArray("values");
                foreach (double v in s.Values) WriteDouble(w, v);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// Writes runs as CSV: the <see cref="ToFrame"/> frame with the run id as the first column, <c>id</c>; times in
    /// ISO 8601 (round-trip "O" format); missing values as empty fields.
    /// </summary>
    public static void RunsToCsv(IEnumerable<RunRecord> runs, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        WriteCsv(runs.ToFrame(), "id", writer);
    }

    /// <summary>Writes a table of runs as CSV (see <see cref="RunsToCsv(IEnumerable{RunRecord}, TextWriter)"/>), newest first.</summary>
    public static void RunsToCsv(IRunStore store, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(store);
        RunsToCsv(store.List(), writer);
    }

    /// <summary>Writes runs as a JSON array of objects with the fields of <see cref="ToJson"/> except artifacts and series.</summary>
    public static void RunsToJson(IEnumerable<RunRecord> runs, TextWriter writer, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(writer);
        WriteJson(writer, indented, w =>
        {
            w.WriteStartArray();
            foreach (var r in runs)
            {
                w.WriteStartObject();
                WriteRunFields(w, r);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    /// <summary>Writes all runs of a store as a JSON array, newest first.</summary>
    public static void RunsToJson(IRunStore store, TextWriter writer, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(store);
        RunsToJson(store.List(), writer, indented);
    }

    /// <summary>Formats a metric value: invariant shortest round-trip; <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>.</summary>
    public static string FormatNumber(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static RunRecord GetRun(IRunStore store, long runId, string op) =>
        store.Get(runId) ?? throw new KeyNotFoundException($"RunExport.{op}: run {runId} does not exist; list the runs with 'rk runs list'.");

    private static void WriteRunFields(Utf8JsonWriter w, RunRecord r)
    {
        w.WriteNumber("id", r.Id);
        w.WriteString("config_hash", r.ConfigHash);
        w.WriteString("status", r.Status.ToString());
        w.WriteString("started_utc", FormatTime(r.StartedUtc));
        if (r.EndedUtc is { } e) w.WriteString("ended_utc", FormatTime(e)); else w.WriteNull("ended_utc");
        if (r.Error is { } err) w.WriteString("error", err); else w.WriteNull("error");
        w.WritePropertyName("config");
        try
        {
            using var doc = JsonDocument.Parse(r.ConfigJson);
            doc.RootElement.WriteTo(w);
        }
        catch (JsonException)
        {
            w.WriteStringValue(r.ConfigJson); // not JSON (foreign writer): keep it verbatim rather than fail the export
        }
        w.WriteStartObject("final_metrics");
        foreach (var (name, v) in r.FinalMetrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(name);
            WriteDouble(w, v);
        }
        w.WriteEndObject();
    }

    private static void WriteDouble(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(FormatNumber(v));
    }

    private static void WriteJson(TextWriter writer, bool indented, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            body(w);
        writer.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        writer.Write('\n');
    }

    private static string FormatTime(DateTime t) => t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    /// <summary>Deedle's CSV writer with the invariant culture; dates first become ISO 8601 text (its own form is culture-style).</summary>
    private static void WriteCsv(Frame<long, string> frame, string keyName, TextWriter writer)
    {
        // Rebuilt column by column: ReplaceColumn would move a replaced column to the end.
        var iso = Frame.FromRowKeys(frame.RowKeys);
        foreach (var (name, type) in frame.ColumnKeys.Zip(frame.ColumnTypes))
            iso.AddColumn(name, type == typeof(DateTime)
                ? frame.GetColumn<DateTime>(name).Select(kv => FormatTime(kv.Value))
                : frame.GetColumn<object>(name));
        iso.SaveCsv(writer, includeRowKeys: true, keyNames: [keyName], separator: ',', culture: CultureInfo.InvariantCulture);
    }

    private static Series<long, T> Column<T>(List<RunRecord> runs, Func<RunRecord, T?> value) where T : class
    {
        var b = new SeriesBuilder<long, T>();
        foreach (var r in runs) if (value(r) is { } v) b.Add(r.Id, v);
        return b.Series;
    }

    private static Series<long, T> ValueColumn<T>(List<RunRecord> runs, Func<RunRecord, T?> value) where T : struct
    {
        var b = new SeriesBuilder<long, T>();
        foreach (var r in runs) if (value(r) is { } v) b.Add(r.Id, v);
        return b.Series;
    }

    private static Series<long, T> RequiredColumn<T>(List<RunRecord> runs, Func<RunRecord, T> value) where T : struct
    {
        var b = new SeriesBuilder<long, T>();
        foreach (var r in runs) b.Add(r.Id, value(r));
        return b.Series;
    }

    /// <summary>A typed column: long when every value is an integer, double when all are numbers, bool, else text.</summary>
    private static ISeries<long> ConfigColumn(long[] ids, Dictionary<long, JsonElement> values)
    {
        var present = ids.Where(values.ContainsKey).ToArray();
        var all = present.Select(id => values[id]).ToArray();
        if (all.All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out _)))
            return new Series<long, long>(present, all.Select(e => e.GetInt64()));
        if (all.All(e => e.ValueKind == JsonValueKind.Number))
            return new Series<long, double>(present, all.Select(e => e.GetDouble()));
        if (all.All(e => e.ValueKind is JsonValueKind.True or JsonValueKind.False))
            return new Series<long, bool>(present, all.Select(e => e.GetBoolean()));
        return new Series<long, string>(present, all.Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()));
    }

    /// <summary>Leaves of a config object: nested objects as dotted paths; arrays, scalars and null as they are.</summary>
    private static IEnumerable<(string Name, JsonElement Value)> Flatten(JsonElement obj, string prefix)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Null) continue; // null: absent, a missing value
            if (p.Value.ValueKind == JsonValueKind.Object)
                foreach (var leaf in Flatten(p.Value, prefix + p.Name + ".")) yield return leaf;
            else yield return (prefix + p.Name, p.Value);
        }
    }
}
