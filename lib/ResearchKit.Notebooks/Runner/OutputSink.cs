using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// Collects the outputs of the cell being executed, in order: stream text (consecutive writes to the same stream
/// merged, as Jupyter does), display_data and execute_result. Thread-safe: kernels and user code may write from
/// worker threads.
/// </summary>
internal sealed class OutputSink(List<CellOutput> outputs)
{
    private readonly Lock _lock = new();
    private bool _closed;

    /// <summary>Appends stream text.</summary>
    public void Write(string stream, string text)
    {
        if (text.Length == 0) return;
        lock (_lock)
        {
            if (_closed) return;
            if (outputs.Count > 0 && outputs[^1] is StreamOutput last && last.Name == stream) last.Text += text;
            else outputs.Add(new StreamOutput(stream, text));
        }
    }

    /// <summary>Appends a rich output.</summary>
    public void Add(CellOutput output)
    {
        lock (_lock)
        {
            if (!_closed) outputs.Add(output);
        }
    }

    /// <summary>Runs <paramref name="action"/> under the sink's lock (display updates).</summary>
    public void Locked(Action action)
    {
        lock (_lock) action();
    }

    /// <summary>Stops accepting output (a timed-out cell may keep running in the background).</summary>
    public void Close()
    {
        lock (_lock) _closed = true;
    }
}
