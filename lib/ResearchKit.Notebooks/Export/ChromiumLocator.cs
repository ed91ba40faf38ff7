namespace ResearchKit.Notebooks.Export;

/// <summary>Finds the Chromium used for figure export (Debian's <c>chromium</c> package, no Playwright download).</summary>
public static class ChromiumLocator
{
    /// <summary>Environment variable that points at a Chromium (or Chrome) executable.</summary>
    public const string EnvironmentVariable = "RESEARCHKIT_CHROMIUM";

    /// <summary>Where Debian's package installs it.</summary>
    public const string DefaultPath = "/usr/bin/chromium";

    /// <summary>
    /// Command-line flags for a quiet, offline headless browser: without the background-networking flags Chromium
    /// keeps retrying update, sync and safe-browsing connections on a closed network.
    /// </summary>
    public static IReadOnlyList<string> Flags { get; } =
    [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-default-browser-check",
        "--disable-dev-shm-usage",
        "--font-render-hinting=none",
    ];

    /// <summary>The executable: <see cref="EnvironmentVariable"/> if set, else <see cref="DefaultPath"/>.</summary>
    /// <exception cref="FileNotFoundException">Not there; the message names the fix.</exception>
    public static string Locate()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env))
        {
            if (File.Exists(env)) return env;
            throw new FileNotFoundException(
                $"Chromium not found at {EnvironmentVariable}={env}: point it at a chromium executable, or unset it and run environment/install-browser.sh (apt-get install chromium).", env);
        }
        if (File.Exists(DefaultPath)) return DefaultPath;
        throw new FileNotFoundException(
            $"Chromium not found at {DefaultPath}: run environment/install-browser.sh (apt-get install chromium) or set {EnvironmentVariable}.", DefaultPath);
    }
}
