using System.Diagnostics;
using System.Text.Json;
using ResearchKit.Runs;
using Xunit;

namespace ResearchKit.Tests.Runs;

/// <summary><c>rk runs export</c>: CSV is the run's metric-history frame, JSON keeps every point.</summary>
public class RunExportCliTests
{
    private static (int Code, string Out, string Err) Rk(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rk.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    [Fact]
    public void Export_writes_the_history_frame_as_csv_and_every_point_as_json()
    {
        using var dir = new TempRunsDir();
        long id;
        using (var store = SqliteRunStore.Open(dir.Path))
        {
            var cfg = SqliteRunStoreTests.Config(3, "cli-export");
            id = store.StartOrResume(cfg.Hash, cfg.Json).Id;
            store.LogMetrics(id, [new(10, "train/loss", 0.5), new(20, "train/loss", double.NaN), new(20, "test/acc", 0.25)]);
            store.Complete(id, new Dictionary<string, double> { ["test/acc"] = 0.25 });
        }

        var (code, csv, err) = Rk("runs", "export", id.ToString(), "--format", "csv", "--runs-dir", dir.Path);
        Assert.True(code == 0, err);
        Assert.Equal(["step,test/acc,train/loss", "10,,0.5", "20,0.25,"], csv.Replace("\r\n", "\n").TrimEnd('\n').Split('\n'));

        (code, var json, err) = Rk("runs", "export", id.ToString(), "--format", "json", "--runs-dir", dir.Path);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("NaN", doc.RootElement.GetProperty("series").GetProperty("train/loss").GetProperty("values")[1].GetString());

        (code, _, err) = Rk("runs", "export", id.ToString(), "--format", "xml", "--runs-dir", dir.Path);
        Assert.Equal(ResearchKit.Cli.Errors.ExitCodes.Usage, code); // a bad argument (README "Exit codes")
        Assert.Contains("--format must be csv or json", err);
    }
}
