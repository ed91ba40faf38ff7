using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

/// <summary>Every notebook takes a <c>device</c> parameter, and an unusable one stops it before anything trains.</summary>
public class NotebookDeviceParameterTests
{
    [Theory]
    [MemberData(nameof(RepoNotebooksTests.Notebooks), MemberType = typeof(RepoNotebooksTests))]
    public void The_parameters_cell_declares_device_as_cpu_and_the_recipes_use_it(string name)
    {
        var nb = Notebook.Load(Path.Combine(RepoRoot(), "notebooks", name));
        var parameters = Assert.Single(nb.Cells, c => c.HasTag(NotebookParameters.ParametersTag));
        Assert.Contains("var device = \"cpu\";", parameters.Source);
        string code = string.Join("\n", nb.Cells.Where(CellCode.IsCSharp).Select(c => c.Source));
        Assert.Contains("ComputeDevice.Use(device)", code);
        // Chapter notebooks hand the device to their recipes; the getting-started notebook moves its model itself.
        if (code.Contains("new RecipeOptions", StringComparison.Ordinal)) Assert.Contains("Device = dev", code);
    }

    [Fact]
    public async Task An_unknown_device_stops_the_notebook_at_its_setup_with_the_valid_names()
    {
        string path = Path.Combine(RepoRoot(), "notebooks", "B-spsa.ipynb");
        var (nb, result) = await new NotebookRunner(new NotebookRunOptions
        {
            Preset = "smoke", Parameters = [new("device", "gpu0")], Log = TextWriter.Null, CellTimeout = TimeSpan.FromMinutes(3),
        }).RunFileAsync(path);
        Assert.False(result.Succeeded);
        var error = Assert.Single(nb.Cells.SelectMany(c => c.Outputs.OfType<ErrorOutput>()));
        Assert.Contains("gpu0", error.EValue);
        Assert.Contains("cpu-accelerator", error.EValue);
        // Nothing after the setup cell ran: no training started on a device the user did not mean.
        var failed = nb.Cells.FindIndex(c => c.Outputs.OfType<ErrorOutput>().Any());
        Assert.Contains("ComputeDevice.Use(device)", nb.Cells[failed].Source);
        Assert.All(nb.Cells.Skip(failed + 1).Where(CellCode.IsCSharp), c => Assert.Null(c.ExecutionCount));
    }
}
