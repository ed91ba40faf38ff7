using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// What <c>display(...)</c> returns, shaped like the Polyglot kernel's <c>DisplayedValue</c>: call
/// <see cref="Update"/> to replace the shown value in place (e.g. a progress line or a live loss curve).
/// </summary>
public sealed class DisplayedValue
{
    private readonly DisplayDataOutput _output;
    private readonly OutputSink _sink;
    private readonly string[] _mimeTypes;

    internal DisplayedValue(DisplayDataOutput output, OutputSink sink, string[] mimeTypes)
    {
        _output = output;
        _sink = sink;
        _mimeTypes = mimeTypes;
        DisplayId = Guid.NewGuid().ToString("N");
    }

    /// <summary>An id for this display (unique within the process).</summary>
    public string DisplayId { get; }

    /// <summary>Replaces the displayed value with <paramref name="value"/>, formatted the same way.</summary>
    /// <param name="value">The new value.</param>
    public void Update(object? value)
    {
        var (data, metadata) = RichFormatter.Format(value, _mimeTypes);
        _sink.Locked(() =>
        {
            _output.Data = data;
            _output.Metadata = metadata;
        });
    }

    /// <summary>Empty, so an un-terminated <c>display(x)</c> as the last line shows nothing more.</summary>
    public override string ToString() => "";
}
