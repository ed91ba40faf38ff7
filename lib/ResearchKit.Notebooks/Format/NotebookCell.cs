using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>
/// One notebook cell (nbformat 4.5). Metadata and unknown keys (e.g. <c>attachments</c>) are kept verbatim so a
/// read/write round trip preserves what Jupyter, VS Code and Polyglot Notebooks stored.
/// </summary>
public sealed class NotebookCell
{
    /// <summary>Creates a cell.</summary>
    /// <param name="type">The cell type.</param>
    /// <param name="source">The cell text.</param>
    /// <param name="id">The nbformat 4.5 id (1–64 chars of [a-zA-Z0-9-_]); a fresh one when <c>null</c>.</param>
    /// <exception cref="ArgumentException">The id is not a valid nbformat 4.5 id.</exception>
    public NotebookCell(CellType type, string source, string? id = null)
    {
        id ??= CellId.New();
        if (!CellId.IsValid(id)) throw new ArgumentException($"NotebookCell: '{id}' is not a valid nbformat 4.5 cell id (1-64 characters of [a-zA-Z0-9-_]).", nameof(id));
        Type = type;
        Source = source;
        Id = id;
    }

    /// <summary>The cell id (kept across runs).</summary>
    public string Id { get; set; }

    /// <summary>The cell type.</summary>
    public CellType Type { get; set; }

    /// <summary>The cell text.</summary>
    public string Source { get; set; }

    /// <summary>Cell metadata (tags, <c>polyglot_notebook.kernelName</c>, anything else), written back verbatim.</summary>
    public JsonObject Metadata { get; set; } = new();

    /// <summary>Outputs (code cells only).</summary>
    public List<CellOutput> Outputs { get; } = [];

    /// <summary>Execution count (code cells only); <c>null</c> when not executed.</summary>
    public int? ExecutionCount { get; set; }

    /// <summary>Keys this model does not interpret (e.g. <c>attachments</c>), written back verbatim.</summary>
    public JsonObject Extra { get; } = new();

    /// <summary>The <c>metadata.tags</c> list (empty when absent).</summary>
    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray a
            ? a.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()).ToList()
            : [];

    /// <summary>Whether the cell carries <paramref name="tag"/> in <c>metadata.tags</c>.</summary>
    /// <param name="tag">A tag such as <c>parameters</c>.</param>
    public bool HasTag(string tag) => Tags.Contains(tag, StringComparer.Ordinal);

    /// <summary>Adds a tag to <c>metadata.tags</c> (no duplicates).</summary>
    /// <param name="tag">The tag.</param>
    public void AddTag(string tag)
    {
        if (HasTag(tag)) return;
        if (Metadata["tags"] is not JsonArray a) Metadata["tags"] = a = new JsonArray();
        a.Add(tag);
    }

    /// <summary>
    /// The Polyglot kernel of the cell: <c>metadata.polyglot_notebook.kernelName</c>, else the older
    /// <c>metadata.dotnet_interactive.language</c>, else <c>null</c> (the notebook's default kernel).
    /// </summary>
    public string? KernelName
    {
        get
        {
            if (Metadata["polyglot_notebook"] is JsonObject p && p["kernelName"] is JsonValue k && k.GetValueKind() == JsonValueKind.String) return k.GetValue<string>();
            if (Metadata["dotnet_interactive"] is JsonObject d && d["language"] is JsonValue l && l.GetValueKind() == JsonValueKind.String) return l.GetValue<string>();
            return null;
        }
    }

    /// <summary>Reads a cell object.</summary>
    /// <param name="node">The JSON object.</param>
    /// <param name="index">The cell's index, for error messages.</param>
    /// <exception cref="FormatException">The cell is malformed.</exception>
    public static NotebookCell FromJson(JsonNode? node, int index)
    {
        string where = $"cells[{index}]";
        if (node is not JsonObject obj) throw new FormatException($"{where}: a cell must be a JSON object.");
        string typeText = obj["cell_type"] is JsonValue tv && tv.GetValueKind() == JsonValueKind.String ? tv.GetValue<string>() : "";
        var type = typeText switch
        {
            "code" => CellType.Code,
            "markdown" => CellType.Markdown,
            "raw" => CellType.Raw,
            _ => throw new FormatException($"{where}: cell_type must be \"code\", \"markdown\" or \"raw\", found '{typeText}'."),
        };
        // nbformat < 4.5 files have no ids; give them one (nbformat does the same when upgrading).
        string? id = obj["id"] is JsonValue iv && iv.GetValueKind() == JsonValueKind.String ? iv.GetValue<string>() : null;
        if (id is not null && !CellId.IsValid(id)) throw new FormatException($"{where}: id '{id}' is not a valid nbformat 4.5 cell id (1-64 characters of [a-zA-Z0-9-_]).");
        var cell = new NotebookCell(type, MultilineString.Read(obj["source"], where + ".source"), id)
        {
            Metadata = obj["metadata"] is JsonObject m ? (JsonObject)m.DeepClone() : new JsonObject(),
        };
        if (obj["execution_count"] is JsonValue ev && ev.GetValueKind() == JsonValueKind.Number) cell.ExecutionCount = ev.GetValue<int>();
        if (obj["outputs"] is JsonArray outs)
        {
            for (int i = 0; i < outs.Count; i++) cell.Outputs.Add(CellOutput.FromJson(outs[i], $"{where}.outputs[{i}]"));
        }
        foreach (var (key, value) in obj)
        {
            if (key is "id" or "cell_type" or "source" or "metadata" or "execution_count" or "outputs") continue;
            cell.Extra[key] = value?.DeepClone();
        }
        return cell;
    }

    /// <summary>Serializes the cell (code cells always carry <c>outputs</c> and <c>execution_count</c>, as the schema requires).</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject
        {
            ["cell_type"] = Type switch { CellType.Code => "code", CellType.Markdown => "markdown", _ => "raw" },
            ["id"] = Id,
            ["metadata"] = Metadata.DeepClone(),
            ["source"] = MultilineString.Write(Source),
        };
        if (Type == CellType.Code)
        {
            obj["execution_count"] = ExecutionCount;
            var outs = new JsonArray();
            foreach (var o in Outputs) outs.Add(o.ToJson());
            obj["outputs"] = outs;
        }
        foreach (var (key, value) in Extra) obj[key] = value?.DeepClone();
        return obj;
    }
}
