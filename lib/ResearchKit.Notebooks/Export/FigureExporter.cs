using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Plotly.NET;
using ResearchKit.Figures;

namespace ResearchKit.Notebooks.Export;

/// <summary>
/// Writes plotly figures to PNG, SVG and PDF with headless Chromium driven by Playwright (no Kaleido, no network).
/// One browser and one page with plotly.js loaded are started on first use and reused for every figure; exports
/// are serialized on that page, so one exporter per process is enough. Dispose it to close the browser.
/// </summary>
/// <remarks>
/// PNG and SVG come from <c>Plotly.toImage</c> (PNG is exactly width·scale × height·scale pixels); PDF prints that
/// SVG on a page of width × height CSS pixels, so text and lines stay vectors.
/// </remarks>
public sealed class FigureExporter : IAsyncDisposable
{
    /// <summary>Export width when neither the call nor the figure's layout gives one.</summary>
    public const int DefaultWidth = 700;

    /// <summary>Export height when neither the call nor the figure's layout gives one.</summary>
    public const int DefaultHeight = 450;

    private const string RenderScript = """
        window.rkRender = async function (fig, format, width, height, scale) {
          const gd = document.getElementById('plot');
          Plotly.purge(gd);
          gd.style.width = width + 'px';
          gd.style.height = height + 'px';
          const layout = Object.assign({}, fig.layout || {}, { width: width, height: height });
          const config = Object.assign({}, fig.config || {}, { staticPlot: true, responsive: false });
          await Plotly.newPlot(gd, fig.data || [], layout, config);
          return await Plotly.toImage(gd, { format: format, width: width, height: height, scale: scale, imageDataOnly: true });
        };
        window.rkValidate = function (fig) {
          const errors = Plotly.validate(fig.data || [], fig.layout || {}) || [];
          return errors.map(e => e.msg);
        };
        """;

    private readonly string? _chromiumPath;
    private readonly string? _plotlyJsPath;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private IPage? _plotPage;
    private IPage? _printPage;
    private bool _disposed;

    /// <summary>Creates an exporter; the browser starts on first use (or call <see cref="StartAsync"/>).</summary>
    /// <param name="chromiumPath">Chromium executable; null uses <see cref="ChromiumLocator.Locate"/>.</param>
    /// <param name="plotlyJsPath">plotly.min.js; null uses <see cref="PlotlyJs.Locate"/>.</param>
    public FigureExporter(string? chromiumPath = null, string? plotlyJsPath = null)
    {
        _chromiumPath = chromiumPath;
        _plotlyJsPath = plotlyJsPath;
    }

    /// <summary>Time the last <see cref="StartAsync"/> took to launch Chromium (zero before it ran).</summary>
    public TimeSpan BrowserLaunchTime { get; private set; }

    /// <summary>Time the last <see cref="StartAsync"/> took to load plotly.js into the page (zero before it ran).</summary>
    public TimeSpan PageLoadTime { get; private set; }

    /// <summary>Chromium's version string once started.</summary>
    public string? BrowserVersion => _browser?.Version;

    /// <summary>
    /// Launches Chromium and prepares the page (idempotent). Fails with the install hint when Chromium or plotly.js
    /// is missing.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureStartedAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Writes <paramref name="chart"/> to <paramref name="path"/>; the extension (.png, .svg, .pdf) picks the format.
    /// </summary>
    /// <param name="chart">The Plotly.NET chart.</param>
    /// <param name="path">Output file (its folder is created).</param>
    /// <param name="width">Width in CSS px; null: the chart's layout width, else 700.</param>
    /// <param name="height">Height in CSS px; null: the chart's layout height, else 450.</param>
    /// <param name="scale">Pixel multiplier for PNG (2 = "retina"); SVG and PDF are vectors and ignore it.</param>
    /// <param name="cancellationToken">Cancels waiting for the page.</param>
    public Task ExportAsync(GenericChart chart, string path, int? width = null, int? height = null, double scale = 2,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chart);
        return ExportAsync(chart.ToPlotlyJson(), path, width, height, scale, cancellationToken);
    }

    /// <summary>Writes a plotly JSON figure (<c>{"data":[...],"layout":{...}}</c>) to a .png, .svg or .pdf file.</summary>
    /// <param name="plotlyJson">Figure JSON, e.g. from <see cref="ChartExtensions.ToPlotlyJson"/> or a notebook's plotly output.</param>
    /// <param name="path">Output file (its folder is created).</param>
    /// <param name="width">Width in CSS px; null: <c>layout.width</c> of the JSON, else 700.</param>
    /// <param name="height">Height in CSS px; null: <c>layout.height</c> of the JSON, else 450.</param>
    /// <param name="scale">Pixel multiplier for PNG; ignored for SVG and PDF.</param>
    /// <param name="cancellationToken">Cancels waiting for the page.</param>
    public async Task ExportAsync(string plotlyJson, string path, int? width = null, int? height = null, double scale = 2,
        CancellationToken cancellationToken = default)
    {
        var format = ExportFormats.FromPath(path);
        var bytes = await RenderAsync(plotlyJson, format, width, height, scale, cancellationToken).ConfigureAwait(false);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        await File.WriteAllBytesAsync(path, bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <c>{name}.svg</c>, <c>.png</c> and <c>.pdf</c> (or the given formats) of a chart named with
    /// <see cref="ChartExtensions.WithFigureName"/> into <paramref name="directory"/>; returns the paths written.
    /// </summary>
    /// <exception cref="ArgumentException">The chart has no figure name.</exception>
    public async Task<IReadOnlyList<string>> ExportAllAsync(GenericChart chart, string directory, IEnumerable<ExportFormat>? formats = null,
        int? width = null, int? height = null, double scale = 2, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chart);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var name = chart.FigureName() ?? throw new ArgumentException(
            "FigureExporter.ExportAllAsync: the chart has no figure name; set one with chart.WithFigureName(\"fig4-4\") or call ExportAsync with a path.", nameof(chart));
        var written = new List<string>();
        var json = chart.ToPlotlyJson();
        foreach (var format in formats ?? [ExportFormat.Svg, ExportFormat.Png, ExportFormat.Pdf])
        {
            var path = Path.Combine(directory, name + format.Extension());
            await ExportAsync(json, path, width, height, scale, cancellationToken).ConfigureAwait(false);
            written.Add(path);
        }
        return written;
    }

    /// <summary>Renders a plotly JSON figure to the bytes of a PNG, SVG (UTF-8) or PDF file.</summary>
    public async Task<byte[]> RenderAsync(string plotlyJson, ExportFormat format, int? width = null, int? height = null,
        double scale = 2, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plotlyJson);
        var (w, h) = ResolveSize(plotlyJson, width, height);
        if (!(scale > 0 && scale <= 10))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "FigureExporter: scale must be in (0, 10].");

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureStartedAsync().ConfigureAwait(false);
            string image = await RenderOnPageAsync(plotlyJson, format == ExportFormat.Png ? "png" : "svg", w, h,
                format == ExportFormat.Png ? scale : 1).ConfigureAwait(false);
            return format switch
            {
                ExportFormat.Png => Convert.FromBase64String(image),
                ExportFormat.Svg => Encoding.UTF8.GetBytes(image),
                _ => await PrintPdfAsync(image, w, h).ConfigureAwait(false),
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Checks a figure against the plotly.js schema of the loaded bundle (<c>Plotly.validate</c>): unknown
    /// attributes, wrong value types. Returns plotly's messages; empty when valid.
    /// </summary>
    public async Task<IReadOnlyList<string>> ValidateAsync(string plotlyJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plotlyJson);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureStartedAsync().ConfigureAwait(false);
            ParseFigure(plotlyJson).Dispose();
            return await _plotPage!.EvaluateAsync<string[]>("json => window.rkValidate(JSON.parse(json))", plotlyJson).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Loads <paramref name="html"/> into a fresh page of the exporter's (offline) browser, waits until
    /// <paramref name="readyExpression"/> is truthy, and returns <paramref name="resultExpression"/>'s value; for
    /// tests of the HTML figure forms.
    /// </summary>
    internal async Task<T> EvaluateHtmlAsync<T>(string html, string readyExpression, string resultExpression, int timeoutMs = 10000)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await EnsureStartedAsync().ConfigureAwait(false);
            var page = await _plotPage!.Context.NewPageAsync().ConfigureAwait(false);
            try
            {
                await page.SetContentAsync(html).ConfigureAwait(false);
                await page.WaitForFunctionAsync(readyExpression, null, new PageWaitForFunctionOptions { Timeout = timeoutMs }).ConfigureAwait(false);
                return await page.EvaluateAsync<T>(resultExpression).ConfigureAwait(false);
            }
            finally
            {
                await page.CloseAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the browser and the Playwright driver.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_browser is not null) await _browser.CloseAsync().ConfigureAwait(false);
        }
        catch (PlaywrightException)
        {
            // The browser already died (crash, killed); the driver below still has to be stopped.
        }
        finally
        {
            _playwright?.Dispose();
            _browser = null;
            _playwright = null;
            _plotPage = null;
            _printPage = null;
            _gate.Release();
            _gate.Dispose();
        }
    }

    /// <summary>Starts the browser and page if needed; caller holds <see cref="_gate"/>.</summary>
    private async Task EnsureStartedAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_plotPage is not null) return;

        // Resolve both prerequisites before spending time on a launch, so the error names what is missing.
        string chromium = _chromiumPath ?? ChromiumLocator.Locate();
        if (!File.Exists(chromium))
            throw new FileNotFoundException($"Chromium not found at {chromium}: run environment/install-browser.sh (apt-get install chromium) or set {ChromiumLocator.EnvironmentVariable}.", chromium);
        string plotly = _plotlyJsPath ?? PlotlyJs.Locate();
        if (!File.Exists(plotly))
            throw new FileNotFoundException($"plotly.js not found at {plotly}: run environment/install-browser.sh (npm install plotly.js-dist-min) or set {PlotlyJs.EnvironmentVariable}.", plotly);

        var clock = Stopwatch.StartNew();
        try
        {
            _playwright = await Playwright.CreateAsync().ConfigureAwait(false);
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                ChromiumSandbox = false,
                Args = ChromiumLocator.Flags,
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PlaywrightException or InvalidOperationException or IOException)
        {
            _playwright?.Dispose();
            _playwright = null;
            throw new InvalidOperationException(
                $"FigureExporter: could not start Chromium at {chromium} through Playwright: {ex.Message} "
                + $"(check that '{chromium} --headless --no-sandbox --version' runs; reinstall with environment/install-browser.sh or set {ChromiumLocator.EnvironmentVariable}).", ex);
        }
        BrowserLaunchTime = clock.Elapsed;

        clock.Restart();
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1600, Height = 1200 },
            DeviceScaleFactor = 1,
            JavaScriptEnabled = true,
            Offline = true,
        }).ConfigureAwait(false);
        // Nothing may leave the machine: a figure that references a URL (an image, a font) fails fast instead of hanging.
        await context.RouteAsync(new System.Text.RegularExpressions.Regex("^(https?|wss?|ftp)://"), route => route.AbortAsync()).ConfigureAwait(false);

        var page = await context.NewPageAsync().ConfigureAwait(false);
        await page.SetContentAsync(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>html,body{margin:0;padding:0;background:#fff}</style></head>"
            + "<body><div id=\"plot\"></div></body></html>").ConfigureAwait(false);
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = plotly }).ConfigureAwait(false);
        bool loaded = await page.EvaluateAsync<bool>("() => typeof window.Plotly === 'object' && typeof Plotly.toImage === 'function'").ConfigureAwait(false);
        if (!loaded)
            throw new InvalidOperationException($"FigureExporter: {plotly} did not define window.Plotly; is it plotly.min.js from plotly.js-dist-min? Re-run environment/install-browser.sh.");
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = RenderScript }).ConfigureAwait(false);
        _plotPage = page;
        PageLoadTime = clock.Elapsed;
    }

    private async Task<string> RenderOnPageAsync(string plotlyJson, string format, int width, int height, double scale)
    {
        ParseFigure(plotlyJson).Dispose();
        try
        {
            // JSON text crosses the driver as one string and is parsed in the page (Playwright cannot pass JsonElement).
            return await _plotPage!.EvaluateAsync<string>(
                "([json, format, w, h, scale]) => window.rkRender(JSON.parse(json), format, w, h, scale)",
                new object[] { plotlyJson, format, width, height, scale }).ConfigureAwait(false);
        }
        catch (PlaywrightException ex)
        {
            throw new InvalidOperationException($"FigureExporter: plotly.js failed to draw the figure ({format}, {width}×{height}): {ex.Message}", ex);
        }
    }

    /// <summary>Prints the SVG on a page exactly the figure's size, keeping it vector.</summary>
    private async Task<byte[]> PrintPdfAsync(string svg, int width, int height)
    {
        // A second page, so printing does not discard the plotly.js page (reloading plotly costs seconds).
        _printPage ??= await _plotPage!.Context.NewPageAsync().ConfigureAwait(false);
        string w = width.ToString(CultureInfo.InvariantCulture) + "px";
        string h = height.ToString(CultureInfo.InvariantCulture) + "px";
        await _printPage!.SetContentAsync(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>"
            + $"@page{{size:{w} {h};margin:0}}html,body{{margin:0;padding:0;width:{w};height:{h};overflow:hidden;background:#fff}}svg{{display:block}}"
            + "</style></head><body>" + svg + "</body></html>").ConfigureAwait(false);
        return await _printPage.PdfAsync(new PagePdfOptions
        {
            Width = w,
            Height = h,
            PrintBackground = true,
            PageRanges = "1",
            Margin = new Microsoft.Playwright.Margin { Top = "0", Right = "0", Bottom = "0", Left = "0" },
        }).ConfigureAwait(false);
    }

    private static JsonDocument ParseFigure(string plotlyJson)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(plotlyJson);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"FigureExporter: the figure is not valid JSON ({ex.Message}); pass chart.ToPlotlyJson() or a plotly {{\"data\":[...],\"layout\":{{...}}}} object.", nameof(plotlyJson), ex);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            doc.Dispose();
            throw new ArgumentException("FigureExporter: the figure JSON needs a \"data\" array (plotly's {\"data\":[...],\"layout\":{...}} form).", nameof(plotlyJson));
        }
        return doc;
    }

    /// <summary>Explicit size, else the JSON's layout.width/height, else 700 × 450.</summary>
    private static (int Width, int Height) ResolveSize(string plotlyJson, int? width, int? height)
    {
        if (width is null || height is null)
        {
            using var doc = ParseFigure(plotlyJson);
            if (doc.RootElement.TryGetProperty("layout", out var layout) && layout.ValueKind == JsonValueKind.Object)
            {
                if (width is null && layout.TryGetProperty("width", out var lw) && lw.TryGetInt32(out int iw)) width = iw;
                if (height is null && layout.TryGetProperty("height", out var lh) && lh.TryGetInt32(out int ih)) height = ih;
            }
        }
        int wv = width ?? DefaultWidth, hv = height ?? DefaultHeight;
        if (wv < 10 || hv < 10 || wv > 10000 || hv > 10000)
            throw new ArgumentOutOfRangeException(nameof(width), $"FigureExporter: size {wv}×{hv} px is out of range (10–10000 each way).");
        return (wv, hv);
    }
}
