namespace ResearchKit.Figures;

/// <summary>
/// Finds the local plotly.js bundle (npm package <c>plotly.js-dist-min</c>, installed by
/// <c>environment/install-browser.sh</c>) used for self-contained HTML reports, the offline HTML form of charts and
/// image export.
/// </summary>
public static class PlotlyJs
{
    /// <summary>The plotly.js version pinned in <c>environment/package.json</c>.</summary>
    public const string Version = "4.1.2";

    /// <summary>Environment variable that points at a <c>plotly.min.js</c> file, overriding the search.</summary>
    public const string EnvironmentVariable = "RESEARCHKIT_PLOTLY_JS";

    /// <summary>Location of the bundle relative to the repository root.</summary>
    public const string RelativePath = "environment/node_modules/plotly.js-dist-min/plotly.min.js";

    private static readonly Lock CacheLock = new();
    private static (string Path, string Text)? _cached;

    /// <summary>
    /// The path of plotly.min.js: <see cref="EnvironmentVariable"/> if set, else the first
    /// <see cref="RelativePath"/> found walking up from the application directory, then from the current directory.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing found; the message says how to install it.</exception>
    public static string Locate()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env))
        {
            if (File.Exists(env)) return Path.GetFullPath(env);
            throw new FileNotFoundException(
                $"plotly.js not found at {EnvironmentVariable}={env}: point it at plotly.min.js, or unset it and run environment/install-browser.sh (npm install plotly.js-dist-min).", env);
        }
        var found = Search(AppContext.BaseDirectory) ?? Search(Directory.GetCurrentDirectory());
        return found ?? throw new FileNotFoundException(
            $"plotly.js not found: run environment/install-browser.sh (npm install plotly.js-dist-min) or set {EnvironmentVariable} to a plotly.min.js file. Looked for {RelativePath} in the folders above {AppContext.BaseDirectory} and {Directory.GetCurrentDirectory()}.");
    }

    /// <summary>How to get plotly.js, for messages.</summary>
    public const string InstallHint = "install it with `bash environment/install-browser.sh` (npm package plotly.js-dist-min) or set RESEARCHKIT_PLOTLY_JS to a plotly.min.js file";

    /// <summary>
    /// Like <see cref="Locate"/>, but first searches above <paramref name="startDirectories"/> (e.g. a notebook's folder)
    /// and returns null instead of throwing.
    /// </summary>
    public static string? TryLocate(params string?[] startDirectories)
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable)))
            foreach (var start in startDirectories)
                if (!string.IsNullOrEmpty(start) && Search(Path.GetFullPath(start)) is { } found) return found;
        try { return Locate(); }
        catch (FileNotFoundException) { return null; }
    }

    /// <summary>The text of plotly.min.js (cached per path; about 4.8 MB).</summary>
    /// <param name="path">The file; null runs <see cref="Locate"/>.</param>
    public static string ReadScript(string? path = null)
    {
        path = path is null ? Locate() : Path.GetFullPath(path);
        lock (CacheLock)
        {
            if (_cached is { } c && c.Path == path) return c.Text;
        }
        if (!File.Exists(path))
            throw new FileNotFoundException($"plotly.js not found at {path}: run environment/install-browser.sh or pass the path of plotly.min.js.", path);
        var text = File.ReadAllText(path);
        lock (CacheLock) _cached = (path, text);
        return text;
    }

    /// <summary>
    /// An inline <c>&lt;script&gt;</c> element defining <c>window.Plotly</c>: put it once in a self-contained report,
    /// before the figures' <see cref="ResearchKit.Display.ChartDisplay.ToHtml"/> output.
    /// </summary>
    public static string ScriptTag(string? path = null) =>
        "<script type=\"text/javascript\">/* plotly.js " + Version + " (MIT) */\n"
        + ReadScript(path).Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase) + "\n</script>\n";

    private static string? Search(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
