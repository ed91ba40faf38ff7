using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>
/// One output of a code cell (nbformat 4 <c>outputs[]</c> item). Subclasses model the four output types;
/// keys this model does not know are kept in <see cref="Extra"/> and written back verbatim.
/// </summary>
public abstract class CellOutput
{
    /// <summary>The nbformat <c>output_type</c>.</summary>
    public abstract string OutputType { get; }

    /// <summary>Keys of the output object that this model does not interpret, written back unchanged.</summary>
    public JsonObject Extra { get; } = new();

    /// <summary>Reads an output object; unknown output types are kept as <see cref="UnknownOutput"/>.</summary>
    /// <param name="node">The JSON object.</param>
    /// <param name="where">Where it sits (cell index), for error messages.</param>
    /// <exception cref="FormatException">The output is not an object or misses <c>output_type</c>.</exception>
    public static CellOutput FromJson(JsonNode? node, string where)
    {
        if (node is not JsonObject obj) throw new FormatException($"{where}: an output must be a JSON object, found {node?.ToJsonString() ?? "null"}.");
        string type = obj["output_type"] is JsonValue tv && tv.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? tv.GetValue<string>()
            : throw new FormatException($"{where}: output has no string 'output_type'.");
        CellOutput output = type switch
        {
            "stream" => new StreamOutput(
                MultilineString.Read(obj["name"], where + ".name"),
                MultilineString.Read(obj["text"], where + ".text")),
            "display_data" => new DisplayDataOutput(MimeBundle.Read(obj["data"], where + ".data"), CloneObject(obj["metadata"])),
            "execute_result" => new ExecuteResultOutput(
                MimeBundle.Read(obj["data"], where + ".data"), CloneObject(obj["metadata"]), ReadCount(obj["execution_count"])),
            "error" => new ErrorOutput(
                MultilineString.Read(obj["ename"], where + ".ename"),
                MultilineString.Read(obj["evalue"], where + ".evalue"),
                ReadTraceback(obj["traceback"], where)),
            _ => new UnknownOutput(type),
        };
        foreach (var (key, value) in obj)
        {
            if (key == "output_type" || output.IsModelledKey(key)) continue;
            output.Extra[key] = value?.DeepClone();
        }
        return output;
    }

    /// <summary>Serializes the output to its nbformat JSON object.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["output_type"] = OutputType };
        WriteModelledKeys(obj);
        foreach (var (key, value) in Extra) obj[key] = value?.DeepClone();
        return obj;
    }

    /// <summary>Whether the subclass reads and writes <paramref name="key"/> itself.</summary>
    /// <param name="key">A key of the output object.</param>
    protected abstract bool IsModelledKey(string key);

    /// <summary>Adds the keys the subclass models to <paramref name="obj"/>.</summary>
    /// <param name="obj">The output object being written.</param>
    protected abstract void WriteModelledKeys(JsonObject obj);

    private static JsonObject CloneObject(JsonNode? node) => node is JsonObject o ? (JsonObject)o.DeepClone() : new JsonObject();

    private static int? ReadCount(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? v.GetValue<int>() : null;

    private static List<string> ReadTraceback(JsonNode? node, string where)
    {
        var list = new List<string>();
        if (node is JsonArray a)
        {
            foreach (var item in a) list.Add(MultilineString.Read(item, where + ".traceback"));
        }
        return list;
    }
}
