using System.Diagnostics;

namespace ResearchKit.Notebooks.Tests.Runner;

/// <summary>
/// Validates a notebook file against the nbformat JSON schema with Debian's python3-nbformat (the reference
/// implementation). CI installs it through environment/setup.sh.
/// </summary>
internal static class NbformatValidator
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, sys, nbformat
        with open(sys.argv[1], encoding="utf-8") as f:
            nb = json.load(f)
        assert nb["nbformat"] == 4 and nb["nbformat_minor"] >= 5, "not nbformat 4.5+"
        nbformat.validate(nb, version=4, version_minor=nb["nbformat_minor"])
        print("valid")
        """;

    /// <summary>Returns null when valid, else the validator's message. Fails with an install hint when nbformat is missing.</summary>
    public static string? Validate(string path)
    {
        var (code, output) = RunPython(["-c", Script, path]);
        if (code == 0) return null;
        if (output.Contains("No module named 'nbformat'", StringComparison.Ordinal) || code == -1)
            throw new InvalidOperationException("nbformat validation needs Python's nbformat: sudo apt-get install -y python3-nbformat (environment/setup.sh does this on Debian/Ubuntu). " + output);
        return output;
    }

    private static (int Code, string Output) RunPython(string[] args)
    {
        if (!File.Exists(Python)) return (-1, $"{Python} not found");
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }
}
