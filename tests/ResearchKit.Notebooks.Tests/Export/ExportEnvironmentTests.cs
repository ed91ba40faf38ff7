using ResearchKit.Figures;
using ResearchKit.Notebooks.Export;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Export;

/// <summary>Missing prerequisites produce errors that name the missing piece and the fix (no browser needed).</summary>
[Collection(nameof(EnvironmentVariableCollection))]
public sealed class ExportEnvironmentTests
{
    [Fact]
    public async Task A_missing_chromium_names_the_path_and_the_install_script()
    {
        await using var exporter = new FigureExporter(chromiumPath: "/nonexistent/chromium");
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => exporter.StartAsync());
        Assert.Contains("Chromium not found at /nonexistent/chromium", ex.Message);
        Assert.Contains("environment/install-browser.sh", ex.Message);
        Assert.Contains(ChromiumLocator.EnvironmentVariable, ex.Message);
    }

    [Fact]
    public async Task A_missing_plotly_js_names_the_install_script_and_the_variable()
    {
        var chromium = File.Exists(ChromiumLocator.DefaultPath) ? ChromiumLocator.DefaultPath : "/bin/sh";
        await using var exporter = new FigureExporter(chromiumPath: chromium, plotlyJsPath: "/nonexistent/plotly.min.js");
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => exporter.RenderAsync("{\"data\":[]}", ExportFormat.Svg));
        Assert.Contains("plotly.js not found", ex.Message);
        Assert.Contains("npm install plotly.js-dist-min", ex.Message);
        Assert.Contains(PlotlyJs.EnvironmentVariable, ex.Message);
    }

    [Fact]
    public void Environment_variables_override_the_default_locations_and_bad_values_are_reported()
    {
        var savedChromium = Environment.GetEnvironmentVariable(ChromiumLocator.EnvironmentVariable);
        var savedPlotly = Environment.GetEnvironmentVariable(PlotlyJs.EnvironmentVariable);
        var file = Path.GetTempFileName();
        try
        {
            Environment.SetEnvironmentVariable(ChromiumLocator.EnvironmentVariable, file);
            Assert.Equal(file, ChromiumLocator.Locate());
            Environment.SetEnvironmentVariable(PlotlyJs.EnvironmentVariable, file);
            Assert.Equal(Path.GetFullPath(file), PlotlyJs.Locate());

            Environment.SetEnvironmentVariable(ChromiumLocator.EnvironmentVariable, "/nope/chrome");
            var c = Assert.Throws<FileNotFoundException>(ChromiumLocator.Locate);
            Assert.Contains("RESEARCHKIT_CHROMIUM=/nope/chrome", c.Message);
            Assert.Contains("install-browser.sh", c.Message);
            Environment.SetEnvironmentVariable(PlotlyJs.EnvironmentVariable, "/nope/plotly.js");
            var p = Assert.Throws<FileNotFoundException>(PlotlyJs.Locate);
            Assert.Contains("RESEARCHKIT_PLOTLY_JS=/nope/plotly.js", p.Message);
            Assert.Contains("install-browser.sh", p.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ChromiumLocator.EnvironmentVariable, savedChromium);
            Environment.SetEnvironmentVariable(PlotlyJs.EnvironmentVariable, savedPlotly);
            File.Delete(file);
        }
    }

    [Fact]
    public void Formats_follow_the_extension()
    {
        Assert.Equal(ExportFormat.Png, ExportFormats.FromPath("a/b/fig4-4.PNG"));
        Assert.Equal(ExportFormat.Svg, ExportFormats.FromPath("fig.svg"));
        Assert.Equal(ExportFormat.Pdf, ExportFormats.FromPath("fig.pdf"));
        Assert.Throws<ArgumentException>(() => ExportFormats.FromPath("fig"));
        Assert.Equal(".pdf", ExportFormat.Pdf.Extension());
    }
}

/// <summary>Tests that change process environment variables run one at a time.</summary>
[CollectionDefinition(nameof(EnvironmentVariableCollection), DisableParallelization = true)]
public sealed class EnvironmentVariableCollection;
