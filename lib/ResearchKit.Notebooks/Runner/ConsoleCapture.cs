using System.Text;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// Routes <see cref="Console.Out"/> and <see cref="Console.Error"/> to the output sink of the cell running on the
/// current logical call context (an <see cref="AsyncLocal{T}"/>), and to the original console otherwise. Console
/// redirection is process-wide, so routing per call context keeps concurrent runners (parallel tests) apart.
/// </summary>
internal static class ConsoleCapture
{
    private static readonly AsyncLocal<OutputSink?> s_current = new();
    private static readonly Lock s_lock = new();
    private static TextWriter? s_installedOut, s_installedErr;

    /// <summary>The sink receiving console output on this call context (null: pass through).</summary>
    public static OutputSink? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    /// <summary>Installs the routing writers unless they are already the console's writers.</summary>
    public static void EnsureInstalled()
    {
        lock (s_lock)
        {
            if (!ReferenceEquals(Console.Out, s_installedOut))
            {
                Console.SetOut(new RoutingWriter("stdout", Console.Out));
                s_installedOut = Console.Out;
            }
            if (!ReferenceEquals(Console.Error, s_installedErr))
            {
                Console.SetError(new RoutingWriter("stderr", Console.Error));
                s_installedErr = Console.Error;
            }
        }
    }

    private sealed class RoutingWriter(string stream, TextWriter original) : TextWriter
    {
        public override Encoding Encoding => original.Encoding;

        public override void Write(char value)
        {
            if (s_current.Value is { } sink) sink.Write(stream, value.ToString());
            else original.Write(value);
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            if (s_current.Value is { } sink) sink.Write(stream, value);
            else original.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            if (s_current.Value is { } sink) sink.Write(stream, new string(buffer, index, count));
            else original.Write(buffer, index, count);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            if (s_current.Value is { } sink) sink.Write(stream, new string(buffer));
            else original.Write(buffer);
        }

        public override void WriteLine(string? value)
        {
            // One append per line keeps lines whole when several threads write.
            if (s_current.Value is { } sink) sink.Write(stream, value + NewLine);
            else original.WriteLine(value);
        }

        public override void Flush()
        {
            if (s_current.Value is null) original.Flush();
        }
    }
}
