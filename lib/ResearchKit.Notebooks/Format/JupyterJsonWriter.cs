using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>
/// Serializes JSON exactly like Python's <c>json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)</c>,
/// which is what Jupyter uses, so files written here diff cleanly against files saved by Jupyter.
/// </summary>
public static class JupyterJsonWriter
{
    /// <summary>Serializes <paramref name="node"/> (no trailing newline).</summary>
    /// <param name="node">The JSON value.</param>
    public static string Write(JsonNode? node)
    {
        var sb = new StringBuilder();
        WriteNode(sb, node, 0);
        return sb.ToString();
    }

    private static void WriteNode(StringBuilder sb, JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                if (obj.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                bool first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) sb.Append(',');
                    first = false;
                    NewLine(sb, depth + 1);
                    WriteString(sb, key);
                    sb.Append(": ");
                    WriteNode(sb, value, depth + 1);
                }
                NewLine(sb, depth);
                sb.Append('}');
                break;
            case JsonArray arr:
                if (arr.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int i = 0; i < arr.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    NewLine(sb, depth + 1);
                    WriteNode(sb, arr[i], depth + 1);
                }
                NewLine(sb, depth);
                sb.Append(']');
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String: WriteString(sb, v.GetValue<string>()); break;
                    case JsonValueKind.True: sb.Append("true"); break;
                    case JsonValueKind.False: sb.Append("false"); break;
                    case JsonValueKind.Null: sb.Append("null"); break;
                    // Numbers keep their original text (no float reformatting on a round trip).
                    default: sb.Append(v.ToJsonString()); break;
                }
                break;
        }
    }

    private static void NewLine(StringBuilder sb, int depth) => sb.Append('\n').Append(' ', depth);

    /// <summary>Python's escaping with ensure_ascii=False: only quote, backslash and control characters.</summary>
    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
