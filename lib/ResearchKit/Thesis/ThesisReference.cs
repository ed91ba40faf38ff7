using System.Text.Json;

namespace ResearchKit.Thesis;

/// <summary>
/// The thesis' numbers kept in the project: the protocol values experiments must use (with the section that states
/// each) and the results tables and text claims notebooks compare against. Facts transcribed from the thesis into
/// <c>data/thesis/chapter{N}.json</c> (chapters 4, 5 and 6), embedded in the assembly, so nothing is read from outside the
/// repository; one loader (<see cref="Chapter(int)"/>) serves every chapter.
/// </summary>
/// <example>
/// <code>
/// var thesis = ThesisReference.Chapter4;
/// double wt30k = thesis.Value("4.3", "80", "WT_30k");                       // 98.96
/// long tSave = thesis.Protocol("seqmnist.tickets.t_save.WT_30k").AsInt64();  // 30000, §4.5.3
/// double gml = ThesisReference.Chapter5.Value("5.3", "CIFAR-10 binary/2", "Acc_GML");  // 91.2
/// </code>
/// </example>
public sealed class ThesisReference
{
    /// <summary>The chapters kept in the project, each loaded once from its embedded file on first use.</summary>
    private static readonly IReadOnlyDictionary<int, Lazy<ThesisReference>> Chapters = new[] { 4, 5, 6 }
        .ToDictionary(n => n, n => new Lazy<ThesisReference>(() => LoadEmbedded($"ResearchKit.Thesis.chapter{n}.json")));
    private readonly Dictionary<string, ThesisTable> _tables;
    private readonly Dictionary<string, ThesisProtocolValue> _protocol;
    private readonly Dictionary<string, ThesisClaim> _claims;

    private ThesisReference(string source, List<ThesisTable> tables, List<ThesisProtocolValue> protocol, List<ThesisClaim> claims)
    {
        Source = source;
        Tables = tables;
        ProtocolValues = protocol;
        Claims = claims;
        _tables = tables.ToDictionary(t => t.Id, StringComparer.Ordinal);
        _protocol = protocol.ToDictionary(p => p.Key, StringComparer.Ordinal);
        _claims = claims.ToDictionary(c => c.Id, StringComparer.Ordinal);
    }

    /// <summary>Chapter 4 (LSTM pruning, lottery tickets, sub-sampling): Tables 4.2–4.8 and the chapter's protocol.</summary>
    public static ThesisReference Chapter4 => Chapter(4);

    /// <summary>Chapter 5 (DL-QAT: quantization-aware training with disentangled losses): Tables 5.1–5.4, the chapter's
    /// protocol (§5.4.1, Alg. 5, captions of Figs. 5.2–5.4) and its text claims.</summary>
    public static ThesisReference Chapter5 => Chapter(5);

    /// <summary>Chapter 6 (Ensemble Hash Defense against SPSA) with Appendix A (PGD on DL-QAT models): Tables 6.1–6.8 and A.1,
    /// the protocol of §6.5.1, §A.2 and App. B (values the thesis leaves open are the string "not stated"), and the text claims.</summary>
    public static ThesisReference Chapter6 => Chapter(6);

    /// <summary>The reference of thesis chapter <paramref name="number"/> (4, 5 or 6; 6 includes Appendix A).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The project keeps no reference for that chapter; the message lists those it keeps.</exception>
    public static ThesisReference Chapter(int number) => Chapters.TryGetValue(number, out var c) ? c.Value
        : throw new ArgumentOutOfRangeException(nameof(number), number, $"The project keeps thesis references for chapters {string.Join(", ", Chapters.Keys)} only.");

    /// <summary>Where the numbers come from.</summary>
    public string Source { get; }

    /// <summary>The results tables, in thesis order.</summary>
    public IReadOnlyList<ThesisTable> Tables { get; }

    /// <summary>Every protocol value, in file order.</summary>
    public IReadOnlyList<ThesisProtocolValue> ProtocolValues { get; }

    /// <summary>Numbers stated in the text or captions.</summary>
    public IReadOnlyList<ThesisClaim> Claims { get; }

    /// <summary>Table <paramref name="id"/> (e.g. "4.3").</summary>
    /// <exception cref="KeyNotFoundException">No such table; the message lists the tables.</exception>
    public ThesisTable Table(string id) => _tables.TryGetValue(id, out var t) ? t
        : throw new KeyNotFoundException($"The thesis reference has no Table {id}; it has Tables {string.Join(", ", _tables.Keys)}.");

    /// <summary>A cell of table <paramref name="table"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such table, row or number.</exception>
    public double Value(string table, string row, string column) => Table(table).Value(row, column);

    /// <summary>The protocol value <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such key; the message lists keys with the same prefix.</exception>
    public ThesisProtocolValue Protocol(string key)
    {
        if (_protocol.TryGetValue(key, out var v)) return v;
        string prefix = key.Contains('.', StringComparison.Ordinal) ? key[..key.IndexOf('.', StringComparison.Ordinal)] : key;
        throw new KeyNotFoundException($"The thesis reference has no protocol value '{key}'; keys starting with '{prefix}': " +
            string.Join(", ", _protocol.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))) + ".");
    }

    /// <summary>The text claim <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such claim; the message lists the claims.</exception>
    public ThesisClaim Claim(string id) => _claims.TryGetValue(id, out var c) ? c
        : throw new KeyNotFoundException($"The thesis reference has no claim '{id}'; claims: {string.Join(", ", _claims.Keys)}.");

    /// <summary>Parses a reference file (the format of <c>data/thesis/chapter4.json</c>, <c>chapter5.json</c> and <c>chapter6.json</c>; a row's optional
    /// "text" object holds its cells printed as text, see <see cref="ThesisRow.Text"/>).</summary>
    /// <param name="json">File contents.</param>
    /// <param name="origin">Name used in error messages.</param>
    /// <exception cref="InvalidDataException">Malformed JSON, a missing field, or a duplicate table, key or claim.</exception>
    public static ThesisReference Parse(string json, string origin)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var tables = new List<ThesisTable>();
            foreach (var t in root.GetProperty("tables").EnumerateArray())
            {
                var rows = new List<ThesisRow>();
                foreach (var r in t.GetProperty("rows").EnumerateArray())
                {
                    var values = new Dictionary<string, double>(StringComparer.Ordinal);
                    foreach (var cell in r.GetProperty("values").EnumerateObject()) values.Add(cell.Name, cell.Value.GetDouble());
                    var bold = r.TryGetProperty("bold", out var b) ? b.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
                    var text = new Dictionary<string, string>(StringComparer.Ordinal);
                    if (r.TryGetProperty("text", out var tx))
                        foreach (var cell in tx.EnumerateObject()) text.Add(cell.Name, cell.Value.GetString() ?? throw new InvalidOperationException($"row '{r.GetProperty("row").GetString()}': text cell '{cell.Name}' is null"));
                    rows.Add(new ThesisRow(r.GetProperty("row").GetString()!, values, bold) { Text = text });
                }
                tables.Add(new ThesisTable(t.GetProperty("id").GetString()!, t.GetProperty("section").GetString()!, t.GetProperty("page").GetInt32(),
                    t.GetProperty("units").GetString()!, t.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToList(), rows));
            }
            var protocol = root.GetProperty("protocol").EnumerateArray()
                .Select(p => new ThesisProtocolValue(p.GetProperty("key").GetString()!, p.GetProperty("value").Clone(), p.GetProperty("section").GetString()!)).ToList();
            var claims = root.GetProperty("claims").EnumerateArray()
                .Select(c => new ThesisClaim(c.GetProperty("id").GetString()!, c.GetProperty("value").GetDouble(), c.GetProperty("section").GetString()!,
                    c.GetProperty("what").GetString()!)).ToList();
            return new ThesisReference(root.GetProperty("source").GetString()!, tables, protocol, claims);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"Thesis reference '{origin}' is malformed ({e.Message}); restore it from the repository (data/thesis/).", e);
        }
    }

    private static ThesisReference LoadEmbedded(string resource)
    {
        using var stream = typeof(ThesisReference).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The ResearchKit assembly lacks the embedded resource '{resource}'; rebuild it from the repository.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), resource);
    }
}
