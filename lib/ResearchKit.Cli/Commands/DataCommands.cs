using System.CommandLine;
using ResearchKit.Data;

namespace ResearchKit.Cli.Commands;

/// <summary><c>rk data list|fetch|verify</c>.</summary>
internal static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "List, fetch and verify datasets (RESEARCHKIT_DATA, cache, RESEARCHKIT_DATA_MIRROR, download)");

        var list = new Command("list", "Datasets and the local state of their files");
        list.SetAction(_ =>
        {
            foreach (var s in new DataCatalog().List()) Print(s);
            return 0;
        });

        var id = new Argument<string>("dataset") { Description = "Dataset id (see `rk data list`)" };
        var fetch = new Command("fetch", "Resolve every file of a dataset (mirror or download), verifying checksums") { id };
        fetch.SetAction(pr => Guard(() => Print(new DataCatalog(new DataOptions { Progress = new ConsoleProgress() }).Fetch(pr.GetValue(id)!))));

        var id2 = new Argument<string>("dataset") { Description = "Dataset id" };
        var verify = new Command("verify", "Re-hash the local files of a dataset") { id2 };
        verify.SetAction(pr => Guard(() =>
        {
            var s = new DataCatalog().Verify(pr.GetValue(id2)!);
            Print(s);
            return s.IsVerified ? 0 : 1;
        }));

        data.Subcommands.Add(list);
        data.Subcommands.Add(fetch);
        data.Subcommands.Add(verify);
        return data;
    }

    private static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (e is DataNotFoundException or DataIntegrityException or ArgumentException or InvalidDataException)
        {
            Console.Error.WriteLine($"rk data: {e.Message}");
            return 1;
        }
    }

    private static int Print(DatasetStatus s)
    {
        Console.WriteLine($"{s.Dataset.Id}: {(s.IsVerified ? "verified" : s.IsAvailable ? "available" : "missing")}");
        foreach (var f in s.Files)
            Console.WriteLine($"  {f.State,-9} {f.File.Name,-32} {f.Path ?? f.Message ?? ""}");
        return s.IsAvailable ? 0 : 1;
    }

    private sealed class ConsoleProgress : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress p) =>
            Console.Error.Write($"\r{p.FileName}: {p.BytesReceived / 1e6:F1} MB{(p.TotalBytes is { } t ? $" / {t / 1e6:F1} MB" : "")}   ");
    }
}
