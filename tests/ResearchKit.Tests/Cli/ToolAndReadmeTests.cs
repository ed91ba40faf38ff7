using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using ResearchKit.Cli.Errors;
using Xunit;

namespace ResearchKit.Tests.Cli;

/// <summary>
/// rk is a .NET tool installed through the repository's tool manifest (`dotnet rk`, after environment/setup.sh), and
/// the README documents exactly the exit codes the CLI uses and one form of the command.
/// </summary>
public partial class ToolAndReadmeTests
{
    private static string Repo(params string[] parts) => Path.Combine([RkProcess.RepoRoot(), .. parts]);

    internal static string ManifestVersion()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Repo(".config", "dotnet-tools.json")));
        var tool = doc.RootElement.GetProperty("tools").GetProperty("researchkit.cli");
        Assert.Equal("rk", Assert.Single(tool.GetProperty("commands").EnumerateArray()).GetString());
        return tool.GetProperty("version").GetString()!;
    }

    [Fact]
    public void ToolManifest_PinsTheVersionTheCliProjectPacks_AsCommandRk()
    {
        string csproj = File.ReadAllText(Repo("lib", "ResearchKit.Cli", "ResearchKit.Cli.csproj"));
        Assert.Contains("<PackAsTool>true</PackAsTool>", csproj);
        Assert.Contains("<ToolCommandName>rk</ToolCommandName>", csproj);
        Assert.Contains("<PackageId>researchkit.cli</PackageId>", csproj);
        Assert.Contains($"<Version>{ManifestVersion()}</Version>", csproj);
        Assert.Contains(".tools/", File.ReadAllLines(Repo(".gitignore")).Select(l => l.Trim('/') + "/"));
        string setup = File.ReadAllText(Repo("environment", "setup.sh"));
        Assert.Contains("dotnet pack lib/ResearchKit.Cli", setup);
        Assert.Contains("dotnet tool restore --add-source .tools/nupkg", setup);
    }

    /// <summary>After environment/setup.sh: `dotnet rk` runs the installed tool from the repository.</summary>
    [RkToolFact]
    public void DotnetRk_AfterSetup_RunsTheInstalledTool()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo("notebooks") };
        foreach (var a in new[] { "rk", "data", "verify", "nosuch" }) psi.ArgumentList.Add(a);
        using var proc = Process.Start(psi)!;
        var err = proc.StandardError.ReadToEndAsync();
        proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        Assert.Equal(ExitCodes.Usage, proc.ExitCode);
        Assert.Contains("rk data verify: unknown dataset 'nosuch'", err.Result);
    }

    [Fact]
    public void ReadmeExitCodeTable_IsExactlyTheCliExitCodes()
    {
        string readme = File.ReadAllText(Repo("README.md"));
        int start = readme.IndexOf("## Exit codes", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no '## Exit codes' section");
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        readme = readme[start..(end < 0 ? readme.Length : end)];
        var documented = ExitCodeRow().Matches(readme).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        var actual = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (int)f.GetRawConstantValue()!).ToList();
        Assert.Equal(actual.Order(), documented.Order());
    }

    [Fact]
    public void ReadmeAndNotebookMarkdown_WriteRkCommandsInOneForm()
    {
        var texts = new List<(string Where, string Text)> { ("README.md", File.ReadAllText(Repo("README.md"))) };
        foreach (var nb in Directory.GetFiles(Repo("notebooks"), "*.ipynb"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(nb));
            foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray())
                if (cell.GetProperty("cell_type").GetString() == "markdown")
                    texts.Add((Path.GetFileName(nb), string.Concat(cell.GetProperty("source").EnumerateArray().Select(l => l.GetString()))));
        }
        foreach (var (where, text) in texts)
            foreach (Match m in BareRk().Matches(text))
                Assert.Fail($"{where}: `{m.Value}` is not a command that runs; write `dotnet rk ...` (or the dotnet run --project form for the main job).");
    }

    /// <summary>A README table row "| 3 | ..." of the exit-code table.</summary>
    [GeneratedRegex(@"^\| `?(\d+)`? \|", RegexOptions.Multiline)]
    private static partial Regex ExitCodeRow();

    /// <summary>`rk data ...` in backticks or at a line start in a code block, without `dotnet ` in front.</summary>
    [GeneratedRegex(@"(?<![\w-]|dotnet )rk (data|train|runs|nb)\b[^`\n]*", RegexOptions.Multiline)]
    private static partial Regex BareRk();
}

/// <summary>A fact that needs the rk tool installed by environment/setup.sh, and says so when it skips.</summary>
public sealed class RkToolFactAttribute : FactAttribute
{
    public RkToolFactAttribute()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        if (!Directory.Exists(Path.Combine(packages, "researchkit.cli", ToolAndReadmeTests.ManifestVersion())))
            Skip = "rk is not installed as a local tool: run `bash environment/setup.sh` (packs rk into .tools/nupkg, restores the tool manifest).";
    }
}
