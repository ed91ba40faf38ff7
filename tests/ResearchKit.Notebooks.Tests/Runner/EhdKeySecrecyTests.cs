using System.Text;
using ResearchKit.Notebooks.Format;
using ResearchKit.TestSupport;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

/// <summary>
/// The Ensemble Hash Defense's secret key never leaves its key file: after the notebooks that use it run, no artifact — the
/// executed notebooks, the runner's log, and every file of the run store (database, checkpoints) — holds the key in any
/// usual encoding or as raw bytes.
/// </summary>
public class EhdKeySecrecyTests
{
    private static readonly string[] KeyNotebooks = ["06-ensemble-hash-defense.ipynb", "B-spsa.ipynb"];

    [Fact]
    public async Task The_EHD_key_appears_in_no_notebook_output_log_or_run_store_file()
    {
        var texts = new List<(string Where, string Text)>();
        foreach (string name in KeyNotebooks)
        {
            var (executed, result, log) = await SmokeRuns.RunAsync(Path.Combine(RepoRoot(), "notebooks", name));
            Assert.True(result.Succeeded, $"{name}: {result.Error}\n{log}");
            texts.Add(($"{name} (executed)", executed.ToJson()));
            texts.Add(($"{name} (log)", log));
        }
        // The notebooks created the test process's key file (TestRunsIsolation points RESEARCHKIT_EHD_KEY_FILE at it).
        Assert.True(File.Exists(TestRunsIsolation.EhdKeyFile), "the notebooks should have created the test key file");
        byte[] key = File.ReadAllBytes(TestRunsIsolation.EhdKeyFile);
        Assert.True(key.Length >= 32);

        string hex = Convert.ToHexString(key);
        var needles = new[]
        {
            hex, hex.ToLowerInvariant(), Convert.ToBase64String(key), Convert.ToBase64String(key).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            BitConverter.ToString(key), string.Join(",", key), string.Join(", ", key),
        };
        var files = Directory.EnumerateFiles(TestRunsIsolation.RunsDir, "*", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            byte[] bytes = File.ReadAllBytes(file);
            Assert.False(bytes.AsSpan().IndexOf(key) >= 0, $"raw key bytes found in {file}");
            texts.Add((file, Encoding.Latin1.GetString(bytes)));
        }
        foreach (var (where, text) in texts)
            foreach (string needle in needles)
                Assert.False(text.Contains(needle, StringComparison.Ordinal), $"the EHD key (as {needle.Length} characters) appears in {where}");
    }
}
