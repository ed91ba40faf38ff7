using System.Diagnostics;

namespace ResearchKit.Tests.Cli;

/// <summary>Runs the built CLI (rk.dll next to the tests) as a child process, as a user would run <c>dotnet rk</c>.</summary>
internal static class RkProcess
{
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ResearchKit.sln"))) return d.FullName;
        throw new InvalidOperationException($"No ResearchKit.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Exit code, standard output and standard error of <c>rk args</c> run in the repository root.</summary>
    public static (int Code, string Out, string Err) Run(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoRoot() };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rk.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["RESEARCHKIT_PROGRESS"] = "none";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(180_000)) { p.Kill(entireProcessTree: true); throw new TimeoutException($"rk {string.Join(' ', args)} ran over 3 minutes"); }
        return (p.ExitCode, output, err.Result);
    }

    public static (int Code, string Out, string Err) Run(params string[] args) => Run(null, args);
}
