using System.Globalization;

namespace ResearchKit.Benchmarks;

/// <summary>
/// The <c>--name value</c> options of a sub-command, checked against the names it knows: an unknown name, a name without a
/// value or a malformed number is an <see cref="ArgumentException"/> that names the command, the option and what it takes.
/// </summary>
internal sealed class BenchArgs
{
    private readonly string _command;
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>Reads <paramref name="args"/> as pairs; <paramref name="usage"/> (e.g. "--steps N, --device NAME") is shown on errors.</summary>
    /// <exception cref="ArgumentException">An option is unknown or has no value.</exception>
    public BenchArgs(string command, IReadOnlyList<string> args, string usage, params string[] known)
    {
        _command = command;
        for (int i = 0; i < args.Count; i += 2)
        {
            if (!known.Contains(args[i])) throw new ArgumentException($"{command}: unknown option {args[i]} ({usage}).");
            if (i + 1 >= args.Count) throw new ArgumentException($"{command}: {args[i]} needs a value ({usage}).");
            _values[args[i]] = args[i + 1];
        }
    }

    /// <summary>The option's text, or null when it was not given.</summary>
    public string? Text(string name) => _values.GetValueOrDefault(name);

    /// <summary>The option as an integer of at least <paramref name="min"/>, or null when it was not given.</summary>
    /// <exception cref="ArgumentException">The value is not such an integer.</exception>
    public int? Int(string name, int min = 1) =>
        _values.TryGetValue(name, out string? s)
            ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min ? v
                : throw new ArgumentException($"{_command}: {name} takes an integer >= {min}, got '{s}'.")
            : null;
}
