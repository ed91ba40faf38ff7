namespace ResearchKit.Notebooks;

/// <summary>Marker for the notebooks assembly (runner, reports, figure export).</summary>
public static class NotebooksAssembly
{
    /// <summary>The assembly version string.</summary>
    public static string Version => typeof(NotebooksAssembly).Assembly.GetName().Version?.ToString() ?? "0.0.0";
}
