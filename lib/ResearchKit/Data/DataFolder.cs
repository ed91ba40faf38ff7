namespace ResearchKit.Data;

/// <summary>
/// Locates the repository's <c>data/</c> folder (manifest and samples): walking up from the assembly folder, then from
/// the current directory (notebooks run inside the repository), then a copy next to the assembly (tests copy
/// <c>data/samples</c> there).
/// </summary>
public static class DataFolder
{
    private static readonly Lazy<string?> Found = new(Search);

    /// <summary>The <c>data</c> folder holding <c>samples/</c>.</summary>
    /// <exception cref="DirectoryNotFoundException">Not found; the message lists where it was looked for.</exception>
    public static string Path => Found.Value ?? throw new DirectoryNotFoundException(
        $"ResearchKit's data/samples folder was not found: searched upwards from {AppContext.BaseDirectory} and from " +
        $"{Environment.CurrentDirectory}, and in {System.IO.Path.Combine(AppContext.BaseDirectory, "data")}. Run from inside the " +
        "ResearchKit repository, or copy its data/samples folder next to your assembly (as data/samples).");

    /// <summary>The data folder, or null when it cannot be found.</summary>
    public static string? TryFind() => Found.Value;

    internal static string? Search()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string data = System.IO.Path.Combine(dir.FullName, "data");
                if (File.Exists(System.IO.Path.Combine(data, "manifest.json")) && Directory.Exists(System.IO.Path.Combine(data, "samples")))
                    return data;
            }
        string copied = System.IO.Path.Combine(AppContext.BaseDirectory, "data");
        return Directory.Exists(System.IO.Path.Combine(copied, "samples")) ? copied : null;
    }
}
