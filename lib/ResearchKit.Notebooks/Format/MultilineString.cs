using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>
/// nbformat's "multiline string": either one string or a list of strings that are concatenated.
/// Jupyter writes the list form, one element per line with its line ending kept; so do we.
/// </summary>
public static class MultilineString
{
    /// <summary>Reads a string or a list of strings (concatenated without separators, as nbformat defines it).</summary>
    /// <param name="node">The JSON value; <c>null</c> reads as the empty string.</param>
    /// <param name="what">What is being read, for the error message.</param>
    /// <exception cref="FormatException">The value is neither a string nor a list of strings.</exception>
    public static string Read(JsonNode? node, string what)
    {
        switch (node)
        {
            case null:
                return "";
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String:
                return v.GetValue<string>();
            case JsonArray a:
                var sb = new System.Text.StringBuilder();
                foreach (var item in a)
                {
                    if (item is JsonValue iv && iv.GetValueKind() == System.Text.Json.JsonValueKind.String) sb.Append(iv.GetValue<string>());
                    else throw new FormatException($"{what}: expected a string or a list of strings, found an element {item?.ToJsonString() ?? "null"}.");
                }
                return sb.ToString();
            default:
                throw new FormatException($"{what}: expected a string or a list of strings, found {node.ToJsonString()}.");
        }
    }

    /// <summary>Splits text into lines that keep their line endings (Python's <c>splitlines(keepends=True)</c> on \n).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The lines; empty for empty text.</returns>
    public static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                lines.Add(text[start..(i + 1)]);
                start = i + 1;
            }
        }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }

    /// <summary>Writes text in Jupyter's list-of-lines form.</summary>
    /// <param name="text">The text.</param>
    /// <returns>A JSON array with one string per line.</returns>
    public static JsonArray Write(string text)
    {
        var array = new JsonArray();
        foreach (var line in SplitLines(text)) array.Add(line);
        return array;
    }
}
