using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>
/// A Jupyter MIME bundle (<c>data</c> of display_data/execute_result): MIME type → content. Text types hold a
/// string (stored as a list of lines in the file); JSON types (<c>application/json</c>, <c>*+json</c>) hold JSON.
/// </summary>
public sealed class MimeBundle
{
    private readonly SortedDictionary<string, JsonNode?> _items = new(StringComparer.Ordinal);

    /// <summary>The MIME types present.</summary>
    public IEnumerable<string> MimeTypes => _items.Keys;

    /// <summary>Number of representations.</summary>
    public int Count => _items.Count;

    /// <summary>Whether the bundle has <paramref name="mimeType"/>.</summary>
    /// <param name="mimeType">A MIME type.</param>
    public bool Contains(string mimeType) => _items.ContainsKey(mimeType);

    /// <summary>Removes a representation.</summary>
    /// <param name="mimeType">A MIME type.</param>
    /// <returns>Whether it was present.</returns>
    public bool Remove(string mimeType) => _items.Remove(mimeType);

    /// <summary>Whether nbformat stores <paramref name="mimeType"/> as JSON rather than as a (multiline) string.</summary>
    /// <param name="mimeType">A MIME type.</param>
    public static bool IsJsonMime(string mimeType) =>
        mimeType == "application/json" || (mimeType.StartsWith("application/", StringComparison.Ordinal) && mimeType.EndsWith("+json", StringComparison.Ordinal));

    /// <summary>
    /// Sets a representation from its text. For JSON MIME types the text is parsed (so the file holds JSON, as
    /// renderers expect); for the others it is stored as text.
    /// </summary>
    /// <param name="mimeType">A MIME type.</param>
    /// <param name="content">The content as text.</param>
    /// <exception cref="FormatException">A JSON MIME type with content that is not valid JSON.</exception>
    public void Set(string mimeType, string content)
    {
        if (IsJsonMime(mimeType))
        {
            try { _items[mimeType] = JsonNode.Parse(content); }
            catch (JsonException e) { throw new FormatException($"MimeBundle.Set: '{mimeType}' content is not valid JSON ({e.Message}).", e); }
        }
        else _items[mimeType] = JsonValue.Create(content);
    }

    /// <summary>Sets a JSON representation directly.</summary>
    /// <param name="mimeType">A JSON MIME type.</param>
    /// <param name="json">The JSON value.</param>
    public void SetJson(string mimeType, JsonNode? json) => _items[mimeType] = json;

    /// <summary>The content as text (JSON types are serialized compactly), or <c>null</c> if absent.</summary>
    /// <param name="mimeType">A MIME type.</param>
    public string? GetText(string mimeType)
    {
        if (!_items.TryGetValue(mimeType, out var node)) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        return node?.ToJsonString() ?? "null";
    }

    /// <summary>The raw JSON node of a representation, or <c>null</c> if absent.</summary>
    /// <param name="mimeType">A MIME type.</param>
    public JsonNode? GetJson(string mimeType) => _items.TryGetValue(mimeType, out var node) ? node : null;

    /// <summary>Reads a <c>data</c> object (text values may be strings or lists of lines).</summary>
    /// <param name="node">The JSON object.</param>
    /// <param name="where">Location for error messages.</param>
    public static MimeBundle Read(JsonNode? node, string where)
    {
        var bundle = new MimeBundle();
        if (node is null) return bundle;
        if (node is not JsonObject obj) throw new FormatException($"{where}: a MIME bundle must be a JSON object, found {node.ToJsonString()}.");
        foreach (var (mime, value) in obj)
        {
            bundle._items[mime] = !IsJsonMime(mime) && IsStringOrLines(value)
                ? JsonValue.Create(MultilineString.Read(value, $"{where}['{mime}']"))
                : value?.DeepClone();
        }
        return bundle;
    }

    private static bool IsStringOrLines(JsonNode? node) => node switch
    {
        JsonValue v => v.GetValueKind() == JsonValueKind.String,
        JsonArray a => a.All(e => e is JsonValue ev && ev.GetValueKind() == JsonValueKind.String),
        _ => false,
    };

    /// <summary>Writes the <c>data</c> object: text as lists of lines, JSON types as JSON.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject();
        foreach (var (mime, value) in _items)
        {
            obj[mime] = !IsJsonMime(mime) && value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? MultilineString.Write(v.GetValue<string>())
                : value?.DeepClone();
        }
        return obj;
    }
}
