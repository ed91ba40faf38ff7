using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>A rich value shown by <c>display(...)</c> (<c>output_type: "display_data"</c>).</summary>
/// <param name="data">The MIME bundle.</param>
/// <param name="metadata">Output metadata (e.g. <c>researchkit</c> export names); kept verbatim.</param>
public class DisplayDataOutput(MimeBundle data, JsonObject metadata) : CellOutput
{
    /// <inheritdoc />
    public override string OutputType => "display_data";

    /// <summary>The MIME bundle: MIME type → content.</summary>
    public MimeBundle Data { get; set; } = data;

    /// <summary>Output metadata, written back verbatim.</summary>
    public JsonObject Metadata { get; set; } = metadata;

    /// <inheritdoc />
    protected override bool IsModelledKey(string key) => key is "data" or "metadata";

    /// <inheritdoc />
    protected override void WriteModelledKeys(JsonObject obj)
    {
        obj["data"] = Data.ToJson();
        obj["metadata"] = Metadata.DeepClone();
    }
}
