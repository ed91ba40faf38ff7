using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>An output of a type this model does not know; all its keys are kept in <see cref="CellOutput.Extra"/>.</summary>
/// <param name="outputType">The <c>output_type</c> as read.</param>
public sealed class UnknownOutput(string outputType) : CellOutput
{
    /// <inheritdoc />
    public override string OutputType { get; } = outputType;

    /// <inheritdoc />
    protected override bool IsModelledKey(string key) => false;

    /// <inheritdoc />
    protected override void WriteModelledKeys(JsonObject obj) { }
}
