using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>Text written to stdout or stderr while a cell ran (<c>output_type: "stream"</c>).</summary>
/// <param name="name">The stream: <c>"stdout"</c> or <c>"stderr"</c>.</param>
/// <param name="text">The text written.</param>
public sealed class StreamOutput(string name, string text) : CellOutput
{
    /// <inheritdoc />
    public override string OutputType => "stream";

    /// <summary>The stream: <c>"stdout"</c> or <c>"stderr"</c>.</summary>
    public string Name { get; } = name;

    /// <summary>The text written (consecutive writes to the same stream are merged, as Jupyter does).</summary>
    public string Text { get; set; } = text;

    /// <inheritdoc />
    protected override bool IsModelledKey(string key) => key is "name" or "text";

    /// <inheritdoc />
    protected override void WriteModelledKeys(JsonObject obj)
    {
        obj["name"] = Name;
        obj["text"] = MultilineString.Write(Text);
    }
}
