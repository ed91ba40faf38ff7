using Microsoft.Playwright;
using ResearchKit.Notebooks.Export;

namespace ResearchKit.Notebooks.Tests.Export;

/// <summary>
/// Opens a local page in headless Chromium with every request that is not a file aborted (Playwright route), so a
/// page that needs the network fails to draw; returns what the page computed and the URLs it tried to fetch.
/// </summary>
internal static class OfflinePage
{
    /// <summary>Loads <paramref name="fileUrl"/>, waits for <paramref name="ready"/>, evaluates <paramref name="result"/>.</summary>
    /// <param name="fileUrl">A file:// URL.</param>
    /// <param name="ready">JS predicate to wait for.</param>
    /// <param name="result">JS expression whose (string) value is returned.</param>
    /// <param name="screenshotPath">Where to save a full-page PNG, or null.</param>
    public static async Task<(string Result, IReadOnlyList<string> Blocked)> EvaluateAsync(string fileUrl, string ready, string result,
        string? screenshotPath = null)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumLocator.Locate(), Headless = true, ChromiumSandbox = false, Args = ChromiumLocator.Flags,
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        var blocked = new List<string>();
        await context.RouteAsync("**/*", route =>
        {
            if (route.Request.Url.StartsWith("file:", StringComparison.Ordinal)) return route.ContinueAsync();
            lock (blocked) blocked.Add(route.Request.Url);
            return route.AbortAsync();
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(fileUrl);
        await page.WaitForFunctionAsync(ready, null, new PageWaitForFunctionOptions { Timeout = 20000 });
        var value = await page.EvaluateAsync<string>(result);
        if (screenshotPath is not null) await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshotPath, FullPage = true });
        return (value, blocked);
    }
}
