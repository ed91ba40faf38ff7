using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Format;

/// <summary>An exception or compile error raised by a cell (<c>output_type: "error"</c>).</summary>
/// <param name="ename">The error name (exception type).</param>
/// <param name="evalue">The error message.</param>
/// <param name="traceback">The traceback lines.</param>
public sealed class ErrorOutput(string ename, string evalue, IReadOnlyList<string> traceback) : CellOutput
{
    /// <inheritdoc />
    public override string OutputType => "error";

    /// <summary>The error name, e.g. <c>System.InvalidOperationException</c> or <c>CompilationError</c>.</summary>
    public string EName { get; } = ename;

    /// <summary>The error message.</summary>
    public string EValue { get; } = evalue;

    /// <summary>The traceback, one entry per line.</summary>
    public IReadOnlyList<string> Traceback { get; } = traceback;

    /// <inheritdoc />
    protected override bool IsModelledKey(string key) => key is "ename" or "evalue" or "traceback";

    /// <inheritdoc />
    protected override void WriteModelledKeys(JsonObject obj)
    {
        obj["ename"] = EName;
        obj["evalue"] = EValue;
        var tb = new JsonArray();
        foreach (var line in Traceback) tb.Add(line);
        obj["traceback"] = tb;
    }
}
