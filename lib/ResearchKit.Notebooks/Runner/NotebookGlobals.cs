using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// Members every cell can call without qualification, like the Polyglot kernel's <c>using static Kernel</c>.
/// Public because Roslyn scripting binds script code against the globals type.
/// </summary>
public sealed class NotebookGlobals
{
    internal OutputSink? Sink { get; set; }

    /// <summary>
    /// Shows <paramref name="value"/> below the cell as a <c>display_data</c> output: kit objects (figures, tables,
    /// …) give their rich MIME bundle (<c>IRichDisplay</c>), anything else its text.
    /// </summary>
    /// <param name="value">The value to show.</param>
    /// <param name="mimeTypes">Restrict the output to these MIME types (all when empty).</param>
    /// <returns>A handle to update the output in place.</returns>
    /// <exception cref="InvalidOperationException">Called outside a running cell (e.g. from a background task after the cell ended).</exception>
    // Lower-case to match the kernel's API, so notebooks run unchanged in VS Code.
#pragma warning disable IDE1006
    public DisplayedValue display(object? value, params string[] mimeTypes)
#pragma warning restore IDE1006
    {
        var sink = Sink ?? throw new InvalidOperationException("display: no cell is running; call display(...) from cell code.");
        var (data, metadata) = RichFormatter.Format(value, mimeTypes);
        var output = new DisplayDataOutput(data, metadata);
        sink.Add(output);
        return new DisplayedValue(output, sink, mimeTypes);
    }
}
