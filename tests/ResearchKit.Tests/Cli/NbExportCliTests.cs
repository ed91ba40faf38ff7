using ResearchKit.Cli.Errors;
using ResearchKit.Tests.Data;
using Xunit;

namespace ResearchKit.Tests.Cli;

/// <summary>
/// `rk nb export` writes files or says why it cannot: a notebook never executed, or executed without any figure or
/// table, is refused with exit code 6 (a paper build must not go on with missing or stale figures).
/// </summary>
public class NbExportCliTests
{
    private const string Kernelspec = """{"kernelspec":{"name":".net-csharp","display_name":".NET (C#)","language":"C#"}}""";

    private static string Notebook(DataTempDir t, string name, string outputs, string executionCount) =>
        t.Write(name, System.Text.Encoding.UTF8.GetBytes(
            "{\"cells\":[{\"cell_type\":\"markdown\",\"id\":\"m1\",\"metadata\":{},\"source\":[\"# t\"]}," +
            "{\"cell_type\":\"code\",\"id\":\"c1\",\"metadata\":{},\"source\":[\"Console.WriteLine(1);\"]," +
            $"\"outputs\":{outputs},\"execution_count\":{executionCount}}}],\"metadata\":{Kernelspec},\"nbformat\":4,\"nbformat_minor\":5}}"));

    [Fact]
    public void NeverExecutedNotebook_IsRefused_WithRunItFirst_AndExitCode6()
    {
        using var t = new DataTempDir();
        string nb = Notebook(t, "fresh.ipynb", "[]", "null");
        var (code, _, err) = RkProcess.Run("nb", "export", nb, "--figures", t.Sub("figures"), "--tables", t.Sub("tables"));
        Assert.True(code == ExitCodes.NothingToExport, $"exit {code}: {err}");
        Assert.Contains("rk nb export: fresh.ipynb was never executed: none of its 1 code cells has an output", err);
        Assert.Contains("Run it first with `dotnet rk nb run ", err);
        Assert.Contains("--out ", err);
        Assert.DoesNotContain("   at ", err);
        Assert.False(Directory.Exists(t.Sub("figures")));
    }

    [Fact]
    public void ExecutedNotebookWithoutFiguresOrTables_IsRefused_SayingSo_AndExitCode6()
    {
        using var t = new DataTempDir();
        string nb = Notebook(t, "plain.ipynb", """[{"output_type":"stream","name":"stdout","text":["1\n"]}]""", "1");
        var (code, _, err) = RkProcess.Run("nb", "export", nb, "--figures", t.Sub("figures"));
        Assert.True(code == ExitCodes.NothingToExport, $"exit {code}: {err}");
        Assert.Contains("rk nb export: plain.ipynb was executed but its outputs hold no figure (none at all), so nothing was written.", err);
        Assert.Contains("WithFigureName", err);
        Assert.DoesNotContain("   at ", err);
    }
}
