using System.Diagnostics;
using ResearchKit.Notebooks.Export;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Export;

/// <summary>
/// One headless Chromium for all browser tests (the <see cref="BrowserCollection"/>). Starting it fails (and so every test using it fails)
/// with the install hint when Chromium or plotly.js is missing: CI must install them via environment/setup.sh.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>The shared exporter.</summary>
    public FigureExporter Exporter { get; } = new();

    /// <summary>Wall time of the whole start (driver, browser, plotly.js page).</summary>
    public TimeSpan StartTime { get; private set; }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        await Exporter.StartAsync();
        StartTime = clock.Elapsed;
    }

    /// <inheritdoc />
    public async Task DisposeAsync() => await Exporter.DisposeAsync();
}

/// <summary>Browser test classes share one <see cref="BrowserFixture"/> (starting Chromium + plotly.js costs seconds).</summary>
[CollectionDefinition(nameof(BrowserCollection))]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;
