namespace ResearchKit.Experiments;

/// <summary>
/// How much compute an experiment spends. Presets change sizes (data, steps), never code paths.
/// </summary>
public enum Preset
{
    /// <summary>Seconds: samples committed in the repository, a handful of steps (CI).</summary>
    Smoke,
    /// <summary>Minutes on a laptop CPU: real data, enough training to show the paper's trend.</summary>
    Quick,
    /// <summary>The published protocol verbatim (hours).</summary>
    Paper,
}

/// <summary>Parsing and naming of <see cref="Preset"/>s.</summary>
public static class Presets
{
    /// <summary>Parses "smoke", "quick" or "paper" (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other value; the message lists the allowed ones.</exception>
    public static Preset Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "smoke" => Preset.Smoke,
        "quick" => Preset.Quick,
        "paper" => Preset.Paper,
        _ => throw new ArgumentException($"Unknown preset '{value}': use smoke, quick or paper."),
    };

    /// <summary>Lower-case name used in configs and outputs.</summary>
    public static string Name(this Preset preset) => preset.ToString().ToLowerInvariant();
}
