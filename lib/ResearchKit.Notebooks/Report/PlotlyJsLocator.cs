namespace ResearchKit.Notebooks.Report;

/// <summary>
/// Finds plotly.min.js for offline reports: <c>RESEARCHKIT_PLOTLY_JS</c>, else
/// <c>environment/node_modules/plotly.js-dist-min/plotly.min.js</c> in a folder above the notebook, the working
/// directory or the running assembly (installed by <c>environment/install-browser.sh</c>).
/// </summary>
public static class PlotlyJsLocator
{
    /// <summary>Environment variable naming plotly.min.js explicitly.</summary>
    public const string EnvironmentVariable = "RESEARCHKIT_PLOTLY_JS";

    /// <summary>Path below a repository root.</summary>
    public static readonly string RelativePath = Path.Combine("environment", "node_modules", "plotly.js-dist-min", "plotly.min.js");

    /// <summary>How to get plotly.js when it is missing.</summary>
    public const string InstallHint = "install it with `bash environment/install-browser.sh` (npm package plotly.js-dist-min) or set RESEARCHKIT_PLOTLY_JS to a plotly.min.js file";

    /// <summary>The path of plotly.min.js, or <c>null</c> if none is found.</summary>
    /// <param name="startDirectories">Folders to walk up from (e.g. the notebook's); the working directory and the assembly folder are added.</param>
    public static string? Find(params string?[] startDirectories)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env && File.Exists(env)) return Path.GetFullPath(env);
        foreach (var start in startDirectories.Append(Directory.GetCurrentDirectory()).Append(AppContext.BaseDirectory))
        {
            if (string.IsNullOrEmpty(start)) continue;
            for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, RelativePath);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
