using System.Security.Cryptography;
using ResearchKit.Cli.Errors;
using ResearchKit.Data;
using ResearchKit.Tests.Data;
using Xunit;

namespace ResearchKit.Tests.Cli;

/// <summary>
/// `rk data verify` names the reason of a corrupt file (sha256 expected vs actual, the path) with exit code 3, and
/// `rk data list` without a mirror says which datasets are sample-only and the exact way to get the rest.
/// </summary>
public class DataCliTests
{
    /// <summary>No mirror, no data folder, an empty cache: only what the repository commits.</summary>
    private static Dictionary<string, string> Isolated(DataTempDir t, string? dataDir = null) => new()
    {
        [DataResolver.MirrorVariable] = "",
        [DataResolver.DataDirVariable] = dataDir ?? "",
        ["XDG_CACHE_HOME"] = t.Sub("cache"),
    };

    [Fact]
    public void Verify_CorruptFile_PrintsTheReasonWithBothChecksumsAndThePath_AndExitsWith3()
    {
        using var t = new DataTempDir();
        var labels = Manifest.Default.File("mnist", "t10k-labels-idx1-ubyte");
        // Right size and a valid IDX header, wrong labels: only the checksum can tell.
        var bytes = DataTestSupport.IdxLabels(new byte[labels.Size!.Value - 8]);
        string path = t.Write(Path.Combine("data", "mnist", "t10k-labels-idx1-ubyte"), bytes);
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var (code, output, err) = RkProcess.Run(Isolated(t, t.Sub("data")), "data", "verify", "mnist");

        Assert.True(code == ExitCodes.Data, $"exit {code}: {output}{err}");
        Assert.Contains("mnist: CORRUPT", output);
        Assert.Contains($"Corrupt   t10k-labels-idx1-ubyte", output);
        Assert.Contains($"sha256 of {path} is {actual}, expected {labels.Sha256}", output);
        Assert.Contains("rk data verify: mnist: 1 corrupt file(s):", err);
        Assert.Contains($"sha256 of {path} is {actual}, expected {labels.Sha256} (corrupt or partial download): delete it and fetch again with `dotnet rk data fetch mnist`.", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void List_WithoutMirror_SaysSampleOnly_NamesTheSamples_AndTheCommandToGetTheRest()
    {
        using var t = new DataTempDir();
        var (code, output, err) = RkProcess.Run(Isolated(t), "data", "list");

        Assert.True(code == ExitCodes.Ok, err);
        Assert.Contains("mnist: sample only (full files missing; the committed sample is used by the smoke presets)", output);
        Assert.Contains("sample    t10k-images-idx3-ubyte.first1000.gz", output);
        Assert.Contains("data/samples/mnist/t10k-images-idx3-ubyte.first1000.gz", output);
        Assert.Contains("cifar-100: missing", output); // no sample committed
        Assert.Contains("Committed samples (data/samples, used by the smoke presets and the tests): mnist, fashion-mnist, cifar-10, wikitext-2.", output);
        Assert.Contains("`dotnet rk data fetch <id>`", output);
        Assert.Contains($"{DataResolver.MirrorVariable} to a mirror folder laid out like shared/data (not set)", output);
    }

    [Fact]
    public void Verify_SampleOnlyDataset_ExitsWith3_AndSaysHowToFetchIt()
    {
        using var t = new DataTempDir();
        var (code, _, err) = RkProcess.Run(Isolated(t), "data", "verify", "wikitext-2");
        Assert.True(code == ExitCodes.Data, err);
        Assert.Contains("rk data verify: wikitext-2: 3 file(s) not found locally", err);
        Assert.Contains("Only its committed sample (data/samples) is here", err);
        Assert.Contains("`dotnet rk data fetch wikitext-2`", err);
    }
}
