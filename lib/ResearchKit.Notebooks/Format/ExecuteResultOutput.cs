using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>The value of a cell's trailing expression (<c>output_type: "execute_result"</c>).</summary>
/// <param name="data">The MIME bundle.</param>
/// <param name="metadata">Output metadata; kept verbatim.</param>
/// <param name="executionCount">The execution count of the cell that produced it.</param>
public sealed class ExecuteResultOutput(MimeBundle data, JsonObject metadata, int? executionCount) : DisplayDataOutput(data, metadata)
{
    /// <inheritdoc />
    public override string OutputType => "execute_result";

    /// <summary>The execution count of the cell that produced the value.</summary>
    public int? ExecutionCount { get; set; } = executionCount;

    /// <inheritdoc />
    protected override bool IsModelledKey(string key) => key is "execution_count" || base.IsModelledKey(key);

    /// <inheritdoc />
    protected override void WriteModelledKeys(JsonObject obj)
    {
        base.WriteModelledKeys(obj);
        obj["execution_count"] = ExecutionCount;
    }
}
