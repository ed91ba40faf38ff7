using System.CommandLine;
using ResearchKit.Cli.Errors;
using ResearchKit.Data;

namespace ResearchKit.Cli.Commands;

/// <summary><c>rk data list|fetch|verify</c>.</summary>
internal static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "List, fetch and verify datasets (RESEARCHKIT_DATA, cache, RESEARCHKIT_DATA_MIRROR, download)");

        var list = new Command("list", "Datasets, the local state of their files, the committed samples, and how to get what is missing");
        list.SetAction(_ =>
        {
            var catalog = new DataCatalog();
            var statuses = catalog.List();
            foreach (var s in statuses) Print(s, catalog);
            PrintHowToGetTheRest(statuses, catalog);
            return ExitCodes.Ok; // a listing succeeds whatever it finds
        });

        var id = new Argument<string>("dataset") { Description = "Dataset id (see `rk data list`)" };
        var fetch = new Command("fetch", "Resolve every file of a dataset (mirror or download), verifying checksums") { id };
        fetch.SetAction(pr =>
        {
            var progress = new ConsoleProgress();
            var catalog = new DataCatalog(new DataOptions { Progress = progress });
            var s = catalog.Fetch(Known(catalog, pr.GetValue(id)!));
            if (progress.Reported) Console.Error.WriteLine(); // end the \r progress line
            Print(s, catalog);
            ThrowUnlessAvailable(s, catalog);
            return ExitCodes.Ok;
        });

        var id2 = new Argument<string>("dataset") { Description = "Dataset id (see `rk data list`)" };
        var verify = new Command("verify", "Re-hash the local files of a dataset (never downloads)") { id2 };
        verify.SetAction(pr =>
        {
            var catalog = new DataCatalog();
            var s = catalog.Verify(Known(catalog, pr.GetValue(id2)!));
            Print(s, catalog);
            ThrowUnlessAvailable(s, catalog);
            return ExitCodes.Ok;
        });

        data.Subcommands.Add(list);
        data.Subcommands.Add(fetch);
        data.Subcommands.Add(verify);
        return data;
    }

    /// <summary>The dataset id, or a usage error listing the known ones.</summary>
    private static string Known(DataCatalog catalog, string id) =>
        catalog.Datasets.FirstOrDefault(d => d.Id == id)?.Id
        ?? throw new CliException(ExitCodes.Usage,
            $"unknown dataset '{id}'. Known datasets: {string.Join(", ", catalog.Datasets.Select(d => d.Id))} (see `dotnet rk data list`).");

    private static IReadOnlyList<ManifestSample> SamplesOf(DataCatalog catalog, string datasetId) =>
        catalog.Resolver.Manifest.Samples.Where(s => s.Dataset == datasetId).ToList();

    /// <summary>One word for the dataset: corrupt wins over everything, since its files would fail to load.</summary>
    private static string Summary(DatasetStatus s, DataCatalog catalog) =>
        s.Files.Any(f => f.State == DataFileState.Corrupt) ? "CORRUPT"
        : s.IsVerified ? "verified"
        : s.IsAvailable ? "available"
        : s.Files.Any(f => f.State is DataFileState.Present or DataFileState.Verified) ? "incomplete"
        : SamplesOf(catalog, s.Dataset.Id).Count > 0 ? "sample only (full files missing; the committed sample is used by the smoke presets)"
        : "missing";

    private static void Print(DatasetStatus s, DataCatalog catalog)
    {
        Console.WriteLine($"{s.Dataset.Id}: {Summary(s, catalog)}");
        foreach (var f in s.Files)
        {
            Console.WriteLine($"  {f.State,-9} {f.File.Name,-32} {f.Path ?? ""}".TrimEnd());
            // The reason (checksum mismatch with both values, or where it was looked for) on its own line.
            if (f.Message is { } why && f.State != DataFileState.Verified) Console.WriteLine($"            {why}");
        }
        if (!s.IsAvailable)
            foreach (var sample in SamplesOf(catalog, s.Dataset.Id))
                Console.WriteLine($"  {"sample",-9} {Path.GetFileName(sample.Path),-32} data/{sample.Path}");
    }

    private static void PrintHowToGetTheRest(IReadOnlyList<DatasetStatus> statuses, DataCatalog catalog)
    {
        var missing = statuses.Where(s => !s.IsAvailable).Select(s => s.Dataset.Id).ToList();
        if (missing.Count == 0) return;
        var sampled = catalog.Resolver.Manifest.Samples.Select(s => s.Dataset).Distinct().ToList();
        Console.WriteLine();
        Console.WriteLine($"Committed samples (data/samples, used by the smoke presets and the tests): {string.Join(", ", sampled)}.");
        Console.WriteLine($"Not available in full: {string.Join(", ", missing)}. To get a dataset: `dotnet rk data fetch <id>` " +
                          $"(downloads into {catalog.Resolver.CacheDir} and verifies it), or set {DataResolver.MirrorVariable} to a " +
                          $"mirror folder laid out like shared/data ({(catalog.Resolver.MirrorDir is { } m ? $"now {m}" : "not set")}).");
    }

    /// <summary>Corrupt or missing required files: one message with every reason and the fix (exit code 3).</summary>
    private static void ThrowUnlessAvailable(DatasetStatus s, DataCatalog catalog)
    {
        var corrupt = s.Files.Where(f => f.State == DataFileState.Corrupt).ToList();
        if (corrupt.Count > 0)
            throw new CliException(ExitCodes.Data, $"{s.Dataset.Id}: {corrupt.Count} corrupt file(s):" +
                string.Concat(corrupt.Select(f => $"{Environment.NewLine}  {f.Message ?? f.Path}")));
        var missing = s.Files.Where(f => !f.File.Optional && f.State == DataFileState.Missing).ToList();
        if (missing.Count == 0) return;
        string samples = SamplesOf(catalog, s.Dataset.Id).Count > 0 ? " Only its committed sample (data/samples) is here; the smoke presets use it." : "";
        throw new CliException(ExitCodes.Data,
            $"{s.Dataset.Id}: {missing.Count} file(s) not found locally ({string.Join(", ", missing.Select(f => f.File.Name))}).{samples} " +
            $"Get them with `dotnet rk data fetch {s.Dataset.Id}`, or set {DataResolver.MirrorVariable} to a mirror folder laid out like shared/data" +
            (catalog.Resolver.MirrorDir is { } m ? $" (now {m}, which lacks them)." : " (not set).") +
            // fetch's reasons (download errors) are worth more than the generic fix.
            string.Concat(missing.Where(f => f.Message is not null).Select(f => $"{Environment.NewLine}  {f.Message}")));
    }

    private sealed class ConsoleProgress : IProgress<DownloadProgress>
    {
        public bool Reported { get; private set; }

        public void Report(DownloadProgress p)
        {
            Reported = true;
            Console.Error.Write($"\r{p.FileName}: {p.BytesReceived / 1e6:F1} MB{(p.TotalBytes is { } t ? $" / {t / 1e6:F1} MB" : "")}   ");
        }
    }
}
