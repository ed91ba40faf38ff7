using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ResearchKit.Runs;

/// <summary>
/// Exports runs as CSV or JSON (for <c>rk runs export</c>, spreadsheets and pandas). Numbers use the invariant culture
/// and the shortest round-trip form; non-finite values are written as <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>
/// (as strings in JSON, which has no literal for them).
/// </summary>
public static class RunExport
{
    /// <summary>Writes a run's metric series as CSV: header <c>step,name,value</c>, one row per point, ordered by step.</summary>
    /// <exception cref="KeyNotFoundException">No run with this id.</exception>
    public static void ToCsv(IRunStore store, long runId, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(writer);
        _ = GetRun(store, runId, nameof(ToCsv));
        var sb = new StringBuilder("step,name,value\n");
        foreach (var p in store.Metrics(runId))
        {
            sb.Append(p.Step.ToString(CultureInfo.InvariantCulture)).Append(',');
            AppendCsvField(sb, p.Name);
            sb.Append(',').Append(FormatNumber(p.Value)).Append('\n');
        }
        writer.Write(sb.ToString());
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
    /// Writes a table of runs as CSV: <c>id,status,config_hash,started_utc,ended_utc,duration_s,error</c> followed by one
    /// column per final metric name (union over the runs, sorted ordinally; empty where a run lacks it).
    /// </summary>
    public static void RunsToCsv(IEnumerable<RunRecord> runs, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(writer);
        var list = runs.ToList();
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var r in list) names.UnionWith(r.FinalMetrics.Keys);
        var sb = new StringBuilder("id,status,config_hash,started_utc,ended_utc,duration_s,error");
        foreach (string n in names) { sb.Append(','); AppendCsvField(sb, n); }
        sb.Append('\n');
        foreach (var r in list)
        {
            sb.Append(r.Id.ToString(CultureInfo.InvariantCulture)).Append(',').Append(r.Status).Append(',').Append(r.ConfigHash).Append(',')
              .Append(FormatTime(r.StartedUtc)).Append(',').Append(r.EndedUtc is { } e ? FormatTime(e) : "").Append(',')
              .Append(r.EndedUtc is { } end ? FormatNumber((end - r.StartedUtc).TotalSeconds) : "").Append(',');
            AppendCsvField(sb, r.Error ?? "");
            foreach (string n in names)
            {
                sb.Append(',');
                if (r.FinalMetrics.TryGetValue(n, out double v)) sb.Append(FormatNumber(v));
            }
            sb.Append('\n');
        }
        writer.Write(sb.ToString());
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

    private static void AppendCsvField(StringBuilder sb, string field)
    {
        if (field.AsSpan().IndexOfAny(",\"\r\n") < 0) { sb.Append(field); return; }
        sb.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
